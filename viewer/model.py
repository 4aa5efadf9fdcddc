"""Process-wide, read-only model data shared by every session.

Meshes, anchors, structure metadata, the knowledge base and the packed
geometry for browsers are loaded once per process (lazily, on first use) and never
mutated; every session builds its own :class:`~viewer.scene.Scene` state on
top of them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyvista as pv

from .knowledge import KnowledgeSource
from .labels import infos_from_specs
from .serialize import PackedScene, cached_pack, model_key
from .state import StructureInfo


@dataclass(frozen=True)
class ModelData:
    """Shared model data (treat as read-only).

    Parameters
    ----------
    structures : mapping of str to pyvista.PolyData
        Meshes by structure id.
    infos : mapping of str to StructureInfo
        Group, level and side by structure id.
    anchors : mapping of str to (x, y, z)
        Named anchor points.
    knowledge : KnowledgeSource
        Conditions, treatments and structure texts.
    serialized : PackedScene
        The packed geometry sent to browsers (shared by every session).
    synthetic : bool
        True when the schematic demo geometry and knowledge are used.
    """

    structures: Mapping[str, pv.PolyData]
    infos: Mapping[str, StructureInfo]
    anchors: Mapping[str, tuple[float, float, float]]
    knowledge: KnowledgeSource
    serialized: PackedScene
    synthetic: bool


_MODELS: dict[bool, ModelData] = {}
_LOCK = threading.Lock()
_MODEL_DIR: Path | None = None


def use_model_dir(directory: str | Path | None) -> None:
    """Serve the model written in ``directory`` instead of the packaged default.

    The directory is read with :func:`meshes.assets.read_model` (every mesh
    checked against the SHA-256 in its manifest; anchors from the manifest).
    Call before the first :func:`load_model`; ``None`` restores the default.

    Parameters
    ----------
    directory : str or pathlib.Path or None
        A folder written by ``python -m meshes.build DIR``.
    """
    global _MODEL_DIR
    with _LOCK:
        _MODEL_DIR = Path(directory) if directory is not None else None
        _MODELS.pop(False, None)


def load_model(synthetic: bool = False) -> ModelData:
    """Load (once per process) the model data.

    Parameters
    ----------
    synthetic : bool, default: False
        Use the schematic demo geometry and demo knowledge base instead of
        ``meshes.load_structures()`` and ``annotations.load_knowledge()``.

    Returns
    -------
    ModelData
    """
    with _LOCK:
        if synthetic not in _MODELS:
            _MODELS[synthetic] = _load(synthetic)
        return _MODELS[synthetic]


def _load(synthetic: bool) -> ModelData:
    if synthetic:
        from ._demo import DemoKnowledge, synthetic_structures

        structures = synthetic_structures()
        anchors: dict = {}
        knowledge: KnowledgeSource = DemoKnowledge()
    else:
        import meshes

        from .knowledge import load_default_knowledge

        if not hasattr(meshes, "load_structures"):
            raise RuntimeError("meshes.load_structures() is not available in this checkout; "
                               "use the schematic demo model (serve.py --synthetic) until it lands")
        if _MODEL_DIR is not None:
            from meshes.assets import read_model

            structures, manifest = read_model(_MODEL_DIR)
            anchors = {k: tuple(v) for k, v in manifest.get("anchors", {}).items()}
        else:
            structures = meshes.load_structures()
            anchors = dict(meshes.load_anchors()) if hasattr(meshes, "load_anchors") else {}
        knowledge = load_default_knowledge(anchors)
    infos = infos_from_specs(structures)
    serialized = cached_pack(structures, model_key(structures))
    return ModelData(structures, infos, anchors, knowledge, serialized, synthetic)
