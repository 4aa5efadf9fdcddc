"""Short on-screen labels (``T6``, ``R8 L``) and structure metadata helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pyvista as pv

from .state import StructureInfo

_SIDE = {"left": "L", "right": "R"}
_PREFIX = {
    "rib": "R",
    "cartilage": "CC",
    "nerve": "ICN",
    "costovertebral": "CV",
    "costotransverse": "CT",
}


@dataclass(frozen=True)
class Label:
    """A text label anchored at a 3D point.

    Parameters
    ----------
    text : str
        Short text, e.g. ``"T6"`` or ``"R8 L"``.
    position : tuple of float
        Anchor in mm (RAS).
    colour : str
        ``"#rrggbb"`` accent colour of the label.
    structure_id : str
        Structure the label names.
    """

    text: str
    position: tuple[float, float, float]
    colour: str
    structure_id: str


def infos_from_specs(ids: Iterable[str]) -> dict[str, StructureInfo]:
    """Build :class:`StructureInfo` for ``ids`` from ``meshes.ids``.

    Ids unknown to ``meshes.ids.structure_specs()`` get the group named by
    their prefix (``"other"`` if none matches).
    """
    from meshes.ids import GROUPS, structure_specs

    specs = {s.id: s for s in structure_specs()}
    out: dict[str, StructureInfo] = {}
    for sid in ids:
        spec = specs.get(sid)
        if spec is not None:
            out[sid] = StructureInfo(sid, spec.group, spec.level, spec.side)
        else:
            prefix = sid.split("_", 1)[0]
            out[sid] = StructureInfo(sid, prefix if prefix in GROUPS else "other")
    return out


def short_label(info: StructureInfo) -> str:
    """Return the short clinical label of a structure.

    Examples
    --------
    >>> short_label(StructureInfo("vertebra_T6", "vertebra", "T6"))
    'T6'
    >>> short_label(StructureInfo("rib_L8", "rib", "T8", "left"))
    'R8 L'
    >>> short_label(StructureInfo("disc_T6_T7", "disc", "T6-T7"))
    'T6–T7'
    >>> short_label(StructureInfo("nerve_R12", "nerve", "T12", "right"))
    'SCN R'
    """
    sid, side = info.id, _SIDE.get(info.side or "", "")
    number = re.search(r"(\d+)$", sid.rstrip("_LR"))
    kind = sid.split("_", 1)[0]
    if info.group == "vertebra" and info.level:
        text = info.level
    elif info.group == "disc" and info.level:
        text = info.level.replace("-", "–")
    elif kind == "facet" and info.level:
        text = f"{info.level.replace('-', '–')} facet"
    elif kind == "nerve" and number and number.group(1) == "12":
        text = "SCN"
    elif kind in _PREFIX and number:
        text = f"{_PREFIX[kind]}{number.group(1)}"
    elif info.group == "cord":
        text = "Cord"
    else:
        text = sid.replace("_", " ").capitalize()
    return f"{text} {side}".strip()


def label_anchor(mesh: pv.PolyData, anchors: Mapping[str, tuple[float, float, float]] | None = None,
                 structure_id: str = "") -> tuple[float, float, float]:
    """Return where a structure's label is anchored.

    A ``"<id>.label"`` anchor from ``meshes.load_anchors()`` wins; otherwise
    the mesh vertex closest to the centre of its bounding box, so the anchor
    lies on the surface (the centre of a curved rib lies in the air).
    """
    if anchors and f"{structure_id}.label" in anchors:
        return tuple(float(v) for v in anchors[f"{structure_id}.label"])  # type: ignore[return-value]
    points = np.asarray(mesh.points)
    if len(points) == 0:
        return (0.0, 0.0, 0.0)
    centre = np.asarray(mesh.bounds, dtype=float).reshape(3, 2).mean(axis=1)
    nearest = points[np.argmin(np.einsum("ij,ij->i", points - centre, points - centre))]
    return tuple(round(float(v), 2) for v in nearest)  # type: ignore[return-value]
