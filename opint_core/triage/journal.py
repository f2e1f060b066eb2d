"""Reading and folding journals: parse the lines (one C call when they are all good), recover a
change glued after a torn fragment, warn about every line that cannot be used (naming file and
line), and fold the changes into the latest value of each field with a total order of stamps.

The line format and the rules it follows are in the package docstring (``opint_core.triage``).
"""
from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from opint_core.triage.model import (ANNOTATION_FIELDS, FORMAT_VERSION, MERGE_FIELD, UNKNOWN_TIME, Annotation,
                                     Change)


# --------------------------------------------------------------------------------------------------
# folding

_KNOWN_MEMBERS = frozenset(("v", "key", "set", "pattern", "author", "time", "seq", "w"))
_PATTERN = "\x00pattern"    # the per-key slot of the latest pattern (never a field name)


# A change is ordered by the time its writer's clock gave it, and a writer stamps its own change
# after every change of the key it has read (so it wins over a teammate whose clock is ahead).
# A time no real clock can have gave one line power over a key for good: a maximal time could not
# be followed at all, and a line dated 2099 dragged every later change of its key to 2099. So a
# time more than FUTURE_TOLERANCE ahead of this computer's clock, or outside the years 1-9999 in
# UTC, is read as UNKNOWN_TIME (the earliest time): every change with a real time wins over it,
# new changes get real stamps, and the line is counted as repaired and named in a warning.
# Neither "clamp it to the reading time" nor "to the year 9999" works: the first moves with every
# read (a later reader would put the line after the changes made meanwhile), the second wins forever.
# The tolerance is a day, not minutes: a clock set to local time as if it were UTC (up to 14 hours
# off) is a common mistake whose changes must still be ordered by the stamp-after rule; a line
# further ahead than that would win again once its date came, and a day's error is no clock skew.
FUTURE_TOLERANCE = dt.timedelta(days=1)

_CANONICAL_LAYOUT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00").fullmatch
_ANY_YEAR = re.compile(r"([+-]?)([0-9]+)(-[0-9]{2}-[0-9]{2}(?:[T ].*)?)", re.DOTALL).fullmatch
_UTC = dt.timezone.utc

#: Why a line's time was read as UNKNOWN_TIME (the keys of ``TriageStore.repaired``).
OUT_OF_RANGE = "time outside the years 1-9999 read as unknown"
TOO_FAR_AHEAD = "time more than a day ahead of this clock read as unknown"


def _horizon() -> str:
    """The latest canonical time a change may have: this computer's clock plus FUTURE_TOLERANCE."""
    return (dt.datetime.now(_UTC) + FUTURE_TOLERANCE).isoformat(timespec="microseconds")


def _read_time(time, horizon: str) -> tuple[str | None, str]:
    """How ``time`` orders its change: (its canonical ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` form, so that
    string order is time order, ""); (UNKNOWN_TIME, the reason) for a time no real change can have
    (see FUTURE_TOLERANCE); (None, "") when it is not a time at all."""
    if not isinstance(time, str):
        return None, ""
    text = time[:-1] + "+00:00" if time.endswith("Z") else time
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return (UNKNOWN_TIME, OUT_OF_RANGE) if _is_time_of_impossible_year(text) else (None, "")
    if t.tzinfo is None:
        t = t.replace(tzinfo=_UTC)
    try:
        canonical = t.astimezone(_UTC).isoformat(timespec="microseconds")
    except OverflowError:  # the UTC offset pushes it past 9999 or before year 1
        return UNKNOWN_TIME, OUT_OF_RANGE
    if canonical > horizon:
        return UNKNOWN_TIME, TOO_FAR_AHEAD
    return canonical, ""


def _is_time_of_impossible_year(text: str) -> bool:
    """Whether ``text`` is an ISO time but for a year outside 1-9999 (10000-01-01, -0001-01-01, 0000-...)."""
    m = _ANY_YEAR(text)
    if m is None:
        return False
    sign, digits, rest = m.groups()
    year = int(digits) if len(digits) <= 6 else 10**6  # never int() thousands of digits
    if not (sign == "-" or year < 1 or year > 9999):
        return False
    try:
        dt.datetime.fromisoformat("2000" + rest)  # the rest must be a real date and time
    except ValueError:
        return False
    return True


_EXTRA = "\x01"             # slot prefix of a newer version's top-level members (kept in extra)


def _normalize(ev, default_author: str, horizon: str) -> tuple[dict | None, str]:
    """``ev`` as a clean change (canonical time; author, w, seq and set present with their types) and
    "" or why its time was read as unknown; (None, "") when it cannot be used. Odd but usable members
    are repaired, never guessed beyond that."""
    if not isinstance(ev, dict):
        return None, ""
    key, changes = ev.get("key"), ev.get("set")
    if changes is None:
        changes = {}
    if not isinstance(key, str) or not key or not isinstance(changes, dict):
        return None, ""
    time, repair = _read_time(ev.get("time"), horizon)
    if time is None:
        return None, ""
    author, writer, seq = ev.get("author"), ev.get("w"), ev.get("seq")
    clean = dict(ev)
    clean.update(key=key, set=changes, time=time, author=author if isinstance(author, str) else default_author,
                 w=writer if isinstance(writer, str) else "", seq=seq if type(seq) is int else 0)
    if not isinstance(clean.get("pattern", ""), str):
        del clean["pattern"]
    return clean, repair


class _Fold:
    """Per category key: slot -> the winning (latest) change event for that slot.

    Slots are the ``set`` field names, ``_PATTERN``, and ``_EXTRA + name`` for unknown top-level
    members. The order of changes is their stamp ``(time, author, w, seq)``, so the result is a
    pure function of the set of lines, whatever the file order; folding a change twice is harmless.
    """

    __slots__ = ("state", "unknown_events")

    def __init__(self) -> None:
        self.state: dict[str, dict[str, dict]] = {}
        self.unknown_events: list[dict] = []

    def fold(self, events: list, horizon: str) -> list:
        """Fold parsed lines; those that are not clean changes are returned instead (for
        ``_normalize`` and ``apply``). A clean change has a canonical time no later than ``horizon``
        (``_horizon()``: later ones are read as unknown, see FUTURE_TOLERANCE).

        A journal is appended in time order (and several are sorted into time order first), so
        nearly every change is later than all before it and simply overwrites: one assignment per
        changed field, no comparison. A change not later than the latest so far (same
        microsecond, or another process's clock) goes through ``apply``'s full stamp comparison
        instead, so any order gives the same result.
        Every check here is a cheap type test, or a C call on the time (which orders everything).
        """
        odd: list = []
        state = self.state
        get = state.get
        fromkeys = dict.fromkeys
        is_known = _KNOWN_MEMBERS.issuperset
        canonical_layout = _CANONICAL_LAYOUT
        parse = dt.datetime.fromisoformat
        latest = ""
        for e in events:
            try:
                k = e["key"]
                t = e["time"]
                ch = e["set"]
                if (type(k) is not str or type(ch) is not dict or type(t) is not str or t > horizon
                        or canonical_layout(t) is None or not k or type(e["author"]) is not str or not is_known(e)):
                    odd.append(e)
                    continue
                parse(t)  # a real date, too (no 31 April): ValueError otherwise
            except (KeyError, TypeError, ValueError):
                odd.append(e)
                continue
            if t <= latest:  # not after everything folded so far: the whole stamp decides
                if "pattern" in e and type(e["pattern"]) is not str:
                    odd.append(e)
                else:
                    self.apply(e)
                continue
            latest = t
            rec = get(k)
            if rec is None:
                state[k] = rec = fromkeys(ch, e)
            else:
                for name in ch:
                    rec[name] = e
            if "pattern" in e:
                if type(e["pattern"]) is str:
                    rec[_PATTERN] = e
                else:
                    odd.append(e)  # folded again, cleaned, by apply(): harmless
        return odd

    def apply(self, e: dict) -> None:
        """Fold one clean change (from ``_normalize`` or the writer) by comparing stamps."""
        rec = self.state.setdefault(e["key"], {})
        stamp = _stamp_of(e)
        slots = list(e["set"])
        if "pattern" in e:
            slots.append(_PATTERN)
        slots.extend(_EXTRA + name for name in e.keys() - _KNOWN_MEMBERS)
        for slot in slots:
            cur = rec.get(slot)
            if cur is None or _wins(e, cur, stamp):
                rec[slot] = e

    def merge(self, other: _Fold) -> None:
        """Fold another fold's winners into this one (an incremental read), comparing stamps."""
        state = self.state
        for key, rec in other.state.items():
            mine = state.get(key)
            if mine is None:
                state[key] = rec
                continue
            for slot, e in rec.items():
                cur = mine.get(slot)
                if cur is None:
                    mine[slot] = e
                else:
                    t, cur_t = e["time"], cur["time"]
                    if cur_t < t or (cur_t == t and _wins(e, cur)):
                        mine[slot] = e
        self.unknown_events.extend(other.unknown_events)


def _wins(e: dict, cur: dict, stamp: tuple | None = None) -> bool:
    """Whether change ``e`` is not older than ``cur``; equal stamps (only in a corrupt or hand-made
    journal) are ordered by content, so the result never depends on the order of reading."""
    stamp = stamp or _stamp_of(e)
    cur_stamp = _stamp_of(cur)
    return cur_stamp < stamp or (cur_stamp == stamp and _content(cur) <= _content(e))


def _content(e: dict) -> str:
    return json.dumps(e, sort_keys=True, default=repr)


def _stamp_of(e: dict) -> tuple:
    """The order of changes: (time, author, writer id, seq); an odd writer id or seq counts as empty."""
    w, seq = e.get("w", ""), e.get("seq", 0)
    return (e["time"], e["author"], w if type(w) is str else "", seq if type(seq) is int else 0)


def _slot_value(slot: str, e: dict):
    if slot == _PATTERN:
        return e["pattern"]
    if slot[:1] == _EXTRA:
        return e[slot[1:]]
    return e["set"][slot]


def _is_newer(ev) -> bool:
    v = ev.get("v") if isinstance(ev, dict) else None
    return isinstance(v, int) and not isinstance(v, bool) and v > FORMAT_VERSION


_new_tuple = tuple.__new__


def _annotation(key: str, rec: dict) -> Annotation | None:
    """The Annotation of one folded key, or None when only merges/patterns were recorded."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    changes: dict[str, Change] = {}
    latest = None
    for slot, e in rec.items():
        if slot == _PATTERN or slot == MERGE_FIELD:
            continue
        top_level = slot[:1] == _EXTRA
        name = slot[1:] if top_level else slot
        value = _slot_value(slot, e)
        if name in ANNOTATION_FIELDS and not top_level and (value is None or isinstance(value, str)):
            values[name] = value
        else:
            extra[name] = value
        changes[name] = _new_tuple(Change, (e["author"], e["time"]))  # Change(...) without its slow __new__
        if latest is None or _stamp_of(latest) < _stamp_of(e):
            latest = e
    if latest is None:
        return None
    p = rec.get(_PATTERN)
    return Annotation(key=key, pattern=p["pattern"] if p is not None else None, label=values.get("label"),
                      status=values.get("status") or "new", ticket=values.get("ticket"),
                      notes=values.get("notes"), author=latest["author"], time=latest["time"], extra=extra,
                      changes=changes)


# --------------------------------------------------------------------------------------------------
# reading one journal

_TORN_HINT = ("it is left as it is (the next change starts on a new line); delete it by hand only "
              "if you are sure nobody needs it")


def _parse_lines(lines: list[bytes], journal: _Journal, first: int) -> list[tuple[int, Any]]:
    """Per-line parse (the slow path): (line number, parsed object), a warning for every bad line."""
    out = []
    for n, line in enumerate(lines, first):
        if not line.strip():
            continue
        try:  # any JSON value: one that is not a change is warned about by the fold, as in the fast path
            out.append((n, json.loads(line)))
            continue
        except (ValueError, RecursionError):
            pass
        recovered = _recover(line)
        if recovered is not None:
            journal.warn(n, "the start of this line is a fragment of an interrupted write and was skipped; "
                            "the change after it was read")
            out.append((n, recovered))
        else:
            journal.warn(n, f"not a valid JSON change line (garbage, or an interrupted write); skipped. "
                            f"{_TORN_HINT}")
    return out


def _json_object(data: bytes) -> dict | None:
    """``data`` as a JSON object (what a change line must be), or None."""
    try:
        ev = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return ev if isinstance(ev, dict) else None


def _recover(line: bytes):
    """A complete change glued after a torn fragment (``fragment{"v":...}``): the change, or None."""
    at = line.rfind(b'{"v":')
    if at <= 0:
        return None
    return _json_object(line[at:])


@dataclass(eq=False)
class _Journal:
    """What has been read of one journal: up to ``offset`` (the end of its last complete line),
    with the warnings about those lines; and, for the read in progress, its new parsed lines."""
    path: Path
    identity: tuple[int, int] | None = None   # (st_dev, st_ino): another file under the name means re-read all
    offset: int = 0
    lines: int = 0
    warnings: list[str] = field(default_factory=list)        # about complete lines: kept across reads
    tail_warnings: list[str] = field(default_factory=list)   # about the unterminated last line: this read only
    repaired: Counter = field(default_factory=Counter)        # reason -> complete lines read with a repair
    tail_repaired: Counter = field(default_factory=Counter)   # the same for the unterminated last line
    events: list = field(default_factory=list)               # this read: parsed lines (not the blank ones)
    line_numbers: list[int] | None = None                    # this read: their line numbers (None: in order)

    def line_of(self, i: int) -> int:
        return self.line_numbers[i] if self.line_numbers is not None else self.lines - self._new_lines + i + 1

    _new_lines: int = 0

    def warn(self, line: int, message: str) -> None:
        (self.warnings if line <= self.lines else self.tail_warnings).append(f"{self.path}:{line}: {message}")

    def repair(self, line: int, reason: str, message: str) -> None:
        """Count a line read with a repair (``reason``), and warn about it."""
        (self.repaired if line <= self.lines else self.tail_repaired)[reason] += 1
        self.warn(line, message)


def _is_symlink_refusal(error: OSError, path: Path) -> bool:
    """Whether opening ``path`` with ``O_NOFOLLOW`` failed because it is a symbolic link (ELOOP on
    Linux, EMLINK on the BSDs)."""
    return error.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path)


def _read_journal(path: Path, known: _Journal | None) -> _Journal | None:
    """Read what is new in one journal since ``known`` (all of it when None): its parsed lines and
    a warning for each line that is not JSON, naming the file and line. Never raises; None when
    the journal is no longer the file ``known`` read (replaced, or shorter): read everything again."""
    j = _Journal(path)
    try:
        # O_NONBLOCK: a FIFO or device named like a journal must not hang the read; O_NOFOLLOW: a
        # link must not make us read (and show) a file that is no journal of this store
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                if known is not None and known.identity is not None:
                    return None
                j.tail_warnings.append(f"{path}: not a regular file; skipped. Move it out of the store directory")
                return j
            j.identity = (st.st_dev, st.st_ino)
            if known is not None and known.identity is not None:
                if known.identity != j.identity or st.st_size < known.offset:
                    return None
                j.offset, j.lines, j.warnings = known.offset, known.lines, list(known.warnings)
                j.repaired = Counter(known.repaired)
                f.seek(j.offset)
            data = f.read()
    except OSError as e:
        if known is not None and known.identity is not None:
            return None  # it was read before: its changes must go, so read everything again
        if _is_symlink_refusal(e, path):
            j.tail_warnings.append(f"{path}: a symbolic link, not a journal; not read (a link in a store could "
                                   f"show, or make opint write to, any file). Replace it by the journal file "
                                   f"itself, or remove it")
        else:
            j.tail_warnings.append(f"{path}: cannot read this journal ({e.strerror or e}); its annotations are "
                                   f"not shown. Check its permissions (its owner can run: chmod a+r {path})")
        return j
    cut = data.rfind(b"\n") + 1
    body, tail = data[:cut], data[cut:]  # tail: an unterminated last line, normally empty
    del data
    first = j.lines + 1
    n_lines = body.count(b"\n")
    j.offset += cut
    j.lines += n_lines
    j._new_lines = n_lines
    events = None
    if n_lines:
        buf = bytearray(b"[")
        buf += body
        blank_lines = body[:1] == b"\n" or b"\n\n" in body
        if blank_lines:
            # blank lines (two writers racing over the no-glue newline): null placeholders, so that
            # element i is still line first + i
            buf[1:1] = b"null" if body[:1] == b"\n" else b""
            while b"\n\n" in buf:
                buf = buf.replace(b"\n\n", b"\nnull\n")
        buf[-1] = 0x5D  # "]" for the last newline, "," for the others: the lines as one JSON array
        try:  # one C call for all the lines; any bad line sends us to the per-line parse
            events = json.loads(buf.replace(b"\n", b","))
        except (ValueError, RecursionError):
            events = None
        del buf
        if events is not None and len(events) != n_lines:
            events = None
        if events is None:
            numbered = _parse_lines(body.split(b"\n")[:-1], j, first)
            events = [ev for _, ev in numbered]
            j.line_numbers = [n for n, _ in numbered]
        elif blank_lines:  # drop the placeholders by position: a line that says null is no blank line
            kept = [i for i, text in enumerate(body.split(b"\n")[:-1]) if text]
            events = [events[i] for i in kept]
            j.line_numbers = [first + i for i in kept]
    else:
        events = []
    if tail.strip():  # read again next time: it may be a line being written right now
        n = j.lines + 1
        ev = _json_object(tail)
        if ev is None:
            ev = _recover(tail)
            j.warn(n, "the start of the last line is a fragment of an interrupted write and was skipped; "
                      "the change after it was read" if ev is not None else
                      f"the last line is incomplete (its writer was interrupted mid-write, or is writing it "
                      f"now); skipped. {_TORN_HINT}")
        if ev is not None:  # complete but for its newline: a change like any other
            if j.line_numbers is None:
                j.line_numbers = list(range(first, first + len(events)))
            events.append(ev)
            j.line_numbers.append(n)
    j.events = events
    return j


def _fold_journals(fold: _Fold, journals: list[_Journal]) -> None:
    """Fold the new lines of every journal; odd lines are cleaned and folded one by one, or named
    in a warning. One journal is folded in file order; several are merged into time order first
    (each is already in time order: the sort merges sorted runs)."""
    horizon = _horizon()
    everything: list = []
    for j in journals:
        everything += j.events
    if sum(1 for j in journals if j.events) > 1:
        try:
            everything.sort(key=_time_of)
        except (KeyError, TypeError):  # a line without a time, or not a change at all: those last
            everything.sort(key=_time_or_last)
    odd = fold.fold(everything, horizon)
    del everything
    if odd:
        odd_ids = {id(e) for e in odd}
        for j in journals:
            default_author = j.path.name[:-len(".jsonl")]
            for i, ev in enumerate(j.events):
                if id(ev) not in odd_ids:
                    continue
                clean, repair = _normalize(ev, default_author, horizon)
                if clean is not None:
                    if repair:
                        j.repair(j.line_of(i), repair, _unknown_time_warning(ev["time"], repair))
                    fold.apply(clean)
                elif _is_newer(ev):
                    fold.unknown_events.append(ev)  # a newer version's kind of line: kept, not ours to judge
                else:
                    j.warn(j.line_of(i), f"not a triage change (no usable key, set or time); skipped. {_TORN_HINT}")
    for j in journals:
        j.events, j.line_numbers = [], None  # only what was read is kept, not the lines


def _unknown_time_warning(time: str, reason: str) -> str:
    shown = repr(time) if len(time) <= 40 else repr(time[:40]) + "..."
    why = ("is outside the years 1 to 9999 in UTC" if reason == OUT_OF_RANGE else
           "is more than a day ahead of this computer's clock")
    return (f"the time {shown} {why}: the change is read as of an unknown time, so every change with a real "
            f"time wins over it. The line is left as it is; make the change again if it is still wanted, and "
            f"check the clock of the computer that wrote it")


_time_of = itemgetter("time")


def _time_or_last(e) -> str:
    t = e.get("time") if type(e) is dict else None
    return t if type(t) is str else "\U0010ffff"


def key_history(paths: list[Path], key: str) -> list[dict]:
    """Every change of ``key`` in the journals at ``paths``, oldest first: what each one set, by whom and
    when (the fold keeps only the latest value of each field; this reads the lines again)."""
    horizon = _horizon()
    changes = []
    for path in paths:
        journal = _read_journal(path, None)
        if journal is None:
            continue
        default_author = path.name[:-len(".jsonl")]
        for ev in journal.events:
            if not isinstance(ev, dict) or ev.get("key") != key:
                continue
            clean, _ = _normalize(ev, default_author, horizon)
            if clean is not None:
                changes.append(clean)
    changes.sort(key=lambda e: (e["time"], e["seq"], e["w"]))
    return [{"time": e["time"], "author": e["author"], "set": e["set"], **({"pattern": e["pattern"]}
            if "pattern" in e else {})} for e in changes]
