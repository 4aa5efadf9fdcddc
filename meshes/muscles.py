"""Back and chest-wall muscles between their bony attachments, and the intercostal muscles.

Every muscle except the intercostals is a slab lying on the chest wall
described by :class:`meshes.scapula.ChestWall` (a cylindrical height map of
the outermost bone).  A muscle is laid out in the wall's ``(theta, z)``
parameter space, either as a sheet lofted between its origin and insertion
lines (trapezius, rhomboids, serratus posterior, latissimus dorsi, serratus
anterior) or as a column along a path (erector spinae columns, multifidus,
levator scapulae).  Its deep surface rests on what is already there and its
superficial surface is ``thickness`` further out; the wall is then raised
over it, so the muscles built later lie on it.  They are built deepest
first, which gives the layering:

multifidus < spinalis, longissimus, iliocostalis < serratus posterior
superior/inferior < serratus anterior (under the scapula) < rhomboids,
levator scapulae < latissimus dorsi < trapezius (lower, middle).

Shape: across a muscle the thickness is a dome (a half ellipse for the
columns, flatter for the sheets) on a grid that is denser toward the edges,
so the rims come out rounded; along it the thickness swells to a belly and
thins toward each bony attachment (ends cut at the model boundary keep their
full thickness).  Serratus anterior has notched, separately thickened rib
digitations; the lower trapezius converges on the root of the scapular
spine.  Fibre-direction grooves are not modelled.

Near an attachment the deep surface comes down onto the bone itself, so each
end sits on its attachment.  Where an attachment lies outside the model, the
muscle ends cleanly at the model boundary:

- C7 and L1-L2 spinous processes are extrapolated one or two levels beyond
  T1 and T12 along the line of the tips;
- levator scapulae ends above the superior angle at the top of the model
  (its origin, the C1-C4 transverse processes, is above it);
- longissimus and multifidus end at the bottom of the model (their lumbar
  and sacral origins are below it);
- latissimus dorsi is drawn from the T7-T12 (and extrapolated L1-L2)
  spinous processes, the bottom of the model (thoracolumbar fascia) and ribs
  9-12, and ends at the posterior axillary fold beside the scapula (the
  humerus is not modelled).

The intercostal muscles (external and internal layers as one sheet) fill each
rib space from the rib angle to the anterior end of the ribs.

Numbers are in ``meshes/data/soft_tissue_muscles.json`` with their basis and
sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from scipy import ndimage

from .model import Skeleton, _mirror, _mirror_mesh
from .params import soft_tissue_measurements
from .scapula import ARC_RADIUS, ChestWall, bone_wall, scapula_frame
from .sdf import finish_surface
from .sweep import smooth_curve

A = ARC_RADIUS


@dataclass
class Slab:
    """A muscle built on the wall: its surface and its deep/superficial grids ``(nu, nv, 3)``."""

    mesh: pv.PolyData
    inner: np.ndarray
    outer: np.ndarray


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _to_param(p: np.ndarray) -> np.ndarray:
    th, _r, z = ChestWall.to_cyl(p)
    return np.column_stack([th * A, z])


def _resample2(q: np.ndarray, n: int, frac: np.ndarray | None = None) -> np.ndarray:
    seg = np.linalg.norm(np.diff(q, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = (np.linspace(0.0, 1.0, n) if frac is None else frac) * s[-1]
    return np.column_stack([np.interp(t, s, q[:, k]) for k in range(q.shape[1])])


def _closed_slab(inner: np.ndarray, outer: np.ndarray) -> pv.PolyData:
    """Closed surface of a slab given its deep and superficial grids ``(nu, nv, 3)``.

    Rings run around each ``v`` cross-section (deep side, then superficial
    side back); consecutive rings are joined and the two end rings are
    closed with a strip between the deep and superficial rows.
    """
    nu, nv = inner.shape[:2]
    rings = np.concatenate([inner, outer[::-1]], axis=0)  # (2nu, nv, 3)
    k = 2 * nu
    pts = rings.transpose(1, 0, 2).reshape(-1, 3)
    ring = np.arange(k)
    nxt = (ring + 1) % k
    faces = []
    for j in range(nv - 1):
        a, b = j * k + ring, j * k + nxt
        c, d = (j + 1) * k + ring, (j + 1) * k + nxt
        faces.append(np.column_stack([a, c, b]))
        faces.append(np.column_stack([b, c, d]))
    # end faces: strips between the deep and superficial rows (no pole vertex,
    # which could fall inside a curved attachment line)
    iu = np.arange(nu - 1)
    for j in (0, nv - 1):
        a = j * k + iu  # deep row u, u+1
        o_u = j * k + (2 * nu - 1 - iu)  # superficial point above deep u
        o_u1 = o_u - 1
        if j == 0:
            faces.append(np.column_stack([a, a + 1, o_u]))
            faces.append(np.column_stack([a + 1, o_u1, o_u]))
        else:
            faces.append(np.column_stack([a, o_u, a + 1]))
            faces.append(np.column_stack([a + 1, o_u, o_u1]))
    tri = np.vstack(faces)
    mesh = pv.PolyData.from_regular_faces(pts, tri)
    return finish_surface(mesh.clean())


class Builder:
    """Lays muscles on a :class:`ChestWall`, raising it over each one."""

    def __init__(self, wall: ChestWall, gap: float = 0.4):
        self.wall = wall
        self.gap = gap

    def slab(
        self,
        P: np.ndarray,
        thick: np.ndarray,
        attach: np.ndarray,
        cap: np.ndarray | None = None,
        wall: ChestWall | None = None,
        raise_wall: bool = True,
    ) -> Slab:
        """Build a slab over the param grid ``P`` ``(nu, nv, 2)`` (a, z).

        ``thick`` ``(nu, nv)`` mm; ``attach`` ``(nu, nv)`` in [0, 1]: 1 where
        the deep surface comes down onto the bone; ``cap`` ``(nu, nv)``
        optional upper limit of the superficial radius.
        """
        wall = wall or self.wall
        th = P[..., 0] / A
        z = P[..., 1]
        # highest wall within half a grid step: a coarse grid must clear narrow
        # bone (rib tips, spinous processes) between its samples too
        # (except at an attachment, where the deep surface meets the bone itself)
        r_cum = _stencil_max(wall, P, False)
        r_bone0 = wall.radius(th, z, bone_only=True)
        r_bone = attach * r_bone0 + (1 - attach) * _stencil_max(wall, P, True)
        inner = (1 - attach) * (r_cum + self.gap) + attach * (r_bone + 0.3)
        inner = np.maximum(inner, r_bone + 0.3)
        outer = inner + np.maximum(thick, 0.8)
        if cap is not None:
            outer = np.minimum(outer, cap)
            inner = np.minimum(inner, outer - 0.8)
        # light smoothing of the radii along the grid (the wall has rib ridges)
        # (not at an attachment, where the deep surface must stay on the bone)
        inner_s = ndimage.uniform_filter(inner, size=3, mode="nearest")
        outer_s = ndimage.uniform_filter(outer, size=3, mode="nearest")
        inner_s = attach * inner + (1 - attach) * inner_s
        outer_s = attach * outer + (1 - attach) * outer_s
        inner = np.maximum(inner_s, r_bone + 0.3) if cap is None else np.minimum(np.maximum(inner_s, r_bone + 0.3), outer - 0.8)
        outer = np.maximum(outer_s, inner + 0.8)
        if cap is not None:
            outer = np.minimum(outer, np.maximum(cap, inner + 0.8))
        # never into bone: the deep surface stays on the wall even where a cap is tight
        inner = np.maximum(inner, r_bone + 0.3)
        outer = np.maximum(outer, inner + 0.8)
        pin = ChestWall.to_xyz(th, inner, z)
        pout = ChestWall.to_xyz(th, outer, z)
        mesh = _closed_slab(pin, pout)
        if raise_wall:
            zoom = (3, 3)
            self.wall.raise_to(ndimage.zoom(th, zoom, order=1), ndimage.zoom(z, zoom, order=1), ndimage.zoom(outer, zoom, order=1))
        return Slab(mesh, pin, pout)


def _ufrac(nu: int) -> np.ndarray:
    """Across-fractions of a grid, denser toward the two edges so that the rims come out round."""
    s = np.linspace(0.0, 1.0, nu)
    return 0.55 * (0.5 - 0.5 * np.cos(np.pi * s)) + 0.45 * s


def _stencil_max(wall: ChestWall, P: np.ndarray, bone_only: bool) -> np.ndarray:
    du = np.gradient(P, axis=0)
    dv = np.gradient(P, axis=1)
    best = None
    for fu, fv in ((0.0, 0.0), (0.5, 0.0), (-0.5, 0.0), (0.0, 0.5), (0.0, -0.5)):
        q = P + fu * du + fv * dv
        r = wall.radius(q[..., 0] / A, q[..., 1], bone_only=bone_only)
        best = r if best is None else np.maximum(best, r)
    return best


def _profile_u(nu: int, edge: float = 0.06, power: float = 0.5) -> np.ndarray:
    """Thickness across a muscle: a dome (half ellipse for ``power`` 0.5) thinning to a rounded rim."""
    return edge + (1 - edge) * np.sin(np.pi * _ufrac(nu)) ** power


def _end_weights(P: np.ndarray, length: float, ends: tuple[bool, bool], belly: tuple[float, float] = (0.22, 0.8)) -> tuple[np.ndarray, np.ndarray]:
    """Attachment weight and thickness profile along the v direction of a grid.

    Toward an attached end the muscle thins like a belly running into its
    tendon or aponeurosis (``belly``: thickness fraction left at the end and
    the exponent of the sine profile); ends at the model boundary are cut at
    full thickness.
    """
    seg = np.linalg.norm(np.diff(P, axis=1), axis=2)
    s = np.concatenate([np.zeros((P.shape[0], 1)), np.cumsum(seg, axis=1)], axis=1)
    total = s[:, -1:]
    sf = s / np.maximum(total, 1e-9)
    w = np.zeros(s.shape)
    taper = np.ones(s.shape)
    e, pw = belly
    if ends[0]:
        w = np.maximum(w, _smoothstep(1 - s / length))
        taper = taper * (e + (1 - e) * np.sin(0.5 * np.pi * np.clip(sf / 0.5, 0, 1)) ** pw)
    if ends[1]:
        w = np.maximum(w, _smoothstep(1 - (total - s) / length))
        taper = taper * (e + (1 - e) * np.sin(0.5 * np.pi * np.clip((1 - sf) / 0.5, 0, 1)) ** pw)
    return w, taper


def sheet_grid(origin: np.ndarray, insertion: np.ndarray, nu: int, nv: int) -> np.ndarray:
    """Param grid ``(nu, nv, 2)`` lofted from the origin line to the insertion line."""
    o = _resample2(_to_param(origin), nu, _ufrac(nu))
    i = _resample2(_to_param(insertion), nu, _ufrac(nu))
    v = np.linspace(0.0, 1.0, nv)[None, :, None]
    return o[:, None, :] * (1 - v) + i[:, None, :] * v


def column_grid(path: np.ndarray, half_width: np.ndarray, nu: int, nv: int) -> np.ndarray:
    """Param grid ``(nu, nv, 2)`` of a column: across (u) by along the path (v)."""
    q = _to_param(path)
    q3 = np.column_stack([q, np.zeros(len(q))])
    c = smooth_curve(q3, nv)[:, :2] if len(q) > 2 else _resample2(q, nv)
    t = np.gradient(c, axis=0)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    perp = np.column_stack([t[:, 1], -t[:, 0]])
    if perp[nv // 2, 0] < 0:
        perp = -perp
    hw = np.interp(np.linspace(0, 1, nv), np.linspace(0, 1, len(half_width)), half_width)
    u = (2.0 * _ufrac(nu) - 1.0)[:, None, None]
    return c[None, :, :] + u * (hw[None, :, None] * perp[None, :, :])


def _value(data: dict, muscle: str, key: str):
    return data["muscles"][muscle][key]["value"]


def _rib_outer(rib, idx: int, up: float = 0.0) -> np.ndarray:
    return rib.centers[idx] + rib.outward[idx] * rib.thickness[idx] + rib.plane_normal * rib.height[idx] * up


def _angle_idx(rib) -> int:
    c = rib.centers
    return int(np.argmin(c[: len(c) // 2, 1]))


def build_muscles(sk: Skeleton) -> tuple[dict[str, pv.PolyData], dict[str, np.ndarray]]:
    """Build the paired back and chest-wall muscles and the intercostal muscles.

    Returns
    -------
    meshes : dict
        ``<muscle>_L`` / ``_R`` for every name in :data:`meshes.ids.MUSCLES`
        and ``intercostal_L1`` ... ``intercostal_R11``.
    anchors : dict
        ``<muscle>_<S>.origin``, ``.insertion`` (centroids of the attachment
        areas; for an end at the model boundary, the centre of that end) and
        ``.trigger_point`` (typical trigger-point site on the superficial
        surface); ``intercostal_<S><n>.posterior``, ``.lateral``, ``.anterior``.
    """
    data = soft_tissue_measurements("muscles")
    an = sk.anchors
    ribs = sk.ribs
    sp = {n: an[f"vertebra_T{n}.spinous_tip"] for n in range(1, 13)}
    sp[0] = sp[1] + (sp[1] - sp[2]) * data["levels"]["c7_spacing"]["value"]
    sp[13] = sp[12] + (sp[12] - sp[11]) * 1.0
    sp[14] = sp[13] + (sp[12] - sp[11]) * 1.0
    tp = {n: an[f"vertebra_T{n}.transverse_tip_R"] for n in range(1, 13)}
    lam = {n: an[f"vertebra_T{n}.lamina_R"] for n in range(1, 13)}
    z_bottom = data["levels"]["model_bottom_z"]["value"]
    z_top = sp[0][2]

    # deep muscles first, on the ribs and vertebrae, kept under the scapula;
    # the scapula joins the wall before the rhomboids and everything superficial
    wall = bone_wall(sk)
    ribwall = bone_wall(sk)
    scap = sk.meshes["scapula_R"]
    scap_min = _min_radius_map(scap)
    fr = scapula_frame(sk, bone_wall(sk).smoothed(6.0))
    b = Builder(wall)
    out: dict[str, Slab] = {}
    anchors: dict[str, np.ndarray] = {}

    def spin(ns):
        return np.array([sp[n] for n in ns])

    def t(name, key):
        return _value(data, name, key)

    def sheet(name, origin, insertion, nu, nv, ends=(True, True), cap=None, wall_=None, o_anchor=None, i_anchor=None, tp_uv=(0.5, 0.5),
              across=(0.1, 0.4), belly=(0.22, 0.8), P=None, extra=None):
        P = sheet_grid(origin, insertion, nu, nv) if P is None else P
        w, taper = _end_weights(P, t(name, "attachment_length"), ends, belly)
        thick = t(name, "thickness") * _profile_u(nu, *across)[:, None] * taper
        if extra is not None:
            thick = thick * extra
        cap_arr = cap(P) if cap is not None else None
        s = b.slab(P, thick, w, cap=cap_arr, wall=wall_)
        out[name] = s
        anchors[f"{name}_R.origin"] = _centroid_on(origin) if o_anchor is None else o_anchor
        anchors[f"{name}_R.insertion"] = _centroid_on(insertion) if i_anchor is None else i_anchor
        anchors[f"{name}_R.trigger_point"] = _grid_pick(s.outer, *tp_uv)
        return s

    def under_scapula(P):
        return scap_min(P[..., 0] / A, P[..., 1]) - 0.8

    def column(name, path, nu, nv, ends, o_anchor, i_anchor, tp_uv, thick_along=None, cap=None, belly=(0.3, 0.7)):
        hw = np.asarray(t(name, "half_width"), float).reshape(-1)
        P = column_grid(path, hw, nu, nv)
        w, taper = _end_weights(P, t(name, "attachment_length"), ends, belly)
        prof = np.ones(nv) if thick_along is None else np.interp(np.linspace(0, 1, nv), np.linspace(0, 1, len(thick_along)), thick_along)
        thick = t(name, "thickness") * _profile_u(nu, 0.05, 0.5)[:, None] * taper * prof[None, :]
        s = b.slab(P, thick, w, cap=cap(P) if cap is not None else None)
        out[name] = s
        anchors[f"{name}_R.origin"] = o_anchor if o_anchor is not None else _grid_pick(s.inner, 0.5, 0.0)
        anchors[f"{name}_R.insertion"] = i_anchor if i_anchor is not None else _grid_pick(s.inner, 0.5, 1.0)
        anchors[f"{name}_R.trigger_point"] = _grid_pick(s.outer, *tp_uv)
        return s

    # ---- deepest: multifidus in the groove beside the spinous processes
    off = np.array(t("multifidus", "path_offset"))
    low = lam[12] + (lam[12] - lam[11]) * 1.6
    path = np.vstack([low, [lam[n] for n in range(12, 0, -1)]]) + off
    s = column("multifidus", path, 8, 40, (True, True), None, None, (0.5, 0.5), cap=under_scapula)
    anchors["multifidus_R.origin"] = _centroid_on(np.array([tp[n] for n in range(1, 13)]))
    anchors["multifidus_R.insertion"] = _centroid_on(spin(range(1, 13)))

    # ---- erector spinae: spinalis (medial), longissimus, iliocostalis (lateral)
    off = np.array(t("spinalis_thoracis", "path_offset"))
    path = spin([14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]) + off
    column("spinalis_thoracis", path, 6, 36, (True, True), _centroid_on(spin([11, 12, 13, 14])), _centroid_on(spin(range(1, 9))), (0.5, 0.55), cap=under_scapula)

    off = np.array(t("longissimus_thoracis", "path_offset"))
    tps = np.array([tp[n] for n in range(12, 0, -1)])
    lo = np.array([tps[0][0], tps[0][1] + 6.0, z_bottom])  # straight down toward the lumbar origin
    mid_lo = 0.5 * (lo + tps[0])
    path = np.vstack([lo, mid_lo, tps]) + off
    column("longissimus_thoracis", path, 8, 42, (False, True), None, _centroid_on(tps), (0.5, 0.28), thick_along=[1.0, 0.9, 0.7, 0.5], cap=under_scapula)

    angles = {n: _rib_outer(ribs[n], _angle_idx(ribs[n])) for n in range(1, 13)}
    off = np.array(t("iliocostalis_thoracis", "path_offset"))
    top = angles[1] + np.array([-8.0, 0.0, 22.0])
    path = np.vstack([[angles[n] for n in range(12, 0, -1)], top]) + off
    column("iliocostalis_thoracis", path, 7, 40, (True, True), _centroid_on(np.array([angles[n] for n in range(7, 13)])),
           _centroid_on(np.array([angles[n] for n in range(1, 7)])), (0.5, 0.55), cap=under_scapula)

    # ---- serratus posterior superior / inferior (thin, on the erector spinae)
    def rib_pt(n, shift, up):
        k = min(_angle_idx(ribs[n]) + shift, len(ribs[n].centers) - 1)
        return _rib_outer(ribs[n], k, up)

    sh = int(t("serratus_posterior_superior", "rib_index_past_angle"))
    sheet("serratus_posterior_superior", spin([0, 1, 2]), np.array([rib_pt(n, sh, 0.8) for n in (2, 3, 4, 5)]), 8, 20, tp_uv=(0.5, 0.7), cap=under_scapula)
    sh = int(t("serratus_posterior_inferior", "rib_index_past_angle"))
    ins = []
    for n in (9, 10, 11, 12):
        rb = ribs[n]
        k = _angle_idx(rb) + (sh if n <= 10 else 2 * sh)
        ins.append(_rib_outer(rb, min(k, len(rb.centers) - 1), -0.8))
    spi = sheet("serratus_posterior_inferior", spin([11, 12, 13, 14]), np.array(ins), 8, 20, tp_uv=(0.5, 0.7), cap=under_scapula)
    # insertion anchor: the point of the inserting edge that lies on a rib, nearest the middle of the edge
    from scipy.spatial import cKDTree

    rib_pts = np.vstack([np.asarray(sk.meshes[f"rib_R{n}"].points) for n in (9, 10, 11, 12)])
    edge = spi.inner[:, -1]
    d_rib, _ = cKDTree(rib_pts).query(edge)
    mid = _centroid_on(np.array(ins))
    score = d_rib + 0.25 * np.linalg.norm(edge - mid, axis=1)
    anchors["serratus_posterior_inferior_R.insertion"] = edge[int(np.argmin(score))]

    # ---- serratus anterior: lateral ribs 1-9 to the costal side of the medial border
    org = []
    for n in range(1, 10):
        rb = ribs[n]
        li = int(np.argmax(rb.centers[:, 0]))
        k = li + int(t("serratus_anterior", "rib_index_past_lateral") * (len(rb.centers) - li))
        org.append(_rib_outer(rb, min(k, len(rb.centers) - 2)))
    org = np.array(org)
    med = _param_along(fr.medial_border, np.linspace(0.0, 1.0, 9) ** 0.8)
    medp = _to_param(med)
    medp[:, 0] += t("serratus_anterior", "insertion_inside_border")
    med_th = medp[:, 0] / A
    ins_sa = ChestWall.to_xyz(med_th, scap_min(med_th, medp[:, 1]) - 0.3, medp[:, 1])

    # digitations: the origin edge is notched between the ribs and each slip
    # is thickest over its rib, the slips merging toward the scapula
    nd = len(org) - 1
    per = 4
    nu_sa, nv_sa = nd * per + 1, 18
    tq = np.linspace(0.0, nd, nu_sa)
    op = _to_param(org)
    o_sa = np.column_stack([np.interp(tq, np.arange(nd + 1), op[:, k]) for k in range(2)])
    i_sa = _resample2(_to_param(ins_sa), nu_sa)
    v = np.linspace(0.0, 1.0, nv_sa)[None, :]
    notch = t("serratus_anterior", "digitation_notch") * np.abs(np.sin(np.pi * tq))[:, None] ** 1.6
    vv = notch + (1 - notch) * v
    P_sa = o_sa[:, None, :] * (1 - vv[..., None]) + i_sa[:, None, :] * vv[..., None]
    digit = 0.35 + 0.65 * np.abs(np.cos(np.pi * tq))[:, None] ** 1.5
    mix = np.clip(1 - vv / 0.65, 0, 1)
    sheet("serratus_anterior", org, ins_sa, nu_sa, nv_sa, cap=under_scapula, wall_=ribwall, tp_uv=(0.5, 0.3),
          P=P_sa, extra=1 - (1 - digit) * mix, belly=(0.35, 0.6))
    # the serratus lies under the scapula: raise the main wall only outside the scapula
    sa = out["serratus_anterior"]
    thg, rg, zg = ChestWall.to_cyl(sa.outer.reshape(-1, 3))
    mask = ~np.isfinite(scap_min(thg, zg)) | (scap_min(thg, zg) > 1e5)
    b.wall.raise_to(thg[mask], zg[mask], rg[mask])
    b.wall.add_bone(scap)

    # ---- rhomboids and levator scapulae
    mb = fr.medial_border
    root_i = int(np.argmin(np.abs(mb[:, 2] - fr.spine_root[2])))
    sheet("rhomboid_minor", spin([0, 1]), mb[max(root_i - 3, 0): root_i + 1], 6, 16, tp_uv=(0.5, 0.75))
    sheet("rhomboid_major", spin([2, 3, 4, 5]), mb[root_i:], 9, 22, tp_uv=(0.5, 0.78))
    sup = fr.superior_angle
    lev_top = np.array([sup[0] - t("levator_scapulae", "top_medial_shift"), sup[1] + 4.0, z_top + t("levator_scapulae", "top_above_C7")])
    path = np.vstack([sup + np.array([2.0, 0.0, 4.0]), 0.5 * (sup + lev_top) + np.array([0.0, 0.0, 0.0]), lev_top])
    column("levator_scapulae", path, 6, 16, (True, False), None, None, (0.5, 0.3))
    anchors["levator_scapulae_R.insertion"] = _centroid_on(np.vstack([sup, mb[1]]))
    lv = out["levator_scapulae"]
    anchors["levator_scapulae_R.origin"] = _grid_pick(lv.inner, 0.5, 1.0)

    # ---- latissimus dorsi
    low_mid = np.array([0.0, sp[14][1] + 6.0, z_bottom])
    lat_pts = []
    for n in (12, 11, 10, 9):
        rb = ribs[n]
        c = rb.centers
        k0 = _angle_idx(rb) + 6
        k = k0 + int(np.argmin(np.abs(c[k0:, 1] - t("latissimus_dorsi", "rib_slip_y"))))
        lat_pts.append(_rib_outer(rb, min(k, len(c) - 2)))
    low_lat = np.array([lat_pts[0][0] * 0.55, sp[14][1] + 20.0, z_bottom])
    origin = np.vstack([spin([7, 8, 9, 10, 11, 12, 13, 14]), low_mid, low_lat, lat_pts])
    lb = fr.lateral_border
    gl = _to_param(fr.glenoid[None])[0]
    ax = _to_param(lb[-1][None])[0]
    ax_top = np.array([ax[0] + t("latissimus_dorsi", "axilla_lateral"), gl[1] - t("latissimus_dorsi", "axilla_top_below_glenoid")])
    ax_bot = ax_top + np.array([4.0, -t("latissimus_dorsi", "tendon_width")])
    ins_p = np.array([ax_top, ax_bot])
    ins = ChestWall.to_xyz(ins_p[:, 0] / A, b.wall.radius(ins_p[:, 0] / A, ins_p[:, 1]) + 1.0, ins_p[:, 1])
    sheet("latissimus_dorsi", origin, ins, 14, 30, ends=(True, False), o_anchor=_centroid_on(spin([7, 8, 9, 10, 11, 12])), tp_uv=(0.75, 0.72))
    anchors["latissimus_dorsi_R.insertion"] = out["latissimus_dorsi"].inner[:, -1].mean(axis=0)

    # ---- trapezius (most superficial)
    crest = fr.spine_crest
    # lower fibres converge on a short aponeurosis over the root of the spine;
    # middle fibres run nearly horizontally to the rest of the spine and the acromion
    k_tr = int(t("trapezius_lower", "crest_points"))
    sheet("trapezius_lower", spin(range(4, 13)), crest[k_tr::-1], 12, 26, tp_uv=(0.35, 0.6), belly=(0.3, 0.6))
    sheet("trapezius_middle", spin([0, 1, 2, 3]), crest[::-1][: len(crest) - k_tr], 10, 24, tp_uv=(0.5, 0.45), belly=(0.3, 0.6))

    meshes: dict[str, pv.PolyData] = {}
    for name, s in out.items():
        meshes[f"{name}_R"] = s.mesh
        meshes[f"{name}_L"] = _mirror_mesh(s.mesh)

    # ---- intercostal muscles
    for n in range(1, 12):
        mesh, named = _intercostal(ribs[n], ribs[n + 1], data)
        meshes[f"intercostal_R{n}"] = mesh
        meshes[f"intercostal_L{n}"] = _mirror_mesh(mesh)
        for k, v in named.items():
            anchors[f"intercostal_R{n}.{k}"] = v

    for key in list(anchors):
        sid, pt = key.split(".")
        anchors[f"{_left(sid)}.{pt}"] = _mirror(anchors[key])
    return meshes, anchors


def _left(sid: str) -> str:
    if sid.endswith("_R"):
        return sid[:-2] + "_L"
    head, num = sid.rsplit("_R", 1)
    return f"{head}_L{num}"


def _centroid_on(points: np.ndarray) -> np.ndarray:
    """Centroid of an attachment line, moved onto the line (the attachment point nearest the centroid)."""
    pts = np.asarray(points, float).reshape(-1, 3)
    if len(pts) == 1:
        return pts[0].copy()
    dense = _param_along(pts, np.linspace(0.0, 1.0, 60))
    c = pts.mean(axis=0)
    return dense[int(np.argmin(np.linalg.norm(dense - c, axis=1)))]


def _grid_pick(grid: np.ndarray, u: float, v: float) -> np.ndarray:
    nu, nv = grid.shape[:2]
    return grid[int(round(u * (nu - 1))), int(round(v * (nv - 1)))].copy()


def _param_along(points: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    return np.column_stack([np.interp(fractions * s[-1], s, points[:, k]) for k in range(3)])


def _min_radius_map(mesh: pv.PolyData):
    """Deep (costal) radius of ``mesh`` over ``(theta, z)``; +inf where it is absent."""
    th, r, z = ChestWall.to_cyl(np.asarray(mesh.points))
    dt, dz = ChestWall.D_THETA, ChestWall.D_Z
    t0, z0 = th.min() - 3 * dt, z.min() - 3 * dz
    nt = int((th.max() - t0) / dt) + 4
    nz = int((z.max() - z0) / dz) + 4
    i = np.round((th - t0) / dt).astype(int)
    j = np.round((z - z0) / dz).astype(int)
    g = np.full((nt, nz), 1e9)
    np.minimum.at(g, (i, j), r)
    g = ndimage.minimum_filter(g, size=3)
    # fill holes inside the footprint (bins the mesh vertices missed)
    inside = ndimage.binary_closing(g < 1e8, iterations=2)
    filled = ndimage.grey_opening(np.where(g < 1e8, g, 0.0), size=1)
    idx = ndimage.distance_transform_edt(g > 1e8, return_distances=False, return_indices=True)
    near = filled[tuple(idx)]
    g = np.where(g < 1e8, g, np.where(inside, near, 1e9))

    def f(theta, zz):
        theta, zz = np.broadcast_arrays(np.asarray(theta, float), np.asarray(zz, float))
        ii = (theta.ravel() - t0) / dt
        jj = (zz.ravel() - z0) / dz
        ok = (ii >= 0) & (ii <= nt - 1) & (jj >= 0) & (jj <= nz - 1)
        out = np.full(ii.shape, 1e9)
        out[ok] = ndimage.map_coordinates(g, np.vstack([ii[ok], jj[ok]]), order=0)
        return out.reshape(theta.shape)

    return f


def _intercostal(upper, lower, data: dict) -> tuple[pv.PolyData, dict[str, np.ndarray]]:
    """Sheet filling the space between two right ribs, rib angle to anterior end."""
    e = data["intercostal"]
    n_len = int(e["rows"]["value"])
    gap = e["gap_to_rib"]["value"]
    frac_t = e["half_thickness_fraction"]["value"]

    def border(rib, sign):
        ka = _angle_idx(rib)
        s0 = rib.s[ka]
        s1 = rib.s[-1] - e["end_short_of_rib_end"]["value"]
        s = np.linspace(s0, s1, n_len)
        c = np.column_stack([np.interp(s, rib.s, rib.centers[:, k]) for k in range(3)])
        o = np.column_stack([np.interp(s, rib.s, rib.outward[:, k]) for k in range(3)])
        o /= np.linalg.norm(o, axis=1, keepdims=True)
        h = np.interp(s, rib.s, rib.height)
        th = np.interp(s, rib.s, rib.thickness)
        edge = c + sign * np.outer(h + gap, rib.plane_normal)
        return edge, o, th

    top, o1, t1 = border(upper, -1.0)
    bot, o2, t2 = border(lower, +1.0)
    o = o1 + o2
    o /= np.linalg.norm(o, axis=1, keepdims=True)
    fr = np.array([0.0, 0.5, 1.0])
    mid = top[:, None, :] * (1 - fr[None, :, None]) + bot[:, None, :] * fr[None, :, None]  # (n, 3, 3)
    ht = (np.outer(t1, 1 - fr) + np.outer(t2, fr)) * frac_t
    outer = mid + o[:, None, :] * ht[..., None]
    inner = mid - o[:, None, :] * ht[..., None]
    # grid (nu = across the space, nv = along the ribs)
    mesh = _closed_slab(inner.transpose(1, 0, 2), outer.transpose(1, 0, 2))
    centre = mid[:, 1]
    named = {"posterior": centre[0], "lateral": centre[int(np.argmax(centre[:, 0]))], "anterior": centre[-1]}
    return mesh, named
