"""Measurements taken on generated meshes (used by the anatomy tests).

Everything here reads surfaces only: a local frame is set up from the mesh
itself or from published anchor points, and distances are found by ray
casting or by selecting vertices.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv


def vertebra_frame(anchors: dict, level: str) -> tuple[np.ndarray, np.ndarray]:
    """Origin and axes (rows x, y, z) of a vertebra from its anchors."""
    key = f"vertebra_{level}"
    c = np.array(anchors[f"{key}.body_center"])
    z = np.array(anchors[f"{key}.superior_endplate"]) - np.array(anchors[f"{key}.inferior_endplate"])
    z /= np.linalg.norm(z)
    y = np.array(anchors[f"{key}.body_anterior"]) - c
    y -= np.dot(y, z) * z
    y /= np.linalg.norm(y)
    x = np.cross(y, z)
    return c, np.vstack([x, y, z])


def to_local(points: np.ndarray, origin: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """Express model points in a local frame."""
    return (np.asarray(points) - origin) @ axes.T


def ray_hits(mesh: pv.PolyData, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Distances from ``start`` of every surface crossing on the segment to ``end``."""
    pts, _ = mesh.ray_trace(start, end)
    if len(pts) == 0:
        return np.array([])
    return np.sort(np.linalg.norm(pts - start, axis=1))


def body_anterior_height(mesh: pv.PolyData, anchors: dict, level: str) -> float:
    """Height of the vertebral body at its anterior midline, 2 mm in from the front."""
    c, ax = vertebra_frame(anchors, level)
    loc = to_local(mesh.points, c, ax)
    near = loc[(np.abs(loc[:, 0]) < 3.0) & (np.abs(loc[:, 2]) < 6.0) & (loc[:, 1] > 0)]
    front = near[:, 1].max()
    y = front - 2.5
    p0 = c + ax[1] * y
    hits = ray_hits(mesh, p0 + ax[2] * 40.0, p0 - ax[2] * 40.0)
    top, bottom = 40.0 - hits[0], hits[-1] - 40.0
    return float(top + bottom)


def canal_widths(mesh: pv.PolyData, anchors: dict, level: str) -> tuple[float, float]:
    """Interpedicular distance and antero-posterior canal diameter (minimum over heights)."""
    key = f"vertebra_{level}"
    cc = np.array(anchors[f"{key}.canal_center"])
    c, ax = vertebra_frame(anchors, level)
    ped_y = np.dot(np.array(anchors[f"{key}.pedicle_R"]) - cc, ax[1])
    ipd, ap = [], []
    for dz in np.linspace(-6.0, 8.0, 15):
        o = cc + ax[2] * dz
        op = o + ax[1] * ped_y
        right = ray_hits(mesh, op, op + ax[0] * 30.0)
        left = ray_hits(mesh, op, op - ax[0] * 30.0)
        if len(right) and len(left):
            ipd.append(right[0] + left[0])
        front = ray_hits(mesh, o, o + ax[1] * 30.0)
        back = ray_hits(mesh, o, o - ax[1] * 30.0)
        if len(front) and len(back):
            ap.append(front[0] + back[0])
    return float(min(ipd)), float(min(ap))


def pedicle_width(mesh: pv.PolyData, anchors: dict, level: str) -> float:
    """Transverse width of the right pedicle (minimum over its length)."""
    key = f"vertebra_{level}"
    ped = np.array(anchors[f"{key}.pedicle_R"])
    cc = np.array(anchors[f"{key}.canal_center"])
    _, ax = vertebra_frame(anchors, level)
    widths = []
    for dy in np.linspace(-3.0, 3.0, 7):
        for dz in np.linspace(-2.0, 2.0, 5):
            o = ped + ax[1] * dy + ax[2] * dz
            start = o - ax[0] * (np.dot(o - cc, ax[0]))  # on the canal midline
            hits = ray_hits(mesh, start, start + ax[0] * 45.0)
            if len(hits) >= 2:
                widths.append(hits[1] - hits[0])
    return float(np.median(widths))


def spinous_inclination(mesh: pv.PolyData, anchors: dict, level: str) -> float:
    """Angle of the spinous process below the horizontal (model frame), in degrees."""
    key = f"vertebra_{level}"
    cc = np.array(anchors[f"{key}.canal_center"])
    c, ax = vertebra_frame(anchors, level)
    loc = to_local(mesh.points, c, ax)
    ccl = to_local(cc[None], c, ax)[0]
    sel = mesh.points[(np.abs(loc[:, 0]) < 3.0) & (loc[:, 1] < ccl[1] - 16.0)]
    centred = sel - sel.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    d = vt[0]
    if d[1] > 0:
        d = -d
    return float(np.degrees(np.arctan2(-d[2], -d[1])))


def endplate_normal(mesh: pv.PolyData, anchors: dict, level: str, superior: bool) -> np.ndarray:
    """Least-squares normal of the central part of an endplate, found by ray casting."""
    c, ax = vertebra_frame(anchors, level)
    sign = 1.0 if superior else -1.0
    pts = []
    for x in np.linspace(-6.0, 6.0, 5):
        for y in np.linspace(-4.0, 4.0, 5):
            o = c + ax[0] * x + ax[1] * y
            start = o + ax[2] * sign * 30.0
            hits = ray_hits(mesh, start, o)
            if len(hits):
                pts.append(start - ax[2] * sign * hits[0])
    pts = np.array(pts)
    centred = pts - pts.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    n = vt[2]
    want = ax[2] * sign
    return n if np.dot(n, want) > 0 else -n


def trace_centerline(mesh: pv.PolyData, start: np.ndarray, toward: np.ndarray, step: float = 3.0, radius: float = 9.0) -> np.ndarray:
    """Follow an elongated mesh from ``start`` and return the traced centre line."""
    pts = np.asarray(mesh.points)
    cur = np.asarray(start, float)
    d = np.asarray(toward, float) - cur
    d /= np.linalg.norm(d)
    path = [cur]
    for _ in range(400):
        nxt = cur + d * step
        near = pts[np.linalg.norm(pts - nxt, axis=1) < radius]
        ahead = near[(near - cur) @ d > 0.5]
        if len(ahead) < 8:
            break
        cen = ahead.mean(axis=0)
        # keep the centre on the cross-section plane through nxt
        cen = cen - np.dot(cen - nxt, d) * d
        nd = cen - cur
        if np.linalg.norm(nd) < 1e-6:
            break
        nd /= np.linalg.norm(nd)
        d = 0.5 * d + 0.5 * nd
        d /= np.linalg.norm(d)
        cur = cur + d * step
        path.append(cur)
    return np.array(path)


def signed_depth(points: np.ndarray, surface: pv.PolyData) -> np.ndarray:
    """Signed distance of points to a closed surface (negative inside)."""
    probe = pv.PolyData(np.asarray(points, float))
    return np.asarray(probe.compute_implicit_distance(surface)["implicit_distance"])
