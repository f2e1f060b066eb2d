"""mask_many() — the vectorised masking of many messages — gives exactly mask() of each."""
import os
import random
import sys

import pyarrow as pa
import pytest

from opint_core.clustering import mask_batch
from opint_core.clustering.mask_batch import mask_many
from opint_core.clustering.masking import EMPTY_PATTERN, mask

sys.path.insert(0, os.path.dirname(__file__))
from spark_helpers import fuzz_messages  # noqa: E402
from test_masking import CASES  # noqa: E402

SEEDS = [raw for raw, _ in CASES]


@pytest.fixture
def small_batches(monkeypatch):
    """Many small batches: the token cache is shared across them."""
    monkeypatch.setattr(mask_batch, "_BATCH", 97)


def test_fuzz_corpus_mixed_ascii_and_unicode(small_batches):
    raws = fuzz_messages(SEEDS, n=3000, seed=11)
    assert mask_many(raws) == [mask(r) for r in raws]


def test_fuzz_corpus_printable_ascii_only(small_batches):
    """Only the vectorised path (no message takes the per-message path)."""
    raws = [r for r in fuzz_messages(SEEDS, n=6000, seed=12) if r.isascii() and r.isprintable()]
    assert len(raws) > 1000
    assert mask_many(raws) == [mask(r) for r in raws]


def test_token_edges_in_random_order(small_batches):
    """Codes, units and neighbours glued, spaced, leading and trailing, in many combinations."""
    words = ["HTTP", "HTTP/1.1", "error", "errno", "errno:", "ERRNO", "451", "500-x", "End.", "End",
             "404", "12", "1024", "KB", "bytes", "(1.0", "KB)", "[3011]", "No", "[70]", "x=[100]",
             "Jun", "17", "20:55:06", "at:Jun", "/DC=ch/CN=a", "b", "2019-10-07", "12:00:00", "<1",
             "sec", "-1", "+3", "0x1f", "deadbeef", "34e01164", "root://a.b.ch:1094//x).",
             "srm://se.ch/p?SFN=/x;", "https://h.ch:443/p,", "<*>", "<*><*>", "a"]
    rnd = random.Random(4)
    raws = [" " * rnd.randint(0, 2) + " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 7)))
            + " " * rnd.randint(0, 2) for _ in range(4000)]
    assert mask_many(raws) == [mask(r) for r in raws]


def test_arrow_input_with_nulls_and_chunks():
    raws = SEEDS * 3 + [None, "", "   ", "a\tb", "é 12"]
    expected = [mask(r) for r in raws]
    arr = pa.array(raws, type=pa.string())
    assert mask_many(arr) == expected
    assert mask_many(pa.chunked_array([arr[:10], arr[10:]])) == expected
    assert expected[-5:-2] == [EMPTY_PATTERN] * 3


def test_small_and_odd_inputs():
    assert mask_many([]) == []
    assert mask_many(iter(["a 1", "b"])) == ["a <*>", "b"]
    long = "x" * 5000 + " 12"
    raws = [long, "ok 5"] * 40
    assert mask_many(raws) == [mask(r) for r in raws]


def _glued(prevs, pres, cores, sufs, nexts):
    return sorted({" ".join(t for t in (p, a + c + s, n) if t)
                   for p in prevs for a in pres for c in cores for s in sufs for n in nexts})


GLUED = _glued(["", "HTTP", "error", "errno", "x", "Fri"],
               ["", "x=", "size:", "a/", "(", "[", "-", "<"],
               ["1024", "1.5", "17", "451", "2019-10-07", "12:00:00", "Jun", "[3011]", "0x1f", "530-x"],
               ["", ",", ")"],
               ["", "bytes", "KB", "B", "(1.0", "KB)", "17", "20:55:06", "End.", "No", "b"])


def test_values_glued_to_a_prefix_mask_as_mask_does_in_small_lists():
    """Fewer than _MIN_BATCH messages take the per-message path: a number glued to a prefix
    (x=17, size:1024, a/17) still joins the unit after it into one size, as in mask()."""
    assert mask("x=17 B") == "x=<*>" and mask("size:1024 bytes") == "size:<*>" and mask("x=17 KB") == "x=<*>"
    for small in (["x=17 B"], ["size:1024 bytes", "ok"], ["x=17 KB"] * 3, ["x a/17 B"]):
        assert mask_many(small) == [mask(m) for m in small]
    assert mask_many(["x=17 B", "x=17 KB", "size:1024 bytes (1.0 KB)"]) == ["x=<*>", "x=<*>", "size:<*>"]
    chunk = mask_batch._MIN_BATCH - 1
    out = [r for k in range(0, len(GLUED), chunk) for r in mask_many(GLUED[k:k + chunk])]
    assert out == [mask(m) for m in GLUED]


def test_values_glued_to_a_prefix_mask_as_mask_does_in_batches(small_batches):
    assert len(GLUED) > 10_000
    assert mask_many(GLUED) == [mask(m) for m in GLUED]


FILLER = [f"transfer {i} failed" for i in range(70)]


@pytest.mark.parametrize("messages", [
    # a code keyword, or a unit, that is the first token of the batch (the first word the batch sees)
    ["error 451 All pools are full"] + FILLER,
    ["HTTP 404 File not found"] + FILLER,
    ["KB free on disk"] + FILLER + ["used 12 KB"],
    ["End. 500 End."] + FILLER,
    # a bracketed code that ends the last message: nothing follows it
    FILLER + ["Server responded with an error: [3011]"],
    # few messages (the per-message path): a code that starts a message, a keyword that ends it
    ["500 Internal error"],
    ["404 not found over HTTP", "x 12 KB"],
], ids=["first-error", "first-http", "first-unit", "first-end", "last-bracket", "small-code-first",
        "small-http-last"])
def test_the_first_and_last_tokens_of_a_batch(messages):
    assert mask_many(messages) == [mask(m) for m in messages]


def test_the_first_and_last_tokens_mask_as_a_person_expects():
    assert mask("error 451 All pools are full") == "error 451 All pools are full"
    assert mask("used 12 KB") == "used <*>"
