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
        if pa.types.is_dictionary(column.type):   # renamed per distinct value: the rows keep their codes
            named = _map_dictionary(column, lambda values: pc.coalesce(sites.canonical_array(values), values))
        else:
            named = pc.coalesce(sites.canonical_array(column), _combined(column))
        table = table.set_column(table.schema.get_field_index(name), name, named.cast(column.type))
    return table


def _combined(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    return column


def _map_dictionary(col: pa.ChunkedArray, fn) -> pa.ChunkedArray:
    """A dictionary column with ``fn`` (distinct values -> new values, an Array of strings) applied to
    its values: once per distinct value, never per row; the result has distinct dictionary values
    again (two values that ``fn`` maps alike share one entry)."""
    col = col.unify_dictionaries()
    if not col.num_chunks:
        return col
    mapped = pc.dictionary_encode(fn(col.chunk(0).dictionary))
    remap = mapped.indices
    chunks = [pa.DictionaryArray.from_arrays(remap.take(c.indices), mapped.dictionary) for c in col.chunks]
    return pa.chunked_array(chunks, col.type)
