"""Skin-level bands: dermatomes T1-T12, paravertebral, subscapular and interscapular zones.

A smooth trunk skin surface is derived from the rib cage: in cylindrical
coordinates about a vertical axis, its radius is the inner cage radius plus
the rib and a soft-tissue layer (about 17 mm laterally and in front, 45 mm
behind over the back muscles, 12 mm behind the spinous process tips),
smoothed around and along the trunk; below the ribs it continues as the
abdominal wall.  Each band or zone is a thin (2 mm) closed slab lying on that
surface, built as an explicit grid so it is cheap and always watertight.

Dermatome band ``n`` starts at the posterior midline at the height of the
T``n`` spinous process and runs obliquely down and forward to the anterior
midline, where it meets its anchor: T4 at the nipple line, T6 at the
xiphoid, T10 at the umbilicus (below the model), T12 just above the hip
girdle.  Bands stop 1 degree short of both midlines, so none crosses it.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from .membranes import Thorax, thorax, value
from .model import Skeleton, _mirror, _mirror_mesh
from .sdf import finish_surface


class SkinSurface:
    """Trunk skin as radius(angle, z) about the cage axis (right side tables, symmetric)."""

    def __init__(self, th: Thorax):
        self.th = th
        sk = th.sk
        self.alphas = np.radians(np.linspace(-90.0, 90.0, 91))
        self.zs = np.arange(-190.0, 300.0, 5.0)
        A, Z = np.meshgrid(self.alphas, self.zs, indexing="ij")
        x = 100.0 * np.cos(A)
        y = th.CAGE_Y + 100.0 * np.sin(A)
        R_in, _r, _a = th.cage_radius(x.ravel(), y.ravel(), Z.ravel())
        R_in = R_in.reshape(A.shape)
        lat = float(value("skin", "soft_tissue_lateral"))
        post = float(value("skin", "soft_tissue_posterior"))
        back = np.clip(-np.sin(A), 0.0, 1.0) ** 1.5
        S = R_in + 9.0 + lat + (post - lat) * back
        # behind the spinous processes
        tips = np.array([sk.anchors[f"vertebra_T{n}.spinous_tip"] for n in range(1, 13)])
        order = np.argsort(tips[:, 2])
        y_tip = np.interp(self.zs, tips[order, 2], tips[order, 1])
        mid = th.CAGE_Y - y_tip + float(value("skin", "soft_tissue_midline_back"))
        S[0, :] = mid
        w = np.exp(-(((A + np.pi / 2) / np.radians(12.0)) ** 2))
        S = S * (1 - w) + mid[None, :] * w
        # smooth around and along the trunk
        for _ in range(6):
            S[1:-1, :] = 0.25 * S[:-2, :] + 0.5 * S[1:-1, :] + 0.25 * S[2:, :]
            S[:, 1:-1] = 0.25 * S[:, :-2] + 0.5 * S[:, 1:-1] + 0.25 * S[:, 2:]
        self.S = S

    def radius(self, alpha: np.ndarray, z: np.ndarray) -> np.ndarray:
        a = np.clip(alpha, self.alphas[0], self.alphas[-1])
        fa = (a - self.alphas[0]) / (self.alphas[1] - self.alphas[0])
        fz = np.clip((z - self.zs[0]) / (self.zs[1] - self.zs[0]), 0, len(self.zs) - 1.001)
        ia = np.clip(fa.astype(int), 0, len(self.alphas) - 2)
        iz = fz.astype(int)
        ta, tz = fa - ia, fz - iz
        S = self.S
        return ((1 - ta) * (1 - tz) * S[ia, iz] + ta * (1 - tz) * S[ia + 1, iz]
                + (1 - ta) * tz * S[ia, iz + 1] + ta * tz * S[ia + 1, iz + 1])

    def point(self, alpha: np.ndarray, z: np.ndarray, lift: float = 0.0) -> np.ndarray:
        r = self.radius(alpha, z) + lift
        return np.stack([r * np.cos(alpha), self.th.CAGE_Y + r * np.sin(alpha), np.asarray(z, float) * np.ones_like(r)], axis=-1)

    def alpha_at_x(self, x: float, z: float) -> float:
        """Angle of the back skin point at distance ``x`` from the midline and height ``z``."""
        a = np.radians(np.linspace(-90.0, 0.0, 181))
        xs = self.point(a, np.full_like(a, z))[:, 0]
        return float(np.interp(x, xs, a))


def _slab(grid_in: np.ndarray, grid_out: np.ndarray) -> pv.PolyData:
    """Closed slab between two ``(nu, nv, 3)`` point grids (inner and outer face)."""
    nu, nv = grid_in.shape[:2]
    idx = np.arange(nu * nv).reshape(nu, nv)
    off = nu * nv
    faces = []
    for layer, flip in ((0, False), (off, True)):
        a = idx[:-1, :-1].ravel() + layer
        b = idx[1:, :-1].ravel() + layer
        c = idx[1:, 1:].ravel() + layer
        d = idx[:-1, 1:].ravel() + layer
        t1 = np.column_stack([a, b, c])
        t2 = np.column_stack([a, c, d])
        f = np.vstack([t1, t2])
        faces.append(f[:, ::-1] if flip else f)
    ring = np.concatenate([idx[:, 0], idx[-1, 1:], idx[-2::-1, -1], idx[0, -2:0:-1]])
    nxt = np.roll(ring, -1)
    faces.append(np.column_stack([ring, nxt, nxt + off]))
    faces.append(np.column_stack([ring, nxt + off, ring + off]))
    pts = np.vstack([grid_in.reshape(-1, 3), grid_out.reshape(-1, 3)])
    mesh = pv.PolyData.from_regular_faces(pts, np.vstack(faces))
    return finish_surface(mesh.clean())


def _patch(skin: SkinSurface, alpha: np.ndarray, z: np.ndarray, lift: float) -> pv.PolyData:
    t = float(value("skin", "band_thickness"))
    return _slab(skin.point(alpha, z, lift), skin.point(alpha, z, lift + t))


def dermatome_heights(th: Thorax) -> tuple[np.ndarray, np.ndarray]:
    """Posterior (spinous) and anterior (anchor) heights of the bands T1..T12."""
    sk = th.sk
    z_post = np.array([sk.anchors[f"vertebra_T{n}.spinous_tip"][2] + 6.0 for n in range(1, 13)])
    st = sk.sternum
    cart4 = sk.cartilage_paths[4]
    k = int(np.argmin(np.abs(cart4[:, 0] - 60.0)))
    nipple = float(cart4[k, 2]) - 14.0
    xiphoid = 0.5 * (st.xiphisternal[2] + st.xiphoid_tip[2])
    umbilicus = th.level_z(15.5)
    hip = umbilicus - 42.0
    z_ant = np.interp(np.arange(1, 13), [1, 4, 6, 10, 12], [st.jugular[2] - 14.0, nipple, xiphoid, umbilicus, hip])
    return z_post, z_ant


def _band_z(z_post: float, z_ant: float, alpha: np.ndarray) -> np.ndarray:
    u = (alpha + np.pi / 2) / np.pi
    w = u * u * (3 - 2 * u)
    return z_post + (z_ant - z_post) * w


def build_skin(sk: Skeleton) -> tuple[dict[str, pv.PolyData], dict[str, np.ndarray]]:
    """Dermatome bands and referral zones, both sides."""
    th = thorax(sk)
    skin = SkinSurface(th)
    meshes: dict[str, pv.PolyData] = {}
    anchors: dict[str, np.ndarray] = {}

    def add(name: str, mesh: pv.PolyData, named: dict[str, np.ndarray]) -> None:
        meshes[f"{name}_R"] = mesh
        meshes[f"{name}_L"] = _mirror_mesh(mesh)
        for k, v in named.items():
            anchors[f"{name}_R.{k}"] = v
            anchors[f"{name}_L.{k}"] = _mirror(v)

    z_post, z_ant = dermatome_heights(th)
    alpha = np.radians(np.linspace(-89.0, 89.0, 30))
    centres = np.array([_band_z(z_post[n], z_ant[n], alpha) for n in range(12)])
    for n in range(12):
        zc = centres[n]
        gap_up = centres[n - 1] - zc if n > 0 else centres[0] - centres[1]
        gap_dn = zc - centres[n + 1] if n < 11 else centres[10] - centres[11]
        half = np.clip(0.42 * np.minimum(np.abs(gap_up), np.abs(gap_dn)), 6.0, 30.0)
        v = np.linspace(-1.0, 1.0, 3)
        A = np.repeat(alpha[:, None], 3, axis=1)
        Z = zc[:, None] + half[:, None] * v[None, :]
        mesh = _patch(skin, A, Z, 0.5)
        named = {
            "posterior": skin.point(np.array([alpha[0]]), np.array([zc[0]]), 1.5)[0],
            "lateral": skin.point(np.array([0.0]), np.array([np.interp(0.0, alpha, zc)]), 1.5)[0],
            "anterior": skin.point(np.array([alpha[-1]]), np.array([zc[-1]]), 1.5)[0],
        }
        add(f"dermatome_T{n + 1}", mesh, named)

    # paravertebral zones, 2-5 cm from the midline at each spinous level
    x0, x1 = value("skin", "paravertebral_zone")
    for n in range(12):
        zc = z_post[n] - 6.0
        half = 0.4 * (z_post[max(n - 1, 0)] - z_post[min(n + 1, 11)]) / (2 if 0 < n < 11 else 1)
        zz = np.linspace(zc - half, zc + half, 3)
        A = np.array([[skin.alpha_at_x(x, z) for z in zz] for x in np.linspace(x0, x1, 4)])
        Z = np.repeat(zz[None, :], 4, axis=0)
        add(f"paravertebral_zone_T{n + 1}", _patch(skin, A, Z, 3.0), {})

    def back_zone(name: str, top: int, bottom: int, xr) -> None:
        zt, zb = z_post[top - 1], z_post[bottom - 1]
        zz = np.linspace(zb, zt, 5)
        A = np.array([[skin.alpha_at_x(x, z) for z in zz] for x in np.linspace(xr[0], xr[1], 6)])
        Z = np.repeat(zz[None, :], 6, axis=0)
        add(name, _patch(skin, A, Z, 5.5), {})

    sub = value("skin", "subscapular_zone")
    back_zone("subscapular_zone", 7, 9, sub["x"])
    inter = value("skin", "interscapular_zone")
    back_zone("interscapular_zone", 2, 6, inter["x"])
    return meshes, anchors
