import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # for archive_factory


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never touch the developer's real cache, data or config dirs."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("OPINT_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("OPINT_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("OPINT_CONFIG", str(base / "config.toml"))


SAMPLE_END = __import__("datetime").date(2026, 11, 20)


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory):
    """A small 3-day sample archive (both streams), the same bytes every run."""
    from opint_core import write_sample_archive

    root = tmp_path_factory.mktemp("sample") / "archive"
    write_sample_archive(root, days=3, seed=11, scale=0.15, end=SAMPLE_END)
    return str(root)


@pytest.fixture(scope="session")
def sample_analysis(sample_root):
    """The latest day of the sample archive, clustered, with insight and trends."""
    import opint_core as core

    analysis = core.analyse(sample_root, use_cache=False)
    analysis.timings = {}  # no wall-clock figures in screenshots
    return analysis
