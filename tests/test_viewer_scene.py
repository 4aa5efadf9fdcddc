"""Scene and state logic without a browser (synthetic meshes, never the real anatomy)."""

from __future__ import annotations

import numpy as np
import pytest

from meshes.ids import structure_ids
from viewer import styles
from viewer._demo import synthetic_structures
from viewer.camera import PRESETS, camera_for
from viewer.labels import short_label
from viewer.markers import Marker
from viewer.scene import Scene
from viewer.state import Highlight, SceneState, StructureInfo, compute_styles, style_diff

GREEN = "#4caf50"


@pytest.fixture(scope="module")
def meshes():
    return synthetic_structures()


@pytest.fixture
def scene(meshes):
    return Scene(meshes)


def test_every_structure_id_has_a_mesh_and_info(meshes, scene):
    assert set(meshes) == set(structure_ids())
    assert set(scene.infos) == set(meshes)
    assert {i.group for i in scene.infos.values()} <= set(styles.BASE_COLOURS)


def test_neutral_state_is_opaque_group_colours_with_soft_tissue_hidden(scene):
    assert styles.DEFAULT_HIDDEN_GROUPS <= set(styles.BASE_COLOURS)
    for sid, (r, g, b, a, vis) in scene.styles.items():
        group = scene.infos[sid].group
        colour = styles.STRUCTURE_COLOURS.get(sid, styles.BASE_COLOURS[group])
        assert (r, g, b) == styles.hex_to_rgb(colour)
        assert a == 1.0
        assert vis == (group not in styles.DEFAULT_HIDDEN_GROUPS), sid


def test_highlighted_soft_tissue_shows_see_through_and_supporting_roles_stay_faint(scene):
    scene.highlight([("rhomboid_major_R", GREEN, "primary"), ("trapezius_middle_R", GREEN, "secondary"),
                     ("subscapular_zone_R", GREEN, "referral"), ("pleura_R", GREEN, "caution")], frame=False)
    s = scene.styles
    assert s["rhomboid_major_R"][4] and s["trapezius_middle_R"][4] and s["pleura_R"][4]
    assert s["trapezius_middle_R"][3] < s["rhomboid_major_R"][3]
    assert s["subscapular_zone_R"][3] < 1.0 and s["pleura_R"][3] < 0.5
    assert not s["rhomboid_major_L"][4] and not s["liver"][4]  # the rest of the soft tissue stays hidden
    scene.set_group_visibility("organ", True)
    assert scene.styles["liver"][4]


def test_highlight_colours_roles_and_fades_the_rest(scene):
    diff = scene.highlight([("rib_L9", GREEN, "primary"), ("cartilage_L9", GREEN, "secondary"),
                            ("not_a_structure", GREEN, "primary")], frame=False)
    s = scene.styles
    assert s["rib_L9"][:4] == (*styles.hex_to_rgb(GREEN), 1.0)
    assert s["cartilage_L9"][:3] != s["rib_L9"][:3], "secondary is blended towards neutral"
    assert s["vertebra_T1"][3] == styles.FADE_OPACITY
    assert "not_a_structure" not in s
    assert set(diff) == set(s), "first highlight changes every structure (colour or fade)"
    assert scene.state.highlighted_ids == ["rib_L9", "cartilage_L9"]


def test_diff_is_small_when_only_the_highlight_moves(scene):
    scene.highlight([("rib_L9", GREEN)], frame=False)
    diff = scene.highlight([("rib_L8", GREEN)], frame=False)
    assert set(diff) == {"rib_L9", "rib_L8"}


def test_isolate_xray_layers(scene):
    scene.highlight([("disc_T6_T7", "#17bebb")], frame=False)
    scene.set_isolate(True)
    assert not scene.styles["vertebra_T6"][4] and scene.styles["disc_T6_T7"][4]
    scene.set_isolate(False)
    scene.clear()
    scene.set_xray(True)
    assert scene.styles["vertebra_T6"][3] == styles.XRAY_OPACITY
    assert scene.styles["spinal_cord"][3] == 1.0
    scene.set_group_visibility("nerve", False)
    assert not scene.styles["nerve_L3"][4]
    scene.set_group_opacity("cord", 0.4)
    assert scene.styles["spinal_cord"][3] == 0.4
    scene.reset()
    assert scene.state == SceneState()


def test_highlighted_structure_stays_visible_when_its_layer_is_hidden(scene):
    scene.set_group_visibility("nerve", False)
    scene.highlight([("nerve_L6", "#ffd400")], frame=False)
    assert scene.styles["nerve_L6"][4] and not scene.styles["nerve_L7"][4]


def test_camera_presets_look_from_the_named_side(scene):
    centre = np.asarray(scene.bounds).reshape(3, 2).mean(axis=1)
    expect = {"posterior": (1, -1), "anterior": (1, 1), "left": (0, -1), "right": (0, 1), "superior": (2, 1)}
    for view, (axis, sign) in expect.items():
        cam = scene.set_view(view)
        assert np.sign(cam.position[axis] - centre[axis]) == sign, view
    assert scene.state.view == "superior"
    with pytest.raises(KeyError):
        scene.set_view("sideways")


def test_default_view_is_posterior_three_quarter(scene):
    cam = scene.camera
    centre = np.asarray(scene.bounds).reshape(3, 2).mean(axis=1)
    d = np.asarray(cam.position) - centre
    assert d[1] < 0 and abs(d[0]) > 0.2 * abs(d[1]) and d[2] > 0


def test_frame_moves_focal_point_to_the_region(scene, meshes):
    scene.highlight([("rib_L9", GREEN)], frame=True)
    assert np.allclose(scene.camera.focal_point, np.asarray(meshes["rib_L9"].bounds).reshape(3, 2).mean(axis=1),
                       atol=1e-2)
    assert scene.camera_version >= 1


def test_labels_for_primary_highlights(scene):
    scene.highlight([("vertebra_T6", "#c2185b"), ("rib_L8", GREEN), ("nerve_L8", "#ffd400", "context")], frame=False)
    assert [lab.text for lab in scene.labels()] == ["T6", "Rib 8 L"]


@pytest.mark.parametrize(("sid", "group", "level", "side", "text"), [
    ("vertebra_T12", "vertebra", "T12", None, "T12"),
    ("rib_R1", "rib", "T1", "right", "Rib 1 R"),
    ("cartilage_L7", "cartilage", "T7", "left", "CC7 L"),
    ("facet_T5_T6_R", "joint", "T5-T6", "right", "T5–T6 facet R"),
    ("costotransverse_L3", "joint", "T3", "left", "CT3 L"),
    ("spinal_cord", "cord", None, None, "Cord"),
])
def test_short_labels(sid, group, level, side, text):
    assert short_label(StructureInfo(sid, group, level, side)) == text


def test_compute_styles_is_pure():
    infos = {"a": StructureInfo("a", "rib"), "b": StructureInfo("b", "disc")}
    state = SceneState(highlights=(Highlight("a", "#ff0000"),))
    assert compute_styles(infos, state) == compute_styles(infos, state)
    assert style_diff(compute_styles(infos, SceneState()), compute_styles(infos, state)).keys() == {"a", "b"}


def test_markers_message_and_mesh():
    point = Marker("point", ((1.0, 2.0, 3.0),), "#a3e635", "target", radius=5)
    path = Marker("path", ((0, 0, 0), (0, 10, 0)), "#ffffff")
    region = Marker("region", ((0, 0, 0),), "#93c5fd", radius=20)
    assert point.to_message()["points"] == [[1.0, 2.0, 3.0]]
    assert region.to_message()["half"] == [20.0, 20.0, 20.0] and region.opacity < 1
    for m in (point, path, region):
        assert m.to_mesh().n_points > 0
    with pytest.raises(ValueError):
        Marker("blob", ((0, 0, 0),), "#000000")


def test_camera_for_centres_and_backs_off():
    cam = camera_for((0, 10, 0, 10, 0, 10), "right")
    assert cam.focal_point == (5.0, 5.0, 5.0) and cam.position[0] > 10
    assert set(cam.to_vtkjs()) >= {"position", "focalPoint", "viewUp"}
    assert set(PRESETS) == {"oblique", "posterior", "anterior", "left", "right", "superior"}


@pytest.mark.render
def test_plotter_mirrors_state_and_screenshots(scene, tmp_path):
    pl = scene.plotter
    assert set(pl.actors) == set(scene.meshes), "one actor per structure id, named by it"
    scene.highlight([("rib_L9", GREEN)], frame=False)
    assert tuple(round(c, 3) for c in pl.actors["rib_L9"].prop.color.float_rgb) == styles.hex_to_rgb(GREEN)
    assert pl.actors["vertebra_T1"].prop.opacity == pytest.approx(styles.FADE_OPACITY)
    scene.set_markers([Marker("point", ((0, 0, 100),), "#a3e635")])
    assert "marker:0" in pl.actors
    img = scene.screenshot(tmp_path / "shot.png")
    assert img.shape[2] == 3 and (tmp_path / "shot.png").stat().st_size > 1000
    background = np.array([int(styles.BACKGROUND[i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(img.astype(int) - background).sum(axis=2) > 30).mean() > 0.02, "model pixels present"
    pl.close()


@pytest.mark.parametrize(("text", "short"), [
    ("Lower costal margin, ribs 8-10 (left): hooking manoeuvre site", "Lower costal margin"),
    ("Medial branch target: superolateral corner of the T6 transverse process (right)", "Medial branch target"),
    ("Strengthen: serratus anterior (left)", "Strengthen: serratus anterior"),
    ("Wall: abdominal muscles (left)", "Wall: abdominal muscles"),
    ("Needle to the T6 target (right)", "Needle to the T6 target"),
    ("Possible referral forward to the costochondral junction of rib 2 (right)", "Possible referral forward…"),
])
def test_marker_labels_are_short_phrases(text, short):
    from viewer.labels import MARKER_LABEL_LIMIT, short_text

    assert short_text(text) == short and len(short) <= MARKER_LABEL_LIMIT


def test_marker_labels_in_the_scene_are_short_and_full_text_is_kept(scene):
    long = "Medial branch target: superolateral corner of the T6 transverse process (right)"
    scene.set_markers([Marker("point", ((0, 0, 100),), "#a3e635", long)])
    assert [lab.text for lab in scene.labels()] == ["Medial branch target"]
    assert scene.markers[0].label == long


def test_label_boxes_do_not_overlap_and_stay_inside():
    from viewer.labels import place_labels

    anchors = [(200 + 3 * i, 150 + 2 * i) for i in range(8)]  # a crowded cluster
    sizes = [(90, 18)] * 8
    boxes = place_labels(anchors, sizes, 500, 400)
    for i, (x, y, w, h) in enumerate(boxes):
        assert 0 <= x and 0 <= y and x + w <= 500 and y + h <= 400
        for xx, yy, ww, hh in boxes[i + 1:]:
            assert x + w <= xx or xx + ww <= x or y + h <= yy or yy + hh <= y, "boxes overlap"


def test_label_ink_reads_on_white():
    assert styles.ink("#2b6cb0") == "#2b6cb0", "dark colours are kept"
    for light in ("#ffffff", "#ffd400", "#a3e635"):
        r, g, b = styles.hex_to_rgb(styles.ink(light))
        assert 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.6


def test_joints_fade_further_than_bones(scene):
    scene.highlight([("rib_L9", GREEN)], frame=False)
    s = scene.styles
    assert s["facet_T5_T6_L"][3] == styles.FADE_OPACITY_BY_GROUP["joint"] < s["vertebra_T6"][3] == styles.FADE_OPACITY


def test_set_camera_is_public_and_validated(scene):
    from viewer.camera import CameraState

    cam = CameraState((0.0, -500.0, 100.0), (0.0, 0.0, 100.0), (0.0, 0.0, 1.0))
    version = scene.camera_version
    assert scene.set_camera(cam) == cam and scene.camera == cam and scene.camera_version == version + 1
    with pytest.raises(TypeError):
        scene.set_camera(((0, 0, 0), (0, 0, 1), (0, 1, 0)))


@pytest.mark.render
def test_screenshot_size_labels_and_png(scene, tmp_path):
    import io

    from PIL import Image

    from viewer.scene import encode_png

    scene.highlight([("rib_L9", GREEN)], frame=True)
    plain = scene.screenshot(window_size=(320, 200))
    labelled = scene.screenshot(window_size=(320, 200), labels=True)
    assert plain.shape == labelled.shape == (200, 320, 3)
    assert (np.abs(plain.astype(int) - labelled.astype(int)).sum(axis=2) > 30).sum() > 100, "labels drawn"
    again = scene.screenshot(window_size=(320, 200))
    assert np.array_equal(plain, again), "the labels are removed after the shot"
    png = encode_png(labelled)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), labelled)
    scene.close()
    assert scene._plotter is None and scene.screenshot(window_size=(64, 48)).shape == (48, 64, 3)
    scene.close()
