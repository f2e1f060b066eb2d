"""The traffic table: every attempt read (failures and successes), counted per hour and per
(event type, source and destination site, host and RSE, VO, activity) -- what a failure count is
measured against ("920 failures at FZK-LCG2" out of how many?). Columns: TRAFFIC_SCHEMA.

Counted while loading, vectorised: each part file's records grouped with pyarrow (``count_traffic``),
the files' counts then summed by the same keys (``combine_traffic``). A failure dropped as a duplicate
(``opint_core.load.duplicates``) is taken off the traffic too (``without_duplicates``), so that the
traffic's failures are the ErrorTable's. Successes carry no identity that the loader keeps, so a
success read twice counts twice (MONIT's compaction duplicates are rare, and would need the ids of
every success kept to find).
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from opint_core.load.schema import TRAFFIC_KEYS, TRAFFIC_SCHEMA, UNKNOWN

_COUNTS = [("failed", "sum"), ("failed", "count")]
# While a load counts, the string keys are dictionary-encoded: grouping by integer codes is ~5x faster
# than by ten strings, and the files' tables are folded often (TrafficSum). Plain strings
# (TRAFFIC_SCHEMA) again in what the loader hands on and caches.
_TEXT_KEYS = TRAFFIC_KEYS[1:]


def count_traffic(records: pa.Table, failed: pa.Array) -> pa.Table:
    """The traffic of ``records`` (ERROR_SCHEMA columns, one row per attempt); ``failed``: which are failures."""
    return plain_traffic(count_traffic_encoded(records, failed))


def count_traffic_encoded(records: pa.Table, failed: pa.Array) -> pa.Table:
    """``count_traffic`` with its string keys dictionary-encoded (for ``TrafficSum``)."""
    keys = {"hour": pc.floor_temporal(records.column("time"), unit="hour")}
    for name in _TEXT_KEYS:
        column = records.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(pa.string())
        keys[name] = pc.dictionary_encode(pc.fill_null(column, UNKNOWN))   # never dropped: "(unknown)"
    keys["failed"] = pc.cast(failed, pa.int64())
    grouped = pa.table(keys).group_by(list(TRAFFIC_KEYS), use_threads=False).aggregate(_COUNTS)
    return _as_traffic(grouped, "failed_count", "failed_sum", encoded=True)


def combine_traffic(tables: list[pa.Table]) -> pa.Table:
    """The traffic of several tables (files, days) as one: counts summed per key (TRAFFIC_SCHEMA)."""
    return plain_traffic(_combine(tables))


def _combine(tables: list[pa.Table]) -> pa.Table:
    """The counts of ``tables`` (plain or encoded keys) summed per key, keys encoded (one table: as it is)."""
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return TRAFFIC_SCHEMA.empty_table()
    if len(tables) == 1:
        return tables[0]
    combined = pa.concat_tables([_encoded(t) for t in tables]).unify_dictionaries()
    grouped = combined.group_by(list(TRAFFIC_KEYS), use_threads=False).aggregate(
        [("attempts", "sum"), ("failures", "sum")])
    return _as_traffic(grouped, "attempts_sum", "failures_sum", encoded=True)


def _encoded(traffic: pa.Table) -> pa.Table:
    columns = [pc.dictionary_encode(c) if name in _TEXT_KEYS and not pa.types.is_dictionary(c.type) else c
               for name, c in zip(traffic.column_names, traffic.columns)]
    return pa.Table.from_arrays(columns, schema=_ENCODED_SCHEMA)


def plain_traffic(traffic: pa.Table) -> pa.Table:
    """``traffic`` in TRAFFIC_SCHEMA: its keys plain strings."""
    if traffic.schema == TRAFFIC_SCHEMA:
        return traffic
    return pa.Table.from_arrays([c.cast(f.type) for c, f in zip(traffic.columns, TRAFFIC_SCHEMA)],
                                schema=TRAFFIC_SCHEMA)


class TrafficSum:
    """Traffic tables summed as they come (one per file): folded into one whenever the tables not yet
    folded hold more rows than the sum so far (and a floor), so that memory follows the distinct keys
    rather than the files, at a few group-bys per day."""

    FOLD_ROWS = 200_000

    def __init__(self):
        self.tables: list[pa.Table] = []
        self.unfolded = 0   # rows in the tables added since the last fold

    def add(self, traffic: pa.Table) -> None:
        self.tables.append(traffic)
        self.unfolded += traffic.num_rows
        if len(self.tables) > 1 and self.unfolded > max(self.FOLD_ROWS, self.tables[0].num_rows):
            self.tables, self.unfolded = [_combine(self.tables)], 0

    def total(self) -> pa.Table:
        return combine_traffic(self.tables)


def without_duplicates(traffic: pa.Table, duplicates: pa.Table) -> pa.Table:
    """``traffic`` less the failures of ``duplicates`` (ERROR_SCHEMA rows dropped as read twice)."""
    if not duplicates.num_rows:
        return traffic
    dropped = count_traffic(duplicates, pa.repeat(pa.scalar(True), duplicates.num_rows))
    negated = dropped.set_column(dropped.schema.get_field_index("attempts"), "attempts",
                                 pc.negate(dropped.column("attempts")))
    negated = negated.set_column(negated.schema.get_field_index("failures"), "failures",
                                 pc.negate(negated.column("failures")))
    combined = combine_traffic([traffic, negated])
    return combined.filter(pc.greater(combined.column("attempts"), 0))


def sorted_traffic(traffic: pa.Table) -> pa.Table:
    """In key order (hour first): the same load gives the same table, row for row."""
    return traffic.sort_by([(k, "ascending") for k in TRAFFIC_KEYS]) if traffic.num_rows else traffic


def _as_traffic(grouped: pa.Table, attempts: str, failures: str, encoded: bool = False) -> pa.Table:
    columns = [grouped.column(k) for k in TRAFFIC_KEYS] + [grouped.column(attempts), grouped.column(failures)]
    schema = _ENCODED_SCHEMA if encoded else TRAFFIC_SCHEMA
    return pa.Table.from_arrays([pc.cast(c, f.type) for c, f in zip(columns, schema)], schema=schema)


_ENCODED_SCHEMA = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in _TEXT_KEYS else f
                             for f in TRAFFIC_SCHEMA])
