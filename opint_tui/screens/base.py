"""What every screen of the app shares: it acts only while it is the one shown.

Keys typed in a burst (a paste, a held key, a slow ssh link catching up) are queued before the screen
they were meant for is closed, and reach it after: a binding or a handler then finds its widgets gone
(NoMatches) or closes the screen below it (ScreenStackError). So a screen that is not on top ignores
them, as the shifter expects of keys typed at a screen that is no longer there."""
from __future__ import annotations

import functools

from textual.screen import ModalScreen, Screen
from textual.widget import Widget

from opint_tui.bindings import bindings


class ShownOnly:
    """Mixin for a Screen: its bindings run only while it is on top of the stack."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.is_active and super().check_action(action, parameters)


def while_shown(handler):
    """A message handler of a screen that does nothing once the screen is no longer on top."""

    @functools.wraps(handler)
    def guarded(screen, *args, **kwargs):
        if screen.is_active:
            return handler(screen, *args, **kwargs)
        return None

    return guarded


class AppScreen(ShownOnly, Screen):
    """A full screen of the app (overview, detail, pager)."""


class ListedScreen(AppScreen):
    """A screen of one list (``table``: a RowList) that the keymap's moving ids move."""

    @property
    def table(self):
        raise NotImplementedError

    def action_cursor_down(self) -> None:
        self.table.action_cursor_down()

    def action_cursor_up(self) -> None:
        self.table.action_cursor_up()

    def action_page_down(self) -> None:
        self.table.action_page_down()

    def action_page_up(self) -> None:
        self.table.action_page_up()

    def action_first(self) -> None:
        self.table.action_first()

    def action_last(self) -> None:
        self.table.action_last()


class Dialog(ShownOnly, ModalScreen[None]):
    """A modal dialog; ``close`` dismisses it once, however many keys asked for it."""

    def close(self) -> None:
        if self.is_active:
            self.dismiss(None)


class ScrollingScreen(AppScreen):
    """A screen of one scrolled widget (``scroller``), moved by the keymap's moving ids; back closes it."""

    BINDINGS = bindings(("back", "cursor_down", "cursor_up", "page_down", "page_up", "first", "last"), shown=("back",))

    @property
    def scroller(self) -> Widget:
        raise NotImplementedError

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_cursor_down(self) -> None:
        self.scroller.scroll_down(animate=False)

    def action_cursor_up(self) -> None:
        self.scroller.scroll_up(animate=False)

    def action_page_down(self) -> None:
        self.scroller.scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.scroller.scroll_page_up(animate=False)

    def action_first(self) -> None:
        self.scroller.scroll_home(animate=False)

    def action_last(self) -> None:
        self.scroller.scroll_end(animate=False)
