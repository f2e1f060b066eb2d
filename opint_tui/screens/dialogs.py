"""Modal dialogs: annotate, merge, load, export, help. A dialog posts what the shifter chose as a message
of its own (``Saved``, ``Chosen``, ``Submitted``) and closes; cancelling posts nothing."""
from __future__ import annotations

import dataclasses
import datetime as dt

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import (
    Button, Checkbox, Input, Label, OptionList, RadioButton, RadioSet, Select, Static,
)
from textual.widgets.option_list import Option

import opint_core as core
from opint_core.load.scope import ALL_VOS
from opint_tui.bindings import DESCRIPTIONS
from opint_tui.overview_model import filter_rows
from opint_tui.safe import clean, literal, pattern_text
from opint_tui.screens.base import Dialog, while_shown
from opint_tui.widgets import Choice, DataInput, DataTextArea, TargetList

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 100; height: auto; max-height: 100%;
    border: round $accent; background: $panel; padding: 0 1;
}}
{name} .title {{ text-style: bold; color: $accent; }}
{name} Label {{ color: $text-muted; }}
/* one line per field: fits an 80x24 ssh window */
{name} Input {{ height: 1; border: none; padding: 0 1; background: $boost; }}
{name} Input:focus {{ border: none; background: $primary 30%; }}
{name} Select {{ height: 1; }}
{name} SelectCurrent {{ height: 1; border: none; padding: 0 1; background: $boost; }}
{name} Select:focus > SelectCurrent {{ border: none; background: $primary 30%; }}
{name} RadioSet {{ border: none; padding: 0; height: auto; layout: horizontal; }}
{name} Checkbox {{ border: none; padding: 0; margin-top: 1; }}
{name} .buttons {{ height: 1; align-horizontal: right; margin-top: 1; }}
{name} .buttons Button {{ margin-left: 1; min-width: 10; height: 1; border: none; color: $text; }}
{name} .buttons Button.primary {{ background: $primary; text-style: bold; }}
{name} .buttons Button:focus {{ text-style: bold reverse; }}
{name} .hint {{ color: $text-muted; }}
"""


class AnnotateScreen(Dialog):
    """Label, status, ticket and notes of one category. Posts Saved with the changed fields."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AnnotateScreen") + """
    AnnotateScreen TextArea { height: 3; border: none; background: $boost; }
    AnnotateScreen #annotate-pattern { height: auto; max-height: 3; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
                Binding("ctrl+s", "save", "Save", id="dialog_save", priority=True)]

    class Saved(Message):
        """Fields to write for category ``key`` ("" clears one); ``pattern`` lets other days inherit them."""

        def __init__(self, key: str, pattern: str, values: dict):
            super().__init__()
            self.key, self.pattern, self.values = key, pattern, values

    def __init__(self, key: str, pattern: str, annotation=None, inherited=None, *, label: str | None = None,
                 heading: str = "Annotate category"):
        """``label``: a label to offer instead of the current one (an incident's, naming its site)."""
        super().__init__()
        self.key, self.pattern = key, pattern
        self.annotation, self.inherited = annotation, inherited
        self.label, self.heading = label, heading

    def compose(self) -> ComposeResult:
        a = self.annotation
        with Vertical():
            yield Label(literal(self.heading), classes="title")
            yield Static(pattern_text(self.pattern, limit=300), id="annotate-pattern")
            if self.inherited is not None and self.inherited.inherited:
                yield Static(Text(f"inherited from {clean(self.inherited.source_key)} (similarity "
                                  f"{self.inherited.similarity:.0f}%): saving makes it this category's own",
                                  style="italic"), classes="hint")
            yield Label("Label")
            yield DataInput(self.label if self.label is not None else a and a.label, placeholder="e.g. BNL disk full",
                            id="label")
            yield Label("Status")
            yield Choice(core.STATUSES, value=(a.status if a and a.status else "new"), id="status")
            yield Label("Ticket (id or URL)")
            yield DataInput(a and a.ticket, placeholder="GGUS-123456", id="ticket")
            yield Label("Notes")
            yield DataTextArea(a and a.notes, id="notes", soft_wrap=True)
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", classes="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#label", Input).focus()

    def _values(self) -> dict:
        """What the fields hold; a field left as shown holds its original value, not the escaped text."""
        return {"label": self.query_one("#label", DataInput).result,
                "status": self.query_one("#status", Select).value,
                "ticket": self.query_one("#ticket", DataInput).result,
                "notes": self.query_one("#notes", DataTextArea).result}

    def action_save(self) -> None:
        values = self._values()
        old = self.annotation
        if old is not None and (self.inherited is None or not self.inherited.inherited):
            # its own annotation: write what changed ("" clears a field)
            values = {k: v for k, v in values.items() if v != (getattr(old, k) or "")}
        else:
            # new, or inherited: everything shown becomes this category's own
            values = {k: v for k, v in values.items() if v}
        if values:
            self.post_message(self.Saved(self.key, self.pattern, values))
        self.close()

    def action_cancel(self) -> None:
        self.close()

    @while_shown
    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()

    @while_shown
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()


class MergeScreen(Dialog):
    """Choose the category that another one belongs to. Posts Chosen."""

    DEFAULT_CSS = DIALOG_CSS.format(name="MergeScreen") + """
    MergeScreen #merge-pattern { height: auto; max-height: 3; }
    MergeScreen OptionList { height: auto; max-height: 12; border: none; padding: 0; background: $boost; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
                Binding("down", "move(1)", "Down", id="dialog_down", show=False),
                Binding("up", "move(-1)", "Up", id="dialog_up", show=False)]

    class Chosen(Message):
        """Category ``key`` is to be merged into category ``into``."""

        def __init__(self, key: str, into: str):
            super().__init__()
            self.key, self.into = key, into

    def __init__(self, row, candidates: list):
        """``row``: the category to merge; ``candidates``: rows it may be merged into."""
        super().__init__()
        self.row = row
        self.candidates = [c for c in candidates if c.key != row.key]
        self.shown: list = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Merge category into…", classes="title")
            yield Static(pattern_text(self.row.pattern, limit=300), id="merge-pattern")
            yield Input(placeholder="filter: words of the pattern, label or sites", id="merge-filter")
            yield TargetList(id="merge-targets")
            yield Static("enter merges: its failures count in the chosen category, in reports too, and on "
                         "other days with the same category. u on that category undoes it.", classes="hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#merge-filter", Input).focus()

    def _fill(self, query: str) -> None:
        self.shown = filter_rows(self.candidates, query)
        targets = self.query_one(OptionList)
        targets.clear_options()
        width = max(20, self.app.size.width - 30)   # one line per category
        targets.add_options(Option(Text.assemble((f"{r.count:<9,} ", "bold"),
                                                 pattern_text(r.pattern, limit=width),
                                                 (f"  {clean(r.label)}" if r.label else "", "italic")))
                            for r in self.shown)
        if self.shown:
            targets.highlighted = 0

    @while_shown
    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        targets = self.query_one(OptionList)
        if self.shown:
            current = targets.highlighted or 0
            targets.highlighted = max(0, min(len(self.shown) - 1, current + step))

    @while_shown
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._choose(self.query_one(OptionList).highlighted)

    @while_shown
    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.shown):
            self.post_message(self.Chosen(self.row.key, self.shown[index].key))
            self.close()

    def action_cancel(self) -> None:
        self.close()


class LoadScreen(Dialog):
    """Stream, day / range / last N days, archive, Spark: posts Submitted with the Request to load."""

    DEFAULT_CSS = DIALOG_CSS.format(name="LoadScreen") + """
    LoadScreen RadioSet { width: 100%; }
    LoadScreen #error { color: $error; }
    LoadScreen #spark-row { height: auto; margin-top: 1; }
    LoadScreen #spark-row Checkbox { margin-top: 0; width: auto; }
    LoadScreen #spark-row Input { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
                Binding("ctrl+s", "submit", "Load", id="dialog_save", priority=True)]
    MODES = (("latest", "Latest day"), ("day", "One day"), ("range", "Range"), ("last", "Last N days"))

    class Submitted(Message):
        """Load ``request``."""

        def __init__(self, request: core.Request):
            super().__init__()
            self.request = request

    def __init__(self, current: core.Request, default_master: str = "yarn", vos: list[str] | None = None):
        """``current``: the fields start from it (and what the dialog does not show, the cache use, is kept);
        ``default_master``: the Spark master offered when ``current`` has none; ``vos``: the VOs of
        the data loaded (offered as the scope, with "all")."""
        super().__init__()
        self.current, self.default_master = current, default_master
        scope = ",".join(current.vo) or ALL_VOS
        self.vo_choices = list(dict.fromkeys([ALL_VOS, *(vos or []), scope]))   # the current scope is offered too

    def compose(self) -> ComposeResult:
        today = dt.datetime.now(dt.timezone.utc).date()
        with Vertical():
            yield Label("Load errors", classes="title")
            yield Label("Stream")
            yield Choice(core.STREAMS, value=self.current.stream, id="stream")
            yield Label("VO (experiment)")
            yield Choice(self.vo_choices, value=",".join(self.current.vo) or ALL_VOS, id="vo")
            yield Label("Days")
            with RadioSet(id="mode"):
                for i, (mode, text) in enumerate(self.MODES):
                    yield RadioButton(text, value=i == 0, id=f"mode-{mode}")
            yield Label("Day, or first day of the range (YYYY-MM-DD, DD.MM.YYYY, today, yesterday, -2)")
            yield Input(value=str(today - dt.timedelta(days=1)), id="first")
            yield Label("Last day of the range")
            yield Input(value=str(today), id="last")
            yield Label("N days")
            yield Input(value="3", id="n")
            yield Label("Archive")
            yield DataInput(self.current.archive, id="archive")
            master = self.current.spark_master
            with Horizontal(id="spark-row"):
                yield Checkbox("Spark job (weeks, months), master:", value=master is not None, id="spark")
                yield DataInput(master or self.default_master, id="spark-master")
            yield Static("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Load (ctrl+s)", classes="primary", id="load")
                yield Button("Cancel (esc)", id="cancel")

    def _mode(self) -> str:
        pressed = self.query_one("#mode", RadioSet).pressed_button
        return pressed.id.removeprefix("mode-") if pressed else "latest"

    def action_submit(self) -> None:
        mode = self._mode()
        value = lambda name: self.query_one(f"#{name}", Input).value.strip()  # noqa: E731
        kept = lambda name: self.query_one(f"#{name}", DataInput).result  # noqa: E731 - from data: as it was
        try:
            if mode == "day":
                selection = core.Selection.day(value("first"))
            elif mode == "range":
                selection = core.Selection.range(value("first"), value("last"))
            elif mode == "last":
                selection = core.Selection.last_days(value("n"))
            else:
                selection = core.Selection.latest()
        except core.SelectionError as e:
            self.query_one("#error", Static).update(literal(str(e)))
            return
        archive = kept("archive")
        if not archive:
            self.query_one("#error", Static).update("give an archive: hdfs://analytix, file:///path or a path")
            return
        master = kept("spark-master") if self.query_one("#spark", Checkbox).value else None
        if master == "":
            self.query_one("#error", Static).update("give a Spark master: yarn (analytix) or local[2]")
            return
        self.post_message(self.Submitted(dataclasses.replace(
            self.current, archive=archive, selection=selection, stream=self.query_one("#stream", Select).value,
            spark_master=master, vo=self.query_one("#vo", Select).value)))
        self.close()

    def action_cancel(self) -> None:
        self.close()

    @while_shown
    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_submit() if event.button.id == "load" else self.action_cancel()

    @while_shown
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()


class ExportScreen(Dialog):
    """Markdown report to a file and/or the clipboard (OSC 52): posts Submitted."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ExportScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog_cancel"),
                Binding("ctrl+s", "save", "Save", id="dialog_save", priority=True)]

    class Submitted(Message):
        """Write the report to ``path`` and/or copy it to the clipboard."""

        def __init__(self, path: str | None, annotated_only: bool, clipboard: bool):
            super().__init__()
            self.path = path                  # None: clipboard only
            self.annotated_only, self.clipboard = annotated_only, clipboard

    def __init__(self, default_path: str):
        super().__init__()
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export the shift report (markdown)", classes="title")
            yield Label("File")
            yield DataInput(self.default_path, id="path")
            yield Checkbox("Annotated categories only", value=False, id="annotated")
            yield Static("The clipboard copy uses OSC 52: it works over ssh in terminals that allow it.",
                         classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Save file (ctrl+s)", classes="primary", id="save")
                yield Button("Copy", id="copy")
                yield Button("Cancel (esc)", id="cancel")

    def _submit(self, to_file: bool, clipboard: bool) -> None:
        path = self.query_one("#path", DataInput).result if to_file else None
        self.post_message(self.Submitted(path or None, self.query_one("#annotated", Checkbox).value, clipboard))
        self.close()

    def action_save(self) -> None:
        self._submit(True, False)

    def action_cancel(self) -> None:
        self.close()

    @while_shown
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "copy":
            self._submit(False, True)
        else:
            self.action_cancel()

    @while_shown
    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()


class HelpScreen(Dialog):
    """Every binding with its active keys."""

    DEFAULT_CSS = DIALOG_CSS.format(name="HelpScreen") + """
    HelpScreen VerticalScroll { height: auto; max-height: 100%; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help_close")]

    def __init__(self, keys: dict[str, str], keymap_name: str):
        super().__init__()
        self.keys, self.keymap_name = keys, keymap_name

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, pad_edge=False)
        table.add_column("keys", style="bold", no_wrap=True)
        table.add_column("does")
        table.add_column("id", style="dim", no_wrap=True)
        for binding_id, (_, _, description) in DESCRIPTIONS.items():
            keys = ", ".join(_display(k) for k in self.keys.get(binding_id, "").split(",") if k)
            table.add_row(literal(keys), Text(description), binding_id)
        with Vertical():
            yield Label(f"Keys — keymap: {clean(self.keymap_name)}", classes="title")
            with VerticalScroll():
                yield Static(table)
            yield Static("Remap any id in a TOML file ([bindings] id = \"keys\") and pass it with --keymap FILE, "
                         "or set keymap = in ~/.config/opint/config.toml.", classes="hint")

    def action_close(self) -> None:
        self.close()


_KEY_NAMES = {"question_mark": "?", "slash": "/", "colon": ":", "escape": "esc", "enter": "enter",
              "pagedown": "PgDn", "pageup": "PgUp"}


def _display(key: str) -> str:
    return " ".join(_KEY_NAMES.get(k, k) for k in key.split(" "))
