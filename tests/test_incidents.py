"""Incident detection on hand-made archives whose every attempt is known: planted incidents of each kind
(destination, source, one link, a standing problem) among sites whose background fails evenly, with one
big healthy site; found with the right site, side, onset and status, and nothing else."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import opint_core as core
from archive_factory import day_dir, fts_record, lines, write_part

DAY = dt.date(2025, 11, 24)
SITES = [f"SITE{c}" for c in "ABCDEFGHIJ"]
BIG = "SITEA"                       # ten times the traffic of any other site, failing at the grid's rate
BACKGROUND = ("TRANSFER  Operation timed out after 300 seconds", 0.03)
PLANTS = {
    # kind: (message, site, partner, side, first hour, last hour, share of the attempts that fail)
    "destination": ("DESTINATION  [28] No space left on device", "SITEC", None, "destination", 9, 23, 0.4),
    "source": ("SOURCE  [2] No such file or directory", "SITED", None, "source", 14, 18, 0.35),
    "link": ("TRANSFER  [104] Connection reset by peer", "SITEE", "SITEF", "link", 6, 23, 0.6),
}
CHRONIC = ("TRANSFER  [13] Permission denied", "SITEG", 0.2)   # every day alike
# an error only some storages produce (as ClosedChannelException at dCache doors), every day alike: at its
# peers 4 %, at SITEJ 10 % -- far above every site's rate for it, yet ordinary among the sites that can have it
PEERS = ("DESTINATION  java.nio.channels.ClosedChannelException", {"SITEB": 0.04, "SITEH": 0.04, "SITEI": 0.04,
                                                                    "SITEJ": 0.10})


def _ms(day: dt.date, hour: int, minute: int) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc).timestamp() * 1000)


def _day_records(day: dt.date, rng: np.random.Generator, plants: dict, per_site: int = 600) -> list[dict]:
    weights = np.array([10.0 if s == BIG else 1.0 for s in SITES])
    n = int(per_site * weights.sum())
    src = rng.choice(len(SITES), n, p=weights / weights.sum())
    dst = rng.choice(len(SITES), n, p=weights / weights.sum())
    keep = src != dst
    busy = 480   # the link SITEE -> SITEF also carries a busy transfer stream of its own
    src = np.concatenate([src[keep], np.full(busy, SITES.index("SITEE"))])
    dst = np.concatenate([dst[keep], np.full(busy, SITES.index("SITEF"))])
    hours, minutes = rng.integers(0, 24, src.shape[0]), rng.integers(0, 60, src.shape[0])
    draw = rng.random(src.shape[0])
    records = []
    for s, d, h, m, u in zip(src.tolist(), dst.tolist(), hours.tolist(), minutes.tolist(), draw.tolist()):
        a, b = SITES[s], SITES[d]
        message = None
        for text, site, partner, side, first, last, share in plants.values():
            on_side = (side == "destination" and b == site) or (side == "source" and a == site) or \
                      (side == "link" and (a, b) == (site, partner))
            if on_side and first <= h <= last and u < share:
                message = text
        if message is None and CHRONIC[1] in (a, b) and u < CHRONIC[2] and b == CHRONIC[1]:
            message = CHRONIC[0]
        if message is None and rng.random() < PEERS[1].get(b, 0.0):
            message = PEERS[0]
        if message is None and rng.random() < BACKGROUND[1]:
            message = BACKGROUND[0]
        records.append(fts_record(message or "", 0 if message else 1, when_ms=_ms(day, h, m),
                                  src=f"se.{a.lower()}.example.org", dst=f"se.{b.lower()}.example.org",
                                  src_rse=f"{a}_DATADISK", dst_rse=f"{b}_DATADISK"))
    return records


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("incidents")
    rng = np.random.default_rng(5)
    for back in (2, 1):   # two baseline days without the plants, the standing problem on both
        write_part(day_dir(root, "fts", DAY - dt.timedelta(days=back)),
                   lines(_day_records(DAY - dt.timedelta(days=back), rng, {})))
    write_part(day_dir(root, "fts", DAY), lines(_day_records(DAY, rng, PLANTS)))
    return core.analyse(str(root), core.Selection.day(DAY), use_cache=False)


def _found(analysis, text):
    """The incidents of the category that holds the message ``text``."""
    messages = analysis.errors.table.column("message").to_pylist()
    row = messages.index(text)
    key = analysis.clustering.categories[int(analysis.clustering.category_of[row])].key
    return [i for i in analysis.incidents if i.key == key]


@pytest.mark.parametrize("kind", list(PLANTS))
def test_each_planted_incident_is_found_with_its_site_side_and_onset(planted, kind):
    text, site, partner, side, first, last, _ = PLANTS[kind]
    found = _found(planted, text)
    assert len(found) == 1, [i.title for i in found]
    incident = found[0]
    assert (incident.site, incident.side, incident.other_site) == (site, side, partner)
    assert abs(incident.onset.hour - first) <= 1 and incident.onset.date() == DAY
    assert incident.status == "new" and incident.baseline_failures == 0
    if last < 23:
        assert incident.end is not None and abs(incident.end.hour - (last + 1)) <= 1
    else:
        assert incident.end is None   # still failing at the end of the data
    assert incident.failure_rate > 5 * incident.grid_rate


def test_the_standing_problem_is_ongoing_and_nothing_else_is_reported(planted):
    chronic = _found(planted, CHRONIC[0])
    assert [(i.site, i.side, i.status) for i in chronic] == [(CHRONIC[1], "destination", "ongoing")]
    assert chronic[0].baseline_rate == pytest.approx(chronic[0].failure_rate, rel=0.35)
    assert len(planted.incidents) == len(PLANTS) + 1, [i.title for i in planted.incidents]


def test_the_big_healthy_site_raises_nothing(planted):
    assert not [i for i in planted.incidents if BIG in (i.site, i.other_site)]
    assert _found(planted, BACKGROUND[0]) == []   # the even background is no incident anywhere


def test_an_error_some_sites_produce_is_judged_against_those_sites(planted):
    assert _found(planted, PEERS[0]) == []        # 10 % at SITEJ against its peers' 4 %: no incident


def test_incidents_come_new_first_then_by_failures(planted):
    statuses = [i.status for i in planted.incidents]
    assert statuses == sorted(statuses, key=core.incidents.STATUSES.index)
    new = [i.failures for i in planted.incidents if i.status == "new"]
    assert new == sorted(new, reverse=True)


@pytest.mark.parametrize("kind", list(PLANTS))
def test_an_incidents_rows_are_its_category_at_its_place_and_restrict_the_insight(planted, kind):
    text, site, partner, side, *_ = PLANTS[kind]
    (incident,) = _found(planted, text)
    insight, g = planted.insight, incident.group
    rows = core.incident_rows(insight, incident)
    table = planted.errors.table
    src = np.array(table.column("src_site").to_pylist(), dtype=object)
    dst = np.array(table.column("dst_site").to_pylist(), dtype=object)
    in_category = np.asarray(planted.clustering.category_of) == g
    place = (src == site) & (dst == partner) if side == "link" else ((src if side == "source" else dst) == site)
    assert rows.tolist() == np.flatnonzero(in_category & place).tolist()   # counted apart from the core's
    assert 0 < rows.shape[0] <= int(insight.counts[g])

    here = insight.restricted(rows)
    assert int(here.counts[g]) == rows.shape[0] and int(here.counts.sum()) == rows.shape[0]
    assert here.shares[g] == pytest.approx(rows.shape[0] / insight.total)   # a share of the whole load
    assert here.window == insight.window and here.nbins == insight.nbins and here.rates is insight.rates
    detail = here.detail(g)
    column = "dst_site" if side == "destination" else "src_site"
    assert [v.value for v in detail.top[column]] == [site]                  # nowhere else
    assert sum(m.count for m in detail.messages) <= rows.shape[0] and detail.messages[0].message == text
    assert sum(here.timelines[g]) == rows.shape[0] and sum(t.count for t in detail.templates) == rows.shape[0]


def test_the_csv_report_lists_the_incidents_above_the_categories(planted):
    import csv
    import io

    text = core.render_report(core.build_report(planted), "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    records = [r["record"] for r in rows]
    n = len(planted.incidents)
    assert records == ["incident"] * n + ["category"] * (len(rows) - n) and len(rows) - n == len(planted.insight)
    for row, incident in zip(rows, planted.incidents):
        assert (row["key"], row["site"], row["side"], row["other_site"], row["incident_status"]) == \
               (incident.key, incident.site, incident.side, incident.other_site or "", incident.status)
        assert row["onset"] == incident.onset.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert (int(row["failures"]), int(row["attempts"])) == (incident.failures, incident.attempts)
        assert float(row["failure_rate"]) == pytest.approx(incident.failures / incident.attempts, abs=1e-6)
        assert row["action"] and row["count"] == "" and row["rank"] == str(rows.index(row) + 1)


# ---- the command line: the list and the ticket

@pytest.fixture(scope="module")
def planted_root(planted):
    return planted.report.archive


def _cli(capsys, *argv):
    from opint_tui.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_opint_incidents_prints_them_as_json(planted_root, capsys):
    import json

    code, out, _ = _cli(capsys, "incidents", "--archive", planted_root, "--date", str(DAY), "--format", "json")
    body = json.loads(out)
    assert code == 0 and body["days"] == [str(DAY)]
    found = {(i["site"], i["side"], i["other_site"], i["status"]) for i in body["incidents"]}
    assert found == {("SITEC", "destination", None, "new"), ("SITED", "source", None, "new"),
                     ("SITEE", "link", "SITEF", "new"), ("SITEG", "destination", None, "ongoing")}
    source = next(i for i in body["incidents"] if i["side"] == "source")
    assert source["onset"].startswith(f"{DAY}T1") and source["end"].endswith(":00:00Z")
    assert 0 < source["grid_rate"] < source["failure_rate"] <= 1 and source["attempts"] >= source["failures"]


def test_opint_incidents_text_and_markdown(planted_root, capsys):
    code, out, _ = _cli(capsys, "incidents", "--archive", planted_root, "--date", str(DAY))
    assert code == 0 and out.startswith("4 incidents in fts 2025-11-24")
    assert out.splitlines()[1].startswith("NEW ") and "ONGOING  SITEG (destination)" in out
    code, out, _ = _cli(capsys, "incidents", "--archive", planted_root, "--date", str(DAY), "--format", "md")
    assert code == 0 and "| new | SITEE → SITEF |" in out


def test_a_ticket_names_site_window_rates_and_messages(planted, planted_root, capsys):
    incident = _found(planted, PLANTS["destination"][0])[0]
    code, out, _ = _cli(capsys, "ticket", incident.key[:6], "--archive", planted_root, "--date", str(DAY))
    assert code == 0
    subject, blank, *body = out.splitlines()
    assert subject.startswith("SITEC: ") and "(destination) since 2025-11-24 09:00 UTC" in subject and blank == ""
    text = "\n".join(body)
    assert "Endpoints: se.sitec.example.org (" in text
    assert f"{incident.failures:,} of {incident.attempts:,} attempts" in text
    assert f"category {incident.key}" in text and "No space left on device" in text


def test_ticket_asks_for_the_site_when_a_key_has_several(planted, capsys, tmp_path):
    from opint_core.incidents import IncidentNotFound, find_incident

    incidents = planted.incidents
    two = [incidents[0], dataclasses_replace(incidents[0], site="OTHER")]
    with pytest.raises(IncidentNotFound, match="several sites"):
        find_incident(two, incidents[0].key)
    assert find_incident(two, incidents[0].key, "other").site == "OTHER"
    with pytest.raises(IncidentNotFound, match="no incident has the category key"):
        find_incident(incidents, "zzzz")


def dataclasses_replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def test_a_ticket_never_carries_terminal_escapes(planted):
    from opint_core.ticket import ticket_draft

    incident = _found(planted, PLANTS["source"][0])[0]
    hostile = dataclasses_replace(incident, pattern="\x1b]52;c;ZXZpbA==\x07 `rm -rf` \x1b[2J<script>")
    draft = ticket_draft(hostile, planted.insight)
    for text in (draft.subject, draft.text, draft.markdown):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\<script\\>" in draft.markdown
