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
        dictionary = col.chunk(0).dictionary
        indices = pa.chunked_array([c.indices for c in col.chunks], type=col.type.index_type)
        # the values in the order the rows first use them, as for a plain column: whatever its
        # dictionary holds (values no row uses after a filter, another order), the codes are the same
        used = pc.drop_null(pc.unique(indices))
        value_codes, values = factorize_column(dictionary.take(used))
        code_of_index = np.full(len(dictionary) + 1, -1, dtype=np.int32)   # the last slot: null rows
        code_of_index[np.asarray(used.to_numpy(zero_copy_only=False), dtype=np.int64)] = value_codes
        rows = np.asarray(indices.fill_null(-1).to_numpy(), dtype=np.int64)
        return code_of_index[rows], values
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = col.cast(pa.string())
    enc = pc.dictionary_encode(col)      # the chunks of the result share one dictionary
    indices = pa.chunked_array([c.indices for c in enc.chunks], type=enc.chunk(0).indices.type)
    codes = np.array(indices.fill_null(-1).to_numpy(), dtype=np.int32)   # a writable copy
    return codes, enc.chunk(enc.num_chunks - 1).dictionary


def key_sums(keys: np.ndarray, weights: np.ndarray | None = None, size: int | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct ``keys``, sorted; per key its rows, or its summed ``weights`` (positive), int64):
    ``np.unique`` + ``bincount``, without the sort of millions of rows when the keys (non-negative,
    below ``size``) fit a dense count."""
    keys = np.asarray(keys, dtype=np.int64)
    dense = size is not None and size <= max(4 * keys.shape[0], 1 << 20) and (
        not keys.shape[0] or keys.min() >= 0)
    if not dense:
        distinct, inverse = np.unique(keys, return_inverse=True)
        sums = np.bincount(inverse.reshape(-1), weights=weights, minlength=distinct.shape[0])
        return distinct, sums.astype(np.int64)
    present = np.flatnonzero(np.bincount(keys, minlength=size))
    sums = np.bincount(keys, weights=weights, minlength=size)[present]
    return present.astype(np.int64), sums.astype(np.int64)
