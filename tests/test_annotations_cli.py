"""Annotations from the command line (issue 15 point 3): keys checked against the loaded categories and the
store (a unique start is enough, an unknown key is refused naming the closest, --force writes it anyway),
`opint annotations list|show|rm`, and a removal that is one more journal line: it survives a fold with a
second writer and annotating again undoes it. The real CLI over the sample archive and a real store."""
from __future__ import annotations

import json

import pytest

import opint_core as core
from opint_tui.cli import main


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def on(sample_root, tmp_path):
    """The flags every call takes: the sample archive's latest day and a store of this test."""
    return ["--archive", sample_root, "--store", tmp_path / "store"]


def test_an_unknown_key_is_refused_naming_the_closest_and_nothing_is_written(capsys, on, sample_analysis, tmp_path):
    key = sample_analysis.clustering.categories[0].key
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")
    code, out, err = cli(capsys, "annotate", typo, "--label", "x", *on)
    assert code == 2 and f"no category key {typo!r}" in err and key in err and "--force" in err
    assert not (tmp_path / "store").exists()
    code, out, _ = cli(capsys, "annotate", typo, "--label", "x", "--force", *on)
    assert code == 0 and core.TriageStore(tmp_path / "store").get(typo).label == "x"


def test_a_unique_start_of_a_key_is_enough_and_records_the_pattern(capsys, on, sample_analysis, tmp_path):
    categories = sample_analysis.clustering.categories
    keys = [c.key for c in categories]
    category = next(c for c in categories if sum(k.startswith(c.key[:5]) for k in keys) == 1)
    code, out, _ = cli(capsys, "annotate", category.key[:5].upper(), "--label", "by prefix", *on)
    assert code == 0 and out.startswith(f"{category.key} annotated")
    saved = core.TriageStore(tmp_path / "store").get(category.key)
    assert (saved.label, saved.pattern) == ("by prefix", category.pattern)
    code, _, err = cli(capsys, "annotate", "c", "--label", "x", *on)          # every key starts with c
    assert code == 2 and "starts several keys" in err


def test_list_show_remove_and_annotate_again(capsys, on, sample_analysis, tmp_path):
    first, second = sample_analysis.clustering.categories[:2]
    assert cli(capsys, "annotate", first.key, "--label", "disk full", "--status", "ticketed", "--ticket", "GGUS-7",
               *on)[0] == 0
    assert cli(capsys, "annotate", second.key, "--label", "known noise", "--status", "known", *on)[0] == 0

    code, out, _ = cli(capsys, "annotations", "list", *on)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "2 annotations on the selection's categories"
    row = next(line for line in lines if line.startswith(first.key))
    assert f"{first.count:,}" in row and "ticketed" in row and "GGUS-7" in row and "disk full" in row
    code, out, _ = cli(capsys, "annotations", "list", "--status", "known", "--format", "json", *on)
    listed = json.loads(out)
    assert [(a["key"], a["label"], a["failures"]) for a in listed] == [(second.key, "known noise", second.count)]

    code, out, _ = cli(capsys, "annotations", "rm", first.key[:6], *on)
    assert code == 0 and out.startswith(f"{first.key} removed")
    code, out, _ = cli(capsys, "annotations", "list", "--all-days", *on)
    assert out.splitlines()[0] == "1 annotation in the store" and first.key not in out
    assert cli(capsys, "annotations", "rm", first.key, *on)[0] == 2            # nothing left to remove

    assert cli(capsys, "annotate", first.key, "--label", "disk full again", *on)[0] == 0
    code, out, _ = cli(capsys, "annotations", "show", first.key, *on)
    history = out.split("history (oldest first):\n")[1].splitlines()
    assert code == 0 and "label    disk full again" in out and len(history) == 3
    assert "label='disk full'" in history[0] and "label=None" in history[1] and "disk full again" in history[2]


def test_a_removal_survives_a_fold_with_a_second_writer_and_is_undone_by_annotating(tmp_path):
    directory = tmp_path / "team"
    alice, bob = core.TriageStore(directory, user="alice"), core.TriageStore(directory, user="bob")
    bob.annotate("c0123456789ab", pattern="<*> disk full <*>", label="bob's label", ticket="GGUS-1")
    alice.reload()
    alice.remove("c0123456789ab")                      # after bob's change: it wins in any fold
    fresh = core.TriageStore(directory, user="carol")
    assert fresh.get("c0123456789ab").empty and "c0123456789ab" in fresh.keys()
    assert [c["author"] for c in fresh.history("c0123456789ab")] == ["bob", "alice"]
    bob.reload()
    bob.annotate("c0123456789ab", label="back")
    again = core.TriageStore(directory, user="carol")
    assert (again.get("c0123456789ab").label, again.get("c0123456789ab").ticket) == ("back", None)
    # a removed annotation is no longer inherited by a similar pattern of another day
    alice.reload()
    alice.remove("c0123456789ab")
    inherited = core.TriageStore(directory, user="carol").carry_over(
        [core.Category(key="cffffffffffff", pattern="<*> disk full <*>", count=1, templates=(0,))])
    assert "cffffffffffff" not in inherited
