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


# ---------------------------------------------------------------------------
# Demo knowledge base: a handful of entries shaped like the real one, with
# placeholder texts, so the app mechanisms can be tested without it.
# ---------------------------------------------------------------------------

_DEMO = "Demo text (synthetic test data, not clinical content)."


class DemoKnowledge:
    """Small stand-in implementing :class:`viewer.knowledge.KnowledgeSource`."""

    disclaimer = "Demo data for testing the viewer. Not medical advice."
    disclaimer_short = "Demo data; not medical advice."

    def __init__(self) -> None:
        from .knowledge import EntrySummary as E

        ribs = tuple(f"R{i}" for i in range(1, 13))
        segs = tuple(f"T{i}-T{i + 1}" for i in range(1, 12)) + ("T12-L1",)
        verts = tuple(f"T{i}" for i in range(1, 13))
        lr = ("left", "right", "both")
        self._entries = {
            e.id: e
            for e in (
                E("slipping_rib_syndrome", "conditions", "Slipping rib syndrome", "Rib and cartilage", "#4caf50",
                  "rib", ribs[7:10], ("R8", "R9", "R10"), lr, "left"),
                E("facet_joint_pain", "conditions", "Facet joint pain", "Vertebrogenic", "#f3a712", "segment",
                  segs, ("T5-T6",), lr, "both"),
                E("thoracic_disc_herniation", "conditions", "Thoracic disc herniation", "Neurogenic", "#17bebb",
                  "segment", segs, ("T7-T8",), (), None),
                E("intercostal_neuralgia", "conditions", "Intercostal neuralgia", "Neurogenic", "#ffd400", "vertebra",
                  verts, ("T6",), lr, "right"),
                E("facet_injection", "treatments", "Facet joint injection", "Injection", "#a3e635", "segment",
                  segs, ("T5-T6",), lr, "left"),
            )
        }

    def entries(self) -> list:
        """All demo entries."""
        return list(self._entries.values())

    def search(self, text: str) -> list:
        """Case-insensitive substring search in names and ids."""
        t = text.strip().lower()
        return [e for e in self._entries.values() if t and (t in e.name.lower() or t in e.id)]

    def resolve(self, entry_id: str, level: str | None = None, side: str | None = None):  # noqa: ANN201
        """Resolve like the real knowledge base; ``ValueError`` on bad input."""
        from .knowledge import Resolved
        from .markers import Marker
        from .state import Highlight as H

        e = self._entries[entry_id]
        levels = (level,) if level else e.default_levels
        if any(lv not in e.levels for lv in levels):
            raise ValueError(f"level {level!r} is not valid for {entry_id}; choose one of {', '.join(e.levels)}")
        if side and side not in e.sides:
            raise ValueError(f"side {side!r} is not valid for {entry_id}")
        side = side or e.default_side
        sides = {"left": ["L"], "right": ["R"], "both": ["L", "R"], None: ["L", "R"]}[side]
        out: list = []
        markers: list = []
        meshes = synthetic_structures()
        for lv in levels:
            n = lv.lstrip("RT").split("-")[0]
            seg = lv.replace("-", "_")
            for s in sides:
                if entry_id == "slipping_rib_syndrome":
                    out += [H(f"cartilage_{s}{n}", e.colour, "primary"), H(f"rib_{s}{n}", e.colour, "secondary"),
                            H(f"nerve_{s}{n}", "#ffd400", "context")]
                elif entry_id in ("facet_joint_pain", "facet_injection"):
                    out += [H(f"facet_{seg}_{s}", e.colour, "primary")]
                    if entry_id == "facet_injection":
                        c = np.asarray(meshes[f"facet_{seg}_{s}"].center)
                        markers.append(Marker("path", (tuple(c + [0, -70, 10]), tuple(c + [0, -6, 0])),
                                              "#ffffff", "needle", radius=2.0))
                        markers.append(Marker("point", (tuple(c),), e.colour, "target", radius=6.0))
                elif entry_id == "intercostal_neuralgia":
                    out += [H(f"nerve_{s}{n}", e.colour, "primary"), H(f"rib_{s}{n}", e.colour, "context")]
            if entry_id == "thoracic_disc_herniation":
                out += [H(f"disc_{seg}", e.colour, "primary"), H(f"nerve_L{n}", "#ffd400", "secondary"),
                        H(f"nerve_R{n}", "#ffd400", "secondary")]
        return Resolved(tuple(out), tuple(markers), tuple(levels), side)

    def explain(self, entry_id: str):  # noqa: ANN201
        """Placeholder explanation with one link, flag and source."""
        from .knowledge import Explanation

        e = self._entries[entry_id]
        related = [(i, x.name) for i, x in self._entries.items() if i != entry_id][:2]
        return Explanation(e.id, e.name, f"{_DEMO} Patient view of {e.name}.", f"{_DEMO} Student view of {e.name}.",
                           tuple(related), (("Demo red flag sign", "demo concern"),),
                           (("https://example.org/demo-source", "Demo source"),))

    def structure(self, structure_id: str):  # noqa: ANN201
        """Identity card from ``meshes.ids`` with the demo entries involving it."""
        from meshes.ids import structure_specs

        from .knowledge import StructureCard

        spec = {s.id: s for s in structure_specs()}[structure_id]
        involved = []
        for e in self._entries.values():
            for lv in e.levels:
                try:
                    r = self.resolve(e.id, lv, "both" if e.sides else None)
                except ValueError:
                    continue
                if any(h.structure_id == structure_id for h in r.highlights):
                    involved.append((e.id, e.name, e.section))
                    break
        name = structure_id.replace("_", " ")
        return StructureCard(structure_id, name, spec.group, spec.level, spec.side, f"{_DEMO} ({spec.group})",
                             tuple(involved))
