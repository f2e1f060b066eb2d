"""A ready-to-paste ticket for an incident, GGUS-style: subject, the affected site and its endpoints, the
time window in UTC, failures against attempts and the usual rates, the most frequent messages, the cause
hint and the opint category key; as plain text and as markdown.

Every text from the archive is made one safe line (control characters and terminal escapes removed, cut
when huge); the markdown puts messages in code spans fenced longer than any backtick run inside them.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.incidents import Incident, incident_rows
from opint_core.report import _plain

EXAMPLES = 3
HOSTS = 5
MESSAGE_CHARS = 600
SIDE_WORDS = {"source": "as the source of transfers", "destination": "as the destination of transfers"}


@dataclass(frozen=True)
class TicketDraft:
    subject: str
    text: str        # plain text: subject line, blank line, body
    markdown: str


def _top(table: pa.Table, column: str, rows: np.ndarray, n: int) -> list[tuple[str, int]]:
    if column not in table.column_names or not rows.shape[0]:
        return []
    values = table.column(column).take(pa.array(rows))
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    counts = pc.value_counts(values.drop_null() if hasattr(values, "drop_null") else values)
    pairs = [(v["values"], v["counts"]) for v in counts.to_pylist() if v["values"] is not None]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))[:n]


def _examples(insight, rows: np.ndarray) -> list[tuple[str, int]]:
    """One message of each of the most frequent templates among ``rows``, with the template's failures
    (messages differ by file names: one line per kind of message reads better than three files)."""
    if not rows.shape[0]:
        return []
    templates = np.asarray(insight.clustering.template_of)[rows]
    weights = None if insight.weights is None else insight.weights[rows]
    ids, first, inverse = np.unique(templates, return_index=True, return_inverse=True)
    counts = np.bincount(inverse.reshape(-1), weights=weights).astype(np.int64)
    best = np.lexsort((ids, -counts))[:EXAMPLES]
    messages = insight.table.column("message").take(pa.array(rows[first[best]])).to_pylist()
    return [(m or "", int(c)) for m, c in zip(messages, counts[best].tolist())]


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f} %"


def _utc(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def _where(incident: Incident) -> str:
    if incident.side == "link":
        return f"transfers from {incident.site} to {incident.other_site}"
    return f"{incident.site} {SIDE_WORDS.get(incident.side, '(side unknown)')}"


def ticket_draft(incident: Incident, insight, *, stream: str = "fts", selection: str = "") -> TicketDraft:
    """The ticket for ``incident`` of the analysis whose Insight is ``insight``."""
    rows = incident_rows(insight, incident)
    table = insight.table
    host_columns = {"source": ("src_host",), "destination": ("dst_host",)}.get(incident.side,
                                                                               ("src_host", "dst_host"))
    hosts = [pair for column in host_columns for pair in _top(table, column, rows, HOSTS)]
    examples = _examples(insight, rows)
    cause = incident.cause
    title = getattr(cause, "title", None) or _plain(incident.pattern, 80)
    site = incident.site if incident.side != "link" else f"{incident.site} -> {incident.other_site}"
    since = _utc(incident.onset)
    subject = _plain(f"{site}: {title} ({incident.side}) since {since}" if since else f"{site}: {title} ({incident.side})",
                     200)
    window = f"since {since}" + (f" until {_utc(incident.end)}" if incident.end else ", still failing at the last record")
    usual = (f"usual rate here {_percent(incident.baseline_rate)}" if incident.baseline_rate is not None
             else "no failures of this kind here before")
    facts = [
        ("Affected", _plain(_where(incident), 200)),
        ("Endpoints", ", ".join(f"{_plain(h, 120)} ({n:,} failures)" for h, n in hosts) or "-"),
        ("When", window),
        ("Failures", f"{incident.failures:,} of {incident.attempts:,} attempts ({_percent(incident.failure_rate)}); "
                     f"{usual}; other sites {_percent(incident.grid_rate)}"),
        ("Error", _plain(incident.pattern, MESSAGE_CHARS)),
    ]
    if cause is not None:
        facts.append(("Probable cause", _plain(getattr(cause, "explanation", ""), MESSAGE_CHARS)))
        if getattr(cause, "check", None):
            facts.append(("Please check", _plain(cause.check, MESSAGE_CHARS)))
    facts.append(("Reference", f"opint {stream} category {incident.key}" + (f", {_plain(selection, 80)}" if selection else "")))
    text_lines = [subject, ""] + [f"{name}: {value}" for name, value in facts]
    text_lines += ["", "Most frequent messages:"]
    text_lines += [f"  {n:,} x {_plain(m, MESSAGE_CHARS)}" for m, n in examples] or ["  -"]
    md_lines = [f"**{_md_text(subject)}**", ""] + [f"- **{name}:** {_md_text(value)}" for name, value in facts]
    md_lines += ["", "Most frequent messages:", ""]
    md_lines += [f"- {n:,} × {_code(_plain(m, MESSAGE_CHARS))}" for m, n in examples] or ["- -"]
    return TicketDraft(subject, "\n".join(text_lines) + "\n", "\n".join(md_lines) + "\n")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&!#])")


def _md_text(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    """A code span that holds ``text`` whatever backticks it has (CommonMark: a longer fence, padded)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"
