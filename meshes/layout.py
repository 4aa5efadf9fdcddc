"""Sagittal layout of the thoracic spine.

Each vertebra gets a rigid pose: a rotation about the left-right (x) axis
and a translation, placing its local frame (origin at the body centre, +y
anterior, +z along the vertebra's own axis) in the model frame.

Model frame (documented in the README and the mesh metadata): millimetres,
RAS (+x patient's right, +y anterior, +z superior), origin at the centre
of the inferior endplate of T12, z along the line from there to the centre
of the superior endplate of T1.

Kyphosis: the Cobb angle between the T1 superior and T12 inferior
endplates equals ``params.kyphosis_deg``.  Published body heights give a
fixed wedge to each vertebral body; the intervertebral discs take up the
remainder evenly, so the same vertebrae serve every kyphosis from 20 to 70
degrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import ModelParams


def rot_x(angle: float) -> np.ndarray:
    """Rotation matrix about +x by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def lean(tilt: float) -> np.ndarray:
    """Rotation that leans the local +z axis forward (+y) by ``tilt`` radians."""
    return rot_x(-tilt)


@dataclass(frozen=True)
class Pose:
    """Rigid placement of a local frame in the model frame."""

    rotation: np.ndarray
    origin: np.ndarray

    def to_world(self, p: np.ndarray) -> np.ndarray:
        """Map local points ``(..., 3)`` to model coordinates."""
        return np.asarray(p) @ self.rotation.T + self.origin

    def to_local(self, p: np.ndarray) -> np.ndarray:
        """Map model points ``(..., 3)`` to local coordinates."""
        return (np.asarray(p) - self.origin) @ self.rotation


@dataclass(frozen=True)
class SpineLayout:
    """Poses of T1..T12 plus a virtual L1 used to close the T12-L1 segment."""

    poses: tuple[Pose, ...]
    """13 poses: T1..T12 and the virtual L1."""
    tilt: np.ndarray
    """Sagittal tilt of each local z axis (radians, positive = top leans forward)."""
    body_wedge: np.ndarray
    disc_wedge: np.ndarray
    disc_mean_height: np.ndarray
    half_height: np.ndarray
    """Mean half height of each body (13 values)."""

    def endplate_center(self, index: int, superior: bool) -> np.ndarray:
        """Centre of the superior or inferior endplate of vertebra ``index`` (0 = T1)."""
        h = self.half_height[index]
        return self.poses[index].to_world(np.array([0.0, 0.0, h if superior else -h]))


def _body_wedges(params: ModelParams) -> np.ndarray:
    return np.arctan2(params.body_height_posterior - params.body_height_anterior, params.endplate_depth)


def spine_layout(params: ModelParams) -> SpineLayout:
    """Compute the poses of the vertebrae for ``params.kyphosis_deg``.

    Returns
    -------
    SpineLayout
        Poses in the model frame.
    """
    # 13 bodies: T1..T12 + a virtual L1 shaped like T12.
    ha = np.append(params.body_height_anterior, params.body_height_anterior[-1] * 1.02)
    hp = np.append(params.body_height_posterior, params.body_height_posterior[-1] * 1.02)
    depth = np.append(params.endplate_depth, params.endplate_depth[-1] * 1.03)
    wedge = np.arctan2(hp - ha, depth)
    wedge[-1] = 0.0
    half = (ha + hp) / 4.0
    # Discs T1-T2 .. T12-L1 (12).  Intrinsic wedge from the published
    # anterior/posterior heights; the T1-T12 Cobb angle spans 11 discs.
    d_ant = params.disc_anterior
    d_post = params.disc_posterior
    disc_depth = 0.5 * (depth[:-1] + depth[1:])
    w0 = np.arctan2(d_post - d_ant, disc_depth)
    cobb = np.radians(params.kyphosis_deg)
    delta = (cobb - wedge[:12].sum() - w0[:11].sum()) / 11.0
    disc_w = w0 + delta
    disc_w[11] = w0[11]  # T12-L1 is outside the Cobb span
    disc_mean = 0.5 * (d_ant + d_post)

    tilt = np.zeros(13)
    for i in range(12):
        tilt[i + 1] = tilt[i] - (wedge[i] / 2 + disc_w[i] + wedge[i + 1] / 2)
    # Chain the bodies top-down with T1's centre at the origin.
    centers = np.zeros((13, 3))
    for i in range(12):
        r_i = lean(tilt[i])
        inf_i = centers[i] + r_i @ np.array([0.0, 0.0, -half[i]])
        mid = tilt[i] - wedge[i] / 2 - disc_w[i] / 2
        down = lean(mid) @ np.array([0.0, 0.0, -1.0])
        sup_next = inf_i + down * disc_mean[i]
        centers[i + 1] = sup_next - lean(tilt[i + 1]) @ np.array([0.0, 0.0, half[i + 1]])
    top = centers[0] + lean(tilt[0]) @ np.array([0.0, 0.0, half[0]])
    bottom = centers[11] + lean(tilt[11]) @ np.array([0.0, 0.0, -half[11]])
    axis = top - bottom
    # Rotate about x so that bottom->top is +z, then put bottom at the origin.
    phi = np.arctan2(axis[1], axis[2])
    corr = rot_x(phi)
    tilt = tilt - phi
    centers = (centers - bottom) @ corr.T
    poses = tuple(Pose(lean(tilt[i]), centers[i]) for i in range(13))
    return SpineLayout(
        poses=poses,
        tilt=tilt,
        body_wedge=wedge,
        disc_wedge=disc_w,
        disc_mean_height=disc_mean,
        half_height=half,
    )
