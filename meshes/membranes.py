"""Diaphragm, parietal pleura, epidural space and dural sac.

All three are derived from the finished skeleton:

- the **diaphragm** is a 4 mm sheet over a height field: it rises from its
  origin line (back of the xiphoid, inner surfaces of cartilages 7-10 and
  ribs 10-12, the arcuate ligaments and the front of L1) to a higher right
  and a lower left dome with the central tendon between them; the crura run
  down the front of the vertebral bodies to the lower edge of the model and
  the caval (T8) and oesophageal (T10) openings are real holes; the aortic
  hiatus (T12) is the gap between the crura below the median arcuate
  ligament;
- each **parietal pleura** is a 2.5 mm shell lining its pleural cavity: the
  cavity lies inside the inner surfaces of the ribs, cartilages and sternum
  (rib centre line moved inward by half the rib thickness plus a gap), under
  a cervical dome above rib 1, above the diaphragm and the pleural
  reflection line (rib 8 / 10 / 12 / T12), and outside the mediastinum
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

from .model import Skeleton, _mirror
from .params import soft_tissue_measurements
from .sdf import _clean, _contour, ellipsoid, finish_surface, is_closed, mesh_field, round_cone, smooth_subtract, smooth_union
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


def mesh_sdf(field, bounds, spacing: float, target: int, smooth: int = 10) -> pv.PolyData:
    """Contour ``field`` and decimate to about ``target`` triangles, keeping the surface closed.

    Thin parts can make decimation pinch an edge; larger budgets are tried
    before falling back to :func:`meshes.sdf.mesh_field`.
    """
    surf = _contour(field, bounds, spacing, smooth)
    if surf.n_cells <= target:
        return finish_surface(surf)
    for t in (target, int(target * 1.3), int(target * 1.6)):
        if t >= surf.n_cells:
            break
        dec = _clean(surf.decimate(1.0 - t / surf.n_cells, volume_preservation=True))
        dec = _clean(dec.connectivity("largest").extract_surface(algorithm=None))
        if is_closed(dec):
            return finish_surface(dec)
    return mesh_field(field, bounds, spacing, target, smooth)


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
    D_Y = 40.0

    def _diaphragm_setup(self) -> None:
        sk = self.sk
        st = sk.sternum
        cp = sk.cartilage_paths
        z_t12 = self.level_z(12)
        z_l1 = self.level_z(13)
        loop = [np.array([0.0, 0.5 * (st.xiphisternal[1] + st.xiphoid_tip[1]) - 7.0, 0.5 * (st.xiphisternal[2] + st.xiphoid_tip[2]) + 2.0])]
        joins = {7: 0.62, 8: 0.55, 9: 0.55, 10: 0.0}
        for n in (7, 8, 9, 10):
            path = cp[n]
            k = int(len(path) * joins[n])
            seg = path[k:][::-1] if n < 10 else path[::-1]
            loop.extend(seg[::3])
        loop.append(sk.ribs[10].centers[-1])
        loop.append(cp[11][-1])
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
        rho, _R, zb = self.diaphragm_rho(x, y)

        def bump(c, sx, sy):
            return np.exp(-(((x - c[0]) / sx) ** 2 + ((y - c[1]) / sy) ** 2))

        base, a_r, a_l = self._top
        top = base + a_r * bump(self.dome_R_xy, 48.0, 45.0) + a_l * bump(self.dome_L_xy, 45.0, 42.0)
        g = 1.0 - np.clip(rho, 0.0, None) ** 3.2
        return (zb * (1.0 - g) if include_base else 0.0) + top * g

    def diaphragm_field(self, p: np.ndarray) -> np.ndarray:
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        e = 0.5
        h = self.diaphragm_height(x, y)
        sheet = np.full(len(p), 10.0)
        band = np.abs(z - h) < 25.0
        xb, yb = x[band], y[band]
        hx = (self.diaphragm_height(xb + e, yb) - self.diaphragm_height(xb - e, yb)) / (2 * e)
        hy = (self.diaphragm_height(xb, yb + e) - self.diaphragm_height(xb, yb - e)) / (2 * e)
        sheet[band] = np.abs(z[band] - h[band]) / np.sqrt(1.0 + hx * hx + hy * hy) - self.thickness / 2.0
        rho, R, zb = self.diaphragm_rho(x, y)
        sheet = np.maximum(sheet, np.maximum(zb - z, (rho - 1.03) * R))
        # crura on the front of the vertebral bodies, down to the lower edge of the model
        zb_ = self.crus_bottom
        for side, top_z, r0, r1 in ((1.0, self.level_z(10) + 4.0, 8.0, 5.5), (-1.0, self.level_z(11) + 6.0, 7.0, 5.0)):
            lo = np.array([side * 18.0, self.body_front_y(zb_) + 2.0, zb_])
            mid = np.array([side * 17.0, self.body_front_y(self.z_arcuate) + 8.0, self.z_arcuate])
            hi = self._crus_top[side]
            c = np.minimum(round_cone(p, lo, mid, r0, r0 * 0.9, up=np.array([0.0, 1.0, 0.0]), squash=0.55),
                           round_cone(p, mid, hi, r0 * 0.9, r1, up=np.array([0.0, 1.0, 0.0]), squash=0.55))
            sheet = smooth_union(sheet, c, 3.0)
        # openings
        for c, r in ((self.caval, 11.0), (self.oesophageal, 10.0)):
            hole = np.maximum(np.hypot(x - c[0], y - c[1]) - r, np.abs(z - c[2]) - 14.0)
            sheet = smooth_subtract(sheet, hole, 1.0)
        return sheet

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
        h = self.diaphragm_height(p[:, 0], p[:, 1])
        return np.maximum(d, h + self.thickness / 2.0 + 1.5 - p[:, 2])

    def mediastinum_field(self, p: np.ndarray) -> np.ndarray:
        """Heart, great vessels, trachea, oesophagus and vertebral bodies (for the pleura)."""
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        a = self.body_half_width(z) + 2.0
        b = self.body_half_depth(z) + 2.0
        yc = self.body_center_y(z)
        d = (np.sqrt((x / a) ** 2 + ((y - yc) / b) ** 2) - 1.0) * np.minimum(a, b)
        d = np.minimum(d, self.heart_field(p) - 4.0)
        d = np.minimum(d, capsule_chain(p, self.aorta_path[::3], 13.5))
        d = np.minimum(d, capsule_chain(p, self.oesophagus_path[::3], 10.0))
        d = np.minimum(d, capsule_chain(p, self.trachea_path, 11.0))
        d = np.minimum(d, capsule_chain(p, self.svc_path, 11.0))
        for s in (1.0, -1.0):
            d = np.minimum(d, round_cone(p, self.carina, self.hilum[s], 8.0, 9.0))
        # retrosternal midline (the two pleurae nearly meet behind the sternum)
        d = np.minimum(d, np.abs(x) - 2.0)
        return d

    # ---------------------------------------------------------------- pleura
    def pleura_low_z(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Height of the pleural reflection line (lower limit of the pleura) around the cage."""
        a = np.degrees(np.arctan2(y - self.CAGE_Y, np.abs(x)))
        st = self.sk.sternum
        z_ant = st.xiphisternal[2] - 6.0
        z_mcl = self._rib_z_at_x(8, 62.0) - 4.0
        z_mal = float(self.sk.ribs[10].centers[np.argmax(self.sk.ribs[10].centers[:, 0]), 2]) + 14.0
        z_post = float(self.sk.ribs[12].centers[len(self.sk.ribs[12].centers) // 2, 2]) + 2.0
        z_pv = self.level_z(12)
        return np.interp(a, [-95.0, -70.0, -35.0, 0.0, 45.0, 70.0, 95.0], [z_pv, z_pv - 4.0, z_post, z_mal, z_mcl, z_ant, z_ant])

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
        gap = 2.0
        h = self.diaphragm_height(x, y)
        d = np.maximum(d, (h + self.thickness / 2.0 + gap - z) * 0.7)
        d = np.maximum(d, self.pleura_low_z(x, y) - z)
        d = np.maximum(d, -side * x + 1.0)
        # behind the middle of the vertebral bodies (rib heads, posterior arch)
        hw = self.body_half_width(z) + 5.0
        d = np.maximum(d, -np.maximum(np.abs(x) - hw, y - (self.body_center_y(z) - 3.0)))
        near = d < 8.0
        d[near] = np.maximum(d[near], 1.5 - self.mediastinum_field(p[near]))
        # keep clear of the ribs where the cage table is coarse: the broad, flat
        # first two ribs (the dome passes under them) and the lower ribs
        for n in (1, 2, 7, 8, 9, 10, 11, 12):
            rib = self.sk.ribs[n]
            c = rib.centers[::3] * np.array([side, 1.0, 1.0])
            sel = (d < 8.0) & (z > c[:, 2].min() - 15.0) & (z < c[:, 2].max() + 15.0)
            r_ex = float(max(rib.thickness.max(), rib.height.max())) + 2.5
            d[sel] = np.maximum(d[sel], r_ex - capsule_chain(p[sel], c, 0.0))
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


PLEURA_SPACING = 2.0


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


def build_membranes(sk: Skeleton) -> tuple[dict[str, pv.PolyData], dict[str, np.ndarray]]:
    """Diaphragm, both parietal pleurae, epidural space and dural sac with their anchors."""
    th = thorax(sk)
    meshes: dict[str, pv.PolyData] = {}
    anchors: dict[str, np.ndarray] = {}
    # ---- diaphragm
    bounds = (-140.0, 140.0, -75.0, 135.0, th.crus_bottom - 10.0, th.z_dome_R + 12.0)
    meshes["diaphragm"] = mesh_sdf(th.diaphragm_field, bounds, 2.0, 6000, 8)
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
