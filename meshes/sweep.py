"""Closed swept surfaces: a varying cross-section carried along a centre line.

Ribs, costal cartilages, nerves and the spinal cord are long shapes whose
cross-section matters more than their volume; they are built as sweeps and
closed with a pole vertex at each end, so every sweep is a watertight
genus-0 surface.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv

from .sdf import finish_surface


def resample(points: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Resample a polyline to ``n`` points evenly spaced by arc length.

    Returns
    -------
    points : numpy.ndarray
        ``(n, 3)`` resampled points.
    s : numpy.ndarray
        Arc length of each point from the start, in mm.
    """
    pts = np.asarray(points, float)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    target = np.linspace(0.0, s[-1], n)
    out = np.column_stack([np.interp(target, s, pts[:, k]) for k in range(pts.shape[1])])
    return out, target


def smooth_curve(points: np.ndarray, n: int) -> np.ndarray:
    """Pass a smooth spline through ``points`` and return ``n`` samples."""
    spline = pv.Spline(np.asarray(points, float), max(n * 4, 200))
    out, _ = resample(np.asarray(spline.points), n)
    return out


def tangents(points: np.ndarray) -> np.ndarray:
    """Unit tangents of a polyline (central differences)."""
    t = np.gradient(points, axis=0)
    return t / np.linalg.norm(t, axis=1, keepdims=True)


def transport_frames(points: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotation-minimising frames along a curve, starting from ``up``.

    Returns
    -------
    normal, binormal : numpy.ndarray
        ``(n, 3)`` unit vectors perpendicular to the tangent; ``binormal``
        starts as ``up`` projected onto the first normal plane.
    """
    t = tangents(points)
    b = np.empty_like(points)
    b0 = up - np.dot(up, t[0]) * t[0]
    b[0] = b0 / np.linalg.norm(b0)
    for i in range(1, len(points)):
        v = b[i - 1] - np.dot(b[i - 1], t[i]) * t[i]
        b[i] = v / np.linalg.norm(v)
    nrm = np.cross(b, t)
    return nrm, b


def sweep(
    centers: np.ndarray,
    normals: np.ndarray,
    binormals: np.ndarray,
    radius_fn: Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]],
    n_sides: int,
    cap_offset: tuple[float, float] = (0.5, 0.5),
) -> pv.PolyData:
    """Sweep a cross-section along ``centers`` and close both ends.

    Parameters
    ----------
    centers : numpy.ndarray
        ``(m, 3)`` centre line.
    normals, binormals : numpy.ndarray
        ``(m, 3)`` section axes at each centre point.
    radius_fn : callable
        ``radius_fn(i, phi)`` returns the section offsets ``(a, b)`` along
        the normal and the binormal for the angles ``phi`` at ring ``i``.
    n_sides : int
        Points per ring.
    cap_offset : tuple of float, default: (0.5, 0.5)
        How far beyond the first and last ring the pole vertices sit, in mm.

    Returns
    -------
    pyvista.PolyData
        Closed triangle surface with outward point normals.
    """
    m = len(centers)
    phi = np.linspace(0.0, 2 * np.pi, n_sides, endpoint=False)
    rings = np.empty((m, n_sides, 3))
    for i in range(m):
        a, b = radius_fn(i, phi)
        rings[i] = centers[i] + np.outer(a, normals[i]) + np.outer(b, binormals[i])
    t = tangents(centers)
    start = centers[0] - t[0] * cap_offset[0]
    end = centers[-1] + t[-1] * cap_offset[1]
    return loft(rings, start, end)


def loft(rings: np.ndarray, start: np.ndarray, end: np.ndarray) -> pv.PolyData:
    """Close a stack of rings ``(m, k, 3)`` with a pole vertex at each end.

    Returns
    -------
    pyvista.PolyData
        Closed triangle surface with outward point normals.
    """
    m, n_sides = rings.shape[:2]
    pts = np.vstack([rings.reshape(-1, 3), start, end])
    i0, i1 = m * n_sides, m * n_sides + 1
    faces = []
    ring = np.arange(n_sides)
    nxt = (ring + 1) % n_sides
    for i in range(m - 1):
        a = i * n_sides + ring
        b = i * n_sides + nxt
        c = (i + 1) * n_sides + ring
        d = (i + 1) * n_sides + nxt
        faces.append(np.column_stack([a, c, b]))
        faces.append(np.column_stack([b, c, d]))
    faces.append(np.column_stack([np.full(n_sides, i0), ring, nxt]))
    last = (m - 1) * n_sides
    faces.append(np.column_stack([np.full(n_sides, i1), last + nxt, last + ring]))
    tri = np.vstack(faces)
    cells = np.column_stack([np.full(len(tri), 3), tri]).ravel()
    return finish_surface(pv.PolyData(pts, cells).clean())


def ellipse_profile(a: np.ndarray, b: np.ndarray) -> Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Elliptic cross-sections with semi-axes ``a[i]`` and ``b[i]`` per ring."""

    def fn(i: int, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return a[i] * np.cos(phi), b[i] * np.sin(phi)

    return fn
