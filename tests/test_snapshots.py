"""SVG snapshots of the main screens at 80x24 (an ssh terminal) and 160x48.
Regenerate after a deliberate change with: ./run-tests tests/test_snapshots.py --snapshot-update"""
import pytest

import opint_core as core
from opint_tui.app import OpintApp

SIZES = [(80, 24), (160, 48)]


def app_for(sample_root, sample_analysis, tmp_path):
    (tmp_path / "store").mkdir()  # an existing, empty store: no "will be created" notice on screen
    return OpintApp(core.Request(sample_root, core.Selection.latest()), store=core.TriageStore(tmp_path / "store", user="s"),
                    analysis=sample_analysis, export_dir="/tmp")


async def wait_ready(pilot):
    for _ in range(100):
        await pilot.pause(0.05)
        if pilot.app.overview.shown:
            break
    await pilot.pause(0.1)


def after_ready(*steps):
    """run_before for snap_compare: wait for the data, then press each group of keys in turn."""
    async def run(pilot):
        await wait_ready(pilot)
        for keys in steps:
            await pilot.press(*keys)
            await pilot.pause(0.2)
    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size, run_before=wait_ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_detail(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready(["enter"]))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_annotate(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready(["a"], list("site disk full")))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready(["question_mark"]))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_merge(snap_compare, sample_root, sample_analysis, tmp_path, size):
    assert snap_compare(app_for(sample_root, sample_analysis, tmp_path), terminal_size=size,
                        run_before=after_ready(["down", "m"], list("denied")))
