"""Packaged assets: equal to a fresh generation, hash-checked, variants, CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from measure import endplate_normal
from meshes import DEFAULT_DIR, AssetError, build, load_anchors, load_manifest, load_structures, structure_ids
from meshes.assets import read_model


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh")
    build(out)
    return read_model(out)


def test_packaged_model_equals_fresh_generation(model, fresh):
    meshes, manifest = fresh
    assert list(meshes) == list(model)
    for sid, mesh in meshes.items():
        packaged = model[sid]
        assert mesh.n_cells == packaged.n_cells, sid
        np.testing.assert_allclose(mesh.points, packaged.points, atol=1e-3, err_msg=sid)
        np.testing.assert_array_equal(mesh.regular_faces, packaged.regular_faces, err_msg=sid)
    packaged_anchors = load_anchors()
    for key, value in manifest["anchors"].items():
        np.testing.assert_allclose(value, packaged_anchors[key], atol=1e-2, err_msg=key)


def test_manifest_carries_frame_units_sources_and_hashes():
    manifest = load_manifest()
    assert manifest["frame"]["units"] == "mm"
    assert "RAS" in manifest["frame"]["axes"]
    assert manifest["licence"]
    assert len(manifest["sources"]) > 10
    assert all(src["url"].startswith("http") for src in manifest["sources"])
    assert set(manifest["structures"]) == set(structure_ids())
    assert all(len(e["sha256"]) == 64 for e in manifest["structures"].values())


def test_corrupted_asset_is_detected_by_hash(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_DIR, copy)
    victim = copy / "rib_L9.npz"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(AssetError, match="rib_L9.npz"):
        read_model(copy)


def test_missing_manifest_is_reported(tmp_path):
    with pytest.raises(AssetError, match="manifest"):
        read_model(tmp_path)


@pytest.mark.parametrize("kwargs, word", [({"kyphosis_deg": 10}, "kyphosis_deg"), ({"kyphosis_deg": 80}, "kyphosis_deg"), ({"sex": "other"}, "sex")])
def test_bad_parameters_are_named(kwargs, word):
    with pytest.raises(ValueError, match=word):
        load_structures(**kwargs)


@pytest.mark.parametrize("kyphosis", [20.0, 70.0])
def test_kyphosis_variants_measure_their_cobb_angle(kyphosis):
    meshes = load_structures(kyphosis_deg=kyphosis)
    anchors = load_anchors(kyphosis_deg=kyphosis)
    n1 = endplate_normal(meshes["vertebra_T1"], anchors, "T1", superior=True)
    n12 = endplate_normal(meshes["vertebra_T12"], anchors, "T12", superior=False)
    cobb = np.degrees(np.arccos(np.clip(np.dot(n1, -n12), -1, 1)))
    assert abs(cobb - kyphosis) <= 2.0
    # a more kyphotic spine carries T1 further forward of T12
    assert len(meshes) == len(structure_ids())


def test_female_variant_is_smaller():
    male = load_structures()
    female = load_structures(sex="female")
    assert np.ptp(female["sternal_body"].points[:, 2]) < np.ptp(male["sternal_body"].points[:, 2])
    assert np.ptp(female["rib_R7"].points[:, 0]) < np.ptp(male["rib_R7"].points[:, 0])


def test_cli_lists_every_structure():
    out = subprocess.run([sys.executable, "-m", "viewer.cli", "structures"], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    for sid in structure_ids():
        assert any(line.split()[0] == sid for line in lines[1:-1]), sid
    row = next(line for line in lines if line.startswith("vertebra_T6 "))
    assert row.split()[1] == "vertebra" and int(row.split()[-1]) > 1000
    assert lines[-1].startswith(f"{len(structure_ids())} structures")


def test_cli_reports_bad_kyphosis():
    out = subprocess.run([sys.executable, "-m", "viewer.cli", "structures", "--kyphosis", "99"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "kyphosis" in out.stderr


def test_variant_cache_is_keyed_by_generator_version():
    import meshes

    path = meshes._cache_dir("female", 38.0)
    assert meshes.generator_fingerprint() in path.name
    assert path.name.endswith("female-k38.0")
