"""The knowledge base: the shipped causes, with a team's file laid over them.

A later layer's entry with an id already known replaces that entry where it stands (the shipped order
puts specific causes before the generic ones they contain, and a replacement keeps that); entries with
new ids are tried before every earlier one, so a team's own, more specific causes win.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import resources

from opint_core.causes.cause import Cause
from opint_core.causes.reading import parse_causes, read_causes
from opint_core.first_match import first_match_indices, first_match_one

SHIPPED = "causes.toml"


class CauseBase:
    """Known causes in the order they are tried; ``match`` gives each pattern its first matching cause."""

    def __init__(self, *layers: Sequence[Cause]) -> None:
        ordered: list[Cause] = []
        for layer in layers:
            position = {cause.id: i for i, cause in enumerate(ordered)}
            added: list[Cause] = []
            for cause in layer:
                if cause.id in position:
                    ordered[position[cause.id]] = cause
                else:
                    added.append(cause)
            ordered = added + ordered
        self.causes: tuple[Cause, ...] = tuple(ordered)
        # one rule per cause: its patterns as one alternation, so that one pass tries them all
        self._rules = [re.compile("|".join(f"(?:{p})" for p in cause.match), re.IGNORECASE) for cause in ordered]
        self._by_id = {cause.id: cause for cause in ordered}

    def __len__(self) -> int:
        return len(self.causes)

    def __iter__(self) -> Iterator[Cause]:
        return iter(self.causes)

    def get(self, cause_id: str) -> Cause | None:
        return self._by_id.get(cause_id)

    def match(self, patterns: Sequence[str]) -> list[Cause | None]:
        """The first cause matching each pattern (a template or a category pattern), None where none does.

        Vectorised: each cause's rule runs once over all patterns not matched yet."""
        texts = [p if isinstance(p, str) else "" for p in patterns]
        return [self.causes[i] if i >= 0 else None for i in first_match_indices(texts, self._rules)]

    def match_one(self, pattern: str) -> Cause | None:
        """One pattern, one cause at a time: the reference ``match`` agrees with."""
        i = first_match_one(pattern, self._rules)
        return self.causes[i] if i >= 0 else None


@lru_cache(maxsize=1)
def shipped_causes() -> tuple[Cause, ...]:
    text = resources.files(__package__).joinpath(SHIPPED).read_text(encoding="utf-8")
    return tuple(parse_causes(text, f"shipped with opint ({SHIPPED})"))


def default_cause_base(user_file: str | os.PathLike | None = None) -> CauseBase:
    """The shipped causes, with the user's file (the config's ``causes`` setting) laid over them."""
    if user_file is None:
        return _shipped_base()
    return CauseBase(shipped_causes(), read_causes(user_file))


@lru_cache(maxsize=1)
def _shipped_base() -> CauseBase:
    return CauseBase(shipped_causes())
