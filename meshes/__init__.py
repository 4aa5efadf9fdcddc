"""Geometry of the thoracic model: generator and packaged default assets.

>>> from meshes import load_structures
>>> structures = load_structures()          # packaged default model
>>> structures["vertebra_T6"].n_cells > 1000
True

Frame: millimetres, RAS (+x patient's right, +y anterior, +z superior),
origin at the centre of the inferior endplate of T12.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import pyvista as pv

from .assets import AssetError, read_manifest, read_model, write_model
from .ids import GROUPS, LEVELS, SEGMENTS, StructureSpec, structure_ids, structure_specs
from .params import measurements

__all__ = [
    "AssetError",
    "DEFAULT_DIR",
    "GROUPS",
    "LEVELS",
    "SEGMENTS",
    "StructureSpec",
    "build",
    "load_anchors",
    "load_manifest",
    "load_structures",
    "structure_ids",
    "structure_specs",
]

DEFAULT_DIR = Path(__file__).parent / "assets" / "default"
DEFAULT_SEX = "male"


def _default_kyphosis() -> float:
    return float(measurements()["spine"]["kyphosis_cobb_default"]["value"])


def _is_default(sex: str, kyphosis_deg: float | None) -> bool:
    return sex == DEFAULT_SEX and (kyphosis_deg is None or float(kyphosis_deg) == _default_kyphosis())


@lru_cache(maxsize=1)
def generator_fingerprint() -> str:
    """Short hash of the generator's code and measurements (keys the variant cache)."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted([*here.glob("*.py"), *(here / "data").glob("*.json")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _cache_dir(sex: str, kyphosis_deg: float) -> Path:
    root = Path(os.environ.get("THORACIC_VIEWER_CACHE", Path.home() / ".cache" / "thoracic-viewer"))
    return root / f"model-{generator_fingerprint()}-{sex}-k{kyphosis_deg:.1f}"


def build(directory: Path | str = DEFAULT_DIR, sex: str = DEFAULT_SEX, kyphosis_deg: float | None = None) -> dict:
    """Generate a model variant and write it to ``directory``.

    Returns
    -------
    dict
        The manifest written next to the meshes.
    """
    from .model import build_model

    model = build_model(sex, kyphosis_deg)
    params = {"sex": model.params.sex, "kyphosis_deg": model.params.kyphosis_deg}
    return write_model(model.meshes, model.anchors, Path(directory), params)


@lru_cache(maxsize=4)
def _load(sex: str, kyphosis_deg: float) -> tuple[dict[str, pv.PolyData], dict]:
    if _is_default(sex, kyphosis_deg):
        return read_model(DEFAULT_DIR)
    cache = _cache_dir(sex, kyphosis_deg)
    if not (cache / "manifest.json").is_file():
        build(cache, sex, kyphosis_deg)
    return read_model(cache)


def _key(sex: str, kyphosis_deg: float | None) -> tuple[str, float]:
    from .params import model_params

    params = model_params(sex, kyphosis_deg)  # validates the arguments
    return params.sex, params.kyphosis_deg


def load_structures(sex: str = DEFAULT_SEX, kyphosis_deg: float | None = None) -> dict[str, pv.PolyData]:
    """Return the model's meshes keyed by structure id.

    The default model (male, published normal kyphosis) ships with the
    package and loads in a fraction of a second; other variants are
    generated on first use (about a minute) and cached on disk.

    Parameters
    ----------
    sex : {"male", "female"}, default: "male"
        Which published measurement tables to use.
    kyphosis_deg : float, optional
        T1-T12 Cobb angle in degrees, 20-70.

    Returns
    -------
    dict of str to pyvista.PolyData
        Triangle surfaces with point normals, in the model frame (mm, RAS).
        Each call returns fresh copies, so callers may modify them.

    Examples
    --------
    >>> from meshes import load_structures
    >>> meshes = load_structures()
    >>> sorted(meshes)[:2]
    ['cartilage_L1', 'cartilage_L10']
    """
    meshes, _ = _load(*_key(sex, kyphosis_deg))
    return {k: v.copy() for k, v in meshes.items()}


def load_manifest(sex: str = DEFAULT_SEX, kyphosis_deg: float | None = None) -> dict:
    """Return the manifest (metadata, sources, hashes, anchors) of a model variant."""
    _, manifest = _load(*_key(sex, kyphosis_deg))
    return manifest


def load_anchors(sex: str = DEFAULT_SEX, kyphosis_deg: float | None = None) -> dict[str, tuple[float, float, float]]:
    """Return named anchor points such as ``"vertebra_T6.spinous_tip"`` in model coordinates."""
    manifest = load_manifest(sex, kyphosis_deg)
    return {k: tuple(v) for k, v in manifest["anchors"].items()}


def default_manifest_path() -> Path:
    """Path of the packaged default manifest."""
    return DEFAULT_DIR / "manifest.json"


def manifest_of(directory: Path | str) -> dict:
    """Read the manifest of any model directory."""
    return read_manifest(Path(directory))
