"""Geometric annotations (points, paths, regions) drawn over the model.

Markers are not part of the serialized scene: the browser builds them with
vtk.js from the few coordinates in :meth:`Marker.to_message`, and exports build
the same shapes with PyVista in :meth:`Marker.to_mesh`.  Showing a marker
therefore never re-serializes the scene.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvista as pv

KINDS = ("point", "path", "region")
REGION_OPACITY = 0.25
"""Default opacity of a region: a zone over the model, not a solid ball."""


@dataclass(frozen=True)
class Marker:
    """A point, path or region annotation in mm (RAS).

    Parameters
    ----------
    kind : {"point", "path", "region"}
        A point is drawn as a sphere of ``radius`` at ``points[0]``; a path as
        a tube of ``radius`` through ``points``; a region as a translucent
        ellipsoid enclosing ``points`` (at least ``radius`` in each axis).
    points : tuple of (x, y, z)
        One point (point) or several (path, region).
    colour : str
        ``"#rrggbb"``.
    label : str, default: ""
        Text shown next to the marker.
    radius : float, default: 4.0
        Sphere/tube radius or minimum region half-size, mm.
    alpha : float or None, default: None
        Opacity; by default regions are translucent (:data:`REGION_OPACITY`) and the rest opaque.
    """

    kind: str
    points: tuple[tuple[float, float, float], ...]
    colour: str
    label: str = ""
    radius: float = 4.0
    alpha: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"marker kind must be one of {KINDS}, got {self.kind!r}")
        if not self.points:
            raise ValueError("a marker needs at least one point")

    @property
    def opacity(self) -> float:
        """Opacity: :attr:`alpha`, else :data:`REGION_OPACITY` for regions and 1 for the rest."""
        if self.alpha is not None:
            return self.alpha
        return REGION_OPACITY if self.kind == "region" else 1.0

    def region_box(self) -> tuple[list[float], list[float]]:
        """Centre and half-sizes of the ellipsoid of a region marker."""
        pts = np.asarray(self.points, dtype=float)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        half = np.maximum((hi - lo) / 2.0, self.radius)
        return [round(float(v), 2) for v in (lo + hi) / 2.0], [round(float(v), 2) for v in half]

    def anchor(self) -> tuple[float, float, float]:
        """Where the marker's label goes (first point, or the region centre)."""
        if self.kind == "region":
            return tuple(self.region_box()[0])  # type: ignore[return-value]
        return tuple(float(v) for v in self.points[0])  # type: ignore[return-value]

    def to_message(self) -> dict[str, object]:
        """Return the small JSON-able description the browser draws (``radius`` 4 and ``opacity`` 1 omitted)."""
        msg: dict[str, object] = {"kind": self.kind, "colour": self.colour}
        if self.radius != 4.0:  # defaults are left out (the browser assumes them): smaller messages
            msg["radius"] = self.radius
        if self.opacity != 1.0:
            msg["opacity"] = self.opacity
        if self.kind == "region":
            centre, half = self.region_box()
            msg.update(centre=centre, half=half)
        else:
            msg["points"] = [[round(float(c), 1) for c in p] for p in self.points]  # 0.1 mm
        return msg

    def to_mesh(self) -> pv.PolyData:
        """Return the marker as a PyVista surface (for PNG/HTML exports)."""
        if self.kind == "point":
            return pv.Sphere(radius=self.radius, center=self.points[0], theta_resolution=20, phi_resolution=14)
        if self.kind == "path":
            if len(self.points) < 2:
                return pv.Sphere(radius=self.radius, center=self.points[0])
            return pv.lines_from_points(np.asarray(self.points, dtype=float)).tube(radius=self.radius / 2.0, n_sides=12)
        centre, half = self.region_box()
        sphere = pv.Sphere(radius=1.0, theta_resolution=28, phi_resolution=18)
        sphere.points = np.asarray(sphere.points) * np.asarray(half) + np.asarray(centre)
        return sphere
