"""Issue 18, what the CLI writes: reports, CSV, files, stdout and stderr, against hostile and unlucky input.

1. CSV that a spreadsheet cannot be tricked by: every text column defused (OWASP: leading =, +, -, @,
   TAB, CR; and LF), every field holding a line break quoted, no raw control character, long cells cut
   saying so, read back by Python's csv module with its default limits; number columns stay numbers.
   A negative --top is refused.
2. `report -o` writes only to a regular file (new or existing): a FIFO, a device, a folder, a symbolic
   link or an unwritable place is a clear error and is left as it was. Modes are kept; new reports are
   0644 less the umask; the replace stays atomic.
3. A failed write to stdout (full disk, closed descriptor) is one line on stderr and exit 1; a closed
   pipe (`| head`) exits 141 quietly, as the shell's own tools do. Real processes: nothing else shows it.
4. Nothing from data reaches the terminal raw: the real CLI runs on a hostile archive, store and config
   (tests/hostile/outputs.py) and its stdout and stderr hold no control character a terminal acts on.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opint_core as core
from hostile.outputs import (
    BAD_FILE_NAME, CONTROL, FORMULA, FORMULA_STARTS, HUGE, TEAMMATE_JOURNAL, hostile_archive, hostile_config,
    hostile_store, raw_controls,
)
from opint_core.report import CSV_COLUMNS, MAX_CELL, MAX_NOTES, render_csv
from opint_tui.cli import main
from opint_tui.safe import clean
from test_report_edges import ann, cat, rep

ROOT = Path(__file__).resolve().parent.parent
NUMBER_COLUMNS = {"rank", "count", "share", "trend_new", "trend_ratio", "similarity", "failures", "attempts",
                  "failure_rate", "baseline_rate"}
TEXT_COLUMNS = [c for c in CSV_COLUMNS if c not in NUMBER_COLUMNS]
CSV_REMOVED = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])


def csv_table(text: str) -> list[list[str]]:
    """The CSV read back as a spreadsheet import would, with the csv module's default limits."""
    return list(csv.reader(io.StringIO(text, newline="")))


def csv_dicts(text: str) -> list[dict]:
    rows = csv_table(text)
    assert rows[0] == list(CSV_COLUMNS) and all(len(r) == len(CSV_COLUMNS) for r in rows), rows
    return [dict(zip(CSV_COLUMNS, r)) for r in rows[1:]]


def without_controls(text: str) -> str:
    return text.translate({ord(c): None for c in CSV_REMOVED})


def assert_text_cells_are_safe(row: dict, where: str) -> None:
    for column in TEXT_COLUMNS:
        cell = row[column]
        assert not cell.startswith(FORMULA_STARTS), f"{where}: {column} starts a formula: {cell[:60]!r}"
        assert not raw_controls(cell, allow="\t\n\r"), f"{where}: {column} holds {raw_controls(cell)}"


# ---------------------------------------------------------------------------------------------------
# 1. CSV
@pytest.mark.parametrize("case", sorted(FORMULA))
def test_csv_defuses_a_formula_in_every_text_column(case):
    evil = FORMULA[case]
    c = cat(key=evil, pattern=evil, first=evil, last=evil, src=[[evil, 3]], dst=[[evil, 1]],
            annotation=ann(label=evil, status=evil, ticket=evil, notes=evil, inherited=True, source_key=evil),
            samples=[[evil, 3]])
    row = csv_dicts(render_csv(rep([c])))[0]
    assert_text_cells_are_safe(row, case)
    shown = without_controls(evil)
    for column in ("key", "pattern", "first_seen", "last_seen", "label", "status", "ticket", "notes",
                   "inherited_from", "sample_message"):
        assert row[column] == "'" + shown, column          # one quote in front, the text otherwise kept
    assert row["top_src_sites"] == f"'{shown}:3" and row["top_dst_sites"] == f"'{shown}:1"


def test_csv_defuses_a_formula_in_an_incidents_text_cells():
    evil = FORMULA[sorted(FORMULA)[0]]
    incident = core.Incident(group=0, key=evil, pattern=evil, site=evil, side="link", other_site=evil, onset=None,
                             end=None, failures=3, attempts=4, failure_rate=0.75, grid_rate=0.1, baseline_rate=None,
                             baseline_failures=0, baseline_attempts=0, status="new", score=9.0)
    report = rep([cat()])
    report.incidents = [incident]
    rows = csv_dicts(render_csv(report))
    assert [r["record"] for r in rows] == ["incident", "category"]
    assert_text_cells_are_safe(rows[0], "incident")
    shown = "'" + without_controls(evil)
    assert (rows[0]["key"], rows[0]["pattern"], rows[0]["site"], rows[0]["other_site"]) == (shown,) * 4
    assert (rows[0]["failures"], rows[0]["attempts"], rows[0]["failure_rate"]) == ("3", "4", "0.75")


def test_csv_number_columns_stay_numbers_and_text_in_them_is_defused():
    # numbers are written as numbers: a negative one is not a formula and gets no quote; only text
    # cells take the rule, and text found in a number column (a hand-edited journal) is text
    c = cat(count=7, share=0.25, trend={"new": False, "ratio": -0.5},
            annotation=ann(label="x", similarity=-1.0))
    row = csv_dicts(render_csv(rep([c])))[0]
    assert (row["rank"], row["count"], row["share"]) == ("1", "7", "0.250000")
    assert (row["trend_new"], row["trend_ratio"], row["similarity"]) == ("False", "-0.5", "-1.0")
    numpy = cat(count=np.int64(7), trend={"new": np.bool_(True), "ratio": np.int64(-2)},
                annotation=ann(label="x", similarity=np.float64(-1.5)))
    row = csv_dicts(render_csv(rep([numpy])))[0]
    assert (row["count"], row["trend_new"], row["trend_ratio"], row["similarity"]) == ("7", "True", "-2", "-1.5")
    odd = cat(trend={"new": "=1+1", "ratio": "-2+3"}, annotation=ann(label="x", similarity="@SUM(1)\x1b"))
    row = csv_dicts(render_csv(rep([odd])))[0]
    assert (row["trend_new"], row["trend_ratio"], row["similarity"]) == ("'=1+1", "'-2+3", "'@SUM(1)")


def test_csv_cuts_huge_cells_saying_so_and_reads_back_with_default_limits():
    huge = "n" * HUGE
    c = cat(pattern="p" * HUGE, annotation=ann(label="l" * HUGE, notes=huge), samples=[["m" * HUGE, 1]],
            src=[["S" * HUGE, 1]])
    row = csv_dicts(render_csv(rep([c])))[0]                 # csv.field_size_limit() is 131,072
    assert row["notes"] == "n" * (MAX_NOTES - 1) + "… (cut from 1,048,576 characters)"
    assert row["label"] == "l" * (MAX_CELL - 1) + "… (cut from 1,048,576 characters)"
    assert row["pattern"] == "p" * (MAX_CELL - 1) + "… (cut from 1,048,576 characters)"
    assert row["sample_message"] == "m" * (MAX_CELL - 1) + "… (cut from 1,048,576 characters)"
    assert row["top_src_sites"] == "S" * (MAX_CELL - 1) + "… (cut from 1,048,578 characters)"
    # at the limit: not cut
    row = csv_dicts(render_csv(rep([cat(annotation=ann(label="l" * MAX_CELL))])))[0]
    assert row["label"] == "l" * MAX_CELL


@pytest.mark.parametrize("case", sorted(CONTROL))
def test_csv_keeps_each_row_whole_and_no_raw_escape(case):
    text = "start " + CONTROL[case] + " end"
    c = cat(pattern=text, annotation=ann(label=text, notes=text + "\r\n" + text), samples=[[text, 1]],
            src=[[text, 1]])
    out = render_csv(rep([c, cat(key="c2")]))
    assert not raw_controls(out, allow="\t\n\r"), raw_controls(out)
    rows = csv_dicts(out)
    assert [r["key"] for r in rows] == ["c000000000001", "c2"]     # the second row is still a row
    assert rows[0]["label"] == without_controls(text) and rows[0]["notes"] == without_controls(text + "\r\n" + text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(max_size=MAX_CELL + 50), min_size=6, max_size=6),
       site_count=st.integers(-10, 10))
def test_csv_fuzz_any_text_in_any_text_column_reads_back_as_one_safe_row(texts, site_count):
    label, ticket, notes, pattern, sample, site = texts
    c = cat(key="k" + label[:20], pattern=pattern, src=[[site, site_count]], dst=[[site, 1]],
            annotation=ann(label=label, ticket=ticket, notes=notes, status=ticket, inherited=True, source_key=label),
            samples=[[sample, 1]])
    rows = csv_dicts(render_csv(rep([c, cat(key="c-after")])))
    assert len(rows) == 2 and rows[1]["key"] == "c-after"
    row = rows[0]
    assert_text_cells_are_safe(row, "fuzz")
    for column, original in (("label", label), ("ticket", ticket), ("notes", notes), ("pattern", pattern),
                             ("sample_message", sample), ("top_src_sites", f"{site}:{site_count}")):
        expected = without_controls(original)
        cell = row[column]
        if cell.startswith("'") and expected[:1] != "'":
            cell = cell[1:]                                # the defusing quote
        if len(expected) <= MAX_CELL:
            assert cell == expected, column
        else:
            assert cell == expected[: MAX_CELL - 1] + f"… (cut from {len(expected):,} characters)", column


# ---------------------------------------------------------------------------------------------------
# the hostile archive and store, built once (the CLI reads them; nothing here writes to them)
@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-outputs")
    root = hostile_archive(base / "archive")
    analysis = core.analyse(str(root), stream="fts", with_trends=False)
    store = hostile_store(base / "store", analysis)
    return root, store, analysis


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def report_args(hostile, *more):
    root, store, _ = hostile
    return ["report", "--archive", root, "--source", "fts", "--no-cache", "--store", store.directory, *more]


def test_cli_csv_report_of_a_hostile_archive_and_store(hostile, capsys):
    _, store, analysis = hostile
    code, out, err = run_cli(capsys, *report_args(hostile, "--format", "csv"))
    assert code == 0, err
    rows = csv_dicts(out)
    assert len(rows) == len(analysis.clustering.categories)
    for row in rows:
        assert_text_cells_are_safe(row, row["key"])
    by_key = {r["key"]: r for r in rows}
    annotated = by_key[store.annotated]
    notes = without_controls(store.notes)
    assert annotated["notes"] == "'" + notes[: MAX_NOTES - 1] + f"… (cut from {len(notes):,} characters)"
    assert annotated["label"] == "'" + without_controls(store.label)
    assert annotated["ticket"] == "'" + without_controls(store.ticket)
    inheriting = next(r for r in rows if r["inherited_from"])
    assert inheriting["inherited_from"] == "'" + without_controls(store.source)
    assert inheriting["label"] == "'" + without_controls(store.source_label)
    # sites named after formulas (from the RSE): defused, whichever formula character leads
    assert {r["top_src_sites"][:2] for r in rows if r["top_src_sites"].startswith("'")} >= {"'=", "'-", "'@"}


@pytest.mark.parametrize("command", ["report", "load"])
def test_negative_top_is_refused(hostile, capsys, command):
    argv = report_args(hostile, "--top", "-1") if command == "report" else \
        ["load", "--archive", hostile[0], "--no-cache", "--top", "-1"]
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, *argv)
    assert exit_.value.code == 2
    assert f"opint {command}: error: argument --top: -1 is negative: give 0 or more" in capsys.readouterr().err
    code, out, _ = run_cli(capsys, *report_args(hostile, "--top", "0", "--format", "json"))
    assert code == 0 and len(json.loads(out)["categories"]) == len(hostile[2].clustering.categories)  # 0: all


# ---------------------------------------------------------------------------------------------------
# 2. report -o
REMEDY = ("what to do: give -o a regular file (new or existing) in a folder you can write to, "
          "or omit -o to write to stdout")


def refused(capsys, hostile, target, reason: str) -> None:
    code, out, err = run_cli(capsys, *report_args(hostile, "-o", target))
    assert code == 2 and out == ""
    assert f"opint: error: cannot write the report to {target}: {reason}\n{REMEDY}\n" in err, err
    assert "wrote" not in err


def test_report_onto_a_fifo_is_refused_and_the_fifo_stays(hostile, capsys, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused(capsys, hostile, fifo, "a FIFO (named pipe), not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["fifo"]


def test_report_onto_a_device_node_is_refused_and_the_device_stays(hostile, capsys, tmp_path):
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))   # a second /dev/null
    except PermissionError:
        pytest.skip("cannot make a device node here (needs CAP_MKNOD)")
    refused(capsys, hostile, device, "a character device, not a regular file")
    assert stat.S_ISCHR(os.lstat(device).st_mode) and os.listdir(tmp_path) == ["null"]


@pytest.mark.parametrize("points_to", ["/dev/null", "fifo", "report.md"])
def test_report_onto_a_symbolic_link_is_refused_and_not_followed(hostile, capsys, tmp_path, points_to):
    # a link planted in a shared folder must not redirect the report; the link stays as it was
    if points_to == "fifo":
        os.mkfifo(tmp_path / "fifo")
    if points_to == "report.md":
        (tmp_path / "report.md").write_text("old\n")
    link = tmp_path / "link"
    link.symlink_to(points_to)
    refused(capsys, hostile, link, "a symbolic link, not a regular file")
    assert os.readlink(link) == points_to
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    if points_to == "report.md":
        assert (tmp_path / "report.md").read_text() == "old\n"


def test_report_onto_a_folder_or_inside_a_file_is_a_clear_error(hostile, capsys, tmp_path):
    (tmp_path / "folder").mkdir()
    refused(capsys, hostile, tmp_path / "folder", "a folder, not a regular file")
    (tmp_path / "file").write_text("x")
    refused(capsys, hostile, tmp_path / "file" / "r.md", f"Not a directory ({tmp_path / 'file'})")
    refused(capsys, hostile, tmp_path / "file" / "sub" / "r.md", f"Not a directory ({tmp_path / 'file' / 'sub'})")
    assert sorted(os.listdir(tmp_path)) == ["file", "folder"] and os.listdir(tmp_path / "folder") == []


def test_report_into_an_unwritable_folder_is_a_clear_error(hostile, tmp_path):
    """A real process: as root, with the capability to write anywhere dropped (setpriv), as
    tests/test_archive_fs.py does, so that the folder's mode really refuses the write."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: a read-only folder does not stop root")
        drop = "-dac_override,-dac_read_search"
        prefix = [shutil.which("setpriv"), f"--bounding-set={drop}", f"--inh-caps={drop}", "--"]
        probe = subprocess.run([*prefix, "touch", str(locked / "probe")], capture_output=True, text=True)
        if probe.returncode == 0 or "Permission denied" not in probe.stderr:
            pytest.skip(f"cannot drop root's file capabilities here: {probe.stderr.strip()[-200:]}")
    proc = subprocess.run([*prefix, sys.executable, "-m", "opint_tui.cli",
                           *map(str, report_args(hostile, "-o", locked / "r.md"))],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert f"opint: error: cannot write the report to {locked / 'r.md'}: Permission denied" in proc.stderr
    assert REMEDY in proc.stderr and "Traceback" not in proc.stderr and os.listdir(locked) == []


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_report_files_keep_their_mode_and_new_ones_are_0644(hostile, capsys, tmp_path, umask_022):
    new = tmp_path / "new.md"
    assert run_cli(capsys, *report_args(hostile, "-o", new))[0] == 0
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o644
    for mode in (0o644, 0o640, 0o664, 0o600):
        os.chmod(new, mode)
        assert run_cli(capsys, *report_args(hostile, "-o", new, "--format", "csv"))[0] == 0
        assert stat.S_IMODE(os.stat(new).st_mode) == mode and new.read_text().startswith("record,rank,key,")
    os.umask(0o077)   # a private umask is honoured for a new file
    assert stat.S_IMODE(os.stat(core.write_atomic(tmp_path / "private.md", "x")).st_mode) == 0o600


def test_write_atomic_still_replaces_whole(tmp_path):
    target = tmp_path / "r.md"
    core.write_atomic(target, "old\n")
    with open(target) as reader:            # a reader that opened the old file keeps reading it whole
        before = os.stat(target).st_ino
        core.write_atomic(target, "new\n")
        assert reader.read() == "old\n"
    assert os.stat(target).st_ino != before and target.read_text() == "new\n"
    assert os.listdir(tmp_path) == ["r.md"]


# ---------------------------------------------------------------------------------------------------
# 3. stdout that cannot be written: real processes
def opint_process(argv, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "opint_tui.cli", *map(str, argv)], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def commands_writing_to_stdout(hostile, tmp_path):
    root, store, analysis = hostile
    return {
        "report": report_args(hostile),
        "load": ["load", "--archive", root, "--no-cache"],
        "annotate": ["annotate", analysis.clustering.categories[0].key, "--label", "x", "--store", tmp_path / "s",
                     "--archive", root],
        "sample-archive": ["sample-archive", tmp_path / "sample", "--days", "1", "--scale", "0.01"],
    }


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("command", ["report", "load", "annotate", "sample-archive"])
def test_stdout_on_a_full_disk_is_one_line_and_exit_1(hostile, tmp_path, command):
    with open("/dev/full", "w") as full:
        proc = opint_process(commands_writing_to_stdout(hostile, tmp_path)[command], stdout=full)
        err = proc.stderr.read()
        code = proc.wait()
    assert code == 1, err
    assert err.endswith("opint: error: cannot write to standard output: No space left on device\n"), err
    assert "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.parametrize("command", ["report", "load"])
def test_stdout_into_a_closed_pipe_exits_141_quietly(hostile, tmp_path, command):
    proc = opint_process(commands_writing_to_stdout(hostile, tmp_path)[command], stdout=subprocess.PIPE)
    proc.stdout.close()    # the reader is gone before opint writes a byte (`opint … | head` after head quit)
    err = proc.stderr.read()
    assert proc.wait() == 141, err
    assert "Traceback" not in err and "Exception ignored" not in err and "error" not in err, err


def test_stdout_closed_from_the_start_is_one_line_and_exit_1(hostile, tmp_path):
    argv = " ".join(map(shlex.quote, [sys.executable, "-m", "opint_tui.cli",
                                      *map(str, commands_writing_to_stdout(hostile, tmp_path)["report"])]))
    proc = subprocess.run([shutil.which("sh"), "-c", f"exec {argv} >&-"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.endswith("opint: error: cannot write to standard output: the descriptor is closed\n")
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------------
# 4. the sanitising gate: the real CLI on hostile data prints no raw control character
def test_load_prints_hostile_categories_and_file_names_cleaned(hostile, capsys):
    code, out, err = run_cli(capsys, "load", "--archive", hostile[0], "--no-cache", "--top", "50")
    assert code == 0, err
    assert not raw_controls(out + err, allow="\n"), raw_controls(out + err)
    assert clean(CONTROL["osc52_clipboard"]) in out                       # the categories are there, cleaned
    assert clean(BAD_FILE_NAME) in out and "1 file with problems:" in out   # and the damaged file, by its name


@pytest.mark.parametrize("fmt, allowed", [("md", "\n"), ("csv", "\n\t\r"), ("json", "\n")])
def test_report_on_stdout_and_its_warnings_are_cleaned(hostile, capsys, fmt, allowed):
    code, out, err = run_cli(capsys, *report_args(hostile, "--format", fmt))
    assert code == 0, err
    assert not raw_controls(out, allow=allowed), raw_controls(out, allow=allowed)
    assert not raw_controls(err, allow="\n"), raw_controls(err)
    assert f"opint: warning: {clean(str(hostile[1].directory / TEAMMATE_JOURNAL))}:1: not a valid JSON" in err
    if fmt == "json":   # escaped, not lost: the data reads back exactly
        messages = [s["message"] for c in json.loads(out)["categories"] for s in c["samples"]]
        assert any(CONTROL["c1_csi"] in m for m in messages) and any(CONTROL["screen_clear"] in m for m in messages)


def test_errors_naming_hostile_config_values_are_cleaned(hostile, capsys, tmp_path):
    config = hostile_config(tmp_path / "config.toml", str(tmp_path / "no-archive"))
    code, out, err = run_cli(capsys, "load", "--config", config, "--no-cache")
    assert code == 2 and err.startswith("opint: error: ")
    assert not raw_controls(out + err, allow="\n"), raw_controls(out + err)
    assert clean("no-archive\x1b]52;c;aGk=\x07\x1b[2J\x9b31m") in err


def test_annotate_echoes_a_hostile_key_cleaned(capsys, tmp_path):
    key = "k\x1b]52;c;aGk=\x07\x1b[2J"
    code, out, err = run_cli(capsys, "annotate", key, "--label", CONTROL["screen_clear"], "--store", tmp_path,
                             "--force")
    assert code == 0, err
    assert out == f"{clean(key)} annotated in {core.TriageStore(tmp_path).journal}\n"
    assert not raw_controls(out + err, allow="\n")


def test_output_off_a_terminal_has_no_progress_residue(hostile, capsys):
    """Piped or logged, the summary starts at its first line and an error is its own first line: the
    progress bar is only drawn on a terminal (a transient bar left an empty line behind)."""
    root, _, _ = hostile
    code, out, err = run_cli(capsys, "load", "--archive", root, "--source", "fts", "--no-cache")
    assert code == 0, err
    assert out.startswith("fts errors, latest day: ")
    assert "top error categories" in out
    code, out, err = run_cli(capsys, "load", "--archive", root, "--last", "0")
    assert code == 2 and out == ""
    assert err.startswith("opint: error: --last needs at least 1 day, got 0\n")
