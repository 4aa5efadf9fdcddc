"""Notebook and scripting API: one scene, shown in Jupyter or saved as PNG/HTML/glTF.

>>> import viewer
>>> viewer.show("slipping_rib_syndrome", level="R9", side="left")   # doctest: +SKIP

shows the web app in a cell, with the same highlight, camera and
explanation.  For scripted figures use :class:`SpineScene`:

=====================================================  ==========================================
``s = SpineScene()``                                   neutral model, oblique view
``s = SpineScene.from_spec("fig.json")``               rebuild a saved figure (JSON/dict/URL/PNG)
``s.highlight("facet_joint_pain", level="T6-T7")``     a condition or treatment (replaces the last)
``s.highlight(["rib_L9", "rib_L10"], colour="red")``   structures in a colour (adds to the highlight)
``s.set_opacity("rib", 0.4)``, ``s.set_visible(...)``  layer opacity / visibility per display group
``s.set_mode(xray=True)``                              x-ray, isolate, fade, as in the web app
``s.set_view("posterior")``, ``s.set_camera(...)``     camera preset or explicit camera
``s.add_label("vertebra_T6", "T6")``                   a labelled pin on a structure
``s.screenshot("fig.png", width=1600, height=1200)``   PNG with labels and legend (off-screen)
``s.save("fig.html")`` / ``.glb`` / ``.stl`` / ``.obj``  offline HTML page, glTF, meshes in mm
``s.spec``, ``s.spec.to_json("fig.json")``             the figure as plain data
``s.plotter``                                          the ``pyvista.Plotter`` for anything else
``s`` (last line of a cell), ``s.panel()``             interactive 3D view in the notebook
=====================================================  ==========================================

Every mutator returns the scene, so calls chain:
``SpineScene().highlight("costochondritis", side="left").screenshot("cc.png")``.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    # Off-screen rendering without a display: VTK's EGL window (must precede the VTK import).
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np  # noqa: E402
import pyvista as pv  # noqa: E402

from . import export, styles  # noqa: E402
from .camera import DEFAULT_VIEW, CameraState, camera_for  # noqa: E402
from .labels import label_anchor, short_label  # noqa: E402
from .markers import Marker  # noqa: E402
from .model import ModelData, load_model  # noqa: E402
from .scene import Scene  # noqa: E402
from .spec import (  # noqa: E402
    DEFAULT_SIZE,
    SPEC_PNG_KEY,
    CustomLabel,
    SceneSpec,
    SpecError,
    check_size,
    check_url_state,
    check_view,
    load_spec,
    normalise_colour,
    _quote,
    validate,
)
from .state import Highlight  # noqa: E402

HIGHLIGHT_COLOUR = "#e4572e"
"""Default colour of structures highlighted by id."""

PIN_RADIUS = 2.0
"""Radius (mm) of the dot drawn where a custom label points."""

_SIDE_CSS = """
:host { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a202c; }
h2 { font-size: 1.3em; margin: 6px 0 6px 0; }
.tsv-legend { list-style: none; padding: 0; margin: 0 0 12px 0; }
.tsv-legend li { display: flex; align-items: center; gap: 8px; margin: 3px 0; }
.tsv-swatch { width: 14px; height: 14px; border-radius: 3px; border: 1px solid #4a5568; flex: none; }
.tsv-dot { border-radius: 50%; }
.tsv-small { font-size: 0.9em; color: #4a5568; }
.tsv-redflags { background: #fff5f5; border-left: 4px solid #e53e3e; padding: 4px 10px; margin: 8px 0; }
.tsv-disclaimer { font-size: 0.85em; color: #718096; font-style: italic; }
"""

MAX_LEGEND_ROWS = 10
"""Rows of the PNG legend; the rest are counted as "+ n more"."""


class SpineScene:
    """A scripted thoracic-spine figure: highlight, layers, camera, labels, exports.

    Parameters
    ----------
    spec : SceneSpec, dict, str or Path, optional
        Start from a spec (see :func:`viewer.spec.load_spec`); default: the
        neutral model in the oblique view.
    synthetic : bool, default: False
        Use the schematic demo model and texts (fast; for tests and demos).

    Examples
    --------
    >>> from viewer import SpineScene
    >>> scene = SpineScene().highlight("slipping_rib_syndrome", level="R9", side="left")
    >>> "cartilage_L9" in scene.highlighted
    True
    >>> scene.set_view("anterior").set_opacity("rib", 0.5).spec.view
    'anterior'
    >>> img = scene.screenshot(width=400, height=300)      # off-screen, no display needed
    >>> img.shape
    (300, 400, 3)
    >>> again = SpineScene.from_spec(scene.spec.to_dict())
    >>> again.spec == scene.spec
    True
    """

    def __init__(self, spec: SceneSpec | Mapping[str, Any] | str | Path | None = None, *,
                 synthetic: bool = False) -> None:
        self._data: ModelData = load_model(synthetic)
        self._synthetic = synthetic
        self._scene = Scene(self._data.structures, infos=self._data.infos, anchors=self._data.anchors,
                            window_size=DEFAULT_SIZE)
        self._entries = {e.id: e for e in self._data.knowledge.entries()}
        self._groups = tuple(sorted({i.group for i in self._data.infos.values()}))
        self._views: weakref.WeakSet = weakref.WeakSet()  # interactive views showing this scene
        self._sides: weakref.WeakSet = weakref.WeakSet()
        self._plotter_used = False
        self._clear_state()
        self._framed = self._scene.camera
        if spec is not None:
            self.apply(load_spec(spec))

    def _clear_state(self) -> None:
        self._entry: tuple[str, str, str] = ("", "", "")
        self._resolved: Any = None
        self._structures: tuple[Highlight, ...] = ()
        self._custom: tuple[CustomLabel, ...] = ()
        self._framed: CameraState | None = None  # the camera the spec's highlight and view give
        self._figure: dict[str, Any] = {"labels": True, "legend": True, "title": "", "size": DEFAULT_SIZE,
                                        "transparent": False}

    @classmethod
    def from_spec(cls, spec: SceneSpec | Mapping[str, Any] | str | Path, *, synthetic: bool = False) -> SpineScene:
        """Rebuild a figure from a spec, a JSON file, a web-app URL or an exported PNG."""
        return cls(spec, synthetic=synthetic)

    # -- what is shown -----------------------------------------------------------------
    def highlight(self, target: str | Iterable[str] | Mapping[str, Any], *, level: str = "", side: str = "",
                  colour: Any = None, role: str = "primary") -> SpineScene:
        """Highlight a condition/treatment, or structures by id.

        Parameters
        ----------
        target : str, list of str or dict
            A condition or treatment id (replaces the previous one, and
            frames it as the web app does), or structure ids, or a mapping
            ``{structure id: colour}``; structures are added to the highlight.
        level, side : str, optional
            Level (``"T6"``, ``"T5-T6"``, ``"R9"``) and side (``"left"``,
            ``"right"``, ``"both"``) of a condition or treatment.
        colour : colour, optional
            Colour of structures given by id (name, ``"#rrggbb"`` or RGB);
            default ``HIGHLIGHT_COLOUR``.
        role : {"primary", "secondary", "context"}, default: "primary"
            Emphasis of structures given by id.

        Returns
        -------
        SpineScene

        Raises
        ------
        SpecError
            Unknown id, or a level/side that does not apply.

        Examples
        --------
        >>> s = SpineScene(synthetic=True)
        >>> s.highlight({"rib_L6": "orange", "rib_R6": "#3b82f6"}).highlighted
        ['rib_L6', 'rib_R6']
        """
        if isinstance(target, str) and target in self._entries:
            problems = check_url_state(self._entries, target, level, side, self._scene.state.view)
            if problems:
                raise problems[0].error(target)
            self._entry = (target, level, side)
            self._resolved = self._data.knowledge.resolve(target, level or None, side or None)
        else:
            if level or side:
                raise SpecError("level" if level else "side", level or side,
                                reason="level and side apply to a condition or treatment, not to structure ids")
            items = self._structure_items(target, colour, role)
            keep = [h for h in self._structures if h.structure_id not in {i.structure_id for i in items}]
            self._structures = (*keep, *items)
        return self._refresh(frame=True)

    def _structure_items(self, target: Any, colour: Any, role: str) -> list[Highlight]:
        if isinstance(target, str):
            if target not in self._data.structures:
                raise SpecError("highlight", target, reason=f"unknown highlight {_quote(target)}: neither a condition or "
                                "treatment (choose one of: " + ", ".join(self._entries) + ") nor a structure id")
            target = [target]
        pairs = list(target.items()) if isinstance(target, Mapping) else [(sid, colour) for sid in target]
        out = []
        for sid, col in pairs:
            if sid not in self._data.structures:
                raise SpecError("structure", sid, reason=f"unknown structure {_quote(sid)}; see `thoracic-viewer "
                                "structures` for the ids")
            out.append(Highlight(sid, normalise_colour(col if col is not None else HIGHLIGHT_COLOUR), role))
        SceneSpec(structures=tuple(out))  # validates colours and roles
        return out

    def clear(self) -> SpineScene:
        """Remove every highlight, marker and custom label (keeps layers, view and camera).

        Examples
        --------
        >>> SpineScene().highlight(["rib_L9"]).clear().highlighted
        []
        """
        self._entry, self._resolved, self._structures, self._custom = ("", "", ""), None, (), ()
        self._scene.clear()  # keeps the camera, as the app does
        self._framed = camera_for(self._scene.bounds, self._scene.state.view)
        return self._push()

    def reset(self) -> SpineScene:
        """Back to the neutral model, default layers and the oblique view (figure options stay).

        Examples
        --------
        >>> SpineScene().set_visible("nerve", False).set_view("left").reset().spec == SceneSpec()
        True
        """
        self._scene.reset()
        figure = self._figure
        self._clear_state()
        self._figure = figure
        self._framed = self._scene.camera
        return self._push()

    def set_opacity(self, group: str | Mapping[str, float], opacity: float | None = None) -> SpineScene:
        """Set the opacity (0-1) of one display group, or of several with a dict.

        Highlighted structures stay opaque, as in the web app.  Groups:
        vertebra, rib, cartilage, sternum, disc, cord, nerve, joint.

        Examples
        --------
        >>> s = SpineScene().set_opacity("rib", 0.4).set_opacity({"disc": 0.6, "cord": 0.8})
        >>> dict(s.spec.opacity)
        {'cord': 0.8, 'disc': 0.6, 'rib': 0.4}
        """
        values = dict(group) if isinstance(group, Mapping) else {group: opacity}
        for g, v in values.items():
            self._check_group(g)
            SceneSpec(opacity=((g, v),))  # validates 0-1
            self._scene.set_group_opacity(g, float(v))  # type: ignore[arg-type]
        return self._push()

    def set_visible(self, groups: str | Iterable[str], visible: bool = True) -> SpineScene:
        """Show or hide display groups (``"nerve"``, ``"rib"``, ``"muscle"``...).

        Soft tissue (muscles, organs, pleura...) starts hidden.

        Examples
        --------
        >>> s = SpineScene().set_visible(["nerve", "cord"], False).set_visible("muscle")
        >>> "nerve" in s.spec.hidden, "muscle" in s.spec.hidden
        (True, False)
        """
        for g in [groups] if isinstance(groups, str) else list(groups):
            self._scene.set_group_visibility(self._check_group(g), bool(visible))
        return self._push()

    def set_mode(self, *, xray: bool | None = None, isolate: bool | None = None,
                 fade: bool | None = None) -> SpineScene:
        """Switch x-ray (translucent bone), isolate (hide the rest) or fade (dim the rest).

        Examples
        --------
        >>> s = SpineScene().highlight(["disc_T6_T7"]).set_mode(isolate=True)
        >>> s.scene.styles["vertebra_T6"][4], s.scene.styles["disc_T6_T7"][4]
        (False, True)
        """
        changes = {k: bool(v) for k, v in {"xray": xray, "isolate": isolate, "fade": fade}.items() if v is not None}
        if changes:
            self._scene.update(**changes)
        return self._push()

    def add_label(self, structure_id: str, text: str | None = None, colour: Any = "#2d3748") -> SpineScene:
        """Pin a text label to a structure (a small dot and a label in exports and views).

        Parameters
        ----------
        structure_id : str
            Structure to point at.
        text : str, optional
            Label text; default: the short clinical label (``"T6"``, ``"Rib 8 L"``).
        colour : colour, default: "#2d3748"
            Dot and border colour.

        Examples
        --------
        >>> s = SpineScene().add_label("vertebra_T6").add_label("rib_L8", "8th rib")
        >>> [lab.text for lab in s.scene.labels()]
        ['T6', '8th rib']
        """
        if structure_id not in self._data.structures:
            raise SpecError("structure", structure_id, reason=f"unknown structure {_quote(structure_id)}")
        label = text if text is not None else short_label(self._data.infos[structure_id])
        self._custom = (*self._custom, CustomLabel(structure_id, label, normalise_colour(colour)))
        return self._refresh(frame=False)

    # -- camera ----------------------------------------------------------------------------
    def set_view(self, view: str) -> SpineScene:
        """Choose a camera preset: oblique, posterior, anterior, left, right or superior.

        With a highlight, the camera frames it from that direction (as the app does).

        Examples
        --------
        >>> SpineScene().highlight("costochondritis").set_view("anterior").spec.to_query()
        'highlight=costochondritis&view=anterior'
        """
        self._scene.set_view(check_view(view))
        return self._refresh(frame=True)

    def set_camera(self, position: Sequence[float], focal_point: Sequence[float],
                   view_up: Sequence[float] = (0.0, 0.0, 1.0), view_angle: float = 30.0) -> SpineScene:
        """Place the camera explicitly (mm, RAS); kept until the next highlight or view change.

        Examples
        --------
        >>> s = SpineScene().set_camera(position=(0, -900, 150), focal_point=(0, 0, 150))
        >>> s.spec.camera.position
        (0.0, -900.0, 150.0)
        """
        cam = SceneSpec.from_dict({"camera": {"position": list(position), "focal_point": list(focal_point),
                                              "view_up": list(view_up), "view_angle": view_angle}}).camera
        self._scene.set_camera(cam)  # type: ignore[arg-type]
        return self._push()

    @property
    def camera(self) -> CameraState:
        """The current camera, including moves made through :attr:`plotter` or in the browser."""
        return self._plotter_camera() or self._scene.camera

    # -- state as data -----------------------------------------------------------------------
    @property
    def highlighted(self) -> list[str]:
        """Ids of the highlighted structures, in order."""
        return self._scene.state.highlighted_ids

    @property
    def spec(self) -> SceneSpec:
        """The current figure as a :class:`~viewer.spec.SceneSpec` (plain data).

        The camera is stored only when it was placed explicitly (or moved on
        :attr:`plotter` or in the browser); otherwise the highlight and view
        decide it, as in the web app.

        Examples
        --------
        >>> spec = SpineScene().highlight("facet_joint_pain", level="T6-T7", side="left").spec
        >>> spec.to_dict()["level"], spec.camera
        ('T6-T7', None)
        """
        st = self._scene.state
        entry, level, side = self._entry
        camera = self.camera
        if self._framed is not None and _same_camera(camera, self._framed):
            camera = None  # the highlight and view give this camera: keep the spec portable
        f = self._figure
        return SceneSpec(highlight=entry, level=level, side=side, view=st.view, structures=self._structures,
                         hidden=tuple(sorted(st.hidden_groups)), opacity=st.group_opacity, xray=st.xray,
                         isolate=st.isolate, fade=st.fade, camera=camera, labels=f["labels"], legend=f["legend"],
                         custom_labels=self._custom, title=f["title"], size=f["size"], transparent=f["transparent"])

    def apply(self, spec: SceneSpec) -> SpineScene:
        """Replace the whole state by ``spec`` (validated against the model first).

        Examples
        --------
        >>> s = SpineScene().apply(SceneSpec(highlight="costochondritis", side="left", view="anterior"))
        >>> s.spec.to_query()
        'highlight=costochondritis&side=left&view=anterior'
        """
        validate(spec, self._entries, self._data.structures, self._groups)
        self._scene.reset()
        self._clear_state()
        self._scene.update(hidden_groups=frozenset(spec.hidden), group_opacity=spec.opacity, xray=spec.xray,
                           isolate=spec.isolate, fade=spec.fade)
        self._scene.set_view(spec.view)
        if spec.highlight:
            self._entry = (spec.highlight, spec.level, spec.side)
            self._resolved = self._data.knowledge.resolve(spec.highlight, spec.level or None, spec.side or None)
        self._structures, self._custom = spec.structures, spec.custom_labels
        self._figure = {"labels": spec.labels, "legend": spec.legend, "title": spec.title, "size": spec.size,
                        "transparent": spec.transparent}
        self._refresh(frame=True)
        if spec.camera is not None:
            self._scene.set_camera(spec.camera)
        return self._push()

    def set_figure(self, *, size: tuple[int, int] | None = None, labels: bool | None = None,
                   legend: bool | None = None, title: str | None = None,
                   transparent: bool | None = None) -> SpineScene:
        """Set the defaults of :meth:`screenshot` (they are part of the spec).

        Examples
        --------
        >>> SpineScene().set_figure(size=(1200, 900), legend=False).spec.size
        (1200, 900)
        """
        if size is not None:
            size = check_size(*size)
        for key, value in {"size": size, "labels": labels, "legend": legend, "title": title,
                           "transparent": transparent}.items():
            if value is not None:
                self._figure[key] = value
        return self

    # -- PyVista -----------------------------------------------------------------------------
    @property
    def plotter(self) -> pv.Plotter:
        """The off-screen ``pyvista.Plotter``: one actor per structure id, in the scene's state.

        Use it for anything this API does not cover; camera moves made on it
        are kept in :attr:`spec` and in later exports.

        Examples
        --------
        >>> s = SpineScene()
        >>> s.plotter.actors["vertebra_T6"].prop.opacity
        1.0
        >>> s.plotter.camera.zoom(1.5)
        >>> s.spec.camera is not None
        True
        """
        self._plotter_used = True
        return self._scene.plotter

    @property
    def scene(self) -> Scene:
        """The underlying :class:`viewer.scene.Scene` (shared with the web app's code)."""
        return self._scene

    # -- exports -------------------------------------------------------------------------------
    def screenshot(self, path: str | Path | None = None, *, width: int | None = None, height: int | None = None,
                   transparent: bool | None = None, labels: bool | None = None, legend: bool | None = None,
                   title: str | None = None) -> np.ndarray:
        """Render a PNG figure off-screen (EGL; no display needed).

        Parameters
        ----------
        path : str or Path, optional
            Write a PNG here (atomically); the scene spec is stored in it.
        width, height : int, optional
            Pixels, 16-4000 each (default: the spec size, 1600 x 1200).
        transparent : bool, optional
            Transparent background (default: the spec's, ``False``).
        labels : bool, optional
            Label the highlighted structures and pins (default ``True``).
        legend : bool, optional
            Legend naming the highlighted structures (default ``True``).
        title : str, optional
            Legend title (default: the condition or treatment, level, side).

        Returns
        -------
        (height, width, 3 or 4) uint8 ndarray
            The image, RGBA when transparent.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> s = SpineScene().highlight("slipping_rib_syndrome", level="R9", side="left")
        >>> s.screenshot(folder / "srs.png", width=640, height=480).shape
        (480, 640, 3)
        >>> SpineScene.from_spec(folder / "srs.png").spec.level     # the PNG carries its spec
        'R9'
        """
        f = self._figure
        w, h = check_size(width if width is not None else f["size"][0], height if height is not None else f["size"][1])
        transparent = f["transparent"] if transparent is None else bool(transparent)
        labels = f["labels"] if labels is None else bool(labels)
        legend = f["legend"] if legend is None else bool(legend)
        self._sync_plotter_camera()
        fig = export.figure(self._scene, w, h, transparent=transparent, labels=labels,
                            legend=self.legend(title) if legend else None)
        if path is not None:
            spec = self.spec.with_(size=(w, h), transparent=transparent, labels=labels, legend=legend,
                                   title=title if title is not None else f["title"])
            export.write_atomic(_suffix(path, ".png"), export.png_bytes(fig.image, {SPEC_PNG_KEY: spec.to_json()}))
        return fig.image

    def save(self, path: str | Path, **options: Any) -> Path:
        """Save by extension: ``.png``, ``.html``, ``.glb``, ``.stl`` or ``.obj``.

        ``options`` go to :meth:`screenshot`, :meth:`save_html`, :meth:`save_gltf`
        or :meth:`save_mesh`.  The file is written atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> s = SpineScene().highlight("costochondritis", side="left")
        >>> s.save(folder / "cc.glb").stat().st_size > 1_000_000
        True
        >>> s.save(folder / "cc.jpg")
        Traceback (most recent call last):
        ...
        ValueError: unsupported output extension '.jpg' of '...cc.jpg'; choose one of: .png, .html, .glb, .stl, .obj
        """
        ext = export.output_format(path)
        if ext == ".png":
            self.screenshot(path, **options)
            return Path(path)
        if ext == ".html":
            return self.save_html(path, **options)
        if ext == ".glb":
            return self.save_gltf(path, **options)
        return self.save_mesh(path, **options)

    def save_html(self, path: str | Path, *, title: str | None = None) -> Path:
        """Write one offline HTML page: the rotatable 3D view, drawn by the web app's viewer code.

        vtk.js, the model and the scene's colours, camera, labels and markers
        are inlined (:func:`viewer.bridge.standalone_html`), so the file opens
        from disk without internet.  The heading names the condition and the
        note lists the highlighted structures and the education-only notice.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> page = pathlib.Path(tempfile.mkdtemp()) / "cc.html"
        >>> SpineScene().highlight("costochondritis").save_html(page).read_text()[:15].lower()
        '<!doctype html>'
        """
        from .bridge import standalone_html

        self._sync_plotter_camera()
        legend = self.legend(title)
        names = [i.text for i in legend.items if i.kind == "structure"] + (
            [f"{legend.more} more"] if legend.more else [])
        note = (f"Shown: {', '.join(names)}. " if names else "") + legend.note
        page = standalone_html(self._scene, title=legend.title or "Thoracic spine", note=note)
        return export.write_atomic(_suffix(path, ".html"), page.encode("utf-8"))

    def save_gltf(self, path: str | Path, *, upright: bool = True) -> Path:
        """Write a glTF binary: one node per visible structure, named by id, in its colour, in mm.

        ``upright=True`` adds a root node turning the RAS model (z up) to
        glTF's y-up convention; vertex coordinates stay in model mm.

        Examples
        --------
        >>> import tempfile, pathlib, trimesh
        >>> path = SpineScene().save_gltf(pathlib.Path(tempfile.mkdtemp()) / "model.glb")
        >>> "vertebra_T6" in trimesh.load(path, force="scene").graph.nodes
        True
        """
        data = export.glb_bytes(self._scene, upright=upright, metadata={"spec": self.spec.to_dict()})
        return export.write_atomic(_suffix(path, ".glb"), data)

    def save_mesh(self, path: str | Path, ids: Iterable[str] | None = None) -> Path:
        """Write STL (one mesh) or OBJ (+ MTL, one object each) of structures, in mm (RAS, z up).

        ``ids`` defaults to the highlighted structures, or every visible one
        when nothing is highlighted.

        Examples
        --------
        >>> import tempfile, pathlib, trimesh
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "t6.stl"
        >>> mesh = trimesh.load(SpineScene().save_mesh(path, ["vertebra_T6"]))
        >>> bool(20 < mesh.extents.max() < 150)                 # millimetres
        True
        """
        ext = export.output_format(path)
        if ext not in (".stl", ".obj"):
            raise ValueError(f"save_mesh writes .stl or .obj, not {ext!r}")
        chosen = list(ids) if ids is not None else (self.highlighted or
                                                    [s for s, v in self._scene.styles.items() if v[4]])
        for sid in chosen:
            if sid not in self._data.structures:
                raise SpecError("structure", sid, reason=f"unknown structure {_quote(sid)}")
        if ext == ".stl":
            return export.write_atomic(path, export.stl_bytes(self._scene, chosen))
        mtl = Path(path).with_suffix(".mtl")
        obj, mtl_data = export.obj_files(self._scene, chosen, mtl.name)
        had_mtl = mtl.exists()
        export.write_atomic(mtl, mtl_data)
        try:
            return export.write_atomic(path, obj)
        except BaseException:
            if not had_mtl:
                mtl.unlink(missing_ok=True)  # no half export (an MTL without its OBJ)
            raise

    # -- legend and texts ------------------------------------------------------------------------
    def legend(self, title: str | None = None) -> export.Legend:
        """The legend of the current figure: highlighted structures and markers, named.

        Examples
        --------
        >>> legend = SpineScene().highlight("slipping_rib_syndrome", level="R9", side="left").legend()
        >>> legend.title
        'Slipping rib syndrome · rib 9 · left side'
        >>> "Left 9th costal cartilage" in [item.text for item in legend.items]
        True
        """
        rows: list[export.LegendItem] = []
        current = self._scene.styles
        for sid in self.highlighted:
            rows.append(export.LegendItem(styles.rgb_to_hex(current[sid][:3]), self._name(sid)))
        for m in self._resolved.markers if self._resolved else ():
            if m.label:
                rows.append(export.LegendItem(m.colour, m.label, "marker"))
        title = title if title is not None else (self._figure["title"] or self._title())
        return export.Legend(title, tuple(rows[:MAX_LEGEND_ROWS]), self._disclaimer(),
                             max(0, len(rows) - MAX_LEGEND_ROWS))

    def _title(self) -> str:
        entry = self._entries.get(self._entry[0])
        if entry is None:
            return ""
        parts = [entry.name]
        levels = tuple(self._resolved.levels) if self._resolved else ()
        if levels:
            parts.append(_levels_text(levels))
        side = self._resolved.side if self._resolved else None
        if side in ("left", "right"):
            parts.append(f"{side} side")
        elif side == "both" and entry.sides and set(entry.sides) != {"both"}:
            parts.append("both sides")
        return " · ".join(parts)

    def _name(self, sid: str) -> str:
        try:
            return self._data.knowledge.structure(sid).name
        except (KeyError, ValueError, AttributeError):
            return short_label(self._data.infos[sid])

    def _disclaimer(self) -> str:
        kb = self._data.knowledge
        return getattr(getattr(kb, "kb", None), "disclaimer_short", "") or "For education only; not medical advice."

    def _side_html(self, title: str | None = None) -> str:
        from .panels import explanation_html

        head = title or self._title() or "Thoracic spine"
        legend = self.legend(title)
        rows = "".join(
            f"<li><span class='tsv-swatch{' tsv-dot' if i.kind == 'marker' else ''}' "
            f"style='background:{escape(i.colour)}'></span>{escape(i.text)}</li>" for i in legend.items)
        parts = [f"<h2>{escape(head)}</h2>", f"<ul class='tsv-legend'>{rows}</ul>" if rows else "",
                 "<p class='tsv-small'>Drag to rotate, scroll to zoom, right-drag to pan.</p>"]
        if self._entry[0]:
            ex = self._data.knowledge.explain(self._entry[0])
            body = explanation_html(ex, "patient", [], self._disclaimer())
            parts.append(body.split("\n", 1)[1] if "\n" in body else body)  # drop its repeated <h3> name
        else:
            parts.append(f"<p class='tsv-disclaimer'>{escape(self._disclaimer())}</p>")
        return "\n".join(p for p in parts if p)

    # -- interactive view ------------------------------------------------------------------------
    def panel(self, *, height: int = 560, sidebar: bool = True) -> Any:
        """Interactive 3D view (Panel) of this scene; it follows later changes.

        Parameters
        ----------
        height : int, default: 560
            Height in pixels.
        sidebar : bool, default: True
            Show the legend and explanation next to the view.

        Returns
        -------
        panel.viewable.Viewable
            A row with the legend/explanation and the 3D view (the web app's
            :class:`~viewer.bridge.SceneView`).

        Examples
        --------
        >>> SpineScene().highlight("costochondritis").panel(height=400)    # doctest: +SKIP
        """
        import panel as pn

        from .bridge import SceneView

        ensure_extension()
        view = SceneView(self._scene, self._data.serialized, height=height, sizing_mode="stretch_width")
        self._views.add(view)
        if not sidebar:
            return view
        side = pn.pane.HTML(self._side_html(), width=320, height=height, styles={"overflow-y": "auto"},
                            stylesheets=[_SIDE_CSS])
        self._sides.add(side)
        return pn.Row(side, view, sizing_mode="stretch_width", height=height)

    def __panel__(self) -> Any:
        return self.panel()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return self.panel()._repr_mimebundle_(include, exclude)

    def __repr__(self) -> str:
        entry, level, side = self._entry
        what = ", ".join(f"{k}={v!r}" for k, v in (("highlight", entry), ("level", level), ("side", side)) if v)
        return (f"SpineScene({what + ', ' if what else ''}view={self._scene.state.view!r}, "
                f"{len(self.highlighted)} highlighted)")

    # -- internals -----------------------------------------------------------------------------------
    def _check_group(self, group: str) -> str:
        if group not in self._groups:
            raise SpecError("group", group, self._groups)
        return group

    def _pins(self) -> tuple[Marker, ...]:
        return tuple(Marker("point", (label_anchor(self._data.structures[c.structure_id], self._data.anchors,
                                                   c.structure_id),), c.colour, c.text, radius=PIN_RADIUS)
                     for c in self._custom)

    def _refresh(self, *, frame: bool) -> SpineScene:
        """Apply entry + structure highlights and markers to the scene (the app's order)."""
        resolved = self._resolved
        if resolved is not None or self._structures:
            self._scene.highlight((*(resolved.highlights if resolved else ()), *self._structures), frame=frame)
        else:
            self._scene.update(highlights=())
        self._scene.set_markers((*(resolved.markers if resolved else ()), *self._pins()))
        if frame:
            self._framed = self._scene.camera
        return self._push()

    def _push(self) -> SpineScene:
        for view in self._views:
            view.push()
        if self._sides:
            html = self._side_html()
            for side in self._sides:
                side.object = html
        return self

    def _plotter_camera(self) -> CameraState | None:
        """The plotter's camera if a user moved it through :attr:`plotter`, else ``None``."""
        if not self._plotter_used:
            return None
        cam = self._scene.plotter.camera
        now = CameraState(tuple(cam.position), tuple(cam.focal_point), tuple(cam.up), float(cam.view_angle))
        return None if _same_camera(now, self._scene.camera) else now

    def _sync_plotter_camera(self) -> None:
        """Make the scene (and the interactive views) follow a camera moved on the plotter."""
        moved = self._plotter_camera()
        if moved is not None:
            self._scene.set_camera(moved)
            self._push()


def show(highlight: str = "", *, level: str = "", side: str = "", view: str = DEFAULT_VIEW,
         audience: str = "patient", synthetic: bool = False) -> Any:
    """Show the web app in a notebook cell, opened at a condition or treatment.

    Parameters
    ----------
    highlight : str, default: ""
        Condition or treatment id, or a web-app URL / query string
        (``"?highlight=...&level=...&side=..."``).
    level, side : str, optional
        As in the app's URL (``level="R9"``, ``side="left"``).
    view : str, default: "oblique"
        Camera preset.
    audience : {"patient", "student"}, default: "patient"
        Which explanation to show.
    synthetic : bool, default: False
        Schematic demo model and texts.

    Returns
    -------
    viewer.app.SpineViewer
        A Panel viewable: the same highlight, camera and explanation as the
        web app at that URL.  ``pn.extension("vtk")`` is called if needed.

    Raises
    ------
    SpecError
        Unknown condition/treatment, or a level, side or view that does not apply.

    Examples
    --------
    >>> import viewer
    >>> app = viewer.show("slipping_rib_syndrome", level="R9", side="left")
    >>> "cartilage_L9" in app.scene.state.highlighted_ids
    True
    """
    from .app import SpineViewer

    ensure_extension()
    if _looks_like_url(highlight):
        if level or side or view != DEFAULT_VIEW:
            raise SpecError("highlight", highlight, reason="pass either a web-app URL or level/side/view, not both")
        spec = SceneSpec.from_url(highlight)
    else:
        spec = SceneSpec(highlight=highlight, level=level, side=side, view=check_view(view))
    data = load_model(synthetic)
    entries = {e.id: e for e in data.knowledge.entries()}
    validate(spec, entries, data.structures, sorted({i.group for i in data.infos.values()}))
    return SpineViewer(synthetic=synthetic, audience=audience, **spec.app_params())


def _looks_like_url(text: str) -> bool:
    """True for a web-app URL or its query string (``?highlight=...``), not for an id."""
    text = text.strip()
    return text.startswith("?") or "://" in text


def ensure_extension() -> None:
    """Call ``pn.extension("vtk")`` unless the VTK extension is already loaded."""
    import panel as pn
    from panel.config import panel_extension

    if "vtk" not in panel_extension._loaded_extensions:
        pn.extension("vtk")


def _same_camera(a: CameraState, b: CameraState, tol: float = 1e-3) -> bool:
    return all(np.allclose(getattr(a, k), getattr(b, k), atol=tol)
               for k in ("position", "focal_point", "view_up", "view_angle"))


def _suffix(path: str | Path, ext: str) -> Path:
    path = Path(path)
    if path.suffix.lower() != ext:
        raise ValueError(f"expected a {ext} file name, got {str(path)!r}")
    return path


def _levels_text(levels: Sequence[str]) -> str:
    """``("R9",)`` -> ``"rib 9"``; ``("R8", "R9")`` -> ``"ribs 8, 9"``; ``("T5-T6",)`` -> ``"T5–T6"``."""
    if all(lv.startswith("R") for lv in levels):
        nums = ", ".join(lv[1:] for lv in levels)
        return f"rib{'s' if len(levels) > 1 else ''} {nums}"
    return ", ".join(lv.replace("-", "–") for lv in levels)
