"""Packed geometry, the export serializer and the bridge protocol, without a browser."""

from __future__ import annotations

import json
import re
import zlib

import numpy as np
import pytest

from viewer._demo import synthetic_structures
from viewer.bridge import CachedVTKPane, SceneView, decode_styles
from viewer.labels import infos_from_specs
from viewer.scene import Scene, build_plotter
from viewer.serialize import (ROOT_TOKEN, cached_pack, cached_scene, clear_cache, model_key, pack_structures,
                              serialize_plotter, unpack_points)


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


@pytest.fixture(scope="module")
def packed(meshes):
    return cached_pack(meshes)


def test_pack_round_trips_geometry_within_a_hundredth_of_a_millimetre(meshes, packed):
    header = packed.header()
    assert header["version"] == 1 and [e["id"] for e in header["structures"]] == list(meshes)
    raw = packed.raw
    base = 4 + int.from_bytes(raw[:4], "little")
    for entry in header["structures"]:
        mesh = meshes[entry["id"]]
        assert entry["n_points"] == mesh.n_points and entry["n_tris"] == mesh.n_cells
        assert np.abs(unpack_points(packed, entry["id"]) - np.asarray(mesh.points)).max() < 0.01
        tris = np.frombuffer(raw, entry["index"], entry["n_tris"] * 3, base + entry["tris"]).reshape(-1, 3)
        assert np.array_equal(tris, mesh.faces.reshape(-1, 4)[:, 1:])
        n8 = np.frombuffer(raw, np.int8, entry["n_points"] * 3, base + entry["normals"]).reshape(-1, 3)
        assert np.abs(n8 / 127.0 - mesh.point_data["Normals"]).max() <= 0.5 / 127 + 1e-6
        assert all(entry[k] % 4 == 0 for k in ("points", "tris", "normals")), "typed-array views need alignment"
    assert packed.raw_size == len(raw) and zlib.decompress(packed.data) == raw
    assert packed.n_triangles == sum(m.n_cells for m in meshes.values())


def test_pack_is_much_smaller_than_panels_scene(meshes, packed, serialized):
    assert packed.nbytes < serialized.nbytes / 3


def test_pack_is_cached_per_model_version(meshes, packed):
    assert cached_pack(meshes) is packed
    small = {k: meshes[k] for k in list(meshes)[:2]}
    assert cached_pack(small) is not packed and cached_pack(small).key == model_key(small)


def test_pack_rejects_non_triangles():
    import pyvista as pv

    with pytest.raises(ValueError, match="triangle"):
        pack_structures({"quad": pv.Plane(i_resolution=1, j_resolution=1)})


def _view(meshes, packed, **params):
    view = SceneView(Scene(meshes), packed, **params)
    sent = []
    view._send_msg = sent.append  # capture instead of a websocket
    return view, sent


def test_boot_message_carries_the_whole_initial_state(meshes, packed):
    scene = Scene(meshes)
    scene.highlight([("rib_L9", "#4caf50", "primary")])
    view = SceneView(scene, packed)
    boot = view.boot
    styles = decode_styles(boot["styles"], packed.ids)
    assert boot["seq"] == 1 and set(styles) == set(meshes)
    assert styles["rib_L9"][:4] == [0.298, 0.686, 0.314, 1.0]
    assert len(boot["styles"]) < 40, "structures sharing a style are sent once"
    assert boot["camera"]["focalPoint"] == list(scene.camera.focal_point)
    assert [lab["text"] for lab in boot["labels"]] == ["Rib 9 L"]
    assert set(boot["material"]) >= {"ambient", "diffuse", "specular"} and boot["background"].startswith("#")
    assert view.geometry is packed.data, "every session shares the packed bytes"
    assert view.geometry_raw == b"", "the inflated copy is only sent on request"


def test_push_sends_only_what_changed(meshes, packed):
    view, sent = _view(meshes, packed)
    assert view.push() is None, "nothing changed yet"
    view.highlight([("rib_L9", "#4caf50", "primary")])
    first = sent[-1]
    assert set(first) >= {"styles", "camera", "labels", "seq"} and first["seq"] == 2
    styles = decode_styles(first["styles"], packed.ids)
    assert len(styles) == len(meshes), "the first highlight fades everything else"
    assert styles["rib_L9"][:4] == [0.298, 0.686, 0.314, 1.0]
    assert len(json.dumps(first)) < 2_000, "...and still fits in 2 kB"
    view.scene.set_xray(False)
    assert view.push() is None
    view.scene.highlight([("rib_L8", "#4caf50")], frame=False)
    msg = view.push()
    assert set(decode_styles(msg["styles"], packed.ids)) == {"rib_L9", "rib_L8"} and "camera" not in msg
    assert len(json.dumps(msg)) < 500, "a highlight move is a tiny message"


def test_ready_is_quiet_when_the_browser_is_up_to_date(meshes, packed):
    view, sent = _view(meshes, packed)
    view._handle_msg({"type": "ready", "seq": 1, "size": [900, 600], "ms": {"total_ms": 812, "bad": "x"}})
    assert view.ready and sent == [], "the boot state is already drawn: no second frame"
    assert view.viewport == (900, 600) and view.timings == {"total_ms": 812.0}


def test_ready_resends_everything_to_a_view_that_started_earlier(meshes, packed):
    view, sent = _view(meshes, packed)
    view.scene.highlight([("disc_T6_T7", "#17bebb")])
    view.push()  # lost: no browser view yet
    view._handle_msg({"type": "ready", "seq": 1})
    msg = sent[-1]
    assert {"styles", "camera", "labels", "markers", "pick"} <= set(msg)
    assert set(decode_styles(msg["styles"], packed.ids)) == set(meshes) and msg["seq"] == 3
    assert view.push() is None, "state is in sync again"


def test_pick_messages_are_validated(meshes, packed):
    view, _ = _view(meshes, packed)
    view._handle_msg({"type": "pick", "id": "vertebra_T6", "ms": 12, "position": [1, 2, 3]})
    assert view.picked == {"id": "vertebra_T6", "ms": 12, "n": 1, "position": (1.0, 2.0, 3.0)}
    view._handle_msg({"type": "pick", "id": "<img src=x onerror=alert(1)>", "ms": "x", "position": "x"})
    assert view.picked == {"id": None, "ms": None, "n": 2, "position": None}
    view._handle_msg("garbage")
    assert view.picked["n"] == 2


def test_browser_camera_moves_update_the_scene_without_an_echo(meshes, packed):
    view, sent = _view(meshes, packed)
    cam = {"type": "camera", "position": [10.0, -900.0, 200.0], "focalPoint": [0.0, 0.0, 150.0],
           "viewUp": [0.0, 0.0, 1.0], "viewAngle": 30.0, "size": [1000, 700]}
    view._handle_msg(cam)
    assert view.scene.camera.position == (10.0, -900.0, 200.0) and view.viewport == (1000, 700)
    assert view.push() is None, "the browser already shows that camera"
    before = view.scene.camera
    for bad in ({**cam, "position": [1, 2]}, {**cam, "viewUp": [0, 0, "x"]}, {**cam, "position": [0.0, 0.0, 150.0]},
                {**cam, "viewAngle": 1e9}, {**cam, "focalPoint": [float("nan"), 0, 0]}):
        view._handle_msg(bad)
        assert view.scene.camera == before


def test_pick_label_is_a_small_message_and_cleared_once(meshes, packed):
    view, sent = _view(meshes, packed)
    view.show_pick("vertebra T6", (1.0, 2.0, 3.0))
    assert sent[-1]["pick"] == {"text": "vertebra T6", "position": [1.0, 2.0, 3.0]} and "styles" not in sent[-1]
    view.hide_pick()
    view.highlight([("rib_L9", "#4caf50")])  # the label goes with the next update, not in a message of its own
    assert sent[-1]["pick"] is None and "styles" in sent[-1] and len(sent) == 2
    view.show_pick("")
    assert len(sent) == 2, "nothing to hide"


def test_raw_geometry_is_sent_only_when_asked(meshes, packed):
    view, _ = _view(meshes, packed)
    view._handle_msg({"type": "raw"})
    assert view.geometry_raw == packed.raw


def test_views_do_not_share_state(meshes, packed):
    a, sent_a = _view(meshes, packed)
    b, sent_b = _view(meshes, packed)
    a.highlight([("rib_L9", "#4caf50")])
    assert b.scene.styles["rib_L9"][3] == 1.0 and sent_b == []
    assert a.geometry is b.geometry


def test_cached_pane_never_reserializes(serialized):
    scene_dict, _ = serialized.instantiate()
    pane = CachedVTKPane(scene_dict, dict(serialized.arrays))
    with pytest.raises(RuntimeError):
        pane.synchronize()
    model = pane.get_root()
    assert model.scene["dependencies"] and set(model.arrays) == set(serialized.arrays)


def test_standalone_html_embeds_everything_and_escapes_text(meshes):
    from viewer.bridge import standalone_html

    scene = Scene(meshes)
    scene.highlight([("rib_L9", "#4caf50")])
    page = standalone_html(scene, title="<b>Rib</b> & co", note="Education only.")
    assert "<title>&lt;b&gt;Rib&lt;/b&gt; &amp; co</title>" in page
    assert page.lower().count("</script") == 2, "nothing closes the two inline scripts early"
    skeleton = re.sub(r"<script>.*?</script>", "<script></script>", page, flags=re.DOTALL)
    external = re.findall(r"""(?:src|href)=["'](?!data:)[^"']*""", skeleton)
    assert external == [], "no external resource: the page works offline"
    view = json.loads(re.search(r"const view = (\{.*?\})\n", page).group(1))
    assert decode_styles(view["boot"]["styles"], cached_pack(meshes).ids)["rib_L9"][:4] == [0.298, 0.686, 0.314, 1.0]
