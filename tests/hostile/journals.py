"""Hostile and unlucky journals: real journal files in a real store folder, one named case per class
of issue 18 (and the classes that already held up), plus Hypothesis strategies for the fuzz of the fold.

- ``TIME_CASES``: a journal line whose time no real change can have (beyond 9999, before year 1,
  pushed out of range by its UTC offset, the maximal time, 2099, two days ahead); ``time_store``
  puts one between good lines of a team store.
- ``symlinked_journal_store`` / ``symlinked_own_journal``: a link named like a journal.
- ``DAMAGE_CASES``: what crashes and racing writers leave (a torn last line, a change glued after
  a fragment, the blank line of two racing writers, garbage), each with the changes still readable.
- ``concurrent_writers``: writers appending to one journal at the same time, for real.
- ``journal_line`` / ``valid_change``: strategies of arbitrary lines and of good changes.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from opint_core.triage import TriageStore
from opint_core.triage.journal import OUT_OF_RANGE, TOO_FAR_AHEAD

GOOD_TIME = "2026-11-20T08:00:00.000000+00:00"   # a real past time (the store's canonical form)
LATER = "2026-11-20T09:00:00.000000+00:00"


def change(key: str, time, author: str = "bob", *, w: str = "w1", seq: int = 1, pattern: str | None = None,
           **fields) -> dict:
    """One change line in the store's format (``fields``: the ``set`` member)."""
    event = {"v": 1, "key": key, "set": fields}
    if pattern is not None:
        event["pattern"] = pattern
    event.update(author=author, time=time, seq=seq, w=w)
    return event


def line(event: dict | bytes) -> bytes:
    return event if isinstance(event, bytes) else json.dumps(event).encode() + b"\n"


def append(path: Path, *events: dict | bytes) -> None:
    """Really append lines to a journal (bytes are written as they are)."""
    with open(path, "ab") as f:
        for e in events:
            f.write(line(e))


def canonical(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------------------------------
# times no real change can have

@dataclass(frozen=True)
class TimeCase:
    name: str
    time: str       # as written in the journal
    reason: str     # the repair expected (a key of TriageStore.repaired)


TIME_CASES = [
    TimeCase("year-10000", "10000-01-01T00:00:00+00:00", OUT_OF_RANGE),
    TimeCase("utc-offset-pushes-past-9999", "9999-12-31T23:00:00-05:00", OUT_OF_RANGE),
    TimeCase("utc-offset-pushes-before-year-1", "0001-01-01T00:00:00+05:00", OUT_OF_RANGE),
    TimeCase("year-0", "0000-06-01T00:00:00.000000+00:00", OUT_OF_RANGE),
    TimeCase("negative-year", "-0044-03-15T12:00:00Z", OUT_OF_RANGE),
    TimeCase("year-of-40-digits", "9" * 40 + "-01-01T00:00:00Z", OUT_OF_RANGE),
    TimeCase("maximal-time", "9999-12-31T23:59:59.999999+00:00", TOO_FAR_AHEAD),
    TimeCase("dated-2099", "2099-01-01T00:00:00.000000+00:00", TOO_FAR_AHEAD),
    TimeCase("two-days-ahead", canonical(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)), TOO_FAR_AHEAD),
]


@dataclass(frozen=True)
class TimeStore:
    directory: Path
    journal: Path             # bob's journal, holding the hostile line
    line: int                 # its line number
    key: str                  # the key the hostile line changes (its label, and a ticket no other line sets)
    good: dict[str, str]      # key -> label of every good line (the hostile key's: an earlier good change)


def time_store(directory: Path, case: TimeCase) -> TimeStore:
    """A team store: bob's journal has good lines around one line at ``case.time`` (key c-hostile,
    which also has an earlier good change of its label), carol's journal has good lines."""
    directory.mkdir(parents=True, exist_ok=True)
    bob, carol = directory / "bob.jsonl", directory / "carol.jsonl"
    append(bob, change("c-before", GOOD_TIME, label="before"),
           change("c-hostile", GOOD_TIME, seq=2, pattern="p <*>", label="good, earlier"),
           change("c-hostile", case.time, seq=3, label="hostile", ticket="GGUS:666"),
           change("c-after", LATER, seq=4, label="after"))
    append(carol, change("c-carol", GOOD_TIME, "carol", w="w2", label="carol's"),
           change("c-before", LATER, "carol", w="w2", seq=2, status="known"))
    return TimeStore(directory, bob, 3, "c-hostile",
                     {"c-before": "before", "c-hostile": "good, earlier", "c-after": "after", "c-carol": "carol's"})


# --------------------------------------------------------------------------------------------------
# links named like journals

@dataclass(frozen=True)
class LinkedStore:
    directory: Path
    link: Path        # the link, named like a journal
    target: Path      # the file it points at
    target_bytes: bytes


def symlinked_journal_store(directory: Path) -> LinkedStore:
    """A team store where mallory.jsonl links to a file outside the store that reads as a journal
    (a change of key c-secret): following it would show that file's content as annotations."""
    directory.mkdir(parents=True, exist_ok=True)
    append(directory / "bob.jsonl", change("c1", GOOD_TIME, label="bob's"))
    target = directory.parent / "private" / "secret.jsonl"
    target.parent.mkdir(exist_ok=True)
    append(target, change("c-secret", GOOD_TIME, "mallory", label="read through the link"))
    link = directory / "mallory.jsonl"
    link.symlink_to(target)
    return LinkedStore(directory, link, target, target.read_bytes())


def symlinked_own_journal(directory: Path, user: str) -> LinkedStore:
    """A store where ``user``'s own journal is a link to another file of theirs (here ~/.bashrc-like
    text): appending through it would change that file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory.parent / "home" / ".bashrc"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(b"export PATH=$HOME/bin:$PATH\n")
    link = directory / f"{user}.jsonl"
    link.symlink_to(target)
    return LinkedStore(directory, link, target, target.read_bytes())


# --------------------------------------------------------------------------------------------------
# what crashes and racing writers leave (these held up already)

@dataclass(frozen=True)
class DamageCase:
    name: str
    content: bytes                 # the journal's bytes
    labels: dict[str, str]         # key -> label a reader must see
    warned_lines: tuple[int, ...]  # the lines named in warnings


_A = line(change("c1", GOOD_TIME, label="one"))
_B = line(change("c2", LATER, seq=2, label="two"))

DAMAGE_CASES = [
    DamageCase("torn-last-line", _A + _B[:37], {"c1": "one"}, (2,)),
    DamageCase("torn-line-then-a-new-line", _A + _B[:37] + b"\n" + _B, {"c1": "one", "c2": "two"}, (2,)),
    DamageCase("change-glued-after-a-fragment", _A[:25] + _B, {"c2": "two"}, (1,)),
    DamageCase("blank-line-of-two-racing-writers", _A + b"\n" + _B, {"c1": "one", "c2": "two"}, ()),
    DamageCase("garbage-and-binary-lines", b"garbage\n\xff\xfe\x00\x1b[2J\n" + _A + b"[1, 2]\n" + _B,
               {"c1": "one", "c2": "two"}, (1, 2, 4)),
    DamageCase("nesting-3000-deep", _A + b"[" * 3000 + b"]" * 3000 + b"\n" + _B, {"c1": "one", "c2": "two"}, (2,)),
]


def concurrent_writers(directory: Path, user: str, writers: int, changes: int) -> dict[str, str]:
    """``writers`` TriageStore objects of one user (so one journal, several writer ids) appending
    ``changes`` each at the same time, from threads; returns key -> label written."""
    start = threading.Barrier(writers)
    written: dict[str, str] = {}
    errors: list[BaseException] = []

    def write(n: int) -> None:
        store = TriageStore(directory, user=user)
        start.wait()
        try:
            for i in range(changes):
                store.annotate(f"w{n}-{i}", pattern=f"pattern {n} <*>", label=f"label {n} {i}")
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    for n in range(writers):
        written.update({f"w{n}-{i}": f"label {n} {i}" for i in range(changes)})
    return written


# --------------------------------------------------------------------------------------------------
# Hypothesis strategies: arbitrary lines, and good changes

KEYS = ("c1", "c2", "c3")
FIELDS = ("label", "status", "ticket", "notes", "merge_into")
_UTC = dt.timezone.utc

hostile_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["\x1b[2J", "\x1b]52;c;SGVsbG8=\x07", "\x9b31m", "\u202e", "\ud800", "\x00", "a\nb", "\r"]),
)
past_times = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2026, 11, 30),
                          timezones=st.just(_UTC))
any_times = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                         timezones=st.sampled_from([_UTC, dt.timezone(dt.timedelta(hours=14)),
                                                    dt.timezone(dt.timedelta(hours=-12))]))
time_values = st.one_of(
    past_times.map(canonical),
    any_times.map(lambda t: t.isoformat()),                      # any offset, any year
    past_times.map(lambda t: canonical(t)[:-6] + "Z"),
    st.sampled_from([c.time for c in TIME_CASES]),
    st.from_regex(r"-?[0-9]{1,6}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?([+-][0-9]{2}:[0-9]{2}|Z)?",
                  fullmatch=True),
    st.integers(), st.floats(), st.none(), st.booleans(), hostile_text,
)
values = st.one_of(st.none(), hostile_text, st.integers(), st.floats(), st.booleans(),
                   st.lists(hostile_text, max_size=2), st.dictionaries(hostile_text, hostile_text, max_size=2))
members = {
    "v": st.one_of(st.just(1), st.integers(), values),
    "key": st.one_of(st.sampled_from(KEYS), values),
    "set": st.one_of(st.dictionaries(st.one_of(st.sampled_from(FIELDS), hostile_text), values, max_size=3), values),
    "time": time_values,
    "author": st.one_of(st.sampled_from(["bob", "carol", "zed"]), values),
    "seq": st.one_of(st.integers(min_value=-2**70, max_value=2**70), values),
    "w": st.one_of(st.sampled_from(["w1", "w2"]), values),
    "pattern": st.one_of(hostile_text, values),
}
hostile_changes = st.builds(lambda known, unknown: {**unknown, **known},
                            st.fixed_dictionaries({}, optional=members),
                            st.dictionaries(hostile_text, values, max_size=2))


def _dumps(event: dict) -> bytes:
    return json.dumps(event).encode()   # NaN and Infinity too: what another tool may write


#: One line of a journal, without its newline: a change with arbitrary members, a good change cut
#: short, random bytes, deep nesting, a blank line.
journal_line = st.one_of(
    hostile_changes.map(_dumps),
    st.tuples(hostile_changes.map(_dumps), st.integers(min_value=1, max_value=80)).map(lambda p: p[0][:p[1]]),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ")),
    st.integers(min_value=100, max_value=2500).map(lambda n: b"[" * n + b"]" * n),
    st.just(b""),
)


@st.composite
def valid_change(draw) -> dict:
    """A good change (what opint writes): a label of one of KEYS at a real past time."""
    return change(draw(st.sampled_from(KEYS)), canonical(draw(past_times)), draw(st.sampled_from(["bob", "carol"])),
                  w=draw(st.sampled_from(["w1", "w2"])), seq=draw(st.integers(min_value=1, max_value=9)),
                  pattern=draw(st.one_of(st.none(), st.just("pattern <*>"))), label=draw(hostile_text))
