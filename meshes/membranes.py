"""Diaphragm, parietal pleura, epidural space and dural sac.

All three are derived from the finished skeleton:

- the **diaphragm** is a 4 mm sheet over a height field, meshed explicitly
  (no contouring): it rises from its origin line (back of the xiphoid, inner
  surfaces of cartilages 7-10, rib 10 in the flank, the tips of ribs 11-12,
  the arcuate ligaments and the front of L1), first inward at a shallow
  angle (the costal foot) and then steeply along the chest wall, to a
  higher right and a lower left dome with the central tendon between them;
  the slit between its steep costal part and the ribs is the
  costodiaphragmatic recess.  The crura run down the front of the vertebral
  bodies to the lower edge of the model and the caval (T8) and oesophageal
  (T10) openings are real holes; the aortic hiatus (T12) is the gap between
  the crura below the median arcuate ligament;
- each **parietal pleura** is a 2.5 mm shell lining its pleural cavity: the
  cavity lies inside the inner surfaces of the ribs, cartilages and sternum
  (rib centre line moved inward by half the rib thickness plus a gap), under
  a cervical dome above rib 1, above the diaphragm and the pleural
  reflection line (rib 8 mid-clavicular / rib 10 mid-axillary / rib 12 and
  T12 posteriorly), dipping into the costodiaphragmatic recess between chest
  wall and diaphragm, and outside the mediastinum
  (vertebral bodies, heart, great vessels, oesophagus, trachea).  The shell
  is open at the hilum, where the parietal pleura turns into the visceral
  pleura, so it is one closed surface;
- the **epidural space** fills the bony canal less 1 mm and the **dural
  sac** is a tube inside it around the spinal cord.

:func:`thorax` holds the geometry shared with :mod:`meshes.organs` and
:mod:`meshes.skin` (cage, diaphragm height, mediastinal centre lines); it is
computed once per skeleton.  Numbers and their sources are in
``meshes/data/soft_tissue_viscera.json``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyvista as pv
from scipy.spatial import cKDTree

from .model import Skeleton, _mirror
from .params import soft_tissue_measurements
from .sdf import _clean, _contour, ellipsoid, finish_surface, mesh_field, round_cone, smooth_union
from .sweep import smooth_curve, sweep, transport_frames


@lru_cache(maxsize=1)
def viscera() -> dict:
    """The parsed ``soft_tissue_viscera.json`` (cached)."""
    return soft_tissue_measurements("viscera")


def value(group: str, key: str):
    """``value`` of one entry of ``soft_tissue_viscera.json``."""
    return viscera()[group][key]["value"]


def capsule_chain(p: np.ndarray, pts: np.ndarray, radii) -> np.ndarray:
    """Distance to a tube through ``pts`` whose radius runs through ``radii``."""
    radii = np.broadcast_to(np.asarray(radii, float), (len(pts),))
    d = np.full(len(p), np.inf)
    for i in range(len(pts) - 1):
        d = np.minimum(d, round_cone(p, pts[i], pts[i + 1], radii[i], radii[i + 1]))
    return d


def densify(pts: np.ndarray, step: float = 1.0) -> np.ndarray:
    """Points along the polyline ``pts`` at most ``step`` mm apart."""
    pts = np.asarray(pts, float)
    out = [pts[:1]]
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(int(np.ceil(np.linalg.norm(b - a) / step)), 1)
        out.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    return np.vstack(out)


class TubeSet:
    """Distance to a union of constant-radius tubes, through a KD-tree of their densified centre lines.

    The nearest sample of a centre line sampled every ``step`` mm is within
    ``step**2 / 8r`` of the exact distance at distance ``r``: a vectorised,
    much faster stand-in for a chain of :func:`meshes.sdf.round_cone`.
    """

    def __init__(self, lines, radii, step: float = 1.0):
        pts, rad = [], []
        for line, r in zip(lines, radii):
            d = densify(line, step)
            pts.append(d)
            rad.append(np.full(len(d), float(r)))
        self.points = np.vstack(pts)
        self.radii = np.concatenate(rad)
        self.tree = cKDTree(self.points)

    def __call__(self, p: np.ndarray, upper: float = np.inf) -> np.ndarray:
        """Signed distance; points farther than ``upper`` from every centre line get ``upper - min radius``."""
        d, i = self.tree.query(p, distance_upper_bound=upper, workers=-1)
        far = ~np.isfinite(d)
        out = np.empty(len(p))
        out[far] = upper - self.radii.min()
        out[~far] = d[~far] - self.radii[i[~far]]
        return out


def mesh_sdf(field, bounds, spacing: float, target: int, smooth: int = 10, attempts: int = 3) -> pv.PolyData:
    """Contour ``field`` and decimate to about ``target`` triangles, keeping the surface closed.

    Decimation can pinch a thin wedge (the tip of the costodiaphragmatic
    recess, say) into a non-manifold edge.  Where it does, the field is pushed
    outward within a few millimetres of the pinched edges (shaving the
    wedge's thinnest tip) and the surface is contoured and decimated again.
    The last resort is an undecimated contour of a grid coarse enough for the
    budget (always closed), as in :func:`meshes.sdf.mesh_field`.
    """
    shave: list[np.ndarray] = []

    def shaved(p):
        d = field(p)
        if shave:
            dist, _i = cKDTree(np.vstack(shave)).query(p, distance_upper_bound=2.5 * spacing, workers=-1)
            near = np.isfinite(dist)
            d[near] = np.maximum(d[near], 2.5 * spacing - dist[near])
        return d

    for _ in range(attempts):
        surf = _contour(shaved, bounds, spacing, smooth)
        if surf.n_cells <= target:
            return finish_surface(surf)
        dec = _clean(surf.decimate(1.0 - target / surf.n_cells, volume_preservation=True))
        dec = _clean(dec.connectivity("largest").extract_surface(algorithm=None))
        bad = dec.extract_feature_edges(boundary_edges=True, non_manifold_edges=True, feature_edges=False, manifold_edges=False)
        if bad.n_cells == 0:
            return finish_surface(dec)
        shave.append(np.asarray(bad.points))
    area = surf.area
    for factor in (1.0, 1.1, 1.25):
        coarse = _contour(field, bounds, max(spacing, factor * float(np.sqrt(2.2 * area / target))), smooth)
        if _closed(coarse):
            return finish_surface(coarse)
    return mesh_field(field, bounds, spacing, target, smooth)


def _closed(surf: pv.PolyData) -> bool:
    edges = surf.extract_feature_edges(boundary_edges=True, non_manifold_edges=True, feature_edges=False, manifold_edges=False)
    return edges.n_cells == 0


class Thorax:
    """Geometry shared by the membrane, organ and skin builders (model frame, mm)."""

    def __init__(self, sk: Skeleton):
        self.sk = sk
        poses = sk.layout.poses
        self.body = np.array([p.origin for p in poses])  # T1..T12, L1
        self.depth = np.array([d.depth for d in sk.designs])
        self.width = np.array([d.width for d in sk.designs])
        self.canal = np.array([p.to_world(d.canal_center) for p, d in zip(poses, sk.designs)])
        self._cage_table()
        self._diaphragm_setup()
        self._mediastinum_setup()
        self._cache: dict = {}

    # ---------------------------------------------------------------- levels
    def level_z(self, level: float) -> float:
        """Height of a vertebral body centre; 1 = T1 ... 12 = T12, 13 = L1, 14 = L2 ..."""
        z = self.body[:, 2]
        if level <= 13:
            return float(np.interp(level, np.arange(1, 14), z))
        step = z[11] - z[12]
        return float(z[12] - (level - 13) * step)

    def body_front_y(self, z: np.ndarray) -> np.ndarray:
        """y of the anterior surface of the vertebral bodies at height ``z``."""
        zs = self.body[::-1, 2]
        yf = (self.body[:, 1] + self.depth / 2.0)[::-1]
        return np.interp(z, zs, yf)

    def body_center_y(self, z: np.ndarray) -> np.ndarray:
        return np.interp(z, self.body[::-1, 2], self.body[::-1, 1])

    def body_half_width(self, z: np.ndarray) -> np.ndarray:
        return np.interp(z, self.body[::-1, 2], self.width[::-1] / 2.0)

    def body_half_depth(self, z: np.ndarray) -> np.ndarray:
        return np.interp(z, self.body[::-1, 2], self.depth[::-1] / 2.0)

    # ---------------------------------------------------------------- cage
    CAGE_Y = 20.0
    N_BINS = 120

    def _cage_table(self) -> None:
        """Inner surface of the rib cage as radius(angle, z) about a vertical axis."""
        sk = self.sk
        gap = float(value("pleura", "gap_inside_ribs"))
        pts = []
        for n in range(1, 13):
            rib = sk.ribs[n]
            keep = rib.s > 8.0
            inner = rib.centers - rib.outward * (rib.thickness[:, None] + gap)
            pts.append(inner[keep])
        for n in range(1, 11):
            path = sk.cartilage_paths[n]
            radial = np.column_stack([path[:, 0], path[:, 1] - self.CAGE_Y, np.zeros(len(path))])
            radial /= np.linalg.norm(radial, axis=1, keepdims=True)
            pts.append(path - radial * (5.0 + gap))
        st = sk.sternum
        line = np.vstack([st.jugular + (st.angle_point - st.jugular) * t for t in np.linspace(0, 1, 8)]
                         + [st.angle_point + (st.xiphisternal - st.angle_point) * t for t in np.linspace(0, 1, 12)]
                         + [st.xiphisternal + (st.xiphoid_tip - st.xiphisternal) * t for t in np.linspace(0, 1, 4)])
        for dx in (0.0, 6.0, 12.0):
            pts.append(line + np.array([dx, -9.0 - gap, 0.0]))
        right = np.vstack(pts)
        allp = np.vstack([right, _mirror(right)])
        self.cage_points_right = right
        a = np.arctan2(allp[:, 1] - self.CAGE_Y, allp[:, 0])
        r = np.hypot(allp[:, 0], allp[:, 1] - self.CAGE_Y)
        edges = np.linspace(-np.pi, np.pi, self.N_BINS + 1)
        self._bin_centres = 0.5 * (edges[:-1] + edges[1:])
        self._bins = []
        win = np.radians(5.0)
        for c in self._bin_centres:
            da = np.abs(np.angle(np.exp(1j * (a - c))))
            w = win
            m = da < w
            while m.sum() < 3:
                w *= 1.5
                m = da < w
            order = np.argsort(allp[m, 2])
            self._bins.append((allp[m, 2][order], r[m][order]))

    def cage_radius(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(R, r, angle)``: inner cage radius at the point's angle and height, the point's radius."""
        a = np.arctan2(y - self.CAGE_Y, x)
        r = np.hypot(x, y - self.CAGE_Y)
        idx = np.clip(((a + np.pi) / (2 * np.pi) * self.N_BINS).astype(int), 0, self.N_BINS - 1)
        order = np.argsort(idx, kind="stable")
        cuts = np.searchsorted(idx[order], np.arange(self.N_BINS + 1))
        R = np.empty_like(r)
        for b in range(self.N_BINS):
            sel = order[cuts[b]:cuts[b + 1]]
            if len(sel):
                zs, rs = self._bins[b]
                R[sel] = np.interp(z[sel], zs, rs)
        return R, r, a

    # ---------------------------------------------------------------- diaphragm
    D_Y = 65.0

    def _diaphragm_setup(self) -> None:
        sk = self.sk
        st = sk.sternum
        cp = sk.cartilage_paths
        foot = value("diaphragm", "costal_foot")
        self.foot_inset, self.foot_rise, self.foot_knee = float(foot["inset"]), float(foot["rise"]), float(foot["knee"])
        z_t12 = self.level_z(12)
        z_l1 = self.level_z(13)
        loop = [np.array([0.0, 0.5 * (st.xiphisternal[1] + st.xiphoid_tip[1]) - 7.0, 0.5 * (st.xiphisternal[2] + st.xiphoid_tip[2]) + 2.0])]
        joins = {7: 0.62, 8: 0.55, 9: 0.55, 10: 0.0}
        for n in (7, 8, 9, 10):
            path = cp[n]
            k = int(len(path) * joins[n])
            seg = path[k:][::-1] if n < 10 else path[::-1]
            loop.extend(seg[::3])
        # in the flank the costal origin follows the inner surface of rib 10, the
        # lowest rib there, back to the mid-axillary line, then drops to the tips of
        # ribs 11-12 (their cartilages) behind it
        r10 = sk.ribs[10].centers
        for k in range(len(r10) - 1, 0, -4):
            if r10[k, 1] < 10.0:
                break
            loop.append(r10[k])
        r12 = sk.ribs[12].centers
        loop.append(cp[12][-1])
        for k in range(len(r12) - 1, 0, -6):
            if r12[k, 0] < 62.0:
                break
            loop.append(r12[k])
        body_l1 = self.body[12]
        hw = self.width[12] / 2.0
        loop.append(np.array([hw + 24.0, body_l1[1] - 20.0, z_l1 + 2.0]))  # lateral arcuate -> L1 transverse process
        loop.append(np.array([hw + 7.0, body_l1[1] - 2.0, z_l1 + 4.0]))  # medial arcuate, side of L1
        loop.append(np.array([hw - 2.0, body_l1[1] + self.depth[12] / 2.0 + 6.0, z_l1 + 10.0]))
        self.z_arcuate = z_t12 + 4.0
        loop.append(np.array([0.0, self.body_front_y(z_t12) + 27.0, self.z_arcuate]))  # median arcuate ligament
        loop = np.array(loop)
        # move the origin line inward (inner surface of cartilages and ribs)
        cen = np.array([0.0, self.D_Y])
        v = loop[:, :2] - cen
        rr = np.linalg.norm(v, axis=1)
        shrink = np.where(loop[:, 0] > 1.0, 7.0, 0.0)
        shrink[-4:] = 0.0
        loop[:, :2] = cen + v * ((rr - shrink) / rr)[:, None]
        # the sheet is a height field over angle about (0, D_Y): keep the loop
        # star-shaped (its angle must fall steadily from the xiphoid round to the
        # median arcuate ligament) so the origin line cannot fold back on itself
        ang = np.arctan2(loop[:, 1] - self.D_Y, loop[:, 0])
        keep = [0]
        for i in range(1, len(loop)):
            if ang[i] < ang[keep[-1]] - 0.01 or i == len(loop) - 1:
                keep.append(i)
        loop = loop[keep]
        self.diaphragm_loop_right = loop
        full = np.vstack([loop, _mirror(loop)])
        th = np.arctan2(full[:, 1] - self.D_Y, full[:, 0])
        order = np.argsort(th)
        th, full = th[order], full[order]
        self._d_th = np.concatenate([th - 2 * np.pi, th, th + 2 * np.pi])
        rad = np.hypot(full[:, 0], full[:, 1] - self.D_Y)
        self._d_R = np.tile(rad, 3)
        self._d_zb = np.tile(full[:, 2], 3)
        # domes: right summit at the T8 lower endplate, left one space lower
        self.z_dome_R = self.level_z(8) - 4.0
        self.z_dome_L = self.z_dome_R - float(value("diaphragm", "dome_left_drop"))
        self.z_tendon = self.z_dome_L - 3.0
        self.dome_R_xy = np.array([52.0, 32.0])
        self.dome_L_xy = np.array([-55.0, 28.0])
        self.tendon_xy = np.array([-5.0, 58.0])
        self.thickness = float(value("diaphragm", "thickness"))
        # solve the base height and the two dome amplitudes so that the sheet
        # passes through the three target heights
        self._top = (0.0, 0.0, 0.0)
        pts = np.array([self.dome_R_xy, self.dome_L_xy, self.tendon_xy])
        cols = []
        for unit in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)):
            self._top = unit
            cols.append(self.diaphragm_height(pts[:, 0], pts[:, 1], include_base=False))
        self._top = (0.0, 0.0, 0.0)
        zb_part = self.diaphragm_height(pts[:, 0], pts[:, 1])
        A = np.column_stack(cols)
        self._top = tuple(np.linalg.solve(A, np.array([self.z_dome_R, self.z_dome_L, self.z_tendon]) - zb_part))
        # openings: place them where the sheet has the height of their level
        self.caval = self._on_sheet(float(value("diaphragm", "caval_offset_x")), self.level_z(8) - 8.0, 15.0, 80.0)
        self.oesophageal = self._on_sheet(float(value("diaphragm", "oesophageal_offset_x")), self.level_z(10), 0.0, 70.0)
        self.aortic = np.array([-2.0, self.body_front_y(z_t12) + 12.0, z_t12])
        self.crus_bottom = float(value("diaphragm", "crus_bottom_z"))
        # the crura climb the front of the spine and end in the sheet
        self._crus_top = {1.0: self._on_sheet(14.0, self.level_z(10) + 4.0, 10.0, 80.0) + np.array([0.0, 2.0, 0.0]),
                          -1.0: self._on_sheet(-14.0, self.level_z(11) + 4.0, 10.0, 80.0) + np.array([0.0, 2.0, 0.0])}

    def _on_sheet(self, x: float, z: float, y0: float, y1: float) -> np.ndarray:
        ys = np.linspace(y0, y1, 400)
        h = self.diaphragm_height(np.full_like(ys, x), ys)
        rho = self.diaphragm_rho(np.full_like(ys, x), ys)[0]
        k = int(np.argmin(np.abs(h - z) + 1e4 * (rho > 0.9)))
        return np.array([x, ys[k], h[k]])

    def diaphragm_rho(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        th = np.arctan2(y - self.D_Y, x)
        R = np.interp(th, self._d_th, self._d_R)
        zb = np.interp(th, self._d_th, self._d_zb)
        rho = np.hypot(x, y - self.D_Y) / R
        return rho, R, zb

    def diaphragm_height(self, x: np.ndarray, y: np.ndarray, include_base: bool = True) -> np.ndarray:
        """Height of the middle of the diaphragm sheet above ``(x, y)``."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        rho, R, zb = self.diaphragm_rho(x, y)

        def bump(c, sx, sy):
            return np.exp(-(((x - c[0]) / sx) ** 2 + ((y - c[1]) / sy) ** 2))

        base, a_r, a_l = self._top
        top = base + a_r * bump(self.dome_R_xy, 48.0, 45.0) + a_l * bump(self.dome_L_xy, 45.0, 42.0)
        # costal foot: from its origin the sheet first runs up and inward at a
        # shallow angle (``foot_rise`` over ``foot_inset`` mm), then turns up steeply along
        # the chest wall into the dome; the slit between the steep part and the
        # chest wall is the costodiaphragmatic recess
        # (full width in the flank; half as wide behind the costal margin in front,
        # where the recess is shallower)
        ang = np.degrees(np.arctan2(y - self.D_Y, np.abs(x)))
        inset = np.minimum(self.foot_inset * np.interp(ang, [15.0, 40.0], [1.0, 0.5]), 0.25 * R)
        rho1 = 1.0 - inset / R
        v = (rho1 - rho) * R / self.foot_knee
        v = self.foot_knee * np.where(v > 30.0, v, np.log1p(np.exp(np.minimum(v, 30.0)))) / R  # softplus: smooth knee
        s = np.clip(1.0 - v / rho1, 0.0, None)
        g = 1.0 - s**3.2
        foot = self.foot_rise * np.clip((1.0 - rho) / (1.0 - rho1), 0.0, 1.0) * (1.0 - g) + self.foot_rise * g
        return (zb * (1.0 - g) if include_base else 0.0) + top * g + (foot if include_base else 0.0)

    def diaphragm_gradient(self, x: np.ndarray, y: np.ndarray, e: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
        hx = (self.diaphragm_height(x + e, y) - self.diaphragm_height(x - e, y)) / (2 * e)
        hy = (self.diaphragm_height(x, y + e) - self.diaphragm_height(x, y - e)) / (2 * e)
        return hx, hy

    def above_diaphragm(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, band: float = 40.0) -> np.ndarray:
        """Signed distance above the middle of the diaphragm sheet (perpendicular to it near the sheet)."""
        h = self.diaphragm_height(x, y)
        out = z - h
        near = np.abs(out) < band
        hx, hy = self.diaphragm_gradient(x[near], y[near])
        out[near] = out[near] / np.sqrt(1.0 + hx * hx + hy * hy)
        return out

    def crus_path(self, side: float) -> tuple[np.ndarray, np.ndarray]:
        """Centre line and radius of the right (``side`` 1) or left crus, from the lower edge of the model into the sheet."""
        zb_ = self.crus_bottom
        r0, r1 = (8.0, 5.5) if side > 0 else (7.0, 5.0)
        lo = np.array([side * 18.0, self.body_front_y(zb_) + 2.0, zb_])
        mid = np.array([side * 17.0, self.body_front_y(self.z_arcuate) + 8.0, self.z_arcuate])
        path = smooth_curve(np.array([lo, mid, self._crus_top[side]]), 14)
        return path, np.interp(np.arange(14), [0, 6, 13], [r0, r0 * 0.9, r1])

    # ---------------------------------------------------------------- mediastinum
    def _mediastinum_setup(self) -> None:
        lz = self.level_z
        front = self.body_front_y
        # heart: apex in the left 5th intercostal space ~8.5 cm from the midline
        org = value("organs", "heart")
        ax = float(org["apex_x"])
        z5 = self._rib_z_at_x(5, -ax)
        z6 = self._rib_z_at_x(6, -ax)
        za = 0.5 * (z5 + z6) + 4.0
        R, r, _ = self.cage_radius(np.array([ax]), np.array([90.0]), np.array([za]))
        ya = self.CAGE_Y + np.sqrt(max(R[0] ** 2 - ax**2, 1.0)) - 14.0
        self.heart_apex = np.array([ax + 12.0, ya, za])
        self.heart_base = np.array([14.0, front(lz(7)) + 38.0, lz(6.5)])
        # descending aorta and arch
        zs = [lz(k) for k in (5, 6, 7, 8, 9, 10, 11, 12)]
        xs = [-18.0, -19.0, -19.0, -18.0, -16.0, -12.0, -7.0, -2.0]
        desc = [np.array([x, front(z) + 7.0 + (5.0 if z < lz(11) else 0.0), z]) for x, z in zip(xs, zs)]
        arch = [self.heart_base + np.array([-8.0, 14.0, 10.0]), np.array([4.0, front(lz(4)) + 62.0, lz(3.6)]),
                np.array([-4.0, front(lz(4)) + 42.0, lz(3.2)]), np.array([-16.0, front(lz(4)) + 18.0, lz(3.5)]),
                np.array([-19.0, front(lz(4)) + 8.0, lz(4.3)])]
        self.aorta_path = smooth_curve(np.vstack(arch + desc + [np.array([-1.0, front(lz(13)) + 9.0, lz(13) + 4.0])]), 60)
        self.aorta_desc_start = 3  # index in the control list; the organ is drawn from T4
        # oesophagus: right of the aorta in the mid thorax, then left and forward through the hiatus
        oh = self.oesophageal
        self.oesophagus_path = smooth_curve(np.array([
            [-2.0, front(lz(1)) + 12.0, lz(0.6)],
            [1.0, front(lz(3)) + 10.0, lz(3)],
            [4.0, front(lz(5)) + 9.0, lz(5)],
            [5.0, front(lz(7)) + 11.0, lz(7)],
            [2.0, front(lz(8.5)) + 18.0, lz(8.5)],
            [oh[0] + 8.0, oh[1] - 7.0, oh[2] + 10.0],
            oh,
            [oh[0] - 14.0, oh[1] + 8.0, oh[2] - 14.0],
        ]), 48)
        zc = lz(4.6)
        self.carina = np.array([0.0, front(zc) + 22.0, zc])
        self.trachea_path = np.array([[0.0, front(lz(1)) + 30.0, lz(0.2)], [0.0, front(lz(3)) + 26.0, lz(3)], self.carina])
        self.hilum = {1.0: np.array([44.0, front(lz(6)) + 26.0, lz(5.8)]), -1.0: np.array([-46.0, front(lz(6)) + 22.0, lz(6.0)])}
        self.svc_path = np.array([[22.0, 55.0, lz(2)], [20.0, 48.0, lz(5)], self.heart_base + np.array([8.0, 4.0, 0.0])])

    def _rib_z_at_x(self, n: int, x: float) -> float:
        c = self.sk.ribs[n].centers
        k0 = int(np.argmax(c[:, 0]))
        ant = c[k0:]
        if ant[-1, 0] > x:
            return float(ant[-1, 2])
        return float(np.interp(x, ant[::-1, 0], ant[::-1, 2]))

    def heart_field(self, p: np.ndarray) -> np.ndarray:
        a, b = self.heart_apex, self.heart_base
        axis = (b - a) / np.linalg.norm(b - a)
        length = float(np.linalg.norm(b - a))
        up = np.cross(axis, [0.0, 0.0, 1.0])
        c = a + axis * length * 0.62
        side = np.cross(axis, [0.0, 1.0, 0.0])
        side /= np.linalg.norm(side)
        ant = np.cross(side, axis)
        rot = np.vstack([axis, side, ant])
        d = ellipsoid(p, c, np.array([length * 0.42, 40.0, 31.0]), rot)
        d = smooth_union(d, round_cone(p, a + axis * 6.0, c, 12.0, 36.0, up=up, squash=0.85), 10.0)
        # atria and great-vessel roots at the base
        d = smooth_union(d, ellipsoid(p, b + np.array([-10.0, -10.0, 2.0]), np.array([34.0, 20.0, 24.0])), 8.0)
        # rests on the diaphragm
        return np.maximum(d, self.thickness / 2.0 + 1.5 - self.above_diaphragm(p[:, 0], p[:, 1], p[:, 2]))

    def mediastinum_field(self, p: np.ndarray) -> np.ndarray:
        """Heart, great vessels, trachea, oesophagus and vertebral bodies (for the pleura)."""
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        a = self.body_half_width(z) + 2.0
        b = self.body_half_depth(z) + 2.0
        yc = self.body_center_y(z)
        d = (np.sqrt((x / a) ** 2 + ((y - yc) / b) ** 2) - 1.0) * np.minimum(a, b)
        d = np.minimum(d, self.heart_field(p) - 4.0)
        if "vessels" not in self._cache:
            self._cache["vessels"] = TubeSet(
                [self.aorta_path, self.oesophagus_path, self.trachea_path, self.svc_path, [self.carina, self.hilum[1.0]], [self.carina, self.hilum[-1.0]]],
                [13.5, 10.0, 11.0, 11.0, 8.5, 8.5])
        d = np.minimum(d, self._cache["vessels"](p, 60.0))
        # the crura climb the front of the lower thoracic bodies into the sheet
        if "crura" not in self._cache:
            paths = [self.crus_path(side)[0] for side in (1.0, -1.0)]
            self._cache["crura"] = TubeSet(paths, [9.0, 8.0])
        d = np.minimum(d, self._cache["crura"](p, 40.0))
        # retrosternal midline (the two pleurae nearly meet behind the sternum)
        d = np.minimum(d, np.abs(x) - 2.0)
        return d

    # ---------------------------------------------------------------- pleura
    X_MCL = 62.0  # mid-clavicular line, mm from the midline (the skin's nipple line is at 60 mm)

    def pleura_low_z(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Height of the pleural reflection line (lower limit of the pleura) around the cage."""
        a = np.degrees(np.arctan2(y - self.CAGE_Y, np.abs(x)))
        st = self.sk.sternum
        z_ant = st.xiphisternal[2] - 6.0
        z_cc = self._rib_z_at_x(8, 62.0) - 4.0  # 8th costochondral junction
        # mid-clavicular line (62 mm from the midline, as the nipple line): the 8th cartilage there
        c8 = self.sk.cartilage_paths[8]
        k = int(np.argmin(np.abs(c8[:, 0] - self.X_MCL)))
        a_mcl = float(np.degrees(np.arctan2(c8[k, 1] - self.CAGE_Y, c8[k, 0])))
        z_mcl = float(c8[k, 2]) - 4.0
        a_cc = min(45.0, a_mcl - 3.0)
        z_mal = self._rib_lateral_z(10)
        z_post = float(self.sk.ribs[12].centers[len(self.sk.ribs[12].centers) // 2, 2]) + 2.0
        z_pv = self.level_z(12)
        return np.interp(a, [-95.0, -70.0, -35.0, 0.0, a_cc, a_mcl, 70.0, 95.0], [z_pv, z_pv - 4.0, z_post, z_mal, z_cc, z_mcl, z_ant, z_ant])

    def _rib_lateral_z(self, n: int) -> float:
        c = self.sk.ribs[n].centers
        return float(c[np.argmax(c[:, 0]), 2])

    def lung_low_z(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Height of the lower border of the lung (quiet breathing): about two ribs above the pleural reflection.

        Rib 6 at the mid-clavicular line, rib 8 at the mid-axillary line, rib 10
        beside the spine; behind the sternum it follows the 6th cartilage.
        """
        a = np.degrees(np.arctan2(y - self.CAGE_Y, np.abs(x)))
        st = self.sk.sternum
        z_ant = st.xiphisternal[2] + 12.0
        z_mcl = self._rib_z_at_x(6, self.X_MCL)
        z_mal = self._rib_lateral_z(8)
        r10 = self.sk.ribs[10].centers
        z_post = float(r10[len(r10) // 3, 2])
        z_pv = z_post + 6.0
        return np.interp(a, [-95.0, -70.0, -35.0, 0.0, 45.0, 70.0, 95.0], [z_pv, z_pv, z_post, z_mal, z_mcl, z_ant, z_ant])

    def cupola(self, side: float) -> tuple[np.ndarray, np.ndarray, float]:
        r1 = self.sk.ribs[1]
        inner = r1.centers - r1.outward * (r1.thickness[:, None] + 3.0)
        c = inner.mean(axis=0)
        zc = float(r1.centers[-1, 2])
        apex_z = max(float(r1.centers[:, 2].max()) + 8.0, zc + float(value("pleura", "apex_above_rib1")))
        centre = np.array([side * (c[0] + 2.0), c[1] - 4.0, zc])
        radii = np.array([62.0, 72.0, apex_z - zc])
        return centre, radii, apex_z

    def cavity_field(self, p: np.ndarray, side: float) -> np.ndarray:
        """Signed distance (approximate) to the pleural cavity of one side."""
        key = ("cav", side, p.shape, float(p[0, 0]), float(p[-1, 2]))
        if key in self._cache:
            return self._cache[key]
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        R, r, _ = self.cage_radius(x, y, z)
        d = r - R
        centre, radii, _apex = self.cupola(side)
        above = z > centre[2]
        d[above] = np.maximum(d[above], ellipsoid(p[above], centre, radii))
        gap = 4.0  # clearance above the sheet (covers the faceting of the explicit diaphragm mesh)
        d = np.maximum(d, self.thickness / 2.0 + gap - self.above_diaphragm(x, y, z))
        d = np.maximum(d, self.pleura_low_z(x, y) - z)
        d = np.maximum(d, -side * x + 1.0)
        # behind the middle of the vertebral bodies (rib heads, posterior arch)
        hw = self.body_half_width(z) + 5.0
        d = np.maximum(d, -np.maximum(np.abs(x) - hw, y - (self.body_center_y(z) - 3.0)))
        near = d < 8.0
        d[near] = np.maximum(d[near], 1.5 - self.mediastinum_field(p[near]))
        # keep clear of the ribs where the cage table is coarse: the broad, flat
        # first two ribs (the dome passes under them) and the lower ribs
        tkey = ("ribs", side)
        if tkey not in self._cache:
            ns = (1, 2, 7, 8, 9, 10, 11, 12)
            self._cache[tkey] = TubeSet([self.sk.ribs[n].centers * np.array([side, 1.0, 1.0]) for n in ns],
                                        [float(max(self.sk.ribs[n].thickness.max(), self.sk.ribs[n].height.max())) + 3.5 for n in ns])
        sel = d < 8.0
        d[sel] = np.maximum(d[sel], -self._cache[tkey](p[sel], 20.0))
        self._cache[key] = d
        return d

    def cavity_bounds(self, side: float, pad: float = 0.0) -> tuple[float, ...]:
        lo_x, hi_x = (-3.0, 138.0) if side > 0 else (-138.0, 3.0)
        _c, _r, apex = self.cupola(side)
        return (lo_x, hi_x, -85.0, 130.0, -42.0, apex + 6.0)


_THORAX: dict[int, tuple[Skeleton, Thorax]] = {}


def thorax(sk: Skeleton) -> Thorax:
    """Shared geometry of ``sk`` (computed once per skeleton object)."""
    hit = _THORAX.get(id(sk))
    if hit is None or hit[0] is not sk:
        _THORAX.clear()
        hit = (sk, Thorax(sk))
        _THORAX[id(sk)] = hit
    return hit[1]


PLEURA_SPACING = 2.5


def _pleura(th: Thorax, side: float) -> pv.PolyData:
    """Closed surface of the pleural sac of one side (parietal pleura lining the cavity)."""

    def field(p):
        # 1.5 mm inside the cavity boundary: keeps thin wedges of the recess meshable
        return th.cavity_field(p, side) + 1.5

    return mesh_sdf(field, th.cavity_bounds(side), PLEURA_SPACING, 4000, 12)


def _canal_path(th: Thorax) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = th.canal
    top = c[0] + (c[0] - c[1]) * 0.5
    bottom = c[11] + (c[12] - c[11]) * 0.6
    path = smooth_curve(np.vstack([top, c[:12], bottom]), 56)
    zs = th.canal[::-1, 2]
    ipd = np.array([d.ipd for d in th.sk.designs])[::-1]
    ap = np.array([d.canal_ap for d in th.sk.designs])[::-1]
    return path, np.interp(path[:, 2], zs, ipd) / 2.0, np.interp(path[:, 2], zs, ap) / 2.0


def _diaphragm_mesh(th: Thorax, n_theta: int = 56, n_rings: int = 32) -> pv.PolyData:
    """The diaphragm as an explicit 4 mm sheet over its height field, with the crura.

    Each of ``n_theta`` columns runs from the centre to the origin line and is
    sampled at equal arc length, so the steep costal part is as finely
    meshed as the domes.  The sheet's two faces are offset along its normal,
    joined at the origin line and around the caval and oesophageal openings
    (grid cells near an opening are left out); the crura are swept tubes that
    end in the sheet.  Much faster and cleaner than contouring a thin sheet.
    """
    t2 = th.thickness / 2.0
    ths = np.linspace(-np.pi, np.pi, n_theta, endpoint=False)
    rho_d = np.linspace(0.0, 1.0, 600) ** 0.8
    cols = np.empty((n_theta, n_rings, 3))
    for j, a in enumerate(ths):
        R = np.interp(a, th._d_th, th._d_R)
        x = rho_d * R * np.cos(a)
        y = th.D_Y + rho_d * R * np.sin(a)
        z = th.diaphragm_height(x, y)
        seg = np.sqrt(np.diff(x) ** 2 + np.diff(y) ** 2 + np.diff(z) ** 2)
        s = np.concatenate([[0.0], np.cumsum(seg)])
        sk_ = np.linspace(0.0, 1.0, n_rings) ** 0.9 * s[-1]
        r_k = np.interp(sk_, s, rho_d)
        cols[j, :, 0] = r_k * R * np.cos(a)
        cols[j, :, 1] = th.D_Y + r_k * R * np.sin(a)
    cols[:, :, 2] = th.diaphragm_height(cols[:, :, 0].ravel(), cols[:, :, 1].ravel()).reshape(n_theta, n_rings)
    # vertices: centre + rings 1..n_rings-1 of every column
    mid = np.vstack([cols[0, 0][None, :], cols[:, 1:, :].transpose(1, 0, 2).reshape(-1, 3)])
    hx, hy = th.diaphragm_gradient(mid[:, 0], mid[:, 1])
    nrm = np.column_stack([-hx, -hy, np.ones(len(mid))])
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    nv = len(mid)

    def vid(ring, j):  # ring >= 1
        return 1 + (ring - 1) * n_theta + (j % n_theta)

    # quads between rings k and k+1 (k >= 1) and the centre fan
    quads = []
    for k in range(1, n_rings - 1):
        for j in range(n_theta):
            quads.append((vid(k, j), vid(k, j + 1), vid(k + 1, j + 1), vid(k + 1, j)))
    quads = np.array(quads)
    # openings: drop every cell touching a vertex inside the hole radius
    # (an opening on a steep part of the sheet is a window in it, 32 mm tall)
    inside_hole = np.zeros(nv, bool)
    for c, r in ((th.caval, 11.0), (th.oesophageal, 10.0)):
        inside_hole |= (np.hypot(mid[:, 0] - c[0], mid[:, 1] - c[1]) < r) & (np.abs(mid[:, 2] - c[2]) < 16.0)
    keep = ~inside_hole[quads].any(axis=1)
    # where the sheet is gently sloped pull the vertices left around an opening
    # onto its circle (round holes, not staircases)
    rim = np.zeros(nv, bool)
    rim[np.unique(quads[~keep])] = True
    rim &= ~inside_hole
    gx, gy = th.diaphragm_gradient(mid[:, 0], mid[:, 1])
    rim &= np.hypot(gx, gy) < 1.5
    for c, r in ((th.caval, 11.0), (th.oesophageal, 10.0)):
        v = mid[:, :2] - c[:2]
        dist = np.linalg.norm(v, axis=1)
        sel = rim & (dist < r + 12.0)
        mid[sel, :2] = c[:2] + v[sel] / dist[sel, None] * r
    quads = quads[keep]
    mid[:, 2] = th.diaphragm_height(mid[:, 0], mid[:, 1])
    hx, hy = th.diaphragm_gradient(mid[:, 0], mid[:, 1])
    nrm = np.column_stack([-hx, -hy, np.ones(nv)])
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    fan = np.array([(0, vid(1, j + 1), vid(1, j)) for j in range(n_theta)])  # same turning sense as the quads
    tris = np.vstack([fan, quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])
    # orientation: make the top face point up
    pm = mid[tris]
    up = np.cross(pm[:, 1] - pm[:, 0], pm[:, 2] - pm[:, 0])[:, 2]
    if np.median(up) < 0:
        tris = tris[:, ::-1]
    top = mid + nrm * t2
    bot = mid - nrm * t2
    faces = [tris, tris[:, ::-1] + nv]
    # walls along every boundary edge (rim and openings)
    e = np.vstack([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    key = np.sort(e, axis=1)
    _u, inv, cnt = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    bnd = e[cnt[inv.ravel()] == 1]
    a_, b_ = bnd[:, 0], bnd[:, 1]
    faces.append(np.column_stack([b_, a_, a_ + nv]))
    faces.append(np.column_stack([b_, a_ + nv, b_ + nv]))
    sheet = pv.PolyData.from_regular_faces(np.vstack([top, bot]), np.vstack(faces)).clean()
    parts = [sheet]
    # crura on the front of the vertebral bodies, down to the lower edge of the model
    for side in (1.0, -1.0):
        path, rr = th.crus_path(side)
        n_, b_n = transport_frames(path, np.array([0.0, 1.0, 0.0]))
        parts.append(sweep(path, n_, b_n, lambda i, phi, rr=rr: (0.55 * rr[i] * np.cos(phi), rr[i] * np.sin(phi)), 12, (1.0, 1.0)))
    mesh = parts[0].merge(parts[1:], merge_points=False)
    mesh = pv.PolyData.from_regular_faces(np.asarray(mesh.points), np.asarray(mesh.regular_faces))
    return mesh.compute_normals(cell_normals=False, point_normals=True, auto_orient_normals=False,
                                consistent_normals=False, split_vertices=False)


def build_membranes(sk: Skeleton) -> tuple[dict[str, pv.PolyData], dict[str, np.ndarray]]:
    """Diaphragm, both parietal pleurae, epidural space and dural sac with their anchors."""
    th = thorax(sk)
    meshes: dict[str, pv.PolyData] = {}
    anchors: dict[str, np.ndarray] = {}
    # ---- diaphragm
    meshes["diaphragm"] = _diaphragm_mesh(th)
    h = th.diaphragm_height
    for name, xy in (("dome_R", th.dome_R_xy), ("dome_L", th.dome_L_xy), ("central_tendon", th.tendon_xy)):
        anchors[f"diaphragm.{name}"] = np.array([xy[0], xy[1], float(h(np.array([xy[0]]), np.array([xy[1]]))[0])])
    anchors["diaphragm.caval_opening"] = th.caval
    anchors["diaphragm.oesophageal_opening"] = th.oesophageal
    anchors["diaphragm.aortic_hiatus"] = th.aortic
    for s, side in (("R", 1.0), ("L", -1.0)):
        z = th.level_z(12.6)
        anchors[f"diaphragm.crus_{s}"] = np.array([side * 15.5, float(th.body_front_y(z)) + 5.0, z])
    # ---- pleura
    for s, side in (("R", 1.0), ("L", -1.0)):
        mesh = _pleura(th, side)
        meshes[f"pleura_{s}"] = mesh
        pts = np.asarray(mesh.points)
        anchors[f"pleura_{s}.apex"] = pts[np.argmax(pts[:, 2])]
        post = pts[pts[:, 1] < th.body_center_y(pts[:, 2]) + 10.0]
        anchors[f"pleura_{s}.posterior_inferior"] = post[np.argmin(post[:, 2])]
        lateral = pts[np.abs(pts[:, 0]) > 70.0]
        anchors[f"pleura_{s}.costodiaphragmatic_recess"] = lateral[np.argmin(lateral[:, 2])] if len(lateral) else pts[0]
    # ---- epidural space and dural sac
    path, a_can, b_can = _canal_path(th)
    nrm, bn = transport_frames(path, np.array([0.0, 1.0, 0.0]))
    # nrm is the left-right axis, bn the antero-posterior axis of the section
    ins = float(value("dura", "epidural_inset"))
    ea, eb = a_can - ins, b_can - ins
    meshes["epidural_space"] = sweep(path, nrm, bn, lambda i, phi: (ea[i] * np.cos(phi), eb[i] * np.sin(phi)), 16, (1.0, 1.0))
    sa = np.minimum(a_can - float(value("dura", "sac_inset_lr")), 7.5)
    sb = np.minimum(b_can - float(value("dura", "sac_inset_ap")), 7.5)
    meshes["dural_sac"] = sweep(path[1:-1], nrm[1:-1], bn[1:-1], lambda i, phi: (sa[i + 1] * np.cos(phi), sb[i + 1] * np.sin(phi)), 14, (1.0, 1.0))
    return meshes, anchors
