"""End to end: the real `opint --demo` in tmux (xterm-256color, 80x24), driven with send-keys and read
with capture-pane, as a shifter over ssh would use it; then the journal and the export on disk.

No sleeps: before each key the test waits until the screen shows what that key needs (the list, the
dialog, the typed text), as a person would look before typing; a wait that runs out fails with the
last screen it saw."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None and not os.environ.get("CI"),
                                reason="tmux is not installed (.ci/run installs it)")

OPINT = str(Path(sys.executable).with_name("opint"))


class Tmux:
    def __init__(self, tmp_path: Path):
        self.socket = f"opint-e2e-{os.getpid()}"
        self.tmp = tmp_path

    def run(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True,
                              text=True, check=check)

    def start(self, command: str, env: dict):
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        self.run("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", "-c", str(self.tmp),
                 f"env {exports} {command}; echo EXITED $?; sleep 30")

    def keys(self, *keys):
        self.run("send-keys", "-t", "e2e", *keys)

    def type(self, text: str):
        self.run("send-keys", "-t", "e2e", "-l", text)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e").stdout

    def wait_for(self, *texts: str, timeout: float = 60) -> str:
        """The screen once it shows all of `texts`. Fails, with the last screen captured, when they are not
        all there within `timeout` seconds (a bound for a broken app, not a speed check) or when the app
        has exited meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            missing = [t for t in texts if t not in screen]
            if "EXITED" in screen:
                raise AssertionError(f"the app exited while the test waited for {missing!r}; "
                                     f"the last screen was:\n{screen}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"waited {timeout:g} s for {texts!r} on the screen, {missing!r} never "
                                     f"appeared; the last screen was:\n{screen}")
            time.sleep(0.1)

    def kill(self):
        self.run("kill-server", check=False)


def test_shifter_session_in_tmux(tmp_path):
    tmux = Tmux(tmp_path)
    env = {"TERM": "xterm-256color", "USER": "e2e", "OPINT_CACHE_DIR": tmp_path / "cache",
           "OPINT_DATA_DIR": tmp_path / "data", "OPINT_CONFIG": tmp_path / "config.toml",
           "OPINT_DEMO_SCALE": "0.2", "COLORTERM": ""}
    try:
        tmux.start(f"{OPINT} --demo", env)
        # the demo plants new incidents: the app opens on their list, new first
        screen = tmux.wait_for("incidents:", "T Ticket", timeout=180)
        assert "NEW" in screen and "since" in screen
        tmux.keys("Enter")   # the first incident's category, at its site
        screen = tmux.wait_for("the sections below are the category's")
        assert "where" in screen and "cause" in screen
        tmux.keys("Escape")
        tmux.wait_for("incidents:", "T Ticket")
        tmux.keys("i")       # the same key as from the overview: back to the categories
        screen = tmux.wait_for("categories", "/ Filter")   # the data and the key bar
        assert "fts" in screen and "failures" in screen
        assert len(screen.splitlines()[0]) <= 80

        # press / once and type only when the filter box is there: letters alone are commands (e, m, …)
        tmux.keys("/")
        tmux.wait_for("esc clears")
        tmux.type("permission")
        screen = tmux.wait_for("filter: permission")
        assert "Permission denied" in screen
        tmux.keys("Enter")   # keep the filter, back to the list
        tmux.keys("Enter")   # drill down
        screen = tmux.wait_for("messages")
        assert "where" in screen or "distinct" in screen

        tmux.keys("a")
        # the whole dialog is drawn: it was mounted, and the focus it gives the label field is set before
        # any key typed after this frame is handled
        tmux.wait_for("Annotate category", "e.g. BNL disk full", "Save (ctrl+s)")
        tmux.type("e2e disk label")
        tmux.wait_for("e2e disk label")  # every key reached the label field before saving
        tmux.keys("C-s")
        tmux.wait_for("saved to")   # the toast naming the journal
        tmux.keys("Escape")
        screen = tmux.wait_for("filter: permission", "e2e disk")  # the overview's label column
        assert "●" in screen

        tmux.keys("e")
        tmux.wait_for("Export the shift report", "Annotated categories only", "Save file (ctrl+s)")
        tmux.keys("C-s")
        tmux.wait_for("wrote")
        tmux.keys("q")
        tmux.wait_for("EXITED 0", timeout=30)
    finally:
        tmux.kill()

    journal = tmp_path / "data" / "triage" / "e2e.jsonl"
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    assert any(e["set"].get("label") == "e2e disk label" for e in events)
    assert oct(journal.stat().st_mode & 0o777) == "0o600"
    (export,) = tmp_path.glob("opint-fts-*.md")
    text = export.read_text()
    assert text.startswith("# opint shift report") and "e2e disk label" in text
