"""Build the soft tissue on a finished skeleton.

The builders run in anatomical order, each seeing what the previous ones
added to the skeleton (``sk.meshes`` and ``sk.anchors``):

1. :func:`meshes.scapula.build_scapulae` - the shoulder blades on ribs 2-7;
2. :func:`meshes.muscles.build_muscles` - back and chest-wall muscles between
   their bony attachments, and the intercostal muscles of each space;
3. :func:`meshes.membranes.build_membranes` - diaphragm, parietal pleura,
   dural sac and epidural space;
4. :func:`meshes.organs.build_organs` - thoracic and upper abdominal organs;
5. :func:`meshes.skin.build_skin` - dermatome bands and referral zones on the
   skin surface.

Every builder takes the :class:`~meshes.model.Skeleton` and returns
``(meshes, anchors)`` for its own structure ids only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyvista as pv

from .ids import soft_tissue_specs
from .membranes import build_membranes
from .model import Skeleton
from .muscles import build_muscles
from .organs import build_organs
from .scapula import build_scapulae
from .skin import build_skin

Builder = Callable[[Skeleton], tuple[dict[str, pv.PolyData], dict[str, np.ndarray]]]

BUILDERS: tuple[Builder, ...] = (build_scapulae, build_muscles, build_membranes, build_organs, build_skin)
"""Soft-tissue builders in the order they run."""


def build_soft_tissue(sk: Skeleton) -> None:
    """Add every soft-tissue mesh and anchor to ``sk`` in place.

    Parameters
    ----------
    sk : Skeleton
        Output of :func:`meshes.model.build_skeleton`.

    Raises
    ------
    RuntimeError
        If a builder returns an id that is not one of
        :func:`meshes.ids.soft_tissue_specs`, or one that already exists.
    """
    expected = {s.id for s in soft_tissue_specs()}
    for builder in BUILDERS:
        meshes, anchors = builder(sk)
        for sid in meshes:
            if sid not in expected or sid in sk.meshes:
                raise RuntimeError(f"{builder.__module__}.{builder.__name__} returned unexpected structure id {sid!r}")
        sk.meshes.update(meshes)
        sk.anchors.update({k: np.asarray(v, dtype=float) for k, v in anchors.items()})
