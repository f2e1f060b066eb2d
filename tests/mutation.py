"""Mutation testing of the core's decision modules, one module group at a time (not part of CI).

    .venv/bin/pip install -e '.[mutation]'          # once: mutmut
    .venv/bin/python tests/mutation.py               # every group, a score table at the end
    .venv/bin/python tests/mutation.py triage --survivors   # one group, and the diff of each survivor

Each group mutates its own source files and runs only its own test files, so one group finishes in
minutes on 2 cores. mutmut works on a copy of the tree (in the scratch dir, default
$TMPDIR/opint-mutation/<group>), never on this checkout. A mutant is *killed* when a test fails,
*survives* when every selected test passes, and has *no tests* when no selected test runs its
function; the score is killed / (all − the survivors judged equivalent, listed in EQUIVALENT with a
reason).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# group -> (source files mutated, test files run against each mutant)
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "clustering": (
        ["opint_core/clustering/*.py"],
        ["tests/test_clustering.py", "tests/test_masking.py", "tests/test_mask_batch.py",
         "tests/test_pinned_semantics.py", "tests/test_known_cause_pass.py"],
    ),
    "trend": (
        ["opint_core/insight/trend.py", "opint_core/insight/orders.py"],
        ["tests/test_insight.py", "tests/test_trend_edges.py"],
    ),
    "triage": (
        ["opint_core/triage/*.py"],
        ["tests/test_triage.py", "tests/test_triage_edges.py"],
    ),
    "selection": (
        ["opint_core/load/selection.py", "opint_core/load/archive.py"],
        ["tests/test_selection.py", "tests/test_selection_e2e.py"],
    ),
    "report": (
        ["opint_core/report.py"],
        ["tests/test_report.py", "tests/test_report_edges.py"],
    ),
    "reader": (
        ["opint_core/load/reader.py"],
        ["tests/test_loader.py", "tests/test_reader_edges.py"],
    ),
}

# Survivors judged equivalent (no observable behaviour changes), by mutant name, with the reason.
EQUIVALENT: dict[str, str] = {}

STATUS = {0: "survived", 1: "killed", 3: "killed", 33: "no tests", 34: "skipped", 35: "suspicious",
          36: "timeout", 37: "type check", -24: "timeout", 152: "timeout"}
_COPY_EXCLUDE = ("screenshots/", "benchmarks/", ".venv/", "mutants/")


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    return [f for f in out.splitlines() if f and not f.startswith(_COPY_EXCLUDE)]


def _prepare(group: str, work: Path) -> None:
    """A fresh copy of the checkout with mutmut configured for this group only."""
    sources, tests = GROUPS[group]
    if work.exists():
        shutil.rmtree(work)
    for rel in _tracked_files():
        src = REPO / rel
        if src.is_file():
            dst = work / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    existing = [t for t in tests if (REPO / t).exists()]
    config = "\n[tool.mutmut]\n" + "\n".join([
        'source_paths = ["opint_core/"]',
        'also_copy = ["opint_tui/", "keymaps/"]',   # else the app would come from the editable install
        f"only_mutate = {json.dumps(sources)}",
        f"pytest_add_cli_args_test_selection = {json.dumps(existing)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x", "-m", "not spark"]',
    ]) + "\n"
    with open(work / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write(config)


def _results(work: Path) -> dict[str, str]:
    status: dict[str, str] = {}
    for meta in (work / "mutants").rglob("*.meta"):
        for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items():
            status[name] = "not run" if code is None else STATUS.get(code, f"exit {code}")
    return status


def run_group(group: str, scratch: Path, jobs: int, survivors: bool) -> dict[str, int]:
    work = scratch / group
    _prepare(group, work)
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        sys.exit(f"mutmut is not installed in {sys.prefix}: run `{sys.executable} -m pip install -e '.[mutation]'`")
    log = work / "mutmut.log"
    print(f"[{group}] mutating {', '.join(GROUPS[group][0])}; log in {log}", flush=True)
    with open(log, "w", encoding="utf-8") as out:
        subprocess.run([str(mutmut), "run", "--max-children", str(jobs)], cwd=work, stdout=out,
                       stderr=subprocess.STDOUT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    status = _results(work)
    if not status:
        sys.exit(f"[{group}] mutmut produced no results: see {log}")
    counts: dict[str, int] = {}
    for s in status.values():
        counts[s] = counts.get(s, 0) + 1
    equivalent = [n for n, s in status.items() if s == "survived" and n in EQUIVALENT]
    counts["equivalent"] = len(equivalent)
    counts["total"] = len(status)
    if survivors:
        for name, s in sorted(status.items()):
            if s in ("survived", "no tests") and name not in EQUIVALENT:
                print(f"--- {s}: {name}")
                subprocess.run([str(mutmut), "show", name], cwd=work)
    return counts


def score(counts: dict[str, int]) -> float:
    """Killed (a timeout is a mutant caught looping) over every mutant not judged equivalent."""
    relevant = counts["total"] - counts.get("equivalent", 0)
    caught = counts.get("killed", 0) + counts.get("timeout", 0)
    return 100.0 * caught / relevant if relevant else 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"groups to run (default: all of {', '.join(GROUPS)})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants run at once")
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()) / "opint-mutation")
    parser.add_argument("--survivors", action="store_true", help="show the diff of every surviving mutant")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group {', '.join(unknown)}; the groups are {', '.join(GROUPS)}")
    table = {g: run_group(g, args.scratch, args.jobs, args.survivors) for g in (args.groups or GROUPS)}
    print(f"\n{'group':<11}{'mutants':>8}{'killed':>8}{'survived':>9}{'no tests':>9}{'timeout':>8}"
          f"{'equiv.':>7}{'score':>8}")
    for g, c in table.items():
        print(f"{g:<11}{c['total']:>8}{c.get('killed', 0):>8}{c.get('survived', 0):>9}{c.get('no tests', 0):>9}"
              f"{c.get('timeout', 0):>8}{c.get('equivalent', 0):>7}{score(c):>7.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
