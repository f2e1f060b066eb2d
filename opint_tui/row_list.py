"""A list of fixed-width rows that renders only what is visible (the Line API), so that filtering or
re-sorting thousands of categories costs one list assignment, not a widget per row."""
from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


class RowList(ScrollView, can_focus=True):
    """Rows of cells (rich Text) in columns of fixed width, with a row cursor.

    Cells are produced on demand by `make_cells(item)` for the rows on screen only, and cached.
    """

    DEFAULT_CSS = """
    RowList { background: $surface; }
    RowList > .row-list--cursor { background: $primary 60%; text-style: bold; }
    RowList:blur > .row-list--cursor { background: $primary 25%; }
    RowList > .row-list--header { text-style: bold; background: $boost; }
    """
    COMPONENT_CLASSES = {"row-list--cursor", "row-list--header"}
    BINDINGS = [
        Binding("down", "cursor_down", "Down", show=False, id="list_down"),
        Binding("up", "cursor_up", "Up", show=False, id="list_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list_page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list_page_up"),
        Binding("home", "first", "First", show=False, id="list_first"),
        Binding("end", "last", "Last", show=False, id="list_last"),
        Binding("enter", "select", "Open", show=False, id="list_select"),
    ]

    cursor_row = reactive(0, always_update=True, init=False)

    class Selected(Message):
        """Enter (or a click) on a row."""

        def __init__(self, row_list: "RowList", index: int):
            super().__init__()
            self.row_list, self.index = row_list, index

    def __init__(self, make_cells, *, id: str | None = None, show_position: bool = False):
        """``show_position``: the header line ends with the cursor's position ("12/340"), for a list shown
        without a scrollbar (a thumb drawn beside the last column reads as data: ▁▁ as a sparkline)."""
        super().__init__(id=id)
        self.make_cells = make_cells
        self.show_position = show_position
        self.items: list = []
        self.columns: tuple = ()  # (key, label, width)
        self._cache: dict[int, list[Segment]] = {}

    # --- data ----------------------------------------------------------------------------------------
    def set_items(self, items: list, columns: tuple) -> None:
        if columns != self.columns:
            self.columns = columns
        self.items = items
        self._cache.clear()
        width = sum(w for _, _, w in columns) + len(columns)
        self.virtual_size = Size(width, len(items) + 1)  # +1: the header line
        if self.cursor_row >= len(items):
            self.cursor_row = max(0, len(items) - 1)
        self.refresh()

    def invalidate(self) -> None:
        self._cache.clear()
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.items)

    # --- rendering -------------------------------------------------------------------------------------
    def _line(self, cells: list[Text]) -> list[Segment]:
        return list(self._line_text(cells).render(self.app.console))

    def _line_text(self, cells: list[Text]) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        for (_, _, width), cell in zip(self.columns, cells):
            cell = cell.copy()
            cell.no_wrap, cell.overflow = True, "ellipsis"
            cell.truncate(width, overflow="ellipsis", pad=True)
            line.append(" ")
            line.append_text(cell)
        return line

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:  # a header that stays on top while the rows scroll
            header = self.get_component_rich_style("row-list--header")
            line = self._line_text([Text(label) for _, label, _ in self.columns])
            if self.show_position and self.items:
                position = f" {self.cursor_row + 1:,}/{len(self.items):,} "
                line.rstrip()
                if line.cell_len + len(position) + 1 <= width:
                    line.pad_right(width - line.cell_len - len(position))
                    line.append(position)
            segments = list(line.render(self.app.console))
            return Strip(segments).apply_style(base + header).crop_extend(0, width, base + header)
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y - 1
        if index >= len(self.items):
            return Strip.blank(width, base)
        segments = self._cache.get(index)
        if segments is None:
            segments = self._cache[index] = self._line(self.make_cells(self.items[index]))
        style = base
        if index == self.cursor_row:
            style = base + self.get_component_rich_style("row-list--cursor")
        strip = Strip(segments).apply_style(style) if index == self.cursor_row else Strip(segments)
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    # --- cursor ------------------------------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh()
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        if self.items:
            self.cursor_row = max(0, min(row, len(self.items) - 1))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._page())

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._page())

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self.items) - 1)

    def action_select(self) -> None:
        if self.items:
            self.post_message(self.Selected(self, self.cursor_row))

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y - 1
        if 0 <= index < len(self.items):
            if index == self.cursor_row and event.chain >= 2:
                self.action_select()
            self.cursor_row = index

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.virtual_size.width

    def region_of(self, index: int) -> Region:
        return Region(0, index + 1, self.virtual_size.width, 1)
