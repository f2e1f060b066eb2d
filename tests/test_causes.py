"""The causes-and-actions knowledge base (issue 13, point 2): the shipped file, its coverage of real
FTS messages, its agreement with the clustering's known causes, the vectorised match against the
one-at-a-time reference, and a team's file (overrides, additions, every kind of broken file)."""
import csv
import os
import re
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import opint_core
from opint_core import cluster
from opint_core.causes import (ACTIONS, SIDES, Cause, CauseBase, CauseBaseError, default_cause_base, parse_causes,
                               shipped_causes)
from opint_core.clustering.categories import KNOWN_CAUSES, known_cause
from opint_core.config import load_config
from opint_core.first_match import re2_problem
from opint_core.sample_archive import FTS_TEMPLATES

FTS_10K = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "shared", "data", "fts-10k", "fts_10K.csv")

#: the catch-alls at the end of the file: a protocol's errors that no specific entry explains
FALLBACKS = {"gridftp_server_error", "xrootd_server_error", "srm_error"}


@pytest.fixture(scope="module")
def base() -> CauseBase:
    return default_cause_base()


@pytest.fixture(scope="module")
def fts_10k():
    """(messages, clustering) of the 10,000 real FTS messages."""
    if not os.path.exists(FTS_10K):
        pytest.skip(f"{FTS_10K} is not there (the shared data sets sit next to the checkout)")
    with open(FTS_10K, newline="", encoding="utf-8") as f:
        messages = [row["message"] for row in csv.DictReader(f)]
    return messages, cluster(messages)


# ---- the shipped file

def test_the_shipped_file_has_at_least_40_complete_entries(base):
    assert len(base) == len(shipped_causes()) >= 40
    assert len({c.id for c in base}) == len(base)
    for cause in base:
        for field in ("id", "title", "explanation", "side", "action", "check"):
            assert getattr(cause, field).strip(), (cause.id, field)
        assert cause.match and all(cause.match), cause.id
        assert cause.action in ACTIONS and cause.side in SIDES, cause.id
        assert cause.sources, f"{cause.id}: say where the knowledge comes from"
        assert len(cause.title) <= 40, cause.id
        assert cause.origin.startswith("shipped")


def test_every_action_and_several_sides_are_used(base):
    assert {c.action for c in base} == set(ACTIONS)
    assert {"source", "destination", "either", "link", "experiment"} <= {c.side for c in base}


def test_every_shipped_regex_compiles_in_re2_and_python(base):
    for cause in base:
        for pattern in cause.match:
            assert re2_problem(pattern) is None, (cause.id, pattern)
            compiled = re.compile(pattern, re.IGNORECASE)
            assert not compiled.search(""), (cause.id, pattern)


def test_the_public_api_is_exported():
    for name in ("Cause", "CauseBase", "CauseBaseError", "default_cause_base"):
        assert name in opint_core.__all__ and getattr(opint_core, name)
    assert issubclass(opint_core.CauseBaseError, opint_core.OpintError)


# ---- real data: coverage and spot checks

def _coverage(base, clustering, *, specific: bool) -> tuple[float, float]:
    """(share of messages, share of templates) that get a cause (a specific one: no catch-all)."""
    causes = base.match(clustering.templates)
    hit = np.array([c is not None and not (specific and c.id in FALLBACKS) for c in causes])
    counts = clustering.template_counts
    return counts[hit].sum() / counts.sum(), hit.mean()


def test_coverage_of_the_fts_10k_messages(base, fts_10k):
    # measured when written: 100 % of messages and of the 203 templates; without the catch-alls
    # 98.9 % of messages and 87.7 % of templates
    _, clustering = fts_10k
    messages, templates = _coverage(base, clustering, specific=False)
    assert messages >= 0.99 and templates >= 0.95
    messages, templates = _coverage(base, clustering, specific=True)
    assert messages >= 0.97 and templates >= 0.85


def test_coverage_of_the_fts_10k_categories(base, fts_10k):
    # measured: 76 of 79 categories, 99.7 % of messages (the three left are bare errno texts such as
    # "Invalid argument", which say nothing a shifter can act on)
    _, clustering = fts_10k
    causes = base.match([c.pattern for c in clustering.categories])
    counts = np.array([c.count for c in clustering.categories])
    hit = np.array([c is not None for c in causes])
    assert counts[hit].sum() / counts.sum() >= 0.99
    assert hit.mean() >= 0.9


@pytest.mark.parametrize("fragment,cause_id,action,side", [
    # the first real message that contains the fragment (DOMAIN §3.2 templates), its cause and action
    ("[SRM_EXCEED_ALLOCATION]", "space_token_full", "contact experiment data management", "destination"),
    ("[3010] Write permission denied", "permission_denied_destination", "ticket site", "destination"),
    ("Destination file exists and overwrite is not enabled", "destination_file_exists", "ignore", "experiment"),
    ("[SE][Ls][SRM_INVALID_PATH] No such file or directory", "source_file_missing", "ticket site", "source"),
    ("User defined checksum and source checksum do not match", "checksum_mismatch_source",
     "contact experiment data management", "source"),
    ("452 All pools are full", "pools_full", "ticket site", "destination"),
    ("421 Service busy: Connection limit exceeded", "service_busy", "wait", "either"),
    ("System error in connect: Connection refused", "connection_refused", "ticket site", "either"),
    ("Protocol not supported or path/url invalid", "protocol_not_supported", "contact experiment data management",
     "experiment"),
    ("Operation canceled from gfal2_cancel", "transfer_canceled", "ignore", "experiment"),
    ("[3009] Copy failed; unable to pass credentials", "tpc_credential_delegation_failed", "ticket site",
     "destination"),
    ("Disk quota exceeded", "quota_exceeded", "contact experiment data management", "destination"),
    ("This SURL does not exist in the original request", "srm_putdone_surl_not_in_request", "ticket site",
     "destination"),
    ("System error in bind: Address already in use", "address_already_in_use", "ticket site", "either"),
])
def test_known_real_messages_get_the_right_cause(base, fts_10k, fragment, cause_id, action, side):
    messages, clustering = fts_10k
    row = next(i for i, m in enumerate(messages) if fragment in m)
    for text in (messages[row], clustering.templates[clustering.template_of[row]]):
        cause = base.match([text])[0]
        assert (cause.id, cause.action, cause.side) == (cause_id, action, side), text


@pytest.mark.parametrize("message,cause_id", [
    # Rucio-side and 2020s forms and rarer ones (DOMAIN §3.2 rows 36-38, 46, 51, 22, 21, 7, 20), not in fts-10k
    ("TRANSFER [5] TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 507 : Insufficient Storage",
     "no_space_left"),
    ("DESTINATION [1] HTTP 403 : Permission refused", "permission_denied_destination"),
    ("SOURCE [1] HTTP 403 : Permission refused", "permission_denied_source"),
    ("SOURCE [112] Result curl error (56): Failure when receiving data from the peer after 1 attempts",
     "connection_lost"),
    ("Job has been canceled because it stayed in the queue for too long (max-time-in-queue timeout)",
     "queue_timeout"),
    ("TRANSFER CHECKSUM MISMATCH Source and destination checksums do not match 1a2b3c4d != 5e6f7a8b",
     "checksum_mismatch_destination"),
    ("Source and destination file size mismatch", "size_mismatch"),
    ("TRANSFER  globus_ftp_client: the server responded with an error 530 530-globus_xio: Server side credential "
     "failure  530-globus_gsi_gssapi: Error with GSI credential  530-     has expired 12 minutes ago.  530 End.",
     "server_certificate_expired"),
    ("TRANSFER  globus_ftp_control: gss_init_sec_context failed GSS Major Status: Unexpected Gatekeeper or Service "
     "Name globus_gsi_gssapi: Authorization denied: The name of the remote entity (/CN=a.example.org), and the "
     "expected name for the remote entity (/CN=b.example.org) do not match", "host_name_mismatch"),
    ("SOURCE SRM_GET_TURL error on the turl  request : [SE][StatusOfGetRequest][SRM_INTERNAL_ERROR] Pin operation "
     "timed out", "staging_timeout"),
    ("Destination file exists and is on tape", "destination_file_exists_on_tape"),
    ("TRANSFER  Transfer canceled because the gsiftp performance marker timeout of 360 seconds has been exceeded, "
     "or all performance markers during that period indicated zero bytes transferred", "performance_marker_timeout"),
    ("nothing anybody has seen before", None),
])
def test_documented_forms_get_the_right_cause(base, message, cause_id):
    cause = base.match([message])[0]
    assert (cause.id if cause else None) == cause_id


# ---- the vectorised match against the reference

def _same_as_reference(base, texts):
    assert base.match(texts) == [base.match_one(t) for t in texts]


def test_vectorised_match_equals_the_reference_on_fts_10k(base, fts_10k):
    messages, clustering = fts_10k
    assert len(clustering.templates) > 100
    _same_as_reference(base, clustering.templates)
    _same_as_reference(base, [c.pattern for c in clustering.categories])
    _same_as_reference(base, sorted(set(messages)))   # raw texts, variables and all


def test_vectorised_match_equals_the_reference_on_the_sample_archive(base, sample_analysis):
    _same_as_reference(base, sample_analysis.clustering.templates)
    _same_as_reference(base, list(FTS_TEMPLATES.values()))


_FRAGMENTS = ["Connection", "refused", "timed out", "No such file", "SOURCE", "DESTINATION ", "CHECKSUM", " MISMATCH",
              "permission denied", "[3010]", "[3011]", "HTTP 403", "HTTP 4030", "quota", "token", "audience", "é",
              "\u212a", "ſ", "\n", " ", "  ", "<*>", "x", "[SE][Mkdir][SRM_AUTHORIZATION_FAILURE]", "[1] ", "EOF",
              "ión", "Expir", " el tiempo de conexi", "CheckSum error", "] "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FRAGMENTS), max_size=8).map("".join), max_size=12))
def test_any_texts_get_the_reference_cause(texts):
    _same_as_reference(default_cause_base(), texts)


def test_hostile_patterns_do_not_crash(base):
    huge = "x" * 100_000 + " Connection refused"
    texts = [huge, "\x00\x01\x1b[31mPermission denied\x07", "\ud800 lone surrogate, No such file", "", "\r\n\t",
             "é" * 50_000 + "quota", "[" * 10_000]
    start = time.perf_counter()
    causes = base.match(texts)
    assert time.perf_counter() - start < 5
    assert [c.id if c else None for c in causes] == [
        "connection_refused", "permission_denied", "source_file_missing", None, None, "quota_exceeded", None]
    assert causes == [base.match_one(t) for t in texts]
    assert base.match([]) == []
    assert base.match([None]) == [None]   # a null pattern from a table column is no cause, not a crash


# ---- consistency with the clustering's known causes

#: canonical patterns of KNOWN_CAUSES that name a bare errno text, with nothing a shifter can act on
_NO_ACTION = {"gridftp_system_error_success", "invalid_argument", "is_a_directory", "unknown_error"}
#: where the template says more than its category: a temporary DNS failure is waited out, an unknown host is not
_FINER = {("dns_resolution_failed", "dns_temporary_failure")}


def test_every_known_cause_of_the_clustering_has_a_cause(base):
    for issue, pattern, _ in KNOWN_CAUSES:
        cause = base.match_one(pattern)
        assert (cause is None) == (issue in _NO_ACTION), (issue, pattern, cause and cause.id)


def test_a_template_gets_the_action_of_its_known_cause(base, fts_10k, sample_analysis):
    """Template and category agree on what to do: the knowledge base only splits a known cause where the
    template says more (which side, which credential)."""
    canonical = {issue: base.match_one(pattern) for issue, pattern, _ in KNOWN_CAUSES}
    templates = fts_10k[1].templates + sample_analysis.clustering.templates + list(FTS_TEMPLATES.values())
    checked = 0
    for template, cause in zip(templates, base.match(templates)):
        known = known_cause(template)
        if known is None or canonical[known[0]] is None or (known[0], cause.id) in _FINER:
            continue
        assert cause.action == canonical[known[0]].action, (template, known[0], cause.id)
        checked += 1
    assert checked > 150


# ---- a team's file

_TEAM = '''
[[cause]]
id = "kit_token_audience"
title = "KIT token audience"
match = 'Authentication failed.*gridka'
explanation = "KIT's WebDAV doors reject tokens whose audience is not theirs."
side = "destination"
action = "ticket site"
check = "the audience KIT's doors expect"
sources = ["team notes"]

[[cause]]
id = "destination_file_exists"
title = "Destination exists (team)"
match = ['file exists and overwrite', 'Destination file exists']
explanation = "Our team tells the experiment about these."
side = "experiment"
action = "contact experiment data management"
check = "the request in Rucio"
'''


def test_a_team_file_overrides_and_adds(tmp_path):
    path = tmp_path / "team.toml"
    path.write_text(_TEAM)
    base = default_cause_base(path)
    shipped = default_cause_base()
    assert len(base) == len(shipped) + 1
    ids = [c.id for c in base]
    assert ids[0] == "kit_token_audience"                       # new ids are tried first
    assert ids[1:] == [c.id for c in shipped]                   # a replaced entry keeps its place
    exists = base.get("destination_file_exists")
    assert exists.action == "contact experiment data management" and exists.origin == str(path)
    assert base.get("kit_token_audience").sources == ("team notes",)
    matched = base.match(["Authentication failed at webdav.gridka.de", "Authentication failed elsewhere",
                          "Destination file exists and overwrite is not enabled"])
    assert [c.id for c in matched] == ["kit_token_audience", "authentication_failed", "destination_file_exists"]
    assert matched[2].action == "contact experiment data management"
    assert shipped.get("destination_file_exists").action == "ignore"   # the shipped base is untouched


def test_the_config_names_the_team_file(tmp_path, monkeypatch):
    team = tmp_path / "team.toml"
    team.write_text(_TEAM)
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'causes = "{team}"\n')
    config = load_config(config_file)
    assert config.causes == str(team)
    assert default_cause_base(config.causes).causes[0].id == "kit_token_audience"
    config_file.write_text('causes = ""\n')
    with pytest.raises(opint_core.ConfigError, match="'causes'"):
        load_config(config_file)
    assert load_config(tmp_path / "none.toml").causes is None


def test_an_empty_team_file_adds_nothing(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("# nothing yet\n")
    assert [c.id for c in default_cause_base(path)] == [c.id for c in default_cause_base()]


_GOOD = dict(id='"mine"', title='"Mine"', match="'my error'", explanation='"e"', side='"source"',
             action='"wait"', check='"c"')


def _entry(**changes) -> str:
    fields = {**_GOOD, **changes}
    return "[[cause]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items() if v is not None)


@pytest.mark.parametrize("text,named,says", [
    ("[[cause]\nid = 'x'\n", None, "not valid TOML"),
    (_entry(check=None), "'mine'", "check missing"),
    (_entry(id=None), "entry 1", "id missing"),
    (_entry(action='"escalate"'), "'mine'", "action 'escalate' is not one of"),
    (_entry(side='"left"'), "'mine'", "side 'left' is not one of"),
    (_entry(match="'(unclosed'"), "'mine'", "is not a regular expression"),
    (_entry(match="'a(?=b)'"), "'mine'", "is not RE2 syntax"),
    (_entry(match=r"'(a)\1'"), "'mine'", "is not RE2 syntax"),
    (_entry(match="'a{,3}'"), "'mine'", "RE2 and Python read differently"),
    (_entry(match="'.*'"), "'mine'", "matches every text"),
    (_entry(match="[]"), "'mine'", "match is empty"),
    (_entry(match="['ok', 3]"), "'mine'", "match must be a string or a list"),
    (_entry(title='""'), "'mine'", "title must be a non-empty string"),
    (_entry(notes="3"), "'mine'", "notes must be a non-empty string"),
    (_entry(id='"Has Spaces"'), "entry 1", "is not a name"),
    (_entry(colour='"red"'), "'mine'", "unknown key 'colour'"),
    (_entry() + _entry(), "entry 2", "used by entry 1 too"),
    ("[[causes]]\nid = 'x'\n", None, "unknown key 'causes' at the top level"),
    ("cause = 3\n", None, "not a list of [[cause]] tables"),
])
def test_every_kind_of_bad_team_file_is_named(tmp_path, text, named, says):
    path = tmp_path / "team.toml"
    path.write_text(text)
    with pytest.raises(CauseBaseError) as caught:
        default_cause_base(path)
    error = caught.value
    assert str(path) in error.message and says in error.message, error.message
    if named:
        assert named in error.message, error.message
    assert error.remedy


def test_unreadable_missing_and_non_utf8_team_files_are_named(tmp_path):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"[[cause]]\nid = \"\xff\xfe\"\n")
    cases = [(binary, "line 2 of the cause file", "not UTF-8"),
             (tmp_path / "missing.toml", "the cause file", "does not exist"),
             (tmp_path, "cannot read the cause file", "")]   # a directory: unreadable as a file
    for path, where, says in cases:
        with pytest.raises(CauseBaseError) as caught:
            default_cause_base(path)
        assert str(path) in caught.value.message and where in caught.value.message and says in caught.value.message
        assert caught.value.remedy


def test_the_app_refuses_a_bad_cause_file_before_it_starts(tmp_path, capsys, monkeypatch):
    from opint_tui.cli import main

    team = tmp_path / "team.toml"
    team.write_text(_entry(action='"panic"'))
    config = tmp_path / "config.toml"
    config.write_text(f'causes = "{team}"\n')
    monkeypatch.setenv("COLUMNS", "1000")
    code = main(["--config", str(config), "--archive", str(tmp_path / "no-archive")])
    assert code == 2
    assert f"entry 1 ('mine') of the cause file {team}: action 'panic'" in capsys.readouterr().err


def test_parse_causes_keeps_file_order_and_optional_fields():
    causes = parse_causes(_entry() + _entry(id='"two"', phase='"staging"', sources="'DOMAIN §8.4'"), "here")
    assert [c.id for c in causes] == ["mine", "two"]
    assert causes[1] == Cause(id="two", title="Mine", match=("my error",), explanation="e", side="source",
                              action="wait", check="c", phase="staging", sources=("DOMAIN §8.4",), origin="here")
