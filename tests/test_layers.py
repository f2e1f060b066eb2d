"""The layers of pyproject.toml's [tool.importlinter] hold: nothing imports a layer above it (so
there is no import cycle between the parts of the core), the core never imports the app, textual or
rich, and the Spark backend uses only the loading code and the masking rules."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports() -> str:
    beside = Path(sys.executable).parent / "lint-imports"   # the venv's, whatever PATH says
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: install the test extra (pip install -e '.[test]')"
    return found


def test_import_contracts_are_kept():
    # run from the repository root: lint-imports puts it first on sys.path, so the code checked is
    # this tree's, not an installed copy
    out = subprocess.run([lint_imports(), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout, out.stdout
