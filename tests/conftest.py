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


_CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _foreign_modules() -> list[str]:
    """opint modules loaded from anywhere but this checkout: an editable install of another
    checkout answers every import of a module that this one has moved or removed."""
    return sorted(f"{name} ({module.__file__})" for name, module in list(sys.modules.items())
                  if name.split(".")[0] in ("opint_core", "opint_tui") and getattr(module, "__file__", None)
                  and not os.path.abspath(module.__file__).startswith(_CHECKOUT + os.sep))


def pytest_sessionstart(session):
    import opint_core  # noqa: F401
    import opint_tui  # noqa: F401

    if _foreign_modules():
        raise pytest.UsageError(f"not this checkout's code: {_foreign_modules()}: run the tests from {_CHECKOUT}")


def pytest_sessionfinish(session, exitstatus):
    foreign = _foreign_modules()
    if foreign:
        print(f"\nERROR: the tests imported modules from outside this checkout ({_CHECKOUT}): {foreign}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
