"""opint's Spark job: the heavy scan of a selection of archive days, run where the data is.

    spark-submit [--master yarn|local[2]] job.py --spec spec.json

Self-contained on purpose: spark-submit ships this one file, and neither the driver nor the
executors have opint's packages, only pyspark and the standard library. Everything opint-specific
comes in the spec (written by ``opint_core.spark.spec``): the part files of each part (the
selected days, and the baseline days for trends), which JSON fields to read, the failure filter
and the masking rules, generated from opint's own definitions.

What it does, in one scan of the files:

1. read the JSON lines (every field as text, coerced like opint's reader), keep the failures of the
   stream and map them to opint's ErrorTable columns (as ``opint_core.load.records`` does); mark
   the failures read more than once (the same transfer, as ``opint_core.load.duplicates``): they
   count as records of their files, not again as failures;
2. one aggregation over a small explosion of each record: per file the records, failures and
   damaged lines; per distinct message its failures, and per (message, column, value) -- the hour
   being one of the columns, with the first and last time in it -- the failures;
3. mask each distinct message once: ASCII text with ``regexp_replace`` of the masking regex in
   Java syntax (the same matches as Python's ``re`` on ASCII), anything else with Python's ``re``
   and the very same pattern text (a UDF, for the few non-ASCII messages only);
4. per masked string (the template): the count per hour (with the first and last time in it), per
   value of every column, and the most frequent raw messages; and per traffic key (hour, sites, VO
   ...; ``opint_core.load.traffic``) the attempts and failures of every record; JSON lines in
   ``<out>/result``.

Progress and the outcome go to stdout as ``OPINT {json}`` lines, read by the opint process.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time

# The ErrorTable columns the job counts per template (besides time and message); the driver reads
# them from here (opint_core.spark.result), so that there is one list.
DIMENSIONS = ("error_code", "error_category", "event_type", "scope", "phase", "src_host", "dst_host",
              "src_rse", "dst_rse", "src_site", "dst_site", "vo", "activity")


def emit(event: str, **fields) -> None:
    """One progress/outcome line for the opint process."""
    sys.stdout.write("OPINT " + json.dumps(dict(event=event, **fields), sort_keys=True) + "\n")
    sys.stdout.flush()


def python_mask(spec: dict):
    """``opint_core.clustering.masking.mask`` rebuilt from the spec's patterns (stdlib only)."""
    # This repeats masking.normalize, mask_normalized and collapse_wildcards on purpose: the file is
    # shipped alone to the executors, which have no opint. The regexes themselves come from the
    # spec (one definition, in masking.py); tests/test_spark.py checks that both mask alike.
    rx = re.compile(spec["python"], spec["python_flags"])
    ctrl = re.compile(spec["ctrl_python"])
    adjacent = re.compile(spec["adjacent_python"])
    keep, wildcard, empty, max_chars = spec["keep_group"], spec["wildcard"], spec["empty"], spec["max_chars"]

    def sub(m):
        k = m.group(keep)
        return k if k is not None else wildcard

    def mask(message):
        if not message:
            return empty
        if len(message) > max_chars:
            message = message[:max_chars]
        if not message.isprintable() and ctrl.search(message):
            message = ctrl.sub(" ", message)
        text = " ".join(message.split())
        if not text:
            return empty
        text = rx.sub(sub, text)
        if wildcard + wildcard in text:
            text = adjacent.sub(wildcard, text)
        return text

    return mask


# ------------------------------------------------------------------------------------ Spark side
def _progress_thread(sc, phase: list, stop: threading.Event) -> threading.Thread:
    """Polls the status tracker: tasks done/total of the current phase's jobs."""
    tracker = sc.statusTracker()

    def run():
        last = None
        while not stop.wait(0.5):
            name = phase[0]
            done = total = 0
            try:
                for jid in tracker.getJobIdsForGroup(name):
                    job = tracker.getJobInfo(jid)
                    for sid in (job.stageIds if job else []):
                        stage = tracker.getStageInfo(sid)
                        if stage is not None:
                            done += stage.numCompletedTasks
                            total += stage.numTasks
            except Exception:  # noqa: BLE001 - progress is best effort; the job goes on
                continue
            if (name, done, total) != last and total:
                last = (name, done, total)
                emit("progress", phase=name, done=done, total=total)

    t = threading.Thread(target=run, name="opint-progress", daemon=True)
    t.start()
    return t


def _struct(fields: dict):
    """Every leaf as text: Spark's JSON reader gives the text of a number, boolean or object."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(name, _struct(sub) if isinstance(sub, dict) else T.StringType(), True)
                         for name, sub in fields.items()])


def _schema(fields: dict):
    """The read schema: ``data`` parsed by the reader, every other object (``metadata``,
    ``data.file_metadata``) kept as text and parsed apart (``_object``), so that an object of the
    wrong type nulls that object only -- as opint's reader does -- not the whole record."""
    from pyspark.sql import types as T

    def flat(spec: dict):
        return T.StructType([T.StructField(name, T.StringType(), True) for name in spec])

    top = [T.StructField(name, flat(sub) if name == "data" else T.StringType(), True) for name, sub in fields.items()]
    return T.StructType(top + [T.StructField("_corrupt_record", T.StringType(), True)])


def _object(col, fields: dict):
    """A JSON object read as text, parsed (null when it is not an object)."""
    from pyspark.sql import functions as F

    return F.from_json(col, _struct(fields))


def _read(spark, files: list[str], schema):
    """The records of ``files`` and the file of each. A line that does not parse is tried again
    once its bytes that are not UTF-8 are replaced by U+FFFD (opint's reader does the same):
    ``non_utf8`` marks the lines so repaired, ``_corrupt_record`` those still malformed. One scan:
    the second parse runs only on the lines that failed the first."""
    from pyspark.sql import functions as F

    raw = (spark.read.schema(schema).option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", "_corrupt_record")
           .json(files))
    line = F.col("_corrupt_record")
    failed = line.isNotNull()
    text = F.decode(F.encode(line, "UTF-8"), "UTF-8")   # through a Java String: U+FFFD
    again = F.from_json(text, schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"})
    fields = [n for n in schema.fieldNames() if n != "_corrupt_record"]
    return raw.select(
        F.input_file_name().alias("file"),
        *[F.when(failed, again[n]).otherwise(F.col(n)).alias(n) for n in fields],
        F.when(failed, again["_corrupt_record"]).alias("_corrupt_record"),
        (failed & again["_corrupt_record"].isNull() & (text != line)).alias("non_utf8"))


def _int(c):
    """Text -> int64 as opint's reader coerces JSON values: integers, integral floats, booleans."""
    from pyspark.sql import functions as F

    s = F.trim(c)
    as_double = s.cast("double")
    return (F.when(s.rlike(r"^[-+]?[0-9]+$"), s.cast("long"))
            .when(s.rlike(r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
                  & (as_double == F.floor(as_double)), as_double.cast("long"))
            .when(s == "true", F.lit(1).cast("long"))
            .when(s == "false", F.lit(0).cast("long")))


def _blank(c):
    from pyspark.sql import functions as F

    return F.when(c != "", c)


def _with(df, **columns):
    """df plus named columns. Each step is its own projection: an expensive expression (a JSON
    parse, a regex) used several times below is computed once (Spark does not inline a non-cheap
    expression into several places of the next projection)."""
    return df.select("*", *[c.alias(name) for name, c in columns.items()])


def _failure_time(own_ms, meta_ms, rx: dict):
    """(time, time out of range) as opint_core.load.records.failure_times: the record's own time,
    else MONIT's, a time outside the years 1-9999 counting as none; and whether the time that would
    have been used was such a time."""
    from pyspark.sql import functions as F

    def in_range(ms):
        return ms.between(F.lit(rx["time_min_ms"]), F.lit(rx["time_max_ms"]))

    used = F.coalesce(own_ms, meta_ms)
    time = F.coalesce(F.when(in_range(own_ms), own_ms), F.when(in_range(meta_ms), meta_ms))
    return time, used.isNotNull() & ~in_range(used)


def _map_stream(df, stream: str, rx: dict, fields: dict):
    """(df with helper columns, failure flag, {column: expression}, time out of range): time (epoch
    ms), message, the transfer id and the dimension columns, as opint_core.load.records.to_error_table
    maps them."""
    from pyspark.sql import functions as F

    d, c = F.col("data"), F.col

    def site(site_name, rse, cms):
        from_rse = F.coalesce(_blank(cms), _blank(F.regexp_extract(rse, rx["rse_site"], 1)))
        return from_rse if site_name is None else F.coalesce(_blank(site_name), from_rse)

    def cms(rse):
        return F.regexp_extract(rse, rx["cms_site"], 1)

    df = _with(df, _meta=_object(c("metadata"), fields["metadata"]))
    if stream == "fts":
        df = _with(df, _fm=_object(d["file_metadata"], fields["data"]["file_metadata"]))
        df = _with(df, _meta_ms=_int(c("_meta.timestamp")), _flag=_int(d[rx["failure_field"]]),
                   _done_ms=_int(d["tr_timestamp_complete"]), _src_rse=_blank(c("_fm.src_rse")),
                   _dst_rse=_blank(c("_fm.dst_rse")), _fm_activity=c("_fm.activity"))
        df = _with(df, _src_cms=cms(c("_src_rse")), _dst_cms=cms(c("_dst_rse")))
        failed = F.coalesce(c("_flag") == F.lit(0), F.lit(False))
        time, wild_time = _failure_time(c("_done_ms"), c("_meta_ms"), rx)
        cols = {
            "time": time,
            "message": d["t__error_message"],
            "transfer_id": _blank(d["tr_id"]),
            "error_code": _blank(d["t_error_code"]),
            "error_category": _blank(d["tr_error_category"]),
            "event_type": _blank(d["t_final_transfer_state"]),
            "scope": _blank(d["tr_error_scope"]),
            "phase": _blank(d["t_failure_phase"]),
            "src_host": _blank(d["src_hostname"]),
            "dst_host": _blank(d["dst_hostname"]),
            "src_rse": c("_src_rse"), "dst_rse": c("_dst_rse"),
            "src_site": site(d["src_site_name"], c("_src_rse"), c("_src_cms")),
            "dst_site": site(d["dst_site_name"], c("_dst_rse"), c("_dst_cms")),
            "vo": _blank(d["vo"]),
            "activity": _blank(F.coalesce(_blank(d["activity"]), c("_fm_activity"))),
        }
        return df, failed, cols, wild_time
    event, reason = d["event_type"], d["reason"]
    df = _with(df, _iso=_iso_parts(d["created_at"], rx))
    df = _with(df, _meta_ms=_int(c("_meta.timestamp")), _time=_parse_times(c("_iso"), d["created_at"], rx),
               _deletion=F.coalesce(event.startswith("deletion"), F.lit(False)),
               _l0=F.when(reason.rlike(rx["l0_wrapper"]), F.array(F.regexp_extract(reason, rx["l0_wrapper"], 1),
                                                                    F.regexp_extract(reason, rx["l0_wrapper"], 2))),
               _src_host=F.regexp_extract(d["src_url"], rx["host_of_url"], 1),
               _dst_host=F.regexp_extract(d["dst_url"], rx["host_of_url"], 1),
               _url_host=F.regexp_extract(d["url"], rx["host_of_url"], 1),
               _rse=_blank(d["rse"]), _src_rse=_blank(d["src_rse"]), _dst_rse_field=_blank(d["dst_rse"]))
    # a deletion has one place, the RSE deleted from: shown on the destination side
    df = _with(df, _dst_rse=F.when(c("_deletion"), F.coalesce(c("_rse"), c("_dst_rse_field")))
               .otherwise(c("_dst_rse_field")))
    df = _with(df, _src_cms=cms(c("_src_rse")), _dst_cms=cms(c("_dst_rse")))
    failed = F.coalesce(event.rlike(rx["failure_regex"]), F.lit(False))
    time, wild_time = _failure_time(c("_time"), c("_meta_ms"), rx)
    cols = {
        "time": time,
        "message": reason,
        "transfer_id": _blank(d["request_id"]),
        "error_code": _blank(c("_l0")[1]),
        "error_category": F.lit(None).cast("string"),
        "event_type": _blank(event),
        "scope": _blank(c("_l0")[0]),
        "phase": F.lit(None).cast("string"),
        "src_host": _blank(c("_src_host")),
        "dst_host": F.when(c("_deletion"), F.coalesce(_blank(c("_url_host")), _blank(c("_dst_host"))))
        .otherwise(_blank(c("_dst_host"))),
        "src_rse": c("_src_rse"), "dst_rse": c("_dst_rse"),
        "src_site": site(None, c("_src_rse"), c("_src_cms")),
        "dst_site": site(None, c("_dst_rse"), c("_dst_cms")),
        "vo": _blank(d["vo"]),
        "activity": _blank(d["activity"]),
    }
    return df, failed, cols, wild_time


def _traffic_key(cols: dict, traffic: dict):
    """The traffic key of a record (opint_core.load.traffic) as JSON: [hour number (epoch ms // 1 h)
    or null, then each key column, "(unknown)" where the record has no value]."""
    from pyspark.sql import functions as F

    hour = F.floor(cols["time"] / 3_600_000).cast("string")
    return F.to_json(F.array(hour, *[F.coalesce(cols[k], F.lit(traffic["unknown"])) for k in traffic["keys"]]))


def _iso_parts(text, rx: dict):
    """[date, clock, fraction] of an ISO-like time text, or null (see _parse_times)."""
    from pyspark.sql import functions as F

    iso = rx["iso_time"]
    return F.when(text.rlike(iso), F.array(*[F.regexp_extract(text, iso, i) for i in (1, 2, 3)]))


def _parse_times(parts, text, rx: dict):
    """opint_core.load.records.parse_times: ISO-like text (``parts`` from _iso_parts) or epoch seconds
    or ms as text -> epoch ms. Like pyarrow's strptime, fields are range-checked but a day past
    the month's end rolls over."""
    from pyspark.sql import functions as F

    date, clock, frac = parts[0], parts[1], parts[2]
    y, mo, d = (F.substring(date, 1, 4).cast("int"), F.substring(date, 6, 2).cast("int"),
                F.substring(date, 9, 2).cast("int"))
    h, mi, s = (F.substring(clock, 1, 2).cast("int"), F.substring(clock, 4, 2).cast("int"),
                F.substring(clock, 7, 2).cast("int"))
    valid = (parts.isNotNull() & mo.between(1, 12) & d.between(1, 31) & h.between(0, 23) & mi.between(0, 59)
             & s.between(0, 60))
    days = F.datediff(F.make_date(y, mo, F.lit(1)), F.lit("1970-01-01").cast("date")).cast("long") + (d - 1)
    ms_frac = F.substring(F.concat(frac, F.lit("000")), 1, 3).cast("long")
    parsed = F.when(valid, days * 86_400_000 + ((h * 60 + mi) * 60 + s).cast("long") * 1000 + ms_frac)
    number = F.when(text.rlike(rx["epoch_digits"]), text.cast("long"))
    seconds_or_ms = F.when(number < F.lit(10**11), number * 1000).otherwise(number)
    return F.coalesce(parsed, seconds_or_ms)


def _mark_duplicates(rows):
    """``rows`` with ``duplicate``: a failure whose transfer (part, transfer id, time, event type)
    came already, in another file or the same -- as opint_core.load.duplicates counts them. A failure
    without a transfer id, or a record that is no failure, is never one (each is a window of its own)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keyed = F.col("failed") & F.col("transfer_id").isNotNull()
    alone = F.concat(F.lit("\u0000"), F.monotonically_increasing_id().cast("string"))
    rows = _with(rows, _transfer=F.when(keyed, F.col("transfer_id")).otherwise(alone))
    first = Window.partitionBy("part", "_transfer", "time", "event_type").orderBy("file")
    return _with(rows, duplicate=keyed & (F.row_number().over(first) > 1)).drop("_transfer")


def _mask_column(messages_df, mask: dict, spark, *, driver_limit: int = 100_000):
    """(message, template) of each distinct message: ``regexp_replace`` of the Java form of the
    masking regex on ASCII text (it matches exactly like Python's ``re`` there); the rest, usually
    none or a few, with Python's ``re`` and the same pattern text -- in this driver when there are
    at most ``driver_limit`` (no Python workers needed), else in a UDF on the executors."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    msg, norm = F.col("message"), F.col("norm")
    staged = _with(messages_df, norm=F.coalesce(F.trim(F.regexp_replace(F.regexp_replace(
        F.substring(msg, 1, mask["max_chars"]), mask["ctrl_java"], " "), mask["space_java"], " ")), F.lit("")))
    staged = _with(staged, ascii=F.length(norm) == F.octet_length(norm)).persist(StorageLevel.MEMORY_AND_DISK)
    m = F.regexp_replace(norm, mask["java"], "\u0001${" + mask["keep_group"] + "}\u0002")
    m = F.regexp_replace(m, "\u0001\u0002", mask["wildcard"])                # variables
    m = F.regexp_replace(m, "\u0001([^\u0002]*)\u0002", "$1")               # protected codes, verbatim
    m = F.regexp_replace(m, mask["adjacent_java"], mask["wildcard"])
    ascii_ = staged.filter("ascii").select(msg, F.when(norm == "", F.lit(mask["empty"])).otherwise(m).alias("template"))
    other = staged.filter(~F.col("ascii")).select(msg)
    count = other.count()
    if not count:
        return ascii_, 0
    py = python_mask(mask)
    if count <= driver_limit:
        masked = spark.createDataFrame([(r[0], py(r[0])) for r in other.collect()], "message string, template string")
        return ascii_.unionByName(masked), count
    udf = F.udf(py, "string")
    return ascii_.unionByName(other.select(msg, udf(msg).alias("template"))), count


def run(spec: dict) -> None:
    from pyspark import StorageLevel
    from pyspark.sql import SparkSession, Window
    from pyspark.sql import functions as F

    started = time.time()
    spark = SparkSession.builder.appName(spec.get("name") or "opint").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel(spec.get("log_level", "WARN"))
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    emit("start", spark=spark.version, master=sc.master, app_id=sc.applicationId)
    phase = ["scan"]
    stop = threading.Event()
    _progress_thread(sc, phase, stop)
    try:
        mask = spec["mask"]
        frames = []
        for i, part in enumerate(spec["parts"]):
            if not part["files"]:
                continue
            stream = part["stream"]
            rx = spec["records"][stream]
            raw = _read(spark, part["files"], _schema(spec["fields"][stream]))
            raw, failed, cols, wild_time = _map_stream(raw, stream, rx, spec["fields"][stream])
            corrupt = F.col("_corrupt_record").isNotNull()
            fail = failed & ~corrupt

            def of_failure(column):   # the rest only count as records: nothing of theirs to carry
                return F.when(fail, column)

            frames.append(raw.select(
                F.lit(i).alias("part"), "file", fail.alias("failed"),
                corrupt.cast("long").alias("malformed"), F.col("non_utf8").cast("long").alias("non_utf8"),
                (F.col("data").isNull() & ~corrupt).cast("long").alias("no_data"),
                (fail & cols["message"].isNull()).cast("long").alias("no_message"),
                (fail & wild_time).cast("long").alias("time_out_of_range"),
                of_failure(cols["time"]).alias("time"), of_failure(cols["message"]).alias("message"),
                of_failure(F.floor(cols["time"] / 3_600_000).cast("string")).alias("hour"),
                of_failure(cols["transfer_id"]).alias("transfer_id"),
                *[of_failure(cols[name]).alias(name) for name in DIMENSIONS],
                F.when(~corrupt & F.col("data").isNotNull(), _traffic_key(cols, spec["traffic"])).alias("traffic")))
        if not frames:
            raise ValueError("the spec lists no files")
        rows = frames[0]
        for f in frames[1:]:
            rows = rows.unionByName(f)
        _mark_duplicates(rows).createOrReplaceTempView("opint_rows")
        # One aggregation over a small explosion of each record: a file row for every record; for
        # a failure also its message row and one row per column value (the hour with its time).
        # Per (message, column, value) the partial aggregation of each task folds the repeats.
        item = "named_struct('kind', {0}, 'key', {1}, 'dim', {2}, 'value', {3}, 't', {4})"
        null = "CAST(NULL AS STRING)"
        per_failure = [item.format("'F'", "file", null, null, "CAST(NULL AS BIGINT)"),
                       item.format("'T'", "message", null, null, "CAST(NULL AS BIGINT)")]
        per_failure += [item.format("'D'", "message", f"'{d}'", d, "CAST(NULL AS BIGINT)") for d in DIMENSIONS]
        per_failure.append(item.format("'D'", "message", "'hour'", "hour", "time"))   # first/last time per hour
        # every record with data, but a failure read again, counts once in the traffic of its key
        per_traffic = item.format("'X'", "traffic", null, null, "CAST(NULL AS BIGINT)")
        per_record = f"""CASE WHEN failed AND NOT duplicate THEN array({', '.join(per_failure + [per_traffic])})
                              WHEN duplicate OR traffic IS NULL THEN array({per_failure[0]})
                              ELSE array({per_failure[0]}, {per_traffic}) END"""
        sc.setJobGroup("scan", "opint: read, filter and count")
        agg = spark.sql(f"""
            SELECT part, kind, key, dim, value, count(1) AS n, sum(CAST(failed AS BIGINT)) AS failures,
                   sum(malformed) AS malformed, sum(non_utf8) AS non_utf8, sum(no_data) AS no_data,
                   sum(no_message) AS no_message, sum(time_out_of_range) AS time_out_of_range,
                   sum(CAST(duplicate AS BIGINT)) AS duplicates, min(t) AS tmin, max(t) AS tmax
            FROM (SELECT part, failed, duplicate, malformed, non_utf8, no_data, no_message, time_out_of_range,
                         inline({per_record})
                  FROM opint_rows)
            GROUP BY part, kind, key, dim, value
        """).persist(StorageLevel.MEMORY_AND_DISK)

        messages = agg.filter(F.col("kind") == "T").select(F.col("key").alias("message")).distinct()
        templates, by_python = _mask_column(messages, mask, spark)    # first action: the scan
        phase[0] = "group"
        sc.setJobGroup("group", "opint: mask and group by template")
        joined = agg.filter(F.col("kind") != "F").join(templates, agg["key"].eqNullSafe(templates["message"])) \
            .drop("message").persist(StorageLevel.MEMORY_AND_DISK)     # masked once, used twice
        key = ["part", "template"]
        by_dim = joined.filter(F.col("kind") == "D").groupBy(*key, "dim", "value").agg(
            F.sum("n").alias("n"), F.min("tmin").alias("tmin"), F.max("tmax").alias("tmax"))
        rank = F.row_number().over(Window.partitionBy(*key).orderBy(F.desc("n"), F.asc("value")))
        samples = F.element_at(F.array(*[F.lit(int(p.get("samples", 20))) for p in spec["parts"]]),
                               F.col("part") + 1)
        top = joined.filter(F.col("kind") == "T").select(*key, F.coalesce("key", F.lit("")).alias("value"), "n") \
            .withColumn("r", rank).filter(F.col("r") <= samples).drop("r")
        files = agg.filter(F.col("kind") == "F").select("part", F.col("key").alias("value"), F.expr(
            "stack(8, 'records', n, 'failures', failures, 'malformed', malformed, 'non_utf8', non_utf8, "
            "'no_data', no_data, 'no_message', no_message, 'time_out_of_range', time_out_of_range, "
            "'duplicates', duplicates) AS (dim, n)"))
        traffic = agg.filter(F.col("kind") == "X").select("part", F.col("key").alias("value"), F.expr(
            "stack(2, 'attempts', n, 'failures', failures) AS (dim, n)"))

        null_s, null_l = F.lit(None).cast("string"), F.lit(None).cast("long")
        out = by_dim.select(F.lit("D").alias("kind"), *key, "dim", "value", "n", "tmin", "tmax")
        out = out.unionByName(top.select(F.lit("M").alias("kind"), *key, null_s.alias("dim"), "value", "n",
                                         null_l.alias("tmin"), null_l.alias("tmax")))
        out = out.unionByName(files.select(F.lit("F").alias("kind"), "part", null_s.alias("template"), "dim",
                                           "value", "n", null_l.alias("tmin"), null_l.alias("tmax")))
        out = out.unionByName(traffic.select(F.lit("X").alias("kind"), "part", null_s.alias("template"), "dim",
                                             "value", "n", null_l.alias("tmin"), null_l.alias("tmax")))
        result = spec["out"].rstrip("/") + "/result"
        out.write.mode("overwrite").json(result)   # a few part files: read back in any order
        emit("done", out=result, masked_in_python=by_python, seconds=round(time.time() - started, 3))
    finally:
        stop.set()
        spark.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="opint's Spark job (run by `opint --spark`)")
    parser.add_argument("--spec", required=True, help="the job spec (JSON) written by opint")
    args = parser.parse_args(argv)
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)
    try:
        run(spec)
    except Exception as e:  # noqa: BLE001 - reported to the opint process, then a non-zero exit
        text = str(e).strip().splitlines()
        emit("error", type=type(e).__name__, message="\n".join(text[:20])[:4000])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
