"""The incidents list: what is broken, where, since when; one row per incident, new first, then rising, then
ongoing (the core's order). What the shifter asks of an incident is posted up as a message."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

import opint_core as core
from opint_tui import incident_view
from opint_tui.bindings import bindings
from opint_tui.row_list import RowList
from opint_tui.safe import clean
from opint_tui.screens.base import ListedScreen, while_shown
from opint_tui.widgets import KeyFooter


class IncidentsScreen(ListedScreen):
    """The incidents the app hands down (``show``); kept installed, so the cursor stays where it was."""

    DEFAULT_CSS = """
    IncidentsScreen #incidents-head { height: auto; background: $boost; }
    IncidentsScreen RowList { height: 1fr; }
    IncidentsScreen #incidents-empty { height: 1fr; padding: 1 0; display: none; }
    IncidentsScreen.empty #incidents-empty { display: block; }
    IncidentsScreen.empty RowList { display: none; }
    IncidentsScreen #incidents-cursor { height: 1; background: $boost; }
    """
    BINDINGS = bindings(("incidents", "sites", "open", "ticket", "annotate", "cursor_down", "cursor_up", "page_down",
                         "page_up", "first", "last", "back"), shown=("back",))

    class IncidentMessage(Message):
        """Something asked of one incident."""

        def __init__(self, incident: core.Incident):
            super().__init__()
            self.incident = incident

    class Open(IncidentMessage):
        """Enter: the incident's category, in detail."""

    class Annotate(IncidentMessage):
        """Annotate the incident's category, the site in the label."""

    class Ticket(IncidentMessage):
        """The ticket draft of the incident."""

    class ShowSites(Message):
        """The sites list is wanted."""

    def __init__(self):
        super().__init__()
        self.analysis = None
        self.incidents: list[core.Incident] = []
        self.columns: tuple = ()
        self.composed = False   # widgets there to draw into (is_mounted is still False inside on_mount)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(" opint · incidents"), id="incidents-head")
            yield RowList(self.cells, id="incidents")
            yield Static("", id="incidents-empty")
            yield Static("", id="incidents-cursor")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.composed = True
        self.table.focus()
        self._draw()
        # the line under the list follows the cursor, however it moved (keys of the list, the keymap, a click)
        self.watch(self.table, "cursor_row", lambda _: self._show_cursor_line(), init=False)

    def on_resize(self) -> None:
        if self.incidents and incident_view.columns_for(self.app.size.width) != self.columns:
            self._draw(keep=self.current())

    @property
    def table(self) -> RowList:
        return self.query_one(RowList)

    def show(self, analysis) -> None:
        """Show the incidents of ``analysis``; the cursor stays on the same incident when it is still there."""
        keep = self.current()
        self.analysis = analysis
        self.incidents = list(analysis.incidents or []) if analysis is not None else []
        if self.composed:
            self._draw(keep)

    def cells(self, incident: core.Incident) -> list[Text]:
        return incident_view.cells(incident, self.columns)

    def _draw(self, keep: core.Incident | None = None) -> None:
        self.columns = incident_view.columns_for(self.app.size.width)
        self.table.set_items(self.incidents, self.columns)
        self.set_class(not self.incidents, "empty")
        self.query_one("#incidents-empty", Static).update(incident_view.empty_text(self.analysis))
        if keep is not None and keep in self.incidents:
            self.table.move_cursor(row=self.incidents.index(keep))
        self._show_head()
        self._show_cursor_line()

    def _show_head(self) -> None:
        head = Text()
        if self.analysis is not None:
            r = self.analysis.report
            days = ", ".join(str(d) for d in r.days) if len(r.days) <= 2 else f"{r.days[0]} .. {r.days[-1]}"
            head.append(f" {clean(r.stream)} ", style="bold reverse")
            head.append(f" {days or 'listed paths'} ", style="bold")
        n = len(self.incidents)
        head.append(f"· {n} incident{'s' if n != 1 else ''}")
        if n:
            head.append(f": {incident_view.counts_text(self.incidents)}")
        self.query_one("#incidents-head", Static).update(head)

    def _show_cursor_line(self) -> None:
        incident = self.current()
        self.query_one("#incidents-cursor", Static).update(
            incident_view.cursor_line(incident) if incident is not None else Text())

    @while_shown
    def on_row_list_selected(self, event: RowList.Selected) -> None:
        self.action_open()

    def current(self) -> core.Incident | None:
        row = self.table.cursor_row if self.composed else -1
        return self.incidents[row] if 0 <= row < len(self.incidents) else None

    # --- actions -----------------------------------------------------------------------------------------
    def _post_for_current(self, message_class: type[IncidentMessage]) -> None:
        incident = self.current()
        if incident is not None:
            self.post_message(message_class(incident))

    def action_open(self) -> None:
        self._post_for_current(self.Open)

    def action_annotate(self) -> None:
        self._post_for_current(self.Annotate)

    def action_ticket(self) -> None:
        self._post_for_current(self.Ticket)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_incidents(self) -> None:
        """The key that opened the list closes it: back to the overview."""
        self.action_back()

    def action_sites(self) -> None:
        self.post_message(self.ShowSites())
