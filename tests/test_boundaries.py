"""The core never imports the UI libraries: checked in a fresh interpreter over every core module."""
import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import opint_core
for m in pkgutil.walk_packages(opint_core.__path__, "opint_core."):
    if ".spark" in m.name:
        continue  # the Spark job runs on executors and imports pyspark only
    importlib.import_module(m.name)
bad = sorted(n for n in sys.modules if n.split(".")[0] in ("textual", "rich"))
print(",".join(bad))
"""


def test_core_never_imports_textual_or_rich():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
