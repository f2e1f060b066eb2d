"""The category step's combined pass over all templates gives the same known cause as the one-template,
one-rule-at-a-time reference (``known_cause``), so categories and keys do not change."""
import csv
import os

import pytest
from hypothesis import given, settings, strategies as st

from opint_core import cluster
from opint_core.sample_archive import FTS_TEMPLATES
from opint_core.clustering.categories import KNOWN_CAUSES, categorize, known_cause, known_cause_indices, \
    strip_wrappers
from opint_core.clustering.masking import EMPTY_PATTERN

FTS_10K = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "shared", "data", "fts-10k", "fts_10K.csv")


def _combined(templates: list[str]) -> list[str | None]:
    rules = known_cause_indices([strip_wrappers(t) for t in templates])
    return [KNOWN_CAUSES[r][0] if r >= 0 else None for r in rules]


def _reference(templates: list[str]) -> list[str | None]:
    return [(known_cause(t) or (None,))[0] for t in templates]


def _assert_same_causes_and_categories(templates: list[str]) -> None:
    assert _combined(templates) == _reference(templates)
    cats, patterns = categorize(templates)
    known_patterns = {p for _, p, _ in KNOWN_CAUSES}
    for t, c in zip(templates, cats):
        k = known_cause(t)
        if k is not None:
            assert patterns[c] == k[1], t
        elif t and t != EMPTY_PATTERN:
            assert patterns[c] not in known_patterns, t


def _fts_10k_messages() -> list[str]:
    if not os.path.exists(FTS_10K):
        pytest.skip(f"{FTS_10K} is not there (the shared data sets sit next to the checkout)")
    with open(FTS_10K, newline="", encoding="utf-8") as f:
        return [row["message"] for row in csv.DictReader(f)]


def test_fts_10k_templates_and_messages_get_the_reference_cause():
    messages = _fts_10k_messages()
    templates = cluster(messages).templates
    assert len(templates) > 50
    _assert_same_causes_and_categories(templates)
    _assert_same_causes_and_categories(sorted(set(messages)))   # raw texts, variables and all


def test_sample_archive_templates_get_the_reference_cause(sample_analysis):
    templates = sample_analysis.clustering.templates
    assert len(templates) > 20
    _assert_same_causes_and_categories(templates)
    _assert_same_causes_and_categories(list(FTS_TEMPLATES.values()))


@pytest.mark.parametrize("text,issue", [
    # a rule earlier in the table wins even when a later rule matches earlier in the text
    ("Connection timed out while opening; No such file or directory", "no_such_file"),
    ("Operation timed out. SRM_FILE_BUSY", "srm_file_busy"),
    # a line feed inside a text: each line is searched, as in a single search of that text
    ("first line\nConnection refused", "connection_refused"),
    ("Connection\nrefused", None),
    ("", None),
    ("nothing we know", None),
    # beyond ASCII RE2 and Python's re differ (\\w, \\b): such texts take the one-at-a-time path
    ("delegatión failed", "xrootd_tpc_credential_delegation_failed"),
    ("éEOF", None),
    ("Die Wartezeit für die Verbindung ist abgelaufen", "connection_timed_out"),
    ("\u212aeine Route zum Zielrechner", "no_route_to_host"),   # Kelvin sign K folds to k
])
def test_first_rule_in_table_order_wins(text, issue):
    assert _combined([text]) == [issue] == _reference([text])


def test_ascii_and_other_texts_keep_their_places():
    texts = ["éEOF", "Broken pipe", "delegatión failed", "EOF", "x", "Permiso denegado"]
    assert _combined(texts) == _reference(texts) == [
        None, "broken_pipe", "xrootd_tpc_credential_delegation_failed", "unexpected_end_of_file", None,
        "permission_denied"]


_FRAGMENTS = ["Connection", "refused", "timed out", "No such file", "SRM_FILE_BUSY", "EOF", "parent", "does not",
              "exist", "HTTP 404", "HTTP 4040", "quota", "checksum", "not supported", "[3011]", "delegat", "ion",
              "ión", "é", "\u212a", "ſ", "\n", " ", "  ", "_", "x", "-", "'", "in recv", "Operation", "Unauthorized"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FRAGMENTS), max_size=8).map("".join), max_size=12))
def test_any_texts_get_the_reference_cause(texts):
    assert _combined(texts) == _reference(texts)


def test_matches_do_not_run_from_one_template_into_the_next():
    # "Connection" ends one text and "refused" starts the next: neither is a connection_refused
    texts = ["Something Connection", "refused by someone", "x", "Broken pipe", "Broken", "pipe"]
    assert _combined(texts) == _reference(texts) == [None, None, None, "broken_pipe", None, None]


def test_word_boundaries_at_the_edges_of_each_text():
    texts = ["EOF", "xEOF", "EOFx", "unexpected EOF", "EOF"]
    assert _combined(texts) == _reference(texts)
    assert _combined(texts)[0] == "unexpected_end_of_file" and _combined(texts)[1] is None
