"""Site columns in WLCG names: the loaded failures and their traffic with every site the site table knows
renamed to its WLCG site, so that CMS's T1_DE_KIT and the RSE FZK-LCG2_DATADISK count as one FZK-LCG2.

Applied by the pipeline after either backend has loaded (and after the day cache), so a changed site
table needs no reload and both backends name sites alike. Per side, the first name the table knows wins:
the site the loader derived (the archive's site name, else the RSE's), then the RSE, then the host; a
site no table knows keeps the derived name, and a record with none stays null (the traffic's
"(unknown)", which a known host can still name).
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from opint_core.sites.table import SiteTable

SIDES = (("src_site", "src_rse", "src_host"), ("dst_site", "dst_rse", "dst_host"))


def canonical_sites(table: pa.Table, sites: SiteTable) -> pa.Table:
    """``table`` (ErrorTable or traffic columns) with ``src_site``/``dst_site`` in WLCG names."""
    for site, rse, host in SIDES:
        if site not in table.column_names or not table.num_rows:
            continue
        derived = table.column(site)
        candidates = [derived] + [table.column(c) for c in (rse, host) if c in table.column_names]
        named = pc.coalesce(sites.first_canonical(*candidates), _combined(derived))
        table = table.set_column(table.schema.get_field_index(site), site, named.cast(table.schema.field(site).type))
    return table


def _combined(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if pa.types.is_dictionary(column.type):   # a compact (Spark) table's columns
        column = column.cast(pa.string())
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    return column
