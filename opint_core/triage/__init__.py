"""Triage memory: annotations of categories, kept as append-only JSON-lines journals.

Store layout
------------
A store directory holds one journal per user, ``<user>.jsonl``. The default is the user's own data
dir (``$OPINT_DATA_DIR/triage``, else ``platformdirs.user_data_dir("opint")/triage``); a team
shares a directory on EOS/AFS (``store =`` in the config, or ``--store DIR``). There is no
database and no lock: SQLite and ``flock`` are unreliable on those filesystems, and a journal is
only ever written by its own user.

Journal line format (version 1): one line is one change event, and one event may set several
fields of one category at once (so a dialog's "label + status" is saved together or not at all)::

    {"v":1,"key":"c0123456789ab","set":{"label":"disk full","status":"known"},
     "pattern":"... <*> ...","author":"alice","time":"2026-11-20T08:15:02.123456+00:00",
     "seq":17,"w":"3fa9c2d1"}

- ``set`` holds the changed fields: ``label``, ``status``, ``ticket``, ``notes``, ``merge_into``
  (the category this one belongs to; ``null`` un-merges). ``null`` clears a field.
- ``pattern`` is the category's pattern when the change was made: it lets a category of another
  day, with another key, inherit the annotation by similarity (``carry_over``). The latest
  recorded pattern of a key counts, so a writer records it with the key's first change in its
  journal (and again if it differs) and leaves it out of later changes: patterns are most of a
  line's bytes, and so of the time to read a journal.
- ``time`` is UTC with microseconds; ``seq`` counts the writer's changes and ``w`` identifies the
  writer (one random id per process and store), so the order of changes is total and depends only
  on the lines, not on file order: the latest ``(time, author, w, seq)`` of each field wins (equal
  stamps, only possible in a corrupt journal, are ordered by content). A writer stamps a change
  after every change of that key it has read, so it wins even when a teammate's clock is ahead.
  A time no real change can have (outside the years 1-9999 in UTC, or more than a day ahead of the
  reader's clock) is read as ``UNKNOWN_TIME``, the earliest time, so that it can neither win over
  real changes nor drag later stamps along; such lines are counted (``TriageStore.repaired``) and
  named in a warning (``journal.FUTURE_TOLERANCE`` says why).

Appending: every change is ONE ``os.write`` of one complete line to a file descriptor opened with
``O_APPEND``, then ``fsync``. Writers in different processes therefore never interleave inside a
line (the kernel serialises appends to a local file), and a crash can tear at most the line being
written. A torn line is skipped with a warning when reading; the next append starts with a newline
when the file does not end with one, so it never glues onto the fragment (a reader also recovers
a change glued after a fragment, and ignores the blank line two racing writers may leave). Nothing
already written is ever rewritten, truncated or removed. Journals are opened with ``O_NOFOLLOW``:
a symbolic link named like a journal is neither read (a warning names it) nor written through
(``StoreError``), so that nobody with write access to a team store can make a teammate's changes
append to another file. On EOS/AFS, appends from two *hosts* to one file are not atomic: one
journal per user confines that to one person's two simultaneous sessions on different machines.

Reading folds every ``*.jsonl`` journal of the directory; ``reload()`` then reads only what was
appended. Lines and fields written by a newer version are kept (unknown fields in
``Annotation.extra``, other lines in ``TriageStore.unknown_events``) and never dropped from disk.

Modules: ``model`` (the shared types), ``journal`` (reading, parsing, torn-line recovery, folding),
``store`` (``TriageStore``: reload, annotate, merge, the appends), ``carry`` (carry-over and merges
by pattern similarity). Imports point one way: store -> journal -> model, store -> carry -> model.
"""
from __future__ import annotations

from opint_core.triage.carry import CARRY_OVER_THRESHOLD, apply_merges, carry_over, pattern_similarity
from opint_core.triage.model import (ANNOTATION_FIELDS, FORMAT_VERSION, MERGE_FIELD, STATUSES, UNKNOWN_TIME,
                                     Annotation, Change, Inherited)
from opint_core.triage.keys import UnknownKey, resolve_key
from opint_core.triage.store import StoreError, TriageStore, current_user, default_store_dir

__all__ = [
    "Annotation", "CARRY_OVER_THRESHOLD", "Change", "FORMAT_VERSION", "Inherited", "STATUSES", "StoreError",
    "TriageStore", "UNKNOWN_TIME", "UnknownKey", "apply_merges", "carry_over", "current_user", "default_store_dir",
    "pattern_similarity", "resolve_key",
]
