"""Scope to an experiment: the failures of some VOs only.

A scope is a tuple of VO names, lower case (empty: every VO). A record's ``vo`` matches a name when
it is that name in any case, or starts with it and a slash (CMS writes ``cms`` or ``cms/...``). A
record without a VO is ``(unknown)``, which is a name like any other. Scoping filters a loaded
table, so the day cache keeps the whole day and switching the VO never reads the archive again.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opint_core.errors import OpintError
from opint_core.load.codes import factorize_column
from opint_core.load.schema import row_weights
from opint_core.load.table import ErrorTable

UNKNOWN_VO = "(unknown)"
ALL_VOS = "all"   # the word that means "no scope" (the app's choice; also accepted by --vo and the config)


class ScopeError(OpintError, ValueError):
    """A VO scope that selects no failure; the message lists the VOs present."""


def parse_vos(values: Iterable[str] | str | None) -> tuple[str, ...]:
    """The scope of ``values`` (names, each possibly comma-separated): lower case, each once, in the
    order given; () when none is given or one of them is "all"."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    names = [n.strip().lower() for value in values for n in value.split(",")]
    names = [n for n in names if n]
    if ALL_VOS in names:
        return ()
    return tuple(dict.fromkeys(names))


def vo_family(table: pa.Table) -> pa.ChunkedArray:
    """Per row, the VO as matched: lower case, up to its first slash, trimmed, ``(unknown)`` when blank."""
    vo = table.column("vo")
    if pa.types.is_dictionary(vo.type):   # once per distinct VO, then taken for the rows
        vo = vo.unify_dictionaries()
        if not vo.num_chunks:
            return pa.chunked_array([], pa.string())
        families = _family(vo.chunk(0).dictionary)
        return pa.chunked_array([families.take(c.indices).fill_null(UNKNOWN_VO) for c in vo.chunks], pa.string())
    return _family(vo)


def _family(vo):
    family = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(vo), r"/.*$", ""))
    return pc.fill_null(pc.if_else(pc.equal(family, ""), None, family), UNKNOWN_VO)


def vos_present(table: pa.Table) -> list[tuple[str, int]]:
    """The VOs of ``table`` (as matched) with their failures, most failures first."""
    if not table.num_rows:
        return []
    codes, values = factorize_column(vo_family(table))
    counts = np.bincount(codes, weights=row_weights(table), minlength=len(values)).astype(np.int64)
    pairs = [(v, int(c)) for v, c in zip(values.to_pylist(), counts.tolist()) if c]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def scope_table(table: pa.Table, vos: tuple[str, ...]) -> pa.Table:
    """The rows of ``table`` whose VO is in the scope ``vos`` (all of them for an empty scope)."""
    if not vos:
        return table
    return table.filter(pc.is_in(vo_family(table), value_set=pa.array(vos, pa.string())))


def scope_errors(errors: ErrorTable, vos: tuple[str, ...]) -> ErrorTable:
    """``errors`` scoped to ``vos``. A scope that leaves nothing of failures there were is a
    ScopeError listing the VOs present."""
    scoped = scope_table(errors.table, vos)
    if vos and not scoped.num_rows and errors.table.num_rows:
        present = ", ".join(f"{vo} ({n:,} failure{'s' if n != 1 else ''})" for vo, n in vos_present(errors.table))
        raise ScopeError(f"the VO scope {', '.join(vos)} matches no failure of {errors.report.stream} "
                         f"{errors.report.selection}: the VOs present are {present}",
                         f"scope with --vo (or the config file's vo setting) to VOs of that list, or to "
                         f"\"{ALL_VOS}\" for every VO")
    return ErrorTable(scoped, errors.report, scope_table(errors.traffic, vos))


def scope_baseline(baseline: ErrorTable | None, vos: tuple[str, ...]) -> ErrorTable | None:
    """The baseline days scoped like the selection (no error when nothing is left: no trend then)."""
    if baseline is None:
        return None
    return ErrorTable(scope_table(baseline.table, vos), baseline.report, scope_table(baseline.traffic, vos))
