"""The first start on a fresh machine (./opint, ./run-tests through scripts/ensure-venv) and how error
remedies reach a narrow terminal: real bash, the real CLI in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENSURE = ROOT / "scripts" / "ensure-venv"


def ensure(here: Path, **env) -> subprocess.CompletedProcess:
    script = f'. "{ENSURE}"; ensure_venv "{here}" test'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          env={**os.environ, **{k: str(v) for k, v in env.items()}})


def test_a_failed_set_up_says_so_and_where_pips_output_is(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    done = ensure(tmp_path, PYTHON="false")                    # venv creation fails
    log = tmp_path / ".venv-setup.log"
    lines = done.stderr.splitlines()
    assert done.returncode == 1
    assert lines[0].startswith(f"opint: setting up {tmp_path}/.venv (Python packages: opint[test]); first run only")
    assert lines[0].endswith(f"log: {log}") and log.exists()
    assert "opint: the set-up failed; pip's output is in" in lines and f"    {log}" in lines
    assert not (tmp_path / ".venv" / ".installed").exists()
    assert done.stdout == ""


def test_an_installed_venv_starts_silently_and_a_changed_pyproject_sets_up_again(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    installed = tmp_path / ".venv" / ".installed"
    installed.touch()
    os.utime(tmp_path / "pyproject.toml", (1, 1))              # older than the install
    quiet = ensure(tmp_path)
    assert (quiet.returncode, quiet.stderr, quiet.stdout) == (0, "", "")
    os.utime(installed, (0, 0))                                # pyproject.toml is newer now
    again = ensure(tmp_path, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(tmp_path))   # pip cannot fetch anything
    assert again.returncode == 1 and again.stderr.startswith("opint: setting up")


def test_a_remedys_commands_stay_whole_on_lines_of_their_own_at_40_columns(tmp_path):
    env = {**os.environ, "COLUMNS": "40", "JAVA_HOME": str(tmp_path / "no-jdk"),   # a JAVA_HOME that is not
           "OPINT_CONFIG": str(tmp_path / "none.toml"), "OPINT_CACHE_DIR": str(tmp_path / "cache")}   # there
    done = subprocess.run([sys.executable, "-m", "opint_tui.cli", "--archive", "hdfs://analytix", "load"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    from opint_core.load.filesystem import LXPLUS_SETUP

    assert done.returncode == 2 and "no Java VM found" in done.stderr
    lines = [line.strip() for line in done.stderr.splitlines()]
    for command in LXPLUS_SETUP.splitlines():
        assert command.strip() in lines, command              # each longer than 40 columns, not wrapped
