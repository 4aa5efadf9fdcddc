"""Browser bridge: style, camera, labels and picking without re-serializing.

:class:`SceneView` is a small ``panel.custom.JSComponent`` that wraps Panel's
VTK pane.  The scene geometry is sent once (from the process-wide cache of
:mod:`viewer.serialize`); afterwards Python sends one small message per user
action::

    {"seq": 7, "styles": {"rib_L9": [0.3, 0.69, 0.31, 1.0, 1], ...},
     "camera": {"position": [...], "focalPoint": [...], "viewUp": [...]},
     "labels": [{"text": "R9 L", "position": [...], "colour": "#4caf50"}],
     "markers": [{"kind": "point", "points": [[...]], ...}]}

and the browser applies it to the vtk.js actors and renders one frame.  A
click is picked in the browser with ``vtkCellPicker`` and comes back as
``{"type": "pick", "id": "rib_L9"}``, which sets :attr:`SceneView.picked`.

Panel 1.9 / vtk.js internals relied on (Panel pinned ``>=1.9,<1.10``; the
browser tests in ``tests/test_browser_bridge.py`` exercise every one):

Python (``panel/pane/vtk/vtk.py``, ``synchronizable_serializer.py``)
    * ``VTKRenderWindowSynchronized._get_model`` builds ``VTKSynchronizedPlot``
      with ``scene``/``arrays``/``annotations`` props; :class:`CachedVTKPane`
      overrides it to pass the cached scene, and ``_update`` to never
      re-serialize.  ``_link_props`` links ``camera`` both ways.
    * ``synchronizable_serializer``: ``serializeInstance``,
      ``initializeSerializers``, ``SynchronizationContext`` (subclassed),
      ``getReferenceId`` (instance id = id root + 16 hex digits of the VTK
      pointer; cameras get no root).
JavaScript (``panel/models/vtk/vtksynchronized.ts``, ``vtklayout.ts``)
    * the pane's Bokeh model gets ``renderer_el`` (Panel's
      FullScreenRenderWindowSynchronized) with ``getSynchronizerContext()``,
      ``getRenderer()``, ``getRenderWindow()``, ``getOpenGLRenderWindow()``,
      ``getContainer()``; ``context.getInstance(id)`` /
      ``getInstanceId(actor)`` map instance ids and vtk.js actors.
    * the pane view's ``_renderable`` flag (true once the scene is built, and
      held false while a batch is applied so camera setters do not each
      render a frame) and ``_get_camera_state()`` (pushes the camera back to
      the ``camera`` property).
    * the global ``window.vtk`` UMD bundle (vtk.js 30.1) that Panel loads,
      for ``vtkCellPicker``, ``vtkSphereSource``, ``vtkTubeFilter``.
Panel ESM API (public): ``model.get_child``, ``model.on("msg:custom")``,
``model.send_msg``, ``view.get_child_view``, ``JSComponent._send_msg`` and
``_handle_msg``.
"""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

import param
from panel.custom import JSComponent
from panel.pane.vtk.vtk import VTKRenderWindowSynchronized
from panel.viewable import Viewable

from .camera import CameraState
from .markers import Marker
from .scene import Scene
from .serialize import SerializedScene
from .state import SceneState, Style, compute_styles, style_diff

STATIC = Path(__file__).parent / "static"

_CSS = """
:host { display: block; position: relative; }
.tsv-stage { position: relative; width: 100%; height: 100%; min-height: inherit; }
.tsv-stage > :first-child { width: 100%; height: 100%; }
.tsv-labels { position: absolute; inset: 0; pointer-events: none; overflow: hidden; }
.tsv-label {
  position: absolute; transform: translate(-50%, -100%);
  background: rgba(255, 255, 255, 0.94); color: #1a202c;
  font: 600 13px/1.25 system-ui, -apple-system, "Segoe UI", sans-serif;
  padding: 2px 7px; border-radius: 5px; border: 2px solid #4a5568;
  white-space: nowrap; box-shadow: 0 1px 3px rgba(0, 0, 0, 0.25);
}
"""


class CachedVTKPane(VTKRenderWindowSynchronized):
    """Panel VTK pane that shows a pre-serialized, immutable scene.

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
        """The scene is immutable: changes travel through :class:`SceneView`."""

    def synchronize(self) -> None:
        """Refuse: re-serializing would defeat the cache (use :class:`SceneView`)."""
        raise RuntimeError("CachedVTKPane never re-serializes; send changes through SceneView")


class SceneView(JSComponent):
    """Interactive 3D view of a :class:`~viewer.scene.Scene` in the browser.

    Parameters
    ----------
    scene : Scene
        Per-session scene; its state is the source of truth.
    serialized : SerializedScene
        The shared neutral scene (from :func:`viewer.serialize.cached_scene`).
    **params
        Layout parameters (``sizing_mode``, ``min_height``...).
    """

    pane = param.ClassSelector(class_=Viewable, doc="The wrapped Panel VTK pane (a child of the component).")

    actor_ids = param.Dict(default={}, doc="Structure id -> vtk.js instance id in the browser scene.")

    picked = param.Dict(default=None, allow_None=True, doc="""
        Last click in the 3D view: ``{"id": structure id or None, "ms": browser pick time,
        "n": click count}``.  Set from the browser.""")

    ready = param.Boolean(default=False, doc="True once a browser view has built the scene.")

    _esm = STATIC / "bridge.js"
    _stylesheets = [_CSS]

    def __init__(self, scene: Scene, serialized: SerializedScene, **params: Any) -> None:
        root = f"v{uuid.uuid4().hex[:10]}"
        scene_dict, actor_ids = serialized.instantiate(root)
        _set_scene_camera(scene_dict, scene.camera)
        pane = CachedVTKPane(scene_dict, dict(serialized.arrays), sizing_mode="stretch_both",
                             enable_keybindings=False, orientation_widget=False)
        params.setdefault("sizing_mode", "stretch_both")
        super().__init__(pane=pane, actor_ids=actor_ids, **params)
        self.scene = scene
        self._neutral: dict[str, Style] = compute_styles(scene.infos, SceneState())
        self._browser: dict[str, Style] = dict(self._neutral)
        self._camera_version = scene.camera_version
        self._labels: list[dict] = []
        self._markers: list[dict] = []
        self._seq = itertools.count(1)
        self._clicks = itertools.count(1)
        self.last_message: dict | None = None

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
    def push(self, *, full: bool = False) -> dict | None:
        """Send what changed in :attr:`scene` since the last message.

        Parameters
        ----------
        full : bool, default: False
            Resend the camera, labels and markers even if unchanged.

        Returns
        -------
        dict or None
            The message sent, or ``None`` when there was nothing to send.
        """
        current = self.scene.styles
        msg: dict[str, Any] = {}
        diff = style_diff(self._browser, current)
        if diff:
            msg["styles"] = {k: [*v[:4], int(v[4])] for k, v in diff.items()}
            self._browser.update(diff)
        if full or self.scene.camera_version != self._camera_version:
            self._camera_version = self.scene.camera_version
            msg["camera"] = self.scene.camera.to_vtkjs()
        labels = [{"text": lab.text, "position": list(lab.position), "colour": lab.colour} for lab in self.scene.labels()]
        if full or labels != self._labels:
            msg["labels"] = self._labels = labels
        markers = [m.to_message() for m in self.scene.markers]
        if full or markers != self._markers:
            msg["markers"] = self._markers = markers
        if not msg:
            return None
        msg["seq"] = next(self._seq)
        self.last_message = msg
        self._send_msg(msg)
        return msg

    def _handle_msg(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        if data.get("type") == "ready":
            # a (new) browser view starts from the neutral cached scene
            self._browser = dict(self._neutral)
            self.ready = True
            self.push(full=True)
        elif data.get("type") == "pick":
            sid = data.get("id")
            sid = sid if isinstance(sid, str) and sid in self.scene.meshes else None
            ms = data.get("ms")
            self.picked = {"id": sid, "ms": ms if isinstance(ms, int | float) else None, "n": next(self._clicks)}


def _set_scene_camera(scene: dict, camera: CameraState) -> None:
    """Write ``camera`` into the renderer camera of a serialized scene."""
    for renderer in scene.get("dependencies", []):
        for dep in renderer.get("dependencies", []):
            if "Camera" in str(dep.get("type", "")):
                dep["properties"].update(
                    position=list(camera.position), focalPoint=list(camera.focal_point), viewUp=list(camera.view_up)
                )
