"""glTF binary, STL and OBJ exports, re-loaded with trimesh."""

from __future__ import annotations

import re

import numpy as np
import pytest

import viewer
from viewer import styles
from viewer.export import GLTF_UP

trimesh = pytest.importorskip("trimesh")


@pytest.fixture(scope="module")
def scene():
    s = viewer.SpineScene().highlight("slipping_rib_syndrome", level="R9", side="left")
    return s.highlight({"vertebra_T6": "#ff00ff"}).set_visible("nerve", False)


@pytest.fixture(scope="module")
def glb(scene, tmp_path_factory):
    path = tmp_path_factory.mktemp("glb") / "scene.glb"
    scene.save(path)
    return trimesh.load(path, force="scene")


def test_one_named_node_per_visible_structure(scene, glb):
    visible = {sid for sid, st in scene.scene.styles.items() if st[4]}
    markers = {f"marker_{i}" for i in range(1, len(scene.scene.markers) + 1)}
    assert set(glb.graph.nodes_geometry) == visible | markers
    assert "nerve_L3" not in glb.graph.nodes, "hidden layers are left out"
    assert "nerve_L9" in glb.graph.nodes, "a highlighted structure stays even if its layer is hidden"
    for sid in ("vertebra_T6", "rib_L1", "cartilage_L9"):
        _, geom = glb.graph[sid]
        assert geom == sid


def test_colours_and_opacity_are_the_scenes(scene, glb):
    current = scene.scene.styles
    for sid in ("vertebra_T6", "cartilage_L9", "rib_R4", "vertebra_T1"):
        r, g, b, opacity, _ = current[sid]
        rgba = np.asarray(glb.geometry[sid].visual.material.baseColorFactor, dtype=float)
        assert np.allclose(rgba, [r * 255, g * 255, b * 255, opacity * 255], atol=1.0), sid
    assert np.allclose(glb.geometry["vertebra_T6"].visual.material.baseColorFactor, [255, 0, 255, 255], atol=1)
    assert glb.geometry["rib_R4"].visual.material.alphaMode == "BLEND"
    assert glb.geometry["vertebra_T6"].visual.material.alphaMode == "OPAQUE"
    assert styles.FADE_OPACITY * 255 - 1 <= glb.geometry["rib_R4"].visual.material.baseColorFactor[3]


def test_geometry_is_in_model_millimetres(scene, glb):
    for sid in ("vertebra_T6", "rib_L9", "sternal_body"):
        mesh = scene.scene.meshes[sid]
        got = glb.geometry[sid]
        assert np.allclose(got.bounds.ravel(), np.asarray(mesh.bounds).reshape(3, 2).T.ravel(), atol=1e-3)
        assert len(got.faces) == mesh.n_cells
    extent = glb.geometry["vertebra_T6"].extents
    assert 20 < extent.max() < 150, "a thoracic vertebra is centimetres wide: the unit is mm"
    transform, _ = glb.graph["vertebra_T6"]
    assert np.allclose(transform, GLTF_UP), "the root node turns RAS (z up) into glTF's y up"
    assert glb.metadata["units"] == "mm" and glb.metadata["spec"]["highlight"] == "slipping_rib_syndrome"


def test_model_frame_without_the_upright_node(scene, tmp_path):
    path = tmp_path / "ras.glb"
    scene.save_gltf(path, upright=False)
    loaded = trimesh.load(path, force="scene")
    visible = [m for sid, m in scene.scene.meshes.items() if scene.scene.styles[sid][4]]
    lo = np.min([np.asarray(m.bounds)[0::2] for m in visible], axis=0)
    hi = np.max([np.asarray(m.bounds)[1::2] for m in visible], axis=0)
    assert np.all(loaded.bounds[0] <= lo + 1e-3) and np.all(loaded.bounds[1] >= hi - 1e-3)


def test_stl_of_selected_structures_in_mm(scene, tmp_path):
    path = tmp_path / "t6.stl"
    scene.save_mesh(path, ["vertebra_T6", "vertebra_T7"])
    mesh = trimesh.load(path)
    want = np.vstack([np.asarray(scene.scene.meshes[s].bounds).reshape(3, 2).T for s in ("vertebra_T6", "vertebra_T7")])
    assert np.allclose(mesh.bounds, [want.min(axis=0), want.max(axis=0)], atol=1e-3)
    assert len(mesh.faces) == sum(scene.scene.meshes[s].n_cells for s in ("vertebra_T6", "vertebra_T7"))


def test_obj_defaults_to_the_highlighted_structures_with_colours(scene, tmp_path):
    path = tmp_path / "highlight.obj"
    scene.save(path)
    text = path.read_text()
    objects = re.findall(r"^o (\S+)", text, flags=re.M)
    assert objects == scene.highlighted
    mtl = (tmp_path / "highlight.mtl").read_text()
    assert "mtllib highlight.mtl" in text and "newmtl vertebra_T6" in mtl and "Kd 1.0" in mtl
    loaded = trimesh.load(path, force="scene")
    assert set(loaded.geometry) >= set(scene.highlighted)


def test_unknown_structure_writes_nothing(scene, tmp_path):
    with pytest.raises(viewer.SpecError, match="unknown structure 'rib_L99'"):
        scene.save_mesh(tmp_path / "x.stl", ["rib_L99"])
    with pytest.raises(ValueError, match="save_mesh writes .stl or .obj"):
        scene.save_mesh(tmp_path / "x.glb")
    assert list(tmp_path.iterdir()) == []

