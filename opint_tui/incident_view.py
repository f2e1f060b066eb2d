"""What the app shows of an incident: its list cells, the counts line, the section the detail opens with,
the label it suggests and the file name of its ticket. No widgets here; every text from the data goes
through ``safe`` (a site or a pattern may hold escape sequences or markup)."""
from __future__ import annotations

import re
from collections import Counter

from rich.text import Text

import opint_core as core
from opint_tui.safe import clean, literal, pattern_text, shorten

# Told apart without colour: a glyph and the word's case (NEW, RISING, ongoing) say it in monochrome too.
STATUS_LOOK = {"new": ("●", "NEW", "bold yellow"), "rising": ("▲", "RISING", "bold red"),
               "ongoing": ("·", "ongoing", "dim")}
SIDE_SHORT = {"source": "src", "destination": "dst", "unknown": "?"}


def status_text(status: str, *, glyph: bool = True) -> Text:
    mark, word, style = STATUS_LOOK.get(status, ("?", clean(status), ""))
    return Text(f"{mark} {word}" if glyph else word, style=style)


def where(incident: core.Incident, *, short: bool = False) -> str:
    """``SITE (destination)`` (short: ``SITE (dst)``) or ``SRC → DST`` for a link; cleaned."""
    if incident.side == "link":
        return clean(f"{incident.site} → {incident.other_site}")
    side = SIDE_SHORT.get(incident.side, incident.side) if short else incident.side
    return clean(f"{incident.site} ({side})")


def since(incident: core.Incident, *, with_date: bool = False) -> str:
    """The onset hour and, once it stopped, the end hour: ``since 08:00`` or ``02:00–20:00`` (UTC)."""
    form = "%m-%d %H:%M" if with_date else "%H:%M"
    start = incident.onset.strftime(form) if incident.onset else "?"
    if incident.end is None:
        return f"since {start}"
    return f"{start}–{incident.end.strftime('%H:%M')}"


def percent(rate: float | None) -> str:
    """A rate in as few characters as it needs: 0.9%, 9.5%, 43%; "–" when unknown."""
    if rate is None:
        return "–"
    value = 100 * rate
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"


def action(incident: core.Incident) -> str:
    return clean(getattr(incident.cause, "action", None) or "unknown cause")


def counts_text(incidents: list[core.Incident]) -> str:
    """``1 new · 1 rising · 7 ongoing``, in the list's order (the core's: new, rising, ongoing)."""
    counts = Counter(i.status for i in incidents)
    return " · ".join(f"{n} {clean(status)}" for status, n in counts.items())


def overview_tag(incidents: list[core.Incident] | None, room: int) -> Text:
    """The overview header's word on the incidents: loud when some are new, else how many there are; on a
    line of its own when it does not fit in ``room`` cells (rather than wrapped mid-phrase)."""
    if not incidents:
        return Text()
    new = sum(i.status == "new" for i in incidents)
    n = len(incidents)
    if new:
        tag = Text(f"  ● {new} new incident{'s' if new != 1 else ''} of {n}", style="bold yellow")
    else:
        tag = Text(f"  {n} incident{'s' if n != 1 else ''}", style="dim")
    if tag.cell_len > room:
        tag = Text("\n") + Text(tag.plain[1:], style=tag.style)
    return tag


def columns_for(width: int) -> tuple:
    """(key, label, width) of the list's columns for a terminal width; the pattern gets what is left.
    At 80 columns the action moves to the line under the list (it says the row under the cursor)."""
    if width >= 140:
        fixed = [("status", "status", 9), ("where", "where", 30), ("since", "since (UTC)", 17),
                 ("failures", "failed/tried", 15), ("rate", "rate", 5), ("usual", "usual", 5),
                 ("grid", "grid", 5), ("action", "action", 16)]
    elif width >= 100:
        fixed = [("status", "status", 9), ("where", "where", 21), ("since", "since (UTC)", 11),
                 ("failures", "failed/tried", 13), ("rate", "rate", 4), ("usual", "usual", 5),
                 ("action", "action", 12)]
    else:
        fixed = [("status", "status", 7), ("where", "where", 18), ("since", "since", 11),
                 ("failures", "fail/att", 9), ("rate", "rate", 4), ("usual", "usual", 5)]
    used = sum(w + 1 for _, _, w in fixed) + 1 + 2   # a space before each column, 2 cells for the scrollbar
    return tuple(fixed + [("pattern", "pattern", max(12, width - used))])


def cells(incident: core.Incident, columns: tuple) -> list[Text]:
    """The cells of one incident for ``columns`` (see ``columns_for``)."""
    widths = {key: width for key, _, width in columns}
    wide = widths.get("status", 0) >= 9   # "· ongoing" with its glyph
    makers = {
        "status": lambda i: status_text(i.status, glyph=wide),
        "where": lambda i: Text(where(i, short=widths["where"] < 26)),   # one form for the whole column
        "since": lambda i: Text(since(i, with_date=widths["since"] >= 17)),
        "failures": lambda i: Text(f"{i.failures:,}/{i.attempts:,}", justify="right"),
        "rate": lambda i: Text(percent(i.failure_rate), justify="right", style="bold"),
        "usual": lambda i: Text(percent(i.baseline_rate), justify="right"),
        "grid": lambda i: Text(percent(i.grid_rate), justify="right", style="dim"),
        "action": lambda i: Text(action(i)),
        "pattern": lambda i: pattern_text(i.pattern, limit=widths["pattern"]),
    }
    return [makers[key](incident) for key, _, _ in columns]


def cursor_line(incident: core.Incident) -> Text:
    """The line under the list for the incident under the cursor: cause, action and category key."""
    cause = incident.cause
    line = Text(" ")
    if cause is None:
        line.append("cause unknown: enter shows its messages", style="bold")
    else:
        line.append(clean(getattr(cause, "title", None) or "?"), style="bold")
        line.append(f" → {action(incident)}")
    line.append(f" · {where(incident)} · {incident.failures:,} failures · {clean(incident.key)}", style="dim")
    return line


def empty_text(analysis) -> Text:
    """What the list says when there is no incident, and why that may be."""
    if analysis is None:
        return Text(" No data loaded yet.")
    if analysis.incidents is None:
        return Text(" Incidents were not looked for in this load (it has no category breakdown).")
    text = Text(" No incidents: no category fails at one site or on one link far above the rest of the grid "
                "and that site's usual rate.", style="bold")
    reasons = []
    if not analysis.errors.traffic.num_rows:
        reasons.append("no traffic was counted with the failures (a Spark load or a list of paths has none): "
                       "without attempts there are no rates to compare")
    if analysis.baseline is None or not len(analysis.baseline):
        reasons.append("no baseline days before this selection: a site's usual rate is unknown, so only the "
                       "comparison with the grid is made")
    for reason in reasons:
        text.append(f"\n Maybe: {reason}.")
    return text


def section(incident: core.Incident, *, here: int, everywhere: int) -> Text:
    """The section a detail opened from an incident starts with: which incident, and that the sections
    below are the category's ``here`` failures at the incident's place, of its ``everywhere``."""
    text = Text()
    text.append("status   ", style="bold")
    text.append_text(status_text(incident.status))
    text.append("\nwhere    ", style="bold")
    text.append(where(incident))
    text.append("\nwhen     ", style="bold")
    text.append(f"{since(incident, with_date=True)} UTC")
    text.append("\nrate     ", style="bold")
    text.append(f"{incident.failures:,} failures of {incident.attempts:,} attempts = {percent(incident.failure_rate)}"
                f" (usual here {percent(incident.baseline_rate)}, other sites {percent(incident.grid_rate)})")
    if incident.hourly:
        text.append("\nhourly   ", style="bold")
        text.append(core.sparkline(incident.hourly), style="cyan")
    cause = incident.cause
    text.append("\ncause    ", style="bold")
    if cause is None:
        text.append("not in the knowledge base: the messages below say what it is")
    else:
        text.append(clean(getattr(cause, "title", None) or "?"))
        text.append("\naction   ", style="bold")
        text.append(action(incident))
    for name in ("explanation", "check"):
        value = getattr(cause, name, None)
        if value:
            text.append(f"\n{name:<8} ", style="bold")
            text.append(shorten(value, 2000))
    text.append(f"\nthe sections below are the category's {here:,} failures {at_place(incident)}, of its "
                f"{everywhere:,} at every site", style="dim italic")
    return text


def at_place(incident: core.Incident) -> str:
    """``at SITE as the destination``, ``on the link SRC → DST``; cleaned."""
    if incident.side == "link":
        return f"on the link {where(incident)}"
    side = f" as the {incident.side}" if incident.side in ("source", "destination") else ""
    return clean(f"at {incident.site}{side}")


def where_plain(incident: core.Incident) -> str:
    """The incident's place as a label starts with it (raw: the store keeps data as it is)."""
    return f"{incident.site} → {incident.other_site}" if incident.side == "link" else incident.site


def label_suggestion(incident: core.Incident, label: str | None) -> str:
    """``SITE: <what it is>``: the category's label, else the cause's title, else the pattern; a label that
    names the site already is kept as it is."""
    place = where_plain(incident)
    if label and place in label:
        return label
    what = label or getattr(incident.cause, "title", None) or incident.pattern.replace("<*>", " ").strip()
    return f"{place}: {what}"


_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def ticket_file_stem(incident: core.Incident) -> str:
    """``opint-ticket-KEY-SITE``: a file name made of safe characters only, whatever the site is called."""
    name = f"opint-ticket-{incident.key}-{where_plain(incident).replace(' → ', '-to-')}"
    return _UNSAFE_IN_NAME.sub("_", name).strip("._")[:120]


def literal_block(text: str) -> Text:
    """A multi-line text from the data (a ticket draft), shown literally."""
    return literal(text, keep_newlines=True)
