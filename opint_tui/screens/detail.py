"""The drill-down of one category: messages, where, when, slot values, member templates."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from opint_tui.bindings import bindings
from opint_tui.screens.base import AppScreen


class DetailScreen(AppScreen):
    DEFAULT_CSS = """
    DetailScreen VerticalScroll { height: 1fr; padding: 0 1; }
    DetailScreen .section-title { text-style: bold; color: $accent; margin-top: 1; }
    """
    BINDINGS = bindings(("back", "annotate", "cursor_down", "cursor_up", "page_down", "page_up", "first", "last"))

    class Annotate(Message):
        """Annotate the category shown."""

        def __init__(self, row):
            super().__init__()
            self.row = row

    def __init__(self, row, sections):
        super().__init__()
        self.row = row
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            for title, renderable in self.sections:
                yield Static(Text(title), classes="section-title")
                yield Static(renderable, classes=f"section section-{title.replace(' ', '-')}")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    @property
    def scroller(self) -> VerticalScroll:
        return self.query_one(VerticalScroll)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_annotate(self) -> None:
        self.post_message(self.Annotate(self.row))

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
