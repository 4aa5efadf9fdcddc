"""Assemble the whole thoracic model: spine, ribs, cartilages, sternum and soft parts.

The order of construction follows the anatomical relations the model must
keep:

1. the spine layout (kyphosis) places the vertebrae;
2. rib heads are put in their costal facets (two demifacets for ribs 2-9,
   one facet for ribs 1, 10, 11, 12) and the transverse processes are
   aimed so that rib tubercles rest on them (ribs 1-10);
3. each rib is turned about its neck axis until its anterior end reaches
   the height its costal cartilage needs;
4. the sternum is placed with the sternal angle level with the T4-T5 disc
   and the xiphisternal joint level with T9; cartilages 1-7 run to their
   notches, 8-10 join the cartilage above, 11-12 are short tips;
5. discs, cord, intercostal nerves and joints fill the spaces between.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyvista as pv

from .ids import LEVELS, SEGMENTS
from .layout import Pose, SpineLayout, spine_layout
from .params import ModelParams, model_params
from .rib import PlacedRib, holcombe_curve, place_rib, sweep_rib
from .sdf import box, ellipsoid, finish_surface, mesh_field, smooth_intersect, smooth_subtract, smooth_union
from .sweep import loft, resample, smooth_curve, sweep, tangents, transport_frames
from .vertebra import FACET_GAP, PLATE_HALF_THICKNESS, VertebraDesign

HEAD_RADII = np.array([4.6, 4.6, 5.6])
VERTEBRA_TRIANGLES = 7600


@dataclass
class Skeleton:
    """The skeleton as built, with what the soft-tissue builders attach to.

    All points are in the model frame (mm, RAS; origin at the centre of the
    T12 inferior endplate).  Dictionaries keyed by rib number hold the RIGHT
    side; mirror x for the left.
    """

    params: ModelParams
    layout: SpineLayout
    designs: list[VertebraDesign]
    """Vertebra designs T1..T12 (local frames; ``layout.poses[i]`` places them)."""
    ribs: dict[int, PlacedRib]
    """Right ribs 1-12: centre line, arc length, section size, plane normal."""
    heads: dict[int, np.ndarray]
    tubercles: dict[int, np.ndarray]
    tp_tips: dict[int, np.ndarray]
    """Right transverse-process tips T1-T10."""
    cartilage_paths: dict[int, np.ndarray]
    """Centre lines of the right costal cartilages 1-12, rib end first."""
    sternum: _Sternum
    meshes: dict[str, pv.PolyData]
    """Every mesh so far, keyed by structure id; soft-tissue builders add theirs."""
    anchors: dict[str, np.ndarray]
    """Every anchor so far (``"<id>.<point>"``)."""


@dataclass
class Model:
    """Generated surfaces and anchor points of one model variant."""

    params: ModelParams
    layout: SpineLayout
    meshes: dict[str, pv.PolyData]
    anchors: dict[str, tuple[float, float, float]]


def _mirror(p: np.ndarray) -> np.ndarray:
    return np.asarray(p) * np.array([-1.0, 1.0, 1.0])


def _mirror_if(p: np.ndarray, side: float) -> np.ndarray:
    return np.asarray(p) * np.array([side, 1.0, 1.0])


def _mirror_mesh(mesh: pv.PolyData) -> pv.PolyData:
    """Left-side copy of a right-side mesh: mirror x and reverse the winding."""
    faces = np.asarray(mesh.regular_faces)[:, ::-1]
    out = pv.PolyData.from_regular_faces(_mirror(mesh.points), faces)
    out.point_data["Normals"] = _mirror(mesh.point_data["Normals"])
    return out


def _designs(params: ModelParams) -> list[VertebraDesign]:
    out = []
    for i in range(12):
        out.append(
            VertebraDesign(
                level=i + 1,
                width=params.endplate_width[i],
                depth=params.endplate_depth[i],
                h_ant=params.body_height_anterior[i],
                h_post=params.body_height_posterior[i],
                ipd=params.interpedicular_distance[i],
                canal_ap=params.canal_ap[i],
                pedicle_width=params.pedicle_width[i],
                pedicle_height=params.pedicle_height[i],
                pedicle_angle=params.pedicle_angle[i],
                spinous_length=params.spinous_length[i],
                spinous_inclination=params.spinous_inclination[i],
                facet_angle=params.facet_angle[i],
                lamina_thickness=params.lamina_thickness,
            )
        )
    l1 = replace(out[-1], level=13, width=out[-1].width * 1.03, depth=out[-1].depth * 1.03, facet_angle=35.0, joint_cuts=[], carve=[], above=None)
    out.append(l1)
    return out


def _outline_point(d: VertebraDesign, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point of the endplate outline along ``direction`` (2D) and its outward normal."""
    direction = direction / np.linalg.norm(direction)
    lo, hi = 0.0, 60.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        x, y = direction * mid
        if d.body_outline_sdf(np.array([x]), np.array([y]))[0] < 0:
            lo = mid
        else:
            hi = mid
    p = direction * lo
    e = 1e-3
    gx = d.body_outline_sdf(np.array([p[0] + e]), np.array([p[1]]))[0] - d.body_outline_sdf(np.array([p[0] - e]), np.array([p[1]]))[0]
    gy = d.body_outline_sdf(np.array([p[0]]), np.array([p[1] + e]))[0] - d.body_outline_sdf(np.array([p[0]]), np.array([p[1] - e]))[0]
    g = np.array([gx, gy])
    return p, g / np.linalg.norm(g)


def _head_local(d: VertebraDesign, rib: int, layout: SpineLayout) -> np.ndarray:
    """Centre of the right head of ``rib`` in the local frame of its own vertebra."""
    if rib in (11, 12):
        direction = np.array([0.74, -0.67])
    elif rib == 1:
        direction = np.array([0.99, -0.12])
    else:
        direction = np.array([0.74, -0.67])
    p, nrm = _outline_point(d, direction)
    xy = p + nrm * (HEAD_RADII[0] - 1.4)
    zt = d.z_top(xy[1])
    if 2 <= rib <= 9:
        z = zt + layout.disc_mean_height[rib - 2] / 2.0
    elif rib == 1:
        z = zt - 5.0
    elif rib == 10:
        z = zt - 7.5
    else:
        z = zt - 8.0
    return np.array([xy[0], xy[1], z])


def _tp_direction(level: int) -> np.ndarray:
    # T1 processes point laterally; lower ones increasingly backwards.
    f = (level - 1) / 9.0
    v = np.array([0.85 - 0.30 * f, -0.52 - 0.33 * f, 0.16 - 0.08 * f])
    return v / np.linalg.norm(v)


FACET_OFFSET = np.array([0.30, 1.0, -0.30]) / np.linalg.norm([0.30, 1.0, -0.30])


def _solve_tp(d: VertebraDesign, head: np.ndarray, neck_chord: float) -> tuple[np.ndarray, np.ndarray]:
    """Tip of the right transverse process and the rib tubercle centre resting on it."""
    root = d.tp_root(1.0)
    u = _tp_direction(d.level)
    off = FACET_OFFSET * (5.2 + 4.3 + 0.4)
    lo, hi = 2.0, 60.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        t = root + u * mid + off
        if np.linalg.norm(t - head) < neck_chord:
            lo = mid
        else:
            hi = mid
    tip = root + u * lo
    return tip, tip + off


def _clash_penalty(n: int, designs: list[VertebraDesign], poses, above: PlacedRib | None, params: ModelParams):
    """Cost of a right rib centre line passing through a pedicle or the rib above."""
    pedicles = []
    for idx in (n - 1, n - 2) if n >= 2 else (n - 1,):
        d = designs[idx]
        a = poses[idx].to_world(d.pedicle_root(1.0) + np.array([0.0, 4.0, 0.0]))
        b = poses[idx].to_world(d.pedicle_junction(1.0))
        up = poses[idx].rotation @ np.array([0.0, 0.0, 1.0])
        pedicles.append((a, b, up, d.pedicle_width / 2.0, d.pedicle_height / 2.0))
    neck_clear = 5.2

    def penalty(w: np.ndarray, s: np.ndarray) -> float:
        cost = 0.0
        near = w[s < 45.0]
        for a, b, up, rw, rh in pedicles:
            axis = b - a
            length = np.linalg.norm(axis)
            u = axis / length
            v = np.cross(up, u)
            v /= np.linalg.norm(v)
            wv = np.cross(u, v)
            q = near - a
            t = np.clip(q @ u, 0.0, length)
            r = q - np.outer(t, u)
            e = np.sqrt(((r @ v) / (rw + neck_clear)) ** 2 + ((r @ wv) / (rh + neck_clear)) ** 2)
            cost += 400.0 * float(np.sum(np.clip(1.0 - e, 0.0, None) ** 2))
        if above is not None:
            far = w[s > 25.0]
            dist = np.min(np.linalg.norm(far[:, None, :] - above.centers[None, 10:, :], axis=2), axis=1)
            need = params.shaft_height[n - 1] / 2.0 + params.shaft_height[n - 2] / 2.0 + 2.0
            cost += 20.0 * float(np.sum(np.clip(need - dist, 0.0, None) ** 2))
        return cost

    return penalty


def _rib_curve(params: ModelParams, n: int) -> np.ndarray:
    sx, pkx, pky, pia, _bp, bd = params.holcombe[n - 1]
    return holcombe_curve(sx, pkx, pky, pia, bd)


def _arc_point(curve: np.ndarray, s: float) -> np.ndarray:
    seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    acc = np.concatenate([[0.0], np.cumsum(seg)])
    return np.array([np.interp(s, acc, curve[:, k]) for k in range(curve.shape[1])])


class _Sternum:
    """Placement of the three sternal parts and the costal notches."""

    def __init__(self, params: ModelParams, layout: SpineLayout, y_angle: float):
        disc45 = 0.5 * (layout.endplate_center(3, False) + layout.endplate_center(4, True))
        t9 = layout.poses[8].origin
        self.angle_point = np.array([0.0, y_angle, disc45[2]])
        drop = disc45[2] - t9[2]
        beta = float(np.arccos(np.clip(drop / params.body_length, -1.0, 1.0)))
        self.beta = beta
        bend = np.radians(180.0 - params.sternal_angle)
        self.d_body = np.array([0.0, np.sin(beta), -np.cos(beta)])
        self.d_man = np.array([0.0, np.sin(beta + bend), -np.cos(beta + bend)])
        self.d_xiph = np.array([0.0, np.sin(beta - 0.25), -np.cos(beta - 0.25)])
        self.jugular = self.angle_point - self.d_man * params.manubrium_length
        self.xiphisternal = self.angle_point + self.d_body * params.body_length
        self.xiphoid_tip = self.xiphisternal + self.d_xiph * params.xiphoid_length
        self.params = params
        mw = params.manubrium_width / 2.0
        bw = params.manubrium_width / params.manubrium_to_body_width / 2.0
        L = params.manubrium_length
        B = params.body_length
        self.man_profile = (np.array([0.0, 0.18, 0.45, 0.8, 1.0]) * L, np.array([mw - 2, mw, mw * 0.86, bw * 1.2, bw * 1.05]))
        self.body_profile = (np.array([0.0, 0.2, 0.45, 0.7, 0.88, 1.0]) * B, np.array([bw, bw * 1.02, bw * 1.1, bw * 1.14, bw * 0.95, bw * 0.7]))
        self.xiph_profile = (np.array([0.0, 0.5, 1.0]) * params.xiphoid_length, np.array([bw * 0.55, bw * 0.45, 2.0]))
        self.body_fracs = [0.0, 0.2, 0.42, 0.63, 0.82, 1.0]

    def notch(self, n: int) -> np.ndarray:
        """Centre of the right costal notch ``n`` (1-7) on the lateral border."""
        if n == 1:
            u = 0.32 * self.params.manubrium_length
            hw = np.interp(u, *self.man_profile)
            c = self.jugular + self.d_man * u
        else:
            u = self.body_fracs[n - 2] * self.params.body_length
            hw = np.interp(u, *self.body_profile)
            c = self.angle_point + self.d_body * u
        return c + np.array([hw + 0.6, 0.0, 0.0])

    def _plate(self, start: np.ndarray, d: np.ndarray, length: float, profile, thick: tuple[float, float]):
        x_axis = np.array([1.0, 0.0, 0.0])
        t_axis = np.cross(d, x_axis)

        def f(p: np.ndarray) -> np.ndarray:
            q = p - start
            u = q @ d
            v = q @ t_axis
            hw = np.interp(u, *profile)
            ht = np.interp(u, [0.0, length], thick)
            d2 = np.maximum(np.abs(p[:, 0]) - hw, np.abs(v) - ht)
            along = np.maximum(-u, u - length)
            return smooth_intersect(d2, along, 1.5)

        return f

    def meshes(self) -> dict[str, pv.PolyData]:
        p = self.params
        out = {}
        notches = [self.notch(n) for n in range(1, 8)]
        cut_r = np.array([4.2, 5.0, 4.6])

        def with_notches(f, idx):
            def g(q):
                d = f(q)
                for n in idx:
                    for side in (1.0, -1.0):
                        c = notches[n - 1] * np.array([side, 1.0, 1.0]) + np.array([side * 1.2, 0.0, 0.0])
                        d = smooth_subtract(d, ellipsoid(q, c, cut_r), 1.0)
                return d
            return g

        man = self._plate(self.jugular, self.d_man, p.manubrium_length - 0.6, self.man_profile, (6.0, 5.5))

        def manubrium(q):
            d = with_notches(man, [1, 2])(q)
            # jugular notch and clavicular notches
            d = smooth_subtract(d, ellipsoid(q, self.jugular + np.array([0.0, 0.0, 1.5]), np.array([9.0, 14.0, 5.0])), 1.5)
            for side in (1.0, -1.0):
                c = self.jugular + self.d_man * 5.0 + np.array([side * (self.man_profile[1][1] + 1.0), 0.0, 2.0])
                d = smooth_subtract(d, ellipsoid(q, c, np.array([6.0, 14.0, 7.5])), 1.5)
            return d

        body_start = self.angle_point + self.d_body * 0.6
        body = with_notches(self._plate(body_start, self.d_body, p.body_length - 1.2, self.body_profile, (5.0, 4.2)), [2, 3, 4, 5, 6, 7])
        xs = self.xiphisternal + self.d_xiph * 0.6
        xiph = with_notches(self._plate(xs, self.d_xiph, p.xiphoid_length - 0.6, self.xiph_profile, (2.6, 1.6)), [7])
        for name, f, a, b in (
            ("manubrium", manubrium, self.jugular, self.angle_point),
            ("sternal_body", body, self.angle_point, self.xiphisternal),
            ("xiphoid", xiph, self.xiphisternal, self.xiphoid_tip),
        ):
            lo = np.minimum(a, b) - np.array([p.manubrium_width / 2 + 6, 12, 8])
            hi = np.maximum(a, b) + np.array([p.manubrium_width / 2 + 6, 12, 8])
            tri = {"manubrium": 3200, "sternal_body": 4200, "xiphoid": 900}[name]
            out[name] = mesh_field(f, (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]), 0.6, tri)
        return out


def _ellipsoid_mesh(center: np.ndarray, radii: np.ndarray, axes: np.ndarray | None = None, res: int = 12) -> pv.PolyData:
    s = pv.Sphere(radius=1.0, theta_resolution=res, phi_resolution=max(res * 2 // 3, 6))
    pts = np.asarray(s.points) * radii
    if axes is not None:
        pts = pts @ np.asarray(axes)
    faces = s.triangulate().regular_faces
    return finish_surface(pv.PolyData.from_regular_faces(pts + center, faces).clean())


def _frame_from(normal: np.ndarray, lateral: np.ndarray) -> np.ndarray:
    n = normal / np.linalg.norm(normal)
    lat = lateral - np.dot(lateral, n) * n
    lat /= np.linalg.norm(lat)
    up = np.cross(n, lat)
    return np.vstack([lat, n, up])


def _cartilage(start: np.ndarray, t0: np.ndarray, end: np.ndarray, t1: np.ndarray, up: np.ndarray,
               r_start: tuple[float, float], r_end: tuple[float, float], n: int = 26, sides: int = 12) -> tuple[pv.PolyData, np.ndarray]:
    chord = np.linalg.norm(end - start)
    t0 = t0 / np.linalg.norm(t0) * chord * 0.6
    t1 = t1 / np.linalg.norm(t1) * chord * 0.6
    u = np.linspace(0, 1, 200)[:, None]
    h00, h10, h01, h11 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, -2 * u**3 + 3 * u**2, u**3 - u**2
    curve = h00 * start + h10 * t0 + h01 * end + h11 * t1
    pts, s = resample(curve, n)
    nrm, bin_ = transport_frames(pts, up)
    f = s / s[-1]
    a = r_start[0] + (r_end[0] - r_start[0]) * f
    b = r_start[1] + (r_end[1] - r_start[1]) * f

    def prof(i, phi):
        return a[i] * np.cos(phi), b[i] * np.sin(phi)

    return sweep(pts, nrm, bin_, prof, sides, cap_offset=(0.3, 0.3)), pts


def add_centres(meshes: dict[str, pv.PolyData], anchors: dict[str, np.ndarray]) -> None:
    """Give every mesh a ``<id>.center`` anchor (its centre of mass) unless it has one."""
    for key, mesh in meshes.items():
        anchors.setdefault(f"{key}.center", np.asarray(mesh.center_of_mass()))


def build_model(sex: str = "male", kyphosis_deg: float | None = None) -> Model:
    """Generate every structure of the model: the skeleton, then the soft tissue on it.

    Parameters
    ----------
    sex : {"male", "female"}, default: "male"
    kyphosis_deg : float, optional
        T1-T12 Cobb angle in degrees (20-70); the published normal default
        when omitted.

    Returns
    -------
    Model
        Meshes keyed by structure id (model frame, mm) and anchor points.
    """
    from .soft_tissue import build_soft_tissue

    sk = build_skeleton(sex, kyphosis_deg)
    build_soft_tissue(sk)
    add_centres(sk.meshes, sk.anchors)
    return Model(
        params=sk.params,
        layout=sk.layout,
        meshes=sk.meshes,
        anchors={k: tuple(float(x) for x in v) for k, v in sk.anchors.items()},
    )


def build_skeleton(sex: str = "male", kyphosis_deg: float | None = None) -> Skeleton:
    """Generate the bones, cartilages, discs, cord, nerves and joints.

    Parameters
    ----------
    sex : {"male", "female"}, default: "male"
    kyphosis_deg : float, optional
        T1-T12 Cobb angle in degrees (20-70).

    Returns
    -------
    Skeleton
        The meshes and anchors so far, with the construction data that the
        soft-tissue builders attach to.
    """
    params = model_params(sex, kyphosis_deg)
    layout = spine_layout(params)
    designs = _designs(params)
    for d, tilt in zip(designs, layout.tilt):
        # published/assumed inclinations are for standing posture
        d.spinous_inclination += float(np.degrees(tilt))
    poses: tuple[Pose, ...] = layout.poses
    meshes: dict[str, pv.PolyData] = {}
    anchors: dict[str, np.ndarray] = {}

    # --- facet joints: the inferior articular process of each vertebra
    #     reaches the superior facet of the one below.
    joints: list[np.ndarray] = []
    for i in range(12):
        lower = designs[i + 1]
        j_local = lower.superior_facet_center(1.0)
        n_local = lower.facet_normal(1.0)
        j_world = poses[i + 1].to_world(j_local)
        n_world = poses[i + 1].rotation @ n_local
        iap_world = j_world + n_world * (PLATE_HALF_THICKNESS + FACET_GAP / 2.0)
        designs[i].iap_target = poses[i].to_local(iap_world)
        for side in (1.0, -1.0):
            jw, nw = _mirror_if(j_world, side), _mirror_if(n_world, side)
            designs[i].joint_cuts.append((poses[i].to_local(jw), poses[i].rotation.T @ nw, 1.0))
            designs[i + 1].joint_cuts.append((poses[i + 1].to_local(jw), poses[i + 1].rotation.T @ nw, -1.0))
        joints.append(np.array([j_world, n_world, poses[i + 1].rotation @ lower.facet_lateral(1.0)]))

    # --- rib heads and transverse processes
    curves = {n: _rib_curve(params, n) for n in range(1, 13)}
    heads_w: dict[int, np.ndarray] = {}
    tubercle_w: dict[int, np.ndarray] = {}
    tp_tip_w: dict[int, np.ndarray] = {}
    for n in range(1, 13):
        d = designs[n - 1]
        h_local = _head_local(d, n, layout)
        heads_w[n] = poses[n - 1].to_world(h_local)
        curve = curves[n]
        s_tub = params.neck_length[n - 1]
        if n <= 10:
            chord = float(np.linalg.norm(_arc_point(curve, s_tub) - _arc_point(curve, 4.5)))
            tip, tub = _solve_tp(d, h_local, chord)
            d.tp_tip = tip
            tp_tip_w[n] = poses[n - 1].to_world(tip)
            tubercle_w[n] = poses[n - 1].to_world(tub)
        else:
            # no costotransverse joint: the neck runs laterally, below the small transverse process
            nd = np.array([0.93, -0.22, -0.30])
            tubercle_w[n] = poses[n - 1].to_world(h_local + nd / np.linalg.norm(nd) * 20.0)

    # --- sternum first (levels from the spine), then rib anterior ends aimed at it
    disc45 = 0.5 * (layout.endplate_center(3, False) + layout.endplate_center(4, True))
    sternum = _Sternum(params, layout, disc45[1] + params.sternal_angle_depth)
    ribs: dict[int, PlacedRib] = {}
    for n in range(1, 13):
        ex = params.rib_end_x[n - 1]
        ey = None
        if n <= 7:
            notch = sternum.notch(n)
            ez = notch[2] - params.cartilage_rise[n - 1]
            ey = notch[1] - 4.0 - 0.25 * (ex - notch[0])
        elif n <= 10:
            ez = params.rib_end_z_lower[n - 8]
        else:
            ez = heads_w[n][2] - params.rib_end_drop[n - 1]
        ribs[n] = place_rib(
            n, curves[n], heads_w[n], tubercle_w[n], params.neck_length[n - 1] if n <= 10 else 0.0,
            ez, params.shaft_height[n - 1], params.shaft_thickness[n - 1], end_x=ex, end_y=ey,
            penalty=_clash_penalty(n, designs, poses, ribs.get(n - 1), params),
        )
        # the transverse process is aimed at where the tubercle finally rests
        if n <= 10:
            tub_local = poses[n - 1].to_local(ribs[n].tubercle)
            tip_local = tub_local - FACET_OFFSET * (5.2 + 4.3 + 0.4)
            designs[n - 1].tp_tip = tip_local
            tp_tip_w[n] = poses[n - 1].to_world(tip_local)
            tubercle_w[n] = ribs[n].tubercle

    # --- ribs (before the vertebrae, whose costal facets are carved from them)
    rib_meshes: dict[int, pv.PolyData] = {n: sweep_rib(ribs[n]) for n in range(1, 13)}
    for n in range(1, 13):
        for idx in ([n - 1, n - 2] if 2 <= n <= 9 else [n - 1]):
            for mesh in (rib_meshes[n], _mirror_mesh(rib_meshes[n])):
                local = mesh.copy()
                local.points = poses[idx].to_local(np.asarray(mesh.points))
                designs[idx].carve.append(local)

    for i in range(1, 12):
        # clear the vertebra above out of this one (facet joint spaces, imbricated spinous processes)
        rot = poses[i - 1].rotation.T @ poses[i].rotation
        off = poses[i - 1].rotation.T @ (poses[i].origin - poses[i - 1].origin)
        designs[i].above = (designs[i - 1], rot, off)

    # --- vertebrae
    for i in range(12):
        local = designs[i].mesh(target_triangles=VERTEBRA_TRIANGLES)
        world = local.copy()
        world.points = poses[i].to_world(np.asarray(local.points))
        meshes[f"vertebra_{LEVELS[i]}"] = finish_surface(world)
        d = designs[i]
        pose = poses[i]
        key = f"vertebra_{LEVELS[i]}"
        hz = (d.h_ant + d.h_post) / 4.0
        anchors[f"{key}.body_center"] = pose.to_world(np.zeros(3))
        anchors[f"{key}.body_anterior"] = pose.to_world(np.array([0.0, d.depth / 2.0, 0.0]))
        anchors[f"{key}.superior_endplate"] = pose.to_world(np.array([0.0, 0.0, hz]))
        anchors[f"{key}.inferior_endplate"] = pose.to_world(np.array([0.0, 0.0, -hz]))
        anchors[f"{key}.canal_center"] = pose.to_world(d.canal_center)
        anchors[f"{key}.spinous_tip"] = pose.to_world(d.spinous_tip)
        for side, s in ((1.0, "R"), (-1.0, "L")):
            anchors[f"{key}.pedicle_{s}"] = pose.to_world(0.5 * (d.pedicle_root(side) + d.pedicle_junction(side)))
            tip = d.tp_tip * np.array([side, 1.0, 1.0]) if d.tp_tip is not None else d.default_tp_tip(side)
            anchors[f"{key}.transverse_tip_{s}"] = pose.to_world(tip)
            anchors[f"{key}.lamina_{s}"] = pose.to_world(0.5 * (d.pedicle_junction(side) + d.lamina_midline) + np.array([side * 3.0, -1.0, -2.0]))

    # --- ribs
    for n in range(1, 13):
        rib = ribs[n]
        right = rib_meshes[n]
        meshes[f"rib_R{n}"] = right
        meshes[f"rib_L{n}"] = _mirror_mesh(right)
        c = rib.centers
        lateral_idx = int(np.argmax(c[:, 0]))
        posterior_idx = int(np.argmin(c[: len(c) // 2, 1]))
        pts = {
            "head": heads_w[n],
            "tubercle": tubercle_w[n],
            "angle": c[posterior_idx],
            "lateral": c[lateral_idx],
            "anterior_end": c[-1],
        }
        for name, v in pts.items():
            anchors[f"rib_R{n}.{name}"] = v
            anchors[f"rib_L{n}.{name}"] = _mirror(v)

    # --- costal cartilages
    cart_paths: dict[int, np.ndarray] = {}
    cart_radii: dict[int, tuple[float, float]] = {}
    for n in range(1, 13):
        rib = ribs[n]
        start = rib.centers[-1] + tangents(rib.centers)[-1] * 0.6
        t0 = tangents(rib.centers)[-1]
        up = rib.plane_normal
        r0 = (float(rib.thickness[-4]), float(rib.height[-4]))
        if n <= 7:
            end = sternum.notch(n)
            t1 = np.array([-1.0, 0.15 if n > 1 else 0.0, {1: -0.35, 2: 0.0, 3: 0.2}.get(n, 0.55)])
            r1 = (3.2, 4.2)
        elif n <= 10:
            above = cart_paths[n - 1]
            k = int(len(above) * (0.62 if n == 8 else 0.55))
            ra = cart_radii[n - 1]
            end = above[k] - np.array([0.0, 0.0, ra[1] * 0.7])
            t1 = above[k + 1] - above[k - 1]
            t1 = t1 / np.linalg.norm(t1) + np.array([0.0, 0.0, 0.6])
            r1 = (2.6, 3.0)
        else:
            length = params.cartilage_tip[n - 1]
            end = start + t0 * length
            t1 = t0
            r1 = (0.8, 0.9)
        mesh, path = _cartilage(start, t0, end, t1, up, r0, r1)
        cart_paths[n] = path
        cart_radii[n] = r1 if n <= 10 else r0
        meshes[f"cartilage_R{n}"] = mesh
        meshes[f"cartilage_L{n}"] = _mirror_mesh(mesh)
        anchors[f"cartilage_R{n}.medial_end"] = path[-1]
        anchors[f"cartilage_L{n}.medial_end"] = _mirror(path[-1])

    # --- sternum
    meshes.update(sternum.meshes())
    anchors["manubrium.jugular_notch"] = sternum.jugular
    anchors["sternal_body.sternal_angle"] = sternum.angle_point
    anchors["xiphoid.xiphisternal_joint"] = sternum.xiphisternal
    anchors["xiphoid.tip"] = sternum.xiphoid_tip

    # --- discs: lofts between the endplates
    phis = np.linspace(0.0, 2 * np.pi, 44, endpoint=False)
    for i, seg in enumerate(SEGMENTS):
        up_d, lo_d = designs[i], designs[i + 1]
        rings = []
        fracs = np.linspace(0.0, 1.0, 5)
        ring_top = _endplate_ring(up_d, phis, superior=False)
        ring_bot = _endplate_ring(lo_d, phis, superior=True)
        top_w = poses[i].to_world(ring_top)
        bot_w = poses[i + 1].to_world(ring_bot)
        c_top = top_w.mean(axis=0)
        c_bot = bot_w.mean(axis=0)
        for f in fracs:
            r = top_w * (1 - f) + bot_w * f
            c = c_top * (1 - f) + c_bot * f
            rad = r - c
            rad_n = rad / np.linalg.norm(rad, axis=1, keepdims=True)
            rings.append(r + rad_n * 0.9 * np.sin(np.pi * f))
        disc = loft(np.array(rings), c_top + (c_top - c_bot) * 0.0, c_bot)
        key = f"disc_{seg.replace('-', '_')}"
        meshes[key] = disc
        anchors[f"{key}.center"] = 0.5 * (c_top + c_bot)
        post = 0.5 * (poses[i].to_world(np.array([0.0, -up_d.depth / 2.0, 0.0])) + poses[i + 1].to_world(np.array([0.0, -lo_d.depth / 2.0, 0.0])))
        anchors[f"{key}.posterior"] = post

    # --- spinal cord through the canal centres
    centres = []
    for i in range(13):
        centres.append(poses[i].to_world(designs[i].canal_center))
    top = centres[0] + (centres[0] - centres[1]) * 0.45
    path = smooth_curve(np.vstack([top, centres[:12], centres[11] + (centres[12] - centres[11]) * 0.55]), 64)
    zt, zb = path[0][2], path[-1][2]
    frac = (zt - path[:, 2]) / (zt - zb)
    a = 4.1 + 0.9 * np.exp(-((frac - 0.0) / 0.12) ** 2) + 0.8 * np.exp(-((frac - 0.95) / 0.1) ** 2)
    b = 3.2 + 0.4 * np.exp(-((frac - 0.0) / 0.12) ** 2) + 0.6 * np.exp(-((frac - 0.95) / 0.1) ** 2)
    nrm, bn = transport_frames(path, np.array([0.0, 1.0, 0.0]))
    meshes["spinal_cord"] = sweep(path, nrm, bn, lambda i, phi: (a[i] * np.cos(phi), b[i] * np.sin(phi)), 16, (1.5, 1.5))

    # --- intercostal nerves: foramen, then along the lower inner border of the rib
    for n in range(1, 13):
        d = designs[n - 1]
        foramen = poses[n - 1].to_world(np.array([d.ipd / 2.0 + 2.5, -d.depth / 2.0 - 3.5, -(d.h_post / 2.0) + 1.0]))
        rib = ribs[n]
        c = rib.centers
        k0 = int(np.searchsorted(rib.s, rib.s_tubercle + 12.0 if n <= 10 else 16.0))
        below = -np.tile(rib.plane_normal, (len(c), 1)) * (rib.height[:, None] + 2.2) - rib.outward * (rib.thickness[:, None] * 0.35)
        along = (c + below)[k0:-1:3]
        first = along[0]
        mid = 0.5 * (foramen + first) + np.array([0.0, 5.0, -2.0])
        pts = [foramen, mid, *along]
        if n <= 10:
            cp = cart_paths[n]
            cart_up = np.array([0.0, 0.0, 1.0])
            pts.extend(cp[2:-2:3] - cart_up * 6.0)
        else:
            t_end = tangents(c)[-1]
            pts.append(c[-1] + t_end * 14.0 - np.array([0.0, 0.0, 4.0]))
            pts.append(c[-1] + t_end * 26.0 + np.array([-6.0, 4.0, -8.0]))
        path = smooth_curve(np.array(pts), 52)
        nrm, bn = transport_frames(path, np.array([0.0, 0.0, 1.0]))
        r = np.full(len(path), 1.3)
        r[:3] = [1.6, 1.7, 1.6]
        mesh = sweep(path, nrm, bn, lambda i, phi: (r[i] * np.cos(phi), r[i] * np.sin(phi)), 7, (0.3, 0.3))
        meshes[f"nerve_R{n}"] = mesh
        meshes[f"nerve_L{n}"] = _mirror_mesh(mesh)
        named = {"foramen": path[0], "angle": path[int(len(path) * 0.2)], "lateral_branch": path[int(np.argmax(path[:, 0]))], "anterior_end": path[-1]}
        for name, v in named.items():
            anchors[f"nerve_R{n}.{name}"] = v
            anchors[f"nerve_L{n}.{name}"] = _mirror(v)

    # --- joints
    for i, seg in enumerate(SEGMENTS):
        j, nrm, lat = joints[i]
        axes = _frame_from(nrm, lat)
        mesh = _ellipsoid_mesh(j, np.array([6.0, FACET_GAP / 2.0 + 0.5, 7.0]), axes, res=14)
        key = f"facet_{seg.replace('-', '_')}"
        meshes[f"{key}_R"] = mesh
        meshes[f"{key}_L"] = _mirror_mesh(mesh)
    for n in range(1, 13):
        h = heads_w[n]
        inward = np.array([-h[0], 0.0, 0.0]) / abs(h[0])
        mesh = _ellipsoid_mesh(h + inward * 1.0, np.array([6.8, 6.2, 7.4]), res=14)
        meshes[f"costovertebral_R{n}"] = mesh
        meshes[f"costovertebral_L{n}"] = _mirror_mesh(mesh)
        if n <= 10:
            t = tubercle_w[n]
            g = tp_tip_w[n]
            c = 0.5 * (t + g)
            ax = (g - t) / np.linalg.norm(g - t)
            axes = _frame_from(ax, np.array([1.0, 0.0, 0.0]) if abs(ax[0]) < 0.9 else np.array([0.0, 0.0, 1.0]))
            mesh = _ellipsoid_mesh(c, np.array([5.2, 3.6, 5.6]), axes, res=12)
            meshes[f"costotransverse_R{n}"] = mesh
            meshes[f"costotransverse_L{n}"] = _mirror_mesh(mesh)

    add_centres(meshes, anchors)
    return Skeleton(
        params=params,
        layout=layout,
        designs=designs,
        ribs=ribs,
        heads=heads_w,
        tubercles=tubercle_w,
        tp_tips=tp_tip_w,
        cartilage_paths=cart_paths,
        sternum=sternum,
        meshes=meshes,
        anchors={k: np.asarray(v, dtype=float) for k, v in anchors.items()},
    )


def _endplate_ring(d: VertebraDesign, phis: np.ndarray, superior: bool) -> np.ndarray:
    pts = []
    for phi in phis:
        p, _n = _outline_point(d, np.array([np.cos(phi), np.sin(phi)]))
        r = np.linalg.norm(p)
        p = p * max(r - 1.3, 0.0) / max(r, 1e-9)
        z = d.z_top(p[1])
        pts.append([p[0], p[1], z if superior else -z])
    return np.array(pts)
