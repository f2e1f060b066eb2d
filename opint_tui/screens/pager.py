"""The full text of a category's messages, paged: a message of 50 MB costs what one screen shows."""
from __future__ import annotations

import bisect
import re

from rich.text import Text
from textual.app import ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from opint_tui.safe import clean, literal
from opint_tui.screens.base import ScrollingScreen
from opint_tui.widgets import KeyFooter

_C1 = re.compile(r"[\x80-\x9f]")


def cells_per_character(text: str) -> int:
    """The most cells one character of ``text`` takes once cleaned: 1 for ASCII (a control becomes one
    glyph such as ␛), 4 with C1 controls (shown as \\x9b), else 2 (wide characters). A line holds the
    width divided by this, so that no line is wider than the screen and nothing is cut off."""
    if text.isascii():
        return 1
    return 4 if _C1.search(text) else 2


class TextPager(ScrollView, can_focus=True, inherit_bindings=False):
    """Texts under a title line each, drawn one line at a time (the Line API, as toolong does): line n of
    a text is a fixed slice of it, cleaned when it is drawn. Nothing is wrapped or measured up front.
    The keys are the screen's (the keymap's), not ScrollView's own, which animate over ssh."""

    DEFAULT_CSS = """
    TextPager { background: $surface; }
    TextPager > .text-pager--title { text-style: bold; color: $accent; }
    """
    COMPONENT_CLASSES = {"text-pager--title"}

    def __init__(self, texts: list[tuple[str, str]], *, id: str | None = None):
        """``texts``: (title, text) pairs, shown one after the other."""
        super().__init__(id=id)
        self.texts = texts
        self._starts: list[int] = []   # the line of each text's title
        self._per_line: list[int] = []  # characters of each text on one line

    def on_resize(self) -> None:
        self._lay_out(self.scrollable_content_region.width)

    def on_mount(self) -> None:
        self._lay_out(self.scrollable_content_region.width or self.app.size.width)

    def _lay_out(self, width: int) -> None:
        width = max(1, width)
        self._starts, self._per_line = [], []
        lines = 0
        for _, text in self.texts:
            per_line = max(1, width // cells_per_character(text))
            self._starts.append(lines)
            self._per_line.append(per_line)
            lines += 1 + max(1, -(-len(text) // per_line))
        self.virtual_size = Size(width, lines)
        self.refresh()

    def line_text(self, index: int) -> Text:
        """Line ``index`` of the whole document: a title, or a slice of a text."""
        which = bisect.bisect_right(self._starts, index) - 1
        if which < 0 or index >= self.virtual_size.height:
            return Text()
        title, text = self.texts[which]
        offset = index - self._starts[which]
        if offset == 0:
            return literal(title, self.get_component_rich_style("text-pager--title"))
        per_line = self._per_line[which]
        return Text(clean(text[(offset - 1) * per_line: offset * per_line]))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        segments = list(self.line_text(scroll_y + y).render(self.app.console))
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, self.rich_style)


class PagerScreen(ScrollingScreen):
    """The full texts in a pager, under a line that says what they are."""

    DEFAULT_CSS = """
    PagerScreen #pager-head { height: 1; background: $boost; padding: 0 1; }
    PagerScreen TextPager { height: 1fr; padding: 0 1; }
    """

    def __init__(self, texts: list[tuple[str, str]], head: str):
        super().__init__()
        self.texts, self.head = texts, head

    def compose(self) -> ComposeResult:
        yield Static(literal(self.head), id="pager-head")
        yield TextPager(self.texts)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.scroller.focus()

    @property
    def scroller(self) -> TextPager:
        return self.query_one(TextPager)
