"""Waits for the app under Pilot that fail loudly instead of lying.

Every wait here is for a *condition*: it polls, letting the app process its queued messages between
polls, until the condition holds, and fails with a message naming what it waited for when it never does.
The deadline is only a bound on how long a broken app can hang a test, never a claim about speed: it is
generous because the test machines are small and shared.
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable

from textual.screen import Screen

DEADLINE = 30.0   # seconds before a wait gives up and fails the test (a failure bound, not a speed check)
POLL = 0.02       # seconds between two looks at the condition


async def wait_until(pilot, predicate: Callable[[], object], what: str | Callable[[], str], *,
                     timeout: float = DEADLINE) -> None:
    """Return once ``predicate()`` is true; fail naming ``what`` if it is not within ``timeout`` seconds.

    ``what`` may be a function, called only on failure (to describe the state at that moment).

    The predicate may raise while the app is still getting there (a widget not mounted yet, a row not
    listed yet): that counts as "not yet", and the last such error is part of the failure message.
    """
    app = pilot.app
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        await pilot.pause()   # no delay: only lets the app process what is queued
        crashed = getattr(app, "_exception", None)
        if crashed is not None:
            raise AssertionError(f"the app crashed while the test waited for {_text(what)}: {crashed!r}") \
                from crashed
        try:
            if predicate():
                return
            last_error = None
        except Exception as e:  # noqa: BLE001 - "not yet"; reported if it never goes away
            last_error = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g} s for {_text(what)}, and it never happened"
                                 + (f"; the last check raised {last_error!r}" if last_error else "")
                                 + f"\n{describe(app)}")
        await asyncio.sleep(POLL)


def _text(what) -> str:
    return what() if callable(what) else what


def describe(app) -> str:
    """Where the app is, for a failure message: its screens and the focused widget."""
    try:
        stack = " > ".join(type(s).__name__ for s in app.screen_stack)
    except Exception:  # noqa: BLE001
        stack = "?"
    return f"screens: {stack}; focused: {app.focused!r}"


async def wait_for_screen(pilot, cls: type[Screen], what: str | None = None) -> Screen:
    """The top screen, once it is a mounted ``cls`` (its on_mount has run: its focus is requested)."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, cls) and app.screen.is_mounted,
                     what or f"the {cls.__name__} to be shown")
    return app.screen


async def wait_for_top(pilot, screen: Screen, what: str) -> None:
    """Wait until ``screen`` (e.g. the overview) is on top again: a dialog or detail above it was closed."""
    await wait_until(pilot, lambda: pilot.app.screen is screen, what)


async def wait_for_focus(pilot, selector: str, what: str | None = None):
    """The widget matching ``selector`` on the top screen, once it has the focus (keys typed next reach it)."""
    app = pilot.app
    await wait_until(pilot, lambda: app.focused is not None and app.focused is app.screen.query_one(selector),
                     what or f"{selector} to have the focus")
    return app.focused


class Toasts:
    """Every toast the app asks for, recorded when it is asked for.

    A toast on screen expires after a few seconds (and a loaded machine may take that long between two
    looks); this record does not, so a test can wait for "the app answered" before asserting what the
    answer did not do.
    """

    def __init__(self, app):
        self.messages: list[str] = []
        notify = app.notify

        def recording(message, *args, **kwargs):
            self.messages.append(str(message))
            return notify(message, *args, **kwargs)

        app.notify = recording

    def count(self, text: str) -> int:
        return sum(text in m for m in self.messages)

    async def wait_for(self, pilot, text: str, what: str, *, times: int = 1) -> None:
        """Wait until ``text`` has been in ``times`` toasts."""
        await wait_until(pilot, lambda: self.count(text) >= times,
                         lambda: f"{what} ({times} toast(s) with {text!r}; the toasts were: {self.messages!r})")
