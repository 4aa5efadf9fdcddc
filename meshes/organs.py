"""Thoracic and upper abdominal organs as simple recognisable silhouettes.

Each organ is a smooth signed-distance blob (ellipsoids and tapered
capsules blended together) or a swept tube, put where the anatomy texts
place it relative to the skeleton and the diaphragm built by
:mod:`meshes.membranes`:

- thorax (above the diaphragm): heart on the central tendon with its apex
  in the left 5th intercostal space, lungs filling the pleural cavities
  (less the costodiaphragmatic recess: lower border two ribs above the
  pleural reflection; cardiac notch on the left, three
  lobes on the right), oesophagus and descending aorta in the posterior
  mediastinum, through their openings;
- abdomen (below the diaphragm): liver under the right dome, gallbladder
  with its fundus at the tip of the right 9th cartilage, stomach under the
  left dome, duodenal C around the pancreatic head, pancreas across L1,
  spleen along left ribs 9-11, kidneys beside T12-L3 (right lower).

The shapes are schematic: sizes and positions follow
``meshes/data/soft_tissue_viscera.json``; the surface detail is a model
assumption.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from .membranes import Thorax, capsule_chain, mesh_sdf, thorax, value
from .model import Skeleton
from .sdf import ellipsoid, round_cone, smooth_intersect, smooth_subtract, smooth_union
from .sweep import smooth_curve, sweep, transport_frames


def _bounds(points: np.ndarray, pad: float) -> tuple[float, ...]:
    lo = np.min(points, axis=0) - pad
    hi = np.max(points, axis=0) + pad
    return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])


def _below_diaphragm(th: Thorax, p: np.ndarray, d: np.ndarray, gap: float = 2.0) -> np.ndarray:
    return smooth_intersect(d, th.above_diaphragm(p[:, 0], p[:, 1], p[:, 2]) + th.thickness / 2.0 + gap, 4.0)


def _tube(path: np.ndarray, radius: np.ndarray, sides: int = 14) -> pv.PolyData:
    nrm, bn = transport_frames(path, np.array([1.0, 0.0, 0.0]))
    return sweep(path, nrm, bn, lambda i, phi: (radius[i] * np.cos(phi), radius[i] * np.sin(phi)), sides, (2.0, 2.0))


def _rot(u: np.ndarray, hint: np.ndarray) -> np.ndarray:
    u = u / np.linalg.norm(u)
    v = hint - np.dot(hint, u) * u
    v /= np.linalg.norm(v)
    return np.vstack([u, v, np.cross(u, v)])


def build_organs(sk: Skeleton) -> tuple[dict[str, pv.PolyData], dict[str, np.ndarray]]:
    """Heart, lungs, oesophagus, descending aorta and the upper abdominal organs."""
    th = thorax(sk)
    lz = th.level_z
    front = th.body_front_y
    meshes: dict[str, pv.PolyData] = {}
    anchors: dict[str, np.ndarray] = {}

    # ---- heart
    a, b = th.heart_apex, th.heart_base
    meshes["heart"] = mesh_sdf(th.heart_field, _bounds(np.array([a, b]), 62.0), 2.2, 2400)
    pts = np.asarray(meshes["heart"].points)
    axis = (a - b) / np.linalg.norm(a - b)
    anchors["heart.apex"] = pts[np.argmax((pts - b) @ axis)]

    # ---- lungs: the pleural cavity less 3 mm, above the lung's lower border
    for s, side in (("R", 1.0), ("L", -1.0)):
        notch_c = np.array([-40.0, 96.0, float(sk.cartilage_paths[5][-1][2]) - 12.0])
        hil = th.hilum[side]

        def field(p, side=side, notch_c=notch_c, hil=hil):
            d = th.cavity_field(p, side) + 3.0
            low = th.lung_low_z(p[:, 0], p[:, 1])
            d = smooth_intersect(d, low - p[:, 2], 6.0)
            if side < 0:
                d = smooth_subtract(d, ellipsoid(p, notch_c, np.array([34.0, 26.0, 34.0])), 6.0)
            # fissures: shallow grooves on the surface (oblique both sides, horizontal on the right)
            depth = np.maximum(-d - 14.0, 0.0)
            obl_n = np.array([0.0, 0.62, 0.78])
            ref = np.array([side * 60.0, th.CAGE_Y, lz(4.5)])
            groove = np.abs((p - ref) @ obl_n) - 1.2 + depth
            d = smooth_subtract(d, groove, 0.8)
            if side > 0:
                zh = float(sk.cartilage_paths[4][-1][2]) - 6.0
                above_obl = (p - ref) @ obl_n
                hor = np.maximum(np.abs(p[:, 2] - zh) - 1.2 + depth, -above_obl)
                d = smooth_subtract(d, hor, 0.8)
            # the root of the lung at the hilum
            return smooth_union(d, ellipsoid(p, hil + np.array([side * 8.0, 0.0, 0.0]), np.array([10.0, 14.0, 20.0])), 6.0)

        meshes[f"lung_{s}"] = mesh_sdf(field, th.cavity_bounds(side), 2.8, 3000, 10)

    # ---- oesophagus and descending aorta
    op = th.oesophagus_path
    r = np.full(len(op), float(value("organs", "oesophagus")["radius"]))
    r[-4:] = np.linspace(r[-1], 12.0, 4)
    meshes["oesophagus"] = _tube(op, r)
    ap = th.aorta_path
    start = int(np.argmax(ap[:, 0] < -12.0))
    desc = smooth_curve(ap[start:], 44)
    ra = np.linspace(12.0, float(value("organs", "descending_aorta")["radius"]) - 0.5, len(desc))
    meshes["descending_aorta"] = _tube(desc, ra, 16)

    # ---- liver under the right dome
    zR = th.z_dome_R
    right_lobe = np.array([52.0, 42.0, zR - 58.0])
    left_lobe = np.array([-22.0, 68.0, th.z_tendon - 22.0])
    cart9_tip = sk.cartilage_paths[9][-1]
    fundus = cart9_tip + np.array([-6.0, -16.0, -8.0])
    neck = np.array([34.0, 44.0, lz(10.6)])

    def gallbladder(p):
        return smooth_union(round_cone(p, fundus, neck, 14.0, 7.0), ellipsoid(p, fundus + (neck - fundus) * 0.15, np.array([15.0, 15.0, 15.0])), 6.0)

    def liver(p):
        d = ellipsoid(p, right_lobe, np.array([70.0, 68.0, 66.0]))
        d = smooth_union(d, ellipsoid(p, left_lobe, np.array([60.0, 44.0, 24.0]), _rot(np.array([1.0, 0.0, 0.25]), np.array([0.0, 1.0, 0.0]))), 18.0)
        # inferior border along the right costal margin, rising to the left
        zinf = -38.0 + (100.0 - p[:, 0]) * 0.42
        d = smooth_intersect(d, zinf - p[:, 2], 8.0)
        R, rr, _ = th.cage_radius(p[:, 0], p[:, 1], p[:, 2])
        d = smooth_intersect(d, rr - R + 2.0, 5.0)
        d = smooth_subtract(d, gallbladder(p) - 1.5, 2.0)
        d = smooth_subtract(d, ellipsoid(p, np.array([55.0, -2.0, lz(12.5)]), np.array([34.0, 26.0, 50.0])), 6.0)  # right kidney impression
        return _below_diaphragm(th, p, d)

    meshes["liver"] = mesh_sdf(liver, (-95.0, 130.0, -40.0, 130.0, -60.0, zR + 8.0), 2.8, 3000)
    meshes["gallbladder"] = mesh_sdf(gallbladder, _bounds(np.array([fundus, neck]), 22.0), 1.8, 900)
    anchors["gallbladder.fundus"] = fundus + (fundus - neck) / np.linalg.norm(fundus - neck) * 14.0

    # ---- stomach under the left dome
    zL = th.z_dome_L
    oes_end = op[-1]
    st_pts = np.array([
        [-48.0, 30.0, zL - 30.0],
        [-68.0, 46.0, zL - 62.0],
        [-62.0, 66.0, lz(12.3)],
        [-28.0, 76.0, lz(13.0) - 6.0],
        [14.0, 62.0, lz(13.0) + 2.0],
    ])
    st_r = [34.0, 34.0, 30.0, 21.0, 13.0]

    def stomach(p):
        d = capsule_chain(p, st_pts, st_r)
        d = smooth_union(d, round_cone(p, oes_end, st_pts[0] + np.array([10.0, 4.0, 0.0]), 11.0, 20.0), 8.0)
        return _below_diaphragm(th, p, d)

    meshes["stomach"] = mesh_sdf(stomach, _bounds(np.vstack([st_pts, oes_end]), 42.0), 2.6, 2400)

    # ---- duodenum (C-loop, L1-L3) and pancreas (across L1)
    pyl = st_pts[-1]
    duo = smooth_curve(np.array([
        pyl, [34.0, 44.0, lz(13.1)], [46.0, 30.0, lz(13.6)], [46.0, 28.0, lz(14.5)],
        [30.0, 34.0, lz(15.2)], [0.0, 40.0, lz(15.2)], [-22.0, 42.0, lz(14.2)],
    ]), 40)
    r_duo = np.full(len(duo), float(value("organs", "duodenum")["radius"]))
    meshes["duodenum"] = _tube(duo, r_duo)
    panc = np.array([[30.0, 40.0, lz(14.2)], [12.0, 46.0, lz(13.4)], [-20.0, 40.0, lz(13.1)], [-52.0, 26.0, lz(12.6)], [-78.0, 10.0, lz(12.2)]])

    def pancreas(p):
        d = capsule_chain(p, panc[:2], [17.0, 12.0])
        for i in range(1, len(panc) - 1):
            d = np.minimum(d, round_cone(p, panc[i], panc[i + 1], [12.0, 11.0, 10.0][i - 1], [11.0, 10.0, 8.0][i - 1],
                                         up=np.array([0.0, 0.0, 1.0]), squash=0.65))
        return d

    meshes["pancreas"] = mesh_sdf(pancreas, _bounds(panc, 26.0), 2.0, 1800)

    # ---- spleen along left ribs 9-11, posterolateral
    rib10 = sk.ribs[10]
    c10 = rib10.centers
    k = int(np.argmin(np.abs(c10[:, 1] - (-18.0)) + 1000.0 * (c10[:, 0] < 40.0)))
    p10 = c10[k] * np.array([-1.0, 1.0, 1.0])
    radial = np.array([p10[0], p10[1] - th.CAGE_Y, 0.0])
    radial /= np.linalg.norm(radial)
    spleen_c = p10 - radial * 34.0 + np.array([0.0, 0.0, 8.0])
    tang = (c10[min(k + 4, len(c10) - 1)] - c10[max(k - 4, 0)]) * np.array([-1.0, 1.0, 1.0])
    size = value("organs", "spleen")["size"]
    rot = _rot(tang, -radial)
    rot = np.vstack([rot[0], rot[2], rot[1]])  # long axis along the rib, thin axis radial

    def spleen(p):
        d = ellipsoid(p, spleen_c, np.array([size[0] / 2.0, size[1] / 2.0, size[2] / 2.0]), rot)
        d = smooth_subtract(d, ellipsoid(p, spleen_c + radial * 26.0, np.array([40.0, 30.0, 14.0])), 6.0)  # visceral hollow
        return _below_diaphragm(th, p, d)

    meshes["spleen"] = mesh_sdf(spleen, _bounds(spleen_c[None, :], 70.0), 2.0, 1800)

    # ---- kidneys: left upper pole at T11-T12, right 15 mm lower
    ks = value("organs", "kidneys")
    L_len, L_w, L_t = ks["size"]
    for s, side in (("L", -1.0), ("R", 1.0)):
        pole = lz(11.6) - (float(ks["right_lower_by"]) if side > 0 else 0.0)
        upper = np.array([side * 40.0, th.body_center_y(pole) - 4.0, pole - 6.0])
        axis = np.array([side * 0.28, 0.22, -1.0])
        axis /= np.linalg.norm(axis)
        centre = upper + axis * (L_len / 2.0 - 6.0)
        krot = _rot(axis, np.array([side * 1.0, 0.55, 0.0]))
        hilum = centre - krot[1] * 30.0

        def kidney(p, centre=centre, krot=krot, hilum=hilum):
            d = ellipsoid(p, centre, np.array([L_len / 2.0, L_w / 2.0, L_t / 2.0]), krot)
            return smooth_subtract(d, ellipsoid(p, hilum, np.array([20.0, 14.0, 10.0]), krot), 4.0)

        meshes[f"kidney_{s}"] = mesh_sdf(kidney, _bounds(centre[None, :], 64.0), 2.0, 1600)
    return meshes, anchors
