"""SVG snapshots of the main screens at 80x24 (an ssh terminal) and 160x48.
Regenerate after a deliberate change with: ./run-tests tests/test_snapshots.py --snapshot-update"""
import pytest
from textual.widgets import Input

import opint_core as core
from opint_tui.app import OpintApp
from opint_tui.overview_model import filter_rows
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import AnnotateScreen, HelpScreen, MergeScreen
from opint_tui.screens.incidents import IncidentsScreen
from opint_tui.screens.ticket import TicketScreen
from waits import wait_until

SIZES = [(80, 24), (160, 48)]


def app_for(sample_root, sample_analysis, tmp_path):
    (tmp_path / "store").mkdir()  # an existing, empty store: no "will be created" notice on screen
    return OpintApp(core.Request(sample_root, core.Selection.latest()), store=core.TriageStore(tmp_path / "store", user="s"),
                    analysis=sample_analysis, export_dir="/tmp")


async def wait_ready(pilot):
    """Until the overview shows the data and has drawn it once; fails (naming what) if it never does."""
    app = pilot.app
    await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown and app.screen is app.overview
                     and app.first_data_frame is not None and app.focused is app.overview.table,
                     "the overview to show and draw the analysis, with the focus on the list")


# The effects a step waits for before the next step (or the screenshot): (check(app), what it is).
def shown(screen_class, focus: str | None = None):
    """The screen is on top and mounted, and (for a dialog one types into) ``focus`` has the focus."""
    def check(app):
        return (isinstance(app.screen, screen_class) and app.screen.is_mounted
                and (focus is None or app.focused is app.screen.query_one(focus)))
    return check, f"the {screen_class.__name__} to be shown" + (f" with the focus on {focus}" if focus else "")


def typed(field: str, text: str):
    """Every key reached ``field`` of the top screen."""
    return lambda app: app.screen.query_one(field).value == text, f"{text!r} in {field}"


def merge_filtered(text: str):
    """The merge dialog's filter holds ``text`` and its list was refilled for it."""
    def check(app):
        dialog = app.screen
        return dialog.query_one("#merge-filter").value == text and dialog.shown == filter_rows(dialog.candidates, text)
    return check, f"the merge list filtered by {text!r}"


def incident_cursor(row: int):
    """The incidents list's cursor is on ``row`` and the line under the list says that incident."""
    def check(app):
        screen = app.incident_list
        return (screen.table.cursor_row == row
                and screen.incidents[row].key in screen.query_one("#incidents-cursor").render().plain)
    return check, f"the incidents cursor on row {row}"


def after_ready(*steps):
    """run_before for snap_compare: wait for the data, then for each (keys, (check, what)) step press the keys
    and wait until check(app) holds: the screen or dialog they open is shown, the text typed is in the field."""
    async def run(pilot):
        await wait_ready(pilot)
        for keys, (check, what) in steps:
            await pilot.press(*keys)
            await wait_until(pilot, lambda: check(pilot.app), f"{what} (after pressing {' '.join(keys)})")
        steady_cursor(pilot.app)
    return run


def steady_cursor(app):
    """A focused input's cursor blinks every 0.5 s after the last key: keep it shown, as it is right after a
    key, so that a machine slow to take the picture takes the same one."""
    if isinstance(app.focused, Input):
        app.focused.cursor_blink = False


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size, run_before=wait_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready((["enter"], shown(DetailScreen))))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_annotate(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready((["a"], shown(AnnotateScreen, focus="#label")),
                                               (list("site disk full"), typed("#label", "site disk full"))))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready((["question_mark"], shown(HelpScreen))))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_merge(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready((["down", "m"], shown(MergeScreen, focus="#merge-filter")),
                                               (list("denied"), merge_filtered("denied"))))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_incidents(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready((["i"], shown(IncidentsScreen)), (["down"], incident_cursor(1))))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ticket(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready((["i"], shown(IncidentsScreen)), (["T"], shown(TicketScreen))))
