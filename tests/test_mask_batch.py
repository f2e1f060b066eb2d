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
