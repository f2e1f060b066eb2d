"""The ErrorTable: the loaded failures as one Arrow table, with the LoadReport of how the load went."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from opint_core.load.codes import factorize_column
from opint_core.load.reader import FileReport
from opint_core.load.schema import TRAFFIC_SCHEMA, row_weights
from opint_core.load.schema import failures as table_failures


@dataclass
class LoadReport:
    archive: str
    stream: str
    selection: str
    days: list[dt.date] = field(default_factory=list)
    final: bool = True
    files: list[FileReport] = field(default_factory=list)
    empty_files: list[str] = field(default_factory=list)
    cached_days: list[dt.date] = field(default_factory=list)
    seconds: float = 0.0
    duplicates: int = 0   # failures read more than once (the same transfer), counted once

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def failures(self) -> int:
        """The failures loaded: those of the files, each duplicate counted once."""
        return sum(f.failures for f in self.files) - self.duplicates

    @property
    def skipped(self) -> int:
        return sum(sum(f.skipped.values()) for f in self.files)

    @property
    def repaired(self) -> int:
        return sum(sum(f.repaired.values()) for f in self.files)

    def problems(self) -> list[FileReport]:
        """Files with anything skipped, repaired or damaged, worst first."""
        bad = [f for f in self.files if not f.clean]
        return sorted(bad, key=lambda f: (f.problem is None, -sum(f.skipped.values()), f.path))

    def skipped_by_reason(self) -> Counter:
        total = Counter()
        for f in self.files:
            total.update(f.skipped)
        return total


@dataclass
class ErrorTable:
    """The loaded failures (`table`, columns documented in opint_core.load.schema) and how the load went.

    A row is one failure, or in a compact table (a ``count`` column, the Spark path) ``count``
    failures: ``len()`` is the number of rows (what clusterings and indices refer to), ``failures``
    the number of failures (what a shifter is told).

    ``traffic``: every attempt of the load (failures and successes) counted per hour and key
    (TRAFFIC_SCHEMA, ``opint_core.load.traffic``); its failures sum to ``failures``. Empty when the
    backend does not count traffic."""

    table: pa.Table
    report: LoadReport
    traffic: pa.Table = field(default_factory=TRAFFIC_SCHEMA.empty_table)

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def weights(self) -> np.ndarray | None:
        """Failures per row (int64), or None when every row is one failure."""
        return row_weights(self.table)

    @property
    def failures(self) -> int:
        return table_failures(self.table)

    @property
    def messages(self) -> pa.ChunkedArray:
        """The message of each row as plain strings (the table holds them dictionary-encoded)."""
        column = self.table.column("message")
        return column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column


def top_values(table: pa.Table, column: str, n: int = 10) -> list[tuple[str, int]]:
    """The n most frequent non-null values of a column, with their failures (``count`` summed in a
    compact table)."""
    if not table.num_rows:
        return []
    codes, values = factorize_column(table.column(column))
    weights = row_weights(table)
    present = codes >= 0
    counts = np.bincount(codes[present], weights=None if weights is None else weights[present],
                         minlength=len(values)).astype(np.int64)
    pairs = [(v, int(c)) for v, c in zip(values.to_pylist(), counts.tolist()) if c]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))[:n]
