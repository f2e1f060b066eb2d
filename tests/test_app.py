"""The app driven by Pilot: filter, sort, level, drill down, annotate, load, export, keymaps, help.

No fixed pauses: after each key the test waits (tests/waits.py) for the effect the next assertion needs,
and a check that something did *not* happen waits first for the event that makes it meaningful (the
dialog closed, the refusal was shown, the store was written)."""


import dataclasses
import datetime as dt

import opint_core as core
from opint_tui.app import OpintApp
from opint_tui.overview_model import filter_rows
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import AnnotateScreen, ExportScreen, HelpScreen, LoadScreen, MergeScreen
from waits import Toasts, wait_for_focus, wait_for_screen, wait_for_top, wait_until


def make_app(sample_root, sample_analysis, tmp_path, **kw):
    store = core.TriageStore(tmp_path / "store", user="shifter")
    return OpintApp(core.Request(sample_root, core.Selection.latest()), store=store, analysis=sample_analysis,
                    export_dir=str(tmp_path), **kw)


async def ready(pilot):
    app = pilot.app
    await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown,
                     "the overview to show the analysis")


def shown_row(app, key):
    return next(r for r in app.overview.shown if r.key == key)


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
        await wait_until(pilot, lambda: app.overview.filter_text == "checksum", "the typed filter to apply")
        shown = app.overview.shown
        assert 0 < len(shown) < total
        assert all("checksum" in r.haystack for r in shown)
        await pilot.press("enter")  # keep the filter, back to the table
        await wait_until(pilot, lambda: app.focused is app.overview.table, "enter to give the focus back to the list")
        assert app.overview.filter_text == "checksum"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.overview.filter_text == "", "escape to clear the filter")
        assert len(app.overview.shown) == total


async def test_filter_finds_a_site_by_any_of_its_names(sample_root, sample_analysis, tmp_path):
    """GridKa is FZK-LCG2 to WLCG and ATLAS and T1_DE_KIT to CMS: filtering by one name finds the others."""
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        kit = {r.key for r in app.overview.rows if "FZK-LCG2" in r.sites or "T1_DE_KIT" in r.sites}
        assert kit and any("FZK-LCG2" in r.sites for r in app.overview.rows)
        for query in ("t1_de_kit", "gridka"):
            await pilot.press("slash", *query)
            await wait_until(pilot, lambda: app.overview.filter_text == query, "the typed filter to apply")
            assert kit <= {r.key for r in app.overview.shown}, query
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.overview.filter_text == "", "escape to clear the filter")
        # the names come from the site table: without them the WLCG-named rows are not found by the CMS name
        bare = [dataclasses.replace(r, site_names="") for r in app.overview.rows]
        assert not {r.key for r in bare if "FZK-LCG2" in r.sites} <= {r.key for r in filter_rows(bare, "t1_de_kit")}


async def test_sort_cycles_and_level_switches(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overview.sort_order == "trend", "s to sort by trend")
        # new first, then the rising ones by their factor, then the rest by score (the core's "rise" order)
        shown = app.overview.shown
        ranks = [0 if r.new else 1 if r.rising else 2 for r in shown]
        assert ranks == sorted(ranks)
        ratios = [r.ratio for r in shown if r.rising and not r.new]
        assert ratios and ratios == sorted(ratios, reverse=True)
        scores = [r.trend_score for r in shown if not r.new and not r.rising]
        assert scores == sorted(scores, reverse=True)
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overview.sort_order == "new", "a second s to sort by new")
        new_rows = [r.count if r.new else r.new_templates for r in app.overview.shown]
        assert new_rows == sorted(new_rows, reverse=True) and new_rows[0] > 0
        await pilot.press("t")
        await wait_until(pilot, lambda: app.overview.level == "template", "t to show templates")
        assert len(app.overview.rows) == len(sample_analysis.clustering.templates)
        await pilot.press("t")
        await wait_until(pilot, lambda: app.overview.level == "category", "t again to show categories")
        assert len(app.overview.rows) == len(sample_analysis.clustering.categories)


async def test_drill_down_shows_messages_where_when(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        top = app.overview.shown[0]
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        titles = [t for t, _ in detail.sections]
        assert titles[:4] == ["category", "messages", "where", "when"] and "templates" in titles
        assert detail.row.key == top.key
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to go back to the overview")
        assert detail not in app.screen_stack


async def test_annotate_writes_the_store_and_shows_the_label(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        key = app.overview.shown[0].key
        assert shown_row(app, key).label != "BNL disk full"
        await pilot.press("a")
        dialog = await wait_for_screen(pilot, AnnotateScreen, "a to open the annotate dialog")
        await wait_for_focus(pilot, "#label", "the label field to have the focus")
        await pilot.press(*"BNL disk full", "tab")
        await wait_until(pilot, lambda: dialog.query_one("#label").value == "BNL disk full",
                         "the typed label in the label field")
        await pilot.press("ctrl+s")
        await wait_for_top(pilot, app.overview, "ctrl+s to close the annotate dialog")
        await wait_until(pilot, lambda: shown_row(app, key).label == "BNL disk full",
                         "the overview to show the saved label")
        assert shown_row(app, key).status == "new"
    fresh = core.TriageStore(tmp_path / "store", user="someone-else")
    assert fresh.annotations()[key].label == "BNL disk full"


async def test_export_writes_markdown_with_the_annotation(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        key = app.overview.shown[0].key
        app.store.annotate(key, pattern=app.overview.shown[0].pattern, label="exported label")
        app.refresh_triage()
        toasts = Toasts(app)
        await pilot.press("e")
        dialog = await wait_for_screen(pilot, ExportScreen, "e to open the export dialog")
        target = tmp_path / "shift.md"
        dialog.query_one("#path").value = str(target)
        await pilot.press("ctrl+s")
        await wait_for_top(pilot, app.overview, "ctrl+s to close the export dialog")
        await toasts.wait_for(pilot, f"wrote {target}", "the report to be written")
    text = target.read_text()
    assert text.startswith("# opint shift report") and "exported label" in text and key in text


async def test_export_offers_the_summary_layout(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        toasts = Toasts(app)
        await pilot.press("e")
        dialog = await wait_for_screen(pilot, ExportScreen, "e to open the export dialog")
        target = tmp_path / "summary.md"
        dialog.query_one("#path").value = str(target)
        dialog.query_one("#layout").value = "summary"
        await pilot.press("ctrl+s")
        await toasts.wait_for(pilot, f"wrote {target}", "the summary to be written")
    text = target.read_text()
    assert text == core.render_summary(core.build_report(sample_analysis, app.triage.inherited), "md")
    assert text.startswith("## opint shift summary") and len(text) <= 4000


async def test_load_dialog_loads_another_day(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        toasts = Toasts(app)
        await pilot.press("o")
        dialog = await wait_for_screen(pilot, LoadScreen, "o to open the load dialog")
        dialog.query_one("#mode-day").value = True
        days_ago = (core.today_utc() - dt.date(2026, 11, 19)).days
        dialog.query_one("#first").value = f"-{days_ago}"                # 2026-11-19 as "N days ago"
        dialog.query_one("#stream").value = "rucio"
        await pilot.press("ctrl+s")
        await wait_for_top(pilot, app.overview, "ctrl+s to close the load dialog")
        await wait_until(pilot, lambda: app.analysis is not sample_analysis,
                         lambda: f"the chosen day to be loaded (toasts: {toasts.messages!r})")
        assert not app.loading
        assert app.analysis.report.stream == "rucio"
        assert [str(d) for d in app.analysis.report.days] == ["2026-11-19"]


async def test_bad_load_shows_an_error_and_keeps_the_data(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        toasts = Toasts(app)
        app.start_load(core.Request(str(tmp_path / "no-archive"), core.Selection.latest()))
        await toasts.wait_for(pilot, "no-archive", "the failed load to be reported")
        assert not app.loading
        assert app.analysis is sample_analysis  # still there


async def test_vim_keymap_moves_with_j_k_and_gg_G(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path, keymap="vim")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        table = app.overview.table
        last = len(app.overview.shown) - 1
        await pilot.press("j", "j")
        await wait_until(pilot, lambda: table.cursor_row == 2, "j j to move the cursor down two rows")
        await pilot.press("k")
        await wait_until(pilot, lambda: table.cursor_row == 1, "k to move the cursor up a row")
        await pilot.press("G")
        await wait_until(pilot, lambda: table.cursor_row == last, "G to move the cursor to the last row")
        await pilot.press("g", "g")
        await wait_until(pilot, lambda: table.cursor_row == 0, "g g to move the cursor to the first row")
        await pilot.press("l")
        await wait_for_screen(pilot, DetailScreen, "l to open the detail")
        await pilot.press("h")
        await wait_for_top(pilot, app.overview, "h to go back to the overview")


async def test_user_keymap_file_overrides_single_keys(sample_root, sample_analysis, tmp_path):
    user = tmp_path / "keys.toml"
    user.write_text('base = "vim"\n[bindings]\nsort = "z"\n')
    app = make_app(sample_root, sample_analysis, tmp_path, keymap=str(user))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("z")
        await wait_until(pilot, lambda: app.overview.sort_order == "trend", "z (remapped) to sort")
        row = app.overview.table.cursor_row   # the sort keeps the cursor on its category
        await pilot.press("j")  # from the vim base
        await wait_until(pilot, lambda: app.overview.table.cursor_row == row + 1, "j (vim base) to move the cursor")


async def test_help_lists_the_active_keys(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path, keymap="vim")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        help_screen = await wait_for_screen(pilot, HelpScreen, "? to open the help")
        assert help_screen.keys["first"] == "g g,home"
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to close the help")


async def test_markup_and_escapes_in_messages_show_literally(tmp_path):
    from archive_factory import day_dir, fts_record, lines, write_part
    import datetime as dt

    root = tmp_path / "a"
    nasty = "[bold]not bold[/] \x1b[31mred\x1b[0m [link=http://x]click[/link]"
    write_part(day_dir(root, "fts", dt.date(2026, 11, 20)), lines([fts_record(nasty) for _ in range(3)]))
    analysis = core.analyse(str(root), use_cache=False)
    app = OpintApp(core.Request(str(root), core.Selection.latest()), store=core.TriageStore(tmp_path / "s"),
                   analysis=analysis)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        messages = detail.query_one(".section-messages")
        await wait_until(pilot, lambda: messages.region.height > 0, "the detail's messages to be laid out")
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
        dialog = await wait_for_screen(pilot, MergeScreen, "m to open the merge dialog")
        assert dialog.shown and child.key not in [r.key for r in dialog.shown]      # not into itself
        await wait_for_focus(pilot, "#merge-filter", "the merge filter to have the focus")
        # filter down to the target by words of its pattern, then enter
        text = " ".join([w for w in target.pattern.replace("<*>", " ").split() if len(w) > 3][:3])
        await pilot.press(*text)
        await wait_until(pilot, lambda: dialog.query_one("#merge-filter").value == text
                         and dialog.shown == filter_rows(dialog.candidates, text),
                         "the merge list to be filtered by the typed words")
        assert dialog.shown[0].key == target.key
        await pilot.press("enter")
        await wait_for_top(pilot, app.overview, "enter to close the merge dialog")
        await wait_until(pilot, lambda: shown_row(app, target.key).count == target.count + child.count,
                         "the overview to count the merged category in its target")
        assert child.key not in {r.key for r in app.overview.shown}
        assert app.overview.current_row().key == target.key            # the cursor follows the merge
        assert core.TriageStore(tmp_path / "store", user="other").merges() == {child.key: target.key}
        await pilot.press("enter")                                       # the detail names what was merged
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the merged category's detail")
        head = dict(detail.sections)["category"]
        assert f"merged   {child.key}" in head.plain
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to go back to the overview")

        await pilot.press("u")
        await wait_until(pilot, lambda: any(r.key == child.key for r in app.overview.shown),
                         "u to give the merged category its own row back")
        shown = {r.key: r for r in app.overview.shown}
        assert shown[child.key].count == child.count and shown[target.key].count == target.count
        assert core.TriageStore(tmp_path / "store", user="other").merges() == {}


async def test_merge_is_refused_at_template_level_and_escape_cancels(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        toasts = Toasts(app)
        await pilot.press("m")
        dialog = await wait_for_screen(pilot, MergeScreen, "m to open the merge dialog")
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to close the merge dialog")
        assert dialog not in app.screen_stack
        await pilot.press("t")                                          # templates
        await wait_until(pilot, lambda: app.overview.level == "template", "t to show templates")
        refused = "merging works on categories"
        await pilot.press("m")
        await toasts.wait_for(pilot, refused, "m on a template to be refused")
        await pilot.pause()                                             # flush: a dialog pushed anyway would be on top
        assert app.screen is app.overview
        await pilot.press("u")
        await toasts.wait_for(pilot, refused, "u on a template to be refused", times=2)
    assert core.TriageStore(tmp_path / "store", user="other").merges() == {}


async def test_q_goes_back_from_every_screen_above_the_overview_and_quits_from_it(sample_root, sample_analysis,
                                                                                  tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        assert " ".join(screen_text(app.export_screenshot()).split()).count("esc Back") == 1   # in the footer
        await pilot.press("q")
        await wait_for_top(pilot, app.overview, "q to go back to the overview")
        await pilot.press("w", "enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 4, "w enter: the sites, then a site's categories")
        await pilot.press("q")
        await wait_for_top(pilot, app.site_list, "q to go back to the sites")
        await pilot.press("q")
        await wait_for_top(pilot, app.overview, "q to go back to the overview")
        assert app.is_running
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, "q on the overview to quit")


async def test_a_cancelled_load_is_an_information_toast_and_keeps_the_data(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        severities = []
        notify = app.notify
        app.notify = lambda message, *a, **kw: (severities.append((str(message), kw.get("severity"))),
                                                notify(message, *a, **kw))
        app.start_load(core.Request(sample_root, core.Selection.latest(), use_cache=False))
        app.action_cancel_load()                      # even before the worker's first step
        assert severities == [("load cancelled: the data on screen is unchanged", "information")]
        assert app.overview.progress == ""
        await wait_until(pilot, lambda: not app.loading, "the cancelled worker to end")
        await pilot.pause()
        assert app.analysis is sample_analysis and len(severities) == 1     # said once, not again as an error
