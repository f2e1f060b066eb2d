"""Issue 18, the app's part: hostile and unlucky input reaching the Textual app and its keymaps.

- keymaps (tests/hostile/keymaps.py): every bad file is a KeymapError naming the file and the entry;
"""
from __future__ import annotations

import re

import pytest

from hostile import keymaps as hostile_keymaps
from opint_tui import cli
from opint_tui.keymap import KeymapError, load_keymap

RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# --- keymaps -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", hostile_keymaps.CASES, ids=str)
def test_a_bad_keymap_is_an_error_naming_the_file_and_the_entry(case, tmp_path):
    path = hostile_keymaps.write(case, tmp_path)
    with pytest.raises(KeymapError) as refused:
        load_keymap(str(path))
    error = refused.value
    assert str(path) in error.message
    for name in case.names:
        assert name in error.message
    assert error.remedy, "a remedy says what to do"
    assert not RAW_CONTROL.search(error.message + error.remedy)


@pytest.mark.parametrize("case", hostile_keymaps.CASES, ids=str)
def test_the_command_line_reports_a_bad_keymap_before_the_app_starts(case, tmp_path, capsys):
    path = hostile_keymaps.write(case, tmp_path)
    assert cli.main(["--keymap", str(path), "--archive", str(tmp_path / "no-archive")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("opint: error: ") and "what to do: " in err and "Traceback" not in err


def test_key_names_are_textuals_so_a_character_works_as_its_name(tmp_path):
    """"?" is sent by Textual as question_mark: a keymap may say either, and both collide with help's."""
    user = tmp_path / "keys.toml"
    user.write_text('[bindings]\nhelp = "?"\nfilter = "ctrl+slash,/"\n')
    keys = load_keymap(str(user))
    assert keys["help"] == "question_mark" and keys["filter"] == "ctrl+slash,slash"
    user.write_text('[bindings]\nsort = "?"\n')
    with pytest.raises(KeymapError, match="help"):
        load_keymap(str(user))


@pytest.mark.parametrize("name", ["default", "vim"])
def test_the_shipped_keymaps_pass_the_checks(name):
    assert load_keymap(name)
