"""Reading a cause file: TOML with one ``[[cause]]`` table per known cause.

    [[cause]]
    id = "space_token_full"
    title = "Space token full"
    match = ['SRM_EXCEED_ALLOCATION', 'NoFreeSpaceException']   # or one string
    explanation = "The experiment's space at the destination is used up."
    side = "destination"
    action = "contact experiment data management"
    check = "the space token's free space in the site's storage monitoring"
    phase = "preparation"            # optional, like notes and sources
    notes = "..."
    sources = ["DOMAIN §8.4 Destination full / quota"]

Every problem with a file is a ``CauseBaseError`` that names the file and the entry (its id, else its
number) and says what to do: a team's file is checked before it is used, not when a pattern fails.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from opint_core.causes.cause import ACTIONS, SIDES, Cause
from opint_core.errors import OpintError
from opint_core.first_match import re2_problem

REQUIRED = ("id", "title", "match", "explanation", "side", "action", "check")
OPTIONAL = ("phase", "notes", "sources")
_ID = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_FORMAT_HELP = ("each entry is a [[cause]] table with id, title, match (a regex or a list of them), explanation, "
                "side, action and check; phase, notes and sources are optional (see the README, 'Causes and actions')")


class CauseBaseError(OpintError, ValueError):
    """A cause file cannot be used; the message names the file and the entry."""


def parse_causes(text: str, origin: str) -> list[Cause]:
    """The entries of a cause file's text, in file order; ``origin`` names the file in errors."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CauseBaseError(f"the cause file {origin} is not valid TOML ({e})", _FORMAT_HELP) from None
    unknown = sorted(set(document) - {"cause"})
    if unknown:
        raise CauseBaseError(f"the cause file {origin} has the unknown {_keys(unknown)} at the top level",
                             "write every entry as a [[cause]] table; " + _FORMAT_HELP)
    tables = document.get("cause", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise CauseBaseError(f"in the cause file {origin}, 'cause' is not a list of [[cause]] tables", _FORMAT_HELP)
    causes: list[Cause] = []
    first_number: dict[str, int] = {}
    for number, table in enumerate(tables, start=1):
        cause = _cause(table, number, origin)
        if cause.id in first_number:
            raise CauseBaseError(f"{_where(origin, number, cause.id)}: the id is used by entry "
                                 f"{first_number[cause.id]} too", "give each entry its own id")
        first_number[cause.id] = number
        causes.append(cause)
    return causes


def read_causes(path: str | os.PathLike) -> list[Cause]:
    """The entries of a user's cause file (the config's ``causes`` setting)."""
    path = Path(os.path.expanduser(path))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CauseBaseError(f"the cause file {path} does not exist",
                             "fix the path of `causes = ...` in the config file, or remove the setting to use "
                             "the shipped causes only") from None
    except OSError as e:
        raise CauseBaseError(f"cannot read the cause file {path}: {e.strerror or e}",
                             "make it a readable file, or remove `causes = ...` from the config file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise CauseBaseError(f"line {line} of the cause file {path} is not UTF-8 text (byte "
                             f"0x{raw[e.start]:02x} at offset {e.start})", "save the file as UTF-8") from None
    return parse_causes(text, str(path))


def _cause(table: dict, number: int, origin: str) -> Cause:
    ident = table.get("id")
    where = _where(origin, number, ident if isinstance(ident, str) and ident else None)
    unknown = sorted(set(table) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise CauseBaseError(f"{where}: unknown {_keys(unknown)}", _FORMAT_HELP)
    missing = [key for key in REQUIRED if key not in table]
    if missing:
        raise CauseBaseError(f"{where}: {', '.join(missing)} missing", _FORMAT_HELP)
    for key in REQUIRED + OPTIONAL:
        if key in ("match", "sources") or key not in table:
            continue
        if not isinstance(table[key], str) or (key in REQUIRED and not table[key].strip()):
            raise CauseBaseError(f"{where}: {key} must be a non-empty string, got {_shown(table[key])}", _FORMAT_HELP)
    if not _ID.fullmatch(table["id"]):
        raise CauseBaseError(f"{where}: the id {_shown(table['id'])} is not a name",
                             "use lower-case letters, digits, '_', '.' and '-' (e.g. \"kit_token_audience\")")
    if table["side"] not in SIDES:
        raise CauseBaseError(f"{where}: side {_shown(table['side'])} is not one of {', '.join(SIDES)}",
                             "set side to the end that is usually responsible")
    if table["action"] not in ACTIONS:
        raise CauseBaseError(f"{where}: action {_shown(table['action'])} is not one of {', '.join(ACTIONS)}",
                             "set action to one of these four, exactly as written")
    return Cause(id=table["id"], title=table["title"].strip(), match=_patterns(table["match"], where),
                 explanation=table["explanation"].strip(), side=table["side"], action=table["action"],
                 check=table["check"].strip(), phase=table.get("phase", "").strip(),
                 notes=table.get("notes", "").strip(), sources=_strings(table.get("sources", ()), "sources", where),
                 origin=origin)


def _patterns(value, where: str) -> tuple[str, ...]:
    patterns = _strings(value, "match", where)
    if not patterns:
        raise CauseBaseError(f"{where}: match is empty", "give at least one regular expression")
    for pattern in patterns:
        problem = _pattern_problem(pattern)
        if problem:
            raise CauseBaseError(f"{where}: the match pattern {_shown(pattern)} {problem}",
                                 "write a regular expression in RE2 syntax (no look-arounds or back-references); "
                                 "single-quoted TOML strings keep backslashes as they are")
    return patterns


def _pattern_problem(pattern: str) -> str | None:
    """Why a pattern cannot be used, or None."""
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        return f"is not a regular expression ({e})"
    rejected = re2_problem(pattern)
    if rejected:
        return f"is not RE2 syntax ({rejected})"
    if "{," in pattern:   # Python reads {,n} as a repetition, RE2 as text: the two paths would disagree
        return "uses {,n}, which RE2 and Python read differently"
    if compiled.search(""):
        return "matches every text (it matches the empty string)"
    return None


def _strings(value, key: str, where: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) and v for v in values):
        raise CauseBaseError(f"{where}: {key} must be a string or a list of non-empty strings, got {_shown(value)}",
                             _FORMAT_HELP)
    return tuple(values)


def _where(origin: str, number: int, ident: str | None) -> str:
    named = f" ({_shown(ident)})" if ident else ""
    return f"entry {number}{named} of the cause file {origin}"


def _keys(keys: list[str]) -> str:
    return ("key " if len(keys) == 1 else "keys ") + ", ".join(_shown(k) for k in keys)


def _shown(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
