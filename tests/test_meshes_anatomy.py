"""Anatomy of the packaged model, measured on the meshes and compared with published values."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from measure import (
    body_anterior_height,
    canal_widths,
    endplate_normal,
    pedicle_width,
    signed_depth,
    spinous_inclination,
    trace_centerline,
)
from meshes import LEVELS, structure_ids, structure_specs
from meshes.ids import soft_tissue_specs


def test_every_structure_present(model):
    assert list(model) == structure_ids()
    groups = {s.group for s in structure_specs()}
    assert groups == {"vertebra", "rib", "cartilage", "sternum", "disc", "cord", "nerve", "joint",
                      "scapula", "muscle", "diaphragm", "pleura", "dura", "organ", "skin"}


def test_triangle_budget_spent_on_bone(model):
    soft = {s.id for s in soft_tissue_specs()}
    skeleton = sum(m.n_cells for k, m in model.items() if k not in soft)
    total = sum(m.n_cells for m in model.values())
    assert 120_000 <= skeleton <= 250_000
    # the whole model stays within what software WebGL draws in about half a second
    assert total <= 320_000
    assert total - skeleton <= 110_000
    vert = sum(model[f"vertebra_{lv}"].n_cells for lv in LEVELS)
    nerves = sum(m.n_cells for k, m in model.items() if k.startswith("nerve_"))
    assert vert > 0.35 * skeleton
    assert nerves < 0.1 * skeleton


@pytest.mark.parametrize("sid", structure_ids())
def test_closed_manifold_outward(model, sid):
    mesh = model[sid]
    tm = trimesh.Trimesh(mesh.points, mesh.regular_faces, process=False)
    assert tm.is_watertight, sid
    assert tm.is_winding_consistent, sid
    assert tm.volume > 0, f"{sid}: normals point inward"
    # stored point normals agree with the face orientation
    normals = np.asarray(mesh.point_data["Normals"])
    assert np.mean(np.einsum("ij,ij->i", normals, tm.vertex_normals) > 0) > 0.98


@pytest.mark.parametrize("level", ["T1", "T2", "T9", "T12"])
def test_body_anterior_height_matches_published(model, anchors, reference, level):
    mean, sd = reference["body_height_anterior"]["values"][level]
    got = body_anterior_height(model[f"vertebra_{level}"], anchors, level)
    assert abs(got - mean) <= max(1.5, sd), (level, got, mean)


def test_interpedicular_distance_follows_published_series(model, anchors, reference):
    published = np.array(reference["interpedicular_distance_male"]["values"])
    got = np.array([canal_widths(model[f"vertebra_{lv}"], anchors, lv)[0] for lv in LEVELS])
    assert np.all(np.abs(got - published) <= 2.5), np.round(got - published, 1)
    # the canal narrows in mid-thorax and widens at both ends
    assert got[4:9].mean() < got[0] and got[4:9].mean() < got[11]


@pytest.mark.parametrize("level", ["T1", "T8", "T12"])
def test_canal_ap_diameter_matches_published(model, anchors, reference, level):
    mean, sd = reference["canal_ap"]["values"][level]
    _, ap = canal_widths(model[f"vertebra_{level}"], anchors, level)
    assert abs(ap - mean) <= 2 * sd, (level, ap, mean)


def test_pedicles_narrowest_mid_thoracic(model, anchors):
    widths = {lv: pedicle_width(model[f"vertebra_{lv}"], anchors, lv) for lv in LEVELS[1:9]}
    narrowest = min(widths, key=widths.get)
    assert narrowest in ("T4", "T5", "T6"), widths
    assert widths["T2"] > widths[narrowest] + 1.0
    assert widths["T9"] > widths[narrowest] + 1.0


def test_spinous_processes_steepest_mid_thoracic(model, anchors):
    inc = {lv: spinous_inclination(model[f"vertebra_{lv}"], anchors, lv) for lv in LEVELS}
    assert inc["T1"] < 35 and inc["T12"] < 35, inc
    assert all(inc[lv] > 50 for lv in ("T5", "T6", "T7", "T8")), inc
    assert max(inc, key=inc.get) in ("T5", "T6", "T7", "T8")


def test_cobb_angle_from_endplates(model, anchors):
    n1 = endplate_normal(model["vertebra_T1"], anchors, "T1", superior=True)
    n12 = endplate_normal(model["vertebra_T12"], anchors, "T12", superior=False)
    cobb = np.degrees(np.arccos(np.clip(np.dot(n1, -n12), -1, 1)))
    from meshes import load_manifest

    assert abs(cobb - load_manifest()["params"]["kyphosis_deg"]) <= 2.0


def test_lower_vertebrae_match_real_ct_extents(model, reference):
    # One real CT case (VerSe sub-verse004): AP and SI extents within 15 %.
    for level, (ap, si, _ml) in reference["verse_sub_verse004_extents"]["values"].items():
        mesh = model[f"vertebra_{level}"]
        ext = np.ptp(mesh.points, axis=0)
        assert abs(ext[1] - ap) / ap < 0.15, (level, ext)
        assert abs(ext[2] - si) / si < 0.3, (level, ext)


def test_rib_arc_lengths_follow_holcombe(model, anchors, reference):
    derived = reference["rib_arc_length_2d_derived_male"]["values"]
    lengths = {}
    for n in range(2, 13):
        path = trace_centerline(model[f"rib_R{n}"], anchors[f"rib_R{n}.head"], anchors[f"rib_R{n}.tubercle"])
        lengths[n] = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
        assert abs(lengths[n] - derived[n - 1]) / derived[n - 1] < 0.08, (n, lengths[n], derived[n - 1])
    ordered = sorted(lengths, key=lengths.get, reverse=True)
    assert {7, 8} & set(ordered[:3]), ordered
    assert min(lengths, key=lengths.get) == 12


def test_rib_one_is_shortest_arc(model):
    # Rib 1 is a short broad C: compare surface extents rather than a traced path.
    ext1 = np.ptp(model["rib_R1"].points, axis=0).max()
    assert all(ext1 < np.ptp(model[f"rib_R{n}"].points, axis=0).max() for n in range(2, 11))


def test_sternum_parts_lengths(model, reference):
    ref = reference["sternum_male"]
    for sid, key in (("manubrium", "manubrium"), ("sternal_body", "body"), ("xiphoid", "xiphoid")):
        pts = model[sid].points - model[sid].points.mean(axis=0)
        _, _, vt = np.linalg.svd(pts, full_matrices=False)
        length = np.ptp(pts @ vt[0])
        mean, sd = ref[key]
        assert abs(length - mean) <= max(sd, 6.0), (sid, length, mean)


def test_sternal_angle_about_162_degrees(model, reference):
    # long axes in the sagittal (y, z) plane; the manubrium is as wide as it is long
    axes = []
    for sid in ("manubrium", "sternal_body"):
        pts = model[sid].points[:, 1:] - model[sid].points[:, 1:].mean(axis=0)
        _, _, vt = np.linalg.svd(pts, full_matrices=False)
        d = vt[0] if vt[0][1] < 0 else -vt[0]
        axes.append(d)
    angle = 180.0 - np.degrees(np.arccos(np.clip(np.dot(*axes), -1, 1)))
    mean, sd = reference["sternal_angle_deg"]["male"]
    assert abs(angle - mean) <= sd, angle


def test_sternal_angle_level_with_t4_t5_disc(model):
    man, body = model["manubrium"].points, model["sternal_body"].points
    junction = 0.5 * (man[:, 2].min() + body[:, 2].max())
    disc = model["disc_T4_T5"].points[:, 2].mean()
    assert abs(junction - disc) < 8.0, (junction, disc)


def test_xiphisternal_joint_level_with_t9(model):
    body, xiph = model["sternal_body"].points, model["xiphoid"].points
    junction = 0.5 * (body[:, 2].min() + xiph[:, 2].max())
    t9 = model["vertebra_T9"]
    lo, hi = np.percentile(t9.points[:, 2], [5, 95])
    assert lo - 5.0 < junction < hi + 5.0


def _min_distance(a, b, near=None, radius=12.0):
    pts = a.points
    if near is not None:
        pts = pts[np.linalg.norm(pts - np.asarray(near), axis=1) < radius]
    return float(np.abs(signed_depth(pts, b)).min())


@pytest.mark.parametrize("n", range(1, 13))
def test_rib_heads_sit_in_their_facets(model, anchors, n):
    for side in "LR":
        rib = model[f"rib_{side}{n}"]
        head = anchors[f"rib_{side}{n}.head"]
        own = _min_distance(rib, model[f"vertebra_T{n}"], head)
        assert own <= 3.0, (n, side, own)
        if 2 <= n <= 9:
            above = _min_distance(rib, model[f"vertebra_T{n - 1}"], head)
            assert above <= 3.0, (n, side, above)
        elif n > 1:
            above = _min_distance(rib, model[f"vertebra_T{n - 1}"], head)
            assert above > 3.0, f"rib {n} should articulate with one vertebra only"


@pytest.mark.parametrize("n", range(1, 11))
def test_tubercles_meet_transverse_processes(model, anchors, n):
    rib = model[f"rib_R{n}"]
    tub = anchors[f"rib_R{n}.tubercle"]
    d = _min_distance(rib, model[f"vertebra_T{n}"], tub, radius=8.0)
    assert d <= 3.0
    tip = np.array(anchors[f"vertebra_T{n}.transverse_tip_R"])
    assert np.linalg.norm(tip - np.array(tub)) < 15.0


def test_anterior_rib_ends_lie_below_posterior_ends(anchors):
    for n in range(1, 13):
        assert anchors[f"rib_R{n}.anterior_end"][2] < anchors[f"rib_R{n}.head"][2] - 10.0, n


def _mirror_gap(a, b):
    pts = a.points * np.array([-1.0, 1.0, 1.0])
    return float(np.abs(signed_depth(pts, b)).max())


@pytest.mark.parametrize("pair", [("rib_L7", "rib_R7"), ("cartilage_L9", "cartilage_R9"), ("nerve_L4", "nerve_R4"), ("facet_T6_T7_L", "facet_T6_T7_R")])
def test_paired_structures_are_mirror_images(model, pair):
    assert _mirror_gap(model[pair[0]], model[pair[1]]) < 0.05


@pytest.mark.parametrize("level", ["T3", "T7", "T11"])
def test_vertebrae_are_symmetric(model, level):
    assert _mirror_gap(model[f"vertebra_{level}"], model[f"vertebra_{level}"]) < 1.0


def _bone_pairs():
    pairs = [(f"vertebra_T{i}", f"vertebra_T{i + 1}") for i in range(1, 12)]
    for n in range(1, 13):
        pairs.append((f"rib_R{n}", f"vertebra_T{n}"))
        if n > 1:
            pairs.append((f"rib_R{n}", f"vertebra_T{n - 1}"))
        if n < 12:
            pairs.append((f"rib_R{n}", f"rib_R{n + 1}"))
    pairs += [("manubrium", "sternal_body"), ("sternal_body", "xiphoid")]
    return pairs


@pytest.mark.parametrize("a,b", _bone_pairs())
def test_neighbouring_bones_touch_but_do_not_interpenetrate(model, a, b):
    depth = signed_depth(model[a].points, model[b])
    assert depth.min() > -1.0, f"{a} penetrates {b} by {-depth.min():.1f} mm"


def test_rib_cage_size_near_population_mean(model, reference):
    # NAKO mean rib-cage extents (ribs only); an individual model may differ, gross errors may not.
    ref = reference["nako_ribcage_mean_extent"]["values"]
    pts = np.vstack([model[f"rib_{s}{n}"].points for s in "LR" for n in range(1, 13)])
    lr, pa, si = np.ptp(pts, axis=0)
    assert abs(lr - ref["LR"]) / ref["LR"] < 0.2, lr
    assert abs(pa - ref["PA"]) / ref["PA"] < 0.2, pa
    assert abs(si - ref["IS"]) / ref["IS"] < 0.2, si


def test_annotation_groups_match_model_groups():
    from annotations.schema import STRUCTURE_GROUPS
    from meshes import GROUPS

    assert tuple(STRUCTURE_GROUPS) == tuple(GROUPS)
