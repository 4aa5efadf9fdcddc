"""Thoracic vertebra as a signed distance field.

A vertebra is built in its local frame (origin at the body centre, +x to
the patient's right, +y anterior, +z along the vertebra's axis) from:

- a body with kidney/heart-shaped endplates, a concave waist and wedge
  (anterior and posterior heights from the measurements);
- pedicles converging anteriorly at the published transverse angle;
- laminae sloping like roof tiles, meeting in the midline;
- a spinous process whose length and downward inclination vary by level,
  ending in a tubercle;
- transverse processes aimed at the tubercles of their ribs (T1-T10), with
  a concave costal facet at the tip;
- superior and inferior articular processes whose facets are near-coronal
  (about 27 degrees from the frontal plane) and meet those of the
  neighbouring vertebrae across a 2 mm joint space;
- the vertebral foramen, cut out at the measured interpedicular distance
  and antero-posterior diameter;
- costal (demi)facets, cut out where the rib heads sit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyvista as pv

from .sdf import ellipsoid, mesh_field, round_cone, smooth_intersect, smooth_subtract, smooth_union

FACET_GAP = 2.0
"""Joint space between articular facets (mm)."""
PLATE_RADIUS = 6.0
PLATE_SQUASH = 0.42
PLATE_HALF_THICKNESS = PLATE_RADIUS * PLATE_SQUASH
JOINT_HALF_GAP = FACET_GAP / 2.0
CARVE_CLEARANCE = 0.6
NEIGHBOUR_CLEARANCE = 1.0


@dataclass
class VertebraDesign:
    """Dimensions and key points of one vertebra in its local frame."""

    level: int
    width: float
    depth: float
    h_ant: float
    h_post: float
    ipd: float
    canal_ap: float
    pedicle_width: float
    pedicle_height: float
    pedicle_angle: float
    spinous_length: float
    spinous_inclination: float
    facet_angle: float
    lamina_thickness: float
    # filled in by the model assembly
    joint_cuts: list[tuple[np.ndarray, np.ndarray, float]] = field(default_factory=list)
    """Facet joint planes (centre, posterior normal, side of the plane to keep: +1 behind, -1 in front)."""
    carve: list[pv.PolyData] = field(default_factory=list)
    """Neighbouring surfaces (rib heads and tubercles) carved out as articular facets."""
    above: tuple[VertebraDesign, np.ndarray, np.ndarray] | None = None
    """The vertebra above and the transform (rotation, offset) from this frame to its frame; its
    bone is cleared from this one so that overlapping processes become contacts."""
    tp_tip: np.ndarray | None = None
    iap_target: np.ndarray | None = None

    # ---- body -------------------------------------------------------
    def z_top(self, y: np.ndarray | float) -> np.ndarray | float:
        """Height of the superior endplate at antero-posterior position ``y``."""
        return (self.h_ant + self.h_post) / 4.0 + y * (self.h_ant - self.h_post) / (2.0 * self.depth)

    def body_outline_sdf(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Signed distance to the endplate outline (kidney/heart shape)."""
        a, b = self.width / 2.0, self.depth / 2.0
        # heart shape of the mid-thoracic bodies: narrower anteriorly
        heart = 0.10 if 4 <= self.level <= 9 else 0.03
        xs = x / (1.0 - heart * np.clip(y / b, -1, 1))
        k = np.sqrt((xs / a) ** 2 + (y / b) ** 2)
        d = (k - 1.0) * min(a, b)
        # posterior concavity (the kidney notch facing the canal)
        rk = 0.42 * self.width
        notch = np.sqrt(x**2 + (y - (-b - rk + 1.8)) ** 2) - rk
        return smooth_subtract(d, notch, 2.0)

    def body_sdf(self, p: np.ndarray) -> np.ndarray:
        """Distance to the vertebral body."""
        x, y, z = p[:, 0], p[:, 1], p[:, 2]
        hz = (self.h_ant + self.h_post) / 4.0
        u = np.clip(z / hz, -1.0, 1.0)
        s = 1.0 - 0.07 * (1.0 - u * u)  # concave waist
        d2 = self.body_outline_sdf(x / s, y / s) * s
        zt = self.z_top(y)
        slab = np.maximum(z - zt, -zt - z)
        return smooth_intersect(d2, slab, 1.6)

    # ---- key points -------------------------------------------------
    @property
    def canal_center(self) -> np.ndarray:
        """Centre of the vertebral foramen."""
        return np.array([0.0, -self.depth / 2.0 - self.canal_ap / 2.0 + 1.5, 0.0])

    def pedicle_root(self, side: float) -> np.ndarray:
        """Where the pedicle leaves the body (side = +1 right, -1 left)."""
        zt = self.z_top(-self.depth / 2.0)
        return np.array([side * (self.ipd / 2.0 + self.pedicle_width / 2.0), -self.depth / 2.0 + 2.5, zt - self.pedicle_height / 2.0 - 0.8])

    def pedicle_junction(self, side: float) -> np.ndarray:
        """Junction of pedicle, lamina and transverse process."""
        r = self.pedicle_root(side)
        ly = self.canal_ap * 0.55 + 2.5
        dx = side * ly * np.tan(np.radians(self.pedicle_angle)) * 0.15
        return r + np.array([dx, -ly, 0.0])

    @property
    def lamina_midline(self) -> np.ndarray:
        """Where the laminae meet, at the root of the spinous process."""
        c = self.canal_center
        pj = self.pedicle_junction(1.0)
        return np.array([0.0, c[1] - self.canal_ap / 2.0 - self.lamina_thickness / 2.0, pj[2] - 4.0])

    @property
    def spinous_direction(self) -> np.ndarray:
        """Unit direction of the spinous process (backwards and down)."""
        inc = np.radians(self.spinous_inclination)
        return np.array([0.0, -np.cos(inc), -np.sin(inc)])

    @property
    def spinous_tip(self) -> np.ndarray:
        """Tip of the spinous process."""
        return self.lamina_midline + self.spinous_direction * self.spinous_length

    def facet_normal(self, side: float) -> np.ndarray:
        """Posterior-facing normal of the superior articular facet."""
        a = np.radians(self.facet_angle)
        return np.array([side * np.sin(a), -np.cos(a), 0.0])

    def facet_lateral(self, side: float) -> np.ndarray:
        """In-plane lateral direction of the articular facets."""
        a = np.radians(self.facet_angle)
        return np.array([side * np.cos(a), np.sin(a), 0.0])

    def superior_facet_center(self, side: float) -> np.ndarray:
        """Centre of the joint space above this vertebra's superior facet."""
        pj = self.pedicle_junction(side)
        zt = self.z_top(pj[1] + 10.0)
        base = np.array([side * (self.ipd / 2.0 + self.pedicle_width * 0.5 + 2.0), pj[1] + 1.0, zt + 4.5])
        return base + self.facet_normal(side) * (PLATE_HALF_THICKNESS + FACET_GAP / 2.0)

    def tp_root(self, side: float) -> np.ndarray:
        """Root of the transverse process."""
        return self.pedicle_junction(side) + np.array([side * 1.5, -2.0, 1.5])

    def default_tp_tip(self, side: float) -> np.ndarray:
        """Transverse process tip used where no rib tubercle rests on it (T11-T12)."""
        length = 15.0 if self.level == 11 else 11.0
        d = np.array([side * 0.8, -0.55, 0.1])
        return self.tp_root(side) + d / np.linalg.norm(d) * length

    # ---- field ------------------------------------------------------
    def sdf(self, p: np.ndarray) -> np.ndarray:
        """Signed distance of the whole vertebra, cleared of its neighbours."""
        d = self.shape_sdf(p)
        # costal facets: the actual rib surfaces are carved out with a small clearance
        for mesh in self.carve:
            lo = np.asarray(mesh.bounds[::2]) - 2.0
            hi = np.asarray(mesh.bounds[1::2]) + 2.0
            sel = np.all((p >= lo) & (p <= hi), axis=1) & (d < 2.0)
            if sel.any():
                probe = pv.PolyData(p[sel])
                dist = np.asarray(probe.compute_implicit_distance(mesh)["implicit_distance"])
                d[sel] = smooth_subtract(d[sel], dist - CARVE_CLEARANCE, 0.6)
        if self.above is not None:
            other, rot, off = self.above
            sel = (d < 2.0) & (p[:, 1] < -self.depth / 2.0 - 2.0)
            if sel.any():
                q = p[sel] @ rot.T + off
                d[sel] = smooth_subtract(d[sel], other.shape_sdf(q) - NEIGHBOUR_CLEARANCE, 0.6)
        return d

    def shape_sdf(self, p: np.ndarray) -> np.ndarray:
        """Signed distance of the vertebra before neighbouring bones are cleared."""
        d = self.body_sdf(p)
        z_axis = np.array([0.0, 0.0, 1.0])
        post_parts = None
        for side in (1.0, -1.0):
            root = self.pedicle_root(side)
            pj = self.pedicle_junction(side)
            ped = round_cone(p, root + np.array([0.0, 5.0, 0.0]), pj, self.pedicle_height / 2.0, self.pedicle_height / 2.0 + 0.5,
                             up=z_axis, squash=self.pedicle_width / self.pedicle_height)
            mid = self.lamina_midline
            lam_h = 0.5 * (self.h_ant + self.h_post) * 0.5
            lam_up = np.array([0.0, -0.35, 1.0])
            lam = round_cone(p, pj + np.array([0.0, -1.5, -3.0]), mid + np.array([side * 2.0, 0.0, 0.0]), lam_h, lam_h * 0.9,
                             up=lam_up, squash=self.lamina_thickness / (2 * lam_h))
            # transverse process (club-shaped tip)
            tip = self.tp_tip if self.tp_tip is not None else self.default_tp_tip(side)
            tip = tip * np.array([side * np.sign(tip[0]) if tip[0] != 0 else 1.0, 1.0, 1.0])
            r_root = 6.2 if self.level <= 10 else 4.6
            r_tip = 4.8 if self.level <= 10 else 3.8
            tp = round_cone(p, self.tp_root(side), tip, r_root, r_tip, up=z_axis, squash=0.82)
            if self.level <= 10:  # clubbed end carrying the costal facet
                tp = smooth_union(tp, ellipsoid(p, tip, np.array([5.4, 5.0, 6.2])), 4.0)
            # superior articular process: plate rising from the junction
            sf = self.superior_facet_center(side) - self.facet_normal(side) * (PLATE_HALF_THICKNESS + FACET_GAP / 2.0)
            sap = round_cone(p, pj + np.array([0.0, 0.0, -1.0]), sf + np.array([0.0, 0.0, 1.5]), 5.5, PLATE_RADIUS,
                             up=self.facet_lateral(side), squash=PLATE_SQUASH)
            # inferior articular process: plate hanging from the lamina
            it = self.iap_target_for(side)
            iap_top = pj + np.array([-side * 1.0, -4.0, -6.0])
            iap = round_cone(p, iap_top, it + np.array([0.0, 0.0, -4.0]), 5.0, PLATE_RADIUS,
                             up=self.facet_lateral(side), squash=PLATE_SQUASH)
            parts = smooth_union(smooth_union(ped, lam, 2.5), smooth_union(tp, smooth_union(sap, iap, 2.0), 2.0), 2.0)
            post_parts = parts if post_parts is None else np.minimum(post_parts, parts)
        # spinous process with a tubercle at the tip
        mid = self.lamina_midline
        sp = round_cone(p, mid + np.array([0.0, 2.0, 1.0]), self.spinous_tip, 8.0, 4.2, up=z_axis, squash=0.42)
        sp = smooth_union(sp, ellipsoid(p, self.spinous_tip, np.array([3.0, 4.2, 5.2])), 3.0)
        post = smooth_union(post_parts, sp, 3.0)
        d = smooth_union(d, post, 2.5)
        # vertebral foramen
        c = self.canal_center
        ex = np.sqrt(((p[:, 0] - c[0]) / (self.ipd / 2.0)) ** 2 + ((p[:, 1] - c[1]) / (self.canal_ap / 2.0)) ** 2)
        canal = (ex - 1.0) * min(self.ipd, self.canal_ap) / 2.0
        d = smooth_subtract(d, canal, 1.2)
        # facet joints: a clean joint space between the articular processes
        for center, normal, keep in self.joint_cuts:
            q = p - center
            along = q @ normal
            in_plane = np.linalg.norm(q - np.outer(along, normal), axis=1)
            if keep > 0:  # upper vertebra (inferior process behind the plane): clear the front
                region = smooth_intersect(smooth_intersect(along - JOINT_HALF_GAP, -8.0 - along, 1.0), in_plane - 10.0, 2.0)
            else:  # lower vertebra (superior process in front): clear behind, above the lamina
                region = smooth_intersect(smooth_intersect(-JOINT_HALF_GAP - along, along - 8.0, 1.0), in_plane - 9.0, 2.0)
                region = smooth_intersect(region, center[2] - 5.0 - p[:, 2], 2.0)
            d = smooth_subtract(d, region, 0.8)
        return d

    def iap_target_for(self, side: float) -> np.ndarray:
        """Centre of the inferior articular plate (from the vertebra below)."""
        t = self.iap_target
        if t is None:
            raise RuntimeError("iap_target not set")
        return t * np.array([side * np.sign(t[0]), 1.0, 1.0])

    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """Sampling box for :meth:`sdf` in the local frame."""
        tip = self.spinous_tip
        half_w = max(abs(self.tp_tip[0]) if self.tp_tip is not None else 0.0, self.width / 2.0, 30.0) + 12.0
        ymin = min(tip[1], (self.tp_tip[1] if self.tp_tip is not None else 0.0)) - 10.0
        zmin = min(tip[2], self.iap_target[2] if self.iap_target is not None else 0.0, -self.h_post) - 12.0
        zmax = max(self.superior_facet_center(1.0)[2], self.h_post / 2.0) + 14.0
        return (-half_w, half_w, ymin, self.depth / 2.0 + 4.0, zmin, zmax)

    def mesh(self, spacing: float = 0.6, target_triangles: int = 7000) -> pv.PolyData:
        """Closed surface of the vertebra in its local frame."""
        try:
            return mesh_field(self.sdf, self.bounds(), spacing, target_triangles)
        except RuntimeError as exc:
            raise RuntimeError(f"vertebra T{self.level}: {exc}") from exc
