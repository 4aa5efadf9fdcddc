"""Synthetic stand-in geometry for tests and the ``--synthetic`` demo server.

Builds one simple closed surface per id of ``meshes.ids.structure_specs()``,
placed like a schematic thorax in mm, RAS (vertebrae stacked on ``z``, ribs as
tubes curving forward, sternum in front).  It exercises every mechanism of
the viewer (ids, groups, picking, framing) without depending on the real
anatomy meshes.  It is *not* anatomy: the page says so when it is used.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pyvista as pv

_TOP = 300.0
_STEP = 25.0


def _z(level: int) -> float:
    return _TOP - level * _STEP


def _rib_points(n: int, side: int, samples: int = 24) -> np.ndarray:
    """Rib ``n`` (1-12) on ``side`` (-1 left, +1 right) as a curve."""
    z0 = _z(n)
    half_width = 45 + 55 * math.sin(math.pi * min(n, 9) / 12)
    reach = 1.0 if n <= 10 else 0.55  # floating ribs stop short
    t = np.linspace(0.0, reach, samples)
    angle = -math.pi / 2 + t * math.pi * 0.92  # from behind to the front
    x = side * (18 + half_width * np.cos(angle))
    y = -20 + 70 * np.sin(angle) + 50 * t
    z = z0 - 40 * t**1.3
    return np.column_stack([x, y, z])


def _tube(points: np.ndarray, radius: float, sides: int = 10) -> pv.PolyData:
    return pv.Spline(points, len(points) * 2).tube(radius=radius, n_sides=sides, capping=True)


def _finish(mesh: pv.PolyData) -> pv.PolyData:
    mesh = mesh.triangulate().clean()
    mesh.clear_data()
    return mesh.compute_normals(point_normals=True, cell_normals=False, split_vertices=False)


@cache
def synthetic_structures(refine: int = 0) -> dict[str, pv.PolyData]:
    """Return a schematic mesh per structure id.

    Parameters
    ----------
    refine : int, default: 0
        Loop-subdivision passes; each multiplies the triangle count by 4
        (``refine=1`` gives roughly 200k triangles, like the real model).

    Returns
    -------
    dict of str to pyvista.PolyData
        Triangulated surfaces with point normals, keyed like
        ``meshes.load_structures()``.  Cached: treat as read-only.
    """
    from meshes.ids import structure_specs

    out: dict[str, pv.PolyData] = {}
    for spec in structure_specs():
        out[spec.id] = _finish(_shape(spec))
    if refine:
        out = {k: _finish(v.subdivide(refine, "linear")) for k, v in out.items()}
    return out


def _shape(spec) -> pv.PolyData:  # noqa: ANN001 - meshes.ids.StructureSpec
    sid, group = spec.id, spec.group
    side = -1 if spec.side == "left" else 1
    num = int("".join(c for c in (spec.level or "0").split("-")[0] if c.isdigit()) or 0)
    if group == "vertebra":
        body = pv.Cylinder(center=(0, 0, _z(num)), direction=(0, 0, 1), radius=14 + num, height=17, resolution=24)
        spine = pv.Box((-4, 4, -55, -12, _z(num) - 14, _z(num) + 4))
        return body.triangulate() + spine.triangulate()
    if group == "disc":
        return pv.Cylinder(center=(0, 0, _z(num) - _STEP / 2), direction=(0, 0, 1), radius=13 + num, height=6,
                           resolution=24)
    if group == "cord":
        return pv.Cylinder(center=(0, -30, _TOP - 6.5 * _STEP), direction=(0, 0, 1), radius=5, height=12.5 * _STEP,
                           resolution=16)
    if group == "rib":
        return _tube(_rib_points(num, side), radius=4.5)
    if group == "cartilage":
        end = _rib_points(num, side)[-1]
        target = np.array([side * (6 if num <= 7 else 20), 95.0, _z(7) - 8 if num > 7 else _z(num) - 30])
        if num >= 11:
            target = end + np.array([side * -4.0, 12.0, -6.0])
        return _tube(np.linspace(end, target, 6), radius=3.5)
    if group == "sternum":
        ranges = {"manubrium": (_z(1) - 10, _z(3)), "sternal_body": (_z(3) - 2, _z(8)), "xiphoid": (_z(8) - 2, _z(9))}
        z0, z1 = ranges[sid]
        half = 6 if sid == "xiphoid" else 14
        return pv.Box((-half, half, 92, 100, z1, z0))
    if group == "nerve":
        pts = _rib_points(num, side) + np.array([0, 0, -6.0])
        return _tube(pts, radius=1.6, sides=8)
    if sid.startswith("facet"):
        return pv.Sphere(radius=5, center=(side * 14, -22, _z(num) - _STEP / 2), theta_resolution=12,
                         phi_resolution=8)
    if sid.startswith("costovertebral"):
        return pv.Sphere(radius=5, center=_rib_points(num, side)[0] + np.array([-side * 4, 4, 0]),
                         theta_resolution=12, phi_resolution=8)
    return pv.Sphere(radius=4.5, center=_rib_points(num, side)[2], theta_resolution=12, phi_resolution=8)
