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
