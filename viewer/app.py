"""The web app: sidebar (search, conditions, treatments, layers, views) + 3D view.

``SpineViewer()`` works in a notebook (after ``pn.extension("vtk")``) and is
what ``serve.py`` serves.  Each instance owns its :class:`~viewer.scene.Scene`
state and :class:`~viewer.bridge.SceneView`; the geometry, knowledge base and
serialized scene are shared read-only (:func:`viewer.model.load_model`).

URL state: ``?highlight=<entry>&level=<level>&side=<side>&view=<preset>``.
"""

from __future__ import annotations

import re
from typing import Any

import panel as pn
import param

from meshes.ids import GROUPS

from .bridge import SceneView
from .camera import DEFAULT_VIEW, PRESETS
from .knowledge import EntrySummary
from .labels import short_label
from .model import ModelData, load_model
from .panels import explanation_html, message_html, shorten, structure_html
from .scene import Scene

_ID = re.compile(r"^[a-z0-9_]{1,80}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-.]{1,20}$")
_SIDES = ("left", "right", "both")
VIEW_LABELS = {"¾ back": "oblique", "Back": "posterior", "Front": "anterior", "Left": "left", "Right": "right",
               "Top": "superior"}
"""Short button labels of the camera presets (fit a tablet)."""

CSS = """
.tsv-title { margin: 4px 0 6px 0; font-size: 1.2em; font-weight: 600; }
.tsv-small { font-size: 0.9em; color: #4a5568; }
.tsv-redflags { background: #fff5f5; border-left: 4px solid #e53e3e; padding: 4px 10px; margin: 8px 0; }
.tsv-disclaimer { font-size: 0.85em; color: #718096; font-style: italic; }
"""


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
            target.setdefault(e.family or "Other", {})[e.name] = e.id
        self.w_search = pn.widgets.TextInput(placeholder="Search conditions, treatments, synonyms…",
                                             sizing_mode="stretch_width")
        self.w_results = pn.Column(sizing_mode="stretch_width")
        self.w_condition = pn.widgets.Select(label="Conditions", groups={"": {"Choose a condition…": ""}, **cond_groups},
                                             sizing_mode="stretch_width")
        self.w_treatment = pn.widgets.Select(label="Treatments", groups={"": {"Choose a treatment…": ""},
                                                                        **treat_groups}, sizing_mode="stretch_width")
        self.w_level = pn.widgets.Select(label="Level", options=[], visible=False, sizing_mode="stretch_width")
        self.w_side = pn.widgets.RadioButtonGroup(label="Side", options=[], visible=False, color="light")
        self.w_audience = pn.widgets.RadioButtonGroup.from_param(self.param.audience, color="light")
        self.w_explain = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[CSS])
        self.w_related = pn.Row(sizing_mode="stretch_width", styles={"flex-wrap": "wrap"})
        self.w_identify = pn.pane.HTML("<p class='tsv-small'>Click a structure in the 3D view to identify it.</p>",
                                       sizing_mode="stretch_width", stylesheets=[CSS])
        self.w_involved = pn.Row(sizing_mode="stretch_width", styles={"flex-wrap": "wrap"})
        self.w_message = pn.pane.Alert("", alert_type="warning", visible=False, sizing_mode="stretch_width")
        self.w_views = pn.widgets.RadioButtonGroup(options=VIEW_LABELS, value=DEFAULT_VIEW, color="light",
                                                   sizing_mode="stretch_width")
        self.w_reset = pn.widgets.Button(label="Reset", color="default")
        self.w_clear = pn.widgets.Button(label="Clear highlight", color="default")
        self.w_xray = pn.widgets.Toggle(label="X-ray", color="light")
        self.w_isolate = pn.widgets.Toggle(label="Isolate highlighted", color="light")
        self.w_layers = {}
        rows = []
        for g in GROUPS:
            show = pn.widgets.Checkbox(label=g.capitalize(), value=True, width=100)
            alpha = pn.widgets.FloatSlider(start=0.05, end=1.0, step=0.05, value=1.0, show_value=False, width=140)
            show.param.watch(lambda e, g=g: self._push(self.scene.set_group_visibility(g, e.new)), "value")
            alpha.param.watch(lambda e, g=g: self._push(self.scene.set_group_opacity(g, e.new)), "value_throttled")
            self.w_layers[g] = (show, alpha)
            rows.append(pn.Row(show, alpha, margin=0))
        self.w_layer_box = pn.Column(*rows, sizing_mode="stretch_width")

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

    def _entry_button(self, entry_id: str, name: str) -> pn.widgets.Button:
        b = pn.widgets.Button(label=name, color="light", margin=(2, 4))
        b.on_click(lambda e: self._choose(entry_id))
        return b

    # -- actions ---------------------------------------------------------------
    def _from_widget(self, **changes: str) -> None:
        """A user changed a widget (ignored while the app itself updates widgets)."""
        if self._quiet:
            return
        if "entry" in changes:
            if not changes["entry"] or changes["entry"] == self.entry:
                return
            changes.update(level="", side="")
        self.param.update(**changes)

    def _choose(self, entry_id: str) -> None:
        self.param.update(entry=entry_id, level="", side="")

    def _reset(self) -> None:
        for show, alpha in self.w_layers.values():
            show.value, alpha.value = True, 1.0
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
        self.w_results.objects = [self._entry_button(h.id, h.name) for h in hits] or (
            [pn.pane.HTML("<p class='tsv-small'>No match.</p>", stylesheets=[CSS])] if text.strip() else [])

    def _on_pick(self, event: param.parameterized.Event) -> None:
        sid = (event.new or {}).get("id")
        if not sid:
            self.w_identify.object = "<p class='tsv-small'>Nothing there – click on a bone, joint or nerve.</p>"
            self.w_involved.objects = []
            return
        try:
            card = self.kb.structure(sid)
        except (KeyError, ValueError):
            info = self.scene.infos[sid]
            from .knowledge import StructureCard

            card = StructureCard(sid, short_label(info), info.group, info.level, info.side, "")
        self.w_identify.object = structure_html(card)
        self.w_involved.objects = [self._entry_button(i, n) for i, n, _ in card.involved_in[:10]]

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
        if entry is not None and level and (not _TOKEN.match(level) or level not in entry.levels):
            problems.append(f"Level “{shorten(level)}” does not apply to {entry.name}.")
            level = ""
        if entry is not None and side and (side not in _SIDES or side not in entry.sides):
            problems.append(f"Side “{shorten(side)}” does not apply to {entry.name}.")
            side = ""
        self._set_message(problems)
        key = (entry and entry.id, level, side, view)
        self._quiet = True
        try:
            if key != self._applied:  # an audience switch must not move the camera
                self._update_scene(view, entry, level, side, problems)
                self._applied = key
            elif entry is not None:
                self._show_entry(entry, self._resolved)
        finally:
            self._quiet = False
        self._push()

    def _update_scene(self, view: str, entry: EntrySummary | None, level: str, side: str,
                      problems: list[str]) -> None:
        if view != self.scene.state.view:
            self.scene.set_view(view)
        self.w_views.value = view
        if entry is None:
            self.scene.clear()
            self._show_entry(None)
        else:
            try:
                resolved = self.kb.resolve(entry.id, level or None, side or None)
            except (KeyError, ValueError) as exc:
                self._set_message([*problems, f"Could not show {entry.name}: {shorten(exc, 160)}"])
                resolved = self.kb.resolve(entry.id)
            self.scene.highlight(resolved.highlights, frame=True)
            self.scene.set_markers(resolved.markers)
            self._resolved = resolved
            self._show_entry(entry, resolved)

    def _set_message(self, problems: list[str]) -> None:
        text = " ".join(problems)
        if text:
            text += " Showing the default view instead."
        self.message = text
        self.w_message.object = message_html(text)
        self.w_message.visible = bool(text)

    def _show_entry(self, entry: EntrySummary | None, resolved: Any = None) -> None:
        if entry is None:
            self.w_explain.object = ("<p class='tsv-small'>Choose a condition or treatment, or search, to see where it "
                                     f"is and what it means.</p><p class='tsv-disclaimer'>{message_html(self.kb.disclaimer)}"
                                     "</p>")
            self.w_related.objects = []
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
        self.w_explain.object = explanation_html(ex, self.audience, list(dict.fromkeys(names)), self.kb.disclaimer)
        self.w_related.objects = [self._entry_button(i, n) for i, n in ex.related[:8]]

    # -- layout ------------------------------------------------------------------
    def sidebar(self) -> pn.Column:
        """The controls column."""
        card = dict(sizing_mode="stretch_width", margin=(4, 0))
        return pn.Column(
            self.w_search, self.w_results, self.w_condition, self.w_treatment, self.w_level, self.w_side,
            pn.Card(self.w_audience, self.w_explain, pn.pane.Markdown("**Related**", margin=(0, 5)), self.w_related,
                    title="Explanation", **card),
            pn.Card(self.w_identify, self.w_involved, title="Clicked structure", **card),
            pn.Card(pn.Row(self.w_xray, self.w_isolate, self.w_clear, styles={"flex-wrap": "wrap"}), self.w_layer_box,
                    title="Layers", collapsed=True, **card),
            sizing_mode="stretch_width",
        )

    def main(self) -> pn.Column:
        """Message, camera presets and the 3D view."""
        note = []
        if self.data.synthetic:
            note = [pn.pane.HTML("<p class='tsv-small'>Schematic demo geometry and demo texts (not anatomy).</p>",
                                 stylesheets=[CSS], margin=(0, 10))]
        return pn.Column(self.w_message, *note, pn.Row(self.w_views, self.w_reset, sizing_mode="stretch_width"),
                         self.view3d, sizing_mode="stretch_both", min_height=480)

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Row(pn.Column(self.sidebar(), width=340), self.main(), sizing_mode="stretch_both", min_height=640)

    def template(self, title: str = "Thoracic spine explorer") -> pn.template.BaseTemplate:
        """The served page: responsive template with the sidebar."""
        return pn.template.BootstrapTemplate(title=title, sidebar=[self.sidebar()], main=[self.main()],
                                             sidebar_width=360, header_background="#2d3748")


def create_app(synthetic: bool = False) -> pn.template.BaseTemplate:
    """Build one session's page (a factory for ``pn.serve``)."""
    return SpineViewer(synthetic=synthetic).template()
