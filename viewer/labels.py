"""Short on-screen labels (``T6``, ``Rib 8 L``) and structure metadata helpers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyvista as pv

from .state import StructureInfo

_SIDE = {"left": "L", "right": "R"}
_PREFIX = {
    "rib": "Rib ",  # not "R9": next to the side letter it reads as "right"
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
        Short text, e.g. ``"T6"`` or ``"Rib 8 L"``.
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
    'Rib 8 L'
    >>> short_label(StructureInfo("disc_T6_T7", "disc", "T6-T7"))
    'T6–T7'
    >>> short_label(StructureInfo("nerve_R12", "nerve", "T12", "right"))
    'SCN R'
    >>> short_label(StructureInfo("rhomboid_major_R", "muscle", None, "right"))
    'Rhomboid major R'
    >>> short_label(StructureInfo("dermatome_T6_L", "skin", "T6", "left"))
    'T6 dermatome L'
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
    elif kind == "intercostal" and number:
        text = f"Intercostal {number.group(1)}"
    elif kind in ("dermatome", "paravertebral") and info.level:
        text = f"{info.level} {'dermatome' if kind == 'dermatome' else 'paravertebral'}"
    else:
        base = re.sub(r"_[LR]$", "", sid) if info.side else sid
        text = base.replace("_", " ").capitalize()
    return f"{text} {side}".strip()


MARKER_LABEL_LIMIT = 30
"""Longest marker label drawn in 3D (the full text is in the explanation panel)."""


def short_text(text: str, limit: int = MARKER_LABEL_LIMIT) -> str:
    """Shorten a marker description to a label that fits over the model.

    Parenthesised asides are dropped (the side shows on the model), the part
    after a ``:`` is dropped unless the part before is a single word (then
    the first clause after it is kept), only the first clause (up to ``,`` or
    ``;``) is kept, and what is still too long is cut at a word boundary
    with an ellipsis.

    Examples
    --------
    >>> short_text("Lower costal margin, ribs 8-10 (left): hooking manoeuvre site")
    'Lower costal margin'
    >>> short_text("Medial branch target: superolateral corner of the T6 transverse process (right)")
    'Medial branch target'
    >>> short_text("Strengthen: serratus anterior (left)")
    'Strengthen: serratus anterior'
    >>> short_text("Possible referral forward to the costochondral junction of rib 2 (right)")
    'Possible referral forward…'
    """
    text = re.sub(r"\s*\([^()]*\)", "", " ".join(str(text).split())).strip()
    head, _, tail = text.partition(":")
    head, tail = head.strip(), tail.strip()
    if tail and len(head.split()) == 1:
        text = f"{head}: {re.split(r'[,;]', tail)[0].strip()}"
    else:
        text = re.split(r"[,;]", head)[0].strip() or head
    if len(text) <= limit:
        return text
    words = text[: limit].split(" ")[:-1] or [text[: limit - 1]]  # whole words only
    while len(words) > 1 and words[-1].lower() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;:-–") + "…"


_DANGLING = frozenset("a an and at by for from in into of on or the to with".split())


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


def place_labels(anchors: Sequence[tuple[float, float]], sizes: Sequence[tuple[float, float]], width: float,
                 height: float, gap: float = 10.0) -> list[tuple[float, float, float, float]]:
    """Place label boxes near their anchors without overlaps (as ``bridge.js`` does).

    Labels are placed top to bottom; each takes the first free spot among
    eight around its anchor (above first), at growing distances, inside the
    image and clear of the other labels and anchors.  A label that finds no
    free spot is clamped next to its anchor.

    Parameters
    ----------
    anchors : sequence of (x, y)
        Anchor points in pixels, ``y`` down.
    sizes : sequence of (w, h)
        Box sizes in pixels.
    width, height : float
        Image size.
    gap : float, default: 10.0
        Distance step between an anchor and its box.

    Returns
    -------
    list of (x, y, w, h)
        Top-left corner and size of each box, in the order of ``anchors``.

    Examples
    --------
    >>> place_labels([(100, 100), (102, 101)], [(40, 16), (40, 16)], 400, 300)
    [(80.0, 74.0, 40, 16), (112.0, 93.0, 40, 16)]
    """
    order = sorted(range(len(anchors)), key=lambda i: (anchors[i][1], anchors[i][0]))
    dots = [(x - 5, y - 5, 10, 10) for x, y in anchors]
    boxes: dict[int, tuple[float, float, float, float]] = {}

    def overlaps(a: tuple, b: tuple) -> bool:
        return a[0] < b[0] + b[2] + 4 and b[0] < a[0] + a[2] + 4 and a[1] < b[1] + b[3] + 3 and b[1] < a[1] + a[3] + 3

    for i in order:
        (x, y), (w, h) = anchors[i], sizes[i]
        best = None
        for ring in range(1, 7):
            d = gap * ring
            for dx, dy in ((-w / 2, -h - d), (d, -h - d / 2), (-w - d, -h - d / 2), (d, -h / 2), (-w - d, -h / 2),
                           (-w / 2, d), (d, d / 2), (-w - d, d / 2)):
                box = (x + dx, y + dy, w, h)
                if box[0] < 2 or box[1] < 2 or box[0] + w > width - 2 or box[1] + h > height - 2:
                    continue
                if any(overlaps(box, b) for b in boxes.values()):
                    continue
                if any(overlaps(box, dots[j]) for j in range(len(anchors)) if j != i):
                    continue
                best = box
                break
            if best:
                break
        if best is None:
            best = (min(max(2.0, x - w / 2), width - w - 2), min(max(2.0, y - h - gap), height - h - 2), w, h)
        boxes[i] = best
    return [boxes[i] for i in range(len(anchors))]
