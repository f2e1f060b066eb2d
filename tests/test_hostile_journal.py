"""Hostile and unlucky journals and config files (issue 18): the team store's journals and the
config, driven by the corpus of tests/hostile (real journal files in real store folders, real
config files, the real CLI and app), and a Hypothesis fuzz of the journal fold.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import opint_core as core
from hostile.configs import CONFIG_CASES
from hostile.journals import (
    DAMAGE_CASES, GOOD_TIME, KEYS, TIME_CASES, append, change, concurrent_writers, journal_line,
    symlinked_journal_store, symlinked_own_journal, time_store, valid_change,
)
from opint_core.triage import UNKNOWN_TIME, Change, StoreError, TriageStore, default_store_dir
from opint_core.triage.journal import OUT_OF_RANGE, TOO_FAR_AHEAD
from opint_tui.cli import main

CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def labels(store: TriageStore) -> dict[str, str | None]:
    return {k: a.label for k, a in store.annotations().items()}


@pytest.fixture
def wide(monkeypatch):
    """The CLI's messages on one line each, whatever their length (rich wraps at the terminal width)."""
    monkeypatch.setenv("COLUMNS", "1000")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file() and not p.is_symlink()}


# --------------------------------------------------------------------------------------------------
# 1-3. a time no real change can have: read as unknown, counted as repaired, named in a warning

WHY = {OUT_OF_RANGE: "is outside the years 1 to 9999 in UTC",
       TOO_FAR_AHEAD: "is more than a day ahead of this computer's clock"}


@pytest.mark.parametrize("case", TIME_CASES, ids=lambda c: c.name)
def test_a_line_with_an_impossible_time_is_read_as_of_unknown_time(tmp_path, case):
    built = time_store(tmp_path / "team", case)
    before = snapshot(built.directory)
    store = TriageStore(built.directory, user="reader")
    hostile = store.get(built.key)
    # the line is read, as of the earliest time: its ticket is there; its label loses to an earlier real change
    assert (hostile.label, hostile.ticket, hostile.time) == ("good, earlier", "GGUS:666", GOOD_TIME)
    assert hostile.changes["ticket"] == Change("bob", UNKNOWN_TIME)
    assert labels(store) == built.good and store.get("c-before").status == "known"  # nothing else changes
    shown = repr(case.time) if len(case.time) <= 40 else repr(case.time[:40]) + "..."
    assert store.warnings == [
        f"{built.journal}:{built.line}: the time {shown} {WHY[case.reason]}: the change is read as of an unknown "
        f"time, so every change with a real time wins over it. The line is left as it is; make the change again "
        f"if it is still wanted, and check the clock of the computer that wrote it"]
    assert store.repaired == {case.reason: 1}
    assert snapshot(built.directory) == before  # reading writes nothing


@pytest.mark.parametrize("case", TIME_CASES, ids=lambda c: c.name)
def test_a_key_with_an_impossible_time_can_be_annotated_and_the_new_change_wins(tmp_path, case):
    built = time_store(tmp_path / "team", case)
    bob_before = built.journal.read_bytes()
    alice = TriageStore(built.directory, user="alice")
    assert alice.get(built.key).ticket == "GGUS:666"
    started = now()
    alice.annotate(built.key, label="alice's, later")
    alice.annotate(built.key, status="known")
    written = [json.loads(x) for x in (built.directory / "alice.jsonl").read_bytes().splitlines()]
    # real stamps: the impossible time drags nothing along
    assert all(started < w["time"] <= now() for w in written) and written[0]["time"] < written[1]["time"]
    fresh = TriageStore(built.directory, user="reader")
    a = fresh.get(built.key)
    assert (a.label, a.status, a.author, a.time) == ("alice's, later", "known", "alice", written[1]["time"])
    assert labels(fresh) == {**built.good, built.key: "alice's, later"}
    assert built.journal.read_bytes() == bob_before


def test_a_repaired_line_is_counted_once_across_incremental_reloads(tmp_path):
    built = time_store(tmp_path / "team", TIME_CASES[0])
    store = TriageStore(built.directory, user="reader")
    store.annotations()
    assert store.repaired == {TIME_CASES[0].reason: 1}
    append(built.journal, {"v": 1, "key": "c-new", "set": {"label": "new"}, "author": "bob",
                           "time": "2099-01-01T00:00:00Z", "seq": 9, "w": "w1"})
    store.reload()
    assert store.repaired == {TIME_CASES[0].reason: 1, TIME_CASES[-1].reason: 1}
    assert [w.split(": ")[0] for w in store.warnings] == [f"{built.journal}:3", f"{built.journal}:5"]
    assert store.get("c-new").time == UNKNOWN_TIME


def test_a_time_within_a_day_ahead_is_still_read_as_written(tmp_path):
    """A clock a few hours ahead (or set to local time as if UTC) is no impossible time: its change keeps
    its time, and a change made after reading it is stamped after it (the stamp-after rule)."""
    ahead = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=14)).isoformat(timespec="microseconds")
    append(tmp_path / "bob.jsonl", {"v": 1, "key": "c1", "set": {"label": "ahead"}, "author": "bob", "time": ahead})
    alice = TriageStore(tmp_path, user="alice")
    assert alice.get("c1").time == ahead and alice.warnings == []  # (every repair is warned about)
    alice.annotate("c1", label="after")
    assert json.loads((tmp_path / "alice.jsonl").read_bytes())["time"] > ahead
    assert labels(TriageStore(tmp_path, user="x")) == {"c1": "after"}


@pytest.mark.parametrize("case", [c for c in TIME_CASES if c.name in ("utc-offset-pushes-past-9999", "maximal-time",
                                                                      "dated-2099")], ids=lambda c: c.name)
def test_the_cli_annotates_and_reports_over_a_store_with_an_impossible_time(tmp_path, sample_root, capsys, wide,
                                                                            case):
    built = time_store(tmp_path / "team", case)
    store = str(built.directory)
    assert main(["annotate", built.key, "--label", "from the cli", "--store", store, "--force"]) == 0
    out = tmp_path / "report.json"
    assert main(["report", "--archive", sample_root, "--format", "json", "-o", str(out), "--store", store]) == 0
    assert f"{built.journal}:{built.line}: the time " in capsys.readouterr().err
    assert json.loads(out.read_text())["categories"]  # the report is written
    assert TriageStore(built.directory, user="x").get(built.key).label == "from the cli"


async def test_the_app_opens_over_a_store_with_an_impossible_time(sample_root, sample_analysis, tmp_path):
    from opint_tui.app import OpintApp
    from waits import wait_until

    key = sample_analysis.clustering.categories[0].key
    directory = tmp_path / "team"
    directory.mkdir()
    append(directory / "bob.jsonl", {"v": 1, "key": key, "set": {"label": "set at the end of time"},
                                     "author": "bob", "time": "9999-12-31T23:00:00-05:00", "seq": 1, "w": "w1"})
    app = OpintApp(core.Request(sample_root, core.Selection.latest()), store=TriageStore(directory, user="shifter"),
                   analysis=sample_analysis, export_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: any(r.key == key and r.label == "set at the end of time"
                                            for r in app.overview.shown),
                         "the overview to show the label of the line with an impossible time")
        assert app.store.repaired


# --------------------------------------------------------------------------------------------------
# 4. links named like journals are neither read nor written through

def test_a_symlinked_journal_in_a_store_is_reported_and_not_read(tmp_path):
    built = symlinked_journal_store(tmp_path / "team")
    store = TriageStore(built.directory, user="reader")
    assert labels(store) == {"c1": "bob's"}  # not c-secret: the file the link points at is not read
    assert store.warnings == [f"{built.link}: a symbolic link, not a journal; not read (a link in a store could "
                              f"show, or make opint write to, any file). Replace it by the journal file itself, "
                              f"or remove it"]
    assert built.target.read_bytes() == built.target_bytes


def test_a_journal_replaced_by_a_link_between_reads_loses_its_changes(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    append(team / "mallory.jsonl", {"v": 1, "key": "c9", "set": {"label": "was a file"}, "author": "mallory",
                                    "time": "2026-11-20T08:00:00.000000+00:00"})
    store = TriageStore(team, user="reader")
    assert labels(store) == {"c9": "was a file"}
    (team / "mallory.jsonl").rename(tmp_path / "elsewhere.jsonl")
    (team / "mallory.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")
    store.reload()
    assert labels(store) == {} and store.warnings[0].startswith(f"{team / 'mallory.jsonl'}: a symbolic link")


def test_writing_to_a_symlinked_own_journal_is_refused_and_changes_nothing(tmp_path):
    built = symlinked_own_journal(tmp_path / "team", "alice")
    store = TriageStore(built.directory, user="alice")
    with pytest.raises(StoreError) as info:
        store.annotate("c1", label="x")
    e = info.value
    assert e.path == built.link
    assert e.message == (f"cannot save the change to {built.link}: it is a symbolic link (to {built.target}), and "
                         f"opint does not write through links. The change is NOT saved; nothing saved before was "
                         f"changed")
    assert e.remedy == (f"remove the link ({built.link}): the next change creates the journal there. If it points "
                        f"at your journal elsewhere, move that file in its place, or use its directory as the "
                        f"store (--store DIR)")
    assert built.target.read_bytes() == built.target_bytes and built.link.is_symlink()
    assert labels(TriageStore(built.directory, user="x")) == {}


def test_the_cli_refuses_to_annotate_through_a_symlinked_journal(tmp_path, capsys, monkeypatch, wide):
    built = symlinked_own_journal(tmp_path / "team", "alice")
    monkeypatch.setenv("USER", "alice")
    assert main(["annotate", "c1", "--label", "x", "--store", str(built.directory), "--force"]) == 2
    err = capsys.readouterr().err
    assert "opint: error: cannot save the change to" in err and "symbolic link" in err
    assert "what to do: remove the link" in err
    assert built.target.read_bytes() == built.target_bytes


def test_a_symlinked_personal_journal_is_refused_and_its_replacement_is_created_0600(tmp_path):
    personal = default_store_dir()  # in the test's own data dir (conftest)
    built = symlinked_own_journal(personal, "alice")
    store = TriageStore(user="alice")
    assert store.personal
    with pytest.raises(StoreError, match="symbolic link"):
        store.annotate("c1", label="x")
    built.link.unlink()  # what the remedy says
    old = os.umask(0)
    try:
        store.annotate("c1", label="x")
    finally:
        os.umask(old)
    assert stat.S_ISREG(os.lstat(built.link).st_mode) and stat.S_IMODE(os.lstat(built.link).st_mode) == 0o600
    assert built.target.read_bytes() == built.target_bytes
    assert labels(TriageStore(user="reader")) == {"c1": "x"}


# --------------------------------------------------------------------------------------------------
# what crashes and racing writers leave (held up already: kept in the corpus)

@pytest.mark.parametrize("case", DAMAGE_CASES, ids=lambda c: c.name)
def test_damaged_journals_keep_every_complete_change(tmp_path, case):
    journal = tmp_path / "bob.jsonl"
    journal.write_bytes(case.content)
    store = TriageStore(tmp_path, user="reader")
    assert labels(store) == case.labels
    assert [int(w.split(": ")[0].rsplit(":", 1)[1]) for w in store.warnings] == list(case.warned_lines)
    TriageStore(tmp_path, user="bob").annotate("c9", label="appended")  # never glued onto a fragment
    assert labels(TriageStore(tmp_path, user="reader")) == {**case.labels, "c9": "appended"}
    assert journal.read_bytes().startswith(case.content)


def test_concurrent_writers_of_one_journal_lose_nothing(tmp_path):
    written = concurrent_writers(tmp_path, "alice", writers=3, changes=60)
    store = TriageStore(tmp_path, user="reader")
    assert labels(store) == written and store.warnings == []


# --------------------------------------------------------------------------------------------------
# 5. config files

@pytest.mark.parametrize("case", CONFIG_CASES, ids=lambda c: c.name)
def test_a_bad_config_file_is_a_clear_error_naming_it(tmp_path, case):
    path = case.write(tmp_path)
    with pytest.raises(core.ConfigError) as info:
        core.load_config(path)
    assert case.message.format(path=path) in info.value.message
    assert case.remedy in info.value.remedy


@pytest.mark.parametrize("case", [c for c in CONFIG_CASES if c.new], ids=lambda c: c.name)
def test_the_cli_stops_on_a_bad_config_and_writes_nothing(tmp_path, monkeypatch, capsys, wide, case):
    path = case.write(tmp_path)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert main(["annotate", "c1", "--label", "x", "--config", str(path), "--force"]) == 2
    err = capsys.readouterr().err
    assert f"opint: error: {case.message.format(path=path)}" in err and "what to do: " in err
    assert list(cwd.iterdir()) == [] and not default_store_dir().exists()


def test_an_empty_store_path_is_refused_by_the_store_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="the triage store path is empty") as info:
        TriageStore("", user="alice")
    assert "--store DIR" in info.value.remedy and list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------
# 6. fuzz: arbitrary lines never break reading, and never beat or hide good changes

@dataclass
class Written:
    journals: dict[str, list[bytes]]   # journal name -> its lines (without newlines)
    valid: list[dict]                  # the good changes among them


@st.composite
def stores(draw) -> Written:
    journals: dict[str, list[bytes]] = {"bob": [], "carol": []}
    valid = []
    for name, content in draw(st.lists(st.tuples(st.sampled_from(sorted(journals)),
                                                 st.one_of(journal_line, valid_change())), max_size=24)):
        if isinstance(content, dict):
            valid.append(content)
            content = json.dumps(content).encode()
        journals[name].append(content)
    return Written(journals, valid)


def write_store(directory: Path, written: Written, reverse: bool = False) -> None:
    directory.mkdir()
    for name, lines in written.journals.items():
        (directory / f"{name}.jsonl").write_bytes(b"".join(x + b"\n" for x in (lines[::-1] if reverse else lines)))


def state(store: TriageStore) -> str:
    """Everything a reader gets, as comparable text (NaN equals itself here)."""
    annotations = {k: (a.to_dict(), dict(a.changes)) for k, a in store.annotations().items()}
    return json.dumps([annotations, store.merge_records(), store.patterns()], sort_keys=True, default=repr)


@dataclass(frozen=True)
class Cat:
    key: str
    pattern: str


FUZZ = settings(max_examples=int(os.environ.get("OPINT_FUZZ_EXAMPLES", "100")),  # more for a deeper local run
                deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


_GOOD = change("c1", GOOD_TIME, "carol", label="good")


@FUZZ
@given(stores())
@example(Written({"bob": [json.dumps(change("c1", t.time, label="hostile")).encode() for t in TIME_CASES],
                  "carol": [json.dumps(_GOOD).encode()]}, [_GOOD]))  # every known class, every run
def test_fuzz_reading_never_raises_and_good_changes_are_never_lost(written):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "store"
        write_store(d, written)
        before = snapshot(d)
        store = TriageStore(d, user="reader")
        annotations = store.annotations()
        store.merges(), store.merge_records(), store.patterns()
        store.carry_over([Cat(f"other-{k}", "pattern <*>") for k in KEYS])
        store.apply_merges([Cat(k, "pattern <*>") for k in KEYS])
        assert all(isinstance(w, str) for w in store.warnings)
        horizon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat(timespec="microseconds")
        for a in annotations.values():  # every time folded is a real canonical time, never beyond tomorrow
            assert all(CANONICAL.fullmatch(c.time) and c.time <= horizon for c in a.changes.values())
        for v in written.valid:  # a good change is never lost: its field's winner is at least as late
            assert annotations[v["key"]].changes["label"].time >= v["time"]
        assert snapshot(d) == before
        # the fold is a function of the lines, whatever their order in the files
        reversed_store = Path(tmp) / "reversed"
        write_store(reversed_store, written, reverse=True)
        assert state(TriageStore(reversed_store, user="reader")) == state(store)


@FUZZ
@given(stores(), st.data())
def test_fuzz_a_later_annotation_always_wins_and_incremental_reads_equal_full_ones(written, data):
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "store"
        cut = {name: data.draw(st.integers(0, len(lines))) for name, lines in written.journals.items()}
        write_store(d, Written({name: lines[:cut[name]] for name, lines in written.journals.items()}, []))
        store = TriageStore(d, user="reader")
        store.annotations()
        for name, lines in written.journals.items():  # the rest appended after a read: an incremental reload
            append(d / f"{name}.jsonl", *(x + b"\n" for x in lines[cut[name]:]))
        store.reload()
        full = TriageStore(d, user="reader")
        assert state(store) == state(full) and store.warnings == full.warnings and store.repaired == full.repaired
        alice = TriageStore(d, user="alice")
        alice.annotations()
        key = data.draw(st.sampled_from(KEYS))
        alice.annotate(key, label="alice's final word", status="resolved")
        a = TriageStore(d, user="reader").get(key)
        assert (a.label, a.status, a.author) == ("alice's final word", "resolved", "alice")
