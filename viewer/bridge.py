"""Browser bridge: the 3D view built by vtk.js from one binary blob, then small messages.

:class:`SceneView` is a ``panel.custom.JSComponent``.  The browser receives
the model once, as the shared deflated blob of
:func:`viewer.serialize.cached_pack` (about 1.3 MB for the real model), plus
a *boot* message with the session's initial styles, camera, labels and
markers, builds one vtk.js actor per structure and draws **one** frame.
Afterwards Python sends one small message per user action::

    {"seq": 7, "styles": [[0.3, 0.69, 0.31, 1.0, 1, "41-42"], [0.9, 0.86, 0.78, 0.22, 1, "0-11,60-62"]],
     "camera": {"position": [...], "focalPoint": [...], "viewUp": [...]},
     "labels": [{"text": "Rib 9 L", "position": [...], "colour": "#4caf50"}],
     "markers": [{"kind": "point", "points": [[...]], ...}],
     "pick": {"text": "T6 vertebra", "position": [...]}}     # or null

where each style ``[r, g, b, opacity, visible, "ranges"]`` is shared by the
structures at those positions of the packed blob (so fading the
whole model for a first highlight stays under 2 kB), and the browser applies
it and renders one frame (coalesced per animation frame; label-only changes
are not re-rendered).  The browser sends back::

    {"type": "ready", "seq": 1, "size": [w, h], "ms": {...}}   first frame drawn
    {"type": "pick", "id": "rib_L9", "ms": 4, "position": [...]}  a click
    {"type": "camera", "position": [...], ..., "size": [w, h]}   after a rotate/zoom
    {"type": "raw"}                                               no DecompressionStream

A click is picked in the browser with ``vtkCellPicker`` and sets
:attr:`SceneView.picked`; camera moves update :attr:`Scene.camera` so that
exports show what the user sees.

Rendering policy (``bridge.js``): nothing is drawn until the whole scene is
built and the boot state applied; then one frame per animation frame at most;
a click without movement draws nothing (vtk.js's interactor is held); and
multisampling is off when WebGL is software-rendered (``antialias="auto"``).

Only public APIs are used: Panel's ESM component API (``model.on``,
``model.send_msg``, ``_send_msg``, ``_handle_msg``) and vtk.js 30 classes
(``vtkGenericRenderWindow``, ``vtkActor``, ``vtkMapper``, ``vtkPolyData``,
``vtkCellPicker``, ``vtkSphereSource``, ``vtkTubeFilter``) from the
``window.vtk`` bundle that ``pn.extension("vtk")`` loads (loaded on demand
otherwise).

:func:`standalone_html` writes the same viewer, the blob and a boot message
into one offline HTML page (``Scene.export_html``).  :class:`CachedVTKPane`
(Panel's VTK pane over a pre-serialized scene) is kept for
``viewer.export.html_page``.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any

import param
from panel.custom import JSComponent
from panel.pane.vtk.vtk import VTKRenderWindowSynchronized

from . import styles
from .camera import CameraState
from .markers import Marker
from .scene import Scene
from .serialize import PackedScene
from .state import Style, style_diff

STATIC = Path(__file__).parent / "static"

_CSS = """
:host { display: block; position: relative; }
.tsv-stage { position: relative; width: 100%; height: 100%; min-height: inherit; overflow: hidden;
  background: #f4f5f7; touch-action: none; }
.tsv-gl { position: absolute; inset: 0; }
.tsv-gl canvas { display: block; }
.tsv-labels { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.tsv-label {
  position: absolute; left: 0; top: 0; max-width: 20em; overflow: hidden; text-overflow: ellipsis;
  background: rgba(255, 255, 255, 0.95); color: #1a202c;
  font: 600 13px/1.25 system-ui, -apple-system, "Segoe UI", sans-serif;
  padding: 2px 7px; border-radius: 5px; border: 2px solid #4a5568;
  white-space: nowrap; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.25);
}
.tsv-label.tsv-pick { background: #1a202c; color: #fff; border-color: #1a202c; }
.tsv-leader { position: absolute; left: 0; top: 0; height: 2px; transform-origin: 0 50%; opacity: 0.9; }
.tsv-dot { position: absolute; width: 8px; height: 8px; margin: -4px 0 0 -4px; border-radius: 50%;
  border: 2px solid #fff; box-shadow: 0 0 2px rgba(0, 0, 0, 0.5); }
.tsv-status { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  font: 15px system-ui, -apple-system, "Segoe UI", sans-serif; color: #4a5568; pointer-events: none; }
.tsv-status[hidden] { display: none; }
"""


class CachedVTKPane(VTKRenderWindowSynchronized):
    """Panel VTK pane that shows a pre-serialized, immutable scene (static HTML exports).

    Parameters
    ----------
    scene : dict
        Instantiated scene of a :class:`~viewer.serialize.SerializedScene`.
    arrays : mapping of str to bytes
        Its binary arrays.
    **params
        Passed to Panel's ``VTKRenderWindowSynchronized``.
    """

    def __init__(self, scene: dict, arrays: dict[str, bytes], **params: Any) -> None:
        super().__init__(None, **params)
        self._scene_dict = scene
        self._scene_arrays = arrays

    def _get_model(self, doc, root=None, parent=None, comm=None):  # noqa: ANN001, ANN202 - Panel signature
        from panel.util import lazy_load
        from pyviz_comms import JupyterComm

        plot = lazy_load("panel.models.vtk", "VTKSynchronizedPlot", isinstance(comm, JupyterComm), root)
        props = self._get_properties(doc)
        props.update(scene=self._scene_dict, arrays=self._scene_arrays, annotations=[], color_mappers=[])
        model = plot(**props)
        root = root or model
        self._link_props(model, ["camera", "enable_keybindings", "one_time_reset", "orientation_widget"], doc, root,
                         comm)
        self._models[root.ref["id"]] = (model, parent)
        return model

    def _update(self, ref, model):  # noqa: ANN001, ANN202 - Panel signature
        """The scene is immutable (a snapshot, e.g. in a standalone HTML export)."""

    def synchronize(self) -> None:
        """Refuse: re-serializing would defeat the cache."""
        raise RuntimeError("CachedVTKPane never re-serializes; serialize a new snapshot instead")


class SceneView(JSComponent):
    """Interactive 3D view of a :class:`~viewer.scene.Scene` in the browser.

    Parameters
    ----------
    scene : Scene
        Per-session scene; its state is the source of truth.
    serialized : PackedScene
        The shared packed geometry (:func:`viewer.serialize.cached_pack`,
        ``viewer.model.load_model().serialized``).
    **params
        Layout parameters (``sizing_mode``, ``min_height``...) and
        ``antialias``.
    """

    geometry = param.Bytes(default=b"", doc="Deflated geometry blob (shared by every session, never copied).")

    geometry_raw = param.Bytes(default=b"", doc="Inflated blob, only sent to browsers that cannot inflate.")

    boot = param.Dict(default={}, doc="Full state message applied before the first frame.")

    vtk_url = param.List(default=[], item_type=str, doc="Where to load vtk.js from if the page lacks it.")

    antialias = param.Selector(default="auto", objects=["auto", "on", "off"], doc="""
        Multisample anti-aliasing.  ``"auto"`` turns it off when the browser
        reports a software WebGL renderer (``failIfMajorPerformanceCaveat``),
        where it costs about 2.5x per frame.""")

    picked = param.Dict(default=None, allow_None=True, doc="""
        Last click in the 3D view: ``{"id": structure id or None, "ms": browser pick time,
        "n": click count, "position": (x, y, z) picked on the surface or None}``.  Set from the browser.""")

    ready = param.Boolean(default=False, doc="True once a browser view has drawn its first frame.")

    viewport = param.Tuple(default=(0, 0), length=2, doc="CSS pixel size of the last browser view that reported.")

    timings = param.Dict(default={}, doc="Browser timings of the first frame (ms), as reported with 'ready'.")

    _esm = STATIC / "bridge.js"
    _stylesheets = [_CSS]

    def __init__(self, scene: Scene, serialized: PackedScene, **params: Any) -> None:
        params.setdefault("sizing_mode", "stretch_both")
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._index = serialized.index
        boot = {**self._full_message(scene), "material": dict(styles.MATERIAL), "background": styles.BACKGROUND}
        super().__init__(geometry=serialized.data, boot=boot, vtk_url=_vtk_urls(), **params)
        self.scene = scene
        self.serialized = serialized
        self._browser: dict[str, Style] = scene.styles
        self._camera_version = scene.camera_version
        self._labels: list[dict] = boot["labels"]
        self._markers: list[dict] = boot["markers"]
        self._clicks = itertools.count(1)
        self._pick: dict | None = None
        self._pick_sent: dict | None = None
        self.last_message: dict | None = boot

    # -- actions (scene method + push) ------------------------------------
    def highlight(self, items, *, frame: bool = True) -> None:  # noqa: ANN001 - see Scene.highlight
        """Highlight ``(id, colour, role)`` items (see :meth:`Scene.highlight`)."""
        self.scene.highlight(items, frame=frame)
        self.push()

    def clear(self) -> None:
        """Remove highlights and markers."""
        self.scene.clear()
        self.push()

    def set_view(self, view: str) -> None:
        """Move the camera to a preset (see :data:`viewer.camera.PRESETS`)."""
        self.scene.set_view(view)
        self.push()

    def set_markers(self, markers: list[Marker]) -> None:
        """Draw point/path/region markers."""
        self.scene.set_markers(markers)
        self.push()

    def reset(self) -> None:
        """Neutral model, default view."""
        self.scene.reset()
        self.push()

    # -- protocol -----------------------------------------------------------
    def _full_message(self, scene: Scene) -> dict:
        msg = {**_full_state(scene, self._index), "seq": next(self._seq)}
        self._last_seq = msg["seq"]
        return msg

    def push(self, *, full: bool = False) -> dict | None:
        """Send what changed in :attr:`scene` since the last message.

        Parameters
        ----------
        full : bool, default: False
            Resend every style, the camera, labels and markers.

        Returns
        -------
        dict or None
            The message sent, or ``None`` when there was nothing to send.
        """
        if full:
            msg = {**self._full_message(self.scene), "pick": self._pick}
            self._pick_sent = self._pick
            self._browser = self.scene.styles
            self._camera_version = self.scene.camera_version
            self._labels, self._markers = msg["labels"], msg["markers"]
        else:
            msg = {}
            current = self.scene.styles
            diff = style_diff(self._browser, current)
            if diff:
                msg["styles"] = encode_styles(diff, self._index)
                self._browser.update(diff)
            if self.scene.camera_version != self._camera_version:
                self._camera_version = self.scene.camera_version
                msg["camera"] = self.scene.camera.to_vtkjs()
            labels = _labels(self.scene)
            if labels != self._labels:
                msg["labels"] = self._labels = labels
            markers = [m.to_message() for m in self.scene.markers]
            if markers != self._markers:
                msg["markers"] = self._markers = markers
            if self._pick != self._pick_sent:
                msg["pick"] = self._pick_sent = self._pick
            if not msg:
                return None
            msg["seq"] = self._last_seq = next(self._seq)
        self.last_message = msg
        self._send_msg(msg)
        return msg

    def show_pick(self, text: str = "", position: Any = None) -> None:
        """Show the name of a clicked structure at ``position`` in the view ("" hides it)."""
        pos = _vec3(position) if position is not None else None
        self._pick = {"text": str(text)[:80], "position": [round(c, 2) for c in pos]} if text and pos else None
        self.push()

    def hide_pick(self) -> None:
        """Remove the name of the clicked structure (sent with the next :meth:`push`)."""
        self._pick = None

    def _handle_msg(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        kind = data.get("type")
        if kind == "ready":
            self._set_viewport(data.get("size"))
            ms = data.get("ms")
            if isinstance(ms, dict):
                self.timings = {str(k)[:40]: float(v) for k, v in list(ms.items())[:20] if _is_number(v)}
            if data.get("seq") != self._last_seq:
                self.push(full=True)  # this view started from an older state (late view, lost message)
            self.ready = True
        elif kind == "pick":
            sid = data.get("id")
            sid = sid if isinstance(sid, str) and sid in self.scene.meshes else None
            ms = data.get("ms")
            position = _vec3(data.get("position")) if sid else None
            self.picked = {"id": sid, "ms": ms if _is_number(ms) else None, "n": next(self._clicks),
                           "position": position}
        elif kind == "camera":
            camera = _camera_from(data)
            if camera is not None:
                self.scene.set_camera(camera)
                self._camera_version = self.scene.camera_version  # the browser is already there
            self._set_viewport(data.get("size"))
        elif kind == "raw" and not self.geometry_raw:
            self.geometry_raw = self.serialized.raw

    def _set_viewport(self, size: Any) -> None:
        if isinstance(size, list | tuple) and len(size) == 2 and all(_is_number(v) and 0 < v < 20000 for v in size):
            self.viewport = (int(size[0]), int(size[1]))


def _labels(scene: Scene) -> list[dict]:
    return [{"text": lab.text, "position": [round(float(c), 1) for c in lab.position], "colour": styles.ink(lab.colour)}
            for lab in scene.labels()]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _vec3(value: Any) -> tuple[float, float, float] | None:
    if isinstance(value, list | tuple) and len(value) == 3 and all(_is_number(v) and abs(v) < 1e7 for v in value):
        return (float(value[0]), float(value[1]), float(value[2]))
    return None


def _camera_from(data: dict) -> CameraState | None:
    """A validated camera from a browser message (``None`` if malformed)."""
    position, focal, up = _vec3(data.get("position")), _vec3(data.get("focalPoint")), _vec3(data.get("viewUp"))
    angle = data.get("viewAngle", 30.0)
    if position is None or focal is None or up is None or not _is_number(angle) or not 1 <= angle <= 120:
        return None
    if math.dist(position, focal) < 1e-6 or math.hypot(*up) < 1e-6:
        return None
    return CameraState(position, focal, up, float(angle))


def _vtk_urls() -> list[str]:
    """vtk.js locations Panel uses (server-relative bundle, then CDN)."""
    try:
        from panel.models.vtk import AbstractVTKPlot

        return [*AbstractVTKPlot.__javascript__, *AbstractVTKPlot.__javascript_raw__]
    except Exception:  # pragma: no cover - Panel layout changed
        return []


def standalone_html(scene: Scene, *, title: str = "Thoracic spine", note: str = "") -> str:
    """Return an offline HTML page showing ``scene`` with the web app's viewer code.

    vtk.js (Panel's bundled copy), ``bridge.js``, the packed model and a boot
    message with the scene's current styles, camera, labels and markers are
    inlined; a tiny stand-in for Panel's ``model`` object feeds them to
    ``bridge.js``.  The page needs no server and no network.

    Parameters
    ----------
    scene : Scene
        The scene to show (current state and camera).
    title : str, default: "Thoracic spine"
        Page title and heading (escaped).
    note : str, default: ""
        Short text under the heading (escaped).

    Returns
    -------
    str
        The HTML page.
    """
    import base64
    import html
    import json

    from panel.models.vtk import VTK_VERSION

    import panel

    from .serialize import cached_pack

    vtk_js = Path(panel.__file__).parent / "dist" / "bundled" / "abstractvtkplot" / f"vtk.js@{VTK_VERSION}" / "vtk.js"
    packed = cached_pack(scene.meshes)
    view = {"geometry": base64.b64encode(packed.data).decode(), "boot": {
        **_full_state(scene, packed.index), "material": dict(styles.MATERIAL), "background": styles.BACKGROUND}}

    def script(text: str) -> str:  # nothing may close the inline <script> early
        return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")

    bridge = (STATIC / "bridge.js").read_text(encoding="utf-8").replace("export function render", "function render")
    parts = {"TITLE": html.escape(title), "NOTE": html.escape(note), "CSS": _CSS,
             "VIEW": script(json.dumps(view, separators=(",", ":"))), "BRIDGE": script(bridge),
             "VTK": script(vtk_js.read_text(encoding="utf-8"))}
    page = (STATIC / "standalone.html").read_text(encoding="utf-8")
    return re.sub(r"@@(TITLE|NOTE|CSS|VIEW|BRIDGE|VTK)@@", lambda m: parts[m.group(1)], page)


def encode_styles(diff: Mapping[str, Style], index: Mapping[str, int]) -> list[list]:
    """Group styles: ``[[r, g, b, opacity, visible, "i-j,k,..."], ...]`` (ids unknown to ``index`` are dropped).

    The last item lists the blob positions sharing the style as ranges.

    Examples
    --------
    >>> encode_styles({"a": (1, 0, 0, 1.0, True), "b": (1, 0, 0, 1.0, True), "c": (1, 0, 0, 1.0, True)},
    ...               {"a": 0, "b": 1, "c": 5})
    [[1, 0, 0, 1.0, 1, '0-1,5']]
    """
    groups: dict[tuple, list[int]] = {}
    for sid, (r, g, b, a, v) in diff.items():
        if sid in index:
            groups.setdefault((r, g, b, a, int(v)), []).append(index[sid])
    return [[*key, _ranges(sorted(ids))] for key, ids in groups.items()]


def _ranges(ids: list[int]) -> str:
    out: list[str] = []
    start = prev = ids[0]
    for i in [*ids[1:], None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ",".join(out)


def decode_styles(encoded: list[list], ids: Sequence[str]) -> dict[str, list]:
    """Inverse of :func:`encode_styles`: ``{id: [r, g, b, opacity, visible]}`` (tests, debugging)."""
    out = {}
    for style in encoded:
        for part in style[5].split(","):
            lo, _, hi = part.partition("-")
            for i in range(int(lo), int(hi or lo) + 1):
                out[ids[i]] = list(style[:5])
    return out


def _full_state(scene: Scene, index: Mapping[str, int]) -> dict:
    return {"styles": encode_styles(scene.styles, index),
            "camera": scene.camera.to_vtkjs(), "labels": _labels(scene),
            "markers": [m.to_message() for m in scene.markers], "seq": 1}
