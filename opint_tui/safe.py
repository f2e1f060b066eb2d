"""Text from error messages, shown literally: never markup, never terminal control."""
from __future__ import annotations

import re

from rich.text import Text

# C0 (except nothing: tabs and newlines are replaced too, rows are one line), DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␉ for TAB, ...
    return "␡" if code == 0x7F else f"\\x{code:02x}"


def clean(text: str | None, *, keep_newlines: bool = False) -> str:
    """The text with every control character made visible (ESC -> ␛), so nothing reaches the terminal."""
    if not text:
        return ""
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_visible, line) for line in text.split("\n"))
    return _CONTROL.sub(_visible, text)


def shorten(text: str | None, limit: int, *, keep_newlines: bool = False) -> str:
    """``clean(text)`` in at most ``limit`` characters, cut with "…". Only the part kept is cleaned, so a
    50 MB message costs what is shown of it."""
    if not text:
        return ""
    shown = clean(text[:limit], keep_newlines=keep_newlines)   # may grow: \x9b is shown in 4 characters
    if len(text) <= limit and len(shown) <= limit:
        return shown
    return shown[: max(0, limit - 1)] + "…"


def literal(text: str | None, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A rich Text of the cleaned string: square brackets stay brackets, never markup."""
    return Text(clean(text, keep_newlines=keep_newlines), style=style)


def pattern_text(pattern: str, *, wildcard_style: str = "bold magenta", limit: int | None = None) -> Text:
    """A template pattern with its <*> wildcards highlighted."""
    shown = shorten(pattern, limit) if limit else clean(pattern)
    out = Text()
    for i, piece in enumerate(shown.split("<*>")):
        if i:
            out.append("<*>", style=wildcard_style)
        out.append(piece)
    return out
