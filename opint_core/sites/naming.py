"""Site columns in WLCG names: the loaded failures and their traffic with every site the site table knows
renamed to its WLCG site, so that CMS's T1_DE_KIT and ATLAS's FZK-LCG2 count as one FZK-LCG2.

Applied by the pipeline after either backend has loaded (and after the day cache), so a changed site
table needs no reload and both backends name sites alike. Each side's site is renamed by its value (the
site the loader derived: the archive's site name, else the RSE's site), once per distinct value; a site
no table knows keeps the derived name, a record with none stays without one. The value alone decides,
not the row's RSE or host: the Spark job's compact table does not keep which host went with which site.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from opint_core.sites.table import SiteTable

SITE_COLUMNS = ("src_site", "dst_site")


def canonical_sites(table: pa.Table, sites: SiteTable) -> pa.Table:
    """``table`` (ErrorTable or traffic columns) with ``src_site``/``dst_site`` in WLCG names."""
    for name in SITE_COLUMNS:
        if name not in table.column_names or not table.num_rows:
            continue
        column = table.column(name)
        derived = column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
        named = pc.coalesce(sites.canonical_array(derived), _combined(derived))
        table = table.set_column(table.schema.get_field_index(name), name, named.cast(column.type))
    return table


def _combined(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    return column
