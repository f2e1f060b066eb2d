"""The site table (issue 12 item 4): the shipped file, lookups by experiment name, RSE, host and domain,
filtering by any name of a site, the vectorised lookup, the user's file laid over the shipped one, and
the files it refuses (item 7)."""
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostile import site_tables
from opint_core.config import load_config
from opint_core.sample_archive.topology import _EP_TABLE
from opint_core.sites import SiteTable, SiteTableError, default_site_table, parse_site_table, read_site_table
from opint_core.sites.table import shipped_entries


@pytest.fixture(scope="module")
def shipped():
    return default_site_table()


# ---- the shipped table

def test_every_shipped_line_says_where_it_comes_from():
    text = resources.files("opint_core.sites").joinpath("sites.csv").read_text(encoding="utf-8")
    entries = shipped_entries()
    assert len(entries) == sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))
    assert [e.alias for e in entries if not e.source] == []


@pytest.mark.parametrize("name, site", [
    ("T1_DE_KIT", "FZK-LCG2"), ("T2_CH_CERN", "CERN-PROD"), ("T0_CH_CERN", "CERN-PROD"),
    ("FZK-LCG2_DATADISK", "FZK-LCG2"), ("BNL-OSG2_DATADISK", "BNL-ATLAS"), ("RAL-LCG2-ECHO_DATADISK", "RAL-LCG2"),
    ("TAIWAN-LCG2_DATADISK", "Taiwan-LCG2"), ("PIC_DATADISK", "pic"), ("SWT2_CPB_DATADISK", "SWT2_CPB"),
    ("T1_US_FNAL_Disk", "USCMS-FNAL-WC1"), ("T0_CH_CERN_Tape", "CERN-PROD"), ("T1_DE_KIT_MSS", "FZK-LCG2"),
    ("LCG.GRIDKA.de", "FZK-LCG2"), ("FZK-LCG2-LHCOPNE", "FZK-LCG2"), ("FZK-LCG2", "FZK-LCG2"), ("fzk-lcg2", "FZK-LCG2"),
    ("atlaswebdav-kit.gridka.de", "FZK-LCG2"), ("cmssrm-kit.gridka.de:8443", "FZK-LCG2"), ("gridka.de", "FZK-LCG2"),
    ("eoscms.cern.ch", "CERN-PROD"), ("storm-fe.cr.cnaf.infn.it", "INFN-T1"), ("grid05.lal.in2p3.fr", "GRIF-LAL"),
    ("ccsrm.in2p3.fr", "IN2P3-CC"), ("dcache-se-cms.desy.de", "DESY-HH"), ("lcg-se0.ifh.de", "DESY-ZN"),
])
def test_experiment_names_rses_and_hosts_give_the_wlcg_site(shipped, name, site):
    assert shipped.canonical(name) == site


@pytest.mark.parametrize("name", [
    "SITEA_DATADISK", "se1.example.org", "other.desy.de", "[2001:db8::1]", "T2_XX_Nowhere", "", None, "_", "."])
def test_names_no_table_knows_are_none(shipped, name):
    # a domain shared by two sites (desy.de) resolves no host of its own: the caller keeps today's name
    assert shipped.canonical(name) is None


def test_every_endpoint_of_the_sample_archive_has_one_site(shipped):
    for rse, site, vo, *_, host, srm, _port, _path, _w, _loc, _cc in _EP_TABLE:
        names = [site, host] + ([srm.split(":")[0]] if srm else []) + ([rse] if vo in ("atlas", "cms") else [])
        found = {name: shipped.canonical(name) for name in names}
        assert None not in found.values() and len(set(found.values())) == 1, found


def test_the_loaded_sample_day_resolves_every_side_with_a_name(shipped, sample_analysis):
    # as the loader would call it: the RSE first (today's name cuts SWT2_CPB_DATADISK to "SWT2" and
    # T2_UK_London_IC to "T2_UK_London", which no table can resolve), then the site name, then the host
    table = sample_analysis.errors.table
    for side in ("src", "dst"):
        candidates = [table.column(f"{side}_{what}") for what in ("rse", "site", "host")]
        resolved = shipped.first_canonical(*candidates)
        named = pc.or_(pc.or_(pc.is_valid(candidates[0]), pc.is_valid(candidates[1])), pc.is_valid(candidates[2]))
        assert pc.sum(named).as_py() == len(table) - resolved.null_count > 0, side
        assert set(resolved.to_pylist()) - {None} <= shipped.sites


# ---- names, filtering, the vectorised lookup

def test_names_of_a_site_include_its_experiment_names(shipped):
    names = shipped.names_of("FZK-LCG2")
    assert {"FZK-LCG2", "T1_DE_KIT", "LCG.GRIDKA.de", "*.gridka.de"} <= names
    assert shipped.names_of("T1_DE_KIT") == names           # asked by any of its names
    assert shipped.names_of("SITEA") == {"SITEA"}          # a site no table knows has its own name only


@pytest.mark.parametrize("query", ["FZK", "fzk", "KIT", "t1_de_kit", "gridka", " LCG2 ", ""])
def test_a_filter_matches_a_site_by_any_of_its_names(shipped, query):
    assert shipped.matches(query, "FZK-LCG2")
    assert shipped.matches(query, "T1_DE_KIT")


def test_a_filter_does_not_match_other_sites(shipped):
    assert not shipped.matches("KIT", "CERN-PROD")
    assert not shipped.matches("FNAL", "FZK-LCG2")
    assert shipped.matches("SITE", "SITEA") and not shipped.matches("KIT", "SITEA")


def test_canonical_array_is_canonical_per_value(shipped):
    values = pa.chunked_array([["T1_DE_KIT", None, "se1.example.org"], ["PIC_DATADISK", "T1_DE_KIT"]])
    assert shipped.canonical_array(values).to_pylist() == ["FZK-LCG2", None, None, "pic", "FZK-LCG2"]
    encoded = pa.array(["eoscms.cern.ch", "x", "eoscms.cern.ch"]).dictionary_encode()
    assert shipped.canonical_array(encoded).to_pylist() == ["CERN-PROD", None, "CERN-PROD"]
    assert shipped.canonical_array(pa.chunked_array([], pa.string())).to_pylist() == []


def test_the_caller_keeps_the_name_of_today_where_no_table_knows_it(shipped):
    derived = pa.array(["T1_DE_KIT", "SITEA", None])
    assert pc.coalesce(shipped.canonical_array(derived), derived).to_pylist() == ["FZK-LCG2", "SITEA", None]


# ---- the user's file

def test_user_lines_win_and_extend(tmp_path):
    mine = tmp_path / "my-sites.csv"
    mine.write_text("# my site table\nT1_DE_KIT, KIT-TEST, my test\nT3_XX_Mine, MY-SITE\n*.mine.example.org, MY-SITE\n")
    table = default_site_table(mine)
    assert table.canonical("T1_DE_KIT") == "KIT-TEST"
    assert table.canonical("T3_XX_Mine_Disk") == "MY-SITE"
    assert table.canonical("se.mine.example.org") == "MY-SITE"
    assert table.canonical("FZK-LCG2_DATADISK") == "FZK-LCG2"   # the rest of the shipped table still holds
    assert default_site_table().canonical("T1_DE_KIT") == "FZK-LCG2"   # the shipped table is left alone


def test_a_user_line_renames_a_site_with_all_its_aliases(tmp_path):
    mine = tmp_path / "sites.csv"
    mine.write_text("FZK-LCG2, GridKa\n")
    table = default_site_table(mine)
    assert {table.canonical(n) for n in ("T1_DE_KIT", "atlaswebdav-kit.gridka.de", "FZK-LCG2_DATADISK")} == {"GridKa"}
    assert {"T1_DE_KIT", "FZK-LCG2"} <= table.names_of("GridKa")


def test_the_longest_domain_wins(tmp_path):
    mine = tmp_path / "sites.csv"
    mine.write_text("*.example.org, WIDE\n*.lab.example.org, NARROW\n")
    table = default_site_table(mine)
    assert table.canonical("se.lab.example.org") == "NARROW"
    assert table.canonical("se.example.org") == "WIDE"


def test_the_sites_setting_names_the_users_file(tmp_path):
    mine = tmp_path / "sites.csv"
    mine.write_bytes(b"\xef\xbb\xbfT2_XX_Here, HERE\nT2_XX_Here, HERE, said twice the same way\n")   # BOM, repeat
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'sites = "{mine}"\n')
    config = load_config(config_file)
    assert config.sites == str(mine)
    assert default_site_table(config.sites).canonical("T2_XX_Here") == "HERE"


# ---- files it refuses

@pytest.mark.parametrize("case", site_tables.CASES, ids=str)
def test_a_bad_site_table_names_the_file_and_the_line(tmp_path, case):
    path = case.write(tmp_path)
    with pytest.raises(SiteTableError) as caught:
        default_site_table(path)
    assert case.message.format(path=path) in caught.value.message
    assert case.remedy in caught.value.remedy


def test_a_missing_or_unreadable_file_is_named(tmp_path):
    with pytest.raises(SiteTableError, match="the site table .*nowhere.csv does not exist") as caught:
        read_site_table(tmp_path / "nowhere.csv")
    assert "sites = ..." in caught.value.remedy
    with pytest.raises(SiteTableError, match=f"cannot read the site table {tmp_path}"):
        read_site_table(tmp_path)   # a directory


def test_a_user_line_may_name_a_shipped_site_as_an_alias_of_its_own():
    # only one file's own lines must agree; across files the user's line wins
    entries = parse_site_table("FZK-LCG2, GridKa\n", "mine")
    assert SiteTable(shipped_entries(), entries).canonical("FZK-LCG2") == "GridKa"


def test_a_huge_bad_line_is_shown_by_its_start():
    with pytest.raises(SiteTableError) as caught:
        parse_site_table("T1 DE KIT" * 10_000 + ", FZK-LCG2\n", "mine")
    assert len(caught.value.message) < 200
    assert caught.value.message.endswith("…" + " is not `alias, site[, source]`")


def test_lines_are_numbered_as_an_editor_numbers_them():
    with pytest.raises(SiteTableError) as caught:
        parse_site_table("T1_DE_KIT, FZK-LCG2\r\nA\x0cB, C\n", "mine")
    assert caught.value.message.startswith(r"line 2 of the site table mine: 'A\x0cB, C' is not")


_TABLE_BYTES = st.lists(st.sampled_from([b"T1_DE_KIT", b"FZK-LCG2", b"*.gridka.de", b",", b", ", b"\n", b"#", b" ",
                                         b"*", b".", b"_", b"\xff", b"\x1b", b"\r\n", b"\x00"]), max_size=30)


@settings(max_examples=300, deadline=None)
@given(content=_TABLE_BYTES.map(b"".join))
def test_any_bytes_are_a_table_or_a_site_table_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "sites.csv"
    path.write_bytes(content)
    try:
        table = default_site_table(path)
    except SiteTableError as e:
        assert str(path) in e.message and e.remedy
    else:
        assert table.canonical("T1_DE_KIT") is not None


def test_the_app_refuses_a_bad_site_table_before_it_starts(tmp_path, capsys, monkeypatch):
    """The config's site table is read when opint starts: a broken one is a message and exit 2, not a
    screen taken over and a crash later."""
    from opint_tui.cli import main

    table = tmp_path / "sites.csv"
    table.write_text("T1_DE_KIT\n")
    config = tmp_path / "config.toml"
    config.write_text(f'sites = "{table}"\n')
    monkeypatch.setenv("COLUMNS", "1000")
    code = main(["--config", str(config), "--archive", str(tmp_path / "no-archive")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"line 1 of the site table {table}: 'T1_DE_KIT' has no site" in err


# ---- the loaded tables in WLCG names (opint_core.sites.naming, applied by the pipeline)

def _sided(src_site, src_rse, src_host):
    return pa.table({"src_site": pa.array(src_site, pa.string()), "src_rse": pa.array(src_rse, pa.string()),
                     "src_host": pa.array(src_host, pa.string())})


def test_a_table_is_renamed_by_each_sites_value(shipped):
    from opint_core.sites.naming import canonical_sites

    table = _sided(["T1_DE_KIT", "T2_UK_London_IC", "NOWHERE", None, "(unknown)"],
                   ["T1_DE_KIT_Disk", "T2_UK_London_IC", "NOWHERE_DISK", None, "(unknown)"],
                   ["cmsdcache-kit-disk.gridka.de", None, "dcache.gridka.de", None, "eoscms.cern.ch"])
    named = canonical_sites(table, shipped).column("src_site").to_pylist()
    # a known name; a CMS name known as such; unknown names stay as derived (the host is not used: the
    # Spark job's compact rows do not keep which host went with which site); no name stays none
    assert named == ["FZK-LCG2", shipped.canonical("T2_UK_London_IC"), "NOWHERE", None, "(unknown)"]
    assert shipped.canonical("T2_UK_London_IC") not in (None, "T2_UK_London_IC")
    assert canonical_sites(table, shipped).column("src_rse").equals(table.column("src_rse"))   # only sites change


def test_cms_rses_give_their_whole_site_name():
    from opint_core.load.records import site_of_rse

    rses = ["T1_US_FNAL_Disk", "T2_UK_London_IC", "T2_UK_London_Brunel_Temp", "T0_CH_CERN_Tape", "FZK-LCG2_DATADISK",
            "SWT2_CPB_DATADISK", "NOTOKEN", "", None]
    assert site_of_rse(pa.array(rses)).to_pylist() == [
        "T1_US_FNAL", "T2_UK_London_IC", "T2_UK_London_Brunel", "T0_CH_CERN", "FZK-LCG2", "SWT2_CPB", "NOTOKEN",
        None, None]


def test_a_compact_tables_dictionary_columns_keep_their_type(shipped):
    from opint_core.sites.naming import canonical_sites

    table = _sided(["T1_DE_KIT", "NOWHERE"], ["x", "y"], ["h1", "h2"])
    table = table.set_column(0, "src_site", table.column("src_site").dictionary_encode())
    named = canonical_sites(table, shipped).column("src_site")
    assert pa.types.is_dictionary(named.type)
    assert named.cast(pa.string()).to_pylist() == ["FZK-LCG2", "NOWHERE"]


def test_the_analysis_counts_a_site_under_all_its_names_as_one(tmp_path):
    """A CMS record at T1_DE_KIT and an ATLAS one at FZK-LCG2_DATADISK fail at one site, in the failures and
    the traffic; a user's site file renames it everywhere."""
    import datetime as dt

    import opint_core as core
    from archive_factory import day_dir, fts_record, lines, write_part

    day = dt.date(2025, 11, 24)
    when = int(dt.datetime(2025, 11, 24, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)
    records = [fts_record("DESTINATION  No space left on device", when_ms=when, dst_rse="T1_DE_KIT_Disk", vo="cms"),
               fts_record("DESTINATION  No space left on device", when_ms=when, dst_rse="FZK-LCG2_DATADISK"),
               fts_record(flag=1, when_ms=when, dst_rse="T1_DE_KIT_Disk", vo="cms")]
    write_part(day_dir(tmp_path, "fts", day), lines(records))
    analysis = core.analyse(str(tmp_path), core.Selection.day(day), use_cache=False)
    assert [(v.value, v.count) for v in analysis.insight.summaries()[0].top_dst_sites] == [("FZK-LCG2", 2)]
    traffic = analysis.errors.traffic
    assert set(traffic.column("dst_site").to_pylist()) == {"FZK-LCG2"}
    assert sum(traffic.column("attempts").to_pylist()) == 3

    user = tmp_path / "sites.csv"
    user.write_text("FZK-LCG2, GridKa, our own name\n", encoding="utf-8")
    renamed = core.analyse(str(tmp_path), core.Selection.day(day), sites=core.default_site_table(user))
    assert [v.value for v in renamed.insight.summaries()[0].top_dst_sites] == ["GridKa"]
    assert set(renamed.errors.traffic.column("dst_site").to_pylist()) == {"GridKa"}


def test_the_report_names_sites_by_the_config_files_site_table(tmp_path, capsys):
    import datetime as dt
    import json

    from archive_factory import day_dir, fts_record, lines, write_part
    from opint_tui.cli import main

    day = dt.date(2025, 11, 24)
    write_part(day_dir(tmp_path / "archive", "fts", day),
               lines([fts_record(dst_rse="T1_DE_KIT_Disk"), fts_record(dst_rse="NEWSITE_DATADISK")]))
    (tmp_path / "sites.csv").write_text("NEWSITE, NEW-SITE-LCG2, opened last week\n", encoding="utf-8")
    (tmp_path / "c.toml").write_text(f'sites = "{tmp_path / "sites.csv"}"\n', encoding="utf-8")
    code = main(["--archive", str(tmp_path / "archive"), "--date", str(day), "--config", str(tmp_path / "c.toml"),
                 "--store", str(tmp_path / "store"), "report", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert sorted(s[0] for c in report["categories"] for s in c["top_dst_sites"]) == ["FZK-LCG2", "NEW-SITE-LCG2"]
