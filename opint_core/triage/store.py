"""The store: a directory of journals, read lazily and incrementally, and appended to one whole
line at a time (``O_APPEND``, one ``os.write``, ``fsync``) by its own user only.
"""
from __future__ import annotations

import datetime as dt
import errno
import gc
import getpass
import json
import os
import re
import secrets
import stat
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import platformdirs

from opint_core.errors import OpintError
from opint_core.triage.carry import CARRY_OVER_THRESHOLD, apply_merges, carry_over
from opint_core.triage.journal import (_PATTERN, _annotation, _Fold, _fold_journals, _is_symlink_refusal, _Journal,
                                      _read_journal, key_history)
from opint_core.triage.model import ANNOTATION_FIELDS, FORMAT_VERSION, MERGE_FIELD, STATUSES, Annotation, Inherited

_USER_RE = re.compile(r"[A-Za-z0-9_@+][A-Za-z0-9._@+-]*")


class StoreError(OpintError):
    """The triage store cannot be used as asked; the message names the path, the message or the
    remedy says what to do."""

    def __init__(self, message: str, path: str | os.PathLike | None = None, remedy: str = ""):
        super().__init__(message, remedy)
        self.path = Path(path) if path is not None else None


# --------------------------------------------------------------------------------------------------
# locations and identity

def default_store_dir() -> Path:
    """The personal store: ``$OPINT_DATA_DIR/triage``, else the platform user data dir + ``/triage``."""
    base = os.environ.get("OPINT_DATA_DIR") or platformdirs.user_data_dir("opint")
    return Path(base) / "triage"


def current_user() -> str:
    """``$USER``, else what ``getpass`` finds (LOGNAME, the password database)."""
    user = os.environ.get("USER")
    if not user:
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 - getpass raises KeyError/OSError when nothing is known
            user = None
    if not user:
        raise StoreError("cannot tell who you are (no $USER and no password entry): set the USER "
                         "environment variable, or pass user= to TriageStore")
    return user


# --------------------------------------------------------------------------------------------------
# the store

def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _after(time: str) -> str:
    """The canonical time one microsecond after ``time``."""
    t = dt.datetime.fromisoformat(time) + dt.timedelta(microseconds=1)
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


class TriageStore:
    """Annotations and merges of categories, read from and appended to a store directory.

    ``directory``: the store; None for the personal default (``default_store_dir()``). A team
    directory on EOS/AFS is fine: each user appends only to ``<user>.jsonl``.
    ``user``: whose journal to append to and the author of the changes; default ``current_user()``.

    Reading is lazy and cached: ``annotations()`` and ``merges()`` fold all journals on first use;
    ``reload()`` reads again (to see teammates' changes). Changes made through this object are
    applied to the cached state too. Reading never raises for a bad store: problems are in
    ``warnings`` (each names the file, and the line where there is one), and ``repaired`` counts
    the lines read with a repair, by reason (a time no real change can have, read as unknown).
    Writing raises ``StoreError`` naming the path and what to do; bad values raise ``ValueError``.
    """

    def __init__(self, directory: str | os.PathLike | None = None, *, user: str | None = None):
        if isinstance(directory, str) and not directory.strip():  # Path("") would be the current directory
            raise StoreError("the triage store path is empty",
                             remedy="give a directory (--store DIR, or store = in the config), or leave it out "
                                    "for the personal store")
        default = default_store_dir()
        self.directory = Path(directory).expanduser() if directory is not None else default
        self.personal = _same_path(self.directory, default)
        self.user = user if user is not None else current_user()
        if not _USER_RE.fullmatch(self.user) or len(self.user) > 200:
            raise StoreError(f"the user name {self.user!r} cannot name a journal file: use letters, "
                             f"digits and . _ @ + - only (set USER, or pass user=)", self.directory)
        self.journal = self.directory / f"{self.user}.jsonl"
        self.warnings: list[str] = []
        self.repaired: Counter = Counter()
        self.unknown_events: list[dict] = []
        self._fold: _Fold | None = None
        self._annotations: dict[str, Annotation] | None = None
        self._dirty: set[str] | None = None  # keys whose Annotation is stale; None: all
        self._writer = ""
        self._pid = -1
        self._seq = 0
        self._last_time = ""
        self._patterns_written: dict[str, str] = {}
        self._lock = threading.Lock()  # the app reloads in a worker thread while the UI may write
        self._reload_lock = threading.Lock()
        self._written_during_reload: list[dict] | None = None
        self._journal_reads: dict[str, _Journal] = {}

    @classmethod
    def from_config(cls, config=None, store: str | os.PathLike | None = None, *, user: str | None = None):
        """The store to use: ``store`` (``--store``), else ``config.store``, else the personal one."""
        directory = store if store else getattr(config, "store", None)
        return cls(directory or None, user=user)

    def __repr__(self) -> str:
        return f"TriageStore({str(self.directory)!r}, user={self.user!r})"

    # ---- reading ----------------------------------------------------------------------------------

    def reload(self, *, full: bool = False) -> None:
        """Read the journals again (teammates' changes); ``warnings`` then describes the store.

        Only what was appended since the last read is read and folded in, unless a journal was
        replaced, shortened or removed (or ``full``): then everything is read again.
        """
        with self._reload_lock:
            self._reload(full)

    def _reload(self, full: bool) -> None:
        warnings: list[str] = []
        paths = self._journals(warnings)
        known = {} if full or self._fold is None else self._journal_reads
        if known and not known.keys() <= {p.name for p in paths}:
            known = {}  # a journal went away: its changes must go too
        gc_was_enabled = gc.isenabled()
        gc.disable()  # parsing creates ~4 containers per change and none is garbage: the collector only costs
        try:
            while True:
                if not known:
                    with self._lock:
                        self._written_during_reload = []
                reads = [_read_journal(p, known.get(p.name)) for p in paths]
                if all(j is not None for j in reads):
                    break
                known = {}  # a journal is not the file we read before: read everything again
            batch = _Fold()
            _fold_journals(batch, reads)
        finally:
            if gc_was_enabled:
                gc.enable()
        with self._lock:
            if known:
                self._fold.merge(batch)
                self._changed(batch.state)
            else:  # changes this object wrote meanwhile (another thread) may be missing from the read
                for event in self._written_during_reload or ():
                    batch.apply(event)
                self._written_during_reload = None
                self._fold = batch
                self._changed(None)
        self._journal_reads = {j.path.name: j for j in reads}
        repaired: Counter = Counter()
        for j in reads:
            warnings += j.warnings
            warnings += j.tail_warnings
            repaired += j.repaired
            repaired += j.tail_repaired
        self.repaired = repaired
        self.warnings = sorted(warnings, key=_warning_order)  # by journal, then line
        self.unknown_events = self._fold.unknown_events

    def _journals(self, warnings: list[str]) -> list[Path]:
        d = self.directory
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            if not self.personal:
                warnings.append(f"{d}: the triage store does not exist yet; it will be created by the "
                                f"first annotation (check the path if you expected a team store there)")
            return []
        except NotADirectoryError:
            warnings.append(f"{d}: the triage store path is a file, not a directory; no annotations "
                            f"are read. Point --store / the config's store = at a directory")
            return []
        except OSError as e:
            warnings.append(f"{d}: cannot list the triage store ({e.strerror or e}); no annotations are "
                            f"read. Ask for read access, or use another store (--store DIR)")
            return []
        return [d / n for n in sorted(names) if n.endswith(".jsonl") and not n.startswith(".")]

    def _loaded(self) -> _Fold:
        if self._fold is None:
            self.reload()
        return self._fold

    def annotations(self) -> dict[str, Annotation]:
        """Every annotated category key -> its folded Annotation (cleared ones included, ``empty``).

        The dict is built once per change of the store (only the changed keys are rebuilt) and
        shared between calls: do not modify it.
        """
        state = self._loaded().state
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            if dirty is None or self._annotations is None:
                out = {}
                for key, rec in state.items():
                    a = _annotation(key, rec)
                    if a is not None:
                        out[key] = a
                self._annotations = out
            elif dirty:
                out = dict(self._annotations)
                for key in dirty:
                    a = _annotation(key, state[key]) if key in state else None
                    if a is None:
                        out.pop(key, None)
                    else:
                        out[key] = a
                self._annotations = out
            return self._annotations

    def _changed(self, keys) -> None:
        """Keys whose annotation must be rebuilt (None: all); call with the lock held."""
        if keys is None or self._dirty is None:
            self._dirty = None
        else:
            self._dirty.update(keys)

    def get(self, key: str) -> Annotation | None:
        return self.annotations().get(key)

    def keys(self) -> set[str]:
        """Every key the store has a change of (annotated, cleared, removed or merged)."""
        return set(self._loaded().state)

    def history(self, key: str) -> list[dict]:
        """Every change of ``key`` in the store's journals, oldest first (``time``, ``author``, ``set``)."""
        return key_history(self._journals([]), key)

    def merges(self) -> dict[str, str]:
        """Manual merges in force: child category key -> the key it belongs to."""
        return {k: p for k, p in self.merge_records().items() if p is not None}

    def patterns(self) -> dict[str, str]:
        """The latest recorded pattern of every key the store knows (annotated or merged)."""
        return {k: rec[_PATTERN]["pattern"] for k, rec in self._loaded().state.items() if _PATTERN in rec}

    def merge_records(self) -> dict[str, str | None]:
        """Every key with a merge record: child -> parent, or None when it was un-merged."""
        out = {}
        for key, rec in self._loaded().state.items():
            e = rec.get(MERGE_FIELD)
            if e is not None:
                parent = e["set"][MERGE_FIELD]
                out[key] = parent if isinstance(parent, str) and parent and parent != key else None
        return out

    def carry_over(self, categories, *, threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, Inherited]:
        """``carry_over(categories, self.annotations(), threshold=threshold)``."""
        return carry_over(categories, self.annotations(), threshold=threshold)

    def apply_merges(self, categories, *, threshold: float = CARRY_OVER_THRESHOLD) -> dict[str, str]:
        """``apply_merges`` with this store's merge records and patterns (merges carry over too)."""
        return apply_merges(categories, self.merge_records(), patterns=self.patterns(), threshold=threshold)

    # ---- writing ----------------------------------------------------------------------------------

    def annotate(self, key: str, *, pattern: str | None = None, label: str | None = None,
                 status: str | None = None, ticket: str | None = None, notes: str | None = None) -> None:
        """Record a change to ``key``'s annotation: every field given (not None) is set, ``""`` clears it.

        ``pattern`` (the category's pattern now) should always be given: it is what lets other
        days' categories inherit this annotation.
        """
        _check_key(key)
        changes: dict[str, Any] = {}
        if label is not None:
            changes["label"] = _one_line("label", label)
        if status is not None:
            s = status.strip().lower() if isinstance(status, str) else status
            if s == "":
                changes["status"] = None
            elif s not in STATUSES:
                raise ValueError(f"status {status!r} is not one of: {', '.join(STATUSES)}")
            else:
                changes["status"] = s
        if ticket is not None:
            changes["ticket"] = _one_line("ticket", ticket)
        if notes is not None:
            if not isinstance(notes, str):
                raise ValueError(f"notes must be text, got {notes!r}")
            changes["notes"] = notes if notes.strip() else None
        if not changes:
            raise ValueError("nothing to annotate: give a label, status, ticket or notes")
        self._write(key, changes, pattern)

    def remove(self, key: str) -> None:
        """Take ``key``'s annotation away: one more change that clears every field (append-only, so the
        history stays in the journal, and annotating again brings an annotation back)."""
        _check_key(key)
        self._write(key, {name: None for name in ANNOTATION_FIELDS}, None)

    def merge(self, child_key: str, into_key: str, *, pattern: str | None = None) -> None:
        """Record that category ``child_key`` belongs to ``into_key`` (``pattern``: the child's pattern)."""
        _check_key(child_key)
        _check_key(into_key)
        if child_key == into_key:
            raise ValueError(f"cannot merge category {child_key} into itself")
        merges = self.merges()
        seen, cur = {into_key}, into_key
        while cur in merges:
            cur = merges[cur]
            if cur == child_key:
                raise ValueError(f"cannot merge {child_key} into {into_key}: {into_key} already belongs to "
                                 f"{child_key}; un-merge it first")
            if cur in seen:
                break
            seen.add(cur)
        self._write(child_key, {MERGE_FIELD: into_key}, pattern)

    def unmerge(self, child_key: str) -> None:
        """Record that ``child_key`` no longer belongs to another category."""
        _check_key(child_key)
        self._write(child_key, {MERGE_FIELD: None}, None)

    def _stamp(self, key: str) -> tuple[str, str, int]:
        """(time, writer id, seq) of a new change: its time is after every change of ``key`` this
        store has seen and after its own previous change, so a change made after seeing another
        one wins over it even when the other writer's clock is ahead. Folded times are never more
        than a day ahead of this clock (``journal.FUTURE_TOLERANCE``), so a line dated 2099 or at
        the end of time cannot drag the stamp along, nor leave no time after it."""
        pid = os.getpid()
        if pid != self._pid:  # a forked copy of this object is another writer
            self._pid, self._writer, self._seq = pid, secrets.token_hex(4), 0
        self._seq += 1
        floor = self._last_time
        if self._fold is not None:
            rec = self._fold.state.get(key)
            if rec:
                seen = max(e["time"] for e in rec.values())
                if seen > floor:
                    floor = seen
        now = _utc_now()
        if floor and now <= floor:
            now = _after(floor)
        self._last_time = now
        return now, self._writer, self._seq

    def _write(self, key: str, changes: dict, pattern: str | None) -> None:
        if pattern is not None and not isinstance(pattern, str):
            raise ValueError(f"pattern must be text, got {pattern!r}")
        time, writer, seq = self._stamp(key)
        event = {"v": FORMAT_VERSION, "key": key, "set": changes}
        if pattern is not None and not self._pattern_recorded(key, pattern):
            event["pattern"] = pattern
        event.update(author=self.user, time=time, seq=seq, w=writer)
        try:
            line = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: escaped, still valid JSON
            line = json.dumps(event, separators=(",", ":")).encode("ascii")
        self._append(line + b"\n")
        if "pattern" in event:
            self._patterns_written[key] = pattern
        with self._lock:
            if self._fold is not None:
                self._fold.apply(event)
                self._changed((key,))
            if self._written_during_reload is not None:
                self._written_during_reload.append(event)

    def _pattern_recorded(self, key: str, pattern: str) -> bool:
        """Whether our own journal already records ``pattern`` as ``key``'s latest pattern: then a
        change need not repeat it (patterns are most of a line's bytes, so of the time to read it)."""
        if self._patterns_written.get(key) == pattern:
            return True
        if self._fold is not None:
            e = self._fold.state.get(key, {}).get(_PATTERN)
            return e is not None and e["pattern"] == pattern and e["author"] == self.user
        return False

    def _append(self, line: bytes) -> None:
        path = self.journal
        self._ensure_directory()
        fd, created = self._open_journal()
        try:
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # never glue onto a torn last line
                written = os.write(fd, line)
                if written != len(line):
                    raise StoreError(f"only {written} of {len(line)} bytes of the change reached {path} "
                                     f"(disk full or over quota?): the change is NOT saved; free some "
                                     f"space and make it again (the partial line is skipped when reading)",
                                     path)
                os.fsync(fd)
            except OSError as e:
                raise StoreError(_write_error(path, e, self), path) from None
        finally:
            os.close(fd)
        if created:
            _fsync_directory(self.directory)

    def _open_journal(self) -> tuple[int, bool]:
        path = self.journal
        # O_NOFOLLOW: whoever can write to a team store must not be able to make our changes append
        # to another file of ours through a link named like our journal
        flags = os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        for _ in range(5):
            try:
                fd = os.open(path, flags)
            except FileNotFoundError:
                pass
            except OSError as e:
                if _is_symlink_refusal(e, path):
                    raise _symlinked_journal_error(path) from None
                raise StoreError(_write_error(path, e, self), path) from None
            else:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    os.close(fd)
                    raise StoreError(f"{path} is not a regular file: move it away so that the journal "
                                     f"can be created", path)
                return fd, False
            try:
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, self._journal_mode())
            except FileExistsError:
                continue  # created by our other process meanwhile: open that one
            except OSError as e:
                raise StoreError(_write_error(path, e, self), path) from None
            if self.personal:
                try:
                    os.fchmod(fd, 0o600)  # exactly, whatever the umask
                except OSError:
                    pass
            return fd, True
        raise StoreError(f"cannot open {path}: it keeps appearing and disappearing; check the store", path)

    def _journal_mode(self) -> int:
        """0600 in the personal store; in a team store as readable as the directory (never writable
        by others), so teammates can read each other's journals."""
        if self.personal:
            return 0o600
        try:
            dir_mode = os.stat(self.directory).st_mode
        except OSError:
            return 0o600
        return 0o600 | (dir_mode & 0o044)

    def _ensure_directory(self) -> None:
        d = self.directory
        if d.is_dir():
            return
        try:
            if self.personal:
                os.makedirs(d, mode=0o700, exist_ok=True)
            else:  # a team store: never invent its parents (an unmounted EOS path, a typo)
                os.mkdir(d)
        except FileExistsError:
            if not d.is_dir():
                raise StoreError(f"the triage store {d} is a file, not a directory: point --store (or "
                                 f"store = in the config) at a directory", d) from None
        except FileNotFoundError:
            raise StoreError(f"cannot create the triage store {d}: its parent directory {d.parent} does not "
                             f"exist. Check the path (is EOS/AFS mounted?) or create it", d) from None
        except OSError as e:
            raise StoreError(f"cannot create the triage store {d}: {e.strerror or e}. Create it yourself, or "
                             f"use another store (--store DIR, or store = in the config)", d) from None


def _same_path(a: Path, b: Path) -> bool:
    try:
        return os.path.abspath(a) == os.path.abspath(b) or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _symlinked_journal_error(path: Path) -> StoreError:
    try:
        target = f" (to {os.readlink(path)})"
    except OSError:
        target = ""
    return StoreError(f"cannot save the change to {path}: it is a symbolic link{target}, and opint does not write "
                      f"through links. The change is NOT saved; nothing saved before was changed", path,
                      remedy=f"remove the link ({path}): the next change creates the journal there. If it points "
                             f"at your journal elsewhere, move that file in its place, or use its directory as "
                             f"the store (--store DIR)")


def _write_error(path: Path, e: OSError, store: TriageStore) -> str:
    reason = e.strerror or str(e)
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = (f"the triage store {store.directory} is not writable for {store.user}: ask for write "
                f"access, or use another store (--store DIR, or store = in the config)")
    elif e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        what = "the disk is full or you are over quota: free some space and make the change again"
    else:
        what = "check the store directory and make the change again"
    return f"cannot save the change to {path}: {reason}. The change is NOT saved; {what}. Nothing saved before was changed."


_WARNING_LINE_RE = re.compile(r"^(.*?\.jsonl):(\d+): ")


def _warning_order(warning: str) -> tuple[str, int]:
    m = _WARNING_LINE_RE.match(warning)
    return (m.group(1), int(m.group(2))) if m else (warning.split(": ", 1)[0], 0)


def _fsync_directory(directory: Path) -> None:
    """Make a new journal's directory entry durable; best effort (not every filesystem allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_key(key) -> None:
    if not isinstance(key, str) or not key.strip() or "\n" in key or "\r" in key:
        raise ValueError(f"a category key must be a non-empty one-line string, got {key!r}")


def _one_line(name: str, value) -> str | None:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, got {value!r}")
    value = value.strip()
    if any(c in value for c in "\n\r\x00"):
        raise ValueError(f"{name} must be a single line: {value!r}")
    return value or None
