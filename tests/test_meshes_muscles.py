"""Scapulae and back/chest-wall muscles: landmark levels, attachments, layering, no bone clash.

Measured on the model the fixtures load (the packaged model, or
``THORACIC_TEST_MODEL_DIR`` while developing).
"""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from meshes.ids import MUSCLES

SIDES = ("L", "R")
MUSCLE_IDS = [f"{m}_{s}" for m in MUSCLES for s in SIDES]
INTERCOSTAL_IDS = [f"intercostal_{s}{n}" for s in SIDES for n in range(1, 12)]

# attachments inside the model: (muscle, end) -> bone ids the end rests on
BONY_ENDS = {
    ("trapezius_middle", "insertion"): ["scapula"],
    ("trapezius_lower", "insertion"): ["scapula"],
    ("trapezius_lower", "origin"): ["vertebra"],
    ("rhomboid_minor", "insertion"): ["scapula"],
    ("rhomboid_major", "origin"): ["vertebra"],
    ("rhomboid_major", "insertion"): ["scapula"],
    ("levator_scapulae", "insertion"): ["scapula"],
    ("serratus_posterior_superior", "insertion"): ["rib"],
    ("serratus_posterior_inferior", "insertion"): ["rib"],
    ("iliocostalis_thoracis", "origin"): ["rib"],
    ("iliocostalis_thoracis", "insertion"): ["rib"],
    ("latissimus_dorsi", "origin"): ["vertebra", "rib"],
    ("serratus_anterior", "origin"): ["rib"],
    ("serratus_anterior", "insertion"): ["scapula"],
}


def _a(anchors, key):
    return np.asarray(anchors[key], float)


def _bones(model, side, kinds):
    out = []
    for k, m in model.items():
        if "rib" in kinds and k.startswith(f"rib_{side}"):
            out.append(m)
        if "vertebra" in kinds and k.startswith("vertebra_"):
            out.append(m)
        if "scapula" in kinds and k == f"scapula_{side}":
            out.append(m)
    return pv.merge(out)


def _dist(mesh: pv.PolyData, p: np.ndarray) -> float:
    i = mesh.find_closest_cell(p)
    cell = mesh.extract_cells([i])
    return float(np.abs(pv.PolyData(p[None]).compute_implicit_distance(cell.extract_surface())["implicit_distance"][0]))


def _surface_dist(mesh: pv.PolyData, p: np.ndarray) -> float:
    d = pv.PolyData(np.asarray(p, float)[None]).compute_implicit_distance(mesh)["implicit_distance"][0]
    return float(abs(d))


def test_all_ids_present_closed(model):
    for sid in ["scapula_L", "scapula_R", *MUSCLE_IDS, *INTERCOSTAL_IDS]:
        m = model[sid]
        assert m.is_all_triangles, sid
        assert m.n_open_edges == 0 and m.is_manifold, sid
        assert m.volume > 0, sid


def test_triangle_budgets(model):
    assert sum(model[f"scapula_{s}"].n_cells for s in SIDES) <= 10_000
    assert sum(model[k].n_cells for k in [*MUSCLE_IDS, *INTERCOSTAL_IDS]) <= 40_000


def test_mirror_symmetry(model):
    for sid in ["scapula_R", *[m for m in MUSCLE_IDS if m.endswith("_R")], *[i for i in INTERCOSTAL_IDS if "_R" in i]]:
        left = sid[:-2] + "_L" if sid.endswith("_R") else sid.replace("_R", "_L")
        r = np.asarray(model[sid].points)
        l_pts = np.asarray(model[left].points) * np.array([-1.0, 1.0, 1.0])
        assert r.shape == l_pts.shape, sid
        assert np.allclose(np.sort(r, axis=0), np.sort(l_pts, axis=0), atol=1e-3), sid


@pytest.mark.parametrize("side", SIDES)
def test_scapular_landmark_levels(anchors, side):
    sp = {n: _a(anchors, f"vertebra_T{n}.spinous_tip") for n in range(1, 13)}
    s = f"scapula_{side}"
    root = _a(anchors, f"{s}.spine_root")
    inf = _a(anchors, f"{s}.inferior_angle")
    sup = _a(anchors, f"{s}.superior_angle")
    assert abs(root[2] - sp[3][2]) < 15.0
    assert sp[9][2] - 5.0 < inf[2] < sp[7][2] + 5.0
    # superior angle level with rib 2 (posterior part)
    rib2 = _a(anchors, f"rib_{side}2.angle")
    assert abs(sup[2] - rib2[2]) < 15.0
    for key in ("spine_root", "medial_border", "inferior_angle", "superior_angle"):
        assert 40.0 <= abs(_a(anchors, f"{s}.{key}")[0]) <= 65.0, key
    gl = _a(anchors, f"{s}.glenoid")
    ac = _a(anchors, f"{s}.acromion")
    assert abs(gl[0]) > abs(root[0]) + 50.0 and ac[2] > gl[2]


@pytest.mark.parametrize("side", SIDES)
def test_scapula_behind_ribs_without_contact(model, anchors, side):
    scap = model[f"scapula_{side}"]
    ribs = _bones(model, side, ["rib"])
    d = pv.PolyData(np.asarray(scap.points)).compute_implicit_distance(ribs)["implicit_distance"]
    assert d.min() > 1.0
    # medial border rests 4-20 mm behind the rib surface
    mb = _a(anchors, f"scapula_{side}.medial_border")
    dm = _surface_dist(ribs, mb)
    assert 4.0 < dm < 20.0
    assert mb[1] < _a(anchors, f"rib_{side}5.angle")[1] + 5.0


def test_muscle_anchor_contract(anchors):
    for sid in MUSCLE_IDS:
        for pt in ("origin", "insertion", "trigger_point", "center"):
            assert f"{sid}.{pt}" in anchors, f"{sid}.{pt}"
    for sid in INTERCOSTAL_IDS:
        for pt in ("posterior", "lateral", "anterior"):
            assert f"{sid}.{pt}" in anchors
    for s in SIDES:
        for pt in ("superior_angle", "inferior_angle", "spine_root", "acromion", "glenoid", "medial_border"):
            assert f"scapula_{s}.{pt}" in anchors


@pytest.mark.parametrize("side", SIDES)
def test_attachments_on_their_bones(model, anchors, side):
    for (name, end), kinds in BONY_ENDS.items():
        p = _a(anchors, f"{name}_{side}.{end}")
        mesh = model[f"{name}_{side}"]
        assert _surface_dist(mesh, p) < 8.0, (name, end)
        assert _surface_dist(_bones(model, side, kinds), p) < 8.0, (name, end)


@pytest.mark.parametrize("side", ["R"])
def test_trigger_points_on_surface(model, anchors, side):
    for m in MUSCLES:
        sid = f"{m}_{side}"
        assert _surface_dist(model[sid], _a(anchors, f"{sid}.trigger_point")) < 1.5, sid


def test_no_muscle_inside_bone(model):
    bones = _bones(model, "R", ["rib", "vertebra"])
    scap = model["scapula_R"]
    for sid in [m for m in MUSCLE_IDS if m.endswith("_R")] + [i for i in INTERCOSTAL_IDS if "_R" in i]:
        pts = pv.PolyData(np.asarray(model[sid].points))
        d = pts.compute_implicit_distance(bones)["implicit_distance"]
        assert d.min() > -1.0, (sid, float(d.min()))
        ds = pts.compute_implicit_distance(scap)["implicit_distance"]
        assert ds.min() > -1.5, (sid, float(ds.min()))


def _posterior_hit(mesh: pv.PolyData, x: float, z: float) -> float | None:
    pts, _ = mesh.ray_trace((x, 100.0, z), (x, -300.0, z))
    return float(pts[:, 1].min()) if len(pts) else None


@pytest.mark.parametrize(
    "superficial,deep,region",
    [
        ("trapezius_middle", "rhomboid_minor", None),
        ("trapezius_lower", "rhomboid_major", None),
        ("rhomboid_major", "serratus_posterior_superior", None),
        ("trapezius_lower", "latissimus_dorsi", None),
        ("latissimus_dorsi", "serratus_posterior_inferior", None),
        ("serratus_posterior_superior", "iliocostalis_thoracis", None),
        ("longissimus_thoracis", "multifidus", None),
    ],
)
def test_layering(model, superficial, deep, region):
    """Where two muscles overlap (seen from behind) the superficial one is further back."""
    a, b = model[f"{superficial}_R"], model[f"{deep}_R"]
    scap = model["scapula_R"]
    lo = np.maximum(np.array(a.bounds)[[0, 4]], np.array(b.bounds)[[0, 4]])
    hi = np.minimum(np.array(a.bounds)[[1, 5]], np.array(b.bounds)[[1, 5]])
    both = 0
    for x in np.linspace(lo[0], hi[0], 7)[1:-1]:
        for z in np.linspace(lo[1], hi[1], 7)[1:-1]:
            ya, yb = _posterior_hit(a, x, z), _posterior_hit(b, x, z)
            if ya is None or yb is None or _posterior_hit(scap, x, z) is not None:
                continue  # under the scapula deep layers are squeezed between ribs and scapula
            both += 1
            assert ya <= yb + 0.5, (superficial, deep, x, z, ya, yb)
    assert both >= 2, "no overlap found"


def test_serratus_anterior_between_ribs_and_scapula(model):
    sa = model["serratus_anterior_R"]
    d = pv.PolyData(np.asarray(sa.points)).compute_implicit_distance(model["scapula_R"])["implicit_distance"]
    assert d.min() > -1.0
    assert sa.bounds[1] > 100.0  # reaches the lateral chest wall
