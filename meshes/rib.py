"""Ribs: in-plane shape from the Holcombe 2016 model, placement, and surface.

The centroidal path of a rib lies in a plane (Holcombe, Wang & Grotberg
2016).  In that plane the proximal (head) end is at the origin and the
distal (anterior) end at ``(Sx, 0)``; the rib peaks at ``(PkX, PkY) * Sx``
with a horizontal tangent.  The distal part is a logarithmic spiral with
shape ``Bd`` scaled to run from the peak to the distal end; the proximal
part leaves the origin at the proximal inner angle and blends into the
peak.  The curve is rebuilt here from the published mean parameters.

Placement: the head sits in its costal facet(s), the tubercle rests on the
transverse process (ribs 1-10), and the rib is turned about its neck axis
(the axis of pump- and bucket-handle motion) until its anterior end
reaches the height its costal cartilage needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyvista as pv

from .sweep import resample, sweep

N_RINGS = 72
N_SIDES = 14


def _bezier(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def holcombe_curve(sx: float, pkx: float, pky: float, pia_deg: float, bd: float, n: int = 400) -> np.ndarray:
    """In-plane centroidal path of a rib, ``(n, 2)`` points in mm from head to anterior end.

    Parameters
    ----------
    sx : float
        End-to-end distance in mm.
    pkx, pky : float
        Peak position as fractions of ``sx``.
    pia_deg : float
        Proximal inner angle in degrees (between the chord and the path
        as it leaves the head).
    bd : float
        Distal logarithmic-spiral shape coefficient.
    """
    # Distal log spiral x = -e^(B t) cos t, y = e^(B t) sin t, peak at the
    # maximum of y; scaled and shifted so the peak maps to (pkx, pky) and the
    # point with the right chord slope maps to (1, 0).
    th_max = 2.0 * np.arctan(np.sqrt(bd * bd + 1.0) + bd)

    def xy(t: np.ndarray) -> np.ndarray:
        e = np.exp(bd * t)
        return np.column_stack([-e * np.cos(t), e * np.sin(t)])

    peak = xy(np.array([th_max]))[0]
    want = -pky / (1.0 - pkx)
    ts = np.linspace(th_max + 1e-3, th_max + np.pi - 1e-3, 4000)
    pts = xy(ts)
    dx = pts[:, 0] - peak[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (pts[:, 1] - peak[1]) / dx
    ok = dx > 0
    idx = np.where(ok)[0]
    k = idx[np.argmin(np.abs(slope[idx] - want))]
    th_end = ts[k]
    end = pts[k]
    scale = np.hypot(1.0 - pkx, pky) / np.linalg.norm(end - peak)
    td = np.linspace(th_max, th_end, n // 2)
    distal = (xy(td) - peak) * scale + np.array([pkx, pky])
    # Proximal: a cubic leaving the origin at the inner angle and arriving
    # at the peak with a horizontal tangent.
    pk = np.array([pkx, pky])
    reach = np.linalg.norm(pk)
    d0 = np.array([np.cos(np.radians(pia_deg)), np.sin(np.radians(pia_deg))])
    proximal = _bezier(np.zeros(2), d0 * 0.55 * reach, pk - np.array([0.45 * reach, 0.0]), pk, n // 2)
    curve = np.vstack([proximal[:-1], distal]) * sx
    return curve


def arc_length(points: np.ndarray) -> float:
    """Length of a polyline in mm."""
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def rotation_aligning(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction ``a`` to direction ``b``."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-12:
        if c > 0:
            return np.eye(3)
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        return axis_angle(axis, np.pi)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx * (1.0 / (1.0 + c))


def axis_angle(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix about ``axis`` by ``angle`` radians (Rodrigues)."""
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx


@dataclass(frozen=True)
class PlacedRib:
    """A right-side rib centre line placed in the model frame."""

    number: int
    centers: np.ndarray
    """``(N_RINGS, 3)`` centre line from head tip to anterior end."""
    s: np.ndarray
    """Arc length of each centre point (mm)."""
    plane_normal: np.ndarray
    """Unit normal of the rib plane, pointing up (superior side)."""
    outward: np.ndarray
    """``(N_RINGS, 3)`` in-plane unit normals pointing to the convex (outer) side."""
    head: np.ndarray
    tubercle: np.ndarray
    s_head: float
    s_tubercle: float
    thickness: np.ndarray
    """Inner-outer half thickness per ring (mm)."""
    height: np.ndarray
    """Superior-inferior half height per ring (mm)."""


def rib_profile(number: int, s: np.ndarray, s_tub: float, shaft_h: float, shaft_t: float) -> tuple[np.ndarray, np.ndarray]:
    """Half thickness and half height of a rib along its arc length ``s``."""
    total = s[-1]
    head_len = 9.0
    # Rib 1 is broad and flat with surfaces facing up and down; rib 2 is
    # intermediate; the others are tall and thin (surfaces face in and out).
    if number == 1:
        sh, st = 3.2, shaft_h / 2.0
    elif number == 2:
        sh, st = 5.0, 5.5
    else:
        sh, st = shaft_h / 2.0, shaft_t / 2.0
    h = np.full_like(s, sh)
    t = np.full_like(s, st)
    neck_h, neck_t = (4.5, 4.0) if number > 2 else (4.0, 4.0)
    # head: rounded wedge, radius ~5 mm
    hd = np.clip(s / head_len, 0.0, 1.0)
    cap = np.sqrt(np.clip(1.0 - (1.0 - np.clip(s / 4.5, 0, 1)) ** 2, 0.05, 1.0))
    head_h, head_t = 5.6, 4.8
    grow = np.clip((s - head_len) / max(s_tub + 12.0 - head_len, 1.0), 0.0, 1.0)
    smooth = grow * grow * (3 - 2 * grow)
    body_h = neck_h + (sh - neck_h) * smooth
    body_t = neck_t + (st - neck_t) * smooth
    head_zone = s < head_len
    h = np.where(head_zone, (head_h + (neck_h - head_h) * hd) * cap, body_h)
    t = np.where(head_zone, (head_t + (neck_t - head_t) * hd) * cap, body_t)
    # taper towards the anterior end then widen slightly for the cartilage cup
    u = s / total
    taper = 1.0 - 0.18 * np.clip((u - 0.45) / 0.45, 0.0, 1.0)
    h = np.where(head_zone, h, h * taper)
    end_cap = np.sqrt(np.clip((total - s) / 2.0, 0.2, 1.0))
    return t * end_cap, h * end_cap


def sweep_rib(rib: PlacedRib) -> pv.PolyData:
    """Closed surface of a placed rib with tubercle and costal groove."""
    c = rib.centers
    b = np.tile(rib.plane_normal, (len(c), 1))
    n = rib.outward
    s = rib.s
    total = s[-1]
    tub = np.exp(-(((s - rib.s_tubercle) / 5.0) ** 2)) if rib.s_tubercle > 0 else np.zeros_like(s)
    angle_zone = np.clip((s - rib.s_tubercle - 15) / 20.0, 0, 1) * np.clip((0.85 * total - s) / 30.0, 0, 1)

    def fn(i: int, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.full_like(phi, rib.thickness[i])
        hb = np.full_like(phi, rib.height[i])
        sin, cos = np.sin(phi), np.cos(phi)
        # sharper lower border
        a = a * np.where(sin < 0, 1.0 - 0.3 * np.abs(sin) * (1 if rib.number > 2 else 0), 1.0)
        # tubercle: bump on the outer (posterior) lower surface
        a = a + 3.0 * tub[i] * np.clip(cos, 0, None) ** 2 * (0.6 + 0.4 * np.clip(-sin, 0, 1))
        r = np.ones_like(phi)
        if rib.number > 2:
            # costal groove on the inner face near the lower border
            ang = np.angle(np.exp(1j * (phi - np.radians(225.0))))
            r = r - 0.22 * angle_zone[i] * np.exp(-((ang / 0.32) ** 2))
        return a * cos * r, hb * sin * r

    return sweep(c, n, b, fn, N_SIDES, cap_offset=(0.4, 0.6))


def place_rib(
    number: int,
    curve2d: np.ndarray,
    head_world: np.ndarray,
    neck_target: np.ndarray,
    s_tubercle: float,
    end_z: float,
    shaft_h: float,
    shaft_t: float,
    end_x: float | None = None,
    end_y: float | None = None,
    penalty: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> PlacedRib:
    """Place the in-plane curve of a right rib in the model frame.

    Parameters
    ----------
    number : int
        Rib number 1-12.
    curve2d : numpy.ndarray
        In-plane centre line from :func:`holcombe_curve`.
    head_world : numpy.ndarray
        Where the centre of the rib head must sit.
    neck_target : numpy.ndarray
        Where the centre line at the tubercle must sit (for ribs 11-12, a
        point along the intended neck direction).
    s_tubercle : float
        Arc length of the tubercle from the head tip (0 for ribs 11-12).
    end_z : float
        Height the anterior end should reach.
    end_x, end_y : float, optional
        Where the anterior end should reach across and forwards; traded off
        against ``end_z`` and the tubercle target.
    penalty : callable, optional
        ``penalty(centre_line, arc_length)`` returns a cost for clashes with
        neighbouring structures (pedicles, the rib above).
    """
    pts3 = np.column_stack([curve2d, np.zeros(len(curve2d))])
    pts, s = resample(pts3, N_RINGS)
    s_head = 4.5
    c_head = np.array([np.interp(s_head, s, pts[:, k]) for k in range(3)])
    s_t = s_tubercle if s_tubercle > 0 else 20.0
    c_tub = np.array([np.interp(s_t, s, pts[:, k]) for k in range(3)])
    r0 = rotation_aligning(c_tub - c_head, neck_target - head_world)
    axis = (neck_target - head_world) / np.linalg.norm(neck_target - head_world)
    best = None
    for ang in np.radians(np.arange(0.0, 360.0, 0.5)):
        r = axis_angle(axis, ang) @ r0
        w = (pts - c_head) @ r.T + head_world
        end = w[-1]
        mid = w[len(w) // 3]
        forward, lateral = ((25.0, 12.0) if number == 1 else (40.0, 30.0)) if number <= 10 else (-10.0, 15.0)
        if end[1] - head_world[1] < forward or mid[0] < head_world[0] + lateral:
            continue
        cost = (end[2] - end_z) ** 2
        if end_x is not None:
            cost += 0.5 * (end[0] - end_x) ** 2
        if best is None or cost < best[0]:
            best = (cost, r)
    if best is None:
        raise RuntimeError(f"rib {number}: no orientation reaches an anterior end")
    r = best[1]
    if end_x is not None:
        r = _refine(r, pts, s, c_head, c_tub, head_world, neck_target, end_z, end_x, end_y, forward, lateral, penalty)
    world = (pts - c_head) @ r.T + head_world
    normal = r @ np.array([0.0, 0.0, 1.0])
    if normal[2] < 0:
        normal = -normal
    t = np.gradient(world, axis=0)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    outward = np.cross(t, normal)
    # outward must point away from the centre of curvature (the in-plane +y side)
    centroid = world.mean(axis=0)
    if np.dot(outward[len(world) // 2], world[len(world) // 2] - centroid) < 0:
        outward = -outward
    thick, height = rib_profile(number, s, s_tubercle, shaft_h, shaft_t)
    tubercle_point = (c_tub - c_head) @ r.T + head_world
    return PlacedRib(
        number=number,
        centers=world,
        s=s,
        plane_normal=normal,
        outward=outward,
        head=head_world,
        tubercle=tubercle_point,
        s_head=s_head,
        s_tubercle=s_tubercle,
        thickness=thick,
        height=height,
    )


def _refine(r0, pts, s, c_head, c_tub, head, tub_target, end_z, end_x, end_y, forward, lateral, penalty=None, tub_weight=1.0):
    """Turn the rib about its head so the anterior end meets its target.

    The tubercle is allowed to move away from its first estimate (the
    transverse process is then aimed at wherever the tubercle ends up),
    at a cost of ``tub_weight`` per mm squared.
    """

    def cost(r):
        w = (pts - c_head) @ r.T + head
        end, mid = w[-1], w[len(w) // 3]
        tub = (c_tub - c_head) @ r.T + head
        pen = 0.0
        if end[1] - head[1] < forward:
            pen += 1e3
        if mid[0] < head[0] + lateral:
            pen += 1e3
        # the tubercle must stay behind and lateral to the head
        if tub[1] > head[1] - 4.0 or tub[0] < head[0] + 8.0:
            pen += 1e3
        if penalty is not None:
            pen += penalty(w, s)
        ey = 0.0 if end_y is None else (end[1] - end_y) ** 2
        return (end[2] - end_z) ** 2 + (end[0] - end_x) ** 2 + ey + tub_weight * float(np.sum((tub - tub_target) ** 2)) + pen

    best_r, best_c = r0, cost(r0)
    step = np.radians(8.0)
    while step > np.radians(0.05):
        improved = False
        for axis in np.eye(3):
            for sign in (1.0, -1.0):
                cand = axis_angle(axis, sign * step) @ best_r
                c = cost(cand)
                if c < best_c:
                    best_r, best_c, improved = cand, c, True
        if not improved:
            step *= 0.5
    return best_r
