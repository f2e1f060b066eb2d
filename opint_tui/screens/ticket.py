"""The ticket dialog: an incident's draft ticket, scrollable, to copy (OSC 52) or to save as a file. The
dialog only asks; the app copies and writes (``Copy`` and ``Save`` messages) and says where in a toast."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Static

import opint_core as core
from opint_tui.incident_view import literal_block
from opint_tui.safe import literal
from opint_tui.screens.base import Dialog, while_shown
from opint_tui.screens.dialogs import DIALOG_CSS

FORMATS = {"md": "markdown", "txt": "text"}   # file suffix -> the draft's field


class TicketScreen(Dialog):
    """Shows ``draft.text``; posts Copy (the plain text) or Save (a suffix of FORMATS) and stays open."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TicketScreen") + """
    TicketScreen > Vertical { max-width: 120; height: 100%; }
    TicketScreen #ticket-draft { height: 1fr; background: $boost; padding: 0 1; }
    TicketScreen .buttons Button { min-width: 8; }
    """
    BINDINGS = [Binding("escape", "cancel", "Close", id="dialog_cancel"),
                Binding("c,y", "copy", "Copy", id="ticket_copy"),
                Binding("ctrl+s,s", "save('md')", "Save markdown", id="ticket_save_markdown", priority=True),
                Binding("w", "save('txt')", "Save text", id="ticket_save_text")]

    class Copy(Message):
        """Copy ``text`` to the clipboard."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    class Save(Message):
        """Write ``text`` to ``path``."""

        def __init__(self, path: str, text: str):
            super().__init__()
            self.path, self.text = path, text

    def __init__(self, draft: core.TicketDraft, path_stem: str):
        """``path_stem``: where the draft is saved, without its suffix (.md or .txt)."""
        super().__init__()
        self.draft, self.path_stem = draft, path_stem

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Ticket draft (GGUS style): paste it into the site's ticket", classes="title")
            with VerticalScroll(id="ticket-draft"):
                yield Static(literal_block(self.draft.text), id="ticket-text")
            yield Static(literal(f"saves to {self.path_stem}.md (markdown) or .txt (text); copy takes the text "
                                 "over OSC 52"), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Copy (c)", classes="primary", id="copy")
                yield Button("Save .md (s)", id="save-md")
                yield Button("Save .txt (w)", id="save-txt")
                yield Button("Close (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#ticket-draft").focus()   # the arrows and page keys scroll the draft

    def action_copy(self) -> None:
        self.post_message(self.Copy(self.draft.text))

    def action_save(self, suffix: str) -> None:
        self.post_message(self.Save(f"{self.path_stem}.{suffix}", getattr(self.draft, FORMATS[suffix])))

    def action_cancel(self) -> None:
        self.close()

    @while_shown
    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button == "copy":
            self.action_copy()
        elif button in ("save-md", "save-txt"):
            self.action_save(button.removeprefix("save-"))
        else:
            self.action_cancel()
