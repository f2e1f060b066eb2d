"""The stages of a load, by the id the core passes to ``progress(stage, done, total)``, in the
order they run, with the label the app and the CLI show."""

STAGES: dict[str, str] = {
    "write": "writing the sample archive",
    "list": "listing days",
    "files": "reading files",
    "spark": "starting the Spark job",
    "spark-scan": "Spark: reading the archive (tasks)",
    "spark-group": "Spark: grouping by template (tasks)",
    "spark-result": "loading the Spark result",
    "cluster": "clustering",
    "insight": "breakdowns",
    "baseline": "baseline days for trends",
}


def stage_label(stage: str) -> str:
    return STAGES.get(stage, stage)
