"""Shoulder blades, resting on the posterior chest wall over ribs 2-7.

The scapula is placed from its surface landmarks (numbers and sources in
``meshes/data/soft_tissue_muscles.json``, group ``"scapula"``):

- the root of the scapular spine (its medial end) level with the T3
  spinous process;
- the inferior angle between the T7 and T8 spinous processes (arm at the
  side; the textbook level is T7, a radiographic series averages T8);
- the superior angle level with rib 2;
- the medial border about 5 cm from the midline.

Shape: a thin triangular plate that follows the chest wall at a distance
(costal surface concave toward the ribs, 7-9 mm behind them medially where
serratus anterior and subscapularis lie between, further off laterally),
with a thickened lateral border, a medial border rim, the spine rising
from the medial border to the acromion, a glenoid cavity on a short neck at
the lateral angle and a hooked coracoid process.  It is modelled as a
signed-distance field and meshed with :func:`meshes.sdf.mesh_field`.

The chest wall is described by :class:`ChestWall`, a cylindrical height map
of the outermost bone surface that the muscles use as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv
from scipy import ndimage

from .model import Skeleton, _mirror, _mirror_mesh
from .params import soft_tissue_measurements
from .sdf import mesh_field, round_cone, smooth_subtract, smooth_union, ellipsoid

AXIS_Y = 20.0
"""The cylindrical frame's vertical axis passes through x = 0, y = AXIS_Y (mm)."""
ARC_RADIUS = 110.0
"""Radius that turns the cylinder angle into an arc-length-like coordinate ``a``."""


def _value(data: dict, group: str, key: str):
    return data[group][key]["value"]


class ChestWall:
    """Cylindrical height map of the outer surface of a set of bone meshes.

    Around a vertical axis through ``(0, AXIS_Y)`` a point is described by
    ``theta`` (0 at the posterior midline, +90 degrees toward the patient's
    right, 180 anterior), its height ``z`` and its distance ``r`` from the
    axis.  :meth:`radius` gives the outermost bone at ``(theta, z)``, with
    the gaps between ribs and between spinous processes bridged (a
    grey-value closing along z) so that it describes a continuous wall.
    :meth:`raise_to` lifts the map over a newly added layer (a muscle), so
    that the next layer rests on it.

    Parameters
    ----------
    meshes : list of pyvista.PolyData
        Bones (right side is enough; points with x < -40 mm are ignored).
    bridge : float, default: 38.0
        Gaps along z shorter than this (mm) are bridged.
    """

    D_THETA = np.radians(1.25)
    D_Z = 2.0
    THETA0 = np.radians(-25.0)
    Z0 = -110.0

    def __init__(self, meshes: list[pv.PolyData], bridge: float = 38.0):
        nt = int(np.radians(205.0) / self.D_THETA) + 1
        nz = int(440.0 / self.D_Z) + 1
        pts = np.vstack([np.asarray(m.points) for m in meshes])
        pts = pts[pts[:, 0] > -40.0]
        th, r, z = self.to_cyl(pts)
        i = np.clip(np.round((th - self.THETA0) / self.D_THETA).astype(int), 0, nt - 1)
        j = np.clip(np.round((z - self.Z0) / self.D_Z).astype(int), 0, nz - 1)
        raw = np.full((nt, nz), -1.0)
        np.maximum.at(raw, (i, j), r)
        raw = ndimage.maximum_filter(raw, size=3)
        k = int(bridge / self.D_Z) | 1
        closed = ndimage.grey_closing(raw, size=(1, k))
        closed = np.maximum(closed, raw)
        filled = self._fill(closed)
        smooth = ndimage.gaussian_filter(filled, sigma=(1.5, 1.5))
        has = closed > 0
        self.grid = np.where(has, np.maximum(smooth, closed), smooth)
        self.bone = self.grid.copy()

    @staticmethod
    def _fill(a: np.ndarray) -> np.ndarray:
        """Fill empty cells (<= 0) with the nearest filled value, preferring neighbours along z."""
        valid = a > 0
        idx = ndimage.distance_transform_edt(~valid, sampling=(4.0, 1.0), return_distances=False, return_indices=True)
        return a[tuple(idx)]

    # --- coordinates
    @staticmethod
    def to_cyl(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(theta, r, z)`` of points ``(n, 3)``."""
        p = np.asarray(p, float).reshape(-1, 3)
        dx, dy = p[:, 0], AXIS_Y - p[:, 1]
        return np.arctan2(dx, dy), np.hypot(dx, dy), p[:, 2]

    @staticmethod
    def to_xyz(theta: np.ndarray, r: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Points from cylinder coordinates (any matching shapes) -> ``(..., 3)``."""
        theta, r, z = np.broadcast_arrays(theta, r, z)
        return np.stack([r * np.sin(theta), AXIS_Y - r * np.cos(theta), z], axis=-1)

    def _idx(self, theta: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.vstack([((np.ravel(theta) - self.THETA0) / self.D_THETA), ((np.ravel(z) - self.Z0) / self.D_Z)])

    def radius(self, theta: np.ndarray, z: np.ndarray, bone_only: bool = False) -> np.ndarray:
        """Outer radius of the wall (bone, or bone plus the layers added so far)."""
        shape = np.shape(np.broadcast_arrays(theta, z)[0])
        g = self.bone if bone_only else self.grid
        return ndimage.map_coordinates(g, self._idx(*np.broadcast_arrays(theta, z)), order=1, mode="nearest").reshape(shape)

    def surface(self, theta, z, offset=0.0, bone_only: bool = False) -> np.ndarray:
        """Point ``offset`` mm outside the wall at ``(theta, z)``."""
        return self.to_xyz(theta, self.radius(theta, z, bone_only) + offset, z)

    def theta_at_x(self, x: float, z: float, offset: float = 0.0) -> float:
        """Angle where the wall (plus ``offset``) is ``x`` mm from the midline."""
        lo, hi = 0.0, np.radians(120.0)
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            px = self.surface(np.array([mid]), np.array([z]), offset)[0, 0]
            lo, hi = (mid, hi) if px < x else (lo, mid)
        return 0.5 * (lo + hi)

    def smoothed(self, sigma_mm: float) -> "ChestWall":
        """Copy with the wall smoothed over about ``sigma_mm`` (gentler, slightly lower over rib ridges)."""
        out = object.__new__(ChestWall)
        sig = (sigma_mm / (ARC_RADIUS * self.D_THETA), sigma_mm / self.D_Z)
        out.grid = ndimage.gaussian_filter(self.grid, sigma=sig)
        out.bone = ndimage.gaussian_filter(self.bone, sigma=sig)
        return out

    def add_bone(self, mesh: pv.PolyData) -> None:
        """Add a continuous bone surface (the scapula) to both the bone and the layered map."""
        th, r, z = self.to_cyl(np.asarray(mesh.points))
        nt, nz = self.grid.shape
        i = np.clip(np.round((th - self.THETA0) / self.D_THETA).astype(int), 0, nt - 1)
        j = np.clip(np.round((z - self.Z0) / self.D_Z).astype(int), 0, nz - 1)
        layer = np.full_like(self.grid, -1.0)
        np.maximum.at(layer, (i, j), r)
        layer = ndimage.grey_closing(ndimage.maximum_filter(layer, size=3), size=(3, 3))
        self.grid = np.maximum(self.grid, layer)
        self.bone = np.maximum(self.bone, layer)

    def raise_to(self, theta: np.ndarray, z: np.ndarray, r: np.ndarray, grow: int = 1) -> None:
        """Lift the wall to at least ``r`` at the (dense) samples ``(theta, z)``."""
        nt, nz = self.grid.shape
        i = np.clip(np.round((np.ravel(theta) - self.THETA0) / self.D_THETA).astype(int), 0, nt - 1)
        j = np.clip(np.round((np.ravel(z) - self.Z0) / self.D_Z).astype(int), 0, nz - 1)
        layer = np.full_like(self.grid, -1.0)
        np.maximum.at(layer, (i, j), np.ravel(r))
        if grow:
            layer = ndimage.maximum_filter(layer, size=2 * grow + 1)
        self.grid = np.maximum(self.grid, layer)


def bone_wall(sk: Skeleton, with_scapula: bool = False) -> ChestWall:
    """Chest wall of the right ribs, cartilages and vertebrae (and the right scapula)."""
    ids = [k for k in sk.meshes if k.startswith(("rib_R", "vertebra_T", "cartilage_R"))]
    if with_scapula and "scapula_R" in sk.meshes:
        ids.append("scapula_R")
    return ChestWall([sk.meshes[k] for k in ids])


@dataclass
class ScapulaFrame:
    """Landmarks and outline of the right scapula (model frame, mm)."""

    outline: np.ndarray
    """``(k, 2)`` polygon in ``(a, z)`` (a = theta * ARC_RADIUS), superior angle first."""
    offset: tuple[float, float, float, float]
    """Plate mid-surface distance from the ribs: (medial, lateral, a_medial, a_lateral)."""
    superior_angle: np.ndarray
    inferior_angle: np.ndarray
    spine_root: np.ndarray
    medial_border: np.ndarray
    """``(n, 3)`` points of the medial border, superior to inferior angle (plate mid-surface)."""
    lateral_border: np.ndarray
    """``(n, 3)`` points of the lateral border, inferior angle to the glenoid neck."""
    spine_crest: np.ndarray
    """``(n, 3)`` crest of the spine from the root to the acromion."""
    acromion: np.ndarray
    glenoid: np.ndarray
    glenoid_normal: np.ndarray
    coracoid: np.ndarray
    half_thickness: float


def _plate_offset(frame_off, a):
    om, ol, a0, a1 = frame_off
    f = np.clip((a - a0) / (a1 - a0), 0.0, 1.0)
    return om + (ol - om) * f**1.6


def scapula_frame(sk: Skeleton, wall: ChestWall | None = None) -> ScapulaFrame:
    """Place the right scapula from its landmark levels on the skeleton."""
    data = soft_tissue_measurements("muscles")
    g = "scapula"
    wall = wall or bone_wall(sk).smoothed(6.0)
    a = sk.anchors
    sp = {n: a[f"vertebra_T{n}.spinous_tip"] for n in range(1, 13)}
    z_root = sp[3][2] + _value(data, g, "spine_root_offset_from_T3_spinous")
    f_inf = _value(data, g, "inferior_angle_between_T7_T8")
    z_inf = sp[7][2] * (1 - f_inf) + sp[8][2] * f_inf
    x_med = _value(data, g, "medial_border_from_midline")
    x_sup = x_med + _value(data, g, "superior_angle_lateral_shift")
    x_inf = x_med + _value(data, g, "inferior_angle_lateral_shift")
    # superior angle: level of rib 2 where it crosses the superior angle's sagittal plane
    rib2 = sk.ribs[2].centers
    k = int(np.argmin(np.abs(rib2[: len(rib2) // 2, 0] - x_sup)))
    z_sup = float(rib2[k, 2]) + _value(data, g, "superior_angle_above_rib2")
    width = _value(data, g, "width_medial_border_to_glenoid")
    om, ol = _value(data, g, "plate_offset_medial"), _value(data, g, "plate_offset_lateral")
    th_root = wall.theta_at_x(x_med, z_root, om)
    th_sup = wall.theta_at_x(x_sup, z_sup, om)
    th_inf = wall.theta_at_x(x_inf, z_inf, om)
    R = ARC_RADIUS
    aS, aR, aI = th_sup * R, th_root * R, th_inf * R
    aL = aR + width
    zG = z_root + _value(data, g, "glenoid_above_spine_root")
    off = (om, ol, aR, aL)
    zm = 0.5 * (z_root + z_inf)
    outline = np.array(
        [
            [aS, z_sup],
            [aR - 2.5, z_root],
            [0.5 * (aR + aI) - 4.0, zm],
            [aI, z_inf],
            [aI + 14.0, z_inf + 14.0],
            [aL - 34.0, zG - 62.0],
            [aL - 12.0, zG - 26.0],
            [aL - 4.0, zG - 12.0],
            [aL - 4.0, zG + 12.0],
            [aL - 16.0, zG + 20.0],
            [aL - 36.0, zG + 24.0],
            [aL - 44.0, zG + 20.0],
            [0.5 * (aS + aL) - 12.0, z_sup + 4.0],
        ]
    )

    def plate(av, zv, extra=0.0):
        av, zv = np.asarray(av, float), np.asarray(zv, float)
        th = av / R
        return wall.surface(th, zv, _plate_offset(off, av) + extra)

    def border(p0, p1, n=12):
        t = np.linspace(0.0, 1.0, n)[:, None]
        q = p0[None, :] * (1 - t) + p1[None, :] * t
        return plate(q[:, 0], q[:, 1])

    medial = np.vstack([border(outline[0], outline[1], 8), border(outline[1], outline[2], 10)[1:], border(outline[2], outline[3], 10)[1:]])
    lateral = np.vstack([border(outline[3], outline[4], 5), border(outline[4], outline[5], 12)[1:], border(outline[5], outline[6], 6)[1:]])
    ht = _value(data, g, "plate_half_thickness")
    # spine: from the root (on the medial border) to the base of the acromion
    s_a = np.linspace(aR + 1.0, aL - 22.0, 14)
    s_z = np.linspace(z_root, zG + 24.0, 14) + 4.0 * np.sin(np.linspace(0, np.pi, 14))
    crest_h = np.linspace(_value(data, g, "spine_height_root"), _value(data, g, "spine_height_lateral"), 14)
    crest = plate(s_a, s_z, ht + crest_h)
    # glenoid on a short neck at the lateral angle, facing along the plate (lateral and forward)
    pL = plate(np.array([aL - 6.0]), np.array([zG]))[0]
    pL2 = plate(np.array([aL - 16.0]), np.array([zG]))[0]
    t_l = pL - pL2
    t_l[2] = 0.0
    t_l /= np.linalg.norm(t_l)
    glenoid = pL + t_l * _value(data, g, "glenoid_neck_length")
    up = np.array([0.0, 0.0, 1.0])
    fwd = np.cross(up, t_l)  # toward the costal (anterior) side for the right scapula
    if fwd[1] < 0:
        fwd = -fwd
    acromion = glenoid + up * 27.0 + t_l * 4.0 - fwd * 4.0
    coracoid = glenoid + up * 20.0 + fwd * 30.0 - t_l * 4.0
    return ScapulaFrame(
        outline=outline,
        offset=off,
        superior_angle=plate(np.array([aS]), np.array([z_sup]))[0],
        inferior_angle=plate(np.array([aI]), np.array([z_inf]))[0],
        spine_root=plate(np.array([aR]), np.array([z_root]), ht)[0],
        medial_border=medial,
        lateral_border=lateral,
        spine_crest=np.vstack([crest, crest[-1] + (acromion - crest[-1]) * 0.5, acromion]),
        acromion=acromion,
        glenoid=glenoid,
        glenoid_normal=t_l,
        coracoid=coracoid,
        half_thickness=ht,
    )


def _polygon_sdf(px: np.ndarray, pz: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Signed distance to a closed 2-D polygon (negative inside)."""
    d = np.full(px.shape, np.inf)
    inside = np.zeros(px.shape, bool)
    n = len(poly)
    for i in range(n):
        (x0, z0), (x1, z1) = poly[i], poly[(i + 1) % n]
        ex, ez = x1 - x0, z1 - z0
        wx, wz = px - x0, pz - z0
        t = np.clip((wx * ex + wz * ez) / (ex * ex + ez * ez), 0.0, 1.0)
        d = np.minimum(d, np.hypot(wx - t * ex, wz - t * ez))
        cond = (z0 > pz) != (z1 > pz)
        xc = x0 + (pz - z0) * ex / np.where(ez == 0, 1e-12, ez)
        inside ^= cond & (px < xc)
    return np.where(inside, -d, d)


def _scapula_field(fr: ScapulaFrame, wall: ChestWall):
    ht = fr.half_thickness
    R = ARC_RADIUS
    up = np.array([0.0, 0.0, 1.0])
    t_l = fr.glenoid_normal
    fwd = np.cross(up, t_l)
    if fwd[1] < 0:
        fwd = -fwd

    def field(p: np.ndarray) -> np.ndarray:
        th, r, z = ChestWall.to_cyl(p)
        a = th * R
        rmid = wall.radius(th, z) + _plate_offset(fr.offset, a)
        d2 = _polygon_sdf(a, z, fr.outline)
        # thicker toward the medial border and the lateral angle, thinnest in the fossae
        thick = ht + 0.8 * np.exp(-np.clip(d2 + 6.0, 0, None) / 4.0)
        plate_d = np.maximum(d2, np.abs(r - rmid) - thick)
        d = plate_d
        mb, lb = fr.medial_border, fr.lateral_border
        for i in range(len(mb) - 1):
            d = smooth_union(d, round_cone(p, mb[i], mb[i + 1], 2.3, 2.3), 1.0)
        nl = len(lb)
        for i in range(nl - 1):
            ra = 3.0 + 2.2 * i / (nl - 1)
            rb = 3.0 + 2.2 * (i + 1) / (nl - 1)
            d = smooth_union(d, round_cone(p, lb[i], lb[i + 1], ra, rb), 1.5)
        # spine: a blade standing on the posterior surface
        cr = fr.spine_crest
        n_sp = len(cr) - 2
        for i in range(n_sp - 1):
            h0 = 2.5 + 10.0 * i / (n_sp - 1)
            h1 = 2.5 + 10.0 * (i + 1) / (n_sp - 1)
            c0 = _toward_axis(cr[i], h0 * 0.6)
            c1 = _toward_axis(cr[i + 1], h1 * 0.6)
            d = smooth_union(d, round_cone(p, c0, c1, h0 * 0.75 + 1.2, h1 * 0.75 + 1.2, up=_radial(cr[i]), squash=0.32), 1.5)
        # acromion: flat process from the spine's lateral end over the glenoid
        a0 = cr[n_sp - 1]
        d = smooth_union(d, round_cone(p, a0, fr.acromion, 6.0, 9.0, up=np.cross(fr.acromion - a0, up), squash=0.42), 3.0)
        # neck and glenoid (pear shaped, shallow cavity)
        pl = fr.glenoid - t_l * 14.0
        d = smooth_union(d, round_cone(p, pl, fr.glenoid - t_l * 3.0, 8.0, 10.0, up=up, squash=0.6), 3.0)
        rot = np.vstack([t_l, fwd, up])
        d = smooth_union(d, ellipsoid(p, fr.glenoid - t_l * 3.5 - up * 2.0, np.array([4.5, 12.0, 18.0]), rot), 2.0)
        d = smooth_subtract(d, ellipsoid(p, fr.glenoid + t_l * 9.5 - up * 2.0, np.array([9.0, 13.0, 19.0]), rot), 1.0)
        # coracoid: up from the superior border near the neck, then forward
        base = fr.glenoid - t_l * 12.0 + up * 12.0
        knee = fr.glenoid - t_l * 8.0 + up * 22.0 + fwd * 10.0
        d = smooth_union(d, round_cone(p, base, knee, 5.5, 5.0), 2.0)
        d = smooth_union(d, round_cone(p, knee, fr.coracoid, 5.0, 3.8), 1.5)
        return d

    return field


def _banded(field, coarse: float = 3.0, band: float = 6.0):
    """Evaluate ``field`` exactly only near its zero set.

    The field is first sampled on a coarse grid over the queried points;
    points whose interpolated value is further than ``band`` from zero keep
    that value (only its sign matters to the mesher).
    """

    def g(p: np.ndarray) -> np.ndarray:
        lo = p.min(axis=0) - coarse
        hi = p.max(axis=0) + coarse
        dims = np.ceil((hi - lo) / coarse).astype(int) + 1
        axes = [lo[k] + coarse * np.arange(dims[k]) for k in range(3)]
        gx, gy, gz = np.meshgrid(*axes, indexing="ij")
        cv = field(np.column_stack([gx.ravel(), gy.ravel(), gz.ravel()])).reshape(tuple(dims))
        est = ndimage.map_coordinates(cv, ((p - lo) / coarse).T, order=1, mode="nearest")
        near = np.abs(est) < band
        out = est.copy()
        out[near] = field(p[near])
        return out

    return g


def _radial(p: np.ndarray) -> np.ndarray:
    v = np.array([p[0], p[1] - AXIS_Y, 0.0])
    return v / np.linalg.norm(v)


def _toward_axis(p: np.ndarray, dist: float) -> np.ndarray:
    return p - _radial(p) * dist


def build_scapulae(sk: Skeleton) -> tuple[dict[str, pv.PolyData], dict[str, np.ndarray]]:
    """Build ``scapula_L`` and ``scapula_R`` with their landmark anchors.

    Returns
    -------
    meshes : dict
        ``scapula_R`` and its mirror ``scapula_L`` (closed, outward normals).
    anchors : dict
        ``scapula_<S>.superior_angle``, ``.inferior_angle``, ``.spine_root``,
        ``.acromion``, ``.glenoid``, ``.medial_border`` (midpoint),
        ``.coracoid``.
    """
    data = soft_tissue_measurements("muscles")
    wall = bone_wall(sk).smoothed(6.0)
    fr = scapula_frame(sk, wall)
    pts = np.vstack([fr.medial_border, fr.lateral_border, fr.spine_crest, fr.coracoid[None], fr.glenoid[None]])
    lo = pts.min(axis=0) - 14.0
    hi = pts.max(axis=0) + 14.0
    mesh = mesh_field(
        _banded(_scapula_field(fr, wall)),
        (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]),
        _value(data, "scapula", "grid_spacing"),
        int(_value(data, "scapula", "triangles")),
        smooth_iterations=12,
    )
    mb = fr.medial_border
    seg = np.linalg.norm(np.diff(mb, axis=0), axis=1)
    acc = np.concatenate([[0.0], np.cumsum(seg)])
    mid = np.array([np.interp(acc[-1] / 2, acc, mb[:, k]) for k in range(3)])
    named = {
        "superior_angle": fr.superior_angle,
        "inferior_angle": fr.inferior_angle,
        "spine_root": fr.spine_root,
        "acromion": fr.acromion,
        "glenoid": fr.glenoid,
        "medial_border": mid,
        "coracoid": fr.coracoid,
    }
    anchors: dict[str, np.ndarray] = {}
    for name, v in named.items():
        anchors[f"scapula_R.{name}"] = np.asarray(v, float)
        anchors[f"scapula_L.{name}"] = _mirror(v)
    return {"scapula_R": mesh, "scapula_L": _mirror_mesh(mesh)}, anchors
