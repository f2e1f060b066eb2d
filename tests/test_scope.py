"""Scope to an experiment (issue 12, items 3 and 7): --vo, the config's vo, the load dialog's VO
choice; scoping before clustering, the baseline scoped alike, the cache keyed on the whole day; the
scope in the header and the reports; a scope that matches nothing lists the VOs present."""
import csv
import datetime as dt
import io
import json

import pytest

import opint_core as core
from archive_factory import day_dir, fts_record, lines, write_part
from opint_core.load.scope import ScopeError, parse_vos, vos_present
from opint_core.load import LocalBackend
from opint_core.pipeline import scope_loaded
from opint_tui.app import OpintApp
from opint_tui.cli import main
from opint_tui.screens.dialogs import LoadScreen
from waits import Toasts, wait_for_screen, wait_for_top, wait_until

DAY = dt.date(2025, 11, 24)
DAY_MS = 86_400_000
NOON = 1764000000000   # 2025-11-24 16:00 UTC, the factory's default time

ATLAS_MSG = "TRANSFER  Operation timed out after 300 seconds"
CMS_MSG = "DESTINATION [13] HTTP 403 : Permission refused"
ANON_MSG = "SOURCE [2] No such file or directory"


def _day(root, day, records):
    write_part(day_dir(root, "fts", day), lines(records))


@pytest.fixture
def archive(tmp_path):
    """Two days: the day before (baseline) and DAY. Atlas, CMS written three ways, and no VO."""
    root = tmp_path / "archive"
    _day(root, DAY - dt.timedelta(days=1),
         [fts_record(ATLAS_MSG, vo="atlas", when_ms=NOON - DAY_MS) for _ in range(5)]
         + [fts_record(CMS_MSG, vo="cms", when_ms=NOON - DAY_MS)])
    _day(root, DAY, [fts_record(ATLAS_MSG, vo="atlas") for _ in range(3)]
         + [fts_record(CMS_MSG, vo="CMS"), fts_record(CMS_MSG, vo="cms"), fts_record(CMS_MSG, vo=" cms/production")]
         + [fts_record(ANON_MSG, vo=""), fts_record("plain flag 1", flag=1, vo="cms")])
    return str(root)


def _analyse(archive, *vos, **options):
    return core.run(core.Request(archive, core.Selection.day(DAY), vo=vos), **options)


def _patterns(analysis):
    return sorted(c.pattern for c in analysis.clustering.categories)


# --- the core ---------------------------------------------------------------------------------------------

def test_parse_vos_lowers_splits_dedupes_and_all_means_every_vo():
    assert parse_vos(["CMS", "atlas, cms", " "]) == ("cms", "atlas")
    assert parse_vos("atlas,all") == ()
    assert parse_vos(None) == ()


def test_scoping_happens_before_clustering(archive):
    whole = _analyse(archive)
    cms = _analyse(archive, "cms")
    assert whole.errors.failures == 7
    assert cms.errors.failures == 3       # CMS, cms and cms/production: case and sub-VO do not matter
    (category,) = cms.clustering.categories
    assert category.count == 3 and cms.clustering.distinct_messages[0] == CMS_MSG
    assert {c.key for c in cms.clustering.categories} < {c.key for c in whole.clustering.categories}
    assert cms.vo == ("cms",) and whole.vo == ()
    assert cms.vos_present == whole.vos_present == [("atlas", 3), ("cms", 3), ("(unknown)", 1)]


def test_records_without_a_vo_are_unknown_and_selectable(archive):
    unknown = _analyse(archive, "(unknown)")
    assert unknown.errors.failures == 1
    assert unknown.clustering.categories[0].count == 1
    both = _analyse(archive, "atlas", "(UNKNOWN)")
    assert both.errors.failures == 4


def test_a_scope_matching_nothing_lists_the_vos_present(archive):
    with pytest.raises(ScopeError) as info:
        _analyse(archive, "lhcb")
    assert info.value.message == ("the VO scope lhcb matches no failure of fts 2025-11-24: the VOs present are "
                                  "atlas (3 failures), cms (3 failures), (unknown) (1 failure)")
    assert "--vo" in info.value.remedy and '"all"' in info.value.remedy


def test_the_baseline_days_are_scoped_the_same_way(archive):
    loaded = LocalBackend().load(core.Request(archive, core.Selection.day(DAY)), with_baseline=True)
    assert loaded.baseline.failures == 6
    # the traffic (every attempt) is there for the baseline too
    assert sum(loaded.baseline.traffic.column("attempts").to_pylist()) == 6
    scoped = scope_loaded(loaded, ("cms",))
    assert scoped.baseline.failures == 1 and vos_present(scoped.baseline.table) == [("cms", 1)]
    # scoped with the failures
    assert set(scoped.baseline.traffic.column("vo").to_pylist()) == {"cms"}
    assert sum(scoped.baseline.traffic.column("failures").to_pylist()) == 1
    # the selection's traffic: the CMS attempts, the success among them ("plain flag 1") included
    assert sum(scoped.errors.traffic.column("attempts").to_pylist()) == 4
    assert sum(scoped.errors.traffic.column("failures").to_pylist()) == scoped.errors.failures == 3
    assert _analyse(archive, "cms").trends is not None


def test_the_day_cache_holds_the_whole_day_so_switching_the_vo_reads_no_file(archive):
    first = _analyse(archive, "cms")
    assert not first.report.cached_days
    atlas = _analyse(archive, "atlas")
    assert atlas.report.cached_days == [DAY]      # from the cache that the CMS load wrote
    assert atlas.errors.failures == 3


def test_a_vo_scope_with_the_spark_job_is_refused_before_anything_runs(archive):
    with pytest.raises(ScopeError, match="cannot be combined with the Spark job"):
        core.run(core.Request(archive, core.Selection.day(DAY), spark_master="local[2]", vo=("cms",)))


# --- the reports ----------------------------------------------------------------------------------------

def test_the_reports_carry_the_scope(archive):
    cms = _analyse(archive, "cms")
    report = core.build_report(cms)
    data = json.loads(core.render_report(report, "json"))
    assert data["scope"] == {"vo": ["cms"]} and data["failures"] == 3
    assert "Scope: VO cms." in core.render_report(report, "md")
    rows = list(csv.DictReader(io.StringIO(core.render_report(report, "csv"))))
    assert [r["scope_vo"] for r in rows] == ["cms"]
    whole = core.build_report(_analyse(archive))
    assert json.loads(core.render_report(whole, "json"))["scope"] == {"vo": []}
    assert "Scope:" not in core.render_report(whole, "md")   # every VO: the report reads as before


# --- the config -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, scope", [('vo = "cms"', ("cms",)), ('vo = "ATLAS, cms"', ("atlas", "cms")),
                                         ('vo = ["cms", "lhcb"]', ("cms", "lhcb")), ('vo = "all"', ())])
def test_the_config_vo_is_a_name_a_comma_list_or_a_toml_list(tmp_path, line, scope):
    path = tmp_path / "config.toml"
    path.write_text(line + "\n")
    assert core.load_config(path).vo == scope


# a bad vo setting: the cases are in the hostile corpus (tests/hostile/configs.py, "vo-*")


# --- the command line ------------------------------------------------------------------------------------

def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_load_with_repeated_vo(archive, capsys):
    code, out, _ = _cli(capsys, "load", "--archive", archive, "--date", str(DAY), "--vo", "cms", "--vo", "Atlas")
    assert code == 0
    assert "scope    VO cms, atlas" in out and "failures 6 " in out


def test_cli_vo_matching_nothing_exits_2_listing_the_vos(archive, capsys):
    code, _, err = _cli(capsys, "report", "--archive", archive, "--date", str(DAY), "--vo", "lhcb")
    assert code == 2
    assert "opint: error: the VO scope lhcb matches no failure" in err
    assert "atlas (3 failures), cms (3 failures), (unknown) (1 failure)" in err
    assert "what to do: scope with --vo" in err


def test_cli_takes_the_config_vo_and_vo_all_overrides_it(archive, capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('vo = "cms"\n')
    code, out, _ = _cli(capsys, "report", "--archive", archive, "--date", str(DAY), "--config", str(config),
                        "--format", "json", "--store", str(tmp_path / "store"))
    assert code == 0 and json.loads(out)["scope"] == {"vo": ["cms"]} and json.loads(out)["failures"] == 3
    code, out, _ = _cli(capsys, "report", "--archive", archive, "--date", str(DAY), "--config", str(config),
                        "--format", "json", "--store", str(tmp_path / "store"), "--vo", "all")
    assert code == 0 and json.loads(out)["scope"] == {"vo": []} and json.loads(out)["failures"] == 7


def test_cli_refuses_an_empty_vo(archive, capsys):
    with pytest.raises(SystemExit) as info:
        main(["load", "--archive", archive, "--vo", " , "])
    assert info.value.code == 2 and "names no VO: give a VO such as cms, or all" in capsys.readouterr().err


def test_cli_shows_a_hostile_vo_only_made_visible(tmp_path, capsys):
    root = tmp_path / "archive"
    _day(root, DAY, [fts_record(ATLAS_MSG, vo="\x1b]0;owned\x07atlas"), fts_record(ATLAS_MSG, vo="\x9b31mcms")])
    code, _, err = _cli(capsys, "load", "--archive", str(root), "--date", str(DAY), "--vo", "lhcb")
    assert code == 2 and "\x1b" not in err and "\x9b" not in err and "\x07" not in err
    assert "␛]0;owned" in err


# --- the app ----------------------------------------------------------------------------------------------

async def test_the_load_dialog_offers_the_vos_and_reloads_scoped(archive, tmp_path):
    app = OpintApp(core.Request(archive, core.Selection.day(DAY)), export_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown, "the day to load")
        whole = app.analysis
        assert "VO " not in str(app.overview.query_one("#summary").render())
        toasts = Toasts(app)
        await pilot.press("o")
        dialog = await wait_for_screen(pilot, LoadScreen, "o to open the load dialog")
        assert dialog.vo_choices == ["all", "atlas", "cms", "(unknown)"]
        dialog.query_one("#mode-day").value = True
        dialog.query_one("#first").value = str(DAY)
        dialog.query_one("#vo").value = "cms"
        await pilot.press("ctrl+s")
        await wait_for_top(pilot, app.overview, "ctrl+s to close the load dialog")
        await wait_until(pilot, lambda: app.analysis is not whole,
                         lambda: f"the scoped day to be loaded (toasts: {toasts.messages!r})")
        assert app.analysis.vo == ("cms",) and app.analysis.errors.failures == 3
        assert app.analysis.report.cached_days == [DAY]   # the whole day, cached by the first load
        await wait_until(pilot, lambda: "VO cms" in str(app.overview.query_one("#summary").render()),
                         "the header to show the scope")
        await pilot.press("o")
        dialog = await wait_for_screen(pilot, LoadScreen, "o to open the load dialog again")
        assert dialog.query_one("#vo").value == "cms"   # the current scope is preselected
        assert dialog.vo_choices == ["all", "atlas", "cms", "(unknown)"]   # still every VO of the day


async def test_a_scope_matching_nothing_is_a_toast_and_keeps_the_data(archive, tmp_path):
    app = OpintApp(core.Request(archive, core.Selection.day(DAY)), export_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown, "the day to load")
        whole = app.analysis
        toasts = Toasts(app)
        app.start_load(core.Request(archive, core.Selection.day(DAY), vo="lhcb"))
        await toasts.wait_for(pilot, "the VOs present are atlas (3 failures)", "the empty scope to be reported")
        assert not app.loading and app.analysis is whole
