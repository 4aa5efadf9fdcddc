"""Notebook API: viewer.show() and SpineScene (schematic demo model; no pixels here)."""

from __future__ import annotations

import pytest

import viewer
from viewer import styles
from viewer.camera import camera_for
from viewer.spec import SceneSpec, SpecError

GREEN = styles.hex_to_rgb("#4caf50")


@pytest.fixture
def scene():
    return viewer.SpineScene(synthetic=True)


def test_import_is_cheap_and_lazy():
    import subprocess
    import sys

    code = "import sys, viewer; print('panel' in sys.modules, 'pyvista' in sys.modules, callable(viewer.show))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]


def test_show_is_the_web_app_at_that_url_state():
    app = viewer.show("slipping_rib_syndrome", level="R9", side="left", synthetic=True)
    from viewer.app import SpineViewer

    assert isinstance(app, SpineViewer)
    assert (app.entry, app.level, app.side, app.view) == ("slipping_rib_syndrome", "R9", "left", "oblique")
    assert app.scene.state.highlighted_ids == ["cartilage_L9", "rib_L9", "nerve_L9"]
    assert "Slipping rib syndrome" in app.w_explain.object
    from panel.config import panel_extension

    assert "vtk" in panel_extension._loaded_extensions, "pn.extension('vtk') was called for the user"
    same = viewer.show("?highlight=slipping_rib_syndrome&level=R9&side=left", synthetic=True)
    assert same.scene.styles == app.scene.styles and same.scene.camera == app.scene.camera


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"highlight": "nope"}, "unknown highlight 'nope'"),
    ({"highlight": "slipping_rib_syndrome", "level": "R2"}, "level 'R2' does not apply"),
    ({"highlight": "slipping_rib_syndrome", "side": "up"}, "unknown side 'up'"),
    ({"highlight": "slipping_rib_syndrome", "view": "sideways"}, "unknown view 'sideways'"),
])
def test_show_rejects_bad_values(kwargs, needle):
    with pytest.raises(SpecError, match=needle):
        viewer.show(synthetic=True, **kwargs)


def test_highlight_an_entry_like_the_app(scene):
    scene.highlight("slipping_rib_syndrome", level="R9", side="left")
    assert scene.highlighted == ["cartilage_L9", "rib_L9", "nerve_L9"]
    assert scene.scene.styles["cartilage_L9"][:3] == GREEN
    assert scene.scene.styles["vertebra_T1"][3] == styles.FADE_OPACITY
    assert scene.legend().title == "Slipping rib syndrome · rib 9 · left side"
    scene.highlight("facet_joint_pain")  # replaces the entry
    assert "cartilage_L9" not in scene.highlighted


def test_structures_with_colours_add_up(scene):
    scene.highlight({"rib_L6": "orange", "rib_R6": "#3b82f6"})
    scene.highlight(["vertebra_T6"], colour="gold", role="secondary")
    s = scene.scene.styles
    assert s["rib_L6"][:3] == styles.hex_to_rgb("#ffa500")
    assert s["rib_R6"][:3] == styles.hex_to_rgb("#3b82f6")
    assert s["vertebra_T6"][:3] != styles.hex_to_rgb("#ffd700"), "secondary is blended toward neutral"
    assert scene.highlighted == ["rib_L6", "rib_R6", "vertebra_T6"]
    scene.highlight("slipping_rib_syndrome")
    assert {"rib_L6", "cartilage_L9"} <= set(scene.highlighted), "entry and structures combine"
    scene.clear()
    assert scene.highlighted == [] and scene.scene.markers == ()


@pytest.mark.parametrize(("call", "needle"), [
    (lambda s: s.highlight("nope"), "neither a condition or treatment"),
    (lambda s: s.highlight(["rib_L99"]), "unknown structure 'rib_L99'"),
    (lambda s: s.highlight("rib_L9", level="R9"), "level and side apply to a condition"),
    (lambda s: s.highlight(["rib_L9"], colour="blurple"), "'blurple' is not a colour"),
    (lambda s: s.highlight(["rib_L9"], role="hero"), "unknown role 'hero'"),
    (lambda s: s.set_opacity("ligament", 0.5), "unknown group 'ligament'"),
    (lambda s: s.set_opacity("rib", 2), "not in 0-1"),
    (lambda s: s.set_view("sideways"), "unknown view 'sideways'"),
    (lambda s: s.add_label("nope"), "unknown structure 'nope'"),
    (lambda s: s.screenshot(width=4001), "width 4001 is out of range"),
])
def test_bad_calls_raise_spec_errors(scene, call, needle):
    with pytest.raises(SpecError, match=needle):
        call(scene)


def test_layers_modes_view_and_labels(scene):
    scene.set_opacity("rib", 0.4).set_opacity({"disc": 0.5}).set_visible(["nerve", "cord"], False)
    scene.set_mode(xray=True, fade=False)
    s = scene.scene.styles
    assert s["rib_L3"][3] == 0.18 and s["disc_T6_T7"][3] == 0.5 and not s["nerve_L3"][4]
    scene.highlight(["rib_L3"]).set_view("posterior")
    assert scene.spec.view == "posterior" and scene.scene.styles["rib_L3"][3] == 1.0
    scene.add_label("vertebra_T6", "T6").add_label("rib_R2")
    texts = [lab.text for lab in scene.scene.labels()]
    assert "T6" in texts and "Rib 2 R" in texts


def test_spec_round_trip_reproduces_the_scene(scene):
    scene.highlight("facet_joint_pain", level="T6-T7", side="right").highlight({"rib_R7": "#3b82f6"})
    scene.set_opacity("rib", 0.5).set_visible("nerve", False).set_view("posterior").add_label("vertebra_T6", "T6")
    scene.set_figure(size=(800, 600), legend=False, title="Fig. 1")
    spec = scene.spec
    assert spec.camera is None, "the camera follows from highlight and view, so it is not frozen into the spec"
    again = viewer.SpineScene.from_spec(spec.to_dict(), synthetic=True)
    assert again.spec == spec
    assert again.scene.styles == scene.scene.styles
    assert again.scene.camera == scene.scene.camera
    assert again.scene.markers == scene.scene.markers


def test_explicit_and_plotter_cameras_are_kept_in_the_spec(scene):
    scene.highlight(["rib_L6"])
    framed = scene.scene.camera
    scene.set_camera((0.0, -700.0, 150.0), (0.0, 0.0, 150.0))
    assert scene.spec.camera.position == (0.0, -700.0, 150.0)
    again = viewer.SpineScene(scene.spec, synthetic=True)
    assert again.scene.camera == scene.scene.camera
    scene.set_view("oblique")
    assert scene.spec.camera is None and scene.scene.camera == framed, "a preset reframes the highlight"
    scene.plotter.camera.zoom(1.5)  # a move made directly on the PyVista plotter
    cam = scene.spec.camera
    assert cam is not None and cam.view_angle < 30.0
    assert viewer.SpineScene(scene.spec, synthetic=True).camera == cam


def test_clear_keeps_the_camera_and_the_spec_says_so(scene):
    scene.highlight(["rib_L6"]).clear()
    assert scene.spec.camera == scene.scene.camera
    assert viewer.SpineScene(scene.spec, synthetic=True).scene.camera == scene.scene.camera
    scene.reset()
    assert scene.spec.camera is None and scene.scene.camera == camera_for(scene.scene.bounds, "oblique")


def test_panel_view_follows_later_changes(scene):
    import panel as pn

    from viewer.bridge import SceneView

    layout = scene.panel()
    assert isinstance(layout, pn.Row)
    view = next(o for o in layout.objects if isinstance(o, SceneView))
    sent = []
    view._send_msg = sent.append
    scene.highlight("slipping_rib_syndrome", level="R9", side="left")
    assert sent and {"styles", "camera", "labels"} <= set(sent[-1]), "the view is told about the new state"
    count = len(sent)
    scene.set_visible("vertebra", False)  # (rib opacity would not show: faded ribs are fainter already)
    assert len(sent) == count + 1 and "styles" in sent[-1] and "camera" not in sent[-1]
    side = layout.objects[0]
    assert "Slipping rib syndrome" in side.object
    assert isinstance(scene.__panel__(), pn.viewable.Viewable)
    bundle = scene._repr_mimebundle_()
    assert bundle and "text/html" in (bundle[0] if isinstance(bundle, tuple) else bundle)


def test_spec_round_trips_through_an_exported_png(scene, tmp_path):
    scene.highlight("intercostal_neuralgia", side="left").set_figure(size=(320, 240))
    path = tmp_path / "cc.png"
    img = scene.screenshot(path, labels=False)
    assert img.shape == (240, 320, 3)
    spec = viewer.load_spec(path)
    assert spec == scene.spec.with_(labels=False)
    assert viewer.SpineScene.from_spec(path, synthetic=True).scene.styles == scene.scene.styles


def test_repr_and_public_names():
    assert set(viewer.__all__) == {"SceneSpec", "SpecError", "SpineScene", "load_spec", "show"}
    assert "SpineScene(highlight='intercostal_neuralgia'" in repr(
        viewer.SpineScene(SceneSpec(highlight="intercostal_neuralgia"), synthetic=True))


@pytest.mark.render
@pytest.mark.parametrize("module", ["viewer.spec", "viewer.notebook", "viewer.export"])
def test_docstring_examples_run(module):
    """The Examples sections are runnable (real model, off-screen)."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
