"""The Arrow memory pool of this process: jemalloc where pyarrow has it.

pyarrow's default pool on Linux wheels is mimalloc, which in our loads is several times slower as
soon as threads allocate concurrently (measured on 2 cores: a day's Parquet cache read in 10.3 s with
mimalloc, 2.9 s with jemalloc; the same holds for the JSON part files). An explicit choice of the user
(``ARROW_DEFAULT_MEMORY_POOL``) is left alone.
"""
from __future__ import annotations

import os

import pyarrow as pa

_DECAY_MS = 1000   # unused pages back to the system after a second: peak RSS follows the live data


def use_fast_memory_pool() -> None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pool = pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowException):   # a pyarrow built without jemalloc
        return
    pa.set_memory_pool(pool)
    try:
        pa.jemalloc_set_decay_ms(_DECAY_MS)
    except (NotImplementedError, pa.ArrowException):
        pass


use_fast_memory_pool()   # on import (opint_core.load imports this first), before any table is made
