"""Issue 14, points 2 and 3: the trend in numbers on the overview and in the detail, and the overview at 80x24.

Expected values come from the core (``analysis.trends``, ``core.trend_words``, ``core.trend_onset``); the app is
driven with Pilot as in tests/test_app.py."""
import datetime as dt

import opint_core as core
from opint_tui.app import OpintApp
from opint_tui.screens.detail import DetailScreen
from opint_tui.screens.dialogs import HelpScreen
from opint_tui.view import STATUS_GLYPHS, TriageState, build_rows, header_text, trend_cell
from test_app import make_app, ready
from waits import wait_for_screen, wait_for_top, wait_until

CELL = 12.2   # the width of one cell in Textual's SVG screenshots


def screen_text(svg: str) -> str:
    """The screen of a screenshot line by line, each run of text at its column."""
    import html
    import re

    lines: dict[float, list] = {}
    for x, y, run in re.findall(r'<text[^>]*?x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        lines.setdefault(float(y), []).append((float(x), html.unescape(run).replace("\xa0", " ")))
    out = []
    for y in sorted(lines):
        line = ""
        for x, run in sorted(lines[y]):
            line = line.ljust(round(x / CELL)) + run
        out.append(line.rstrip())
    return "\n".join(out)


def rows_by_index(analysis):
    rows = build_rows(analysis, analysis.insight, TriageState({}), analysis.trends)
    return {r.index: r for r in rows}


def test_trend_cell_says_the_factor_and_new_msg(sample_analysis):
    trends = sample_analysis.trends
    rows = rows_by_index(sample_analysis)
    rising = [g for g, t in enumerate(trends) if t.rising and not t.new]
    with_new_messages = [g for g, t in enumerate(trends) if t.new_template_rows and not t.new]
    assert rising and with_new_messages
    for g in rising:
        factor = core.factor_text(trends[g].ratio)
        assert trend_cell(rows[g], 7).plain.startswith(factor)          # 80 columns: the number alone
        assert trend_cell(rows[g], 20).plain.startswith(factor)         # wide: then the sparkline
    for g in with_new_messages:
        assert core.NEW_MESSAGE in trend_cell(rows[g], 20).plain
        assert trend_cell(rows[g], 7).plain.strip() == core.trend_words(trends[g])[0]
    flat = next(g for g, t in enumerate(trends) if t.known and not core.trend_words(t))
    assert trend_cell(rows[flat], 7).plain.strip() == "–"
    assert not any(c in trend_cell(rows[flat], 7).plain for c in "×new")


def write_new_category_archive(root):
    """Two days: the second has a problem the first never had (a new category) beside a steady one."""
    from archive_factory import day_dir, fts_record, lines, write_part

    days = [dt.date(2026, 11, 19), dt.date(2026, 11, 20)]
    for i, day in enumerate(days):
        start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
        records = [fts_record("TRANSFER  Operation timed out", when_ms=start + k * 600_000) for k in range(30)]
        if i:
            records += [fts_record("CHECKSUM  mismatch between source and destination",
                                   when_ms=start + 10 * 3_600_000 + k * 60_000) for k in range(25)]
        write_part(day_dir(root, "fts", day), lines(records))


async def test_a_new_category_says_new_on_the_overview_and_in_the_detail(tmp_path):
    root = tmp_path / "a"
    write_new_category_archive(root)
    analysis = core.analyse(str(root), use_cache=False)
    analysis.timings = {}
    new = [g for g, t in enumerate(analysis.trends) if t.new]
    assert len(new) == 1
    g = new[0]
    assert trend_cell(rows_by_index(analysis)[g], 7).plain.strip() == "new"
    app = OpintApp(core.Request(str(root), core.Selection.latest()), store=core.TriageStore(tmp_path / "s"),
                   analysis=analysis)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        cursor = next(i for i, r in enumerate(app.overview.shown) if r.index == g)
        app.overview.table.move_cursor(row=cursor)
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        head = dict(detail.sections)["category"].plain
        onset = core.trend_onset(analysis.insight, analysis.trends[g], g)
        assert onset == analysis.insight.first_seen(g).replace(minute=0, second=0, microsecond=0)
        assert f"trend    {analysis.trends[g].count:,} new" in head and f"since {onset:%H:%M} UTC" in head


async def test_the_detail_says_count_vs_usual_the_factor_and_the_onset(sample_root, sample_analysis, tmp_path):
    trends = sample_analysis.trends
    g = max((g for g, t in enumerate(trends) if t.rising), key=lambda g: trends[g].ratio)
    t = trends[g]
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        cursor = next(i for i, r in enumerate(app.overview.shown) if r.index == g)
        app.overview.table.move_cursor(row=cursor)
        await pilot.press("enter")
        detail = await wait_for_screen(pilot, DetailScreen, "enter to open the detail")
        head = dict(detail.sections)["category"].plain
    onset = core.trend_onset(sample_analysis.insight, t, g)
    assert onset is not None
    assert (f"trend    {t.count:,} vs usual {t.expected:,.0f} ({core.factor_text(t.ratio)}) · rising since "
            f"{onset:%H:%M} UTC") in head


async def test_sorting_by_trend_puts_the_highest_factor_first_and_shows_it(sample_root, sample_analysis, tmp_path):
    trends = sample_analysis.trends
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overview.sort_order == "trend", "s to sort by trend")
        await pilot.pause()
        text = screen_text(app.export_screenshot())
    shown = app.overview.shown
    top = max((t.ratio for t in trends if t.rising and not t.new), default=None)
    first = next(r for r in shown if not r.new)
    assert first.rising and first.ratio == top
    assert not any(r.new for r in shown[shown.index(first):])
    lines = text.splitlines()
    header = next(line for line in lines if "pattern" in line and "label" in line)
    assert "trend▼" in header
    row_line = next(line for line in lines if first.pattern.replace("<*>", "")[:12] in line)
    assert core.factor_text(top) in row_line


async def test_80x24_shows_every_column_one_header_line_and_the_whole_key_bar(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    cats = sample_analysis.clustering.categories
    trends = sample_analysis.trends
    g = next(g for g, t in enumerate(trends) if t.rising)
    label = "FTS timeouts at destination storage, GGUS open"
    app.store.annotate(cats[g].key, pattern=cats[g].pattern, label=label, status="investigating")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.pause()
        summary = app.overview.query_one("#summary")
        assert summary.region.height == 1 and "\n" not in summary.render().plain
        text = screen_text(app.export_screenshot())
    widths = {key: w for key, _, w in app.overview.columns}
    assert {"status", "count", "share", "trend", "pattern", "label"} <= set(widths) and widths["label"] >= 20
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert ".tmp" not in lines[0] and ("partial" in lines[0] or sample_analysis.report.final)
    row = next(r for r in app.overview.shown if r.index == g)
    line = next((line for line in lines if label[:20] in line), None)
    assert line is not None, text
    assert STATUS_GLYPHS["investigating"] in line and f"{row.count:,}" in line
    assert f"{100 * row.share:.0f}%" in line or f"{100 * row.share:.1f}%" in line
    assert core.factor_text(trends[g].ratio) in line
    assert row.pattern.replace("<*>", "")[:12] in line
    # the key bar is whole: its last binding and the command palette's key both show
    footer = lines[-1]
    assert "? Help" in footer and "^p Commands" in footer
    # no scrollbar beside the label column: the position is in the columns' header line instead
    assert f"1/{len(app.overview.shown)}" in next(line for line in lines if "pattern" in line and "label" in line)


def test_the_header_fits_one_line_for_a_range_reversed_and_partial(sample_analysis):
    from types import SimpleNamespace

    days = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(14)]
    analysis = SimpleNamespace(report=SimpleNamespace(stream="fts", days=days, final=False),
                               errors=SimpleNamespace(failures=12_345_678),
                               timings={"load": 12.3, "cluster": 4.5, "insight": 1.2, "trend": 2.2})
    for width in (70, 80, 120, 200):
        head = header_text(analysis, "category", 10, 4321, "", "trend (reversed)", width)
        assert "\n" not in head.plain and head.cell_len <= width, (width, head.plain)
        assert "partial" in head.plain and ".tmp" not in head.plain
    wide = header_text(analysis, "category", 10, 4321, "", "trend (reversed)", 200).plain
    assert "loaded in" in wide and "sort: trend (reversed)" in wide
    today = SimpleNamespace(report=SimpleNamespace(stream="fts", days=[dt.datetime.now(dt.timezone.utc).date()],
                                                   final=False), errors=SimpleNamespace(failures=5), timings={})
    assert "(today, partial)" in header_text(today, "category", 1, 1, "", "count", 80).plain


async def test_help_has_the_status_and_trend_legend(sample_root, sample_analysis, tmp_path):
    app = make_app(sample_root, sample_analysis, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        help_screen = await wait_for_screen(pilot, HelpScreen, "? to open the help")
        await pilot.pause()
        text = screen_text(app.export_screenshot())
        assert help_screen.query_one("#legend")
        await pilot.press("escape")
        await wait_for_top(pilot, app.overview, "escape to close the help")
    for status, glyph in STATUS_GLYPHS.items():
        assert f"{glyph} {status}" in text
    assert core.NEW_MESSAGE in text and "×6.3" in text
