"""Failure rates (issue 12): failures set against the attempts of their site, side and link, from the
traffic the loader counts. Real part files throughout: hand-made archives with known attempts and
failures, and the sample archive checked against counts made from its raw files with gzip and json."""
from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

import opint_core as core
from archive_factory import day_dir, fts_record, lines, rucio_record, write_part
from conftest import SAMPLE_END
from opint_core.insight import Insight, Rates, SiteRate
from opint_core.load import ErrorTable, LoadReport
from opint_core.load.schema import UNKNOWN
from opint_core.report import build_report, render
from test_traffic import is_raw_failure, raw_records

DAY = dt.date(2025, 11, 24)
TIMEOUT = "TRANSFER  Operation timed out after 300 seconds"
DENIED = "DESTINATION  Permission denied: no write access to /store/data"


def _fts_day(tmp_path, records) -> str:
    write_part(day_dir(tmp_path, "fts", DAY), lines(records))
    return str(tmp_path)


def _transfers(n, failed, message=TIMEOUT, **where) -> list[dict]:
    """``n`` FTS transfers on one link, the first ``failed`` of them failed."""
    return [fts_record(message, flag=0 if i < failed else 1, **where) for i in range(n)]


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory):
    """3 failures of 1,000 transfers out of QUIET, 900 of 1,000 out of BROKEN: one category."""
    root = tmp_path_factory.mktemp("rates")
    records = (_transfers(1000, 3, src_rse="QUIET_DATADISK", dst_rse="SINK_DATADISK")
               + _transfers(1000, 900, src_rse="BROKEN_DATADISK", dst_rse="SINK_DATADISK"))
    return core.analyse(_fts_day(root, records), with_trends=False, use_cache=False)


def test_site_rates_of_known_attempts_and_failures(two_sites):
    rates = two_sites.insight.rates
    assert rates.attempts == 2000 and rates.failures == 903 == two_sites.errors.failures
    assert rates.site("QUIET") == SiteRate("QUIET", 1000, 3, 0, 0)
    assert rates.site("BROKEN") == SiteRate("BROKEN", 1000, 900, 0, 0)
    assert rates.site("SINK") == SiteRate("SINK", 0, 0, 2000, 903)
    assert rates.site("QUIET").failure_rate_out == 0.003 and rates.site("BROKEN").failure_rate_out == 0.9
    assert rates.site("QUIET").failure_rate_in is None   # no attempts: no rate, not 0 %
    assert [s.site for s in rates.sites()] == ["SINK", "BROKEN", "QUIET"]   # failures, out + in
    assert [(link.src_site, link.dst_site, link.attempts, link.failures, link.rate) for link in rates.links()] == [
        ("BROKEN", "SINK", 1000, 900, 0.9), ("QUIET", "SINK", 1000, 3, 0.003)]


def test_category_rates_at_each_site_of_each_side(two_sites):
    insight = two_sites.insight
    assert len(insight) == 1
    field = insight.report_fields()[0]
    assert field["top_src_sites"] == [["BROKEN", 900, 1000, 0.9], ["QUIET", 3, 1000, 0.003]]
    assert field["top_dst_sites"] == [["SINK", 903, 2000, 903 / 2000]]
    assert field["event_types"] == [["Error", 903]]
    cells = insight.category_site_rates("src_site").sort_by("site").to_pylist()
    assert cells == [{"group": 0, "site": "BROKEN", "failures": 900, "attempts": 1000, "rate": 0.9},
                     {"group": 0, "site": "QUIET", "failures": 3, "attempts": 1000, "rate": 0.003}]


def test_json_markdown_and_csv_reports_show_the_rates(two_sites):
    report = build_report(two_sites)
    data = json.loads(render(report, "json"))
    assert data["sites"][0] == {"site": "SINK", "attempts_out": 0, "failures_out": 0, "attempts_in": 2000,
                                "failures_in": 903, "failure_rate_out": None, "failure_rate_in": 0.4515}
    assert data["traffic"] == {"attempts": 2000, "failures": 903, "steps": []}
    assert data["categories"][0]["top_src_sites"][0] == ["BROKEN", 900, 1000, 0.9]
    md = render(report, "md")
    assert "BROKEN 900 (90.0 %), QUIET 3 (0.3 %)" in md
    assert "## Sites" in md and "| BROKEN | 900 | 1,000 | 90.0 % | 0 | 0 |  |" in md
    csv = render(report, "csv")
    assert "BROKEN:900 (90.0 %); QUIET:3 (0.3 %)" in csv and "Error:903" in csv


def test_rates_follow_manual_merges(tmp_path):
    records = (_transfers(100, 50, TIMEOUT, src_rse="SITEA_DATADISK", dst_rse="SITEB_DATADISK")
               + _transfers(40, 20, DENIED, src_rse="SITEC_DATADISK", dst_rse="SITEB_DATADISK"))
    analysis = core.analyse(_fts_day(tmp_path, records), with_trends=False, use_cache=False)
    cats = {c.pattern: c.key for c in analysis.clustering.categories}
    assert len(cats) == 2
    parent, child = analysis.clustering.categories[0].key, analysis.clustering.categories[1].key
    merged = Insight(analysis.errors, analysis.clustering, merges={child: parent})
    field = merged.report_fields()[0]
    assert field["count"] == 70
    assert field["top_src_sites"] == [["SITEA", 50, 100, 0.5], ["SITEC", 20, 40, 0.5]]
    assert field["top_dst_sites"] == [["SITEB", 70, 140, 0.5]]
    assert merged.category_site_rates("dst_site").to_pylist() == [
        {"group": 0, "site": "SITEB", "failures": 70, "attempts": 140, "rate": 0.5}]
    # the report of the merged categories: one row, the merged one's sites in it
    report = build_report(analysis, merges={child: parent})
    assert [c.top_src_sites for c in report.categories] == [[["SITEA", 50, 100, 0.5], ["SITEC", 20, 40, 0.5]]]


def test_a_table_without_traffic_has_no_rates(tmp_path):
    records = _transfers(10, 4, src_rse="SITEA_DATADISK", dst_rse="SITEB_DATADISK")
    loaded = core.load_errors(_fts_day(tmp_path, records), core.Selection.day(DAY), use_cache=False)
    by_hand = ErrorTable(loaded.table, LoadReport("file:///x", "fts", "a day", days=[DAY]))   # traffic: empty
    analysis = core.analyse_errors(by_hand, with_trends=False)
    insight = analysis.insight
    assert insight.rates is None and Rates.of(None) is None
    assert insight.category_site_rates("src_site") is None
    assert insight.report_fields()[0]["top_src_sites"] == [["SITEA", 4, None, None]]
    report = build_report(analysis)
    data = json.loads(render(report, "json"))
    assert data["sites"] is None and data["traffic"] is None
    md = render(report, "md")
    assert "SITEA (4)" in md and "## Sites" not in md
    assert "SITEA:4" in render(report, "csv")
    # a Spark-style table of the same failures, given traffic explicitly: the rates come back
    assert Insight(by_hand, analysis.clustering, traffic=loaded.traffic).rates.site("SITEA").attempts_out == 10


def test_records_without_a_site_count_at_unknown(tmp_path):
    records = (_transfers(6, 2, file_metadata=None)                    # no RSE: no site on either side
               + _transfers(4, 1, src_rse="SITEA_DATADISK", dst_rse="SITEB_DATADISK"))
    analysis = core.analyse(_fts_day(tmp_path, records), with_trends=False, use_cache=False)
    rates = analysis.insight.rates
    assert rates.site(UNKNOWN) == SiteRate(UNKNOWN, 6, 2, 6, 2)
    sites = json.loads(render(build_report(analysis), "json"))["sites"]
    assert [s["site"] for s in sites] == [UNKNOWN, "SITEA", "SITEB"]
    assert sum(s["attempts_out"] for s in sites) == sum(s["attempts_in"] for s in sites) == 10
    cells = analysis.insight.category_site_rates("src_site").sort_by("site").to_pylist()
    assert [(c["site"], c["failures"], c["attempts"]) for c in cells] == [(UNKNOWN, 2, 6), ("SITEA", 1, 4)]


def _rucio(event_type, n, **extra) -> list[dict]:
    reason = "TRANSFER [70] TRANSFER  globus_ftp_client: 421 Service busy" if "fail" in event_type else ""
    return [rucio_record(reason, event_type, **extra) for _ in range(n)]


def test_rucio_rates_count_the_events_that_end_an_attempt(tmp_path):
    """Queued and submitted are steps of a transfer whose end (done, failed) comes as another event:
    left out of the attempts. A failed submission ends its attempt, a deletion of a missing file too."""
    deletion = {"src_rse": None, "src_url": None, "dst_rse": None, "dst_url": None, "rse": "SITEB_DATADISK",
                "url": "davs://se2.example.org:443/c/d"}
    records = (_rucio("transfer-queued", 10) + _rucio("transfer-submitted", 9) + _rucio("transfer-done", 7)
               + _rucio("transfer-failed", 2) + _rucio("transfer-submission_failed", 1)
               + _rucio("deletion-done", 5, **deletion) + _rucio("deletion-failed", 1, **deletion)
               + _rucio("deletion-not-found", 1, **deletion))
    write_part(day_dir(tmp_path, "rucio", DAY), lines(records))
    analysis = core.analyse(str(tmp_path), stream="rucio", with_trends=False, use_cache=False)
    rates = analysis.insight.rates
    assert rates.failures == analysis.errors.failures == 4     # every failure is an attempt
    assert rates.attempts == 10 + 7                            # transfers 7+2+1, deletions 5+1+1
    assert rates.steps == [("transfer-queued", 10), ("transfer-submitted", 9)]
    assert rates.site("SITEA") == SiteRate("SITEA", 10, 3, 0, 0)
    assert rates.site("SITEB") == SiteRate("SITEB", 0, 0, 17, 4)
    assert rates.site(UNKNOWN) == SiteRate(UNKNOWN, 7, 1, 0, 0)   # deletions have no source
    report = build_report(analysis)
    [category] = report.categories
    assert dict(category.event_types) == {"transfer-failed": 2, "transfer-submission_failed": 1, "deletion-failed": 1}
    assert category.top_dst_sites == [["SITEB", 4, 17, 4 / 17]]
    md = render(report, "md")
    assert "Event types: transfer-failed 2, " in md
    assert "Not counted as attempts (steps of one, whose end is counted): transfer-queued 10, transfer-submitted 9." in md


# --- the Done-when test: the sample archive's report against its raw files -----------------------

# Written out here, not taken from opint: the Rucio events that end an attempt (see rates.py).
RUCIO_ENDS = {"transfer-done", "transfer-failed", "transfer-submission_failed", "stagein-done", "stagein-failed",
              "deletion-done", "deletion-failed", "deletion-not-found"}


def _identity(stream: str, data: dict):
    """What makes two failures one (DOMAIN: a record read twice): FTS tr_id and completion time;
    Rucio request id, event type and creation time. None: never merged."""
    if stream == "fts":
        return (data.get("tr_id"), data.get("tr_timestamp_complete")) if data.get("tr_id") else None
    return (data.get("request_id"), data.get("event_type"), data.get("created_at")) if data.get("request_id") else None


def _raw_counts(root, stream: str, day) -> tuple[int, int, int]:
    """(attempts, failures, events left out) of one day, from the part files read with gzip + json:
    a failure read twice counts once."""
    attempts = failures = steps = 0
    seen = set()
    for data in raw_records(root, stream, [day]):
        failed = is_raw_failure(stream, data)
        if failed:
            identity = _identity(stream, data)
            if identity is not None and identity in seen:
                continue
            seen.add(identity)
        if stream == "fts" or failed or data.get("event_type") in RUCIO_ENDS:
            attempts += 1
            failures += failed
        else:
            steps += 1
    return attempts, failures, steps


@pytest.mark.parametrize("stream", ["fts", "rucio"])
def test_report_sites_add_up_to_the_raw_records(sample_root, stream):
    attempts, failures, steps = _raw_counts(sample_root, stream, SAMPLE_END)
    analysis = core.analyse(sample_root, stream=stream, with_trends=False, use_cache=False)
    data = json.loads(render(build_report(analysis), "json"))
    sites = data["sites"]
    assert sum(s["attempts_out"] for s in sites) == sum(s["attempts_in"] for s in sites) == attempts
    assert sum(s["failures_out"] for s in sites) == sum(s["failures_in"] for s in sites) == failures
    assert failures == data["failures"] == analysis.errors.failures
    assert data["traffic"]["attempts"] == attempts and sum(n for _, n in data["traffic"]["steps"]) == steps
    assert [(-(s["failures_out"] + s["failures_in"]), s["site"]) for s in sites] == sorted(
        (-(s["failures_out"] + s["failures_in"]), s["site"]) for s in sites)
    for s in sites:
        for side in ("out", "in"):
            a, f, r = s[f"attempts_{side}"], s[f"failures_{side}"], s[f"failure_rate_{side}"]
            assert 0 <= f <= a and (r is None if a == 0 else r == f / a)


def test_cli_json_report_has_the_sites(sample_root, tmp_path, capsys):
    from opint_tui.cli import main

    assert main(["report", "--archive", sample_root, "--format", "json", "--no-cache", "--top", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["categories"]) == 2
    assert set(data["sites"][0]) == {"site", "attempts_out", "failures_out", "attempts_in", "failures_in",
                                     "failure_rate_out", "failure_rate_in"}
    assert sum(s["failures_out"] for s in data["sites"]) == data["failures"]
    site, count, attempts, rate = data["categories"][0]["top_src_sites"][0]
    assert isinstance(site, str) and 0 < count <= attempts and rate == count / attempts
    assert data["categories"][0]["event_types"] == [["Error", data["categories"][0]["count"]]]


def test_rates_of_an_empty_traffic_table_and_of_steps_only():
    from opint_core.load.schema import TRAFFIC_SCHEMA

    assert Rates.of(TRAFFIC_SCHEMA.empty_table()) is None
    hour = dt.datetime(2025, 11, 24, 12, tzinfo=dt.timezone.utc)
    row = {"hour": hour, "event_type": "transfer-submitted", "src_site": "A", "dst_site": "B", "src_host": "h",
           "dst_host": "h", "src_rse": "A_X", "dst_rse": "B_X", "vo": "atlas", "activity": "x", "attempts": 3,
           "failures": 0}
    rates = Rates(pa.Table.from_pylist([row], schema=TRAFFIC_SCHEMA))
    assert rates.attempts == 0 and rates.sites() == [] and rates.steps == [("transfer-submitted", 3)]
