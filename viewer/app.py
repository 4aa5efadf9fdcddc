"""The web app: sidebar (search, conditions, treatments, layers, views) + 3D view.

``SpineViewer()`` works in a notebook (after ``pn.extension("vtk")``) and is
what ``serve.py`` serves.  Each instance owns its :class:`~viewer.scene.Scene`
state and :class:`~viewer.bridge.SceneView`; the geometry, knowledge base and
serialized scene are shared read-only (:func:`viewer.model.load_model`).

URL state: ``?highlight=<entry>&level=<level>&side=<side>&view=<preset>``.

Downloads of what the user sees (the browser's camera and view size, labels
included): a PNG rendered off-screen on one export thread
(:func:`render_png`), a standalone HTML page (:meth:`Scene.export_html`) and,
when :mod:`viewer.export` provides it, a glTF binary.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from typing import Any

import panel as pn
import param
from panel.io import hold

from meshes.ids import GROUPS

from .bridge import SceneView
from .camera import DEFAULT_VIEW, PRESETS
from .knowledge import EntrySummary
from .labels import short_label
from .model import ModelData, load_model
from .panels import entry_links, explanation_html, message_html, shorten, structure_html
from .scene import Scene, encode_png
from .spec import _ID, _SIDES, _TOKEN
from .state import SceneState
from .styles import DEFAULT_HIDDEN_GROUPS, GROUP_LABELS

VIEW_LABELS = {"¾ back": "oblique", "Back": "posterior", "Front": "anterior", "Left": "left", "Right": "right",
               "Top": "superior"}
"""Short button labels of the camera presets (fit a tablet)."""

CSS = """
.tsv-title { margin: 4px 0 6px 0; font-size: 1.2em; font-weight: 600; }
.tsv-small { font-size: 0.9em; color: #4a5568; }
.tsv-redflags { background: #fff5f5; border-left: 4px solid #e53e3e; padding: 4px 10px; margin: 8px 0; }
.tsv-disclaimer { font-size: 0.85em; color: #718096; font-style: italic; }
.tsv-marks { list-style: none; padding: 0; margin: 2px 0 6px 0; }
.tsv-marks li { display: flex; gap: 6px; align-items: baseline; margin: 2px 0; }
.tsv-swatch { flex: none; width: 10px; height: 10px; border-radius: 50%; border: 1px solid #4a5568; }
"""

EXPORT_MAX_PX = 2400
"""Longest side of a downloaded PNG (the browser view scaled up to at most 2x)."""

_EXPORTS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tsv-export")
"""One worker thread renders every PNG: one off-screen GL context per process, and the
server keeps answering other sessions meanwhile."""
_EXPORT_SCENES: dict[int, Scene] = {}
_EXPORT_LOCK = threading.Lock()


def _export_scene(scene: Scene) -> Scene:
    """The process-wide off-screen scene, set to ``scene``'s state, camera and markers."""
    with _EXPORT_LOCK:
        ex = _EXPORT_SCENES.get(id(scene.meshes))
        if ex is None or ex.meshes is not scene.meshes:
            ex = _EXPORT_SCENES[id(scene.meshes)] = Scene(scene.meshes, infos=scene.infos, anchors=scene.anchors)
            match_browser(ex.plotter)
    ex.update(**{f.name: getattr(scene.state, f.name) for f in fields(SceneState)})
    ex.set_markers(scene.markers)
    ex.set_camera(scene.camera)
    return ex


def match_browser(plotter: Any) -> None:
    """Light like vtk.js in the browser: one headlight, back faces culled.

    VTK's depth peeling drops translucent actors with this off-screen EGL
    set-up, so translucency is blended in drawing order.  No multisampling:
    the image is rendered at up to twice the view's size, and MSAA costs about
    2x in software (llvmpipe) rendering.
    """
    import pyvista as pv

    plotter.ren_win.SetMultiSamples(0)
    plotter.remove_all_lights()
    plotter.add_light(pv.Light(light_type="headlight"))
    for actor in plotter.actors.values():  # closed surfaces: no darker back layer through translucent ones
        actor.GetProperty().BackfaceCullingOn()


def render_png(scene: Scene, viewport: tuple[int, int] = (0, 0)) -> bytes:
    """PNG of what a browser view of ``viewport`` CSS pixels shows (labels included), up to 2x.

    Runs on the export thread (see :data:`_EXPORTS`).
    """
    w, h = viewport if viewport[0] > 0 and viewport[1] > 0 else (1200, 800)
    scale = max(1.0, min(2.0, EXPORT_MAX_PX / max(w, h)))
    ex = _export_scene(scene)
    img = ex.screenshot(window_size=(round(w * scale), round(h * scale)), labels=True, scale=scale)
    return encode_png(img)


def warm_exports(synthetic: bool = False) -> None:
    """Build the off-screen export scene on the export thread now (serve.py), not on the first download."""
    def warm() -> None:
        data = load_model(synthetic)
        render_png(Scene(data.structures, infos=data.infos, anchors=data.anchors), (64, 48))

    _EXPORTS.submit(warm)


def _glb_exporter() -> Callable[[Scene], bytes] | None:
    """glTF export of :mod:`viewer.export` if it is available (``export_glb(scene, path)`` or ``glb_bytes``)."""
    try:
        from . import export
    except Exception:  # noqa: BLE001 - optional module (other work in progress)
        return None
    if callable(getattr(export, "export_glb", None)):
        def via_file(scene: Scene) -> bytes:
            import tempfile
            from pathlib import Path

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.glb"
                export.export_glb(scene, path)
                return path.read_bytes()
        return via_file
    if callable(getattr(export, "glb_bytes", None)):
        return export.glb_bytes
    return None



class _Select(pn.widgets.Select):
    """Select whose choice reaches the server at once (Panel debounces changes by 50 ms)."""

    _priority_changes = ["value"]


class _Choice(pn.widgets.RadioButtonGroup):
    """Button group whose choice reaches the server at once."""

    _priority_changes = ["value"]


class SpineViewer(pn.viewable.Viewer):
    """Interactive thoracic spine explainer.

    Parameters
    ----------
    synthetic : bool, default: False
        Use the schematic demo model and knowledge (tests, demos).
    """

    entry = param.String(default="", doc="Highlighted condition/treatment id ('' for none); URL 'highlight'.")
    level = param.String(default="", doc="Chosen level of the entry ('' for its default); URL 'level'.")
    side = param.String(default="", doc="Chosen side: left, right, both ('' for the default); URL 'side'.")
    view = param.String(default=DEFAULT_VIEW, doc="Camera preset name; URL 'view'.")
    audience = param.Selector(default="patient", objects=["patient", "student"], doc="Which explanation to show.")
    message = param.String(default="", doc="Warning shown above the view (e.g. a bad link).")

    def __init__(self, synthetic: bool = False, **params: Any) -> None:
        super().__init__(**params)
        self._quiet = False
        self.data: ModelData = load_model(synthetic)
        self.kb = self.data.knowledge
        self.scene = Scene(self.data.structures, infos=self.data.infos, anchors=self.data.anchors)
        self._entries: dict[str, EntrySummary] = {e.id: e for e in self.kb.entries()}
        self._applied: tuple | None = None
        self._resolved: Any = None
        self._resolve_problem = ""
        self.view3d: SceneView | None = None
        self._build_widgets()
        if pn.state.location is not None and pn.state.curdoc is not None:
            pn.state.location.sync(self, {"entry": "highlight", "level": "level", "side": "side", "view": "view"})
        self._apply()
        # created after the URL state is applied, so the first frame already shows it
        self.view3d = SceneView(self.scene, self.data.serialized, min_height=420, sizing_mode="stretch_both")
        self.view3d.param.watch(self._on_pick, "picked")

    # -- widgets -------------------------------------------------------------
    def _build_widgets(self) -> None:
        cond_groups: dict[str, dict[str, str]] = {}
        treat_groups: dict[str, dict[str, str]] = {}
        for e in self._entries.values():
            target = cond_groups if e.section == "conditions" else treat_groups
            name = f"  – {e.variant_name}" if e.variant_of else e.name
            target.setdefault(e.family or "Other", {})[name] = e.id
        self.w_search = pn.widgets.TextInput(placeholder="Search conditions, treatments, synonyms…",
                                             sizing_mode="stretch_width")
        self.w_results = entry_links(sizing_mode="stretch_width")
        self.w_results.on_choose(self._choose)
        self.w_condition = _Select(label="Conditions", groups={"": {"Choose a condition…": ""}, **cond_groups},
                                             sizing_mode="stretch_width")
        self.w_treatment = _Select(label="Treatments", groups={"": {"Choose a treatment…": ""},
                                                                        **treat_groups}, sizing_mode="stretch_width")
        self.w_level = _Select(label="Level", options=[], visible=False, sizing_mode="stretch_width")
        self.w_side = _Choice(label="Side", options=[], visible=False, color="light")
        self.w_audience = pn.widgets.RadioButtonGroup.from_param(self.param.audience, color="light")
        self.w_explain = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS])
        # sent once with the page, not with every explanation
        self.w_disclaimer = pn.pane.HTML(
            f"<p class='tsv-disclaimer'>{message_html(self.kb.disclaimer_short)}</p><details class='tsv-disclaimer'>"
            f"<summary>About these texts</summary>{message_html(self.kb.disclaimer)}</details>",
            sizing_mode="stretch_width", stylesheets=[CSS])
        self.w_related = entry_links(title="Related", sizing_mode="stretch_width")
        self.w_related.on_choose(self._choose)
        self.w_identify = pn.pane.HTML("<p class='tsv-small'>Click a structure in the 3D view to identify it.</p>",
                                       sizing_mode="stretch_width", stylesheets=[CSS])
        self.w_involved = entry_links(title="Involved in", sizing_mode="stretch_width")
        self.w_involved.on_choose(self._choose)
        self.w_identify_card = pn.Card(self.w_identify, self.w_involved, title="Clicked structure",
                                       sizing_mode="stretch_width", margin=(4, 0))
        self.w_message = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width")
        self.w_views = _Choice(options=VIEW_LABELS, value=DEFAULT_VIEW, color="light",
                                                   sizing_mode="stretch_width")
        self.w_reset = pn.widgets.Button(label="Reset", color="default")
        self.w_clear = pn.widgets.Button(label="Clear highlight", color="default")
        self.w_xray = pn.widgets.Toggle(label="X-ray", color="light")
        self.w_isolate = pn.widgets.Toggle(label="Isolate highlighted", color="light")
        self.w_png = pn.widgets.FileDownload(callback=self._download_png, filename="thoracic-spine.png",
                                             label="Image (PNG)", color="light", embed=False,
                                             description="Save the view as a picture, labels included")
        self.w_html = pn.widgets.FileDownload(callback=self._download_html, filename="thoracic-spine.html",
                                              label="Interactive page (HTML)", color="light", embed=False,
                                              description="A page that opens offline and can be rotated")
        self._glb = _glb_exporter()
        self.w_glb = pn.widgets.FileDownload(callback=self._download_glb, filename="thoracic-spine.glb",
                                             label="3D model (glTF)", color="light", embed=False,
                                             visible=self._glb is not None,
                                             description="The coloured 3D model for other 3D software")
        self.w_layers = {}
        self.w_layer_box = pn.Column(sizing_mode="stretch_width")
        self.w_layer_card = pn.Card(title="Layers", collapsed=True, sizing_mode="stretch_width", margin=(4, 0))
        self.w_layer_card.param.watch(lambda e: self._build_layers() if not e.new else None, "collapsed")
        self.w_search.param.watch(self._on_search, "value_input")
        self.w_condition.param.watch(lambda e: self._from_widget(entry=e.new), "value")
        self.w_treatment.param.watch(lambda e: self._from_widget(entry=e.new), "value")
        self.w_level.param.watch(lambda e: self._from_widget(level=e.new or ""), "value")
        self.w_side.param.watch(lambda e: self._from_widget(side=e.new or ""), "value")
        self.w_views.param.watch(lambda e: self._from_widget(view=e.new), "value")
        self.w_reset.on_click(lambda e: self._reset())
        self.w_clear.on_click(lambda e: self.param.update(entry="", level="", side=""))
        self.w_xray.param.watch(lambda e: self._push(self.scene.set_xray(e.new)), "value")
        self.w_isolate.param.watch(lambda e: self._push(self.scene.set_isolate(e.new)), "value")

    def _build_layers(self) -> None:
        """Create the layer widgets the first time the (collapsed) card opens: fewer models per session."""
        if self.w_layers:
            return
        rows = []
        hidden, opacity = self.scene.state.hidden_groups, dict(self.scene.state.group_opacity)
        for g in GROUPS:
            show = pn.widgets.Checkbox(label=GROUP_LABELS.get(g, g.capitalize()), value=g not in hidden, width=130)
            alpha = pn.widgets.FloatSlider(start=0.05, end=1.0, step=0.05, value=opacity.get(g, 1.0), show_value=False,
                                           width=140)
            show.param.watch(lambda e, g=g: self._push(self.scene.set_group_visibility(g, e.new)), "value")
            alpha.param.watch(lambda e, g=g: self._push(self.scene.set_group_opacity(g, e.new)), "value_throttled")
            self.w_layers[g] = (show, alpha)
            rows.append(pn.Row(show, alpha, margin=0))
        self.w_layer_box.objects = rows
        self.w_layer_card.objects = [pn.Row(self.w_xray, self.w_isolate, self.w_clear, styles={"flex-wrap": "wrap"}),
                                     self.w_layer_box]

    # -- actions ---------------------------------------------------------------
    def _from_widget(self, **changes: str) -> None:
        """A user changed a widget (ignored while the app itself updates widgets)."""
        if self._quiet:
            return
        if "entry" in changes:
            if not changes["entry"] or changes["entry"] == self.entry:
                return
            changes.update(level="", side="")
        if self.view not in PRESETS and "view" not in changes:
            changes["view"] = DEFAULT_VIEW  # a bad view from the link was reported once; do not repeat it
        self.param.update(**changes)

    def _choose(self, entry_id: str) -> None:
        self.param.update(entry=entry_id, level="", side="")

    def _reset(self) -> None:
        for g, (show, alpha) in self.w_layers.items():
            show.value, alpha.value = g not in DEFAULT_HIDDEN_GROUPS, 1.0
        self.scene.update(hidden_groups=DEFAULT_HIDDEN_GROUPS, group_opacity=())
        self.w_xray.value = self.w_isolate.value = False
        self.param.update(entry="", level="", side="", view=DEFAULT_VIEW, message="")
        self.scene.reset()
        self._applied = ("reset",)
        self._push()

    def _push(self, _diff: object = None) -> None:
        if self.view3d is not None:
            self.view3d.push()

    def _on_search(self, event: param.parameterized.Event) -> None:
        text = (event.new or "")[:80]
        hits = self.kb.search(text)[:8] if len(text.strip()) >= 2 else []
        self.w_results.param.update(items=[[h.id, h.name] for h in hits], empty="No match." if text.strip() else "")

    def _on_pick(self, event: param.parameterized.Event) -> None:
        sid = (event.new or {}).get("id")
        if not sid:
            self.w_identify.object = "<p class='tsv-small'>Nothing there – click on a bone, joint or nerve.</p>"
            self.w_involved.items = []
            self.view3d.hide_pick()
            return
        try:
            card = self.kb.structure(sid)
        except (KeyError, ValueError):
            info = self.scene.infos[sid]
            from .knowledge import StructureCard

            card = StructureCard(sid, short_label(info), info.group, info.level, info.side, "")
        self.w_identify.object = structure_html(card)
        self.w_involved.items = [[i, n] for i, n, _ in card.involved_in[:10]]
        self.w_identify_card.collapsed = False
        self.view3d.show_pick(card.name, event.new.get("position"))

    @param.depends("entry", "level", "side", "view", "audience", watch=True)
    def _apply(self) -> None:
        """Validate the (URL-synced) state and update scene, browser and panels."""
        problems: list[str] = []
        view = self.view
        if view not in PRESETS:
            problems.append(f"Unknown view “{shorten(view)}”.")
            view = DEFAULT_VIEW
        entry = self._entries.get(self.entry) if _ID.match(self.entry or "") else None
        if self.entry and entry is None:
            problems.append(f"Unknown condition or treatment “{shorten(self.entry)}”.")
        level, side = self.level, self.side
        if not self.entry and (level or side):
            what = " and ".join(w for w, v in (("level", level), ("side", side)) if v)
            problems.append(f"The link gives a {what} but no condition or treatment.")
        if entry is not None and level and (not _TOKEN.match(level) or level not in entry.levels):
            problems.append(f"Level “{shorten(level)}” does not apply to {entry.name}.")
            level = ""
        if entry is not None and side and (side not in _SIDES or side not in entry.sides):
            problems.append(f"Side “{shorten(side)}” does not apply to {entry.name}.")
            side = ""
        key = (entry and entry.id, level, side, view)
        self._quiet = True
        try:
            if key != self._applied:  # an audience switch must not move the camera
                resolved = self._update_scene(view, entry, level, side)
                self._applied = key
                self._push()  # the 3D view first: it is what the user watches
            else:
                resolved = self._resolved if entry is not None else None
            with hold():  # then every panel in one document patch
                self._set_message(problems + ([self._resolve_problem] if self._resolve_problem else []))
                self.w_views.value = view
                self._show_entry(entry, resolved)
        finally:
            self._quiet = False
        self._push()

    def _update_scene(self, view: str, entry: EntrySummary | None, level: str, side: str) -> Any:
        """Change the scene for an entry (or none); returns the resolved entry."""
        self._resolve_problem = ""
        if self.view3d is not None:
            self.view3d.hide_pick()
        if view != self.scene.state.view:
            self.scene.set_view(view)
        if entry is None:
            self.scene.clear()
            self._resolved = None
            return None
        try:
            resolved = self.kb.resolve(entry.id, level or None, side or None)
        except (KeyError, ValueError) as exc:
            self._resolve_problem = f"Could not show {entry.name}: {shorten(exc, 160)}"
            resolved = self.kb.resolve(entry.id)
        self.scene.highlight(resolved.highlights, frame=True)
        self.scene.set_markers(resolved.markers)
        self._resolved = resolved
        return resolved

    def _set_message(self, problems: list[str]) -> None:
        text = " ".join(problems)
        if text:
            text += " Showing the default view instead."
        self.message = text
        self.w_message.object = message_html(text)
        self.w_message.visible = bool(text)

    def _show_entry(self, entry: EntrySummary | None, resolved: Any = None) -> None:
        if entry is None:
            self.w_explain.object = (
                "<p class='tsv-small'>Choose a condition or treatment, or search, to see where it is and what it "
                "means. Click a bone, joint or nerve to name it.</p>")
            self.w_related.items = []
            self.w_level.visible = self.w_side.visible = False
            for w in (self.w_condition, self.w_treatment):
                w.value = ""
            return
        (self.w_condition if entry.section == "conditions" else self.w_treatment).value = entry.id
        (self.w_treatment if entry.section == "conditions" else self.w_condition).value = ""
        self.w_level.options = {"Default": "", **{lv: lv for lv in entry.levels}}
        self.w_level.value = self.level if self.level in entry.levels else ""
        self.w_level.visible = len(entry.levels) > 1
        self.w_side.options = list(entry.sides)
        self.w_side.value = self.side if self.side in entry.sides else (entry.default_side or None)
        self.w_side.visible = bool(entry.sides)
        ex = self.kb.explain(entry.id)
        names = []
        for h in resolved.highlights if resolved else ():
            info = self.scene.infos.get(h.structure_id)
            if info is not None and h.role == "primary":
                names.append(short_label(info))
        marks = [(m.colour, m.label) for m in (resolved.markers if resolved else ()) if m.label]
        self.w_explain.object = explanation_html(ex, self.audience, list(dict.fromkeys(names)), "", marks)
        self.w_related.items = [[i, n] for i, n in ex.related[:8]]

    # -- downloads -------------------------------------------------------------
    def _file_stem(self) -> str:
        parts = [self.scene.state.highlights and self.entry or "thoracic-spine", self.level, self.side]
        return re.sub(r"[^A-Za-z0-9_-]+", "-", "_".join(p for p in parts if p)).strip("-")[:80] or "thoracic-spine"

    def _title(self) -> str:
        entry = self._entries.get(self.entry)
        if entry is None or not self.scene.state.highlights:
            return "Thoracic spine"
        where = " ".join(x for x in (self.level, self.side) if x)
        return f"{entry.name} ({where})" if where else entry.name

    async def _download_png(self) -> io.BytesIO:
        self.w_png.filename = self._file_stem() + ".png"
        data = await asyncio.get_running_loop().run_in_executor(_EXPORTS, render_png, self.scene, self.view3d.viewport)
        return io.BytesIO(data)

    async def _download_html(self) -> io.BytesIO:
        from .bridge import standalone_html

        self.w_html.filename = self._file_stem() + ".html"
        page = await asyncio.get_running_loop().run_in_executor(
            None, lambda: standalone_html(self.scene, title=self._title(), note=self.kb.disclaimer_short))
        return io.BytesIO(page.encode("utf-8"))

    async def _download_glb(self) -> io.BytesIO:
        self.w_glb.filename = self._file_stem() + ".glb"
        data = await asyncio.get_running_loop().run_in_executor(None, self._glb, self.scene)
        return io.BytesIO(data)

    # -- layout ------------------------------------------------------------------
    def sidebar(self) -> pn.Column:
        """The controls column."""
        card = dict(sizing_mode="stretch_width", margin=(4, 0))
        return pn.Column(
            self.w_search, self.w_results, self.w_condition, self.w_treatment, self.w_level, self.w_side,
            pn.Card(self.w_audience, self.w_explain, self.w_related, self.w_disclaimer,
                    title="Explanation", **card),
            self.w_identify_card,
            self.w_layer_card,
            sizing_mode="stretch_width",
        )

    def main(self) -> pn.Column:
        """Message, camera presets and the 3D view."""
        note = []
        if self.data.synthetic:
            note = [pn.pane.HTML("<p class='tsv-small'>Schematic demo geometry and demo texts (not anatomy).</p>",
                                 stylesheets=[CSS], margin=(0, 10))]
        save = pn.Row(pn.pane.HTML("<span class='tsv-small'>Save what you see:</span>", stylesheets=[CSS],
                                   margin=(8, 4, 0, 10)), self.w_png, self.w_html, self.w_glb,
                      sizing_mode="stretch_width", styles={"flex-wrap": "wrap"})
        return pn.Column(self.w_message, *note, pn.Row(self.w_views, self.w_reset, sizing_mode="stretch_width"),
                         self.view3d, save, sizing_mode="stretch_both", min_height=480)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Row(pn.Column(self.sidebar(), width=340), self.main(), sizing_mode="stretch_both", min_height=640)

    def template(self, title: str = "Thoracic spine explorer") -> pn.template.BaseTemplate:
        """The served page: responsive template with the sidebar."""
        # no busy indicator: it would send two more messages per click; the view shows its own state
        return pn.template.BootstrapTemplate(title=title, sidebar=[self.sidebar()], main=[self.main()],
                                             busy_indicator=None, sidebar_width=360, header_background="#2d3748")


def create_app(synthetic: bool = False) -> pn.template.BaseTemplate:
    """Build one session's page (a factory for ``pn.serve``)."""
    return SpineViewer(synthetic=synthetic).template()
