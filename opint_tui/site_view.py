"""What the app shows of sites (issue 14): the cells of the sites list and of one site's categories, their
headers, the line under the list and the section a site-filtered detail opens with. No widgets here; every
text from the data (site names, patterns) goes through ``safe``: a site may be called anything."""
from __future__ import annotations

from rich.text import Text

import opint_core as core
from opint_tui.incident_view import percent
from opint_tui.safe import clean, pattern_text

SCROLLBAR = 2
TEXT_COLUMNS = ("site", "spark", "worst", "key", "pattern")   # the others are numbers, right-aligned


def _right_labels(columns: list, text_columns: tuple) -> tuple:
    return tuple((key, label if key in text_columns else label.rjust(width), width) for key, label, width in columns)


def _pattern_width(fixed: list, width: int, least: int = 12) -> int:
    used = sum(w + 1 for _, _, w in fixed) + 1 + SCROLLBAR   # a space before each column
    return max(least, width - used)


def columns_for(width: int) -> tuple:
    """(key, label, width) of the sites list's columns for a terminal width; the worst category gets what
    is left. Narrow: failures only (the attempts are on the line under the list); wide: failed/tried and a
    longer sparkline."""
    if width >= 140:
        fixed = [("site", "site", 24), ("out", "out failed/tried", 16), ("rate_out", "out", 5),
                 ("in", "in failed/tried", 16), ("rate_in", "in", 5), ("categories", "cats", 4),
                 ("incidents", "inc", 3), ("spark", "failures per hour", 24)]
    elif width >= 100:
        fixed = [("site", "site", 20), ("out", "out f/tried", 13), ("rate_out", "out", 4),
                 ("in", "in f/tried", 13), ("rate_in", "in", 4), ("categories", "cats", 4),
                 ("incidents", "inc", 3), ("spark", "per hour", 12)]
    else:
        fixed = [("site", "site", 16), ("out", "out", 6), ("rate_out", "out%", 4), ("in", "in", 6),
                 ("rate_in", "in%", 4), ("categories", "cats", 4), ("incidents", "inc", 3), ("spark", "per hour", 8)]
    return _right_labels(fixed + [("worst", "worst category (failures there)", _pattern_width(fixed, width))],
                         TEXT_COLUMNS)


def right(text: str, width: int, style: str = "") -> Text:
    """A number right-aligned in its column (the list pads cells on the right)."""
    return Text(text.rjust(width), style=style)


def _side(failures: int, attempts: int | None, width: int) -> Text:
    text = f"{failures:,}/{attempts:,}" if width >= 13 and attempts is not None else f"{failures:,}"
    return right(text, width)


def cells(site: core.SiteFigures, columns: tuple, patterns: list[str]) -> list[Text]:
    """The cells of one site for ``columns`` (see ``columns_for``); ``patterns``: the Insight's, by group."""
    widths = {key: width for key, _, width in columns}

    def worst(s: core.SiteFigures) -> Text:
        if s.worst is None:
            return Text("–", style="dim")
        text = Text().append(f"{s.worst_failures:,} ", style="bold")
        return text.append_text(pattern_text(patterns[s.worst], limit=max(1, widths["worst"] - text.cell_len)))

    makers = {
        "site": lambda s: Text(clean(s.site)),
        "out": lambda s: _side(s.failures_out, s.attempts_out, widths["out"]),
        "rate_out": lambda s: right(percent(s.rate_out), widths["rate_out"], "bold"),
        "in": lambda s: _side(s.failures_in, s.attempts_in, widths["in"]),
        "rate_in": lambda s: right(percent(s.rate_in), widths["rate_in"], "bold"),
        "categories": lambda s: right(f"{s.categories:,}", widths["categories"]),
        "incidents": lambda s: right(f"{s.incidents}" if s.incidents else "·", widths["incidents"],
                                     "bold yellow" if s.incidents else "dim"),
        "spark": lambda s: Text(core.sparkline(s.timeline, width=widths["spark"]), style="cyan"),
        "worst": worst,
    }
    return [makers[key](site) for key, _, _ in columns]


def side_text(failures: int, attempts: int | None, rate: float | None) -> str:
    """``269/1,101 24%``, or ``269`` without traffic."""
    return f"{failures:,}" if attempts is None else f"{failures:,}/{attempts:,} {percent(rate)}"


def figures_text(site: core.SiteFigures, room: int | None = None) -> str:
    """The site's figures in one line (cleaned): out, in, categories, incidents; in ``room`` cells, the
    longest form that fits (shorter words, then no attempts, then cut) rather than a wrapped line."""
    n, c = site.incidents, site.categories
    out = side_text(site.failures_out, site.attempts_out, site.rate_out)
    into = side_text(site.failures_in, site.attempts_in, site.rate_in)
    forms = [f"{clean(site.site)} · out {out} · in {into} · {c:,} categor{'y' if c == 1 else 'ies'}"
             f" · {n} incident{'s' if n != 1 else ''}",
             f"{clean(site.site)} · out {out} · in {into} · {c:,} cats · {n} inc"]
    if room is None:
        return forms[0]
    forms.append(f"{clean(site.site)} · out {site.failures_out:,} {percent(site.rate_out)}"
                 f" · in {site.failures_in:,} {percent(site.rate_in)} · {c:,} cats · {n} inc")
    fits = next((f for f in forms if len(f) <= room), forms[-1])
    return fits if len(fits) <= room else fits[: max(0, room - 1)] + "…"


def cursor_line(site: core.SiteFigures, width: int = 80) -> Text:
    """The line under the sites list for the site under the cursor, in ``width`` cells."""
    return Text(" ").append(figures_text(site, width - 2), style="bold")


def head(analysis, shown: int, order: str, sort_key: str) -> Text:
    """The sites list's head: stream, days, how many sites, the sort and the key that changes it."""
    text = Text()
    if analysis is not None:
        r = analysis.report
        days = ", ".join(str(d) for d in r.days) if len(r.days) <= 2 else f"{r.days[0]} .. {r.days[-1]}"
        text.append(f" {clean(r.stream)} ", style="bold reverse")
        text.append(f" {days or 'listed paths'} ", style="bold")
    text.append(f"· {shown} site{'s' if shown != 1 else ''} · sorted by {order}")
    text.append(f" · {clean(sort_key)}: {', '.join(core.SITE_ORDERS)}", style="dim")
    return text


def empty_text(analysis) -> Text:
    if analysis is None:
        return Text(" No data loaded yet.")
    return Text(" No sites: this load has no failures and no traffic.", style="bold")


# --- one site's categories ---------------------------------------------------------------------------------
def category_columns_for(width: int) -> tuple:
    """(key, label, width) of one site's categories: the failures there, as source and as destination (with
    the rate against the site's attempts on that side), of the category's failures everywhere; the pattern
    gets what is left."""
    fixed = [("at_site", "here", 7), ("as_source", "as src", 6), ("rate_out", "rate", 5),
             ("as_destination", "as dst", 6), ("rate_in", "rate", 5), ("everywhere", "of all", 7)]
    if width >= 140:
        fixed.append(("key", "key", 13))
    return _right_labels(fixed + [("pattern", "pattern", _pattern_width(fixed, width))], TEXT_COLUMNS)


def category_cells(category: core.SiteCategory, columns: tuple, counts) -> list[Text]:
    """The cells of one of a site's categories; ``counts``: the Insight's counts (everywhere), by group."""
    widths = {key: width for key, _, width in columns}
    makers = {
        "at_site": lambda c: right(f"{c.at_site:,}", widths["at_site"], "bold"),
        "as_source": lambda c: right(f"{c.as_source:,}" if c.as_source else "·", widths["as_source"]),
        "rate_out": lambda c: right(percent(c.rate_out) if c.as_source else "", widths["rate_out"]),
        "as_destination": lambda c: right(f"{c.as_destination:,}" if c.as_destination else "·",
                                          widths["as_destination"]),
        "rate_in": lambda c: right(percent(c.rate_in) if c.as_destination else "", widths["rate_in"]),
        "everywhere": lambda c: right(f"{int(counts[c.group]):,}", widths["everywhere"], "dim"),
        "key": lambda c: Text(clean(c.key), style="dim"),
        "pattern": lambda c: pattern_text(c.pattern, limit=widths["pattern"]),
    }
    return [makers[key](category) for key, _, _ in columns]


def categories_head(site: core.SiteFigures, width: int = 80) -> Text:
    """The head of one site's categories: the site and its figures, on one line of ``width`` cells."""
    text = Text(" site ", style="bold reverse")
    text.append(" ")
    text.append(figures_text(site, width - text.cell_len - 1), style="bold")
    return text


def section(site: str, category: core.SiteCategory, *, everywhere: int) -> Text:
    """The section a detail opened from a site's categories starts with: the site, the category's failures
    there on each side, and that the sections below are those failures only."""
    text = Text()
    text.append("site     ", style="bold")
    text.append(clean(site))
    text.append("\nhere     ", style="bold")
    text.append(f"{category.at_site:,} failures: {category.as_source:,} as the source"
                f"{'' if category.rate_out is None else f' ({percent(category.rate_out)} of its attempts out)'}, "
                f"{category.as_destination:,} as the destination"
                f"{'' if category.rate_in is None else f' ({percent(category.rate_in)} of its attempts in)'}")
    text.append(f"\nthe sections below are the category's {category.at_site:,} failures at {clean(site)}, of its "
                f"{everywhere:,} at every site", style="dim italic")
    return text
