"""Scale-out: the heavy scan as a Spark job (spark-submit to YARN on analytix, or local mode).

    errors = load_errors_spark(archive, selection, stream="fts", master="yarn")
    loaded = SparkBackend("local[2]").load(Request(archive, selection), with_baseline=True)
    analysis = opint_core.run(Request(archive, selection, spark_master="yarn"))   # the pipeline

The driver side (this package, minus ``job.py``) never imports pyspark: it resolves the selection
with opint's own Archive (the same days and files as the local loader, ``opint_core.load``), writes
a job spec (``spec.py``: the files per part, the fields, the failure filter and the masking rules
generated from opint's definitions), runs ``spark-submit job.py --spec …`` as a subprocess and
follows its progress (``runner.py``), then reads the small result back (``result.py``): per
template the counts per hour and per value of every column, first/last time and the most frequent
raw messages, for the selected days and, in the same scan, the baseline days of the trends
(``driver.py``).

The ErrorTables handed back are the compact tables of ``result.py``: each row stands for
``count`` failures, and clustering, Insight, trends and reports weight every count by it, so local
memory grows with the number of templates and values, not of failures. The pipeline clusters
their templates (``cluster_table``: the same template and category steps as ``cluster``), so the
templates, category keys and counts equal the local path's. ``expand=True`` (tests and
benchmarks only) returns one row per failure instead.

This package imports ``opint_core.load`` and the masking rules (``opint_core.clustering.masking``)
only: it returns tables, never an Analysis.
"""
from opint_core.spark.driver import (
    Part, SparkBackend, SparkRun, baseline_sources, errors_of, load_errors_spark, plan, run_parts, tables_of,
)
from opint_core.spark.runner import (
    DEFAULT_MASTER, INSTALL_REMEDY, LOCAL_MASTER, SparkError, find_spark_submit, spark_available,
)

__all__ = [
    "DEFAULT_MASTER", "INSTALL_REMEDY", "LOCAL_MASTER", "Part", "SparkBackend", "SparkError", "SparkRun",
    "baseline_sources", "errors_of", "find_spark_submit", "load_errors_spark", "plan", "run_parts",
    "spark_available", "tables_of",
]
