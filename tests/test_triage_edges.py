"""Triage store edges: each decision tested on both sides (real journals, real appends, no mocks).

Fold tie-breaks (time, then author, writer id, seq, then content), incremental reloads equal to a
full read, torn and glued lines, carry-over just below / at / above the threshold, merges.
Every expected value is worked out by hand in the comments.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from test_triage import canonical, ev, hours_ahead
from opint_core.triage import (
    CARRY_OVER_THRESHOLD, Annotation, Change, Inherited, StoreError, TriageStore, apply_merges, carry_over,
    current_user, pattern_similarity,
)


@dataclass(frozen=True)
class Cat:
    key: str
    pattern: str
    count: int = 1


def append(path: Path, *events: dict | bytes) -> None:
    """Really append to a journal (bytes are written as they are)."""
    with open(path, "ab") as f:
        for e in events:
            f.write(e if isinstance(e, bytes) else json.dumps(e).encode() + b"\n")


T = "2026-11-20T08:00:00.000005+00:00"
T_NEXT = "2026-11-20T08:00:00.000006+00:00"   # one microsecond after T
T_PREV = "2026-11-20T08:00:00.000004+00:00"
T_LATE = "2026-11-20T09:00:00.000000+00:00"


def labels(store: TriageStore) -> dict[str, str | None]:
    return {k: a.label for k, a in store.annotations().items()}


def fresh(directory: Path) -> TriageStore:
    """A new reader of the store, which has read it."""
    store = TriageStore(directory, user="reader")
    store.annotations()
    return store


# --------------------------------------------------------------------------------------------------
# fold: the order of changes is (time, author, writer id, seq), then content; file order never counts

@pytest.mark.parametrize("order", ["winner first", "winner last"])
def test_same_microsecond_in_one_journal_the_greater_author_wins(tmp_path, order):
    # 'bob' > 'alice': bob's change wins whether it comes first or last in the file
    bob, alice = ev("c1", T, "bob", label="by bob"), ev("c1", T, "alice", label="by alice")
    append(tmp_path / "j.jsonl", *((bob, alice) if order == "winner first" else (alice, bob)))
    a = fresh(tmp_path).annotations()["c1"]
    assert (a.label, a.author, a.time) == ("by bob", "bob", T)
    assert a.changes == {"label": Change("bob", T)}


@pytest.mark.parametrize("order", ["winner first", "winner last"])
def test_same_microsecond_across_journals_the_greater_author_wins(tmp_path, order):
    first, second = ("bob", "alice") if order == "winner first" else ("alice", "bob")
    append(tmp_path / f"{first}.jsonl", ev("c1", T, first, label=f"by {first}"))
    append(tmp_path / f"{second}.jsonl", ev("c1", T, second, label=f"by {second}"))
    assert labels(fresh(tmp_path)) == {"c1": "by bob"}


@pytest.mark.parametrize("order", ["winner first", "winner last"])
def test_one_microsecond_later_beats_a_greater_author(tmp_path, order):
    late, early = ev("c1", T_NEXT, "alice", label="later"), ev("c1", T, "zoe", label="zoe earlier")
    append(tmp_path / "j.jsonl", *((late, early) if order == "winner first" else (early, late)))
    a = fresh(tmp_path).annotations()["c1"]
    assert (a.label, a.author, a.time) == ("later", "alice", T_NEXT)


@pytest.mark.parametrize("order", ["winner first", "winner last"])
def test_same_time_and_author_the_greater_writer_id_wins(tmp_path, order):
    win, lose = ev("c1", T, w="w2", seq=1, label="w2"), ev("c1", T, w="w10", seq=9, label="w10")  # "w2" > "w10"
    append(tmp_path / "j.jsonl", *((win, lose) if order == "winner first" else (lose, win)))
    assert labels(fresh(tmp_path)) == {"c1": "w2"}


@pytest.mark.parametrize("order", ["winner first", "winner last"])
def test_same_time_author_and_writer_the_greater_seq_wins_as_a_number(tmp_path, order):
    win, lose = ev("c1", T, seq=10, label="seq 10"), ev("c1", T, seq=9, label="seq 9")  # 10 > 9, though "10" < "9"
    append(tmp_path / "j.jsonl", *((win, lose) if order == "winner first" else (lose, win)))
    assert labels(fresh(tmp_path)) == {"c1": "seq 10"}


@pytest.mark.parametrize("order", ["winner first", "winner last"])
def test_equal_stamps_are_ordered_by_content(tmp_path, order):
    # a corrupt journal: the same stamp twice. '..."label": "b"...' sorts after '..."label": "a"...'
    win, lose = ev("c1", T, label="b"), ev("c1", T, label="a")
    append(tmp_path / "j.jsonl", *((win, lose) if order == "winner first" else (lose, win)))
    assert labels(fresh(tmp_path)) == {"c1": "b"}


def test_each_field_has_its_own_winner_and_the_annotation_the_latest_change(tmp_path):
    append(tmp_path / "alice.jsonl",
           ev("c1", T, "alice", label="alice label", status="known", pattern="p alice"),
           ev("c1", T_LATE, "alice", seq=2, notes="late note"))
    append(tmp_path / "bob.jsonl", ev("c1", T, "bob", w="b", status="ticketed", ticket="GGUS:1"))
    a = fresh(tmp_path).annotations()["c1"]
    # status: same time, bob > alice; label: only alice; notes: only the late change
    assert (a.label, a.status, a.ticket, a.notes, a.pattern) == ("alice label", "ticketed", "GGUS:1", "late note",
                                                                  "p alice")
    assert (a.author, a.time) == ("alice", T_LATE)
    assert a.changes == {"label": Change("alice", T), "status": Change("bob", T), "ticket": Change("bob", T),
                         "notes": Change("alice", T_LATE)}


def test_the_annotation_author_is_that_of_the_greatest_stamp_at_equal_times(tmp_path):
    # two fields changed at the same microsecond by different authors: the annotation's author and
    # time are those of the greatest stamp (bob), whatever the file order
    append(tmp_path / "j.jsonl", ev("c1", T, "bob", label="x"), ev("c1", T, "alice", ticket="t"))
    a = fresh(tmp_path).annotations()["c1"]
    assert (a.author, a.time) == ("bob", T)


def test_the_latest_recorded_pattern_wins_by_the_same_order(tmp_path):
    append(tmp_path / "j.jsonl",
           ev("c1", T, "bob", pattern="bob's pattern", label="x"),
           ev("c1", T, "alice", pattern="alice's pattern", notes="n"),
           ev("c2", T, "alice", pattern="first", label="y"),
           ev("c2", T_NEXT, "alice", pattern="second", notes="m"))
    store = fresh(tmp_path)
    assert store.patterns() == {"c1": "bob's pattern", "c2": "second"}
    assert store.annotations()["c1"].pattern == "bob's pattern"


@pytest.mark.parametrize("order", ["odd first", "odd last"])
def test_odd_writer_ids_and_seqs_count_as_empty_in_the_order(tmp_path, order):
    # w 5 -> "" and seq "9" -> 0: both stamps are (T, alice, "", 0); equal stamps go by content,
    # where '"seq": "9"' sorts before '"seq": 0' ('"' < '0'): the plain line wins
    odd = {"v": 1, "key": "c1", "set": {"label": "odd"}, "author": "alice", "time": T, "w": 5, "seq": "9"}
    plain = {"v": 1, "key": "c1", "set": {"label": "plain"}, "author": "alice", "time": T, "w": "", "seq": 0}
    append(tmp_path / "j.jsonl", *((odd, plain) if order == "odd first" else (plain, odd)))
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "plain"} and store.warnings == []


def test_missing_writer_id_and_seq_count_as_empty_and_zero(tmp_path):
    # no w is "" < "A": the line with a writer id wins; no seq is 0 < 1: the line with seq 1 wins
    append(tmp_path / "j.jsonl",
           {"v": 1, "key": "c1", "set": {"label": "w A"}, "author": "al", "time": T, "w": "A", "seq": 1},
           {"v": 1, "key": "c1", "set": {"label": "no w"}, "author": "al", "time": T, "seq": 1},
           {"v": 1, "key": "c2", "set": {"label": "seq 1"}, "author": "al", "time": T, "w": "A", "seq": 1},
           {"v": 1, "key": "c2", "set": {"label": "no seq"}, "author": "al", "time": T, "w": "A"})
    assert labels(fresh(tmp_path)) == {"c1": "w A", "c2": "seq 1"}


def test_repaired_lines_keep_their_author_writer_and_seq_in_the_order(tmp_path):
    # every line in "Z" form is repaired (made canonical) before folding: its author, writer id and
    # seq must survive the repair, each deciding one tie against a canonical line at the same time
    zulu = "2026-11-20T08:00:00.000005Z"   # == T
    append(tmp_path / "j.jsonl",
           {"v": 1, "key": "a", "set": {"label": "canonical"}, "author": "bob", "time": T, "w": "w", "seq": 1},
           {"v": 1, "key": "a", "set": {"label": "repaired"}, "author": "zed", "time": zulu, "w": "w", "seq": 1},
           {"v": 1, "key": "w", "set": {"label": "canonical"}, "author": "al", "time": T, "w": "a", "seq": 1},
           {"v": 1, "key": "w", "set": {"label": "repaired"}, "author": "al", "time": zulu, "w": "b", "seq": 1},
           {"v": 1, "key": "s", "set": {"label": "canonical"}, "author": "al", "time": T, "w": "a", "seq": 3},
           {"v": 1, "key": "s", "set": {"label": "repaired"}, "author": "al", "time": zulu, "w": "a", "seq": 5},
           # seq "x" is 0, not more: the canonical line with seq 0 and the greater content wins
           {"v": 1, "key": "x", "set": {"label": "b canonical"}, "author": "al", "time": T, "w": "a", "seq": 0},
           {"v": 1, "key": "x", "set": {"label": "a repaired"}, "author": "al", "time": zulu, "w": "a", "seq": "x"},
           # w 5 is "", not more: the canonical line with w "" and the greater content wins
           {"v": 1, "key": "y", "set": {"label": "b canonical"}, "author": "al", "time": T, "w": "", "seq": 0},
           {"v": 1, "key": "y", "set": {"label": "a repaired"}, "author": "al", "time": zulu, "w": 5, "seq": 0})
    ann = fresh(tmp_path).annotations()
    assert {k: (a.label, a.author) for k, a in ann.items()} == {
        "a": ("repaired", "zed"), "w": ("repaired", "al"), "s": ("repaired", "al"),
        "x": ("b canonical", "al"), "y": ("b canonical", "al")}
    assert ann["a"].time == T


# --------------------------------------------------------------------------------------------------
# incremental reload == full read, with same-microsecond changes appended between the reads

def assert_same_as_full_read(store: TriageStore, directory: Path) -> None:
    full = fresh(directory)
    assert store.annotations() == full.annotations()
    assert store.merge_records() == full.merge_records() and store.patterns() == full.patterns()
    assert store.warnings == full.warnings
    again = TriageStore(directory, user="reader")
    again.annotations()
    again.reload(full=True)
    assert again.annotations() == full.annotations()


@pytest.mark.parametrize("first, then, winner", [
    (("bob", "w1", 1, "b"), ("alice", "w1", 1, "a"), "b"),   # the appended change loses: smaller author
    (("alice", "w1", 1, "a"), ("bob", "w1", 1, "b"), "b"),   # the appended change wins: greater author
    (("alice", "w2", 1, "w2"), ("alice", "w1", 5, "w1"), "w2"),  # writer id decides
    (("alice", "w1", 3, "s3"), ("alice", "w1", 2, "s2"), "s3"),  # seq decides
    (("alice", "w1", 1, "y"), ("alice", "w1", 1, "x"), "y"),     # equal stamps: content decides
    (("alice", "w1", 1, "x"), ("alice", "w1", 1, "y"), "y"),
])
def test_reload_of_a_same_microsecond_change_equals_a_full_read(tmp_path, first, then, winner):
    a_author, a_w, a_seq, a_label = first
    b_author, b_w, b_seq, b_label = then
    append(tmp_path / f"{a_author}.jsonl", ev("c1", T, a_author, a_w, a_seq, label=a_label))
    store = fresh(tmp_path)
    assert labels(store) == {"c1": a_label}
    append(tmp_path / f"{b_author}-2.jsonl", ev("c1", T, b_author, b_w, b_seq, label=b_label))
    store.reload()
    assert labels(store) == {"c1": winner}
    assert_same_as_full_read(store, tmp_path)


def test_reload_with_the_appended_change_in_the_same_journal(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, "bob", label="bob's", status="known"))
    store = fresh(tmp_path)
    append(journal, ev("c1", T, "alice", label="alice's", ticket="GGUS:7"),
           ev("c1", T_PREV, "zoe", status="resolved"))
    store.reload()
    a = store.annotations()["c1"]
    # label: bob > alice at T; status: T_PREV is older; ticket: new field, alice's
    assert (a.label, a.status, a.ticket) == ("bob's", "known", "GGUS:7")
    assert a.changes == {"label": Change("bob", T), "status": Change("bob", T), "ticket": Change("alice", T)}
    assert_same_as_full_read(store, tmp_path)


def test_reload_folds_later_changes_new_keys_and_merges(tmp_path):
    append(tmp_path / "alice.jsonl", ev("c1", T, label="one", pattern="p one"))
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one"}
    append(tmp_path / "bob.jsonl", ev("c1", T_NEXT, "bob", w="b", label="two"),
           ev("c2", T, "bob", w="b", pattern="p two", status="known"),
           ev("c3", T, "bob", w="b", pattern="p three", merge_into="c1"))
    store.reload()
    assert labels(store) == {"c1": "two", "c2": None}
    assert store.get("c2").status == "known" and store.merges() == {"c3": "c1"}
    assert store.patterns() == {"c1": "p one", "c2": "p two", "c3": "p three"}
    append(tmp_path / "alice.jsonl", ev("c3", T_LATE, seq=2, merge_into=None))
    store.reload()
    assert store.merge_records() == {"c3": None} and store.merges() == {}
    assert_same_as_full_read(store, tmp_path)


def test_reload_keeps_lines_of_a_newer_version_read_in_either_read(tmp_path):
    newer1 = {"v": 2, "kind": "snapshot", "time": T, "author": "dana"}
    newer2 = {"v": 3, "kind": "other", "time": T_NEXT}
    append(tmp_path / "dana.jsonl", ev("c1", T, "dana", label="x"), newer1)
    store = fresh(tmp_path)
    assert store.unknown_events == [newer1]
    append(tmp_path / "dana.jsonl", newer2)
    store.reload()
    assert store.unknown_events == [newer1, newer2] and store.warnings == []


def test_reload_without_changes_keeps_everything(tmp_path):
    append(tmp_path / "alice.jsonl", ev("c1", T, label="one"))
    store = fresh(tmp_path)
    before = store.annotations()
    store.reload()
    assert store.annotations() == before == {"c1": Annotation("c1", label="one", author="alice", time=T,
                                                                changes={"label": Change("alice", T)})}


def test_own_changes_and_reloads_agree_with_a_full_read(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="mine")
    other = tmp_path / "bob.jsonl"
    mine = json.loads((tmp_path / "alice.jsonl").read_bytes())
    # bob wrote at the same microsecond: bob > alice, so bob's label wins everywhere
    append(other, ev("c1", mine["time"], "bob", w="b", label="bob's"))
    store.reload()
    assert labels(store) == {"c1": "bob's"}
    assert_same_as_full_read(store, tmp_path)
    # our next change is stamped after everything we have read of c1, so it wins
    store.annotate("c1", label="mine again")
    assert labels(store) == labels(fresh(tmp_path)) == {"c1": "mine again"}


def test_reload_full_reads_everything_again_and_plain_reload_only_what_was_appended(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, label="one"))
    append(tmp_path / "bob.jsonl", ev("c2", T, "bob", label="bob"))
    store = fresh(tmp_path)
    data = journal.read_bytes()
    with open(journal, "r+b") as f:  # rewritten in place: same file, same size
        f.write(data.replace(b'"one"', b'"uno"'))
    store.reload()
    assert labels(store) == {"c1": "one", "c2": "bob"}
    store.reload(full=True)
    assert labels(store) == {"c1": "uno", "c2": "bob"}


def test_reload_leaves_the_garbage_collector_as_it_was(tmp_path):
    import gc
    append(tmp_path / "alice.jsonl", ev("c1", T, label="one"))
    store = TriageStore(tmp_path, user="reader")
    assert gc.isenabled()
    store.reload()
    assert gc.isenabled()
    gc.disable()
    try:
        store.reload(full=True)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_warnings_about_appended_lines_are_kept_by_later_reloads(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, label="one"), ev("c2", T, label="two"))
    store = fresh(tmp_path)
    append(journal, b"garbage\n", ev("c3", T, label="three"), {"v": 1, "key": "c4", "set": {}, "author": "a"})
    store.reload()
    expected = [f"{journal}:3: not a valid JSON change line", f"{journal}:5: not a triage change"]
    assert [w[:len(e)] for w, e in zip(store.warnings, expected)] == expected and len(store.warnings) == 2
    store.reload()  # nothing new: the same warnings
    assert [w[:len(e)] for w, e in zip(store.warnings, expected)] == expected and len(store.warnings) == 2
    append(journal, b"more garbage\n")
    store.reload()
    assert [w.split(": ")[0] for w in store.warnings] == [f"{journal}:{n}" for n in (3, 5, 6)]
    assert_same_as_full_read(store, tmp_path)


def test_a_journal_replaced_by_a_fifo_or_a_dangling_link_loses_its_changes(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, label="one"))
    append(tmp_path / "bob.jsonl", ev("c2", T, "bob", label="two"))
    store = fresh(tmp_path)
    journal.unlink()
    os.mkfifo(journal)
    store.reload()
    assert labels(store) == {"c2": "two"}
    assert store.warnings == [f"{journal}: not a regular file; skipped. Move it out of the store directory"]
    journal.unlink()
    append(journal, ev("c1", T, label="back"))
    store.reload()
    assert labels(store) == {"c1": "back", "c2": "two"} and store.warnings == []
    journal.unlink()
    journal.symlink_to(tmp_path / "nowhere")
    store.reload()
    assert labels(store) == {"c2": "two"}
    assert store.warnings == [f"{journal}: a symbolic link, not a journal; not read (a link in a store could show, "
                              f"or make opint write to, any file). Replace it by the journal file itself, or remove it"]


def test_a_replaced_journal_is_read_again_from_the_start(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, label="one"), ev("c2", T, label="two"))
    store = fresh(tmp_path)
    assert set(store.annotations()) == {"c1", "c2"}
    # shorter file under the same name (same inode): its changes must go
    journal.write_bytes(json.dumps(ev("c3", T, label="three")).encode() + b"\n")
    store.reload()
    assert labels(store) == {"c3": "three"}


# --------------------------------------------------------------------------------------------------
# torn, glued and blank lines

TORN = b'{"v":1,"key":"c9","set":{"label":"never fin'


def test_a_torn_last_line_is_skipped_with_a_warning_and_the_rest_is_kept(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, label="one"), ev("c2", T_NEXT, label="two"), TORN)
    before = journal.read_bytes()
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one", "c2": "two"}
    assert len(store.warnings) == 1
    assert store.warnings[0].startswith(f"{journal}:3: the last line is incomplete (its writer was interrupted")
    # the next change starts a new line; the fragment stays, now a complete bad line
    TriageStore(tmp_path, user="alice").annotate("c3", pattern="p", label="three")
    data = journal.read_bytes()
    assert data.startswith(before + b"\n") and data.count(b"\n") == 4
    store.reload()
    assert labels(store) == {"c1": "one", "c2": "two", "c3": "three"}
    assert len(store.warnings) == 1 and store.warnings[0].startswith(f"{journal}:3: not a valid JSON change line")
    assert_same_as_full_read(store, tmp_path)


def test_a_torn_line_completed_later_is_read_by_the_next_reload(tmp_path):
    journal = tmp_path / "bob.jsonl"
    whole = json.dumps(ev("c2", T, "bob", label="two")).encode()
    append(journal, ev("c1", T, "bob", label="one"), whole[:30])
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one"} and len(store.warnings) == 1
    append(journal, whole[30:] + b"\n")
    store.reload()
    assert labels(store) == {"c1": "one", "c2": "two"} and store.warnings == []
    assert_same_as_full_read(store, tmp_path)


def test_a_complete_last_line_without_its_newline_is_read(tmp_path):
    append(tmp_path / "alice.jsonl", ev("c1", T, label="one"), json.dumps(ev("c2", T, label="two")).encode())
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one", "c2": "two"} and store.warnings == []


def test_a_last_line_that_is_json_but_not_an_object_is_warned_about(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, label="one"), b"[1, 2]")
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one"}
    assert len(store.warnings) == 1 and store.warnings[0].startswith(f"{journal}:2: the last line is incomplete")


def test_a_change_glued_after_a_fragment_is_recovered_in_the_middle_and_at_the_end(tmp_path):
    journal = tmp_path / "alice.jsonl"
    glued_middle = TORN + json.dumps(ev("c2", T, label="two"), separators=(",", ":")).encode() + b"\n"
    glued_last = TORN + json.dumps(ev("c3", T, label="three"), separators=(",", ":")).encode()
    append(journal, ev("c1", T, label="one"), glued_middle, glued_last)
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one", "c2": "two", "c3": "three"}
    assert [w.split(": ", 1) for w in store.warnings] == [
        [f"{journal}:2", "the start of this line is a fragment of an interrupted write and was skipped; "
                         "the change after it was read"],
        [f"{journal}:3", "the start of the last line is a fragment of an interrupted write and was skipped; "
                         "the change after it was read"]]


def test_a_line_that_only_starts_like_a_change_is_not_recovered(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, b'{"v":1,"key":"c1" broken\n', b'junk {"v":1, not json either\n', b'junk {"v":[1]}x\n',
           ev("c2", T, label="two"), b'}' + json.dumps(ev("c3", T, label="three")).encode() + b"\n")
    store = fresh(tmp_path)
    assert labels(store) == {"c2": "two", "c3": "three"}  # a one-byte fragment is a fragment too
    assert [w.split(": ")[0] for w in store.warnings] == [f"{journal}:{n}" for n in (1, 2, 3, 5)]
    assert all("not a valid JSON change line" in w for w in store.warnings[:3])
    assert "fragment" in store.warnings[3]


def test_blank_first_line_and_blank_lines_between_keep_line_numbers(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, b"\n", ev("c1", T, label="one"), b"\n", b"garbage\n", ev("c2", T, label="two"))
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one", "c2": "two"}
    assert [w.split(": ")[0] for w in store.warnings] == [f"{journal}:4"]


NO_TIME = {"v": 1, "key": "c9", "set": {"label": "x"}, "author": "alice"}   # JSON, but not a usable change
NOT_CHANGE = "not a triage change (no usable key, set or time)"


@pytest.mark.parametrize("lines, bad_lines", [
    ([b"\n", ev("c1", T, label="one"), NO_TIME, ev("c2", T, label="two"), [1, 2]], (3, 5)),  # blank first line
    ([ev("c1", T, label="one"), b"\n", NO_TIME, ev("c2", T, label="two"), [1, 2]], (3, 5)),  # one blank between
    ([ev("c1", T, label="one"), b"\n\n\n", ev("c2", T, label="two"), NO_TIME, [1, 2]], (6, 7)),  # three
    ([b"\n\n", ev("c1", T, label="one"), ev("c2", T, label="two"), b"\n", NO_TIME, [1, 2]], (6, 7)),
    ([ev("c1", T, label="one"), [1, 2], ev("c2", T, label="two"), NO_TIME], (2, 4)),             # none
])
def test_blank_lines_on_the_fast_path_keep_line_numbers(tmp_path, lines, bad_lines):
    # every line is JSON: the whole journal is one parse, and a line that is JSON but not a change
    # (an array here) is "not a triage change", named by its line number
    journal = tmp_path / "alice.jsonl"
    append(journal, *lines)
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one", "c2": "two"}
    assert [w.split(";")[0].split(": ", 1) for w in store.warnings] == [[f"{journal}:{n}", NOT_CHANGE] for n in bad_lines]


def test_an_unusable_first_line_before_a_last_line_without_a_newline(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, NO_TIME, ev("c1", T, label="one"), json.dumps(ev("c2", T, label="two")).encode())
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one", "c2": "two"}
    assert [w.split(";")[0].split(": ", 1) for w in store.warnings] == [[f"{journal}:1", NOT_CHANGE]]


def test_an_unusable_last_line_without_a_newline_is_named_by_its_number(tmp_path):
    journal = tmp_path / "alice.jsonl"
    append(journal, ev("c1", T, label="one"), json.dumps(NO_TIME).encode())
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one"}
    assert [w.split(": ", 1)[0] for w in store.warnings] == [f"{journal}:2"]
    append(tmp_path / "bob.jsonl", b"garbage\n", NO_TIME, json.dumps(ev("c2", T, "bob", label="two")).encode())
    store = fresh(tmp_path)
    assert labels(store) == {"c1": "one", "c2": "two"}
    hint = "it is left as it is (the next change starts on a new line); delete it by hand only if you are " \
           "sure nobody needs it"
    bob = tmp_path / "bob.jsonl"
    assert store.warnings == [
        f"{journal}:2: not a triage change (no usable key, set or time); skipped. {hint}",
        f"{bob}:1: not a valid JSON change line (garbage, or an interrupted write); skipped. {hint}",
        f"{bob}:2: not a triage change (no usable key, set or time); skipped. {hint}"]


def test_warnings_are_sorted_by_journal_then_line_number(tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    bad = [b"bad\n"] * 10
    append(a, *bad)
    os.mkfifo(b)
    append(c, b"bad\n", ev("c1", T, label="x"))
    store = fresh(tmp_path)
    # line 10 after line 9 (numerically, not as text); journal a, then b (no line), then c
    assert [w.split(": ")[0] for w in store.warnings] == [f"{a}:{n}" for n in range(1, 11)] + [f"{b}", f"{c}:1"]


def full(key, time=T, **kw):
    e = {"v": 1, "key": key, "set": {"label": f"{key}"}, "author": "alice", "time": time, "w": "w", "seq": 1}
    e.update(kw)
    return e


@pytest.mark.parametrize("journals", [1, 2], ids=["one journal", "two journals"])
def test_lines_without_a_usable_key_set_or_time_are_warned_about(tmp_path, journals):
    journal = tmp_path / "alice.jsonl"
    append(journal,
           full("", set={"label": "empty key"}),
           full(5, set={"label": "number key"}),
           full("c1", set=["label"]),
           {"v": 1, "key": "c1", "set": {"label": "no time"}, "author": "alice", "w": "w", "seq": 1},
           full("c1", time="yesterday"),
           full("c1", time=5),
           full("c1", time=None),
           {"v": 1, "key": "c1", "time": T, "author": "alice", "w": "w", "seq": 1},  # no set: a change of nothing
           full("c0"),
           full("c2", pattern=7),                         # odd pattern, at T again: dropped, the change kept
           full("c3", time=T_LATE, pattern=[1]),          # odd pattern, later than all: dropped, change kept
           [1, 2], "text", 5)                             # JSON, but not changes
    if journals == 2:
        append(tmp_path / "bob.jsonl", full("c9", author="bob"))
    store = fresh(tmp_path)
    assert labels(store) == {"c0": "c0", "c2": "c2", "c3": "c3", **({"c9": "c9"} if journals == 2 else {})}
    assert store.patterns() == {}
    assert [w.split(": ")[0] for w in store.warnings] == [f"{journal}:{n}" for n in (1, 2, 3, 4, 5, 6, 7, 12, 13, 14)]
    assert all("not a triage change (no usable key, set or time)" in w for w in store.warnings)


def test_a_line_with_a_non_text_author_is_the_journal_owner(tmp_path):
    append(tmp_path / "erin.jsonl", full("c1", author=5), full("c2", author=None))
    ann = fresh(tmp_path).annotations()
    assert {k: a.author for k, a in ann.items()} == {"c1": "erin", "c2": "erin"}


def test_a_line_holding_two_changes_is_read_as_a_fragment_and_the_last_change(tmp_path):
    journal = tmp_path / "alice.jsonl"
    two = json.dumps(full("c1")).encode() + b"," + json.dumps(full("c2")).encode()
    append(journal, full("c0"), two + b"\n", full("c3"))
    store = fresh(tmp_path)
    assert labels(store) == {"c0": "c0", "c2": "c2", "c3": "c3"}
    assert [w.split(": ", 1)[0] for w in store.warnings] == [f"{journal}:2"]
    assert "fragment of an interrupted write" in store.warnings[0]


@pytest.fixture
def local_time_not_utc(monkeypatch):
    """The process's local time zone is UTC-5: naive or local times must not leak into stamps."""
    import time
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_in_other_forms_are_made_canonical_utc(tmp_path, local_time_not_utc):
    append(tmp_path / "erin.jsonl",
           {"key": "c1", "set": {"label": "zulu"}, "time": "2026-11-20T08:00:00Z"},
           {"key": "c2", "set": {"label": "naive"}, "time": "2026-11-20T08:00:00"},
           {"key": "c3", "set": {"label": "offset"}, "time": "2026-11-20T10:00:00.5+02:00"},
           {"key": "c4", "set": {"label": "short utc"}, "time": "2026-11-20T08:00:00+00:00", "author": "al"})
    ann = fresh(tmp_path).annotations()
    assert {k: (a.time, a.author) for k, a in ann.items()} == {
        "c1": ("2026-11-20T08:00:00.000000+00:00", "erin"),
        "c2": ("2026-11-20T08:00:00.000000+00:00", "erin"),
        "c3": ("2026-11-20T08:00:00.500000+00:00", "erin"),
        "c4": ("2026-11-20T08:00:00.000000+00:00", "al")}


def test_a_time_with_more_than_six_fraction_digits_is_made_canonical(tmp_path):
    # 33 characters, ending in +00:00, yet not canonical: it is truncated to microseconds
    append(tmp_path / "erin.jsonl", full("c1", time="2026-11-20T08:00:00.0000019+00:00"))
    assert fresh(tmp_path).get("c1").time == "2026-11-20T08:00:00.000001+00:00"


def test_a_change_after_a_future_one_is_stamped_in_utc_whatever_the_local_zone(tmp_path, local_time_not_utc):
    future = hours_ahead(1)
    append(tmp_path / "bob.jsonl", ev("c1", canonical(future, 999999), "bob", label="future"))
    store = TriageStore(tmp_path, user="alice")
    store.annotations()
    store.annotate("c1", label="after")
    # one microsecond later is the next second
    assert json.loads((tmp_path / "alice.jsonl").read_bytes())["time"] == canonical(future, 1_000_000)
    assert labels(fresh(tmp_path)) == {"c1": "after"}


def test_a_repaired_line_is_ordered_by_its_canonical_time(tmp_path):
    # 10:00:00.000000+02:00 (as long as a canonical time) is 08:00:00 UTC, before T_LATE (09:00),
    # though after it as text: the canonical line wins; then a zulu time one microsecond after
    # T_LATE wins over it
    append(tmp_path / "j.jsonl",
           ev("c1", T_LATE, label="canonical"),
           {"key": "c1", "set": {"label": "offset"}, "time": "2026-11-20T10:00:00.000000+02:00", "author": "zz"})
    assert labels(fresh(tmp_path)) == {"c1": "canonical"}
    append(tmp_path / "j.jsonl", {"key": "c1", "set": {"label": "zulu"}, "time": "2026-11-20T09:00:00.000001Z"})
    assert labels(fresh(tmp_path)) == {"c1": "zulu"}


def test_non_text_annotation_values_go_to_extra(tmp_path):
    append(tmp_path / "j.jsonl", ev("c1", T, label=5, status="known", notes=None, severity="high"))
    a = fresh(tmp_path).annotations()["c1"]
    assert (a.label, a.status, a.notes) == (None, "known", None)
    assert a.extra == {"label": 5, "severity": "high"}
    assert not a.empty and a.to_dict()["extra"] == {"label": 5, "severity": "high"}


def test_a_key_with_only_a_merge_or_pattern_has_no_annotation(tmp_path):
    append(tmp_path / "j.jsonl", ev("c1", T, pattern="p", merge_into="c2"))
    store = fresh(tmp_path)
    assert store.annotations() == {} and store.get("c1") is None
    assert store.merges() == {"c1": "c2"} and store.patterns() == {"c1": "p"}


@pytest.mark.parametrize("parent", ["", 5, "c1", None])
def test_merge_records_with_an_unusable_parent_count_as_unmerged(tmp_path, parent):
    append(tmp_path / "j.jsonl", ev("c1", T, merge_into=parent), ev("c2", T, merge_into="c1"))
    store = fresh(tmp_path)
    assert store.merge_records() == {"c1": None, "c2": "c1"} and store.merges() == {"c2": "c1"}


# --------------------------------------------------------------------------------------------------
# Annotation values

def test_annotation_empty_and_to_dict():
    assert Annotation("k").empty and Annotation("k", status=None).empty
    assert Annotation("k", label="", notes="").empty
    for kw in ({"label": "x"}, {"ticket": "t"}, {"notes": "n"}, {"extra": {"a": 1}}, {"status": "known"}):
        assert not Annotation("k", **kw).empty, kw
    a = Annotation("k", pattern="p", label="l", status="known", ticket="t", notes="n", author="al", time=T)
    assert a.to_dict() == {"key": "k", "pattern": "p", "label": "l", "status": "known", "ticket": "t",
                           "notes": "n", "author": "al", "time": T}
    assert "extra" not in a.to_dict()


def test_inherited_exact_and_inherited():
    a = Annotation("k")
    assert Inherited("k", "k", 100.0, a).exact and not Inherited("k", "k", 100.0, a).inherited
    assert Inherited("k", "j", 95.0, a).inherited and not Inherited("k", "j", 95.0, a).exact


# --------------------------------------------------------------------------------------------------
# carry-over: pattern_similarity is the Indel ratio over words, 100 * 2 * LCS / (len a + len b)

def words(n: int, prefix: str = "w") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def substituted(ws: list[str], n: int) -> list[str]:
    """``ws`` with its last ``n`` words replaced by others."""
    return ws[:len(ws) - n] + [f"x{i}" for i in range(n)]


BASE_10 = " ".join(words(10))
AT_90 = " ".join(substituted(words(10), 1))          # LCS 9:  2*9/20   = 90.0 exactly
BASE_99 = " ".join(words(99))
BELOW_90 = " ".join(substituted(words(99), 10))      # LCS 89: 2*89/198 = 89.90 (just below)
BASE_101 = " ".join(words(101))
ABOVE_90 = " ".join(substituted(words(101), 10))     # LCS 91: 2*91/202 = 90.10 (just above)
BASE_19 = " ".join(words(19))
AT_94_7 = " ".join(substituted(words(19), 1))        # LCS 18: 2*18/38  = 94.74 -> 94.7


def test_pattern_similarity_by_hand():
    assert pattern_similarity("a b c", "a b c") == 100.0
    assert pattern_similarity("a b c", "d e f") == 0.0
    assert pattern_similarity("a b", "b a") == 50.0            # LCS 1 of 2 + 2
    assert pattern_similarity("abc", "abd") == 0.0             # one word each, different: words, not characters
    assert pattern_similarity("a  b\tc", "a b c") == 100.0     # any whitespace separates words
    assert pattern_similarity(BASE_10, AT_90) == 90.0
    assert pattern_similarity(BASE_99, BELOW_90) == pytest.approx(100 * 178 / 198)
    assert pattern_similarity(BASE_101, ABOVE_90) == pytest.approx(100 * 182 / 202)
    assert CARRY_OVER_THRESHOLD == 90.0


def source(key: str, pattern: str | None, time: str = T, **kw) -> Annotation:
    kw.setdefault("label", f"label of {key}")
    return Annotation(key=key, pattern=pattern, author="alice", time=time, **kw)


@pytest.mark.parametrize("base, query, expected", [
    (BASE_99, BELOW_90, None),
    (BASE_10, AT_90, 90.0),
    (BASE_101, ABOVE_90, 90.1),
    (BASE_19, AT_94_7, 94.7),
])
def test_carry_over_just_below_at_and_above_the_threshold(base, query, expected):
    got = carry_over([Cat("new", query)], {"old": source("old", base)})
    if expected is None:
        assert got == {}
    else:
        assert got == {"new": Inherited("new", "old", expected, source("old", base))}
        assert got["new"].inherited and not got["new"].exact


def test_carry_over_threshold_argument_on_both_sides():
    anns = {"old": source("old", BASE_101)}
    assert set(carry_over([Cat("new", ABOVE_90)], anns, threshold=90.0)) == {"new"}
    assert carry_over([Cat("new", ABOVE_90)], anns, threshold=90.2) == {}
    assert set(carry_over([Cat("new", BELOW_90)], {"old": source("old", BASE_99)}, threshold=89.8)) == {"new"}


def test_carry_over_exact_key_is_preferred_over_an_identical_pattern():
    anns = {"k1": source("k1", "something else entirely", time=T_PREV),
            "k2": source("k2", BASE_10, time=T_LATE)}
    got = carry_over([Cat("k1", BASE_10)], anns)
    assert got == {"k1": Inherited("k1", "k1", 100.0, anns["k1"])} and got["k1"].exact


def test_carry_over_exact_key_without_a_pattern_and_category_without_a_pattern():
    anns = {"k1": source("k1", None), "k2": source("k2", BASE_10)}
    got = carry_over([Cat("k1", ""), Cat("k3", ""), Cat("k4", BASE_10)], anns)
    assert set(got) == {"k1", "k4"}
    assert got["k4"] == Inherited("k4", "k2", 100.0, anns["k2"]) and got["k4"].inherited


def test_carry_over_sources_need_a_pattern_and_a_non_empty_annotation():
    anns = {"no-pattern": source("no-pattern", None), "empty": Annotation("empty", pattern=BASE_10, time=T_LATE),
            "cleared": source("cleared", BASE_10, label=None, status="new")}
    assert carry_over([Cat("q", BASE_10)], anns) == {}
    anns["status-only"] = source("status-only", AT_90, label=None, status="investigating")
    assert carry_over([Cat("q", BASE_10)], anns) == {
        "q": Inherited("q", "status-only", 90.0, anns["status-only"])}


def test_carry_over_most_similar_beats_newer_and_ties_go_to_newest_then_smallest_key():
    anns = {"newest-far": source("newest-far", AT_90, time=T_LATE), "old-exact": source("old-exact", BASE_10, time=T)}
    assert carry_over([Cat("q", BASE_10)], anns)["q"].source_key == "old-exact"
    anns = {"b-old": source("b-old", BASE_10, time=T), "z-new": source("z-new", BASE_10, time=T_NEXT),
            "a-old": source("a-old", BASE_10, time=T)}
    assert carry_over([Cat("q", BASE_10)], anns)["q"].source_key == "z-new"
    del anns["z-new"]
    assert carry_over([Cat("q", BASE_10)], anns)["q"].source_key == "a-old"
    # an annotation without a time is older than any with one
    anns = {"a": source("a", BASE_10, time=None), "b": source("b", BASE_10, time=T)}
    assert carry_over([Cat("q", BASE_10)], anns)["q"].source_key == "b"


def test_carry_over_several_categories_each_to_its_best_source():
    anns = {"s10": source("s10", BASE_10), "s19": source("s19", BASE_19)}
    cats = [Cat("a", AT_90), Cat("b", AT_94_7), Cat("c", BELOW_90), Cat("s10", "whatever")]
    got = carry_over(cats, anns)
    assert {k: (i.source_key, i.similarity) for k, i in got.items()} == {
        "a": ("s10", 90.0), "b": ("s19", 94.7), "s10": ("s10", 100.0)}


def test_carry_over_accepts_a_clustering_like_object_and_the_store(tmp_path):
    class Clustering:
        categories = [Cat("new", AT_90)]
    store = TriageStore(tmp_path, user="alice")
    store.annotate("old", pattern=BASE_10, label="known issue")
    got = carry_over(Clustering(), store)
    assert got["new"].source_key == "old" and got["new"].similarity == 90.0
    assert store.carry_over(Clustering()) == got
    assert store.carry_over(Clustering(), threshold=90.1) == {}


# --------------------------------------------------------------------------------------------------
# merges

def cats(*keys: str) -> list[Cat]:
    return [Cat(k, f"pattern of {k}") for k in keys]


def test_apply_merges_chains_stop_at_the_last_present_category():
    assert apply_merges(cats("a", "b", "c"), {"c": "b", "b": "a"}) == {"a": "a", "b": "a", "c": "a"}
    # through an absent middle: c -> gone -> a
    assert apply_merges(cats("a", "c"), {"c": "gone", "gone": "a"}) == {"a": "a", "c": "a"}
    # the chain ends at an absent parent: c stops at b, the last present one
    assert apply_merges(cats("b", "c"), {"c": "b", "b": "gone"}) == {"b": "b", "c": "b"}
    assert apply_merges(cats("a"), {}) == {"a": "a"} and apply_merges([], {"b": "a"}) == {}


def test_apply_merges_unmerge_records_keep_categories_apart():
    assert apply_merges(cats("a", "b", "c"), {"b": None, "c": "b"}) == {"a": "a", "b": "b", "c": "b"}


def test_apply_merges_cycles_resolve_to_the_smallest_present_key():
    assert apply_merges(cats("x", "y"), {"y": "x", "x": "y"}) == {"x": "x", "y": "x"}
    # a cycle through an absent key: p -> q(absent) -> r -> p; members present: p, r
    assert apply_merges(cats("r", "p"), {"p": "q", "q": "r", "r": "p"}) == {"p": "p", "r": "p"}
    assert apply_merges(cats("m", "z", "b"), {"z": "b", "b": "m", "m": "z"}) == {"m": "b", "z": "b", "b": "b"}
    # a present key before a cycle is not a member of it: a -> x -> y -> x resolves to x, not a
    assert apply_merges(cats("a", "x", "y"), {"a": "x", "x": "y", "y": "x"}) == {"a": "x", "x": "x", "y": "x"}
    # a cycle of absent keys only: the category stays where it got to
    assert apply_merges(cats("k"), {"k": "m", "m": "n", "n": "m"}) == {"k": "k"}
    assert apply_merges(cats("k", "j"), {"j": "k", "k": "m", "m": "n", "n": "m"}) == {"k": "k", "j": "k"}


CHILD_OLD = " ".join(words(10, "c"))
CHILD_NEW = " ".join(substituted(words(10, "c"), 1))      # 90.0 from CHILD_OLD
CHILD_FAR = " ".join(substituted(words(10, "c"), 2))      # 80.0 from CHILD_OLD
PARENT_OLD = " ".join(words(10, "p"))
PARENT_NEW = " ".join(substituted(words(10, "p"), 1))     # 90.0 from PARENT_OLD


def test_merges_carry_over_to_similar_categories_at_the_threshold():
    merges = {"old-child": "old-parent"}
    patterns = {"old-child": CHILD_OLD, "old-parent": PARENT_OLD}
    today = [Cat("new-child", CHILD_NEW), Cat("new-parent", PARENT_NEW)]
    assert apply_merges(today, merges, patterns=patterns) == {"new-child": "new-parent", "new-parent": "new-parent"}
    assert apply_merges(today, merges, patterns=patterns, threshold=90.1) == {"new-child": "new-child",
                                                                              "new-parent": "new-parent"}
    far = [Cat("new-child", CHILD_FAR), Cat("new-parent", PARENT_NEW)]
    assert apply_merges(far, merges, patterns=patterns) == {"new-child": "new-child", "new-parent": "new-parent"}
    assert apply_merges(today, merges) == {"new-child": "new-child", "new-parent": "new-parent"}


def test_a_carried_merge_into_a_present_parent_and_from_a_present_child():
    patterns = {"old-child": CHILD_OLD, "old-parent": PARENT_OLD}
    # parent present today under its own key, child carried over
    got = apply_merges([Cat("new-child", CHILD_NEW), Cat("old-parent", "x")], {"old-child": "old-parent"},
                       patterns=patterns)
    assert got == {"new-child": "old-parent", "old-parent": "old-parent"}
    # child present, parent carried over
    got = apply_merges([Cat("old-child", "x"), Cat("new-parent", PARENT_NEW)], {"old-child": "old-parent"},
                       patterns=patterns)
    assert got == {"old-child": "new-parent", "new-parent": "new-parent"}


def test_a_category_own_merge_record_wins_over_a_carried_one():
    patterns = {"old-child": CHILD_OLD, "old-parent": PARENT_OLD}
    today = [Cat("new-child", CHILD_NEW), Cat("new-parent", PARENT_NEW), Cat("other", "o")]
    assert apply_merges(today, {"old-child": "old-parent", "new-child": None}, patterns=patterns) == {
        "new-child": "new-child", "new-parent": "new-parent", "other": "other"}
    assert apply_merges(today, {"old-child": "old-parent", "new-child": "other"}, patterns=patterns) == {
        "new-child": "other", "new-parent": "new-parent", "other": "other"}
    # an absent child's un-merge record carries nothing
    assert apply_merges(today, {"old-child": None}, patterns=patterns) == {c.key: c.key for c in today}


@pytest.mark.parametrize("names", [("a-child", "b-child", "c-child"), ("c-child", "b-child", "a-child")])
def test_the_most_similar_absent_child_decides_and_ties_go_to_the_smaller_key(names):
    best, tie1, tie2 = names
    patterns = {best: CHILD_NEW, tie1: CHILD_OLD, tie2: CHILD_OLD}
    today = [Cat("new-child", CHILD_NEW), Cat("p1", "p1"), Cat("p2", "p2"), Cat("p3", "p3")]
    # best's pattern is the category's own (100): its parent p3 wins over the 90% ones
    got = apply_merges(today, {tie1: "p1", tie2: "p2", best: "p3"}, patterns=patterns)
    assert got["new-child"] == "p3"
    # the two others are both 90% similar: the first in key order decides
    got = apply_merges(today, {tie1: "p1", tie2: "p2"}, patterns=patterns)
    assert got["new-child"] == ("p1" if tie1 < tie2 else "p2")


def test_a_category_with_its_own_record_does_not_stop_other_carried_merges():
    patterns = {"a-old": CHILD_OLD, "b-old": PARENT_OLD}
    today = [Cat("own", CHILD_NEW), Cat("other", PARENT_NEW), Cat("p", "p"), Cat("q", "q")]
    # a-old (first in key order) stands for "own", which has its own record; b-old for "other"
    got = apply_merges(today, {"a-old": "p", "b-old": "q", "own": None}, patterns=patterns)
    assert got == {"own": "own", "other": "q", "p": "p", "q": "q"}


def test_merges_with_patterns_when_no_category_has_one():
    today = [Cat("a", ""), Cat("b", "")]
    assert apply_merges(today, {"old": "a", "b": "a"}, patterns={"old": "p"}) == {"a": "a", "b": "a"}


def test_merges_aliases_need_a_text_pattern():
    today = [Cat("new-child", CHILD_NEW), Cat("p", "p")]
    for patterns in ({"old-child": ""}, {"old-child": None}, {"old-child": 5}, {}):
        assert apply_merges(today, {"old-child": "p"}, patterns=patterns) == {"new-child": "new-child", "p": "p"}


def test_store_merges_carry_over_and_unmerge_end_to_end(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.merge("old-child", "old-parent", pattern=CHILD_OLD)
    store.annotate("old-parent", pattern=PARENT_OLD, label="parent")
    today = [Cat("new-child", CHILD_NEW), Cat("new-parent", PARENT_NEW)]
    assert store.apply_merges(today) == {"new-child": "new-parent", "new-parent": "new-parent"}
    assert store.apply_merges(today, threshold=95) == {"new-child": "new-child", "new-parent": "new-parent"}
    store.unmerge("old-child")
    assert fresh(tmp_path).apply_merges(today) == {"new-child": "new-child", "new-parent": "new-parent"}
    assert fresh(tmp_path).merge_records() == {"old-child": None}


def test_merge_refuses_cycles_through_a_chain(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.merge("b", "a")
    store.merge("c", "b")
    store.merge("d", "c")
    with pytest.raises(ValueError, match="cannot merge a into d: d already belongs to a; un-merge it first"):
        store.merge("a", "d")
    store.merge("a", "z")  # no cycle: fine
    assert store.merges() == {"b": "a", "c": "b", "d": "c", "a": "z"}


def test_merge_stops_walking_a_cycle_already_in_the_store(tmp_path):
    append(tmp_path / "bob.jsonl", ev("x", T, "bob", merge_into="y"), ev("y", T, "bob", merge_into="x"),
           ev("a", T, "bob", merge_into="x"))
    store = TriageStore(tmp_path, user="alice")
    store.merge("c", "x")  # the walk from x meets the x <-> y cycle and must stop
    store.merge("d", "a")  # from a: x, y, x... a cycle that a is not part of
    assert store.merges() == {"x": "y", "y": "x", "a": "x", "c": "x", "d": "a"}


# --------------------------------------------------------------------------------------------------
# writing: stamps, patterns, values

def test_a_new_change_is_stamped_after_everything_read_of_its_key(tmp_path):
    future = hours_ahead(1)
    append(tmp_path / "bob.jsonl", ev("c1", canonical(future), "bob", pattern="p", status="investigating"),
           ev("c2", canonical(future, 3_600_999_999), "bob", label="other key"))  # an hour later still
    store = TriageStore(tmp_path, user="alice")
    assert store.get("c1").status == "investigating"  # read: from now on, changes of c1 are after it
    store.annotate("c1", pattern="p", status="resolved")
    store.annotate("c3", label="after my own")
    written = [json.loads(x) for x in (tmp_path / "alice.jsonl").read_bytes().splitlines()]
    # c1: one microsecond after bob's change of c1 (not after c2's, another key)
    assert written[0]["time"] == canonical(future, 1)
    # c3: after our own previous change
    assert written[1]["time"] == canonical(future, 2)
    assert [w["seq"] for w in written] == [1, 2] and written[0]["w"] == written[1]["w"] != ""
    assert len(written[0]["w"]) == 8
    assert labels(fresh(tmp_path))["c2"] == "other key"
    assert fresh(tmp_path).get("c1").status == "resolved"


def test_the_pattern_is_written_when_new_or_changed_only(tmp_path):
    journal = tmp_path / "alice.jsonl"
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p1", label="a")
    store.annotate("c1", pattern="p1", label="b")
    store.annotate("c1", pattern="p2", label="c")
    store.annotate("c1", label="d")
    again = TriageStore(tmp_path, user="alice")  # a new process: it knows its journal from reading it
    again.annotations()
    again.annotate("c1", pattern="p2", label="e")
    blind = TriageStore(tmp_path, user="alice")  # one that has not read: records it again, to be safe
    blind.annotate("c1", pattern="p2", label="f")
    bob = TriageStore(tmp_path, user="bob")  # p2 is alice's: bob records it in his own journal
    bob.annotations()
    bob.annotate("c1", pattern="p2", label="g")
    written = [json.loads(x) for x in journal.read_bytes().splitlines()]
    assert [w.get("pattern") for w in written] == ["p1", None, "p2", None, None, "p2"]
    assert json.loads((tmp_path / "bob.jsonl").read_bytes())["pattern"] == "p2"
    assert fresh(tmp_path).patterns() == {"c1": "p2"}


def test_a_store_that_never_read_records_the_pattern(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.merge("c1", "c2", pattern="p")  # merge() reads the store first
    store.unmerge("c1")
    other = TriageStore(tmp_path, user="alice")
    other.unmerge("c5")  # writes without reading: no pattern
    lines = [json.loads(x) for x in (tmp_path / "alice.jsonl").read_bytes().splitlines()]
    assert [(x["key"], x["set"], x.get("pattern")) for x in lines] == [
        ("c1", {"merge_into": "c2"}, "p"), ("c1", {"merge_into": None}, None), ("c5", {"merge_into": None}, None)]


def test_annotate_values_are_trimmed_and_written_compactly(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p é", label="  disk full  ", status=" Known ", ticket=" GGUS:1 ", notes="  keep  ")
    raw = (tmp_path / "alice.jsonl").read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1 and b", " not in raw and "é".encode() in raw
    line = json.loads(raw)
    assert list(line) == ["v", "key", "set", "pattern", "author", "time", "seq", "w"]
    assert line["set"] == {"label": "disk full", "status": "known", "ticket": "GGUS:1", "notes": "  keep  "}
    assert (line["v"], line["key"], line["author"], line["pattern"]) == (1, "c1", "alice", "p é")


def test_a_lone_surrogate_is_written_escaped_and_read_back(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="bad \udc80 byte")
    raw = (tmp_path / "alice.jsonl").read_bytes()
    assert b"\\udc80" in raw and raw.endswith(b"\n") and b", " not in raw and b'":' in raw
    assert labels(fresh(tmp_path)) == {"c1": "bad \udc80 byte"}


@pytest.mark.parametrize("call, message", [
    (lambda s: s.annotate("c1", status=5), "status 5 is not one of"),
    (lambda s: s.annotate("c1", label=5), "label must be text, got 5"),
    (lambda s: s.annotate("c1", label=None), "nothing to annotate: give a label, status, ticket or notes"),
    (lambda s: s.annotate("c1", ticket="a\rb"), "ticket must be a single line"),
    (lambda s: s.annotate("c1", label="a\x00b"), "label must be a single line"),
    (lambda s: s.annotate("c1", label="x", pattern=5), "pattern must be text, got 5"),
    (lambda s: s.annotate("  ", label="x"), "a category key must be a non-empty one-line string"),
    (lambda s: s.annotate("a\nb", label="x"), "a category key must be a non-empty one-line string"),
    (lambda s: s.annotate("a\rb", label="x"), "a category key must be a non-empty one-line string"),
    (lambda s: s.annotate(5, label="x"), "a category key must be a non-empty one-line string, got 5"),
    (lambda s: s.merge("", "x"), "a category key must be a non-empty one-line string, got ''"),
    (lambda s: s.merge("x", ""), "a category key must be a non-empty one-line string, got ''"),
    (lambda s: s.unmerge(""), "a category key must be a non-empty one-line string, got ''"),
])
def test_bad_values_are_refused_and_nothing_is_written(tmp_path, call, message):
    store = TriageStore(tmp_path, user="alice")
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        call(store)
    assert not (tmp_path / "alice.jsonl").exists()


def test_labels_may_hold_any_single_line_text(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="XX-ray \t tab", ticket="X")
    assert (store.get("c1").label, store.get("c1").ticket) == ("XX-ray \t tab", "X")


def test_clearing_by_blank_values_and_status_case(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="x", status="KNOWN", notes="n")
    store.annotate("c1", label="   ", status="  ", notes="\n")
    sets = [json.loads(x)["set"] for x in (tmp_path / "alice.jsonl").read_bytes().splitlines()]
    assert sets == [{"label": "x", "status": "known", "notes": "n"}, {"label": None, "status": None, "notes": None}]
    assert fresh(tmp_path).get("c1").empty


# --------------------------------------------------------------------------------------------------
# the store directory and identity

def test_user_names(tmp_path, monkeypatch):
    for good in ("alice", "a.b-c_d@cern.ch", "+x", "_"):
        assert TriageStore(tmp_path, user=good).journal == tmp_path / f"{good}.jsonl"
    for bad in ("-x", "a b", "x" * 201, "é"):
        with pytest.raises(StoreError, match="cannot name a journal file") as info:
            TriageStore(tmp_path, user=bad)
        assert info.value.path == tmp_path
    assert TriageStore(tmp_path, user="x" * 200).user == "x" * 200
    monkeypatch.setenv("USER", "shifter")
    monkeypatch.setenv("LOGNAME", "somebody-else")
    assert current_user() == "shifter" and TriageStore(tmp_path).user == "shifter"
    monkeypatch.delenv("USER")
    assert current_user() == "somebody-else"  # what getpass finds
    monkeypatch.setenv("USER", "")
    assert current_user() == "somebody-else"


def test_store_error_path():
    assert StoreError("m").path is None and str(StoreError("m")) == "m"
    assert StoreError("m", "/a/b").path == Path("/a/b")


def test_a_new_store_has_no_warnings_or_unknown_lines_before_reading(tmp_path):
    store = TriageStore(tmp_path / "nowhere", user="alice")
    assert store.warnings == [] and store.unknown_events == []


def test_a_key_that_becomes_merged_only_is_not_an_annotation_in_the_cache(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="one")
    assert set(store.annotations()) == {"c1"}
    store.merge("c2", "c1", pattern="q")   # c2: a merge only, after the annotations were built
    assert set(store.annotations()) == {"c1"} and store.get("c2") is None
    store.annotate("c2", label="now annotated")
    assert labels(store) == {"c1": "one", "c2": "now annotated"}


def test_store_repr_and_from_config(tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "env-user")
    assert repr(TriageStore(tmp_path, user="al")) == f"TriageStore({str(tmp_path)!r}, user='al')"
    assert TriageStore.from_config(None, tmp_path, user="al").directory == tmp_path
    assert TriageStore.from_config(None, "", user="al").personal
    assert TriageStore.from_config(None, tmp_path, user="al").user == "al"
    assert TriageStore.from_config(None, tmp_path).user == "env-user"


def test_the_default_store_without_opint_data_dir(tmp_path, monkeypatch):
    from opint_core.triage import default_store_dir
    monkeypatch.delenv("OPINT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_dir() == tmp_path / "xdg" / "opint" / "triage"
    monkeypatch.setenv("OPINT_DATA_DIR", "")
    assert default_store_dir() == tmp_path / "xdg" / "opint" / "triage"


def test_a_missing_team_store_is_a_warning_and_is_created_by_the_first_write(tmp_path):
    d = tmp_path / "team"
    store = TriageStore(d, user="alice")
    assert store.annotations() == {}
    assert store.warnings == [f"{d}: the triage store does not exist yet; it will be created by the first "
                              f"annotation (check the path if you expected a team store there)"]
    store.annotate("c1", pattern="p", label="x")
    assert d.is_dir() and labels(fresh(d)) == {"c1": "x"} and fresh(d).warnings == []


def test_a_team_store_under_a_missing_parent_is_not_created(tmp_path):
    d = tmp_path / "nowhere" / "team"
    with pytest.raises(StoreError, match="its parent directory .* does not exist") as info:
        TriageStore(d, user="alice").annotate("c1", label="x")
    assert info.value.path == d and not d.parent.exists()


def test_a_store_path_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    store = TriageStore(f, user="alice")
    assert store.annotations() == {}
    assert store.warnings == [f"{f}: the triage store path is a file, not a directory; no annotations are read. "
                              f"Point --store / the config's store = at a directory"]
    with pytest.raises(StoreError) as info:
        store.annotate("c1", label="x")
    assert str(info.value) == (f"the triage store {f} is a file, not a directory: point --store (or store = in "
                               f"the config) at a directory")
    assert info.value.path == f


def test_a_team_store_under_a_file_cannot_be_created(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(StoreError) as info:
        TriageStore(f / "team", user="alice").annotate("c1", label="x")
    assert str(info.value) == (f"cannot create the triage store {f / 'team'}: Not a directory. Create it yourself, "
                               f"or use another store (--store DIR, or store = in the config)")
    assert info.value.path == f / "team"


def test_a_store_that_cannot_be_listed_is_a_warning(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)  # listing it fails with ELOOP
    store = TriageStore(loop, user="alice")
    assert store.annotations() == {}
    assert store.warnings == [f"{loop}: cannot list the triage store (Too many levels of symbolic links); no "
                              f"annotations are read. Ask for read access, or use another store (--store DIR)"]


def test_hidden_files_are_not_journals(tmp_path):
    append(tmp_path / ".alice.jsonl", ev("c1", T, label="hidden"))
    append(tmp_path / "alice.jsonl", ev("c2", T, label="shown"))
    assert labels(fresh(tmp_path)) == {"c2": "shown"}


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_personal_store_is_created_with_its_parents(tmp_path, monkeypatch, umask_022):
    monkeypatch.setenv("OPINT_DATA_DIR", str(tmp_path / "deep" / "data"))
    store = TriageStore(user="alice")
    assert store.personal and store.annotations() == {} and store.warnings == []
    store.annotate("c1", pattern="p", label="x")
    assert store.journal.is_file() and store.journal.parent == tmp_path / "deep" / "data" / "triage"
    assert oct(store.journal.stat().st_mode & 0o777) == oct(0o600)
    assert oct(store.directory.stat().st_mode & 0o777) == oct(0o700)
    store.annotate("c2", label="y")
    assert labels(fresh(store.directory)) == {"c1": "x", "c2": "y"}


def test_the_personal_store_is_recognised_through_a_symlink(tmp_path, monkeypatch, umask_022):
    monkeypatch.setenv("OPINT_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data" / "triage").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "data" / "triage")
    store = TriageStore(tmp_path / "link", user="alice")
    assert store.personal
    store.annotate("c1", label="x")
    assert oct(store.journal.stat().st_mode & 0o777) == oct(0o600)
    other = tmp_path / "team"
    other.mkdir()
    assert not TriageStore(other, user="alice").personal  # both exist, different directories


def test_a_journal_path_that_is_a_directory_refuses_writes(tmp_path):
    journal = tmp_path / "alice.jsonl"
    journal.mkdir()
    store = TriageStore(tmp_path, user="alice")
    with pytest.raises(StoreError) as info:
        store.annotate("c1", label="x")
    assert info.value.path == journal
    assert str(info.value) == (f"cannot save the change to {journal}: Is a directory. The change is NOT saved; "
                               f"check the store directory and make the change again. Nothing saved before was "
                               f"changed.")


def test_a_journal_path_that_is_a_dangling_symlink_refuses_writes(tmp_path):
    journal = tmp_path / "alice.jsonl"
    journal.symlink_to(tmp_path / "elsewhere" / "alice.jsonl")  # a link is never followed, dangling or not
    with pytest.raises(StoreError) as info:
        TriageStore(tmp_path, user="alice").annotate("c1", label="x")
    assert info.value.path == journal
    assert str(info.value) == (f"cannot save the change to {journal}: it is a symbolic link (to {tmp_path}/elsewhere/"
                               f"alice.jsonl), and opint does not write through links. The change is NOT saved; "
                               f"nothing saved before was changed")
    assert not (tmp_path / "elsewhere").exists()


@pytest.fixture
def immutable():
    """Set the immutable attribute of a file or directory (even root cannot write it then); cleared
    afterwards. Skips where the filesystem or the privileges do not allow it."""
    import fcntl
    import struct
    get_flags, set_flags, immutable_fl = 0x80086601, 0x40086602, 0x10
    done = []

    def flag(path: Path, on: bool = True) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            flags = struct.unpack("l", fcntl.ioctl(fd, get_flags, struct.pack("l", 0)))[0]
            flags = flags | immutable_fl if on else flags & ~immutable_fl
            fcntl.ioctl(fd, set_flags, struct.pack("l", flags))
        finally:
            os.close(fd)

    def make(path: Path) -> None:
        try:
            flag(path)
        except OSError as e:
            pytest.skip(f"cannot make {path} immutable here: {e}")
        done.append(path)
    yield make
    for path in done:
        flag(path, on=False)


def test_an_immutable_store_refuses_writes_as_not_writable(tmp_path, immutable):
    team = tmp_path / "team"
    team.mkdir()
    TriageStore(team, user="alice").annotate("c1", pattern="p", label="alice's")
    before = (team / "alice.jsonl").read_bytes()
    immutable(team / "alice.jsonl")
    immutable(team)
    for user in ("alice", "bob"):  # alice's journal exists and cannot be opened; bob's cannot be created
        journal = team / f"{user}.jsonl"
        with pytest.raises(StoreError) as info:
            TriageStore(team, user=user).annotate("c1", label="x")
        assert info.value.path == journal
        assert str(info.value) == (f"cannot save the change to {journal}: Operation not permitted. The change is NOT "
                                   f"saved; the triage store {team} is not writable for {user}: ask for write access, "
                                   f"or use another store (--store DIR, or store = in the config). Nothing saved "
                                   f"before was changed.")
    assert (team / "alice.jsonl").read_bytes() == before and not (team / "bob.jsonl").exists()
    assert labels(fresh(team)) == {"c1": "alice's"}


def test_a_journal_path_that_is_a_fifo_refuses_writes(tmp_path):
    journal = tmp_path / "alice.jsonl"
    os.mkfifo(journal)
    with pytest.raises(StoreError) as info:
        TriageStore(tmp_path, user="alice").annotate("c1", label="x")
    assert info.value.path == journal
    assert str(info.value) == f"{journal} is not a regular file: move it away so that the journal can be created"


@pytest.fixture
def file_size_limit():
    """Set RLIMIT_FSIZE for this process (SIGXFSZ ignored, so that a write past it is cut short or
    fails with EFBIG instead of killing us); restored afterwards."""
    import resource
    import signal
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def limit(size: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    yield limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    signal.signal(signal.SIGXFSZ, handler)


def test_a_write_cut_short_says_so_and_the_next_one_starts_a_new_line(tmp_path, file_size_limit):
    journal = tmp_path / "alice.jsonl"
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="one")
    size = journal.stat().st_size
    file_size_limit(size + 10)
    try:
        with pytest.raises(StoreError) as cut:
            store.annotate("c2", pattern="p", label="cut short " + "x" * 100)
        file_size_limit(size + 10)
        with pytest.raises(StoreError) as full:
            store.annotate("c3", pattern="p", label="no room at all")
    finally:
        file_size_limit(1 << 40)
    message = str(cut.value)
    assert message.startswith("only 10 of ") and cut.value.path == journal
    assert message.endswith(f" bytes of the change reached {journal} (disk full or over quota?): the change is NOT "
                            f"saved; free some space and make it again (the partial line is skipped when reading)")
    assert full.value.path == journal
    assert str(full.value) == (f"cannot save the change to {journal}: File too large. The change is NOT saved; "
                               f"check the store directory and make the change again. Nothing saved before was "
                               f"changed.")
    assert journal.stat().st_size == size + 10
    store.annotate("c4", pattern="p", label="after")
    data = journal.read_bytes()
    assert data.count(b"\n") == 3 and data[size + 10:size + 11] == b"\n"
    reader = fresh(tmp_path)
    assert labels(reader) == {"c1": "one", "c4": "after"} and len(reader.warnings) == 1
    assert reader.warnings[0].startswith(f"{journal}:2: not a valid JSON change line")


def test_team_journal_mode_follows_the_directory(tmp_path, umask_022):
    d = tmp_path / "team"
    d.mkdir()
    os.chmod(d, 0o750)
    TriageStore(d, user="alice").annotate("c1", label="x")
    assert oct((d / "alice.jsonl").stat().st_mode & 0o777) == oct(0o640)
    os.chmod(d, 0o755)
    TriageStore(d, user="bob").annotate("c1", label="y")
    assert oct((d / "bob.jsonl").stat().st_mode & 0o777) == oct(0o644)
