"""Stable category keys: a function of the canonical pattern only."""
from __future__ import annotations

import hashlib
import re

_WS_RE = re.compile(r"\s+")


def normalise_pattern(pattern: str) -> str:
    """The form that is hashed: whitespace collapsed, runs of adjacent wildcards as one."""
    p = _WS_RE.sub(" ", pattern or "").strip()
    while "<*><*>" in p:
        p = p.replace("<*><*>", "<*>")
    return p


def category_key(pattern: str) -> str:
    """``"c"`` + 12 hex characters of blake2b over the normalised pattern (UTF-8)."""
    digest = hashlib.blake2b(normalise_pattern(pattern).encode("utf-8", "surrogatepass"),
                             digest_size=6).hexdigest()
    return "c" + digest
