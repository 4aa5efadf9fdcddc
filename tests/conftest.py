"""Shared fixtures: the packaged model, its anchors, and published reference values."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def _dev_model_dir() -> Path | None:
    # THORACIC_TEST_MODEL_DIR points the fixtures at a model written by
    # ``python -m meshes.build DIR`` (used while developing the generator).
    value = os.environ.get("THORACIC_TEST_MODEL_DIR")
    return Path(value) if value else None


@pytest.fixture(scope="session")
def model():
    """Meshes of the packaged default model keyed by structure id."""
    if _dev_model_dir() is not None:
        from meshes.assets import read_model

        return read_model(_dev_model_dir())[0]
    from meshes import load_structures

    return load_structures()


@pytest.fixture(scope="session")
def anchors():
    """Anchor points of the packaged default model."""
    if _dev_model_dir() is not None:
        from meshes.assets import read_model

        manifest = read_model(_dev_model_dir(), verify=False)[1]
        return {k: tuple(v) for k, v in manifest["anchors"].items()}
    from meshes import load_anchors

    return load_anchors()


@pytest.fixture(scope="session")
def reference():
    """Published values copied into tests/data with their sources."""
    with (Path(__file__).parent / "data" / "reference_values.json").open() as fh:
        return json.load(fh)
