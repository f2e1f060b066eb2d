"""The app driven by Pilot: filter, sort, level, drill down, annotate, load, export, keymaps, help."""


import opint_core as core
from opint_tui.app import OpintApp
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import AnnotateScreen, ExportScreen, HelpScreen, LoadScreen, MergeScreen


def make_app(sample_root, sample_analysis, tmp_path, **kw):
    store = core.TriageStore(tmp_path / "store", user="shifter")
    return OpintApp(core.Request(sample_root, core.Selection.latest()), store=store, analysis=sample_analysis,
                    export_dir=str(tmp_path), **kw)


async def ready(pilot):
    for _ in range(100):
        await pilot.pause(0.05)
        if pilot.app.analysis is not None and pilot.app.overview.shown:
            return
    raise AssertionError("the app never showed data")


async def test_overview_lists_every_category_sorted_by_count(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        shown = app.overview.shown
        assert len(shown) == len(sample_analysis.clustering.categories)
        assert [r.count for r in shown] == sorted((r.count for r in shown), reverse=True)
        assert sum(r.count for r in shown) == sample_analysis.errors.failures


async def test_filter_as_you_type_and_escape_clears(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        total = len(app.overview.shown)
        await pilot.press("slash", *"checksum")
        await pilot.pause(0.1)
        shown = app.overview.shown
        assert 0 < len(shown) < total
        assert all("checksum" in r.haystack for r in shown)
        await pilot.press("enter")  # keep the filter, back to the table
        assert app.focused is app.overview.table
        await pilot.press("escape")
        assert len(app.overview.shown) == total


async def test_sort_cycles_and_level_switches(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("s")
        assert app.overview.sort_order == "trend"
        scores = [r.trend_score for r in app.overview.shown]
        assert scores == sorted(scores, reverse=True)
        await pilot.press("s")
        assert app.overview.sort_order == "new"
        new_rows = [r.count if r.new else r.new_templates for r in app.overview.shown]
        assert new_rows == sorted(new_rows, reverse=True) and new_rows[0] > 0
        await pilot.press("t")
        assert app.overview.level == "template"
        assert len(app.overview.rows) == len(sample_analysis.clustering.templates)
        await pilot.press("t")
        assert len(app.overview.rows) == len(sample_analysis.clustering.categories)


async def test_drill_down_shows_messages_where_when(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        top = app.overview.shown[0]
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DetailScreen)
        titles = [t for t, _ in app.screen.sections]
        assert titles[:4] == ["category", "messages", "where", "when"] and "templates" in titles
        assert app.screen.row.key == top.key
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)


async def test_annotate_writes_the_store_and_shows_the_label(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        key = app.overview.shown[0].key
        await pilot.press("a")
        await pilot.pause(0.1)
        assert isinstance(app.screen, AnnotateScreen)
        await pilot.press(*"BNL disk full", "tab")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        row = next(r for r in app.overview.shown if r.key == key)
        assert row.label == "BNL disk full" and row.status == "new"
    fresh = core.TriageStore(tmp_path / "store", user="someone-else")
    assert fresh.annotations()[key].label == "BNL disk full"


async def test_export_writes_markdown_with_the_annotation(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        key = app.overview.shown[0].key
        app.store.annotate(key, pattern=app.overview.shown[0].pattern, label="exported label")
        app.refresh_triage()
        await pilot.press("e")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ExportScreen)
        target = tmp_path / "shift.md"
        app.screen.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
    text = target.read_text()
    assert text.startswith("# opint shift report") and "exported label" in text and key in text


async def test_load_dialog_loads_another_day(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("o")
        await pilot.pause(0.1)
        assert isinstance(app.screen, LoadScreen)
        dialog = app.screen
        dialog.query_one("#mode-day").value = True
        dialog.query_one("#first").value = "19.11.2026"
        dialog.query_one("#stream").value = "rucio"
        await pilot.press("ctrl+s")
        for _ in range(200):
            await pilot.pause(0.05)
            if app.analysis is not sample_analysis and not app.loading:
                break
        assert app.analysis.report.stream == "rucio"
        assert [str(d) for d in app.analysis.report.days] == ["2026-11-19"]


async def test_bad_load_shows_an_error_and_keeps_the_data(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        app.start_load(core.Request(str(tmp_path / "no-archive"), core.Selection.latest()))
        for _ in range(100):
            await pilot.pause(0.05)
            if not app.loading:
                break
        assert app.analysis is sample_analysis  # still there
        assert any("no-archive" in str(n.message) for n in app._notifications)


async def test_vim_keymap_moves_with_j_k_and_gg_G(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path, keymap="vim")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        table = app.overview.table
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == len(app.overview.shown) - 1
        await pilot.press("g", "g")
        assert table.cursor_row == 0
        await pilot.press("l")
        await pilot.pause(0.1)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("h")
        assert not isinstance(app.screen, DetailScreen)


async def test_user_keymap_file_overrides_single_keys(sample_root, sample_analysis, tmp_path):
    user = tmp_path / "keys.toml"
    user.write_text('base = "vim"\n[bindings]\nsort = "z"\n')
    app = make_app(sample_root, sample_analysis, tmp_path, keymap=str(user))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("z")
        assert app.overview.sort_order == "trend"
        await pilot.press("j")  # from the vim base
        assert app.overview.table.cursor_row == 1


async def test_help_lists_the_active_keys(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path, keymap="vim")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.keys["first"] == "g g,home"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_markup_and_escapes_in_messages_show_literally(tmp_path):
    from archive_factory import day_dir, fts_record, lines, write_part
    import datetime as dt

    root = tmp_path / "a"
    nasty = "[bold]not bold[/] \x1b[31mred\x1b[0m [link=http://x]click[/link]"
    write_part(day_dir(root, "fts", dt.date(2026, 11, 20)), lines([fts_record(nasty)] * 3))
    analysis = core.analyse(str(root), use_cache=False)
    app = OpintApp(core.Request(str(root), core.Selection.latest()), store=core.TriageStore(tmp_path / "s"),
                   analysis=analysis)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        await pilot.pause(0.2)
        svg = app.export_screenshot()
    text = screen_text(svg)
    assert "[bold]not bold[/] ␛[31mred␛[0m [link=http://x]click[/link]" in text
    assert "\x1b" not in svg


def screen_text(svg: str) -> str:
    """The characters of a screenshot, one <text> run per line, entities decoded."""
    import html
    import re

    return "\n".join(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)).replace("\xa0", " ")


async def test_manual_merge_folds_a_category_into_another(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        first, second = app.overview.shown[0], app.overview.shown[1]
        total = len(app.overview.shown)
        app.store.merge(second.key, first.key, pattern=second.pattern)
        app.refresh_triage()
        app.show_level("category")
        merged = next(r for r in app.overview.shown if r.key == first.key)
        assert merged.count == first.count + second.count
        assert len(app.overview.shown) == total - 1


async def test_merge_and_unmerge_with_the_keys(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        rows = list(app.overview.shown)
        target, child = rows[0], rows[2]
        app.overview.table.move_cursor(row=2)
        await pilot.press("m")
        await pilot.pause(0.1)
        assert isinstance(app.screen, MergeScreen)
        assert child.key not in [r.key for r in app.screen.shown]      # not into itself
        # filter down to the target by words of its pattern, then enter
        words = [w for w in target.pattern.replace("<*>", " ").split() if len(w) > 3][:3]
        await pilot.press(*" ".join(words))
        await pilot.pause(0.1)
        assert app.screen.shown[0].key == target.key
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, MergeScreen)
        shown = {r.key: r for r in app.overview.shown}
        assert child.key not in shown and shown[target.key].count == target.count + child.count
        assert app.overview.current_row().key == target.key            # the cursor follows the merge
        assert core.TriageStore(tmp_path / "store", user="other").merges() == {child.key: target.key}
        await pilot.press("enter")                                       # the detail names what was merged
        await pilot.pause(0.2)
        head = dict(app.screen.sections)["category"]
        assert f"merged   {child.key}" in head.plain
        await pilot.press("escape")
        await pilot.pause(0.1)

        await pilot.press("u")
        await pilot.pause(0.2)
        shown = {r.key: r for r in app.overview.shown}
        assert shown[child.key].count == child.count and shown[target.key].count == target.count
        assert core.TriageStore(tmp_path / "store", user="other").merges() == {}


async def test_merge_is_refused_at_template_level_and_escape_cancels(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("m")
        await pilot.pause(0.1)
        assert isinstance(app.screen, MergeScreen)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, MergeScreen)
        await pilot.press("t")                                          # templates
        await pilot.pause(0.1)
        await pilot.press("m")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, MergeScreen)
        await pilot.press("u")
        await pilot.pause(0.1)
    assert core.TriageStore(tmp_path / "store", user="other").merges() == {}
