"""The app's sites view (issue 14 point 1): one row per site with its figures, the sort, a site's categories
counted at the site, the category's detail filtered to the site, escape back with the cursors kept, the key in
the help, the palette and the keymap, a hostile site name shown escaped. Driven by Pilot on the real app over
the sample archive; the figures expected are counted with pandas from the ErrorTable and its traffic."""
import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from textual.command import CommandPalette
from textual.widgets import OptionList

import opint_core as core
from opint_core.insight.rates import is_attempt
from opint_core.load.schema import UNKNOWN
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import HelpScreen
from opint_tui.screens.sites import SiteCategoriesScreen, SitesScreen
from test_app_incidents import make_app
from waits import wait_for_screen, wait_for_top, wait_until


def screen_text(svg: str) -> str:
    """The screen of a screenshot, row by row, each text run at its column (the spaces between runs of
    different styles are drawn as backgrounds, not text: put back from the runs' x)."""
    import html
    import re

    rows: dict[float, list] = {}
    for x, y, run in re.findall(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        rows.setdefault(float(y), []).append((round(float(x) / 12.2), html.unescape(run).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for column, run in sorted(rows[y]):
            line = line.ljust(column) + run.rstrip("\n")
        lines.append(line)
    return "\n".join(lines)


def failures_frame(analysis) -> pd.DataFrame:
    table = analysis.errors.table
    return pd.DataFrame({
        "group": np.asarray(analysis.clustering.category_of),
        "src": pc.fill_null(table.column("src_site"), UNKNOWN).to_pylist(),
        "dst": pc.fill_null(table.column("dst_site"), UNKNOWN).to_pylist(),
        "message": table.column("message").to_pylist(),
    })


def attempts_per_site(analysis) -> dict[str, tuple[int, int]]:
    """(attempts out, attempts in) per site, summed from the traffic rows that are attempts."""
    traffic = analysis.errors.traffic
    traffic = traffic.filter(is_attempt(traffic))
    frame = pd.DataFrame({"src": pc.fill_null(traffic.column("src_site"), UNKNOWN).to_pylist(),
                          "dst": pc.fill_null(traffic.column("dst_site"), UNKNOWN).to_pylist(),
                          "attempts": traffic.column("attempts").to_pylist()})
    out, into = frame.groupby("src").attempts.sum(), frame.groupby("dst").attempts.sum()
    return {s: (int(out.get(s, 0)), int(into.get(s, 0))) for s in set(out.index) | set(into.index)}


async def overview_ready(pilot):
    app = pilot.app
    await wait_until(pilot, lambda: app.analysis is not None and app.overview.shown and app.screen is app.overview
                     and app.focused is app.overview.table, "the overview to show the analysis")


async def sites_shown(pilot) -> SitesScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen is app.site_list and app.site_list.table.row_count
                     and app.focused is app.site_list.table, "the sites list to show the sites")
    return app.site_list


async def test_w_lists_every_site_with_its_failures_attempts_and_categories(sample_root, sample_analysis, tmp_path):
    frame = failures_frame(sample_analysis)
    attempts = attempts_per_site(sample_analysis)
    out, into = frame.groupby("src").size(), frame.groupby("dst").size()
    sites = set(frame.src) | set(frame.dst) | set(attempts)
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(160, 60)) as pilot:
        await overview_ready(pilot)
        await pilot.press("w")
        screen = await sites_shown(pilot)
        assert {s.site for s in screen.sites} == sites and len(screen.sites) == len(sites)
        head = screen.query_one(".list-head").render().plain
        assert f"{len(sites)} sites" in head and "sorted by rate" in head
        texts = [screen_text(app.export_screenshot())]
        await pilot.press("end")
        await wait_until(pilot, lambda: screen.table.cursor_row == len(sites) - 1, "end to move to the last site")
        texts.append(screen_text(app.export_screenshot()))
        lines = [line for text in texts for line in text.splitlines()]
        for site in sites:
            row = next(line for line in lines if line.startswith(f" {site} "))
            fo, fi = int(out.get(site, 0)), int(into.get(site, 0))
            ao, ai = attempts.get(site, (0, 0))
            assert f"{fo:,}/{ao:,}" in row and f"{fi:,}/{ai:,}" in row, row
            here = frame[(frame.src == site) | (frame.dst == site)]
            assert f" {here.group.nunique()} " in row
            if here.shape[0]:
                top = here.groupby("group").size()
                assert f" {top.max()} " in row                                     # the worst category's count
        await pilot.press("w")                                               # the same key closes it
        await wait_for_top(pilot, app.overview, "w to go back to the overview")


async def test_s_sorts_the_sites_by_rate_failures_and_incidents_keeping_the_cursor(
        sample_root, sample_analysis, tmp_path):
    frame = failures_frame(sample_analysis)
    attempts = attempts_per_site(sample_analysis)
    failures = (frame.groupby("src").size().add(frame.groupby("dst").size(), fill_value=0)).to_dict()

    def worse_rate(site):
        ao, ai = attempts.get(site, (0, 0))
        fo, fi = int((frame.src == site).sum()), int((frame.dst == site).sum())
        return max([f / a for f, a in ((fo, ao), (fi, ai)) if a] or [-1])

    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot)
        await pilot.press("w")
        screen = await sites_shown(pilot)
        rates = [worse_rate(s.site) for s in screen.sites]
        assert rates == sorted(rates, reverse=True)
        await pilot.press("down", "down")
        await wait_until(pilot, lambda: screen.table.cursor_row == 2, "down twice")
        kept = screen.current().site
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.order == "failures", "s to sort by failures")
        counts = [failures.get(s.site, 0) for s in screen.sites]
        assert counts == sorted(counts, reverse=True)
        assert screen.current().site == kept                                   # the cursor stays on its site
        assert "sorted by failures" in screen.query_one(".list-head").render().plain
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.order == "incidents", "s to sort by incidents")
        per_site = [sum(s.site in (i.site, i.other_site) for i in sample_analysis.incidents) for s in screen.sites]
        assert per_site == sorted(per_site, reverse=True) and per_site[0] > 0
        assert screen.current().site == kept
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.order == "rate", "s to sort by rate again")


async def test_enter_shows_the_sites_categories_then_the_category_at_the_site_and_escape_keeps_cursors(
        sample_root, sample_analysis, tmp_path):
    frame = failures_frame(sample_analysis)
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot)
        await pilot.press("w")
        screen = await sites_shown(pilot)
        await pilot.press("down")
        await wait_until(pilot, lambda: screen.table.cursor_row == 1, "down to the second site")
        site = screen.current().site
        here = frame[(frame.src == site) | (frame.dst == site)]
        at_site = here.groupby("group").size().sort_values(ascending=False, kind="stable")
        as_source = frame[frame.src == site].groupby("group").size()
        as_destination = frame[frame.dst == site].groupby("group").size()
        await pilot.press("enter")
        categories = await wait_for_screen(pilot, SiteCategoriesScreen, "enter to open the site's categories")
        await wait_until(pilot, lambda: categories.table.row_count, "the site's categories to be listed")
        listed = categories.categories
        assert {c.group for c in listed} == set(at_site.index)
        assert [c.at_site for c in listed] == list(at_site)
        for c in listed:
            assert (c.as_source, c.as_destination) == (int(as_source.get(c.group, 0)),
                                                       int(as_destination.get(c.group, 0)))
        assert site in categories.query_one(".list-head").render().plain
        # a category that fails elsewhere too: its detail must be the site's share only
        n = next(i for i, c in enumerate(listed) if c.at_site < int((frame.group == c.group).sum()))
        category = listed[n]
        await pilot.press(*["down"] * n)
        await wait_until(pilot, lambda: categories.table.cursor_row == n, f"down to category {n}")
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the category at the site")
        everywhere = int((frame.group == category.group).sum())
        assert detail.row.index == category.group and detail.row.count == category.at_site < everywhere
        titles = [t for t, _ in detail.sections]
        assert titles[:3] == ["site", "category", "messages"]
        head = dict(detail.sections)["site"].plain
        assert f"{category.at_site:,} failures: {category.as_source:,} as the source" in head
        assert f"the category's {category.at_site:,} failures at {site}, of its {everywhere:,} at every site" in head
        assert f"count {category.at_site:,}" in dict(detail.sections)["category"].plain
        messages_here = set(here[here.group == category.group].message)
        assert {m for _, m in detail.messages} <= messages_here
        await pilot.press("escape")
        await wait_for_top(pilot, categories, "escape back to the site's categories")
        assert categories.table.cursor_row == n
        await pilot.press("escape")
        await wait_for_top(pilot, app.site_list, "escape back to the sites")
        assert screen.table.cursor_row == 1 and screen.current().site == site
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape back to the overview")
        await pilot.press("w")                                              # the list kept its cursor
        await sites_shown(pilot)
        assert screen.current().site == site


async def test_w_is_in_the_help_the_palette_and_the_incidents_and_remappable(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot)
        await pilot.press("question_mark")
        help_screen = await wait_for_screen(pilot, HelpScreen, "? to open the help")
        assert help_screen.keys["sites"] == "w"
        help_text = screen_text(app.export_screenshot())
        assert any(line.strip("│ ").split()[:2] == ["w", "Sites:"] and line.strip("│ ").endswith(" sites")
                   for line in help_text.splitlines()), help_text
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to close the help")
        await pilot.press("ctrl+p", *"sites")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen.query(OptionList)
                         and app.screen.query_one(OptionList).option_count, "the command palette to list hits")
        await pilot.press("enter")
        await sites_shown(pilot)
        await pilot.press("i")                                              # to the incidents and back
        await wait_for_top(pilot, app.incident_list, "i from the sites to the incidents")
        await pilot.press("w")
        await sites_shown(pilot)

    user = tmp_path / "keys.toml"
    user.write_text('[bindings]\nsites = "W"\n')
    app = make_app(sample_root, sample_analysis, tmp_path, keymap=str(user))
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot)
        await pilot.press("w")
        await pilot.pause()
        assert app.screen is app.overview                                   # w no longer opens it
        await pilot.press("W")
        await sites_shown(pilot)


HOSTILE_SITE = "EVIL\x1b[2J\x1b]52;c;cm0gLXJm\x07[bold]SITE[/bold]"


def with_hostile_site(analysis, site: str):
    """The analysis with ``site`` renamed to HOSTILE_SITE in the failures and the traffic."""
    def rename(table: pa.Table) -> pa.Table:
        for column in ("src_site", "dst_site"):
            values = table.column(column)
            table = table.set_column(table.column_names.index(column), column,
                                     pc.if_else(pc.equal(values, site), pa.scalar(HOSTILE_SITE), values))
        return table
    errors = dataclasses.replace(analysis.errors, table=rename(analysis.errors.table),
                                 traffic=rename(analysis.errors.traffic))
    return dataclasses.replace(analysis, errors=errors, insight=core.Insight(errors, analysis.clustering),
                               incidents=[])


async def test_a_hostile_site_name_is_shown_escaped(sample_root, sample_analysis, tmp_path):
    worst = core.site_figures(sample_analysis.insight)[0].site
    analysis = with_hostile_site(sample_analysis, worst)
    app = make_app(sample_root, analysis, tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await overview_ready(pilot)
        await pilot.press("w")
        screen = await sites_shown(pilot)
        target = next(i for i, s in enumerate(screen.sites) if s.site == HOSTILE_SITE)
        await pilot.press(*["down"] * target)
        await wait_until(pilot, lambda: screen.table.cursor_row == target, "down to the hostile site")
        shots = [app.export_screenshot()]
        await pilot.press("enter")
        categories = await wait_for_screen(pilot, SiteCategoriesScreen, "enter to open the site's categories")
        await wait_until(pilot, lambda: categories.table.row_count, "the categories to be listed")
        shots.append(app.export_screenshot())
        await pilot.press("enter")
        await wait_for_screen(pilot, DetailScreen, "enter to open the category at the site")
        shots.append(app.export_screenshot())
    for svg in shots:
        assert "\x1b" not in svg and "\x07" not in svg
    shown = "EVIL␛[2J␛]52;c;cm0gLXJm␇[bold]SITE[/bold]"
    assert any(line.startswith(f" {shown[:20]}") for line in screen_text(shots[0]).splitlines())   # cut to the column
    assert f"{shown} · out" in screen_text(shots[0])                                             # the line under it
    assert f"{shown} · out" in screen_text(shots[1])
    assert f"site     {shown}" in screen_text(shots[2])


@pytest.mark.parametrize("width", [80, 100, 160])
def test_columns_fit_the_width(width):
    from opint_tui import site_view

    for columns in (site_view.columns_for(width), site_view.category_columns_for(width)):
        assert sum(w + 1 for _, _, w in columns) + site_view.SCROLLBAR <= width   # a space before each
        assert all(len(label) <= w or key in site_view.TEXT_COLUMNS for key, label, w in columns)


async def test_annotating_from_the_site_detail_shows_it_again_at_the_site(sample_root, sample_analysis, tmp_path):
    from opint_tui.screens.dialogs import AnnotateScreen
    from waits import wait_for_focus

    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot)
        await pilot.press("w")
        await sites_shown(pilot)
        await pilot.press("enter")
        categories = await wait_for_screen(pilot, SiteCategoriesScreen, "enter to open the site's categories")
        await wait_until(pilot, lambda: categories.table.row_count, "the site's categories to be listed")
        category = categories.categories[0]
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the category at the site")
        await pilot.press("a")
        await wait_for_screen(pilot, AnnotateScreen, "a to annotate the category")
        await wait_for_focus(pilot, "#label", "the label field to have the focus")
        await pilot.press(*"site label", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen is not detail,
                         "the detail to be shown again once saved")
        again = app.screen
        assert again.site == detail.site and again.row.count == category.at_site       # still the site's share
        assert app.triage.annotation(category.key)[0].label == "site label"
        await pilot.press("escape")
        await wait_for_top(pilot, categories, "escape back to the site's categories")


async def test_a_reload_leaves_a_stale_site_category_list_unopenable(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await overview_ready(pilot)
        await pilot.press("w")
        await sites_shown(pilot)
        await pilot.press("enter")
        categories = await wait_for_screen(pilot, SiteCategoriesScreen, "enter to open the site's categories")
        await wait_until(pilot, lambda: categories.table.row_count, "the site's categories to be listed")
        reloaded = dataclasses.replace(sample_analysis,
                                       insight=core.Insight(sample_analysis.errors, sample_analysis.clustering))
        app.post_message(app.Loaded(reloaded, app.source))
        await wait_until(pilot, lambda: app.analysis is reloaded and app.site_list.insight is reloaded.insight,
                         "the reload to reach the sites list")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is categories                 # its groups are the old insight's: not opened
        await pilot.press("escape")
        await wait_for_top(pilot, app.site_list, "escape back to the sites")
        await pilot.press("enter")
        fresh = await wait_for_screen(pilot, SiteCategoriesScreen, "enter on the reloaded sites list")
        assert fresh.insight is reloaded.insight
