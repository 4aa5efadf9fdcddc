"""resolve(): hand-checked structures, anchors, mirroring and parameter errors."""

# ruff: noqa: D103  (test names say what they check)

from __future__ import annotations

import pytest

from annotations import load_knowledge
from annotations.templates import fill, mirror


@pytest.fixture(scope="module")
def k():
    return load_knowledge()


def _anchors(resolution, role):
    return {p.anchor for g in resolution.geometry_with_role(role) for p in g.positions}


# --------------------------------------------------------------------------- hand-check


def test_slipping_rib_left(k):
    r = k.conditions["slipping_rib_syndrome"].resolve(side="left")
    assert r.levels == ("R8", "R9", "R10")
    assert set(r.with_role("primary")) == {
        "cartilage_L8",
        "cartilage_L9",
        "cartilage_L10",
    }
    assert {"nerve_L8", "nerve_L9", "nerve_L10"} <= set(r.with_role("secondary"))
    assert not any(
        sid.endswith(("_R8", "_R9", "_R10")) or "_R" in sid for sid in r.structure_ids
    )
    margin = [
        g
        for g in r.geometry
        if g.kind == "region" and "costal margin" in g.label.lower()
    ]
    assert len(margin) == 1
    assert [p.anchor for p in margin[0].band] == [
        "cartilage_L8.center",
        "cartilage_L9.center",
        "cartilage_L10.center",
    ]
    assert r.colour == "#4CAF50"


def test_medial_branch_block_t6_right(k):
    r = k.treatments["medial_branch_block"].resolve(level="T6", side="right")
    assert r.variant_id == "block"
    assert "facet_T6_T7_R" in r.structure_ids
    assert r.with_role("primary") == ("facet_T6_T7_R",)
    targets = [g for g in r.geometry_with_role("target") if g.kind == "point"]
    assert {g.at.anchor for g in targets} == {
        "vertebra_T6.transverse_tip_R",
        "vertebra_T7.transverse_tip_R",
    }
    assert all(g.side == "right" for g in targets)
    assert not any("_L" in sid for sid in r.structure_ids)


def test_medial_branch_block_mirrors_for_the_left(k):
    right = k.treatments["medial_branch_block"].resolve(level="T6", side="right")
    left = k.treatments["medial_branch_block"].resolve(level="T6", side="left")
    r_off = {g.at.anchor: g.at.offset for g in right.geometry_with_role("target")}
    l_off = {g.at.anchor: g.at.offset for g in left.geometry_with_role("target")}
    assert r_off["vertebra_T6.transverse_tip_R"] == (
        -3.0,
        0.0,
        4.0,
    )  # 3 mm medial on the right = -x
    assert l_off["vertebra_T6.transverse_tip_L"] == (
        3.0,
        0.0,
        4.0,
    )  # medial on the left = +x
    assert left.with_role("primary") == ("facet_T6_T7_L",)


def test_medial_branch_block_lower_levels_use_lumbar_like_target(k):
    r = k.treatments["medial_branch_block"].resolve(level="T11", side="right")
    labels = " ".join(g.label for g in r.geometry_with_role("target"))
    assert "superior articular" in labels and "superolateral" not in labels
    assert r.with_role("primary") == ("facet_T11_T12_R",)
    r12 = k.treatments["medial_branch_block"].resolve(level="T12", side="right")
    assert r12.with_role("primary") == ("facet_T12_L1_R",)
    assert all("T13" not in p.anchor for g in r12.geometry for p in g.positions)


def test_osteoporotic_fracture_default(k):
    r = k.conditions["vertebral_compression_fracture"].resolve()
    assert r.variant_id == "osteoporotic"
    assert r.levels == ("T7", "T8", "T12")
    assert r.with_role("primary") == ("vertebra_T7", "vertebra_T8", "vertebra_T12")
    bodies = {g.center.anchor for g in r.geometry if g.center is not None}
    assert bodies == {
        "vertebra_T7.body_center",
        "vertebra_T8.body_center",
        "vertebra_T12.body_center",
    }
    assert r.side == "both"


def test_facet_joint_pain_t5_t6_left(k):
    r = k.conditions["facet_joint_pain"].resolve(level="T5-T6", side="left")
    assert r.with_role("primary") == ("facet_T5_T6_L",)
    same = k.conditions["facet_joint_pain"].resolve(level="T5_T6", side="left")
    assert same == r
    assert _anchors(r, "innervation") == {
        "vertebra_T5.transverse_tip_L",
        "vertebra_T6.transverse_tip_L",
    }


def test_facet_both_sides(k):
    r = k.conditions["facet_joint_pain"].resolve(level="T8-T9", side="both")
    assert set(r.with_role("primary")) == {"facet_T8_T9_L", "facet_T8_T9_R"}


def test_rib_token_is_a_rib_not_right(k):
    r = k.conditions["intercostal_neuralgia"].resolve(level="R9", side="left")
    assert r.with_role("primary") == ("nerve_L9",)
    assert r.with_role("referral") == ("dermatome_T9_L",)


def test_subcostal_nerve_level(k):
    r = k.conditions["intercostal_neuralgia"].resolve(level="R12", side="right")
    assert r.with_role("primary") == ("nerve_R12",)
    assert k.structures["nerve_R12"].name == "Subcostal nerve (right)"


def test_costovertebral_two_facets_only_for_ribs_2_to_9(k):
    cv = k.conditions["costovertebral_joint_pain"]
    r6 = cv.resolve(level="R6", side="right")
    assert {"costovertebral_R6", "costotransverse_R6"} == set(r6.with_role("primary"))
    assert {"vertebra_T5", "vertebra_T6", "disc_T5_T6", "rib_R6"} <= set(
        r6.with_role("secondary")
    )
    r11 = cv.resolve(level="R11", side="right")
    assert r11.with_role("primary") == (
        "costovertebral_R11",
    )  # no costotransverse joint at 11
    assert "vertebra_T10" not in r11.structure_ids
    r1 = cv.resolve(level="R1", side="right")
    assert "disc_T0_T1" not in r1.structure_ids and "vertebra_T1" in r1.structure_ids


def test_disc_herniation_defaults_and_lateral_variant(k):
    d = k.conditions["thoracic_disc_herniation"]
    central = d.resolve()
    assert central.with_role("primary") == ("disc_T7_T8", "disc_T11_T12")
    assert central.with_role("caution") == ("spinal_cord",)
    lateral = d.resolve(level="T9-T10", side="left", variant="lateral")
    assert lateral.with_role("primary") == ("disc_T9_T10",)
    assert "nerve_L9" in lateral.with_role("secondary")


def test_viscerosomatic_heart_is_left_t1_t5(k):
    r = k.conditions["viscerosomatic_pain"].resolve(variant="heart")
    assert r.side == "left"
    assert set(r.with_role("referral")) == {
        f"{prefix}{i}{suffix}"
        for i in range(1, 6)
        for prefix, suffix in (
            ("vertebra_T", ""),
            ("nerve_L", ""),
            ("paravertebral_zone_T", "_L"),
            ("dermatome_T", "_L"),
        )
    }
    assert r.with_role("primary") == ("heart",)
    assert r.colour == "#1E3A8A"
    assert "cardiac_ischaemia" in {f.id for f in r.red_flags}


def test_viscerosomatic_organs_resolve(k):
    vp = k.conditions["viscerosomatic_pain"]
    assert vp.resolve(variant="liver_gallbladder").side == "right"
    assert vp.resolve(variant="spleen").side == "left"
    kidney = vp.resolve(variant="kidney", side="left")
    assert {"rib_L11", "rib_L12", "vertebra_T9"} <= set(kidney.structure_ids)
    aorta = vp.resolve(variant="aorta")
    assert aorta.levels == ()
    assert "descending_aorta" in aorta.with_role("primary")


def test_dish_is_right_sided(k):
    r = k.conditions["arthritis"].resolve(variant="dish")
    assert r.side == "right"
    assert r.levels == ("T7", "T8", "T9", "T10", "T11", "T12")
    assert all(g.at is None or g.side == "right" for g in r.geometry)
    with pytest.raises(ValueError, match="side"):
        k.conditions["arthritis"].resolve(variant="dish", side="left")


def test_ankylosing_spondylitis_is_bilateral_and_includes_sternum(k):
    r = k.conditions["arthritis"].resolve(variant="ankylosing_spondylitis")
    ids = set(r.structure_ids)
    assert {
        "facet_T1_T2_L",
        "facet_T12_L1_R",
        "costovertebral_L12",
        "manubrium",
        "sternal_body",
    } <= ids
    assert "costotransverse_L11" not in ids


def test_intercostal_block_geometry(k):
    r = k.treatments["intercostal_nerve_block"].resolve(level="R7", side="left")
    assert r.with_role("target") == ("nerve_L7",)
    target = r.geometry_with_role("target")[0]
    assert target.at.anchor == "rib_L7.angle"
    assert target.at.offset[2] < 0  # below the rib
    path = r.geometry_with_role("approach")[0]
    assert path.points[-1].anchor == "rib_L7.angle"
    assert "pleura_L" in r.with_role("caution")
    assert any(g.stands_for is None for g in r.geometry_with_role("caution"))


def test_paravertebral_block_is_mirrored(k):
    right = k.treatments["paravertebral_block"].resolve(level="T4", side="right")
    left = k.treatments["paravertebral_block"].resolve(level="T4", side="left")
    rp = right.geometry_with_role("approach")[0].points[0]
    lp = left.geometry_with_role("approach")[0].points[0]
    assert rp.anchor == lp.anchor == "vertebra_T4.spinous_tip"
    assert rp.offset == (25.0, -35.0, 0.0) and lp.offset == (-25.0, -35.0, 0.0)


def test_epidural_segment_t12_l1_stays_in_model(k):
    r = k.treatments["epidural_steroid_injection"].resolve(level="T12-L1", side="right")
    assert "vertebra_T13" not in r.structure_ids
    assert "vertebra_T12" in r.structure_ids
    assert _anchors(r, "target") == {"disc_T12_L1.posterior"}


def test_systemic_treatment_has_no_site(k):
    r = k.treatments["oral_analgesics"].resolve(variant="naproxen")
    assert r.structures == () and r.geometry == ()
    assert k.treatments["oral_analgesics"].systemic


def test_level_lists_and_ranges(k):
    d = k.conditions["sports_rib_stress_fracture"]
    assert d.resolve(level="R6..R7", side="right").with_role("primary") == (
        "rib_R6",
        "rib_R7",
    )
    assert d.resolve(level=["R9", "R5"], side="right").with_role("primary") == (
        "rib_R9",
        "rib_R5",
    )


def test_landmark_resolution(k):
    r = k.landmarks["sternal_angle"].resolve()
    assert {
        "cartilage_L2",
        "cartilage_R2",
        "manubrium",
        "sternal_body",
        "disc_T4_T5",
    } <= set(r.structure_ids)
    r = k.landmarks["rib_angle"].resolve(side="left")
    assert len([g for g in r.geometry if g.at and g.at.anchor.endswith(".angle")]) == 12


def test_structure_role_keeps_the_strongest(k):
    r = k.treatments["ism"].resolve(level="R5")
    roles = {sid: role for sid, role, _ in r.structures}
    assert roles["rib_L5"] == "primary" and roles["rib_L4"] == "referral"
    assert len(r.structure_ids) == len(set(r.structure_ids))


# --------------------------------------------------------------------------- errors


def test_invalid_level_kind_names_entry_parameter_and_choices(k):
    with pytest.raises(ValueError) as exc:
        k.conditions["facet_joint_pain"].resolve(level="T6")
    msg = str(exc.value)
    assert (
        "facet_joint_pain" in msg
        and "'level'" in msg
        and "T1-T2" in msg
        and "T12-L1" in msg
    )


def test_level_outside_allowed_range(k):
    with pytest.raises(ValueError) as exc:
        k.conditions["slipping_rib_syndrome"].resolve(level="R7")
    msg = str(exc.value)
    assert "slipping_rib_syndrome" in msg and "'level'" in msg and "R8, R9, R10" in msg


def test_malformed_level(k):
    with pytest.raises(ValueError, match=r"intercostal_neuralgia.*'level'.*R1"):
        k.conditions["intercostal_neuralgia"].resolve(level="R13")


def test_invalid_side(k):
    with pytest.raises(ValueError) as exc:
        k.conditions["slipping_rib_syndrome"].resolve(side="up")
    msg = str(exc.value)
    assert (
        "slipping_rib_syndrome" in msg
        and "'side'" in msg
        and "left, right, both" in msg
    )


def test_side_not_allowed_for_variant(k):
    with pytest.raises(ValueError) as exc:
        k.conditions["viscerosomatic_pain"].resolve(variant="heart", side="right")
    assert "heart" in str(exc.value) and "valid choices: left" in str(exc.value)


def test_level_given_to_entry_without_levels(k):
    with pytest.raises(ValueError, match=r"diaphragm_dysfunction.*'level'"):
        k.conditions["diaphragm_dysfunction"].resolve(level="T6")


def test_unknown_variant(k):
    with pytest.raises(ValueError, match=r"arthritis.*'variant'.*dish"):
        k.conditions["arthritis"].resolve(variant="gout")
    with pytest.raises(ValueError, match=r"facet_joint_pain.*'variant'"):
        k.conditions["facet_joint_pain"].resolve(variant="x")


def test_unknown_entry_id_suggests(k):
    with pytest.raises(KeyError, match="slipping_rib_syndrome"):
        k.conditions["slipping_rib"]


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize(
    "template, level, side, expected",
    [
        ("rib_{S}{n}", "R9", "left", "rib_L9"),
        ("facet_{seg}_{S}", "T12-L1", "right", "facet_T12_L1_R"),
        ("facet_{seg}_{S}", "T6", "right", "facet_T6_T7_R"),
        ("disc_{seg_above}", "R6", None, "disc_T5_T6"),
        ("vertebra_T{n-1}.lamina_{S}", "T2", "left", "vertebra_T1.lamina_L"),
        ("T{n} ({side}) at {level}", "T5-T6", "right", "T5 (right) at T5-T6"),
    ],
)
def test_fill(template, level, side, expected):
    assert fill(template, level, side) == expected


def test_mirror():
    assert mirror((10.0, -5.0, 2.0), "left") == (-10.0, -5.0, 2.0)
    assert mirror((10.0, -5.0, 2.0), "right") == (10.0, -5.0, 2.0)
    assert mirror((10.0, -5.0, 2.0), None) == (10.0, -5.0, 2.0)
