"""Integer codes of a string column: the one factorisation the clustering and Insight share."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def factorize_column(col) -> tuple[np.ndarray, pa.Array]:
    """(int32 code per row, -1 for null; the distinct non-null values) of a string column, Array
    or ChunkedArray, with one pass of pyarrow's hash kernel.

    A dictionary column (the compact Spark table) is factorised through its dictionary, without
    decoding it into one string per row."""
    if isinstance(col, pa.Array):
        col = pa.chunked_array([col])
    if len(col) == 0:
        return np.zeros(0, dtype=np.int32), pa.array([], pa.string())
    if pa.types.is_dictionary(col.type):
        col = col.unify_dictionaries()
        value_codes, values = factorize_column(col.chunk(0).dictionary)
        indices = pa.chunked_array([c.indices for c in col.chunks], type=col.type.index_type)
        rows = np.asarray(indices.fill_null(-1).to_numpy(), dtype=np.int64)
        return np.append(value_codes, np.int32(-1))[rows], values   # index -1 (null) stays -1
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = col.cast(pa.string())
    enc = pc.dictionary_encode(col)      # the chunks of the result share one dictionary
    indices = pa.chunked_array([c.indices for c in enc.chunks], type=enc.chunk(0).indices.type)
    codes = np.array(indices.fill_null(-1).to_numpy(), dtype=np.int32)   # a writable copy
    return codes, enc.chunk(enc.num_chunks - 1).dictionary
