"""Form widgets of the dialogs, hardened against data and against bursts of keys.

A field that starts from data (a teammate's label, an archive path) shows it escaped (``safe.clean``:
a raw escape sequence in an Input would be written to the terminal as it is drawn) and, left as shown,
gives the original value back, never its escaped form; an edited field gives what was typed."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Input, OptionList, Select, TextArea
from textual.widgets._select import SelectCurrent, SelectOverlay

from opint_tui.safe import clean


class DataInput(Input):
    """A one-line field starting from ``original`` (see the module)."""

    def __init__(self, original: str | None = "", **kwargs):
        self.original = original or ""
        super().__init__(value=clean(self.original), **kwargs)

    @property
    def result(self) -> str:
        """The original value when the field was left as shown, else what was typed (stripped)."""
        return self.original if self.value == clean(self.original) else self.value.strip()


class DataTextArea(TextArea):
    """A multi-line field starting from ``original`` (see the module); line breaks stay line breaks."""

    def __init__(self, original: str | None = "", **kwargs):
        self.original = original or ""
        super().__init__(clean(self.original, keep_newlines=True), **kwargs)

    @property
    def result(self) -> str:
        shown = clean(self.original, keep_newlines=True)
        return self.original if self.text == shown else self.text.strip()


class PagesAfterLayout:
    """Mixin for an OptionList: its page keys wait for its first layout. Before it, Textual's raise
    KeyError, which a pagedown in a burst of keys right after the list opened did."""

    def action_page_down(self) -> None:
        if self.scrollable_content_region:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.scrollable_content_region:
            super().action_page_up()


class TargetList(PagesAfterLayout, OptionList):
    """The merge dialog's list of categories."""


class ChoiceOverlay(PagesAfterLayout, SelectOverlay):
    """The pop-up list of a Choice."""


class Choice(Select):
    """A Select of fixed words that survives a burst of keys (see PagesAfterLayout) and a current value
    from data that is none of them (a status written by a newer or a hostile opint): that one is offered
    too, escaped, and kept when the shifter does not pick another."""

    def __init__(self, words, value: str, **kwargs):
        options = [(Text(clean(word)), word) for word in words]   # words may come from data (VOs)
        if value not in words:
            options.append((Text(f"{clean(value)} (unknown)"), value))
        super().__init__(options, value=value, allow_blank=False, **kwargs)

    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield ChoiceOverlay(type_to_search=self._type_to_search).data_bind(compact=Select.compact)


class KeyFooter(Footer):
    """The key bar, compact (less space around each key) on a narrow terminal, so that the keys of a screen
    and ^p still fit at 80 columns instead of being cut ("e E▏")."""

    NARROW = 100

    def on_resize(self, event) -> None:
        self.compact = event.size.width < self.NARROW
