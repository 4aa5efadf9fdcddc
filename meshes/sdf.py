"""Signed-distance modelling of bone shapes.

Bones with organic shape (vertebrae, sternum) are modelled as signed
distance fields: negative inside, positive outside, combined with smooth
unions and subtractions so that processes blend into the body the way
bone does.  :func:`mesh_field` samples a field on a regular grid and turns
the zero level set into a closed triangle surface with VTK (flying edges),
smooths it and decimates it to a triangle budget.

All coordinates are millimetres.  Points are ``(..., 3)`` arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv

Field = Callable[[np.ndarray], np.ndarray]


def smooth_union(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Blend two distance fields with a polynomial smooth minimum of width ``k``."""
    if k <= 0:
        return np.minimum(a, b)
    h = np.clip(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1 - h) + a * h - k * h * (1 - h)


def smooth_subtract(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Remove shape ``b`` from shape ``a`` with a fillet of width ``k``."""
    return -smooth_union(-a, b, k)


def smooth_intersect(a: np.ndarray, b: np.ndarray, k: float) -> np.ndarray:
    """Keep the common part of ``a`` and ``b`` with a fillet of width ``k``."""
    return -smooth_union(-a, -b, k)


def _frame(axis: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = axis / np.linalg.norm(axis)
    v = up - np.dot(up, u) * u
    if np.linalg.norm(v) < 1e-6:
        v = np.cross(u, [1.0, 0.0, 0.0])
        if np.linalg.norm(v) < 1e-6:
            v = np.cross(u, [0.0, 1.0, 0.0])
    v = v / np.linalg.norm(v)
    w = np.cross(u, v)
    return u, v, w


def round_cone(
    p: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    ra: float,
    rb: float,
    up: np.ndarray | None = None,
    squash: float = 1.0,
) -> np.ndarray:
    """Distance to a capsule whose radius runs from ``ra`` at ``a`` to ``rb`` at ``b``.

    Parameters
    ----------
    p : numpy.ndarray
        Query points, shape ``(..., 3)``.
    a, b : numpy.ndarray
        End points of the axis.
    ra, rb : float
        Radii at the two ends.
    up : numpy.ndarray, optional
        Direction (perpendicular to the axis after projection) along which
        the cross-section keeps its full radius.
    squash : float, default: 1.0
        Cross-section radius across ``up`` relative to along it; values
        below 1 flatten the capsule into a blade or a plate.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    axis = b - a
    length = float(np.linalg.norm(axis))
    u, v, w = _frame(axis, np.asarray(up if up is not None else [0.0, 0.0, 1.0], float))
    d = p - a
    x = d @ u
    y = d @ v
    z = (d @ w) / squash
    t = np.clip(x / max(length, 1e-9), 0.0, 1.0)
    # Radius varies linearly along the axis; distance measured to the
    # local cross-section (a close approximation of the exact round cone
    # for the gentle tapers used here).
    r = ra + (rb - ra) * t
    dx = x - t * length
    dist = np.sqrt(dx * dx + y * y + z * z) - r
    return dist * (0.5 * (1.0 + squash)) if squash < 1.0 else dist


def ellipsoid(p: np.ndarray, c: np.ndarray, radii: np.ndarray, rot: np.ndarray | None = None) -> np.ndarray:
    """Approximate distance to an ellipsoid centred at ``c``.

    ``rot`` is a 3x3 matrix whose rows are the ellipsoid axes in world
    coordinates (identity when omitted).
    """
    d = p - np.asarray(c, float)
    if rot is not None:
        d = d @ np.asarray(rot, float).T
    radii = np.asarray(radii, float)
    k0 = np.linalg.norm(d / radii, axis=-1)
    k1 = np.linalg.norm(d / (radii * radii), axis=-1)
    return np.where(k1 > 1e-12, k0 * (k0 - 1.0) / np.maximum(k1, 1e-12), -radii.min())


def box(p: np.ndarray, c: np.ndarray, half: np.ndarray, rot: np.ndarray | None = None, radius: float = 0.0) -> np.ndarray:
    """Distance to a box with rounded edges (rows of ``rot`` are its axes)."""
    d = p - np.asarray(c, float)
    if rot is not None:
        d = d @ np.asarray(rot, float).T
    q = np.abs(d) - (np.asarray(half, float) - radius)
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=-1)
    inside = np.minimum(np.max(q, axis=-1), 0.0)
    return outside + inside - radius


def mesh_field(
    field: Field,
    bounds: tuple[float, float, float, float, float, float],
    spacing: float,
    target_triangles: int,
    smooth_iterations: int = 15,
) -> pv.PolyData:
    """Turn the zero level set of ``field`` into a closed triangle surface.

    Parameters
    ----------
    field : callable
        Maps points ``(n, 3)`` to signed distances ``(n,)``.
    bounds : tuple of float
        ``(xmin, xmax, ymin, ymax, zmin, zmax)`` of the sampling grid; the
        shape must lie strictly inside it.
    spacing : float
        Grid spacing in mm.
    target_triangles : int
        Triangle count after decimation.
    smooth_iterations : int, default: 15
        Windowed-sinc smoothing passes applied before decimation.

    Returns
    -------
    pyvista.PolyData
        Closed, consistently oriented triangle surface with point normals.
    """
    surf = _contour(field, bounds, spacing, smooth_iterations)
    n = surf.n_cells
    if n <= target_triangles:
        return finish_surface(surf)
    # Decimation can pinch a thin wall into a non-manifold edge; try a few
    # nearby budgets and keep the first closed result.
    for target in (target_triangles, int(target_triangles * 1.05), int(target_triangles * 0.95), int(target_triangles * 1.12)):
        dec = _clean(surf.decimate(1.0 - target / n, volume_preservation=True).connectivity("largest").extract_surface(algorithm=None))
        if is_closed(dec):
            return finish_surface(dec)
    dec = _clean(surf.decimate_pro(1.0 - target_triangles / n, preserve_topology=True, feature_angle=45.0))
    if is_closed(dec):
        return finish_surface(dec)
    # Last resort: contour a coarser grid sized for the budget (always closed).
    area = surf.area
    for factor in (1.0, 1.1, 1.25):
        coarse = _contour(field, bounds, max(spacing, factor * float(np.sqrt(2.2 * area / target_triangles))), smooth_iterations)
        if is_closed(coarse):
            return finish_surface(coarse)
    raise RuntimeError("could not mesh the field into a closed surface")


def _contour(field: Field, bounds: tuple[float, ...], spacing: float, smooth_iterations: int) -> pv.PolyData:
    """Sample ``field`` on a grid and return its smoothed zero level set (largest piece)."""
    xmin, xmax, ymin, ymax, zmin, zmax = bounds
    if abs(xmin + xmax) < 1e-9:
        # keep a grid that is symmetric about x = 0 so that symmetric shapes stay symmetric
        half = int(np.ceil(xmax / spacing))
        xmin, xmax = -half * spacing, half * spacing
    dims = (
        int(np.ceil((xmax - xmin) / spacing)) + 1,
        int(np.ceil((ymax - ymin) / spacing)) + 1,
        int(np.ceil((zmax - zmin) / spacing)) + 1,
    )
    grid = pv.ImageData(dimensions=dims, spacing=(spacing,) * 3, origin=(xmin, ymin, zmin))
    values = field(np.asarray(grid.points))
    # Keep the outer shell of the grid outside the shape so the surface closes.
    vol = values.reshape(dims[::-1])
    vol[0, :, :] = vol[-1, :, :] = np.maximum(vol[0, :, :], spacing)
    vol[:, 0, :] = vol[:, -1, :] = np.maximum(vol[:, 0, :], spacing)
    vol[:, :, 0] = vol[:, :, -1] = np.maximum(vol[:, :, 0], spacing)
    grid.point_data["sdf"] = vol.ravel()
    surf = grid.contour([0.0], scalars="sdf", method="flying_edges")
    surf = _clean(surf.connectivity("largest").extract_surface(algorithm=None))
    if smooth_iterations:
        surf = _clean(surf.smooth_taubin(n_iter=smooth_iterations, pass_band=0.1, boundary_smoothing=False))
    return surf


def is_closed(surf: pv.PolyData) -> bool:
    """True when a surface has no boundary or non-manifold edges."""
    edges = surf.extract_feature_edges(
        boundary_edges=True, non_manifold_edges=True, feature_edges=False, manifold_edges=False
    )
    return edges.n_cells == 0


def _clean(surf: pv.PolyData) -> pv.PolyData:
    """Merge duplicate points and keep only proper triangles."""
    surf = surf.triangulate().clean(polys_to_lines=False, lines_to_points=False, strips_to_polys=False)
    faces = surf.faces.reshape(-1, 4)[:, 1:] if surf.is_all_triangles else surf.triangulate().regular_faces
    good = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    out = pv.PolyData.from_regular_faces(np.asarray(surf.points), faces[good])
    return out.clean()


def finish_surface(surf: pv.PolyData) -> pv.PolyData:
    """Orient a closed surface outward and attach point normals.

    VTK's automatic orientation can leave a thin sheet inside out; the signed
    volume decides in the end.
    """
    surf = surf.compute_normals(
        cell_normals=False,
        point_normals=True,
        auto_orient_normals=True,
        consistent_normals=True,
        split_vertices=False,
    )
    faces = np.asarray(surf.regular_faces)
    p = np.asarray(surf.points, dtype=float)
    if len(faces) and np.einsum("ij,ij->i", p[faces[:, 0]], np.cross(p[faces[:, 1]], p[faces[:, 2]])).sum() < 0:
        normals = -np.asarray(surf.point_data["Normals"])
        surf = pv.PolyData.from_regular_faces(p, faces[:, ::-1])
        surf.point_data["Normals"] = normals
    return surf
