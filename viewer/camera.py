"""Camera presets computed from model bounds in the RAS frame.

RAS: ``+x`` is the patient's right, ``+y`` anterior and ``+z`` superior.  A
preset is a viewing *direction* (from the focal point towards the camera) and
an up vector; :func:`camera_for` turns it into a concrete camera that frames a
bounding box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PRESETS: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "oblique": ((-0.55, -0.8, 0.3), (0.0, 0.0, 1.0)),
    "posterior": ((0.0, -1.0, 0.0), (0.0, 0.0, 1.0)),
    "anterior": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "left": ((-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "right": ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),
    "superior": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
}
"""View name -> (direction from focal point to camera, view-up), RAS.

``oblique`` is the default posterior three-quarter view from behind the
patient's left shoulder, slightly from above."""

DEFAULT_VIEW = "oblique"
VIEW_ANGLE = 30.0
"""Vertical view angle of the perspective camera, degrees."""


@dataclass(frozen=True)
class CameraState:
    """A concrete camera, in millimetres.

    Parameters
    ----------
    position : tuple of float
        Camera position.
    focal_point : tuple of float
        Point looked at.
    view_up : tuple of float
        Up direction on screen.
    view_angle : float, default: 30.0
        Vertical view angle in degrees.
    """

    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    view_angle: float = VIEW_ANGLE

    def to_vtkjs(self) -> dict[str, object]:
        """Return the camera as the dict vtk.js ``camera.set()`` accepts (perspective is vtk.js's default)."""
        return {
            "position": list(self.position),
            "focalPoint": list(self.focal_point),
            "viewUp": list(self.view_up),
            "viewAngle": self.view_angle,
        }


def camera_for(
    bounds: Sequence[float], view: str = DEFAULT_VIEW, *, margin: float = 0.8, min_radius: float = 0.0
) -> CameraState:
    """Frame a bounding box from a preset direction.

    Parameters
    ----------
    bounds : sequence of 6 float
        ``(xmin, xmax, ymin, ymax, zmin, zmax)`` in mm.
    view : str, default: "oblique"
        A key of :data:`PRESETS`.
    margin : float, default: 0.8
        Extra room around the box (1 = tight).
    min_radius : float, default: 0.0
        Frame at least a sphere of this radius (mm).

    Returns
    -------
    CameraState

    Raises
    ------
    KeyError
        If ``view`` is not a preset.

    Examples
    --------
    >>> cam = camera_for((-10, 10, -10, 10, 0, 100), "posterior")
    >>> cam.focal_point
    (0.0, 0.0, 50.0)
    >>> cam.position[1] < -100
    True
    """
    direction, up = PRESETS[view]
    b = np.asarray(bounds, dtype=float).reshape(3, 2)
    centre = b.mean(axis=1)
    radius = max(float(np.linalg.norm(b[:, 1] - b[:, 0])) / 2.0, min_radius, 1e-3)
    d = np.asarray(direction, dtype=float)
    d /= np.linalg.norm(d)
    distance = margin * radius / math.sin(math.radians(VIEW_ANGLE) / 2.0)
    position = centre + d * distance
    return CameraState(
        position=tuple(round(float(v), 3) for v in position),  # type: ignore[arg-type]
        focal_point=tuple(round(float(v), 3) for v in centre),  # type: ignore[arg-type]
        view_up=tuple(float(v) for v in up),  # type: ignore[arg-type]
    )
