"""The drill-down of one category: messages, where, when, slot values, member templates."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from opint_tui.bindings import bindings
from opint_tui.screens.base import ScrollingScreen
from opint_tui.screens.pager import PagerScreen


class DetailScreen(ScrollingScreen):
    DEFAULT_CSS = """
    DetailScreen VerticalScroll { height: 1fr; padding: 0 1; }
    DetailScreen .section-title { text-style: bold; color: $accent; margin-top: 1; }
    """
    BINDINGS = bindings(("annotate", "full_text", "ticket"))

    class Annotate(Message):
        """Annotate the category shown (``incident``: the one the detail was opened from, if any)."""

        def __init__(self, row, incident=None):
            super().__init__()
            self.row, self.incident = row, incident

    class Ticket(Message):
        """The ticket draft of the incident the detail was opened from."""

        def __init__(self, incident):
            super().__init__()
            self.incident = incident

    def __init__(self, row, sections, messages=(), incident=None):
        """``sections``: (title, renderable) pairs; ``messages``: (count, message) of the category, in full,
        for the pager (the sections show them cut to a screenful); ``incident``: the incident it was opened
        from (the ticket key drafts its ticket)."""
        super().__init__()
        self.row = row
        self.incident = incident
        self.sections = sections
        self.messages = list(messages)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            for title, renderable in self.sections:
                yield Static(Text(title), classes="section-title")
                yield Static(renderable, classes=f"section section-{title.replace(' ', '-')}")
        yield Footer()

    def on_mount(self) -> None:
        self.scroller.focus()

    @property
    def scroller(self) -> VerticalScroll:
        return self.query_one(VerticalScroll)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "ticket" and self.incident is None:
            return False   # a category opened from the overview has no one site to write to
        return super().check_action(action, parameters)

    def action_annotate(self) -> None:
        self.post_message(self.Annotate(self.row, self.incident))

    def action_ticket(self) -> None:
        self.post_message(self.Ticket(self.incident))

    def action_full_text(self) -> None:
        """The messages in full, paged (the detail cuts each to a screenful)."""
        n = len(self.messages)
        texts = [(f"message {i} of {n} · {count:,} failures · {len(message):,} characters", message)
                 for i, (count, message) in enumerate(self.messages, 1)]
        total = sum(len(m) for _, m in self.messages)
        self.app.push_screen(PagerScreen(texts, f"the full text of {n} message{'s' if n != 1 else ''} "
                                                f"({total:,} characters) of {self.row.key}"))
