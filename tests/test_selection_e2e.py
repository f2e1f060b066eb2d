"""Selections end to end: which days and which files the command line (`report`, `load`) and the app's
load dialog really read, on a small archive in the MONIT layout where every file is recognisable; then
the archive's day resolution underneath (latest day, .tmp days, gaps, path lists).

Every part file of the archive below holds 2**b failures, b unique to the file, and one successful
transfer (not a failure): the total of failures of a load names exactly the set of files read. Each
file's failures also carry their own FTS error category (``F<YYYYMMDD>-<j>``), which `opint load`
prints in its top table.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from archive_factory import FTS_DIR, RUCIO_DIR, day_dir, fts_record, lines, rucio_record, write_part
import opint_core as core
from opint_core import TriageStore
from opint_core.load.archive import Archive
from opint_core.load.filesystem import ArchiveError
from opint_core.load.selection import Selection
from opint_tui.cli import main
from waits import wait_until

D = [dt.date(2025, 11, 20) + dt.timedelta(days=k) for k in range(5)]   # 20 .. 24; the 24th is in 24.tmp/
FILES_PER_DAY = 2


class Built:
    """An archive written by `build`: its root and, per file tag, the failures it holds and its path."""

    def __init__(self, root):
        self.root = root
        self.count: dict[str, int] = {}
        self.path: dict[str, str] = {}

    def tags(self, *days, files=range(FILES_PER_DAY)) -> set[str]:
        return {tag(d, j) for d in days for j in files}

    def failures(self, tags) -> int:
        return sum(self.count[t] for t in tags)

    def decode(self, failures: int) -> set[str]:
        """The files whose failures add up to `failures` (each count is a distinct power of two)."""
        found = {t for t, n in self.count.items() if failures & n}
        assert self.failures(found) == failures, f"{failures} failures match no set of files of this archive"
        return found


def tag(day: dt.date, j: int) -> str:
    return f"F{day:%Y%m%d}-{j}"


def noon_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)


def build(root, days, tmp_days=(), files=FILES_PER_DAY) -> Built:
    """Write `days` (final, DD/) and `tmp_days` (DD.tmp/) of the fts stream, `files` part files each; a
    .tmp folder beside a final one of the same day has tags ending in ".tmp"."""
    built = Built(root)
    for day, tmp in sorted([(d, False) for d in days] + [(d, True) for d in tmp_days]):
        folder = day_dir(root, "fts", day, tmp=tmp)
        for j in range(files):
            t = tag(day, j) + (".tmp" if tmp and day in days else "")
            n = 1 << len(built.count)
            recs = [fts_record(f"TRANSFER failed to read {t}", when_ms=noon_ms(day), tr_error_category=t)
                    for _ in range(n)] + [fts_record(flag=1, when_ms=noon_ms(day))]
            built.count[t] = n
            built.path[t] = str(write_part(folder, lines(recs), index=j))
    return built


@pytest.fixture
def five(tmp_path):
    """Five days, 20 .. 24 November 2025; the newest one still being written (24.tmp/)."""
    return build(tmp_path / "archive", D[:4], tmp_days=[D[4]])


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")   # rich: no wrapped summary lines


# --- the archive's day resolution ---------------------------------------------------------------

def test_resolve_range_is_inclusive_and_oldest_first(five):
    days = [s.day for s in Archive(str(five.root)).resolve("fts", Selection.range(D[1], D[3]))]
    assert days == [D[1], D[2], D[3]]
    sources = Archive(str(five.root)).resolve("fts", Selection.last_days(2))
    assert [(s.day, s.final) for s in sources] == [(D[3], True), (D[4], False)]
    assert [sorted(f.path for f in s.files) for s in sources] == [
        sorted(five.path[t] for t in five.tags(D[3])), sorted(five.path[t] for t in five.tags(D[4]))]


def test_last_days_1_and_2_differ_by_one_day(five):
    arch = Archive(str(five.root))
    assert [s.day for s in arch.resolve("fts", Selection.last_days(1))] == [D[4]]
    assert [s.day for s in arch.resolve("fts", Selection.last_days(2))] == [D[3], D[4]]
    assert [s.day for s in arch.resolve("fts", Selection.latest())] == [D[4]]


def test_range_across_a_month_and_a_year_end(tmp_path):
    days = [dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 1, 2)]
    built = build(tmp_path / "archive", days, files=1)
    arch = Archive(str(built.root))
    assert arch.days_present("fts") == days
    assert arch.latest_day("fts") == days[-1]
    assert [s.day for s in arch.resolve("fts", Selection.range("31.12.2025", "2026-01-01"))] == days[1:3]
    assert [s.day for s in arch.resolve("fts", Selection.last_days(3))] == days[1:]


def test_latest_day_skips_empty_months_and_ignores_stray_entries(tmp_path):
    root = tmp_path / "archive"
    build(root, [dt.date(2025, 10, 30), dt.date(2025, 11, 3)], tmp_days=[dt.date(2025, 11, 2)], files=1)
    base = root / FTS_DIR
    (base / "2025" / "12").mkdir()                       # a newer month with no day in it
    (base / "2026" / "01").mkdir(parents=True)           # a newer year with an empty month
    (base / "2025" / "11" / "31").mkdir()                # no 31 November
    (base / "2025" / "11" / "7").mkdir()                 # one digit
    (base / "2025" / "11" / "09.old").mkdir()            # not DD or DD.tmp
    (base / "2025" / "11" / "28").write_text("a file named like a day")
    (base / "2025" / "11" / "_SUCCESS").write_text("")
    (base / "20255").mkdir()                             # five digits: no year
    (base / "2025" / "1").mkdir()                        # one digit: no month
    (base / "2025" / "1x").mkdir()
    (base / "backup" / "12").mkdir(parents=True)
    (base / "2099").write_text("a file named like a year")
    (base / "2025" / "12" / "01").write_text("a file named like a day in the empty month")
    (base / "2026" / "02").write_text("a file named like a month")
    arch = Archive(str(root))
    assert arch.latest_day("fts") == dt.date(2025, 11, 3)
    assert arch.days_present("fts") == [dt.date(2025, 10, 30), dt.date(2025, 11, 2), dt.date(2025, 11, 3)]
    assert [s.day for s in arch.resolve("fts", Selection.last_days(2))] == [dt.date(2025, 11, 2),
                                                                             dt.date(2025, 11, 3)]


def test_days_present_lists_every_day_folder_of_a_month(tmp_path):
    month = tmp_path / "archive" / FTS_DIR / "2025" / "11"
    november = [dt.date(2025, 11, d) for d in range(1, 31)]
    for day in november:
        (month / (f"{day:%d}.tmp" if day.day % 7 == 0 else f"{day:%d}")).mkdir(parents=True)
    for stray in ("00", "31", "32", "99", "00.tmp", "31.tmp"):              # no such days
        (month / stray).mkdir()
    arch = Archive(str(tmp_path / "archive"))
    assert arch.days_present("fts") == november
    assert arch.latest_day("fts") == dt.date(2025, 11, 30)


def test_latest_day_is_in_the_newest_month_of_the_newest_year(tmp_path):
    days = [dt.date(2024, 12, 31), dt.date(2025, 1, 5), dt.date(2025, 2, 1), dt.date(2025, 2, 14)]
    build(tmp_path / "archive", days, tmp_days=[dt.date(2025, 1, 20)], files=1)
    assert Archive(str(tmp_path / "archive")).latest_day("fts") == dt.date(2025, 2, 14)
    build(tmp_path / "archive", [], tmp_days=[dt.date(2025, 2, 15)], files=1)
    assert Archive(str(tmp_path / "archive")).latest_day("fts") == dt.date(2025, 2, 15)


def test_an_archive_without_days_is_an_error_naming_the_stream_folder(tmp_path):
    (tmp_path / "archive" / FTS_DIR / "2025" / "11").mkdir(parents=True)
    with pytest.raises(ArchiveError, match="holds no day folders") as e:
        Archive(str(tmp_path / "archive")).latest_day("fts")
    assert e.value.cause == "not-found" and e.value.path.endswith(FTS_DIR)
    base = tmp_path / "archive" / FTS_DIR
    assert e.value.message == f"the fts archive at {tmp_path / 'archive'} holds no day folders under {base}"
    assert e.value.remedy == "check --archive and --source; on lxplus check `hdfs dfs -ls` of that folder"
    with pytest.raises(ArchiveError) as e:                          # no stream folder at all
        Archive(str(tmp_path / "archive")).latest_day("rucio")
    assert e.value.cause == "not-found"
    assert e.value.message.startswith(f"The rucio archive {tmp_path / 'archive' / RUCIO_DIR} not found")


def test_the_streams_have_their_own_folders(tmp_path):
    root = tmp_path / "archive"
    build(root, [D[0]], files=1)
    write_part(day_dir(root, "rucio", D[1]), lines([rucio_record()]))
    arch = Archive(str(root))
    assert arch.stream_dir("fts") == f"{root}/{FTS_DIR}" and arch.stream_dir("rucio") == f"{root}/{RUCIO_DIR}"
    assert arch.latest_day("fts") == D[0] and arch.latest_day("rucio") == D[1]
    with pytest.raises(ValueError, match="unknown stream 'xrootd': choose one of fts, rucio"):
        arch.stream_dir("xrootd")


def test_day_source_of_a_final_and_a_tmp_folder_of_the_same_date(tmp_path):
    root = tmp_path / "archive"
    build(root, [D[2]], tmp_days=[D[2], D[3]], files=1)
    arch = Archive(str(root))
    both = arch.day_source("fts", D[2])
    assert both.day == D[2] and both.final is False
    assert [f.path.split("/")[-2] for f in both.files] == ["22", "22.tmp"]      # the final folder first
    only_tmp = arch.day_source("fts", D[3])
    assert only_tmp.final is False and [f.path.split("/")[-2] for f in only_tmp.files] == ["23.tmp"]
    final = Archive(str(build(tmp_path / "other", [D[2]], files=1).root)).day_source("fts", D[2])
    assert final.final is True


def test_day_source_lists_data_files_only(tmp_path):
    root = tmp_path / "archive"
    built = build(root, [D[1]], files=6)
    folder = day_dir(root, "fts", D[1])
    (folder / "_SUCCESS").write_text("")
    for k in range(4):
        (folder / f"_committed_{k}").write_text("{}")
        (folder / f".part-0000{k}-0000-c000.json.gz.crc").write_text("crc")
    (folder / "_temporary").mkdir()
    (folder / "nested").mkdir()
    write_part(folder / "nested", lines([fts_record("in a sub-folder")]), index=5)
    (folder / "part-00008-0000-c000.json.gz").write_bytes(b"")             # zero size
    source = Archive(str(root)).day_source("fts", D[1])
    assert sorted(f.path for f in source.files) == sorted(built.path.values())
    assert source.empty_files == [str(folder / "part-00008-0000-c000.json.gz")]
    for f in source.files:
        st = (folder / f.path.rsplit("/", 1)[1]).stat()
        assert f.size == st.st_size and f.mtime_ns == st.st_mtime_ns
    assert source.signature() == sorted([[f.path, f.size, f.mtime_ns] for f in source.files])


def test_a_day_folder_with_no_data_files_is_an_error(tmp_path):
    root = tmp_path / "archive"
    build(root, [D[0]], files=1)
    folder = day_dir(root, "fts", D[1], tmp=True)
    (folder / "_SUCCESS").write_text("")
    (folder / "part-00000.json.gz").write_bytes(b"")
    with pytest.raises(ArchiveError, match="lists no data files") as e:
        Archive(str(root)).day_source("fts", D[1])
    assert e.value.cause == "empty-day" and e.value.path == str(folder)
    assert e.value.message == f"the folder of fts day 2025-11-21 ({folder}) lists no data files"
    assert e.value.remedy == ("the day may still be being written, or the listing failed: retry later, and on "
                              "lxplus check `klist` and `hdfs dfs -ls` of that folder")
    final = day_dir(root, "fts", D[1])                               # 21/ beside 21.tmp/, both empty
    (final / "_SUCCESS").write_text("")
    with pytest.raises(ArchiveError) as e:
        Archive(str(root)).day_source("fts", D[1])
    assert e.value.path == str(final)
    assert e.value.message == f"the folder of fts day 2025-11-21 ({final}, {folder}) lists no data files"


def test_a_missing_day_is_an_error_naming_day_and_month_folder(tmp_path):
    root = tmp_path / "archive"
    build(root, [D[0], D[2]], files=1)
    arch = Archive(str(root))
    with pytest.raises(ArchiveError) as e:
        arch.resolve("fts", Selection.range(D[0], D[2]))
    assert e.value.cause == "not-found" and "fts day 2025-11-21" in e.value.message
    assert e.value.path == str(root / FTS_DIR / "2025" / "11")
    assert e.value.remedy == ("pick a day the archive has (the nearest days it has: 2025-11-20, 2025-11-22; opint "
                              "load without --date loads the latest); on HDFS an unreachable cluster also looks "
                              "like this: check `klist`")
    assert e.value.message.startswith(f"no folder for fts day 2025-11-21 in {root / FTS_DIR}/2025/11 (")
    with pytest.raises(ArchiveError) as e:                       # no month folder at all: the same error
        arch.day_source("fts", dt.date(2025, 9, 1))
    assert e.value.cause == "not-found" and e.value.path == str(root / FTS_DIR / "2025" / "09")
    assert e.value.message.startswith(f"no folder for fts day 2025-09-01 in {root / FTS_DIR}/2025/09 (")
    assert "the nearest days it has: 2025-11-22;" in e.value.remedy   # none near: the latest
    with pytest.raises(ArchiveError, match="2026-11-20"):
        arch.day_source("fts", dt.date(2026, 11, 20))


def test_the_nearest_days_are_found_across_a_month_boundary(tmp_path):
    root = tmp_path / "archive"
    days = [dt.date(2025, 10, 30), dt.date(2025, 10, 31), dt.date(2025, 12, 1), dt.date(2025, 12, 20)]
    build(root, days, files=1)
    arch = Archive(str(root))
    assert arch.nearest_days("fts", dt.date(2025, 11, 15)) == [dt.date(2025, 10, 30), dt.date(2025, 10, 31),
                                                               dt.date(2025, 12, 1)]
    assert arch.nearest_days("fts", dt.date(2025, 12, 18), k=1) == [dt.date(2025, 12, 20)]
    assert Archive(str(tmp_path / "nothing")).nearest_days("fts", dt.date(2025, 11, 15)) == []


def test_date_words_on_the_command_line(tmp_path, capsys):
    today = core.today_utc()
    built = build(tmp_path / "archive", [today - dt.timedelta(days=2), today - dt.timedelta(days=1)])
    for word, day in [("yesterday", today - dt.timedelta(days=1)), ("-2", today - dt.timedelta(days=2))]:
        assert run_load(built, capsys, "--date", word)[0] == str(day)
    err = cli_error(capsys, "load", "--archive", str(built.root), "--no-cache", "--date", "today")
    assert f"no folder for fts day {today}" in err
    assert f"the nearest days it has: {today - dt.timedelta(days=2)}, {today - dt.timedelta(days=1)};" in err


def test_path_list_sources_group_by_day(five, tmp_path):
    other = tmp_path / "loose"
    other.mkdir()
    loose = other / "part-1.json.gz"
    loose.write_bytes(open(five.path[tag(D[0], 0)], "rb").read())
    empty = day_dir(five.root, "fts", D[2]) / "part-00007.json.gz"
    empty.write_bytes(b"")
    bad_date = five.root / "x" / "2025" / "13" / "45"
    bad_date.mkdir(parents=True)
    (bad_date / "part-0.json.gz").write_bytes(open(five.path[tag(D[0], 1)], "rb").read())
    arch = Archive(f"file://{five.root}")
    sources = arch.resolve("fts", Selection(paths=(
        str(loose), five.path[tag(D[3], 0)], f"file://{day_dir(five.root, 'fts', D[4], tmp=True)}",
        str(empty), five.path[tag(D[1], 1)], five.path[tag(D[3], 1)], str(bad_date / "part-0.json.gz"))))
    assert [s.day for s in sources] == [D[1], D[2], D[3], D[4], None]
    by_day = {s.day: s for s in sources}
    assert [f.path for f in by_day[D[1]].files] == [five.path[tag(D[1], 1)]] and by_day[D[1]].final
    assert by_day[D[2]].files == [] and by_day[D[2]].empty_files == [str(empty)]
    assert [f.path for f in by_day[D[3]].files] == [five.path[tag(D[3], 0)], five.path[tag(D[3], 1)]]
    assert by_day[D[3]].final is True
    assert sorted(f.path for f in by_day[D[4]].files) == sorted(five.path[t] for t in five.tags(D[4]))
    assert by_day[D[4]].final is False
    assert sorted(f.path for f in by_day[None].files) == sorted([str(loose), str(bad_date / "part-0.json.gz")])
    assert by_day[None].final is False
    f = by_day[D[1]].files[0]
    assert f.size == os.stat(f.path).st_size and f.mtime_ns == os.stat(f.path).st_mtime_ns


def test_path_list_relative_paths_hang_off_the_archive_root(five):
    rel = five.path[tag(D[2], 0)].removeprefix(str(five.root) + "/")
    sources = Archive(str(five.root)).resolve("fts", Selection(paths=(rel,)))
    assert [(s.day, [f.path for f in s.files]) for s in sources] == [(D[2], [five.path[tag(D[2], 0)]])]
    with pytest.raises(ArchiveError, match="the listed path 'nope/part-0.json.gz' does not exist") as e:
        Archive(str(five.root)).resolve("fts", Selection(paths=("nope/part-0.json.gz",)))
    assert e.value.cause == "not-found" and e.value.path == f"{five.root}/nope/part-0.json.gz"
    assert e.value.remedy == "fix or remove that line of the path list"


def test_an_archive_at_the_root_of_its_filesystem(five):
    """hdfs://analytix opens with the root "": paths are relative to the filesystem. The same on a real
    local folder seen through pyarrow's SubTreeFileSystem."""
    import pyarrow.fs as pafs

    arch = Archive(str(five.root))
    arch.fs, arch.root = pafs.SubTreeFileSystem(str(five.root), pafs.LocalFileSystem()), ""
    assert arch.stream_dir("fts") == FTS_DIR
    assert arch.latest_day("fts") == D[4] and arch.days_present("fts") == D
    sources = arch.resolve("fts", Selection.range(D[1], D[2]))
    rel = {t: p.removeprefix(f"{five.root}/") for t, p in five.path.items()}
    assert [sorted(f.path for f in s.files) for s in sources] == [sorted(rel[t] for t in five.tags(d))
                                                                  for d in (D[1], D[2])]
    listed = arch.resolve("fts", Selection(paths=(rel[tag(D[3], 0)], f"hdfs://analytix/{rel[tag(D[0], 1)]}")))
    assert [(s.day, [f.path for f in s.files]) for s in listed] == [
        (D[0], [f"/{rel[tag(D[0], 1)]}"]), (D[3], [rel[tag(D[3], 0)]])]


# --- the command line ---------------------------------------------------------------------------

def run_report(built, tmp_path, *args):
    """`opint report --format json -o FILE` on the archive: (days, failures, final) of the JSON report."""
    out = tmp_path / "report.json"
    out.unlink(missing_ok=True)
    assert main(["report", "--archive", str(built.root), "--no-cache", "--format", "json", "-o", str(out),
                 *args]) == 0
    report = json.loads(out.read_text())
    return report["days"], built.decode(report["failures"]), report["final"]


def run_load(built, capsys, *args, cache=False):
    """`opint load`: (days, files, final, output) as printed; the files from the per-file error categories,
    checked against the totals of files and failures."""
    capsys.readouterr()
    argv = ["load", "--archive", str(built.root), "--top", "50", *args]
    assert main(argv if cache else argv + ["--no-cache"]) == 0
    out = capsys.readouterr().out
    head = headline(out)
    days = head.split(": ", 1)[1].split("  (")[0]
    shown = dict((t, int(n.replace(",", ""))) for t, n in re.findall(r"^(F\d{8}-\d(?:\.tmp)?)\s+([\d,]+)", out, re.M))
    for t, n in shown.items():
        assert built.count[t] == n, f"{t}: {n} failures shown, the file holds {built.count[t]}"
    failures = int(re.search(r"failures ([\d,]+)", out).group(1).replace(",", ""))
    files = int(re.search(r"files ([\d,]+)", out).group(1))
    assert built.decode(failures) == set(shown) and files == len(shown), out
    return days, set(shown), "still being written" not in head, out


def headline(out: str) -> str:
    """The summary's first line: "<stream> errors, <selection>: <days>[  (… .tmp)]"."""
    return re.search(r"^(?:fts|rucio) errors, .*$", out, re.M).group(0)


def iso(*days) -> list[str]:
    return [str(d) for d in days]


def test_report_range_of_three_days_in_the_middle_of_five(five, tmp_path):
    days, files, final = run_report(five, tmp_path, "--from", "2025-11-21", "--to", "2025-11-23")
    assert days == iso(D[1], D[2], D[3])
    assert files == five.tags(D[1], D[2], D[3])     # the 20th and the 24th are not read
    assert final


def test_load_range_of_three_days_in_the_middle_of_five(five, capsys):
    days, files, final, out = run_load(five, capsys, "--from", "21.11.2025", "--to", "23/11/2025")
    assert days == "2025-11-21, 2025-11-22, 2025-11-23"
    assert files == five.tags(D[1], D[2], D[3]) and final
    assert "2025-11-21 .. 2025-11-23" in headline(out)   # the selection as described


def test_range_of_four_days_prints_first_and_last(five, capsys, tmp_path):
    days, files, _, _ = run_load(five, capsys, "--from", "2025-11-20", "--to", "2025-11-23")
    assert days == "2025-11-20 .. 2025-11-23" and files == five.tags(*D[:4])
    assert run_report(five, tmp_path, "--from", "2025-11-20", "--to", "2025-11-23")[:2] == (iso(*D[:4]), files)


def test_range_of_one_day(five, tmp_path, capsys):
    assert run_report(five, tmp_path, "--from", "2025-11-22", "--to", "2025-11-22")[:2] == (iso(D[2]),
                                                                                            five.tags(D[2]))
    assert run_load(five, capsys, "--from", "2025-11-22", "--to", "2025-11-22")[:2] == ("2025-11-22",
                                                                                        five.tags(D[2]))


@pytest.mark.parametrize("form", ["2025-11-22", "22.11.2025", "22/11/2025"])
def test_date_loads_exactly_that_day(five, tmp_path, capsys, form):
    assert run_report(five, tmp_path, "--date", form) == (iso(D[2]), five.tags(D[2]), True)
    assert run_load(five, capsys, "--date", form)[:3] == ("2025-11-22", five.tags(D[2]), True)


def test_last_1_is_the_newest_day_even_in_tmp(five, tmp_path, capsys):
    assert run_report(five, tmp_path, "--last", "1") == (iso(D[4]), five.tags(D[4]), False)
    days, files, final, out = run_load(five, capsys, "--last", "1")
    assert (days, files, final) == ("2025-11-24", five.tags(D[4]), False)
    assert "last 1 day:" in headline(out)


def test_last_3_ends_at_the_newest_day(five, tmp_path, capsys):
    assert run_report(five, tmp_path, "--last", "3") == (iso(D[2], D[3], D[4]), five.tags(D[2], D[3], D[4]), False)
    days, files, final, out = run_load(five, capsys, "--last", "3")
    assert (days, files, final) == ("2025-11-22, 2025-11-23, 2025-11-24", five.tags(*D[2:]), False)
    assert "last 3 days:" in headline(out)


def test_last_5_is_the_whole_archive(five, tmp_path):
    assert run_report(five, tmp_path, "--last", "5")[:2] == (iso(*D), five.tags(*D))


def test_no_selection_is_the_latest_day_the_tmp_one(five, tmp_path, capsys):
    assert run_report(five, tmp_path) == (iso(D[4]), five.tags(D[4]), False)
    days, files, final, out = run_load(five, capsys)
    assert (days, files, final) == ("2025-11-24", five.tags(D[4]), False)
    assert "latest day: 2025-11-24  (includes a day still being written: .tmp)" in headline(out)


def test_latest_is_a_final_day_when_no_tmp_day_is_newer(tmp_path, capsys):
    built = build(tmp_path / "archive", D[:3], tmp_days=[D[0]])   # an old day still has a .tmp folder
    assert run_report(built, tmp_path) == (iso(D[2]), built.tags(D[2]), True)
    assert run_load(built, capsys)[:3] == ("2025-11-22", built.tags(D[2]), True)


def test_flags_before_the_command_select_too(five, capsys):
    capsys.readouterr()
    assert main(["--archive", str(five.root), "--from", "2025-11-21", "--to", "2025-11-22", "--no-cache",
                 "load", "--top", "50"]) == 0
    out = capsys.readouterr().out
    assert headline(out).endswith(": 2025-11-21, 2025-11-22")
    assert set(re.findall(r"^(F\d{8}-\d)\s", out, re.M)) == five.tags(D[1], D[2])


def test_tmp_day_of_the_same_date_as_a_final_day_adds_its_files(tmp_path, capsys):
    built = build(tmp_path / "archive", D[:3], tmp_days=[D[2]])    # 22/ and 22.tmp/ both exist
    both = built.tags(D[2]) | {t + ".tmp" for t in built.tags(D[2])}
    assert run_report(built, tmp_path, "--date", "2025-11-22") == (iso(D[2]), both, False)
    assert run_load(built, capsys, "--last", "2")[:3] == ("2025-11-21, 2025-11-22", built.tags(D[1]) | both, False)


def test_load_caches_the_final_days_it_read_and_not_the_tmp_day(five, capsys, tmp_path):
    days, files, _, _ = run_load(five, capsys, "--last", "3", cache=True)
    cache_root = os.environ["OPINT_CACHE_DIR"]
    cached = sorted(p.stem for p in Path(cache_root).rglob("*.parquet"))
    assert cached == iso(D[2], D[3])        # not the 24th (.tmp), nor days outside the selection
    again = run_load(five, capsys, "--last", "3", cache=True)
    assert again[:2] == (days, files) and "(2 days from cache)" in again[3]


# --- paths files --------------------------------------------------------------------------------

def test_paths_file_with_two_files_reads_only_those(five, tmp_path, capsys):
    listing = tmp_path / "paths.txt"
    # the 23rd first: days come out oldest first all the same
    listing.write_text(f"# two parts\n\n  {five.path[tag(D[3], 1)]}  \n{five.path[tag(D[1], 0)]}\n")
    want = {tag(D[1], 0), tag(D[3], 1)}
    assert run_report(five, tmp_path, "--paths-file", str(listing)) == (iso(D[1], D[3]), want, True)
    days, files, final, out = run_load(five, capsys, "--paths-file", str(listing))
    assert (days, files, final) == ("2025-11-21, 2025-11-23", want, True)
    assert f"2 paths from {listing}" in headline(out)


def test_paths_file_with_a_folder_a_uri_and_a_relative_path(five, tmp_path):
    folder = day_dir(five.root, "fts", D[0])
    rel = f"{FTS_DIR}/2025/11/24.tmp/{five.path[tag(D[4], 1)].rsplit('/', 1)[1]}"
    listing = tmp_path / "paths.txt"
    listing.write_text(f"file://{folder}\n{rel}\n")
    days, files, final = run_report(five, tmp_path, "--paths-file", str(listing))
    assert days == iso(D[0], D[4]) and files == five.tags(D[0]) | {tag(D[4], 1)}
    assert not final                         # a part of the .tmp day


def test_paths_file_with_a_file_outside_the_layout(five, tmp_path, capsys):
    elsewhere = tmp_path / "copies"
    elsewhere.mkdir()
    copy = elsewhere / "part-00000.json.gz"
    copy.write_bytes(open(five.path[tag(D[2], 0)], "rb").read())
    listing = tmp_path / "paths.txt"
    listing.write_text(f"{copy}\n{five.path[tag(D[1], 1)]}\n")
    days, files, final, out = run_load(five, capsys, "--paths-file", str(listing))
    assert days == "2025-11-21" and files == {tag(D[2], 0), tag(D[1], 1)}
    assert final is False                      # a file of no known day is never final


def test_paths_file_naming_a_missing_file_is_an_error(five, tmp_path, capsys):
    listing = tmp_path / "paths.txt"
    listing.write_text(f"{five.path[tag(D[1], 0)]}\n{five.root}/nope/part-9.json.gz\n")
    assert main(["load", "--archive", str(five.root), "--no-cache", "--paths-file", str(listing)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "nope/part-9.json.gz" in err and "does not exist" in err


# --- selection errors on the command line ------------------------------------------------------

def cli_error(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    captured = capsys.readouterr()
    assert "failures" not in captured.out
    return " ".join(captured.err.split())


@pytest.mark.parametrize("command", ["load", "report"])
def test_from_after_to_is_an_error_naming_both_days(five, tmp_path, capsys, command):
    out = tmp_path / "r.json"
    extra = ["-o", str(out)] if command == "report" else []
    err = cli_error(capsys, command, "--archive", str(five.root), "--from", "2025-11-23", "--to", "21.11.2025",
                    *extra)
    assert "opint: error:" in err and "2025-11-23 .. 2025-11-21" in err and "inverted" in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["load", "report"])
def test_gap_day_inside_a_range_is_an_error_naming_it(tmp_path, capsys, command):
    built = build(tmp_path / "archive", [D[0], D[1], D[3], D[4]])        # no folder for the 22nd
    err = cli_error(capsys, command, "--archive", str(built.root), "--no-cache", "--from", "2025-11-21",
                    "--to", "2025-11-23")
    assert "no folder for fts day 2025-11-22" in err and "what to do:" in err
    # the days around the gap load on their own
    assert run_report(built, tmp_path, "--from", "2025-11-23", "--to", "2025-11-24")[:2] == (
        iso(D[3], D[4]), built.tags(D[3], D[4]))


def test_last_n_over_a_gap_is_an_error_naming_the_missing_day(tmp_path, capsys):
    built = build(tmp_path / "archive", [D[0], D[1], D[3], D[4]])
    assert "no folder for fts day 2025-11-22" in cli_error(capsys, "load", "--archive", str(built.root),
                                                           "--no-cache", "--last", "3")
    assert run_load(built, capsys, "--last", "2")[:2] == ("2025-11-23, 2025-11-24", built.tags(D[3], D[4]))


def test_last_n_beyond_the_oldest_day_is_an_error(five, capsys):
    assert "no folder for fts day 2025-11-19" in cli_error(capsys, "load", "--archive", str(five.root),
                                                           "--no-cache", "--last", "6")


@pytest.mark.parametrize("argv, message", [
    (["--from", "2025-11-21"], "a range needs both --from and --to"),
    (["--to", "2025-11-21"], "a range needs both --from and --to"),
    (["--date", "2025-11-21", "--last", "2"], "choose one selection, not --date and --last"),
    (["--from", "2025-11-21", "--to", "2025-11-22", "--date", "2025-11-21"],
     "choose one selection, not --date and --from/--to"),
    (["--date", "2025-11-31"], "cannot read the date '2025-11-31'"),
    (["--date", "11/21/2025"], "use YYYY-MM-DD"),
    (["--last", "-2"], "--last needs at least 1 day, got -2"),
])
def test_bad_selections_are_errors(five, capsys, argv, message):
    assert message in cli_error(capsys, "load", "--archive", str(five.root), "--no-cache", *argv)


def test_rucio_source_reads_the_rucio_stream(tmp_path, capsys):
    root = tmp_path / "archive"
    build(root, D[:2])                                           # fts days must not be read
    for k, day in enumerate(D[1:3]):
        folder = day_dir(root, "rucio", day)
        write_part(folder, lines([rucio_record(f"rucio reason {day}") for _ in range(k + 1)]))
    capsys.readouterr()
    assert main(["load", "--archive", str(root), "--no-cache", "--source", "rucio"]) == 0
    out = capsys.readouterr().out
    assert headline(out).startswith("rucio errors, latest day: 2025-11-22")
    assert "failures 2 " in out


# --- bugs found by these tests, fixed by issue 18 ------------------------------------------------

def test_paths_file_day_comes_from_the_archive_layout_not_a_dated_root(tmp_path):
    built = build(tmp_path / "snapshots" / "2024" / "05" / "01" / "archive", [D[1]], files=1)
    sources = Archive(str(built.root)).resolve("fts", Selection(paths=(built.path[tag(D[1], 0)],)))
    assert [s.day for s in sources] == [D[1]]                  # was: [2024-05-01]


def test_paths_file_reads_a_file_listed_twice_once(five, tmp_path):
    listing = tmp_path / "paths.txt"
    listing.write_text(f"{five.path[tag(D[1], 0)]}\n{day_dir(five.root, 'fts', D[1])}\n")
    out = tmp_path / "report.json"
    assert main(["report", "--archive", str(five.root), "--no-cache", "--format", "json", "-o", str(out),
                 "--paths-file", str(listing)]) == 0
    report = json.loads(out.read_text())
    assert report["days"] == iso(D[1])
    assert report["failures"] == five.failures(five.tags(D[1]))     # was: the first file's failures twice


def test_paths_file_takes_percent_encoded_file_uris(tmp_path):
    built = build(tmp_path / "my archive", [D[1]], files=1)
    uri = Path(built.path[tag(D[1], 0)]).as_uri()              # file:///…/my%20archive/…
    sources = Archive(str(built.root)).resolve("fts", Selection(paths=(uri,)))
    assert [f.path for s in sources for f in s.files] == [built.path[tag(D[1], 0)]]


def test_last_0_is_an_error(five, capsys):
    assert "at least 1 day" in cli_error(capsys, "load", "--archive", str(five.root), "--no-cache", "--last", "0")


# --- the app's load dialog ----------------------------------------------------------------------

def make_app(built, tmp_path):
    from opint_tui.app import OpintApp

    return OpintApp(core.Request(str(built.root), Selection.latest(), "fts", use_cache=False),
                    store=TriageStore(tmp_path / "store", user="shifter"), export_dir=str(tmp_path))


async def loaded(app, pilot, previous=None):
    """Wait for a finished load newer than `previous`: (days, failures) of the app's analysis."""
    await wait_until(pilot, lambda: app.analysis is not None and app.analysis is not previous and not app.loading,
                     "the app has loaded")
    return [str(d) for d in app.analysis.report.days], app.analysis.errors.failures


async def choose(app, pilot, mode, **fields):
    """Open the load dialog (key o), pick the mode (a click on its radio button), fill in the fields, ctrl+s."""
    from opint_tui.screens.dialogs import LoadScreen

    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, LoadScreen), "the load dialog is open")
    dialog = app.screen
    await pilot.click(f"#mode-{mode}")
    await wait_until(pilot, lambda: dialog._mode() == mode, f"the dialog's mode is {mode}")
    for name, value in fields.items():
        dialog.query_one(f"#{name}").value = value
    await pilot.press("ctrl+s")
    return dialog


async def test_load_dialog_loads_the_chosen_days(five, tmp_path):
    app = make_app(five, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await loaded(app, pilot) == (iso(D[4]), five.failures(five.tags(D[4])))   # latest: the .tmp day
        steps = [("day", {"first": "21.11.2025"}, [D[1]]),
                 ("range", {"first": "2025-11-21", "last": "2025-11-23"}, [D[1], D[2], D[3]]),
                 ("range", {"first": "2025-11-22", "last": "2025-11-22"}, [D[2]]),
                 ("last", {"n": "1"}, [D[4]]),
                 ("last", {"n": "3"}, [D[2], D[3], D[4]]),
                 ("latest", {}, [D[4]])]
        for mode, fields, days in steps:
            shown = app.analysis
            await choose(app, pilot, mode, **fields)
            got = await loaded(app, pilot, shown)
            assert got == (iso(*days), five.failures(five.tags(*days))), (mode, fields, got)
            assert app.analysis.report.final == (D[4] not in days)
            assert app.source.archive == str(five.root) and app.source.use_cache is False


async def test_load_dialog_refuses_a_bad_selection_and_keeps_the_data(five, tmp_path):
    from opint_tui.screens.dialogs import LoadScreen

    app = make_app(five, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(app, pilot)
        shown = app.analysis
        refused = [("range", {"first": "2025-11-23", "last": "2025-11-21"},
                    "the range 2025-11-23 .. 2025-11-21 is inverted"),
                   ("last", {"n": "0"}, "--last needs at least 1 day, got 0"),
                   ("last", {"n": "three"}, "--last needs a number of days, got 'three'"),
                   ("day", {"first": "2025-13-01"}, "cannot read the date '2025-13-01'")]
        for mode, fields, message in refused:
            dialog = await choose(app, pilot, mode, **fields)
            error = dialog.query_one("#error")
            await wait_until(pilot, lambda: message in str(error.render()), f"the dialog shows {message!r}")
            assert isinstance(app.screen, LoadScreen) and not app.loading and app.analysis is shown
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, LoadScreen), "the dialog is closed")
        assert app.analysis is shown and app.analysis.report.days == [D[4]]
