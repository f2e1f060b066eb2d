"""Triage store: annotations, folding, forward compatibility, carry-over and merges (real files)."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from opint_core.triage import (
    CARRY_OVER_THRESHOLD, STATUSES, Annotation, StoreError, TriageStore, apply_merges, carry_over,
    default_store_dir, pattern_similarity,
)

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


@dataclass(frozen=True)
class Cat:
    """Same shape as opint_core.clustering.Category."""
    key: str
    pattern: str
    count: int = 1
    templates: tuple[int, ...] = ()


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_bytes().split(b"\n") if x.strip()]


def write_lines(path: Path, events: list[dict]) -> None:
    with open(path, "ab") as f:
        for e in events:
            f.write(json.dumps(e).encode() + b"\n")


def ev(key, time, author="alice", w="w1", seq=1, pattern=None, **changes):
    e = {"v": 1, "key": key, "set": changes}
    if pattern is not None:
        e["pattern"] = pattern
    e.update(author=author, time=time, seq=seq, w=w)
    return e


T0 = "2026-11-20T08:00:00.000000+00:00"
T1 = "2026-11-20T09:00:00.000000+00:00"
T2 = "2026-11-20T10:00:00.000000+00:00"


# --------------------------------------------------------------------------------------------------
# writing and reading back

def test_annotate_writes_one_line_per_change_and_reads_back(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="SRM_INVALID_PATH <*> does not exist", label="missing files",
                   status="known", ticket="GGUS:123456", notes="site contacted\nsecond line")
    store.annotate("c1", pattern="SRM_INVALID_PATH <*> does not exist", status="ticketed")
    [first, second] = lines(tmp_path / "alice.jsonl")
    assert first["set"] == {"label": "missing files", "status": "known", "ticket": "GGUS:123456",
                            "notes": "site contacted\nsecond line"}
    assert first["pattern"] == "SRM_INVALID_PATH <*> does not exist"
    assert "pattern" not in second  # recorded once per journal: the latest recorded one counts
    assert first["author"] == "alice" and TIME_RE.match(first["time"]) and second["time"] > first["time"]
    assert (first["seq"], second["seq"]) == (1, 2) and first["v"] == 1

    a = TriageStore(tmp_path, user="bob").annotations()["c1"]
    assert (a.label, a.status, a.ticket, a.notes) == ("missing files", "ticketed", "GGUS:123456",
                                                      "site contacted\nsecond line")
    assert a.pattern == "SRM_INVALID_PATH <*> does not exist"
    assert a.author == "alice" and a.time == second["time"]
    assert a.changes["label"].time == first["time"] and a.changes["status"].time == second["time"]


def test_latest_change_of_each_field_wins_across_journals(tmp_path):
    write_lines(tmp_path / "alice.jsonl", [ev("c1", T0, label="first", status="investigating", pattern="p <*>"),
                                            ev("c1", T2, "alice", seq=2, label="third")])
    write_lines(tmp_path / "bob.jsonl", [ev("c1", T1, "bob", w="w2", label="second", ticket="https://ggus.eu/1")])
    a = TriageStore(tmp_path, user="carol").annotations()["c1"]
    assert (a.label, a.status, a.ticket) == ("third", "investigating", "https://ggus.eu/1")
    assert a.changes["label"].author == "alice" and a.changes["ticket"].author == "bob"
    assert (a.author, a.time) == ("alice", T2)


def test_ties_are_broken_by_author_writer_seq_whatever_the_file_order(tmp_path):
    results = []
    for names in (("a", "b"), ("b", "a")):
        d = tmp_path / "".join(names)
        d.mkdir()
        # same microsecond: author decides (bob > alice), then writer id, then seq
        write_lines(d / f"{names[0]}.jsonl", [ev("c1", T1, "alice", label="by alice"),
                                              ev("c2", T1, "alice", w="w1", seq=7, label="w1 seq 7")])
        write_lines(d / f"{names[1]}.jsonl", [ev("c1", T1, "bob", label="by bob"),
                                              ev("c2", T1, "alice", w="w1", seq=3, label="w1 seq 3"),
                                              ev("c2", T1, "alice", w="w0", seq=9, label="w0 seq 9")])
        ann = TriageStore(d, user="x").annotations()
        results.append((ann["c1"].label, ann["c2"].label))
    assert results == [("by bob", "w1 seq 7")] * 2


def test_fold_matches_a_naive_reference_whatever_the_line_order(tmp_path):
    """Randomised: 3 journals, shuffled lines, many equal times; the fast path and the per-line
    path (forced by a garbage line) both equal a sort-everything-then-apply reference."""
    rng = random.Random(4)
    keys = [f"c{i}" for i in range(25)]
    times = [f"2026-11-20T08:00:0{s}.00000{u}+00:00" for s in range(3) for u in range(3)]
    journals: dict[str, list[dict]] = {"alice": [], "bob": [], "carol": []}
    for n in range(3000):
        author = rng.choice(list(journals))
        fields = rng.sample(["label", "status", "ticket", "notes", "merge_into"], rng.randint(1, 3))
        changes = {f: (rng.choice([None, f"{f}{rng.randrange(50)}"]) if f != "status" else
                       rng.choice(STATUSES + (None,))) for f in fields}
        e = ev(rng.choice(keys), rng.choice(times), author, w=rng.choice(["a1", "b2"]), seq=rng.randrange(5),
               **changes)
        if rng.random() < 0.3:
            e["pattern"] = f"pattern {rng.randrange(4)} <*>"
        journals[author].append(e)
    expected: dict[str, dict] = {}
    everything = [e for es in journals.values() for e in es]
    # equal stamps (same writer and seq: only in corrupt journals) are ordered by content
    for e in sorted(everything, key=lambda e: (e["time"], e["author"], e["w"], e["seq"], json.dumps(e, sort_keys=True))):
        rec = expected.setdefault(e["key"], {})
        rec.update(e["set"])
        if "pattern" in e:
            rec["pattern"] = e["pattern"]

    def check(d: Path) -> TriageStore:
        store = TriageStore(d, user="reader")
        ann, merges, patterns = store.annotations(), store.merges(), store.patterns()
        for key, rec in expected.items():
            if key in ann:
                a = ann[key]
                assert (a.label, a.ticket, a.notes) == (rec.get("label"), rec.get("ticket"), rec.get("notes"))
                assert a.status == (rec.get("status") or "new")
            else:
                assert not any(rec.get(f) for f in ("label", "status", "ticket", "notes"))
            assert merges.get(key) == (rec.get("merge_into") if rec.get("merge_into") != key else None)
            assert patterns.get(key) == rec.get("pattern")
        return store

    fast = tmp_path / "fast"
    fast.mkdir()
    for author, es in journals.items():
        rng.shuffle(es)
        write_lines(fast / f"{author}.jsonl", es)
    assert check(fast).warnings == []

    slow = tmp_path / "slow"
    slow.mkdir()
    for author, es in journals.items():
        write_lines(slow / f"{author}.jsonl", es[:100])
        with open(slow / f"{author}.jsonl", "ab") as f:
            f.write(b"this is not json\n")
        write_lines(slow / f"{author}.jsonl", es[100:])
    store = check(slow)
    assert len(store.warnings) == 3 and all(":101: not a valid JSON" in w for w in store.warnings)


def test_clearing_fields(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("c1", pattern="p", label="x", status="known", ticket="T-1", notes="n")
    store.annotate("c1", label="", status="", ticket="", notes="  ")
    a = TriageStore(tmp_path, user="bob").annotations()["c1"]
    assert (a.label, a.status, a.ticket, a.notes) == (None, "new", None, None)
    assert a.empty and a.pattern == "p"
    assert lines(tmp_path / "alice.jsonl")[1]["set"] == {"label": None, "status": None, "ticket": None,
                                                         "notes": None}


@pytest.mark.parametrize("kwargs, message", [
    ({"status": "fixed"}, "status 'fixed' is not one of: new, investigating, ticketed, known, resolved, ignored"),
    ({"label": "two\nlines"}, "label must be a single line"),
    ({"ticket": "GGUS:1\nGGUS:2"}, "ticket must be a single line"),
    ({"notes": 5}, "notes must be text"),
    ({}, "nothing to annotate"),
])
def test_bad_values_are_refused_and_nothing_is_written(tmp_path, kwargs, message):
    store = TriageStore(tmp_path, user="alice")
    with pytest.raises(ValueError, match=re.escape(message)):
        store.annotate("c1", pattern="p", **kwargs)
    assert not (tmp_path / "alice.jsonl").exists()
    with pytest.raises(ValueError, match="category key"):
        store.annotate("", label="x")


def test_status_is_case_insensitive_and_every_status_is_accepted(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    for i, status in enumerate(STATUSES):
        store.annotate(f"c{i}", pattern="p", status=status.upper())
    assert [store.annotations()[f"c{i}"].status for i in range(len(STATUSES))] == list(STATUSES)


def test_own_changes_are_visible_at_once_and_teammates_after_reload(tmp_path):
    alice, bob = TriageStore(tmp_path, user="alice"), TriageStore(tmp_path, user="bob")
    assert alice.annotations() == {} and bob.annotations() == {}
    alice.annotate("c1", pattern="p", label="from alice")
    assert alice.annotations()["c1"].label == "from alice"
    assert "c1" not in bob.annotations()  # cached until reload
    bob.reload()
    assert bob.annotations()["c1"].label == "from alice"


def hours_ahead(hours: float) -> dt.datetime:
    """A time ``hours`` ahead of the clock, on a whole second (a teammate's clock that is ahead)."""
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).replace(microsecond=0)


def canonical(t: dt.datetime, microseconds: int = 0) -> str:
    """``t`` plus ``microseconds``, as a journal time."""
    return (t + dt.timedelta(microseconds=microseconds)).isoformat(timespec="microseconds")


def test_a_change_made_after_seeing_a_future_dated_one_still_wins(tmp_path):
    """Teammate's clock is an hour ahead: once we have read their change, ours is stamped after it."""
    future = hours_ahead(1)
    write_lines(tmp_path / "bob.jsonl", [ev("c1", canonical(future), "bob", pattern="p", status="investigating")])
    alice = TriageStore(tmp_path, user="alice")
    assert alice.annotations()["c1"].status == "investigating"
    alice.annotate("c1", pattern="p", status="resolved")
    assert lines(tmp_path / "alice.jsonl")[0]["time"] == canonical(future, 1)
    assert TriageStore(tmp_path, user="carol").annotations()["c1"].status == "resolved"


def test_merges_and_unmerges(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.merge("b", "a", pattern="pattern b")
    store.merge("c", "b", pattern="pattern c")
    assert store.merges() == {"b": "a", "c": "b"}
    with pytest.raises(ValueError, match="already belongs to"):
        store.merge("a", "c")
    with pytest.raises(ValueError, match="into itself"):
        store.merge("a", "a")
    store.unmerge("c")
    fresh = TriageStore(tmp_path, user="bob")
    assert fresh.merges() == {"b": "a"} and fresh.merge_records() == {"b": "a", "c": None}
    assert fresh.patterns() == {"b": "pattern b", "c": "pattern c"}
    assert fresh.annotations() == {}  # merges are not annotations


def test_fields_and_lines_of_a_newer_version_are_kept_and_never_rewritten(tmp_path):
    journal = tmp_path / "dana.jsonl"
    newer = [
        {"v": 2, "key": "c1", "set": {"label": "x", "severity": "high", "links": ["a", "b"]}, "pattern": "p",
         "author": "dana", "time": T0, "seq": 1, "w": "d", "origin": {"app": "opint 9"}},
        {"v": 2, "kind": "snapshot", "time": T1, "author": "dana", "state": {"c1": {}}},
        {"v": 2, "key": "c1", "set": {"severity": "low"}, "author": "dana", "time": T1, "seq": 2, "w": "d"},
    ]
    write_lines(journal, newer)
    before = journal.read_bytes()
    store = TriageStore(tmp_path, user="dana")
    a = store.annotations()["c1"]
    assert a.label == "x" and a.extra == {"severity": "low", "links": ["a", "b"], "origin": {"app": "opint 9"}}
    assert a.changes["severity"].time == T1
    assert store.unknown_events == [newer[1]] and store.warnings == []
    store.annotate("c1", pattern="p", status="known")
    assert journal.read_bytes().startswith(before)
    a = TriageStore(tmp_path, user="x").annotations()["c1"]
    assert a.status == "known" and a.extra["severity"] == "low"


def test_odd_but_usable_lines_are_repaired_not_dropped(tmp_path):
    write_lines(tmp_path / "erin.jsonl", [
        {"key": "c1", "set": {"label": "zulu time"}, "time": "2026-11-20T09:00:00Z"},   # no author/w/seq
        {"key": "c1", "set": {"label": "earlier, other offset"}, "time": "2026-11-20T10:30:00+02:00"},
        {"key": "c2", "set": {"status": "known"}, "time": T0, "author": "erin", "w": 5, "seq": "x"},
    ])
    store = TriageStore(tmp_path, user="x")
    ann = store.annotations()
    assert ann["c1"].label == "zulu time" and ann["c1"].author == "erin"  # journal name as author
    assert ann["c1"].time == "2026-11-20T09:00:00.000000+00:00"
    assert ann["c2"].status == "known" and store.warnings == []


def test_warnings_name_the_file_and_line_of_every_unusable_line(tmp_path):
    journal = tmp_path / "frank.jsonl"
    write_lines(journal, [ev("c1", T0, "frank", label="ok 1")])
    with open(journal, "ab") as f:
        f.write(b"garbage\n\xff\xfe binary\n[1, 2]\n")
    write_lines(journal, [{"v": 1, "set": {"label": "no key"}, "time": T0}, ev("c2", T1, "frank", label="ok 2")])
    store = TriageStore(tmp_path, user="x")
    assert {k: a.label for k, a in store.annotations().items()} == {"c1": "ok 1", "c2": "ok 2"}
    assert [w.split(": ")[0] for w in store.warnings] == [f"{journal}:{n}" for n in (2, 3, 4, 5)]
    assert "not a triage change" in store.warnings[3]


def test_default_store_is_the_personal_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OPINT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USER", "shifter1")
    store = TriageStore()
    assert store.directory == default_store_dir() == tmp_path / "data" / "triage"
    assert store.personal and store.user == "shifter1" and store.journal.name == "shifter1.jsonl"
    assert store.annotations() == {} and store.warnings == []  # missing personal store: nothing to say
    assert not store.directory.exists()  # reading never creates anything

    class Config:
        store = str(tmp_path / "team")
    assert TriageStore.from_config(Config()).directory == tmp_path / "team"
    assert TriageStore.from_config(Config(), store=tmp_path / "other").directory == tmp_path / "other"
    assert not TriageStore.from_config(Config()).personal


def test_user_names_that_cannot_name_a_file_are_refused(tmp_path):
    for bad in ("../evil", "a/b", ".hidden", ""):
        with pytest.raises(StoreError, match="cannot name a journal file"):
            TriageStore(tmp_path, user=bad)


def test_journals_of_other_kinds_of_files_are_ignored(tmp_path):
    write_lines(tmp_path / "alice.jsonl", [ev("c1", T0, label="kept")])
    write_lines(tmp_path / ".alice.jsonl.swp", [ev("c1", T1, label="editor swap file")])
    write_lines(tmp_path / "notes.txt", [ev("c1", T1, label="not a journal")])
    (tmp_path / "sub.jsonl").mkdir()  # a directory with a journal's name: warned, skipped
    store = TriageStore(tmp_path, user="x")
    assert store.annotations()["c1"].label == "kept"
    assert len(store.warnings) == 1 and str(tmp_path / "sub.jsonl") in store.warnings[0]


# --------------------------------------------------------------------------------------------------
# carry-over

SRM = ("DESTINATION SRM_PUT_TURL error on the turl request : [SE][StatusOfPutRequest][SRM_EXCEED_ALLOCATION] "
       "Space associated with the space token <*> is not enough to hold SURL.")
SRM_VARIANT = SRM.replace("DESTINATION SRM_PUT_TURL", "DESTINATION SRM_PUT_TURL <*>")
XRD_NOFILE = "Error on XrdCl::CopyProcess::Run(): [ERROR] Server responded with an error: [3011] No such file"
XRD_TPC = "Error on XrdCl::CopyProcess::Run(): [ERROR] Server responded with an error: [3012] failed tpc"


def test_carry_over_exact_key_then_similar_pattern(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("k-srm", pattern=SRM, label="space token full", status="known")
    store.annotate("k-nofile", pattern=XRD_NOFILE, label="missing file")
    cats = [Cat("k-srm", SRM), Cat("k-new", SRM_VARIANT), Cat("k-tpc", XRD_TPC), Cat("k-other", "Connection refused")]
    got = carry_over(cats, store.annotations())
    assert set(got) == {"k-srm", "k-new"}
    assert got["k-srm"].exact and got["k-srm"].similarity == 100.0
    new = got["k-new"]
    assert new.inherited and new.source_key == "k-srm" and new.annotation.label == "space token full"
    assert CARRY_OVER_THRESHOLD <= new.similarity < 100 and new.similarity == round(pattern_similarity(SRM_VARIANT, SRM), 1)
    # a few characters but three words apart: a different problem, not inherited
    assert pattern_similarity(XRD_TPC, XRD_NOFILE) < CARRY_OVER_THRESHOLD
    assert store.carry_over(cats) == got
    assert set(carry_over(cats, store, threshold=50)) == {"k-srm", "k-new", "k-tpc"}


def test_carry_over_exact_cleared_annotation_blocks_inheritance_and_empty_ones_are_not_sources(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("k-old", pattern=SRM, label="space token full")
    store.annotate("k-cleared", pattern=SRM_VARIANT, label="x")
    store.annotate("k-cleared", label="")
    got = carry_over([Cat("k-cleared", SRM_VARIANT), Cat("k-3", SRM_VARIANT + " <*>")], store.annotations())
    assert got["k-cleared"].exact and got["k-cleared"].annotation.empty
    assert got["k-3"].source_key == "k-old"  # not the cleared one, though it is more similar


def test_carry_over_prefers_the_most_similar_then_the_newest(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.annotate("older", pattern=SRM + " A", label="older")
    store.annotate("newer", pattern=SRM + " B", label="newer")
    store.annotate("closest", pattern=SRM_VARIANT + " C", label="closest")
    got = carry_over([Cat("q1", SRM + " Z"), Cat("q2", SRM_VARIANT + " C D")], store)
    assert got["q1"].source_key == "newer" and got["q2"].source_key == "closest"


def test_carry_over_many_categories_against_many_annotations(tmp_path):
    rng = random.Random(1)
    words = [f"w{i}" for i in range(400)]
    patterns = [" ".join(rng.choices(words, k=12)) + " <*>" for _ in range(3000)]
    annotations = {f"a{i}": Annotation(key=f"a{i}", pattern=p, label=f"label {i}", time=T0)
                   for i, p in enumerate(patterns)}
    cats = [Cat(f"n{i}", p.replace(" <*>", " extra <*>")) for i, p in enumerate(patterns[:1500])]
    got = carry_over(cats, annotations)
    assert len(got) == 1500 and all(got[f"n{i}"].source_key == f"a{i}" for i in range(1500))


def test_carry_over_with_the_real_clustering(tmp_path):
    clustering = pytest.importorskip("opint_core.clustering")
    messages = ["SOURCE CHECKSUM MISMATCH User defined checksum and source checksum do not match 0a1b != 9f8e"] * 3 + \
               ["TRANSFER globus_ftp_client: the server responded with an error 451 Unable to connect to 10.0.0.1"]
    day1 = clustering.cluster(messages)
    store = TriageStore(tmp_path, user="alice")
    cat = day1.categories[0]
    store.annotate(cat.key, pattern=cat.pattern, label="checksum mismatch", status="ticketed")
    day2 = clustering.cluster(list(reversed(messages)) * 2)
    got = carry_over(day2, store.annotations())
    assert got[cat.key].exact and got[cat.key].annotation.label == "checksum mismatch"


# --------------------------------------------------------------------------------------------------
# merges after clustering

def test_apply_merges_chains_absent_parents_and_cycles():
    cats = [Cat(k, f"pattern {k}") for k in ("a", "b", "c", "d", "x", "y")]
    merges = {"b": "a", "c": "b", "d": "gone", "gone": "a", "x": "y", "y": "x", "e": "a"}
    assert apply_merges(cats, merges) == {"a": "a", "b": "a", "c": "a", "d": "a", "x": "x", "y": "x"}
    assert apply_merges(cats, {"b": "gone"}) == {k: k for k in "abcdxy"}  # a parent absent today folds nothing
    counts = {"a": 5, "b": 3, "c": 1}
    mapping = apply_merges([Cat(k, k, counts[k]) for k in counts], {"b": "a", "c": "b"})
    total: dict[str, int] = {}
    for c in [Cat(k, k, counts[k]) for k in counts]:
        total[mapping[c.key]] = total.get(mapping[c.key], 0) + c.count
    assert total == {"a": 9}


def test_merges_carry_over_to_similar_categories(tmp_path):
    store = TriageStore(tmp_path, user="alice")
    store.merge("old-child", "old-parent", pattern=SRM)
    store.annotate("old-parent", pattern=XRD_NOFILE, label="parent")
    store.merge("kept-apart", "old-parent", pattern=SRM + " kept apart")
    store.unmerge("kept-apart")
    today = [Cat("new-parent", XRD_NOFILE + " <*>"), Cat("new-child", SRM_VARIANT), Cat("kept-apart", SRM + " <*>")]
    mapping = store.apply_merges(today)
    assert mapping == {"new-parent": "new-parent", "new-child": "new-parent", "kept-apart": "kept-apart"}
    assert apply_merges(today, store.merges()) == {c.key: c.key for c in today}  # without patterns: exact only


def test_a_fifo_or_a_deeply_nested_line_does_not_hang_or_crash_the_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.jsonl")  # nobody writes to it: a blocking open would hang forever
    journal = tmp_path / "alice.jsonl"
    write_lines(journal, [ev("c1", T0, label="fine")])
    with open(journal, "ab") as f:
        f.write(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    store = TriageStore(tmp_path, user="x")
    assert store.annotations()["c1"].label == "fine"
    assert any(w.startswith(f"{journal}:2: not a valid JSON") for w in store.warnings)
    assert any(w.startswith(f"{tmp_path / 'pipe.jsonl'}: not a regular file") for w in store.warnings)


def test_changes_written_while_another_thread_reloads_are_not_lost_from_the_cache(tmp_path):
    import threading

    store = TriageStore(tmp_path, user="alice")
    for i in range(300):
        store.annotate(f"seed{i}", pattern="p <*>", label="seed")
    stop = threading.Event()

    def reloader():
        while not stop.is_set():
            store.reload()

    thread = threading.Thread(target=reloader)
    thread.start()
    try:
        for i in range(100):
            store.annotate(f"c{i}", pattern="p <*>", label=f"label {i}")
            assert store.annotations()[f"c{i}"].label == f"label {i}"
    finally:
        stop.set()
        thread.join()
    assert len(store.annotations()) == 400


def test_blank_lines_are_harmless_and_line_numbers_stay_right(tmp_path):
    journal = tmp_path / "alice.jsonl"
    journal.write_bytes(b"\n")
    write_lines(journal, [ev("c1", T0, label="one")])
    with open(journal, "ab") as f:
        f.write(b"\n\n\n")
    write_lines(journal, [ev("c2", T1, label="two"), {"v": 1, "key": "c3", "set": {}}])  # line 7: no time
    store = TriageStore(tmp_path, user="x")
    assert {k: a.label for k, a in store.annotations().items()} == {"c1": "one", "c2": "two"}
    assert len(store.warnings) == 1 and store.warnings[0].startswith(f"{journal}:7: not a triage change")
    with open(journal, "ab") as f:
        f.write(b"{broken\n")  # now the per-line path
    store.reload()
    assert [w.split(": ")[0] for w in store.warnings] == [f"{journal}:7", f"{journal}:8"]
    assert set(store.annotations()) == {"c1", "c2"}


def test_reload_reads_only_what_was_appended_and_equals_a_full_read(tmp_path):
    rng = random.Random(9)
    alice, bob = tmp_path / "alice.jsonl", tmp_path / "bob.jsonl"
    write_lines(alice, [ev("c0", T0, label="zero")])
    with open(alice, "ab") as f:
        f.write(b"garbage\n")
    store = TriageStore(tmp_path, user="reader")
    assert set(store.annotations()) == {"c0"} and len(store.warnings) == 1
    n = 0
    for step in range(5):
        for _ in range(50):
            n += 1
            path, author = rng.choice([(alice, "alice"), (bob, "bob")])
            t = f"2026-11-20T08:{rng.randrange(60):02d}:00.{rng.randrange(3):06d}+00:00"  # not in file order
            write_lines(path, [ev(f"c{rng.randrange(20)}", t, author, w=author, seq=n, label=f"l{n}",
                                  status=rng.choice(STATUSES))])
        with open(bob, "ab") as f:
            f.write(b'{"v":1,"key":"half')  # a line being written while we read
        store.reload()
        assert any("is incomplete" in w for w in store.warnings)
        with open(bob, "ab") as f:
            f.write(b'-written","set":{"label":"done"},"author":"bob","time":"' + T0.encode() + b'","seq":0,"w":"b"}\n')
        store.reload()
        full = TriageStore(tmp_path, user="reader")
        assert store.annotations() == full.annotations() and store.warnings == full.warnings
        assert len(store.warnings) == 1 and store.warnings[0].startswith(f"{alice}:2: not a valid JSON")
        assert store.annotations()["half-written"].label == "done"


def test_reload_notices_a_journal_replaced_or_removed(tmp_path):
    write_lines(tmp_path / "alice.jsonl", [ev("c1", T0, label="alice's")])
    write_lines(tmp_path / "bob.jsonl", [ev("c2", T0, "bob", label="bob's")])
    store = TriageStore(tmp_path, user="reader")
    assert set(store.annotations()) == {"c1", "c2"}
    (tmp_path / "bob.jsonl").unlink()
    store.reload()
    assert set(store.annotations()) == {"c1"}
    replacement = tmp_path / "alice.new"
    write_lines(replacement, [ev("c3", T1, label="restored from a backup")])
    replacement.replace(tmp_path / "alice.jsonl")
    store.reload()
    assert set(store.annotations()) == {"c3"}
