"""The categories overview: one row per category, filter as you type, sort, switch level."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static

from opint_tui.bindings import bindings
from opint_tui.incident_view import overview_tag, overview_tag_min
from opint_tui.overview_model import LEVELS, SORTS, filter_rows, sort_rows
from opint_tui.row_list import RowList
from opint_tui.safe import clean, literal, pattern_text
from opint_tui.screens.base import ListedScreen, while_shown
from opint_tui.view import header_text, label_cell, status_cell, trend_cell
from opint_tui.widgets import KeyFooter


def scope_tag(analysis) -> Text:
    """The VO scope at the head of the header ("VO cms"); nothing when every VO is shown."""
    vos = getattr(analysis, "vo", ())
    return Text(f" VO {clean(', '.join(vos))} ", style="bold reverse") if vos else Text()


SORTED_COLUMN = {"count": "count", "trend": "trend", "new": "trend", "label": "label"}   # sort -> column
SORT_LABELS = {"new": "new"}     # the column's label while sorted so, when it is not the column's name


def columns_for(width: int, sort: str = "count", reverse: bool = False) -> tuple:
    """(key, label, width) of the overview columns for a terminal width: the pattern gets what is left.
    At 80 columns: status, count, share, the trend in numbers, the pattern and a label of 20 characters (and its …); wider
    terminals add the sparkline and the top sites, and widen the label. The sorted column's label
    carries ▼ (▲ reversed). No scrollbar: the position is in the header line (``RowList.show_position``)."""
    if width >= 140:
        fixed = [("status", " ", 2), ("count", "count", 8), ("share", "share", 5), ("trend", "trend", 20),
                 ("sites", "top sites src→dst", 26)]
        label = 24 + (width - 140) // 4
    elif width >= 100:
        fixed = [("status", " ", 2), ("count", "count", 7), ("share", "share", 5), ("trend", "trend", 14),
                 ("sites", "top sites", 18)]
        label = 20 + (width - 100) // 4
    else:
        fixed = [("status", " ", 2), ("count", "count", 7), ("share", "share", 5), ("trend", "trend", 7)]
        label = max(12, min(21 + (width - 80) // 3, width - 59))   # 20 characters and the …
    # one space before each column, one at the end
    used = sum(w + 1 for _, _, w in fixed) + (label + 1) + 1
    columns = fixed + [("pattern", "pattern", max(16, width - used)), ("label", "label", label)]
    marked = SORTED_COLUMN.get(sort)
    arrow = "▲" if reverse else "▼"
    return tuple((key, SORT_LABELS.get(sort, text.strip() or text) + arrow if key == marked else text, w)
                 for key, text, w in columns)


def share_text(share: float) -> str:
    """A share in at most five characters: 0.4%, 7.1%, 42%, 100%."""
    return f"{100 * share:.1f}%" if share < 0.0995 else f"{100 * share:.0f}%"


class OverviewScreen(ListedScreen):
    """The rows the app hands down (``show``), filtered, sorted and drawn here. What the shifter asks of a
    row, or a new level, is posted up as a message; ``level`` and ``progress`` may be set from outside."""

    DEFAULT_CSS = """
    OverviewScreen #summary { height: auto; background: $boost; padding: 0 0; }
    OverviewScreen #progress { height: auto; color: $warning; display: none; }
    OverviewScreen #progress.active { display: block; }
    OverviewScreen RowList { height: 1fr; scrollbar-size-vertical: 0; }
    OverviewScreen #filter { display: none; border: none; height: 1; padding: 0 1; }
    OverviewScreen #filter.active { display: block; }
    """
    BINDINGS = bindings(("filter", "incidents", "sites", "open", "annotate", "merge", "unmerge", "sort", "reverse_sort", "level", "next_match",
                         "previous_match", "cursor_down", "cursor_up", "page_down", "page_up", "first", "last",
                         "back"))

    level = reactive("category", init=False)     # a change is posted as LevelChanged: the app brings its rows
    progress = reactive("", init=False)          # the line that tells how far a load has got ("": hidden)

    class RowMessage(Message):
        """Something asked of one row (at the level shown)."""

        def __init__(self, row, level: str):
            super().__init__()
            self.row, self.level = row, level

    class OpenDetail(RowMessage):
        """Enter on a row: its drill-down."""

    class Annotate(RowMessage):
        """Annotate the row's category."""

    class Merge(RowMessage):
        """Merge the row's category into another one."""

    class Unmerge(RowMessage):
        """Give back their own rows to the categories merged into the row's."""

    class ShowIncidents(Message):
        """The incidents list is wanted."""

    class ShowSites(Message):
        """The sites list is wanted."""

    class LevelChanged(Message):
        """The level shown changed (categories or templates): its rows are wanted."""

        def __init__(self, level: str):
            super().__init__()
            self.level = level

    def __init__(self):
        super().__init__()
        self.analysis = None    # what the header describes
        self.rows = []          # all rows of the current level
        self.shown = []         # after filter and sort
        self.sort_order = "count"   # (shadows Widget.sort_order, Textual's creation counter)
        self.reverse = False
        self.filter_text = ""
        self.filter_committed = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(" opint · loading…"), id="summary")
            yield Static("", id="progress")
            yield RowList(self.cells, id="table", show_position=True)
            yield Input(placeholder="filter: words of the pattern, label or sites (esc clears)", id="filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.columns = ()
        self.table.focus()

    def on_resize(self) -> None:
        if self.rows and self._columns() != self.columns:
            self.refresh_rows()

    # --- data ------------------------------------------------------------------------------------
    @property
    def table(self) -> RowList:
        return self.query_one(RowList)

    def show(self, analysis, rows, keep_key: str | None = None) -> None:
        """Show ``rows`` (of ``analysis``, at the current level), the cursor on ``keep_key`` if given."""
        self.analysis = analysis
        self.rows = rows
        self.refresh_rows(keep_key)

    def sort_by(self, order: str) -> None:
        self.sort_order = order
        self.refresh_rows()

    def watch_level(self, level: str) -> None:
        self.post_message(self.LevelChanged(level))

    def watch_progress(self, text: str) -> None:
        line = self.query_one("#progress", Static)
        line.update(Text(text))
        line.set_class(bool(text), "active")
        self._show_summary()

    def _show_summary(self) -> None:
        summary = self.query_one("#summary", Static)
        if self.analysis is None:
            summary.update(Text(" opint · loading…" if self.progress else " opint · no data loaded"))
        else:
            scope = scope_tag(self.analysis)
            # one line: the incidents' word keeps room for its shortest form (with a filter it ends the
            # filter's line)
            tag = 0 if self.filter_text else overview_tag_min(self.analysis.incidents)
            header = header_text(self.analysis, self.level, len(self.shown), len(self.rows), self.filter_text,
                                 self.sort_order + (" (reversed)" if self.reverse else ""),
                                 self.app.size.width - scope.cell_len - tag)
            head = Text.assemble(scope, header)
            room = self.app.size.width - len(head.plain.split("\n")[-1])
            summary.update(Text.assemble(head, overview_tag(self.analysis.incidents, room)))

    def cells(self, row) -> list:
        """The cells of one row for the current columns; called only for rows on screen."""
        widths = {key: width for key, _, width in self.columns}
        makers = {
            "status": status_cell, "count": lambda r: Text(f"{r.count:,}".rjust(widths["count"])),
            "share": lambda r: Text(share_text(r.share).rjust(widths["share"])),
            "trend": lambda r: trend_cell(r, widths["trend"]), "sites": lambda r: literal(r.sites),
            "pattern": lambda r: pattern_text(r.pattern, limit=widths["pattern"]),
            "label": label_cell,
        }
        return [makers[key](row) for key, _, _ in self.columns]

    def refresh_rows(self, keep_key: str | None = None) -> None:
        """Re-filter, re-sort and redraw, keeping the cursor on the same row when it is still shown."""
        table = self.table
        if keep_key is None and self.shown and 0 <= table.cursor_row < len(self.shown):
            keep_key = f"{self.shown[table.cursor_row].index}"
        self.shown = sort_rows(filter_rows(self.rows, self.filter_text), self.sort_order, self.reverse)
        self.columns = self._columns()
        table.set_items(self.shown, self.columns)
        cursor = 0
        for i, r in enumerate(self.shown):
            if keep_key is not None and f"{r.index}" == keep_key:
                cursor = i
                break
        table.move_cursor(row=cursor)
        self._show_summary()

    def _columns(self) -> tuple:
        return columns_for(self.app.size.width, self.sort_order, self.reverse)

    def current_row(self):
        if not self.shown:
            return None
        row = self.table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    # --- actions ---------------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("active")
        self.filter_committed = False
        box.focus()

    @while_shown
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value
            self.filter_committed = False
            self.refresh_rows()

    @while_shown
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if self.filter_committed:
                # a second enter typed before the focus moved: it meant "open", as it does on the list
                self.action_open()
                return
            self.filter_committed = True
            if not event.value:
                event.input.remove_class("active")
            self.table.focus()

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if self.filter_text or box.has_class("active"):
            box.value = ""
            self.filter_text = ""
            box.remove_class("active")
            self.table.focus()
            self.refresh_rows()

    def action_incidents(self) -> None:
        self.post_message(self.ShowIncidents())

    def action_sites(self) -> None:
        self.post_message(self.ShowSites())

    def action_sort(self) -> None:
        self.sort_order = SORTS[(SORTS.index(self.sort_order) + 1) % len(SORTS)]
        self.refresh_rows()

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self.refresh_rows()

    def action_level(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]

    def _post_for_row(self, message_class: type[RowMessage]) -> None:
        row = self.current_row()
        if row is not None:
            self.post_message(message_class(row, self.level))

    def action_open(self) -> None:
        self._post_for_row(self.OpenDetail)

    @while_shown
    def on_row_list_selected(self, event: RowList.Selected) -> None:
        self.action_open()

    def action_annotate(self) -> None:
        self._post_for_row(self.Annotate)

    def action_merge(self) -> None:
        self._post_for_row(self.Merge)

    def action_unmerge(self) -> None:
        self._post_for_row(self.Unmerge)

    def _move(self, delta: int) -> None:
        if self.shown:
            self.table.move_cursor(row=(self.table.cursor_row + delta) % len(self.shown), animate=False)

    def action_next_match(self) -> None:
        self._move(1)

    def action_previous_match(self) -> None:
        self._move(-1)

    def action_first(self) -> None:
        self.table.move_cursor(row=0, animate=False)

    def action_last(self) -> None:
        if self.shown:
            self.table.move_cursor(row=len(self.shown) - 1, animate=False)
