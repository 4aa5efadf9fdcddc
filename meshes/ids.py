"""Structure identifiers of the thoracic model.

One structure id joins everything in the project: the mesh file name
(``<id>.npz``), the annotation registry entry, the actor name in the scene
and the tests.  This module is the single place where the ids of the
generated skeleton are enumerated.

Naming
------
- ``vertebra_T1`` ... ``vertebra_T12``
- ``rib_L1`` ... ``rib_L12`` and ``rib_R1`` ... ``rib_R12`` (``L``/``R`` is
  the patient's left/right)
- ``cartilage_L1`` ... ``cartilage_L12`` and ``_R`` (11-12 are the short
  pointed tips of the floating ribs)
- ``manubrium``, ``sternal_body``, ``xiphoid``
- ``disc_T1_T2`` ... ``disc_T11_T12``, ``disc_T12_L1``
- ``spinal_cord``
- ``nerve_L1`` ... ``nerve_L12`` and ``_R`` (12 is the subcostal nerve)
- ``facet_T1_T2_L`` ... ``facet_T12_L1_R`` (zygapophysial joints)
- ``costovertebral_L1`` ... ``costovertebral_R12`` (joints of the rib heads)
- ``costotransverse_L1`` ... ``costotransverse_R10`` (rib tubercle joints)

Soft tissue (drawn after the skeleton, see :data:`SOFT_GROUPS`):

- ``scapula_L``, ``scapula_R``
- muscles, each side (``_L``/``_R``): :data:`MUSCLES` and the intercostal
  muscles of each space, ``intercostal_L1`` ... ``intercostal_R11`` (space
  ``n`` lies below rib ``n``)
- ``diaphragm``; ``pleura_L``, ``pleura_R`` (parietal pleura);
  ``dural_sac`` and ``epidural_space`` (contents of the canal around the cord)
- organs: :data:`ORGANS`
- skin: ``dermatome_T1_L`` ... ``dermatome_T12_R`` (segmental bands),
  ``paravertebral_zone_T1_L`` ... ``paravertebral_zone_T12_R`` (referral
  zones beside each spinous process), ``subscapular_zone_L/R`` and
  ``interscapular_zone_L/R``

Levels
------
``level`` is the segmental level a structure belongs to: ``"T6"`` for
vertebra T6, rib 6, cartilage 6, nerve 6 and the rib-6 joints; ``"T5-T6"``
for the disc and facet joints between T5 and T6; ``None`` for the sternum
and the cord.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS: tuple[str, ...] = tuple(f"T{i}" for i in range(1, 13))
"""Vertebral levels of the model, top to bottom."""

SEGMENTS: tuple[str, ...] = tuple(
    f"{LEVELS[i]}-{LEVELS[i + 1] if i < 11 else 'L1'}" for i in range(12)
)
"""Motion segments (disc and facet joints) ``"T1-T2"`` ... ``"T12-L1"``."""

SIDES: dict[str, str] = {"L": "left", "R": "right"}
"""Suffix letter of a paired structure id and the side it names."""

GROUPS: tuple[str, ...] = (
    "vertebra",
    "rib",
    "cartilage",
    "sternum",
    "disc",
    "cord",
    "nerve",
    "joint",
    "scapula",
    "muscle",
    "diaphragm",
    "pleura",
    "dura",
    "organ",
    "skin",
)
"""Display groups of the model, in drawing order."""

SOFT_GROUPS: tuple[str, ...] = ("muscle", "diaphragm", "pleura", "dura", "organ", "skin")
"""Soft-tissue groups: hidden or translucent by default so that bone reads first."""

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
"""Paired muscles of the model (ids ``<name>_L`` and ``<name>_R``), superficial first."""

ORGANS: tuple[tuple[str, str | None], ...] = (
    ("heart", None),
    ("lung_L", "left"),
    ("lung_R", "right"),
    ("oesophagus", None),
    ("descending_aorta", None),
    ("liver", None),
    ("gallbladder", None),
    ("stomach", None),
    ("duodenum", None),
    ("pancreas", None),
    ("spleen", None),
    ("kidney_L", "left"),
    ("kidney_R", "right"),
)
"""Organ ids with their side (``None`` when the organ crosses the midline)."""


@dataclass(frozen=True)
class StructureSpec:
    """Identity of one structure of the generated model.

    Parameters
    ----------
    id : str
        Structure id, the join key of the project.
    group : str
        One of :data:`GROUPS`.
    level : str or None
        Segmental level (``"T6"``) or motion segment (``"T5-T6"``).
    side : str or None
        ``"left"``, ``"right"`` or ``None`` for midline structures.
    parent : str or None
        Id of the structure this one belongs to or sits on.
    """

    id: str
    group: str
    level: str | None
    side: str | None
    parent: str | None


def _segment_token(segment: str) -> str:
    return segment.replace("-", "_")


def structure_specs() -> list[StructureSpec]:
    """Return every structure of the skeleton model in drawing order.

    Returns
    -------
    list of StructureSpec
        One entry per structure id, vertebrae first.

    Examples
    --------
    >>> from meshes.ids import structure_specs
    >>> specs = structure_specs()
    >>> specs[0].id, specs[0].group
    ('vertebra_T1', 'vertebra')
    """
    out: list[StructureSpec] = []
    for lv in LEVELS:
        out.append(StructureSpec(f"vertebra_{lv}", "vertebra", lv, None, None))
    for s, side in SIDES.items():
        for n in range(1, 13):
            out.append(StructureSpec(f"rib_{s}{n}", "rib", f"T{n}", side, None))
    for s, side in SIDES.items():
        for n in range(1, 13):
            out.append(
                StructureSpec(f"cartilage_{s}{n}", "cartilage", f"T{n}", side, f"rib_{s}{n}")
            )
    out.append(StructureSpec("manubrium", "sternum", None, None, None))
    out.append(StructureSpec("sternal_body", "sternum", None, None, None))
    out.append(StructureSpec("xiphoid", "sternum", None, None, None))
    for i, seg in enumerate(SEGMENTS):
        out.append(StructureSpec(f"disc_{_segment_token(seg)}", "disc", seg, None, f"vertebra_{LEVELS[i]}"))
    out.append(StructureSpec("spinal_cord", "cord", None, None, None))
    for s, side in SIDES.items():
        for n in range(1, 13):
            out.append(StructureSpec(f"nerve_{s}{n}", "nerve", f"T{n}", side, "spinal_cord"))
    for i, seg in enumerate(SEGMENTS):
        for s, side in SIDES.items():
            out.append(
                StructureSpec(
                    f"facet_{_segment_token(seg)}_{s}", "joint", seg, side, f"vertebra_{LEVELS[i]}"
                )
            )
    for s, side in SIDES.items():
        for n in range(1, 13):
            out.append(
                StructureSpec(f"costovertebral_{s}{n}", "joint", f"T{n}", side, f"rib_{s}{n}")
            )
    for s, side in SIDES.items():
        for n in range(1, 11):
            out.append(
                StructureSpec(f"costotransverse_{s}{n}", "joint", f"T{n}", side, f"rib_{s}{n}")
            )
    out.extend(soft_tissue_specs())
    return out


def soft_tissue_specs() -> list[StructureSpec]:
    """Return the scapulae, muscles, membranes, organs and skin zones, in drawing order.

    Returns
    -------
    list of StructureSpec
        The soft-tissue part of :func:`structure_specs`.
    """
    out: list[StructureSpec] = []
    for s, side in SIDES.items():
        out.append(StructureSpec(f"scapula_{s}", "scapula", None, side, None))
    for name in MUSCLES:
        for s, side in SIDES.items():
            out.append(StructureSpec(f"{name}_{s}", "muscle", None, side, None))
    for s, side in SIDES.items():
        for n in range(1, 12):
            out.append(StructureSpec(f"intercostal_{s}{n}", "muscle", f"T{n}", side, f"rib_{s}{n}"))
    out.append(StructureSpec("diaphragm", "diaphragm", None, None, None))
    for s, side in SIDES.items():
        out.append(StructureSpec(f"pleura_{s}", "pleura", None, side, None))
    out.append(StructureSpec("epidural_space", "dura", None, None, None))
    out.append(StructureSpec("dural_sac", "dura", None, None, "epidural_space"))
    for sid, side in ORGANS:
        out.append(StructureSpec(sid, "organ", None, side, None))
    for s, side in SIDES.items():
        for n in range(1, 13):
            out.append(StructureSpec(f"dermatome_T{n}_{s}", "skin", f"T{n}", side, None))
    for s, side in SIDES.items():
        for n in range(1, 13):
            out.append(StructureSpec(f"paravertebral_zone_T{n}_{s}", "skin", f"T{n}", side, None))
    for zone in ("subscapular_zone", "interscapular_zone"):
        for s, side in SIDES.items():
            out.append(StructureSpec(f"{zone}_{s}", "skin", None, side, None))
    return out


def structure_ids() -> list[str]:
    """Return the ids of :func:`structure_specs`, in the same order."""
    return [s.id for s in structure_specs()]
