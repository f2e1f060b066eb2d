"""The one base of every error opint raises on purpose: what went wrong, and what to do about it.

The CLI and the app catch ``OpintError`` once and show ``message`` and ``remedy``; anything else
that escapes is a bug.
"""
from __future__ import annotations


class OpintError(Exception):
    """``message`` names the input and what went wrong; ``remedy`` says what to do ('' if nothing)."""

    def __init__(self, message: str, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return self.message


class LoadCancelled(Exception):
    """The caller cancelled a load (its cancel event was set): not an error, so not an OpintError."""
