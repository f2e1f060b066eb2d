"""What the screens show, computed from an Analysis and the triage store: overview rows and detail text.
No widgets here; the screens only lay these out."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

import opint_core as core
from opint_tui.overview_model import Row
from opint_tui.safe import clean, literal, pattern_text, shorten

STATUS_GLYPHS = {"new": "●", "investigating": "◐", "ticketed": "T", "known": "K", "resolved": "✓",
                 "ignored": "–"}
STATUS_STYLES = {"new": "bold yellow", "investigating": "bold cyan", "ticketed": "bold blue",
                 "known": "green", "resolved": "green", "ignored": "dim"}
DIMENSION_TITLES = {"src_site": "source site", "dst_site": "destination site", "src_host": "source host",
                    "dst_host": "destination host", "src_rse": "source RSE", "dst_rse": "destination RSE",
                    "vo": "VO", "activity": "activity", "error_code": "error code", "event_type": "event type"}
# the sides of a transfer: a category's failures at a site are set against the site's attempts there
SITE_DIMENSIONS = ("src_site", "dst_site")


@dataclass
class TriageState:
    """Annotations as they apply to today's categories: own (exact key) or inherited."""

    inherited: dict  # category key -> core.Inherited

    def annotation(self, key: str):
        found = self.inherited.get(key)
        return (found.annotation, found) if found else (None, None)


def triage_state(store, clustering) -> TriageState:
    return TriageState(store.carry_over(clustering.categories) if store is not None else {})


def _top_sites(summary) -> tuple[str, str]:
    src = summary.top_src_sites[0].value if summary.top_src_sites else "?"
    dst = summary.top_dst_sites[0].value if summary.top_dst_sites else "?"
    return src, dst


def _sites(summary) -> str:
    src, dst = _top_sites(summary)
    return "" if src == dst == "?" else f"{src}→{dst}"


def _site_names(summary, sites) -> str:
    """Every other name of the row's sites (T1_DE_KIT, gridka.de for FZK-LCG2), for the filter."""
    if sites is None:
        return ""
    names = set().union(*(sites.names_of(s) for s in _top_sites(summary) if s != "?"))
    return " ".join(sorted(names))


def build_rows(analysis, insight, triage: TriageState, trends=None, *, sites=None) -> list[Row]:
    """One Row per group of `insight` (its level decides: categories or templates). `sites`: a
    core.SiteTable, so that filtering finds a row by any name of its sites."""
    cl = analysis.clustering
    rows = []
    for g, summary in enumerate(insight.summaries(top=1)):
        if summary.merged_into is not None:
            continue  # shown inside the category it was merged into
        key = summary.key if insight.level == "category" else cl.categories[int(cl.template_category[g])].key
        annotation, found = triage.annotation(key)
        row = Row(index=g, key=key, pattern=summary.pattern, count=summary.count, share=summary.share,
                  sites=_sites(summary), site_names=_site_names(summary, sites), timeline=summary.timeline)
        if annotation is not None and not annotation.empty:
            row.label = annotation.label or ""
            row.status = annotation.status or ""
            row.inherited = found.similarity if found.inherited else None
        if trends is not None and insight.level == "category":
            t = trends[g]
            row.new, row.trend_score, row.ratio = bool(t.new), float(t.score), t.ratio
            row.new_templates = int(getattr(t, "new_template_rows", 0) or 0)
            row.rising, row.trend_words, row.trend_known = bool(t.rising), core.trend_words(t), bool(t.known)
        rows.append(row)
    return rows


def legend() -> Table:
    """What the overview's status glyphs and trend words mean (the help screen shows it)."""
    def words(*pairs) -> Text:
        text = Text()
        for i, (word, style, meaning) in enumerate(pairs):
            text.append("   " if i else "")
            text.append(word, style=style)
            text.append(f" {meaning}" if meaning else "")
        return text

    glyphs = [(STATUS_GLYPHS[s], STATUS_STYLES[s], s) for s in STATUS_GLYPHS]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row("status", words(*glyphs[:3]))
    grid.add_row("", words(*glyphs[3:]))
    grid.add_row("", words(("~", "bold", "carried over from a similar category (label in italics)")))
    grid.add_row("trend", words(("×6.3", "bold red", "failures vs usual (the days before): rising")))
    grid.add_row("", words(("×0.2", "green", "falling"), ("–", "dim", "as usual"),
                           ("blank", "dim", "nothing to compare with")))
    grid.add_row("", words(("new", "bold yellow", "none in the days before"),
                           (core.NEW_MESSAGE, "yellow", "never-seen messages")))
    return grid


def status_cell(row: Row) -> Text:
    if not row.status:
        return Text(" ")
    glyph = STATUS_GLYPHS.get(row.status, "?")
    return Text(glyph + ("~" if row.inherited is not None else ""), style=STATUS_STYLES.get(row.status, ""))


def label_cell(row: Row) -> Text:
    text = literal(row.label)
    text.no_wrap, text.overflow = True, "ellipsis"  # one line, cut with … at the column width
    if row.inherited is not None and row.label:
        text.stylize("italic")
        text.append(f" ~{row.inherited:.0f}%", style="dim")
    return text


TREND_WORD_STYLES = {"new": "bold yellow", core.NEW_MESSAGE: "yellow"}
TREND_WORDS_WIDTH = 7     # "new msg", "×6.3": the narrow trend column holds the words alone
SPARK_MIN = 4             # a sparkline narrower than this says nothing


def trend_word_text(row: Row, word: str) -> Text:
    if word in TREND_WORD_STYLES:
        return Text(word, style=TREND_WORD_STYLES[word])
    return Text(word, style="bold red" if row.rising else "green")   # a factor: rising, else falling


def trend_cell(row: Row, width: int = 16) -> Text:
    """The trend in numbers ("×6.3", "new", "new msg", "–" when flat, blank without a baseline), as many
    of its words as fit, then the sparkline of the timeline when there is room beside them."""
    words = row.trend_words
    wide = width >= 12 + 1 + SPARK_MIN
    room = 12 if wide else TREND_WORDS_WIDTH
    if len(" ".join(words)) > min(room, width):
        words = words[:1]
    cell = Text()
    for i, word in enumerate(words):
        if i:
            cell.append(" ")
        cell.append_text(trend_word_text(row, word))
    if not words and row.trend_known:
        cell.append("–", style="dim")
    spark = width - room - 1
    if spark >= SPARK_MIN and row.timeline:
        cell.pad_right(max(0, room - cell.cell_len))
        cell.append(" ")
        cell.append(core.sparkline(row.timeline, spark), style="cyan")
    return cell


def trend_line(insight, t, g: int) -> Text:
    """The detail's trend line: the count against the usual one (the baseline days', scaled to this window),
    the factor and since when it is above usual (``core.trend_onset``); on a second line, how many of the
    failures are of messages the baseline never had."""
    line = Text("\n")
    line.append("trend    ", style="bold")
    if not t.known:
        line.append("no baseline days before these to compare with", style="dim")
        return line
    if t.new:
        line.append(f"{t.count:,} ")
        line.append("new", style="bold yellow")
        line.append(" (none in the baseline days)")
    else:
        line.append(f"{t.count:,} vs usual {t.expected:,.0f} (")
        line.append(core.factor_text(t.ratio) if t.ratio is not None else "–",
                    style="bold red" if t.rising else "green" if t.falling else "")
        line.append(")")
        if not t.rising:
            line.append(" · falling" if t.falling else " · as usual", style="dim")
    if t.new or t.rising:
        onset = core.trend_onset(insight, t, g)
        word = " · since " if t.new else " · rising since "
        if onset is None:
            line.append(" · rising" if t.rising else "")
        elif insight.bin_width * insight.nbins <= 86_400_000:   # one day: the hour says it
            line.append(f"{word}{onset:%H:%M} UTC")
        else:
            line.append(f"{word}{onset:%m-%d %H:%M} UTC")
    if t.new_template_rows:
        line.append(f"\n         {t.new_template_rows:,} of them never-seen messages ")
        line.append(f"({core.NEW_MESSAGE})", style="yellow")
    return line


def message_cell(message: str, limit: int, page_key: str = "p") -> Text:
    """A message as the detail shows it: cut to ``limit`` characters (a screenful), saying how long it is
    and which key pages through all of it. Drawing a 50 MB message whole took minutes."""
    if len(message) <= limit:
        return literal(message)
    cell = Text(shorten(message, limit))
    cell.append(f"\n{len(message):,} characters; {page_key} pages the full text", style="bold")
    return cell


def detail_renderables(analysis, insight, g: int, triage: TriageState, width: int = 100, height: int = 40,
                       page_key: str = "p", detail=None, trends=None):
    """The sections of the drill-down, top to bottom, as (title, renderable) pairs. Texts from data are cut
    to a screenful (``width`` x ``height``); ``page_key`` pages through the messages in full. ``detail``:
    ``insight.detail(g)`` when the caller has it already; ``trends``: the trends of ``insight``'s groups
    (the head then says the count against the usual one, the factor and the onset)."""
    d = detail or insight.detail(g)
    screenful = max(width, 20) * max(height, 5)
    key = d.key if insight.level == "category" else analysis.clustering.categories[
        int(analysis.clustering.template_category[g])].key
    sections = []

    head = Text()
    head.append("pattern  ", style="bold")
    head.append_text(pattern_text(d.pattern, limit=screenful))
    head.append(f"\nkey      {key}   count {d.count:,}   share {100 * d.share:.1f}%")
    if d.first_seen:
        head.append(f"\nseen     {d.first_seen:%Y-%m-%d %H:%M} .. {d.last_seen:%Y-%m-%d %H:%M} UTC")
    if trends is not None:
        head.append_text(trend_line(insight, trends[g], g))
    merged = sorted(insight.keys[c] for c, parent in insight.merged_into.items() if parent == g)
    if merged:
        head.append(f"\nmerged   {', '.join(merged)} (merged into this one by hand)")
    annotation, found = triage.annotation(key)
    if annotation is not None and not annotation.empty:
        head.append("\nstatus   ", style="bold")
        head.append(clean(annotation.status), style=STATUS_STYLES.get(annotation.status, ""))
        for name in ("label", "ticket", "notes"):
            value = getattr(annotation, name)
            if value:
                head.append(f"\n{name:<8} ", style="bold")
                head.append(shorten(value, screenful, keep_newlines=True))
        if found.inherited:
            head.append(f"\ninherited from {clean(found.source_key)} (similarity {found.similarity:.0f}%)",
                        style="italic dim")
    sections.append(("category", head))

    msgs = Table(box=None, expand=True, show_header=True, pad_edge=False)
    msgs.add_column("count", justify="right", no_wrap=True)
    msgs.add_column(f"messages ({d.distinct_messages:,} distinct)", overflow="fold", ratio=1)
    for m in d.messages:
        msgs.add_row(f"{m.count:,}", message_cell(m.message, screenful, page_key))
    sections.append(("messages", msgs))

    dims = [dim for dim in ("src_site", "dst_site", "src_host", "dst_host", "src_rse", "dst_rse", "vo",
                            "activity", "error_code", "event_type") if dim in d.top]
    grid = Table.grid(expand=True, padding=(0, 2))
    columns = 3 if width >= 120 else 2 if width >= 70 else 1
    for _ in range(columns):
        grid.add_column(ratio=1)
    cells = []
    for dim in dims:
        rates = insight.rates is not None and dim in SITE_DIMENSIONS
        title = DIMENSION_TITLES[dim] + (" · failures/attempts" if rates else "")
        t = Table(box=None, pad_edge=False, expand=True, title=title, title_justify="left",
                  title_style="bold", show_header=False)
        t.add_column(overflow="ellipsis", no_wrap=True, ratio=1)
        t.add_column(justify="right", no_wrap=True)
        t.add_column(justify="right", no_wrap=True)
        if rates:   # a count means little without the site's own traffic: the rate replaces the share
            for s in insight.site_counts(dim, d.top[dim][:5]):
                t.add_row(Text(shorten(s.site, width)), f"{s.count:,}/{s.attempts:,}", rate_text(s.rate))
            if d.nulls.get(dim):
                s = insight.rates.site_count(dim, None, d.nulls[dim])
                t.add_row(Text(s.site, style="dim"), f"{s.count:,}/{s.attempts:,}", rate_text(s.rate))
        else:
            for v in d.top[dim][:5]:
                t.add_row(Text(shorten(v.value, width)), f"{v.count:,}", f"{100 * v.share:.0f}%")
            if d.nulls.get(dim):
                t.add_row(Text("(none)", style="dim"), f"{d.nulls[dim]:,}", "")
        cells.append(t)
    for i in range(0, len(cells), columns):
        chunk = cells[i:i + columns]
        grid.add_row(*(chunk + [""] * (columns - len(chunk))))
    sections.append(("where", grid))

    when = Text()
    if d.timeline:
        peak = max(d.timeline) or 1
        when.append(core.sparkline(d.timeline), style="cyan")
        when.append(f"  peak {peak:,} per {_duration(insight.bin_timedelta())}")
        if d.bin_edges:
            when.append(f"\n{d.bin_edges[0]:%m-%d %H:%M} .. {d.bin_edges[-1]:%m-%d %H:%M} UTC", style="dim")
    sections.append(("when", when))

    if d.slots:
        slots = Table(box=None, expand=True, pad_edge=False, show_header=True)
        slots.add_column("template / slot", overflow="fold", ratio=2)
        slots.add_column("values (count)", overflow="fold", ratio=3)
        for ts in d.slots[:5]:
            slots.add_row(pattern_text(ts.pattern, limit=width * 2), Text(f"{ts.count:,} failures", style="dim"))
            for s in ts.slots:
                values = Text()
                for i, v in enumerate(s.values[:6]):
                    if i:
                        values.append(", ")
                    values.append(shorten(v.value, 80))
                    values.append(f" ({v.count:,})", style="dim")
                if s.distinct > 6:
                    values.append(f" … {s.distinct:,} distinct", style="dim")
                slots.add_row(Text(f"  <*> #{s.position + 1}", style="magenta"), values)
        sections.append(("slot values", slots))

    if insight.level == "category":
        tmpl = Table(box=None, expand=True, pad_edge=False)
        tmpl.add_column("count", justify="right", no_wrap=True)
        tmpl.add_column("share", justify="right", no_wrap=True)
        tmpl.add_column(f"member templates ({len(d.templates)})", overflow="fold", ratio=1)
        for t in d.templates[:30]:
            tmpl.add_row(f"{t.count:,}", f"{100 * t.share:.0f}%", pattern_text(t.pattern, limit=screenful))
        sections.append(("templates", tmpl))
    return sections


def rate_text(rate: float | None) -> str:
    """A failure rate in a few characters: 0.4%, 7.1%, 34%; "-" without attempts."""
    if rate is None:
        return "-"
    return f"{100 * rate:.1f}%" if rate < 0.1 else f"{100 * rate:.0f}%"


def _duration(td) -> str:
    hours = int(td.total_seconds() // 3600)
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def days_text(report, short: bool = False) -> str:
    """The days of the header: "2026-11-20 (today, partial)" while today's files are still being written;
    ``short``: "11-18..11-20 (partial)" for a narrow terminal."""
    days = list(report.days)
    if not days:
        text = "listed paths"
    elif short:
        text = f"{days[0]:%m-%d}" if len(days) == 1 else f"{days[0]:%m-%d}..{days[-1]:%m-%d}"
    else:
        text = ", ".join(str(d) for d in days) if len(days) <= 2 else f"{days[0]} .. {days[-1]}"
    if not report.final:
        today = days and days[-1] == dt.datetime.now(dt.timezone.utc).date()
        text += " (partial)" if short or not today else " (today, partial)"
    return text


def header_text(analysis, level: str, shown: int, total_groups: int, filter_text: str, sort: str,
                width: int = 200) -> Text:
    """The overview's header, on one line of at most ``width`` cells (the filter, when set, on a second):
    stream, days, totals, then what fits of the load's timings and the sort (the sorted column's label
    says it too). A day still being written says so: "(today, partial)"."""
    r = analysis.report
    noun = "categories" if level == "category" else "templates"
    totals = f"· {analysis.errors.failures:,} failures · {total_groups:,} {noun}"
    timing = " + ".join(f"{k} {v:.1f}s" for k, v in analysis.timings.items())
    took = f"loaded in {sum(analysis.timings.values()):.1f}s" if analysis.timings else ""
    # most to least said; the first that fits is shown
    variants = [(False, f"loaded in {timing}" if timing else "", True), (False, took, True), (False, "", True),
                (False, "", False), (True, "", False)]
    for short, timed, sorted_ in variants:
        t = Text()
        t.append(f" {clean(r.stream)} ", style="bold reverse")
        t.append(f" {days_text(r, short)} ", style="bold")
        t.append(totals)
        if timed:
            t.append(f" · {timed}", style="dim")
        if sorted_:
            t.append(f"  sort: {sort}", style="dim")
        if t.cell_len <= width:
            break
    if filter_text:
        t.append("\n filter: ", style="bold")
        t.append(clean(filter_text))
        t.append(f"  ({shown:,} shown)")
    return t
