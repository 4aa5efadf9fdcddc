"""The anchor contract between the mesh generator and the annotations.

Geometric annotations are positioned relative to named anchors of the mesh
model, so that they survive model variants.  An anchor name is
``<structure id>.<point>``.  The mesh generator publishes, in model
coordinates (millimetres, RAS: +x patient's right, +y anterior,
+z superior):

- ``<id>.center`` for every structure;
- ``vertebra_Tn``: ``body_center``, ``body_anterior``, ``superior_endplate``,
  ``inferior_endplate``, ``canal_center``, ``spinous_tip``, ``pedicle_L``,
  ``pedicle_R``, ``transverse_tip_L``, ``transverse_tip_R``, ``lamina_L``,
  ``lamina_R``;
- ``rib_Sn``: ``head``, ``tubercle``, ``angle``, ``lateral``, ``anterior_end``;
- ``cartilage_Sn``: ``medial_end``;
- ``manubrium.jugular_notch``, ``sternal_body.sternal_angle``,
  ``xiphoid.xiphisternal_joint``, ``xiphoid.tip``;
- ``disc_Tx_Ty``: ``posterior`` (and ``center``);
- ``nerve_Sn``: ``foramen``, ``angle``, ``lateral_branch``, ``anterior_end``;
- ``scapula_S``: ``superior_angle``, ``inferior_angle``, ``spine_root``,
  ``acromion``, ``glenoid``, ``medial_border``;
- every paired muscle ``<muscle>_S`` of :data:`MUSCLES` (``rhomboid_major_R``):
  ``origin``, ``insertion``, ``trigger_point``;
- ``intercostal_Sn`` (the muscles of space ``n``, below rib ``n``):
  ``posterior``, ``lateral``, ``anterior``;
- ``diaphragm``: ``dome_L``, ``dome_R``, ``central_tendon``,
  ``caval_opening``, ``oesophageal_opening``, ``aortic_hiatus``, ``crus_L``,
  ``crus_R``;
- ``pleura_S``: ``apex``, ``costodiaphragmatic_recess``,
  ``posterior_inferior``;
- ``heart.apex``; ``gallbladder.fundus``;
- ``dermatome_Tn_S``: ``posterior``, ``lateral``, ``anterior``.

Every other soft-tissue structure (lungs, organs, ``epidural_space``,
``dural_sac``, paravertebral, subscapular and interscapular skin zones)
publishes only ``center``.

This module only checks names; the viewer resolves them to coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

VERTEBRA_POINTS: tuple[str, ...] = (
    "body_center",
    "body_anterior",
    "superior_endplate",
    "inferior_endplate",
    "canal_center",
    "spinous_tip",
    "pedicle_L",
    "pedicle_R",
    "transverse_tip_L",
    "transverse_tip_R",
    "lamina_L",
    "lamina_R",
)
RIB_POINTS: tuple[str, ...] = ("head", "tubercle", "angle", "lateral", "anterior_end")
CARTILAGE_POINTS: tuple[str, ...] = ("medial_end",)
DISC_POINTS: tuple[str, ...] = ("posterior",)
NERVE_POINTS: tuple[str, ...] = ("foramen", "angle", "lateral_branch", "anterior_end")
STERNUM_POINTS: dict[str, tuple[str, ...]] = {
    "manubrium": ("jugular_notch",),
    "sternal_body": ("sternal_angle",),
    "xiphoid": ("xiphisternal_joint", "tip"),
}
SCAPULA_POINTS: tuple[str, ...] = (
    "superior_angle",
    "inferior_angle",
    "spine_root",
    "acromion",
    "glenoid",
    "medial_border",
)
MUSCLES: tuple[str, ...] = (
    "trapezius_middle",
    "trapezius_lower",
    "rhomboid_minor",
    "rhomboid_major",
    "levator_scapulae",
    "serratus_posterior_superior",
    "serratus_posterior_inferior",
    "iliocostalis_thoracis",
    "longissimus_thoracis",
    "spinalis_thoracis",
    "multifidus",
    "latissimus_dorsi",
    "serratus_anterior",
)
"""Paired muscles of the model (as ``meshes.ids.MUSCLES``; ids ``<name>_L/_R``)."""
MUSCLE_POINTS: tuple[str, ...] = ("origin", "insertion", "trigger_point")
INTERCOSTAL_POINTS: tuple[str, ...] = ("posterior", "lateral", "anterior")
DIAPHRAGM_POINTS: tuple[str, ...] = (
    "dome_L",
    "dome_R",
    "central_tendon",
    "caval_opening",
    "oesophageal_opening",
    "aortic_hiatus",
    "crus_L",
    "crus_R",
)
PLEURA_POINTS: tuple[str, ...] = (
    "apex",
    "costodiaphragmatic_recess",
    "posterior_inferior",
)
DERMATOME_POINTS: tuple[str, ...] = ("posterior", "lateral", "anterior")
SINGLE_POINTS: dict[str, tuple[str, ...]] = {
    **STERNUM_POINTS,
    "diaphragm": DIAPHRAGM_POINTS,
    "heart": ("apex",),
    "gallbladder": ("fundus",),
}
"""Extra points of single structures, by exact id."""

_MUSCLE_RE = re.compile(rf"^(?:{'|'.join(MUSCLES)})_[LR]$")

_GROUP_POINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vertebra_", VERTEBRA_POINTS),
    ("rib_", RIB_POINTS),
    ("cartilage_", CARTILAGE_POINTS),
    ("disc_", DISC_POINTS),
    ("nerve_", NERVE_POINTS),
    ("scapula_", SCAPULA_POINTS),
    ("intercostal_", INTERCOSTAL_POINTS),
    ("pleura_", PLEURA_POINTS),
    ("dermatome_", DERMATOME_POINTS),
)


def points_of(structure_id: str) -> tuple[str, ...]:
    """Return the anchor point names published for one structure.

    Parameters
    ----------
    structure_id : str
        A structure id such as ``"rib_L9"``.

    Returns
    -------
    tuple of str
        ``"center"`` followed by the group-specific points.
    """
    extra: tuple[str, ...] = SINGLE_POINTS.get(structure_id, ())
    if _MUSCLE_RE.match(structure_id):
        return ("center",) + MUSCLE_POINTS
    for prefix, pts in _GROUP_POINTS:
        if structure_id.startswith(prefix):
            extra = pts
            break
    return ("center",) + extra


def anchor_names(structure_ids: Iterable[str]) -> frozenset[str]:
    """Return every anchor name of the contract for the given structures.

    Parameters
    ----------
    structure_ids : iterable of str
        The structure ids of the model.

    Returns
    -------
    frozenset of str
        Names such as ``"vertebra_T6.spinous_tip"``.

    Examples
    --------
    >>> "rib_L9.angle" in anchor_names(["rib_L9"])
    True
    """
    return frozenset(f"{sid}.{pt}" for sid in structure_ids for pt in points_of(sid))


def check_anchor(name: str, valid: frozenset[str]) -> str | None:
    """Return an error message if ``name`` is not a contract anchor, else None.

    Parameters
    ----------
    name : str
        A filled anchor name.
    valid : frozenset of str
        The names from :func:`anchor_names`.

    Returns
    -------
    str or None
        A message naming the valid points of that structure, or ``None``.
    """
    if name in valid:
        return None
    sid, _, point = name.partition(".")
    if not point:
        return f"anchor {name!r} must be written '<structure id>.<point>'"
    known = sorted(n.partition(".")[2] for n in valid if n.partition(".")[0] == sid)
    if not known:
        return f"anchor {name!r} names an unknown structure id {sid!r}"
    points = ", ".join(known)
    return f"anchor {name!r}: {sid!r} has no point {point!r}; its points are {points}"
