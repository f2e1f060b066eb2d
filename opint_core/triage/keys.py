"""A category key as a shifter types it: whole, or a unique start of it; an unknown one is refused with
the closest keys there are (a typo in a key would otherwise write an annotation nothing ever shows)."""
from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from opint_core.errors import OpintError

CLOSEST = 3


class UnknownKey(OpintError, LookupError):
    """No known key (or more than one) answers to what was typed; the remedy names the candidates."""


def resolve_key(typed: str, known: Iterable[str], *, what: str = "the loaded categories or the store") -> str:
    """The key of ``known`` that ``typed`` is, or starts uniquely (case does not matter)."""
    keys = sorted(set(known))
    wanted = typed.strip().lower()
    if wanted in {k.lower() for k in keys}:
        return next(k for k in keys if k.lower() == wanted)
    starts = [k for k in keys if wanted and k.lower().startswith(wanted)]
    if len(starts) == 1:
        return starts[0]
    if len(starts) > 1:
        raise UnknownKey(f"{typed!r} starts several keys: {', '.join(starts[:10])}", "give more of the key")
    closest = [k for k, _, _ in process.extract(wanted, keys, scorer=fuzz.ratio, limit=CLOSEST)] if wanted else []
    hint = f"the closest: {', '.join(closest)}; " if closest else ""
    raise UnknownKey(f"no category key {typed!r} in {what}",
                     f"{hint}keys are in reports, `opint incidents` and the app's detail; --force writes it anyway")
