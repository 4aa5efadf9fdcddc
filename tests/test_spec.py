"""Scene specs: plain data round trips, validation, and equivalence with the web app's URL state."""

from __future__ import annotations

import json

import pytest

from viewer.camera import PRESETS, CameraState
from viewer.spec import SceneSpec, SpecError, check_url_state, load_spec, validate
from viewer.state import Highlight

FULL = SceneSpec(
    highlight="slipping_rib_syndrome", level="R9", side="left", view="posterior",
    structures=(Highlight("rib_R6", "#3b82f6", "secondary"),), hidden=("nerve",), opacity=(("rib", 0.4),),
    xray=True, isolate=False, fade=True, camera=CameraState((1.0, -900.0, 100.0), (0.0, 0.0, 100.0), (0, 0, 1), 25.0),
    labels=False, legend=True, title="Figure 2", size=(1200, 800), transparent=True,
)


@pytest.fixture(scope="module")
def data():
    from viewer.model import load_model

    return load_model(synthetic=True)


@pytest.fixture(scope="module")
def entries(data):
    return {e.id: e for e in data.knowledge.entries()}


def test_dict_and_json_round_trip_every_field(tmp_path):
    assert SceneSpec.from_dict(FULL.to_dict()) == FULL
    assert SceneSpec.from_dict(json.loads(json.dumps(FULL.to_dict()))) == FULL
    path = tmp_path / "fig.json"
    FULL.to_json(path)
    assert load_spec(path) == FULL == load_spec(str(path)) == load_spec(path.read_text())
    assert set(FULL.to_dict()) == set(SceneSpec().to_dict()), "every field is written, always"


def test_defaults_and_partial_dicts():
    spec = SceneSpec.from_dict({"highlight": "costochondritis"})
    assert spec == SceneSpec(highlight="costochondritis")
    assert (spec.view, spec.size, spec.labels, spec.legend, spec.camera) == ("oblique", (1600, 1200), True, True, None)


def test_url_and_spec_are_two_forms_of_the_same_state():
    url = "http://127.0.0.1:5006/?highlight=facet_joint_pain&level=T6-T7&side=right&view=posterior&other=1"
    spec = SceneSpec.from_url(url)
    assert spec == SceneSpec(highlight="facet_joint_pain", level="T6-T7", side="right", view="posterior")
    assert SceneSpec.from_url("?" + spec.to_query()) == spec
    assert load_spec(url) == spec
    assert SceneSpec().to_query() == "", "the default state has an empty query, like the app's URL"
    assert spec.app_params() == {"entry": "facet_joint_pain", "level": "T6-T7", "side": "right", "view": "posterior"}


@pytest.mark.parametrize(("data", "needle"), [
    ({"colour": "red"}, "unknown key 'colour'; choose one of: version, highlight"),
    ({"version": 2}, "unknown version 2; choose one of: 1"),
    ({"view": "sideways"}, "unknown view 'sideways'; choose one of: " + ", ".join(PRESETS)),
    ({"side": "up"}, "unknown side 'up'; choose one of: left, right, both"),
    ({"size": [5000, 100]}, "width 5000 is out of range; choose 16-4000"),
    ({"size": [100, 8]}, "height 8 is out of range"),
    ({"size": "big"}, "size 'big' must be a list"),
    ({"structures": [{"id": "rib_L1", "colour": "not-a-colour"}]}, "'not-a-colour' is not a colour"),
    ({"structures": [{"id": "rib_L1", "colour": "#ff0000", "role": "hero"}]}, "unknown role 'hero'"),
    ({"structures": [{"colour": "#ff0000"}]}, "needs a 'id'"),
    ({"opacity": {"rib": 1.5}}, "opacity rib=1.5 is not in 0-1"),
    ({"camera": {"position": [0, 0], "focal_point": [0, 0, 0], "view_up": [0, 0, 1]}}, "must be [x, y, z]"),
    ({"labels": "yes"}, "labels 'yes' must be a bool"),
    ([], "a scene spec must be a JSON object"),
])
def test_bad_specs_raise_one_line_messages(data, needle):
    with pytest.raises(SpecError) as err:
        SceneSpec.from_dict(data)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_colours_are_normalised():
    spec = SceneSpec.from_dict({"structures": [{"id": "rib_L1", "colour": "red"}, {"id": "rib_L2", "colour": "#0F0"}]})
    assert [h.colour for h in spec.structures] == ["#ff0000", "#00ff00"]


def test_unreadable_sources(tmp_path):
    with pytest.raises(SpecError, match="cannot read spec"):
        load_spec(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_spec(tmp_path / "bad.json")
    from PIL import Image

    Image.new("RGB", (4, 4)).save(tmp_path / "plain.png")
    with pytest.raises(SpecError, match="holds no scene spec"):
        load_spec(tmp_path / "plain.png")


def test_validate_against_the_model(data, entries):
    ids, groups = list(data.structures), sorted({i.group for i in data.infos.values()})
    assert validate(FULL, entries, ids, groups) is FULL
    cases = [
        (FULL.with_(highlight="nope"), "unknown highlight 'nope'; choose one of: "),
        (FULL.with_(level="R2"), "level 'R2' does not apply to slipping_rib_syndrome; choose one of: R8, R9, R10"),
        (SceneSpec(level="T6"), "needs a highlight"),
        (FULL.with_(structures=(Highlight("rib_L99", "#ff0000"),)), "unknown structure 'rib_L99'"),
        (FULL.with_(hidden=("ligament",)), "unknown group 'ligament'; choose one of: "),
    ]
    for spec, needle in cases:
        with pytest.raises(SpecError) as err:
            validate(spec, entries, ids, groups)
        assert needle in str(err.value)


def test_url_rules_are_the_apps(entries):
    """check_url_state flags exactly what the app rejects (the app shows a message and falls back)."""
    from viewer.app import SpineViewer

    states = [
        {"entry": "slipping_rib_syndrome", "level": "R9", "side": "left", "view": "oblique"},
        {"entry": "slipping_rib_syndrome", "level": "R99", "side": "up", "view": "oblique"},
        {"entry": "no_such_entry", "level": "", "side": "", "view": "posterior"},
        {"entry": "<script>", "level": "", "side": "", "view": "sideways"},
        {"entry": "facet_joint_pain", "level": "T6-T7", "side": "both", "view": "left"},
    ]
    app = SpineViewer(synthetic=True)
    app.view3d._send_msg = lambda msg: None
    for st in states:
        app.param.update(**st)
        problems = check_url_state(entries, st["entry"], st["level"], st["side"], st["view"])
        assert bool(problems) == bool(app.message), (st, problems, app.message)
        for p in problems:
            word = {"highlight": "condition or treatment", "level": "Level", "side": "Side", "view": "view"}[p.field]
            assert word in app.message


@pytest.mark.parametrize("query", [
    "highlight=slipping_rib_syndrome&level=R9&side=left",
    "highlight=facet_joint_pain&level=T6-T7&side=right&view=posterior",
    "highlight=facet_injection",
    "view=anterior",
])
def test_spec_rebuilds_exactly_what_the_app_shows(query):
    """The same URL state gives the same styles, camera and markers in the app and in a SpineScene."""
    from viewer.app import SpineViewer
    from viewer.notebook import SpineScene

    spec = SceneSpec.from_url(query)
    app = SpineViewer(synthetic=True, **spec.app_params())
    scene = SpineScene(spec, synthetic=True)
    assert app.scene.styles == scene.scene.styles
    assert app.scene.camera == scene.scene.camera
    assert app.scene.markers == scene.scene.markers
    assert scene.spec.to_query() == spec.to_query()
