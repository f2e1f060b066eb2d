"""Loaded days kept as Parquet in the user cache dir, valid while the day's source files are unchanged.

Only final days are cached (a DD.tmp day is still being written), and only when every file of the
day could be read (a permission or I/O error may be gone next time: the loader checks). Beside the
day's failures (Parquet), its traffic (``opint_core.load.traffic``, an Arrow file). A manifest
beside each Parquet file records the source listing (path, size, mtime) and the per-file load
report, so a cached load reports the same skipped records as the first one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import platformdirs

from opint_core.atomic import replace_atomically
from opint_core.load.schema import ERROR_SCHEMA, TRAFFIC_SCHEMA

CACHE_FORMAT = 6  # bump when the ErrorTable columns or their derivation change (3: times out of range nulled;
#                   no day with an unreadable file cached; 4: the day's traffic table beside its failures;
#                   5: sites of RSEs not cut at their first "_": T2_UK_London_IC, SWT2_CPB;
#                   6: text columns dictionary-encoded; the day deduplicated, its traffic sorted, the
#                   failures it held twice in the manifest)


def default_cache_dir() -> Path:
    return Path(os.environ.get("OPINT_CACHE_DIR") or platformdirs.user_cache_dir("opint"))


class DayCache:
    def __init__(self, archive_uri: str, stream: str, directory: str | os.PathLike | None = None):
        digest = hashlib.sha1(archive_uri.encode()).hexdigest()[:12]
        self.dir = Path(directory or default_cache_dir()) / "days" / digest / stream

    def _paths(self, day: dt.date) -> tuple[Path, Path, Path]:
        return self.dir / f"{day}.parquet", self.dir / f"{day}.traffic.arrow", self.dir / f"{day}.json"

    def get(self, day: dt.date, signature: list) -> tuple[pa.Table, pa.Table, list[dict], int] | None:
        """The cached failures (each once), traffic, file reports and how many failures the files held
        twice; or None when absent, stale or unreadable."""
        data_path, traffic_path, manifest_path = self._paths(day)
        try:
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("format") != CACHE_FORMAT or manifest.get("sources") != signature:
                return None
            table, traffic = pq.read_table(data_path), feather.read_table(traffic_path)
        except (OSError, ValueError, pa.ArrowException):
            return None
        if table.schema != ERROR_SCHEMA or traffic.schema != TRAFFIC_SCHEMA:
            return None
        return table, traffic, manifest.get("files", []), int(manifest.get("duplicates", 0))

    def put(self, day: dt.date, signature: list, table: pa.Table, traffic: pa.Table, files: list[dict],
            duplicates: int = 0) -> None:
        """Best effort and atomic: a full or read-only cache dir only costs speed next time. The
        manifest goes last: it is what makes the day's files count."""
        data_path, traffic_path, manifest_path = self._paths(day)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            replace_atomically(data_path, lambda p: pq.write_table(table, p, compression="zstd"))
            replace_atomically(traffic_path, lambda p: feather.write_feather(traffic, p, compression="zstd"))
            manifest = {"format": CACHE_FORMAT, "day": str(day), "sources": signature, "files": files,
                        "duplicates": duplicates}
            replace_atomically(manifest_path, lambda p: Path(p).write_text(json.dumps(manifest)))
        except (OSError, pa.ArrowException):
            pass
