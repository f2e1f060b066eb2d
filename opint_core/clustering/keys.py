"""Stable category keys: a function of the canonical pattern only."""
from __future__ import annotations

import hashlib

from opint_core.clustering.masking import collapse_wildcards


def normalise_pattern(pattern: str) -> str:
    """The form that is hashed: whitespace collapsed, runs of adjacent wildcards as one."""
    return collapse_wildcards(" ".join((pattern or "").split()))


def category_key(pattern: str) -> str:
    """``"c"`` + 12 hex characters of blake2b over the normalised pattern (UTF-8)."""
    digest = hashlib.blake2b(normalise_pattern(pattern).encode("utf-8", "surrogatepass"),
                             digest_size=6).hexdigest()
    return "c" + digest
