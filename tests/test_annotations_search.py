"""search(), involving() and coverage of the seed documents' terms."""

# ruff: noqa: D103  (test names say what they check)

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from annotations import load_knowledge
from annotations.search import normalise

SEED_FILE = Path(__file__).parent / "data" / "seed_coverage.toml"
SEED_DIR = Path("/work/shared/seeds")
SEEDS = tomllib.loads(SEED_FILE.read_text())


@pytest.fixture(scope="module")
def k():
    return load_knowledge()


@pytest.mark.parametrize(
    "query, entry_id, variant_id",
    [
        ("slipped rib", "slipping_rib_syndrome", None),
        ("Slipping-rib syndromes", "slipping_rib_syndrome", None),
        ("rib joint", "costovertebral_joint_pain", None),
        ("Tietze", "costochondritis", "tietze"),
        ("shingles", "intercostal_neuralgia", None),
        ("post herpetic neuralgia", "intercostal_neuralgia", None),
        ("DISH", "arthritis", "dish"),
        ("ankylosing spondylitis", "arthritis", "ankylosing_spondylitis"),
        ("gallbladder", "viscerosomatic_pain", "liver_gallbladder"),
        ("aortic dissection", "viscerosomatic_pain", "aorta"),
        ("radiofrequency ablation", "medial_branch_block", "radiofrequency"),
        ("paracetamol", "oral_analgesics", "acetaminophen"),
        ("chiropractic", "spinal_manipulation", None),
        ("FACET_JOINT_PAIN", "facet_joint_pain", None),
        ("Maigne", "thoracolumbar_junction_syndrome", None),
        ("T4 syndrome", "postural_kyphosis", "t4_syndrome"),
    ],
)
def test_search_finds_entry_first(k, query, entry_id, variant_id):
    hit = k.search(query)[0]
    assert (hit.entry_id, hit.variant_id) == (entry_id, variant_id), k.search(query)[:3]


def test_ranking_exact_name_beats_synonym_beats_text(k):
    hits = k.search("costochondritis")
    assert hits[0].entry_id == "costochondritis" and hits[0].score == 100
    syn = k.search("shingles")[0]
    assert syn.score == 90 and syn.matched.startswith("synonym")
    text_only = k.search("Adamkiewicz")
    assert text_only and all(h.score <= 40 for h in text_only)
    assert text_only[0].entry_id == "epidural_steroid_injection"


def test_search_tolerates_misspelling(k):
    hit = k.search("carbamazapine")[0]
    assert hit.entry_id == "carbamazepine"
    assert hit.score < 100


def test_search_limit_and_empty(k):
    assert len(k.search("pain", limit=3)) == 3
    assert k.search("") == ()
    assert k.search("the") == ()
    assert k.search("qwertyuiop") == ()


def test_normalise():
    assert normalise("Rib-joints") == "rib joint"
    assert normalise("Injuries of the ribs") == "injury rib"
    assert normalise("T5_T6") == "t5 t6"


def test_involving_rib(k):
    inv = k.involving("cartilage_L9")
    srs = [i for i in inv if i.entry_id == "slipping_rib_syndrome"]
    assert len(srs) == 1
    assert srs[0].roles == ("primary",)
    assert srs[0].levels == ("R9",)
    assert srs[0].sides == ("left", "both")
    sections = [i.section for i in inv]
    assert sections == sorted(
        sections, key=lambda s: s != "conditions"
    )  # conditions first
    assert any(i.entry_id == "slipping_rib_surgery" for i in inv)


def test_involving_facet_lists_condition_and_treatments(k):
    ids = {(i.entry_id, i.variant_id) for i in k.involving("facet_T6_T7_R")}
    assert ("facet_joint_pain", None) in ids
    assert ("medial_branch_block", "block") in ids
    assert ("facet_joint_injection", None) in ids
    mbb = next(
        i for i in k.involving("facet_T6_T7_R") if i.entry_id == "medial_branch_block"
    )
    assert mbb.levels == ("T6",)


def test_involving_cord_and_unknown(k):
    ids = {i.entry_id for i in k.involving("spinal_cord")}
    assert {
        "thoracic_disc_herniation",
        "epidural_steroid_injection",
        "vertebroplasty",
    } <= ids
    with pytest.raises(KeyError, match="rib_L13"):
        k.involving("rib_L13")


# --------------------------------------------------------------------------- seed cover


def test_seed_list_covers_every_seed_document():
    seeds = {t["seed"] for t in SEEDS["term"]}
    if SEED_DIR.exists():
        assert seeds == {p.stem for p in SEED_DIR.glob("*.txt")}
    assert len(SEEDS["term"]) >= 60


@pytest.mark.parametrize("term", SEEDS["term"], ids=lambda t: t["term"])
def test_seed_term_is_found(k, term):
    for entry_id in term["entries"]:
        k.entry(entry_id)  # mapping names a real entry
    hits = k.search(term["term"])[:3]
    assert any(h.entry_id in term["entries"] for h in hits), (term, hits)


@pytest.mark.parametrize("term", SEEDS["term"], ids=lambda t: t["term"])
def test_seed_term_appears_in_its_seed(term):
    if not SEED_DIR.exists():
        pytest.skip("seed documents not available")
    text = (SEED_DIR / f"{term['seed']}.txt").read_text().lower()
    assert term["term"].lower() in text


def test_excluded_terms_have_reasons():
    for ex in SEEDS.get("excluded", []):
        assert len(ex["reason"]) > 20
