"""The 3D scene: one named PyVista actor per structure, styled from plain data.

>>> from viewer.scene import Scene                           # doctest: +SKIP
>>> scene = Scene(meshes.load_structures())                  # doctest: +SKIP
>>> scene.highlight([("rib_L9", "#4caf50", "primary")])      # doctest: +SKIP
>>> scene.set_view("posterior"); scene.screenshot("rib9.png")  # doctest: +SKIP

The :class:`~viewer.state.SceneState` (highlight, layers, x-ray, view) is the
single source of truth.  Every change returns the style *diff* so the web app
can forward it to the browser; the PyVista plotter is only built on first use
(``scene.plotter``) and then kept in step, so exports match the browser.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pyvista as pv

from . import styles
from .camera import DEFAULT_VIEW, PRESETS, CameraState, camera_for
from .labels import Label, infos_from_specs, label_anchor, place_labels, short_label, short_text
from .markers import Marker
from .state import Highlight, SceneState, Style, StructureInfo, compute_styles, highlights_from, style_diff


class Scene:
    """Thoracic model scene with per-structure colour, opacity and visibility.

    Parameters
    ----------
    structures : mapping of str to pyvista.PolyData
        Surface per structure id (mm, RAS).  Treated as read-only and shared.
    infos : mapping of str to StructureInfo, optional
        Group/level/side per id; derived from ``meshes.ids`` when omitted.
    anchors : mapping of str to (x, y, z), optional
        ``"<id>.<anchor>"`` points from ``meshes.load_anchors()``.
    window_size : tuple of int, default: (1200, 900)
        Size of off-screen exports.
    """

    def __init__(
        self,
        structures: Mapping[str, pv.PolyData],
        *,
        infos: Mapping[str, StructureInfo] | None = None,
        anchors: Mapping[str, tuple[float, float, float]] | None = None,
        window_size: tuple[int, int] = (1200, 900),
    ) -> None:
        self.meshes: Mapping[str, pv.PolyData] = structures
        self.infos: dict[str, StructureInfo] = dict(infos or infos_from_specs(structures))
        self.anchors = dict(anchors or {})
        self.window_size = window_size
        self.bounds: tuple[float, ...] = _union_bounds(structures.values())
        self._state = SceneState()
        self._styles: dict[str, Style] = compute_styles(self.infos, self._state)
        self.markers: tuple[Marker, ...] = ()
        self.camera: CameraState = camera_for(self.bounds, DEFAULT_VIEW)
        self.camera_version = 0  # bumped whenever the camera is set (a move the browser must follow)
        self._plotter: pv.Plotter | None = None

    # -- state -------------------------------------------------------------
    @property
    def state(self) -> SceneState:
        """Current :class:`~viewer.state.SceneState` (immutable)."""
        return self._state

    @property
    def styles(self) -> dict[str, Style]:
        """Current ``(r, g, b, opacity, visible)`` of every structure."""
        return dict(self._styles)

    def update(self, **changes: object) -> dict[str, Style]:
        """Change the state and return the styles that changed.

        Parameters
        ----------
        **changes
            Fields of :class:`~viewer.state.SceneState`.

        Returns
        -------
        dict of str to Style
            Only the structures whose style changed.
        """
        self._state = self._state.with_(**changes)
        new = compute_styles(self.infos, self._state)
        diff = style_diff(self._styles, new)
        self._styles = new
        if self._plotter is not None:
            self._apply_styles(diff)
        return diff

    def highlight(
        self, items: Iterable[Highlight | tuple[str, str] | tuple[str, str, str]], *, frame: bool = True
    ) -> dict[str, Style]:
        """Highlight ``(structure_id, colour, role)`` items; fade the rest.

        Unknown ids are ignored.  With ``frame=True`` the camera frames the
        highlighted structures from the current view direction.
        """
        hl = tuple(h for h in highlights_from(items) if h.structure_id in self.meshes)
        diff = self.update(highlights=hl)
        if frame:
            self.frame([h.structure_id for h in hl])
        return diff

    def clear(self) -> dict[str, Style]:
        """Remove highlights, markers and labels; keep layers and view."""
        self.set_markers(())
        return self.update(highlights=())

    def set_group_visibility(self, group: str, visible: bool) -> dict[str, Style]:
        """Show or hide a display group (``"rib"``, ``"nerve"``...)."""
        hidden = set(self._state.hidden_groups)
        hidden.discard(group) if visible else hidden.add(group)
        return self.update(hidden_groups=frozenset(hidden))

    def set_group_opacity(self, group: str, opacity: float) -> dict[str, Style]:
        """Set the layer opacity of a display group (0-1)."""
        values = dict(self._state.group_opacity)
        values[group] = float(min(1.0, max(0.0, opacity)))
        return self.update(group_opacity=tuple(sorted(values.items())))

    def set_xray(self, on: bool) -> dict[str, Style]:
        """Make bone and cartilage translucent (``True``) or opaque."""
        return self.update(xray=bool(on))

    def set_isolate(self, on: bool) -> dict[str, Style]:
        """Hide everything but the highlighted structures (``True``)."""
        return self.update(isolate=bool(on))

    def set_fade(self, on: bool) -> dict[str, Style]:
        """Fade non-highlighted structures while something is highlighted."""
        return self.update(fade=bool(on))

    def reset(self) -> dict[str, Style]:
        """Back to the neutral model and the default view."""
        self.set_markers(())
        diff = self.update(**SceneState().__dict__)
        self.set_view(DEFAULT_VIEW)
        return diff

    # -- camera --------------------------------------------------------------
    def set_view(self, view: str) -> CameraState:
        """Move the camera to a preset framing the whole model."""
        if view not in PRESETS:
            raise KeyError(f"unknown view {view!r}; choose one of {sorted(PRESETS)}")
        self._state = self._state.with_(view=view)
        return self._set_camera(camera_for(self.bounds, view))

    def set_camera(self, camera: CameraState) -> CameraState:
        """Place the camera explicitly (e.g. where the user rotated it in the browser).

        The preset in :attr:`state` is kept; the next :meth:`set_view`,
        :meth:`frame` or framed :meth:`highlight` replaces this camera.
        """
        if not isinstance(camera, CameraState):
            raise TypeError(f"expected a CameraState, got {type(camera).__name__}")
        return self._set_camera(camera)

    def frame(self, ids: Iterable[str]) -> CameraState:
        """Frame the structures ``ids`` from the current view direction."""
        meshes = [self.meshes[i] for i in ids if i in self.meshes]
        bounds = _union_bounds(meshes) if meshes else self.bounds
        return self._set_camera(camera_for(bounds, self._state.view, margin=1.5, min_radius=styles.FRAME_MIN_RADIUS))

    # -- labels and markers ------------------------------------------------
    def labels(self) -> list[Label]:
        """Labels of the primary highlighted structures (at most ``MAX_LABELS``)."""
        seen: set[str] = set()
        out: list[Label] = []
        primaries = [h for h in self._state.highlights if h.role == "primary"] or list(self._state.highlights)
        for h in primaries:
            info = self.infos.get(h.structure_id)
            if info is None or h.structure_id in seen:
                continue
            seen.add(h.structure_id)
            pos = label_anchor(self.meshes[h.structure_id], self.anchors, h.structure_id)
            out.append(Label(short_label(info), pos, h.colour, h.structure_id))
        out += [Label(short_text(m.label), m.anchor(), m.colour, "") for m in self.markers if m.label]
        return out[: styles.MAX_LABELS]

    def set_markers(self, markers: Iterable[Marker]) -> None:
        """Replace the point/path/region annotations drawn over the model."""
        self.markers = tuple(markers)
        if self._plotter is not None:
            self._draw_markers()

    # -- PyVista -----------------------------------------------------------
    @property
    def plotter(self) -> pv.Plotter:
        """Off-screen PyVista plotter mirroring the state (built on first use)."""
        if self._plotter is None:
            self._plotter = build_plotter(self.meshes, self.infos, self.window_size)
            self._apply_styles(self._styles)
            self._draw_markers()
            self._camera_to_plotter()
        return self._plotter

    def close(self) -> None:
        """Free the off-screen plotter (it is rebuilt on next use); the state is kept."""
        if self._plotter is not None:
            self._plotter.close()
            self._plotter = None

    def screenshot(self, filename: str | Path | None = None, *, window_size: tuple[int, int] | None = None,
                   labels: bool = False, scale: float = 1.0) -> np.ndarray:
        """Render the current state off-screen; optionally save a PNG.

        Parameters
        ----------
        filename : str or Path, optional
            PNG file to write.
        window_size : (int, int), optional
            Image size in pixels (default :attr:`window_size`); use the
            browser view's aspect ratio to get the same framing.
        labels : bool, default: False
            Draw :meth:`labels` as the web app does (boxes with a coloured
            border and a leader line to the anchor).
        scale : float, default: 1.0
            Size of the label text and borders relative to a 96-dpi screen
            (2 for an image twice the browser view's size).

        Returns
        -------
        (height, width, 3) uint8 ndarray
        """
        pl = self.plotter
        if window_size is not None:
            w, h = (max(16, min(8000, int(v))) for v in window_size)
            pl.ren_win.SetSize(w, h)  # not ``pl.window_size = ...``: that renders once more
        overlay = self._draw_labels(pl, scale) if labels else []
        try:
            pl.render()  # pyvista only renders by itself before the first screenshot
            return pl.screenshot(filename)
        finally:
            for actor in overlay:
                pl.renderer.RemoveViewProp(actor)

    def export_html(self, filename: str | Path, *, title: str = "Thoracic spine", note: str = "") -> Path:
        """Write a standalone, offline, interactive HTML page of the current state.

        The page embeds vtk.js, the packed model and the same viewer code as
        the web app, so it shows the same colours, camera, labels and
        markers, and can be rotated, zoomed and clicked without a server.

        Parameters
        ----------
        filename : str or Path
            HTML file to write.
        title : str, default: "Thoracic spine"
            Page title and heading.
        note : str, default: ""
            Short text under the heading (e.g. the education-only notice).

        Returns
        -------
        Path
            The file written.
        """
        from .bridge import standalone_html

        path = Path(filename)
        path.write_text(standalone_html(self, title=title, note=note), encoding="utf-8")
        return path

    def _camera_to_plotter(self) -> None:
        if self._plotter is not None:
            camera = self.camera
            cam = self._plotter.camera
            cam.position, cam.focal_point, cam.up = camera.position, camera.focal_point, camera.view_up
            cam.view_angle = camera.view_angle
            self._plotter.reset_camera_clipping_range()

    def _set_camera(self, camera: CameraState) -> CameraState:
        self.camera = camera
        self.camera_version += 1
        self._camera_to_plotter()
        return camera

    def _draw_labels(self, pl: pv.Plotter, scale: float) -> list:
        """Add the labels as 2D actors (removed by the caller after rendering)."""
        import vtk

        labels = self.labels()
        if not labels:
            return []
        ren = pl.renderer
        width, height = pl.ren_win.GetSize()
        coord = vtk.vtkCoordinate()
        coord.SetCoordinateSystemToWorld()
        actors, anchors, sizes, keep = [], [], [], []
        for lab in labels:
            coord.SetValue(*lab.position)
            x, y = coord.GetComputedDoubleDisplayValue(ren)
            ren.SetWorldPoint(*lab.position, 1.0)
            ren.WorldToDisplay()
            depth = ren.GetDisplayPoint()[2]
            if not (0 <= x <= width and 0 <= y <= height and 0 <= depth <= 1):
                continue
            text = vtk.vtkTextActor()
            text.SetInput(f" {lab.text} ")
            prop = text.GetTextProperty()
            prop.SetFontFamilyToArial()
            prop.BoldOn()
            prop.SetFontSize(max(8, round(13 * scale)))
            prop.SetColor(*styles.hex_to_rgb(styles.LABEL_TEXT))
            prop.SetBackgroundColor(1.0, 1.0, 1.0)
            prop.SetBackgroundOpacity(0.95)
            prop.SetFrame(True)
            prop.SetFrameColor(*styles.hex_to_rgb(styles.ink(lab.colour)))
            prop.SetFrameWidth(max(1, round(2 * scale)))
            prop.SetJustificationToLeft()
            prop.SetVerticalJustificationToBottom()
            size = [0.0, 0.0]
            text.GetSize(ren, size)
            anchors.append((x, height - y))
            sizes.append((size[0] + 6 * scale, size[1] + 4 * scale))
            keep.append((lab, text))
        boxes = place_labels(anchors, sizes, width, height, gap=10 * scale)
        lines = vtk.vtkPolyData()
        pts, segs, colours = vtk.vtkPoints(), vtk.vtkCellArray(), vtk.vtkUnsignedCharArray()
        colours.SetNumberOfComponents(3)
        for (lab, text), (ax, ay), (bx, by, bw, bh) in zip(keep, anchors, boxes):
            text.SetDisplayPosition(round(bx + 3 * scale), round(height - by - bh + 2 * scale))
            cx, cy = min(max(ax, bx), bx + bw), min(max(ay, by), by + bh)
            rgb = [round(c * 255) for c in styles.hex_to_rgb(styles.ink(lab.colour))]
            if math.hypot(cx - ax, cy - ay) > 3:
                i = pts.InsertNextPoint(ax, height - ay, 0)
                pts.InsertNextPoint(cx, height - cy, 0)
                segs.InsertNextCell(2, [i, i + 1])
                colours.InsertNextTuple3(*rgb)
            dot = vtk.vtkRegularPolygonSource()
            dot.SetNumberOfSides(16)
            dot.SetRadius(5 * scale)
            dot.SetCenter(ax, height - ay, 0)
            dot_mapper = vtk.vtkPolyDataMapper2D()
            dot_mapper.SetInputConnection(dot.GetOutputPort())
            dot_actor = vtk.vtkActor2D()
            dot_actor.SetMapper(dot_mapper)
            dot_actor.GetProperty().SetColor(*styles.hex_to_rgb(styles.ink(lab.colour)))
            actors.append(dot_actor)
        lines.SetPoints(pts)
        lines.SetLines(segs)
        lines.GetCellData().SetScalars(colours)
        line_mapper = vtk.vtkPolyDataMapper2D()
        line_mapper.SetInputData(lines)
        line_actor = vtk.vtkActor2D()
        line_actor.SetMapper(line_mapper)
        line_actor.GetProperty().SetLineWidth(max(1.0, 2 * scale))
        actors.insert(0, line_actor)
        actors += [text for _, text in keep]
        for actor in actors:
            ren.AddViewProp(actor)
        return actors

    def _apply_styles(self, diff: Mapping[str, Style]) -> None:
        actors = self.plotter.actors
        for sid, (r, g, b, opacity, visible) in diff.items():
            actor = actors[sid]
            actor.prop.color = (r, g, b)
            actor.prop.opacity = opacity
            actor.visibility = visible

    def _draw_markers(self) -> None:
        pl = self.plotter
        for name in [n for n in pl.actors if n.startswith("marker:")]:
            pl.remove_actor(name, render=False)
        for i, m in enumerate(self.markers):
            pl.add_mesh(m.to_mesh(), name=f"marker:{i}", color=m.colour, opacity=m.opacity, smooth_shading=True,
                        render=False)


def encode_png(image: np.ndarray, compression: int = 1) -> bytes:
    """Encode an ``(h, w, 3|4)`` uint8 image as PNG bytes (with VTK, no extra dependency).

    ``compression`` is zlib's level: 1 is about 3x faster than VTK's default (5)
    for a 30% larger file.
    """
    import vtk
    from vtkmodules.util.numpy_support import numpy_to_vtk

    img = np.ascontiguousarray(np.asarray(image, dtype=np.uint8)[::-1])  # VTK images start at the bottom row
    h, w, c = img.shape
    data = vtk.vtkImageData()
    data.SetDimensions(w, h, 1)
    data.GetPointData().SetScalars(numpy_to_vtk(img.reshape(-1, c), deep=True))
    writer = vtk.vtkPNGWriter()
    writer.SetWriteToMemory(True)
    writer.SetCompressionLevel(int(compression))
    writer.SetInputData(data)
    writer.Write()
    return bytes(memoryview(writer.GetResult()))


def build_plotter(
    meshes: Mapping[str, pv.PolyData], infos: Mapping[str, StructureInfo], window_size: tuple[int, int] = (1200, 900)
) -> pv.Plotter:
    """Return an off-screen plotter with one neutral actor named by structure id."""
    pl = pv.Plotter(off_screen=True, window_size=list(window_size))
    pl.set_background(styles.BACKGROUND)
    for sid, mesh in meshes.items():
        group = infos[sid].group if sid in infos else "other"
        pl.add_mesh(
            mesh,
            name=sid,
            color=styles.BASE_COLOURS.get(group, styles.FALLBACK_COLOUR),
            smooth_shading=True,
            reset_camera=False,
            **styles.MATERIAL,
        )
    return pl


def _union_bounds(meshes: Iterable[pv.PolyData]) -> tuple[float, ...]:
    b = np.array([m.bounds for m in meshes if m.n_points], dtype=float).reshape(-1, 6)
    if len(b) == 0:
        return (-1.0, 1.0, -1.0, 1.0, -1.0, 1.0)
    return (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(), b[:, 4].min(), b[:, 5].max())
