"""Serialized-scene cache and the bridge protocol, without a browser."""

from __future__ import annotations

import json

import pytest

from viewer._demo import synthetic_structures
from viewer.bridge import CachedVTKPane, SceneView
from viewer.labels import infos_from_specs
from viewer.scene import Scene, build_plotter
from viewer.serialize import ROOT_TOKEN, cached_scene, clear_cache, model_key, serialize_plotter


@pytest.fixture(scope="module")
def meshes():
    return synthetic_structures()


@pytest.fixture(scope="module")
def serialized(meshes):
    return cached_scene(model_key(meshes), lambda: (build_plotter(meshes, infos_from_specs(meshes)), list(meshes)))


def test_fast_serialization_matches_panel_arrays_and_drops_lookup_tables(meshes):
    import panel.pane.vtk.synchronizable_serializer as rws
    from panel.pane.vtk.vtk import VTKRenderWindowSynchronized

    pl = build_plotter(meshes, infos_from_specs(meshes))
    ours = serialize_plotter(pl, list(meshes))
    stock_scene, stock_arrays, _ = VTKRenderWindowSynchronized(pl.ren_win)._serialize_ren_win(
        pl.ren_win, rws.SynchronizationContext(id_root="x"))
    for h, data in ours.arrays.items():
        assert data == stock_arrays[h], "numpy id conversion must give Panel's bytes"
    stock_json = json.dumps(stock_scene)
    assert "setLookupTable" in stock_json and "setLookupTable" not in ours.template
    assert len(ours.template) < len(stock_json) / 4
    referenced = {h for h in stock_arrays if h in stock_json}
    assert set(ours.arrays) == referenced, "every geometry array is sent, colour tables are not"
    pl.close()


def test_cache_is_built_once_per_model_version(meshes, serialized):
    calls = []

    def build():
        calls.append(1)
        return build_plotter(meshes, infos_from_specs(meshes)), list(meshes)

    assert cached_scene(model_key(meshes), build) is serialized
    assert calls == []
    assert model_key(meshes) != model_key({**meshes, "rib_L9": meshes["rib_L8"]})


def test_instantiate_gives_unique_roots_and_resolvable_actor_ids(serialized, meshes):
    a, ids_a = serialized.instantiate()
    b, ids_b = serialized.instantiate()
    text_a = json.dumps(a)
    assert ROOT_TOKEN not in text_a
    assert set(ids_a) == set(meshes) and not set(ids_a.values()) & set(ids_b.values())
    for iid in ids_a.values():
        assert f'"id": "{iid}"' in text_a
    assert serialized.nbytes > 100_000


def test_clear_cache_forces_rebuild(meshes):
    small = {k: meshes[k] for k in list(meshes)[:3]}
    key = model_key(small)
    first = cached_scene(key, lambda: (build_plotter(small, infos_from_specs(small)), list(small)))
    clear_cache()
    second = cached_scene(key, lambda: (build_plotter(small, infos_from_specs(small)), list(small)))
    assert first is not second and first.template != ""


def _view(meshes, serialized):
    view = SceneView(Scene(meshes), serialized)
    sent = []
    view._send_msg = sent.append  # capture instead of a websocket
    return view, sent


def test_push_sends_only_what_changed(meshes, serialized):
    view, sent = _view(meshes, serialized)
    assert view.push() is None, "nothing changed yet"
    view.highlight([("rib_L9", "#4caf50", "primary")])
    first = sent[-1]
    assert set(first) >= {"styles", "camera", "labels", "seq"}
    assert first["styles"]["rib_L9"][:4] == [0.298, 0.686, 0.314, 1.0]
    assert len(json.dumps(first)) < 20_000
    view.scene.set_xray(False)
    assert view.push() is None
    view.scene.highlight([("rib_L8", "#4caf50")], frame=False)
    msg = view.push()
    assert set(msg["styles"]) == {"rib_L9", "rib_L8"} and "camera" not in msg
    assert len(json.dumps(msg)) < 1_500, "a highlight move is a tiny message"


def test_ready_resends_state_from_the_neutral_scene(meshes, serialized):
    view, sent = _view(meshes, serialized)
    view.scene.highlight([("disc_T6_T7", "#17bebb")])
    view._handle_msg({"type": "ready"})
    assert view.ready
    msg = sent[-1]
    assert {"styles", "camera", "labels", "markers"} <= set(msg)
    assert len(msg["styles"]) == len(meshes)


def test_pick_messages_are_validated(meshes, serialized):
    view, _ = _view(meshes, serialized)
    view._handle_msg({"type": "pick", "id": "vertebra_T6", "ms": 12})
    assert view.picked == {"id": "vertebra_T6", "ms": 12, "n": 1}
    view._handle_msg({"type": "pick", "id": "<img src=x onerror=alert(1)>", "ms": "x"})
    assert view.picked == {"id": None, "ms": None, "n": 2}
    view._handle_msg("garbage")
    assert view.picked["n"] == 2


def test_views_do_not_share_state(meshes, serialized):
    a, sent_a = _view(meshes, serialized)
    b, sent_b = _view(meshes, serialized)
    a.highlight([("rib_L9", "#4caf50")])
    assert b.scene.styles["rib_L9"][3] == 1.0 and sent_b == []
    assert a.actor_ids["rib_L9"] != b.actor_ids["rib_L9"]


def test_cached_pane_never_reserializes(meshes, serialized):
    view, _ = _view(meshes, serialized)
    pane = view.pane
    assert isinstance(pane, CachedVTKPane)
    with pytest.raises(RuntimeError):
        pane.synchronize()
    model = pane.get_root()
    assert model.scene["dependencies"] and set(model.arrays) == set(serialized.arrays)
