"""cluster(): the two levels, stable keys, determinism, bad input."""
import random

import numpy as np
import pyarrow as pa
import pytest

from opint_core import Category, Clustering, cluster
from opint_core.clustering.categories import categorize, known_cause
from opint_core.clustering.keys import category_key

# hand-checked: 4 templates, 2 categories (the same SRM error under two gfal2 prefixes, and two
# XRootD permission errors are one issue with the SRM authorisation failure)
SRM = [
    "DESTINATION OVERWRITE srm-ifce err: Communication error on send, err: [SE][srmRm][] httpg://se{0}.example.ch:8446/srm/managerv2: CGSI-gSOAP running on fts70{0}.cern.ch reports Error reading token data header: Connection closed",
    "SOURCE CHECKSUM srm-ifce err: Communication error on send, err: [SE][srmRm][] httpg://se{0}.example.ch:8446/srm/managerv2: CGSI-gSOAP running on fts70{0}.cern.ch reports Error reading token data header: Connection closed",
]
PERM = [
    "Error on XrdCl::CopyProcess::Run(): [ERROR] Server responded with an error: [3010] Unable to create /eos/x/{0}.root; permission denied",
    "DESTINATION MAKE_PARENT srm-ifce err: Permission denied, err: [SE][Mkdir][SRM_AUTHORIZATION_FAILURE] httpg://se{0}.example.ch:8446/srm/managerv2: permission denied for /pnfs/{0}",
]


def _sample(seed=0):
    rng = random.Random(seed)
    msgs = []
    for i in range(40):
        msgs.append(rng.choice(SRM).format(rng.randint(1, 9)))
        msgs.append(rng.choice(PERM).format(rng.randint(100, 999)))
    return msgs


def test_interface_and_levels():
    msgs = _sample()
    r = cluster(msgs)
    assert isinstance(r, Clustering)
    n = len(msgs)
    assert r.template_of.dtype == np.int32 and r.template_of.shape == (n,)
    assert r.category_of.dtype == np.int32 and r.category_of.shape == (n,)
    assert len(r.templates) == 4
    assert len(r.categories) == 2
    assert all(isinstance(c, Category) for c in r.categories)
    assert r.template_counts.dtype == np.int64 and int(r.template_counts.sum()) == n
    assert r.template_category.dtype == np.int32
    # consistency of ids and counts
    assert np.array_equal(r.template_category[r.template_of], r.category_of)
    assert [c.count for c in r.categories] == np.bincount(r.category_of).tolist()
    assert sorted(t for c in r.categories for t in c.templates) == list(range(len(r.templates)))
    for c in r.categories:
        counts = [int(r.template_counts[t]) for t in c.templates]
        assert counts == sorted(counts, reverse=True)
    # the SRM messages share a category whatever the prefix; same for the permission errors
    srm_cats = {int(r.category_of[i]) for i, m in enumerate(msgs) if "token data header" in m}
    perm_cats = {int(r.category_of[i]) for i, m in enumerate(msgs) if "ermission denied" in m}
    assert len(srm_cats) == 1 and len(perm_cats) == 1 and srm_cats != perm_cats
    # templates keep the prefix and mask hosts
    assert any(t.startswith("SOURCE CHECKSUM srm-ifce err") and "<*>" in t for t in r.templates)
    # distinct strings exposed
    assert r.distinct_of.shape == (n,)
    assert [r.distinct_messages[d] for d in r.distinct_of] == msgs


def test_categories_sorted_by_count_then_key():
    r = cluster(_sample(3))
    order = [(-c.count, c.key) for c in r.categories]
    assert order == sorted(order)


def test_keys_are_stable_and_order_independent():
    msgs = _sample(1)
    a = cluster(msgs)
    shuffled = msgs[:]
    random.Random(5).shuffle(shuffled)
    b = cluster(shuffled)
    assert {c.key: (c.pattern, c.count) for c in a.categories} == \
        {c.key: (c.pattern, c.count) for c in b.categories}
    assert a.templates == b.templates
    assert [c.key for c in a.categories] == [c.key for c in b.categories]
    # same canonical pattern -> same key, on another input that holds the same problem
    c = cluster(msgs[:10] + ["something else entirely 42"])
    shared = {x.pattern: x.key for x in a.categories} | {}
    for cat in c.categories:
        if cat.pattern in shared:
            assert cat.key == shared[cat.pattern]
    assert category_key("a  <*><*> b") == category_key("a <*> b")
    assert category_key("x").startswith("c") and len(category_key("x")) == 13


def test_deterministic():
    msgs = _sample(2)
    a, b = cluster(msgs), cluster(list(msgs))
    assert np.array_equal(a.template_of, b.template_of)
    assert np.array_equal(a.category_of, b.category_of)
    assert a.templates == b.templates and a.categories == b.categories


def test_pyarrow_input_with_nulls():
    msgs = ["Operation timed out", None, "TRANSFER  Operation timed out", "", "x 1", "x 2"]
    for arr in (pa.array(msgs), pa.array(msgs, type=pa.large_string()),
                pa.chunked_array([msgs[:3], msgs[3:]])):
        r = cluster(arr)
        assert r.template_of.shape == (6,)
        assert r.templates[r.template_of[1]] == r.templates[r.template_of[3]] == "<empty>"
        assert r.template_of[4] == r.template_of[5]
        assert r.category_of[0] == r.category_of[2]
    assert np.array_equal(cluster(msgs).template_of, cluster(pa.array(msgs)).template_of)


_X = "x" * 4096                       # MAX_CHARS of a 100 kB message
_Y = " ".join(["y"] * 2048)            # "y " * 50_000 cut at MAX_CHARS, whitespace collapsed


# bad input -> (template of each message, category pattern of each message), checked by hand
@pytest.mark.parametrize("bad,templates,categories", [
    ([], [], []),
    ([""], ["<empty>"], ["<empty>"]),
    ([None, None], ["<empty>", "<empty>"], ["<empty>", "<empty>"]),
    # huge messages are cut at MAX_CHARS before masking; what lies beyond does not count
    (["x" * 100_000, "y " * 50_000, "Connection refused" + " " * 5000 + "at 12:00 on node 7"],
     [_X, _Y, "Connection refused"], [_X, _Y, "<*>Connection refused<*>"]),
    # control characters are blanks; non-ASCII letters and lone surrogates are text; unicode spaces collapse
    (["\x00\x01\x02", "caf\u00e9 \u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 \u2603 12", "\ud800 lone surrogate",
      "a\tb\r\nc\x0bd\x0ce\x7ff", "\u00a0\u2003 12 \u3000"],
     ["<empty>", "caf\u00e9 \u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 \u2603 <*>", "\ud800 lone surrogate", "a b c d e f", "<*>"],
     ["<empty>", "caf\u00e9 \u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 \u2603 <*>", "\ud800 lone surrogate", "a b c d e f", "<*>"]),
    # only variables; a literal <*> is one; brackets with nothing inside stay
    (["12345", "1.2.3.4", "srm://a.b.ch/x", "<*>", "[]", "()"],
     ["<*>", "<*>", "<*>", "<*>", "[]", "()"], ["<*>", "<*>", "<*>", "<*>", "[]", "()"]),
    # NaN is null; numbers and bytes are text (bytes decoded as UTF-8, bad bytes replaced)
    ([float("nan"), 42, b"bytes message 7", b"\xff\xfe broken \xc3( text 12"],
     ["<empty>", "<*>", "bytes message <*>", "\ufffd\ufffd broken \ufffd( text <*>"],
     ["<empty>", "<*>", "bytes message <*>", "\ufffd\ufffd broken \ufffd( text <*>"]),
])
def test_bad_input_gives_a_result(bad, templates, categories):
    r = cluster(bad)
    assert r.template_of.shape == (len(bad),)
    assert r.category_of.shape == (len(bad),)
    assert [r.templates[t] for t in r.template_of] == templates
    assert [r.categories[c].pattern for c in r.category_of] == categories
    assert int(r.template_counts.sum()) == len(bad)
    assert sum(c.count for c in r.categories) == len(bad)
    assert sorted(c.pattern for c in r.categories) == sorted(set(categories))
    for c in r.categories:
        assert c.key == category_key(c.pattern) and c.key.startswith("c") and len(c.key) == 13
        assert c.count == categories.count(c.pattern)


def test_markup_and_terminal_escapes_are_text():
    """Markup is neither interpreted nor stripped: the opening tag stays in the template; the category
    is the cause inside. (The closing tag looks like a path to the masker.) Terminal escapes lose
    their ESC, a control character."""
    msgs = ["[bold red]Connection refused[/bold red]", "\x1b[31mConnection refused\x1b[0m",
            "DESTINATION OVERWRITE Result HTTP 500 : <html><title>Internal Server Error</title></html> after 1 attempts"]
    r = cluster(msgs)
    t = [r.templates[i] for i in r.template_of]
    assert t[0].startswith("[bold red]Connection refused[")
    assert "\x1b" not in t[1] and t[1].startswith("[31mConnection refused ")
    assert t[2].startswith("DESTINATION OVERWRITE Result HTTP 500 : <html><title>Internal Server Error<")
    assert t[2].endswith(" after <*> attempts")
    assert [r.categories[c].pattern for c in r.category_of] == \
        ["<*>Connection refused<*>", "<*>Connection refused<*>", "<*>Internal server error<*>"]


def test_similarity_knob():
    templates = ["alpha beta gamma delta failed", "alpha beta gamma delta failed!"]
    assert len(set(categorize(templates, similarity=0.9)[0])) == 1
    assert len(set(categorize(templates, similarity=1.0)[0])) == 2


@pytest.mark.parametrize("text,issue", [
    ("TRANSFER [5] TRANSFER ERROR: Copy failed (3rd pull). Last attempt: copy HTTP 507 : Insufficient Storage",
     "no_free_space_on_storage_area"),
    ("DESTINATION [1] HTTP 403 : Permission refused", "permission_denied"),
    ("Result HTTP 404 : File not found after <*> attempts", "no_such_file"),
    ("Error on XrdCl::CopyProcess::Run(): [ERROR] Server responded with an error: [3011] No such file", "no_such_file"),
    ("TRANSFER globus_xio: Unable to connect to <*> globus_xio: System error in connect: Connection timed out globus_xio: A system call failed: Connection timed out",
     "connection_timed_out"),
    ("TRANSFER globus_xio: System error in recv: Connection timed out globus_xio: A system call failed: Connection timed out",
     "connection_timeout_during_transfer"),
    ("Job has been canceled because it stayed in the queue for too long", "job_stayed_in_queue_too_long"),
    ("SOURCE CHECKSUM Operation timed out", "operation_timed_out"),
])
def test_known_causes(text, issue):
    assert known_cause(text)[0] == issue


@pytest.mark.parametrize("english,localised", [
    # glibc strerror translations as MONIT stores them: non-ASCII letters dropped or turned into spaces
    ("Connection timed out", "Die Wartezeit f r die Verbindung ist abgelaufen"),
    ("Connection timed out", "Connessione scaduta"),
    ("Connection timed out", "La connexi  ha expirat"),
    ("Connection timed out", "Expir  el tiempo de conexi n"),
    ("Connection refused", "Verbindungsaufbau abgelehnt"),
    ("Connection refused", "Conexi n rehusada"),
    ("No route to host", "Keine Route zum Zielrechner"),
    ("No such file or directory", "Datei oder Verzeichnis nicht gefunden"),
    ("No such file or directory", "File o directory non esistente"),
    ("Permission denied", "Permiso denegado"),
])
def test_localised_system_errors_share_the_english_category(english, localised):
    template = ("TRANSFER globus_xio: Unable to connect to <*> globus_xio: System error in connect: {0} "
                "globus_xio: A system call failed: {0}")
    messages = [template.format(english).replace("<*>", f"se{i}.cern.ch:2811") for i in range(3)] + \
               [template.format(localised).replace("<*>", f"se{i}.desy.de:2811") for i in range(3)]
    result = cluster(messages)
    assert len(set(result.category_of.tolist())) == 1
    assert len(set(result.template_of.tolist())) == 2     # templates keep the two texts apart


def test_fts_two_levels_small_hand_checked_set():
    msgs = [
        "TRANSFER  globus_ftp_client: the server responded with an error 421 Service busy: Connection limit exceeded. Please try again later. Closing control connection.",
        "DESTINATION CHECKSUM globus_ftp_client: the server responded with an error 421 Service busy: Connection limit exceeded. Please try again later. Closing control connection.",
        "TRANSFER  globus_ftp_client: the server responded with an error 451 All pools are full",
        "TRANSFER  globus_ftp_client: the server responded with an error 452 All pools are full",
        "DESTINATION CHECKSUM Operation timed out",
        "TRANSFER  Operation timed out",
    ]
    r = cluster(msgs)
    t, c = r.template_of.tolist(), r.category_of.tolist()
    assert len(set(t)) == 6                      # prefixes and codes make different templates
    assert c[0] == c[1] and c[2] == c[3] and c[4] == c[5]
    assert len({c[0], c[2], c[4]}) == 3
