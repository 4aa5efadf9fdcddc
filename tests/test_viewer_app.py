"""App logic driven through parameters (synthetic model + demo knowledge)."""

from __future__ import annotations

import pytest

from viewer import styles
from viewer.app import SpineViewer


@pytest.fixture
def app():
    viewer = SpineViewer(synthetic=True)
    viewer.view3d._send_msg = lambda msg: None  # no browser attached
    return viewer


def test_default_is_neutral_oblique(app):
    assert app.scene.state.highlights == () and app.scene.state.view == "oblique"
    assert not app.w_message.visible
    assert "Choose a condition" in app.w_explain.object


def test_choosing_an_entry_highlights_and_explains(app):
    app.param.update(entry="slipping_rib_syndrome", level="R9", side="left")
    ids = app.scene.state.highlighted_ids
    assert ids == ["cartilage_L9", "rib_L9", "nerve_L9"]
    assert app.scene.styles["vertebra_T1"][3] == styles.FADE_OPACITY
    assert "Slipping rib syndrome" in app.w_explain.object and "CC9 L" in app.w_explain.object
    assert app.w_level.visible and app.w_level.value == "R9" and app.w_side.value == "left"
    assert app.w_condition.value == "slipping_rib_syndrome"
    assert [name for _, name in app.w_related.items]
    assert [lab.text for lab in app.scene.labels()] == ["CC9 L"]


def test_audience_switch_keeps_camera(app):
    app.entry = "facet_joint_pain"
    version = app.scene.camera_version
    app.audience = "student"
    assert app.scene.camera_version == version and "Student view" in app.w_explain.object


def test_treatment_markers(app):
    app.entry = "facet_injection"
    assert {m.kind for m in app.scene.markers} == {"path", "point"}
    app.entry = ""
    assert app.scene.markers == () and app.scene.state.highlights == ()


@pytest.mark.parametrize(("params", "needle"), [
    ({"entry": "no_such_entry"}, "Unknown condition or treatment"),
    ({"entry": "<script>alert(1)</script>"}, "&lt;script&gt;"),
    ({"entry": "x" * 5000}, "…"),
    ({"view": "sideways"}, "Unknown view"),
])
def test_bad_values_show_escaped_message_and_fall_back(app, params, needle):
    app.param.update(**params)
    assert app.w_message.visible and needle in app.w_message.object
    assert "<script>" not in app.w_message.object
    assert len(app.w_message.object) < 400
    assert app.scene.state.highlights == () and app.scene.state.view == "oblique"


def test_bad_level_and_side_fall_back_to_defaults(app):
    app.param.update(entry="slipping_rib_syndrome", level="R99", side="up")
    assert "Level" in app.w_message.object and "Side" in app.w_message.object
    assert app.scene.state.highlighted_ids[0] in {"cartilage_L8", "cartilage_L9", "cartilage_L10"}
    app.param.update(level="R10", side="right")
    assert not app.w_message.visible and app.scene.state.highlighted_ids[0] == "cartilage_R10"


def test_pick_identifies_structure_and_lists_entries(app):
    app.view3d._handle_msg({"type": "pick", "id": "facet_T5_T6_L", "ms": 5})
    assert "facet T5 T6 L" in app.w_identify.object
    assert "Facet joint pain" in [name for _, name in app.w_involved.items]
    app.w_involved._handle_msg("facet_joint_pain")  # a click on that button
    assert app.entry == "facet_joint_pain"
    app.w_involved._handle_msg("<script>")
    assert app.entry == "facet_joint_pain"
    app.view3d._handle_msg({"type": "pick", "id": None})
    assert "Nothing there" in app.w_identify.object


def test_sessions_are_independent():
    a, b = SpineViewer(synthetic=True), SpineViewer(synthetic=True)
    for v in (a, b):
        v.view3d._send_msg = lambda msg: None
    a.entry = "slipping_rib_syndrome"
    b.entry = "facet_joint_pain"
    assert a.scene is not b.scene and a.scene.meshes is b.scene.meshes  # geometry shared read-only
    assert "cartilage_L9" in a.scene.state.highlighted_ids
    assert "cartilage_L9" not in b.scene.state.highlighted_ids
    a.w_xray.value = True
    assert not b.scene.state.xray


def test_layer_widgets_drive_scene(app):
    assert app.w_layers == {}, "layer widgets are only built when their card opens"
    app.w_layer_card.collapsed = False
    show, alpha = app.w_layers["rib"]
    show.value = False
    assert not app.scene.styles["rib_L1"][4]
    app.w_isolate.value = True
    assert app.scene.state.isolate
    app.w_reset.clicks += 1
    assert app.scene.styles["rib_L1"][4] and not app.scene.state.isolate


def test_variants_are_listed_and_chosen_as_entry_dot_variant():
    """The real knowledge base: a variant is its own menu entry and URL value."""
    viewer = SpineViewer(synthetic=False)
    viewer.view3d._send_msg = lambda msg: None
    options = viewer.w_condition.groups
    flat = {v: k for group in options.values() for k, v in group.items()}
    assert "viscerosomatic_pain.liver_gallbladder" in flat and "viscerosomatic_pain" in flat
    viewer.param.update(entry="viscerosomatic_pain.liver_gallbladder")
    ids = set(viewer.scene.state.highlighted_ids)
    assert {"liver", "gallbladder", "subscapular_zone_R"} <= ids
    assert not any(i.endswith("_L") for i in ids), "the gallbladder variant is right-sided"
    assert not viewer.w_message.visible
    assert "gallbladder" in viewer.w_explain.object.lower()
    # the entry itself shows its default variant, with that variant's sides
    viewer.param.update(entry="myofascial_pain", level="", side="right")
    assert "rhomboid_major_R" in viewer.scene.state.highlighted_ids and not viewer.w_message.visible
    viewer.param.update(entry="myofascial_pain.no_such_variant")
    assert viewer.w_message.visible and "Unknown condition" in viewer.w_message.object
