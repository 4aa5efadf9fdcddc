"""Broken data copies must raise KnowledgeError naming file, entry and key."""

# ruff: noqa: D103  (test names say what they check)

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotations import DATA_DIR, KnowledgeError, load_knowledge

META = """[meta]
schema_version = 1
data_version = "0.0.1"
review_status = "draft"
"""

SRS_URL = "https://en.m.wikipedia.org:443/wiki/Slipping_rib_syndrome"


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    """Return a private, writable copy of the packaged data directory."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(directory: Path, name: str, old: str, new: str, count: int = 1) -> None:
    path = directory / name
    text = path.read_text()
    assert text.count(old) >= 1, f"test setup: {old!r} not found in {name}"
    path.write_text(text.replace(old, new, count))


def load_error(directory: Path, **kwargs) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as exc:
        load_knowledge(directory, **kwargs)
    return exc.value


def check(
    err: KnowledgeError, file: str, entry: str | None, key: str | None, *words: str
) -> None:
    msg = str(err)
    assert file in msg, msg
    assert err.file is not None and err.file.endswith(file)
    if entry is not None:
        assert entry in msg and err.entry == entry, msg
    if key is not None:
        assert key in msg and err.key == key, msg
    for w in words:
        assert w in msg, msg


def test_clean_copy_loads(data):
    k = load_knowledge(data)
    assert k.structures == load_knowledge().structures
    assert isinstance(KnowledgeError("x"), ValueError)


# --------------------------------------------------------------------------- unknown id


def test_unknown_structure_id(data):
    edit(
        data,
        "conditions.toml",
        'structure = "cartilage_{S}{n}"\nrole = "primary"\nnote = "Hypermobile',
        'structure = "cartlage_{S}{n}"\nrole = "primary"\nnote = "Hypermobile',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "highlight[0].structure",
        "unknown structure id",
        "cartlage_",
        "at level R8",
    )


def test_unknown_fixed_structure_in_red_flag(data):
    edit(
        data,
        "red_flags.toml",
        'highlight = ["spinal_cord"]',
        'highlight = ["spinal_chord"]',
    )
    err = load_error(data)
    check(
        err,
        "red_flags.toml",
        "red_flags.cord_compression",
        "highlight[0]",
        "spinal_chord",
        "did you mean 'spinal_cord'",
    )


def test_template_leaving_the_model(data):
    # without the level filter the T{n+1} vertebra does not exist for T12-L1
    edit(
        data,
        "conditions.toml",
        'structure = "vertebra_T{n+1}"\nrole = "secondary"\ncolour = "LMK"\nlevels = '
        '"T1-T2..T11-T12"\n',
        'structure = "vertebra_T{n+1}"\nrole = "secondary"\ncolour = "LMK"\n',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.facet_joint_pain",
        "highlight[2].structure",
        "vertebra_T13",
        "T12-L1",
    )


def test_unknown_placeholder(data):
    edit(
        data,
        "conditions.toml",
        'structure = "nerve_{S}{n}"\nrole = "secondary"\ncolour = "NRV"\nnote = '
        '"Intercostal nerve pinched',
        'structure = "nerve_{side_letter}{n}"\nrole = "secondary"\ncolour = '
        '"NRV"\nnote = "Intercostal nerve pinched',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "highlight[1].structure",
        "unknown placeholder",
    )


def test_unknown_anchor_point(data):
    edit(
        data,
        "conditions.toml",
        'at = {anchor = "cartilage_{S}{n}.medial_end"}',
        'at = {anchor = "cartilage_{S}{n}.tip"}',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "geometry[1].at.anchor",
        "has no point 'tip'",
        "medial_end",
    )


def test_unknown_link(data):
    edit(
        data,
        "conditions.toml",
        'treatments = ["intercostal_nerve_block", "slipping_rib_surgery"]',
        'treatments = ["intercostal_nerve_block", "rib_surgery"]',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "treatments[1]",
        "unknown treatment link",
        "slipping_rib_surgery",
    )


def test_unknown_condition_link_from_treatment(data):
    edit(
        data,
        "treatments.toml",
        'conditions = ["slipping_rib_syndrome"]',
        'conditions = ["slipped_rib"]',
    )
    err = load_error(data)
    check(
        err,
        "treatments.toml",
        "treatments.slipping_rib_surgery",
        "conditions[0]",
        "unknown condition link",
    )


def test_unknown_red_flag(data):
    edit(data, "conditions.toml", 'red_flags = ["zoster_rash"]', 'red_flags = ["rash"]')
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.intercostal_neuralgia",
        "red_flags[0]",
        "unknown red flag",
    )


def test_unknown_category(data):
    edit(
        data,
        "conditions.toml",
        'category = "neurogenic"\nother_categories = ["structural"]\ncolour = "CRT"',
        'category = "nerves"\nother_categories = ["structural"]\ncolour = "CRT"',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "category",
        "unknown category",
    )


# --------------------------------------------------------------------------- colours


def test_bad_colour_hex(data):
    edit(data, "colours.toml", 'hex = "#4CAF50"', 'hex = "#4CAF5"')
    err = load_error(data)
    check(err, "colours.toml", "colours.CRT", "hex", "bad colour")


def test_bad_colour_code(data):
    edit(
        data,
        "conditions.toml",
        'category = "neurogenic"\nother_categories = ["structural"]\ncolour = "CRT"',
        'category = "neurogenic"\nother_categories = ["structural"]\ncolour = "green"',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "colour",
        "bad colour 'green'",
    )


# --------------------------------------------------------------------------- sources


def test_missing_sources_key(data):
    edit(
        data,
        "conditions.toml",
        'notes = "Listed with the nerve-related causes',
        'notes = "Listed with the nerve-related causes',
    )
    text = (data / "conditions.toml").read_text()
    start = text.index("[conditions.slipping_rib_syndrome]")
    line_start = text.index("\nsources = [", start) + 1
    line_end = text.index("\n", line_start)
    (data / "conditions.toml").write_text(text[:line_start] + text[line_end + 1 :])
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "sources",
        "missing required key",
    )


def test_empty_sources(data):
    text = (data / "red_flags.toml").read_text()
    start = text.index("[red_flags.zoster_rash]")
    line_start = text.index("sources = [", start)
    line_end = text.index("\n", line_start)
    (data / "red_flags.toml").write_text(
        text[:line_start] + "sources = []" + text[line_end:]
    )
    err = load_error(data)
    check(err, "red_flags.toml", "red_flags.zoster_rash", "sources", "missing source")


def test_fact_without_source(data):
    text = (data / "conditions.toml").read_text()
    start = text.index("[[conditions.slipping_rib_syndrome.facts]]")
    line_start = text.index("sources = [", start)
    line_end = text.index("\n", line_start)
    (data / "conditions.toml").write_text(
        text[:line_start] + "sources = []" + text[line_end:]
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "facts[0].sources",
        "missing source",
    )


def test_unregistered_source_url(data):
    edit(
        data,
        "sources.toml",
        f'url = "{SRS_URL}"',
        'url = "https://example.org/slipping-rib"',
    )
    err = load_error(data)
    assert "is not registered" in str(err)
    assert SRS_URL in str(err)
    assert err.key is not None and "sources" in err.key


# --------------------------------------------------------------------------- ids, level


def test_duplicate_id_across_files(data):
    (data / "zz_extra.toml").write_text(
        META
        + """
[conditions.facet_joint_pain]
name = "Facet joint pain again"
category = "vertebrogenic"
colour = "JNT"
patient = "One. Two."
student = "Longer text."
sources = ["https://wikimsk.org/wiki/Thoracic_Spinal_Pain"]
systemic = true
"""
    )
    err = load_error(data)
    check(
        err,
        "zz_extra.toml",
        "conditions.facet_joint_pain",
        "id",
        "duplicate id",
        "conditions.toml",
    )


def test_duplicate_table_in_one_file_is_invalid_toml(data):
    with (data / "colours.toml").open("a") as fh:
        fh.write('\n[colours.MUS]\nname = "again"\nhex = "#000000"\nuse = "x"\n')
    err = load_error(data)
    check(err, "colours.toml", None, None, "invalid TOML")


def test_level_out_of_allowed_range(data):
    edit(
        data,
        "conditions.toml",
        'allowed = "R8..R10"\ndefault = "R8..R10"',
        'allowed = "R8..R10"\ndefault = "R8..R12"',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "levels.default",
        "outside the allowed range",
        "R11",
    )


def test_level_not_in_model(data):
    edit(
        data,
        "conditions.toml",
        'allowed = "R8..R10"\ndefault = "R8..R10"',
        'allowed = "R8..R13"\ndefault = "R8..R10"',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "levels.allowed",
        "R13",
    )


def test_wrong_type(data):
    edit(data, "conditions.toml", 'name = "Slipping rib syndrome"', "name = 5")
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "name",
        "wrong type",
        "string",
        "int",
    )


def test_wrong_type_in_geometry(data):
    edit(
        data,
        "conditions.toml",
        'width = 25\nstands_for = "costal_margin_{S}"',
        'width = "wide"\nstands_for = "costal_margin_{S}"',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "geometry[0].width",
        "wrong type",
        "number",
    )


def test_unknown_key(data):
    edit(
        data,
        "conditions.toml",
        'name = "Slipping rib syndrome"',
        'name = "Slipping rib syndrome"\nnmae = "typo"',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "nmae",
        "unknown key",
        "did you mean 'name'",
    )


def test_missing_required_key(data):
    edit(data, "colours.toml", 'name = "Discs"\n', "")
    err = load_error(data)
    check(err, "colours.toml", "colours.DSC", "name", "missing required key")


def test_bad_role(data):
    edit(
        data,
        "conditions.toml",
        'structure = "cartilage_{S}{n}"\nrole = "primary"\nnote = "Hypermobile',
        'structure = "cartilage_{S}{n}"\nrole = "main"\nnote = "Hypermobile',
    )
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.slipping_rib_syndrome",
        "highlight[0].role",
        "unknown role",
    )


def test_missing_default_variant(data):
    edit(data, "conditions.toml", 'default_variant = "osteoporotic"\n', "")
    err = load_error(data)
    check(
        err,
        "conditions.toml",
        "conditions.vertebral_compression_fracture",
        "default_variant",
        "needs default_variant",
    )


def test_unsupported_schema_version(data):
    edit(data, "colours.toml", "schema_version = 1", "schema_version = 2")
    err = load_error(data)
    check(err, "colours.toml", "meta", "schema_version", "unsupported schema_version 2")


def test_structure_registry_must_not_invent_parents(data):
    edit(data, "structures.toml", 'parent = "rib_L9"', 'parent = "rib_X9"')
    err = load_error(data)
    check(err, "structures.toml", "structures.cartilage_L9", "parent", "unknown parent")


# --------------------------------------------------------------------------- files


def test_file_too_large(data):
    big = data / "big.toml"
    big.write_text(META + "# " + "x" * (10 * 1024 * 1024) + "\n")
    err = load_error(data)
    check(err, "big.toml", None, None, "too large", "10.5 MB")


def test_invalid_toml(data):
    with (data / "treatments.toml").open("a") as fh:
        fh.write("\n[treatments.broken\nname = 1\n")
    err = load_error(data)
    check(err, "treatments.toml", None, None, "invalid TOML")


def test_not_utf8(data):
    (data / "latin.toml").write_bytes(
        b'[meta]\nschema_version = 1\ndescription = "caf\xe9"\n'
    )
    err = load_error(data)
    check(err, "latin.toml", None, None, "UTF-8")


def test_missing_meta(data):
    (data / "nometa.toml").write_text(
        '[colours.XX]\nname = "x"\nhex = "#000000"\nuse = "x"\n'
    )
    err = load_error(data)
    check(err, "nometa.toml", None, "meta", "missing required key")


def test_not_a_directory_and_empty_directory(tmp_path):
    err = load_error(tmp_path / "missing")
    assert "does not exist" in str(err)
    err = load_error(tmp_path)
    assert "no .toml files" in str(err)


def test_missing_disclaimer(data):
    text = (data / "about.toml").read_text()
    start = text.index("[disclaimer]")
    end = text.index("# ----", start)
    (data / "about.toml").write_text(text[:start] + text[end:])
    err = load_error(data)
    assert "disclaimer" in str(err)


# --------------------------------------------------------------------------- extending


def test_extend_packaged_data(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "more.toml").write_text(
        META
        + f"""
[conditions.rib_tip_test]
name = "Rib tip test condition"
synonyms = ["testing rib tip"]
category = "structural"
colour = "CRT"
treatments = ["slipping_rib_surgery"]
patient = "A test entry. It has two sentences."
student = "A longer test entry for students, with more words in it."
sources = ["{SRS_URL}"]

[conditions.rib_tip_test.levels]
kind = "rib"
allowed = "R8..R10"
default = "R10"

[conditions.rib_tip_test.sides]
allowed = ["left", "right"]
default = "left"

[[conditions.rib_tip_test.highlight]]
structure = "cartilage_{{S}}{{n}}"
role = "primary"
"""
    )
    k = load_knowledge(extra, extend=True)
    assert k.conditions["rib_tip_test"].resolve().with_role("primary") == (
        "cartilage_L10",
    )
    assert "rib_tip_test" in k.treatments["slipping_rib_surgery"].conditions
    assert k.search("testing rib tip")[0].entry_id == "rib_tip_test"
    assert "rib_tip_test" not in load_knowledge().conditions
