"""Markdown from data, for GitHub, GitLab, Mattermost and logbooks: text escaped only where a character
would change the rendering, patterns and messages as code spans (fenced longer than any backtick run
inside them), tickets as links. Everything is one line (``_plain``): no newline can break a table row.
"""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters that start markup anywhere in a line: escapes, code, emphasis and strikethrough, links and
# images, HTML and entities, table pipes, math ($ on GitHub). An underscore only at a word's edge:
# INVALID_PATH or a_b stays readable (GFM never emphasises inside a word).
_MARKUP = re.compile(r"([\\`*\[\]<>|&~$])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# GGUS-168421, GGUS #4711, or a bare number of GGUS's length (six digits today)
_GGUS_NUMBER = re.compile(r"(?i)^(?:ggus[-# ]*(\d{3,8})|(\d{5,8}))$")
_URL = re.compile(r"^https?://[^\s<>()\[\]`|]+$")
GGUS_TICKET_URL = "https://helpdesk.ggus.eu/#ticket/zoom/{number}"


def plain(text, limit: int) -> str:
    """One line: newlines as ⏎, control characters removed, cut at ``limit`` characters."""
    s = "" if text is None else str(text)
    s = _CONTROL.sub("", s.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")).replace("\n", " ⏎ ")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def escape(text, limit: int) -> str:
    """``text`` shown as it is: only what would become markup is escaped."""
    return _MARKUP.sub(lambda m: "\\" + m.group(0), plain(text, limit))


def code(text, limit: int, *, in_table: bool = True) -> str:
    """A code span of ``text``: a fence longer than its longest backtick run, padded (CommonMark); in a
    table a ``|`` is escaped as GFM asks (the renderer shows it plain)."""
    s = plain(text, limit)
    if not s:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    if in_table:
        s = s.replace("|", "\\|")
    return f"{fence} {s} {fence}"


def ticket_link(ticket, limit: int = 200) -> str:
    """A ticket: a GGUS number links to the helpdesk, an http(s) URL to itself, anything else is text."""
    s = plain(ticket, limit).strip()
    number = _GGUS_NUMBER.match(s)
    if number:
        digits = number.group(1) or number.group(2)
        return f"[GGUS {digits}]({GGUS_TICKET_URL.format(number=digits)})"
    if _URL.match(s):
        return f"[{escape(s, limit)}](<{s}>)"
    return escape(s, limit)
