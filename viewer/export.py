"""Exports of a :class:`~viewer.scene.Scene`: PNG figure, glTF, STL/OBJ, atomic files.

Every export reads the same scene the web app shows (its styles, camera,
labels and markers); nothing here decides what is highlighted, and nothing
here draws what the scene code already draws: the image and its labels come
from :meth:`viewer.scene.Scene.screenshot` (the web app's PNG download uses it
too) and the offline HTML page from :func:`viewer.bridge.standalone_html` (the
web app's viewer code).  This module adds the legend, the glTF/STL/OBJ
models and atomic writes: a temporary file in the target folder, then a
rename, so a failed export never leaves a partial file.

>>> from viewer.notebook import SpineScene                        # doctest: +SKIP
>>> scene = SpineScene().highlight("costochondritis", side="left")  # doctest: +SKIP
>>> scene.save("fig.png"); scene.save("fig.html"); scene.save("fig.glb")  # doctest: +SKIP

Off-screen rendering uses VTK's EGL window when
``VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow`` is set before the first
render window is created (:mod:`viewer.notebook` sets it when no display is
available).
"""

from __future__ import annotations

import io
import os
import tempfile
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyvista as pv

from . import styles
from .scene import Scene

FORMATS: dict[str, str] = {
    ".png": "PNG image",
    ".html": "standalone interactive HTML page",
    ".glb": "glTF binary model (one node per structure)",
    ".stl": "STL mesh of the selected structures (mm)",
    ".obj": "OBJ meshes of the selected structures with an MTL file (mm)",
}
"""Output extension -> what is written."""

GLTF_UP = np.array([[-1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
"""Rotation of the glTF root node: model RAS (z up) to glTF (y up, +z front, -x right)."""

TEXT = "#1a202c"
MUTED = "#4a5568"


# -- files ---------------------------------------------------------------------------
def output_format(path: str | Path) -> str:
    """Return the lower-case extension of ``path`` if it is a known format.

    Raises
    ------
    ValueError
        Naming the extension and the valid ones.

    Examples
    --------
    >>> output_format("figure.PNG")
    '.png'
    """
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"unsupported output extension {ext or '(none)'!r} of {str(path)!r}; "
                         f"choose one of: {', '.join(FORMATS)}")
    return ext


def write_atomic(path: str | Path, data: bytes | Callable[[io.BufferedWriter], None]) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    Parameters
    ----------
    path : str or Path
        Target file; its folder must exist.
    data : bytes or callable
        Content, or a function writing it to the open binary file.

    Returns
    -------
    Path
        ``path``.  On any error the temporary file is removed and ``path``
        is left untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"output folder does not exist: {str(folder)!r}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            data(fh) if callable(data) else fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- PNG -------------------------------------------------------------------------------
@dataclass(frozen=True)
class LegendItem:
    """One legend row: a colour swatch and a name."""

    colour: str
    text: str
    kind: str = "structure"  # "structure" (square swatch) or "marker" (round)


@dataclass(frozen=True)
class Legend:
    """A legend box: title, rows and a small note (e.g. the disclaimer)."""

    title: str
    items: tuple[LegendItem, ...] = ()
    note: str = ""
    more: int = 0  # rows left out


@dataclass
class Figure:
    """A rendered PNG figure.

    Attributes
    ----------
    image : (h, w, 3 or 4) uint8 ndarray
        Final pixels, labels and legend included.
    legend_box : (x0, y0, x1, y1) or None
        Where the legend was drawn (pixels).
    """

    image: np.ndarray
    legend_box: tuple[int, int, int, int] | None = None


_PREPARED: weakref.WeakSet = weakref.WeakSet()


def prepare_plotter(plotter: pv.Plotter) -> pv.Plotter:
    """Light the plotter like the browser view and turn on supersampling anti-aliasing.

    The lighting is the web app's export lighting
    (:func:`viewer.app.match_browser`: one headlight, no back faces), applied
    before every render so that markers added since are included.  Depth
    peeling is not used: with VTK's off-screen EGL window it drops the
    translucent (faded) structures; translucency is blended in drawing order,
    as in the browser.
    """
    from .app import match_browser

    match_browser(plotter)
    if plotter not in _PREPARED:
        plotter.enable_anti_aliasing("ssaa")
        _PREPARED.add(plotter)
    return plotter


def render(scene: Scene, width: int, height: int, *, transparent: bool = False, labels: bool = False) -> np.ndarray:
    """Render the scene off-screen at ``width`` x ``height`` pixels with :meth:`Scene.screenshot`.

    Parameters
    ----------
    scene : Scene
        The scene (its state, camera and markers).
    width, height : int
        Pixels.
    transparent : bool, default: False
        Transparent background (RGBA).
    labels : bool, default: False
        Draw the scene's labels as the web app does, sized for the image.

    Returns
    -------
    (height, width, 3 or 4) uint8 ndarray
        RGB, or RGBA with ``transparent=True``.
    """
    pl = prepare_plotter(scene.plotter)
    before = pl.theme.transparent_background
    pl.theme.transparent_background = bool(transparent)  # read by pyvista's screenshot
    try:
        img = scene.screenshot(window_size=(int(width), int(height)), labels=labels, scale=label_scale(width, height))
    finally:
        pl.theme.transparent_background = before
    return np.ascontiguousarray(img)


def label_scale(width: int, height: int) -> float:
    """Label size for an image, relative to the browser's 96-dpi labels (1 up to 800 px).

    Examples
    --------
    >>> label_scale(1600, 1200), label_scale(400, 300)
    (1.5, 1.0)
    """
    return max(1.0, min(width, height) / 800.0)


def project_points(plotter: pv.Plotter, points: Iterable[Sequence[float]]) -> np.ndarray:
    """Project world points (mm) to pixels of the plotter's current image.

    Parameters
    ----------
    plotter : pyvista.Plotter
        Its active camera and window size are used.
    points : (n, 3) float
        Points in model coordinates.

    Returns
    -------
    (n, 3) float ndarray
        Column (x, right), row (y, down) in pixels and normalised depth
        (-1 near to 1 far; outside that range the point is not visible).

    Examples
    --------
    >>> pl = pv.Plotter(off_screen=True, window_size=(200, 100))
    >>> _ = pl.add_mesh(pv.Sphere())
    >>> project_points(pl, [pl.camera.focal_point])[0, :2]      # the focal point is the image centre
    array([100.,  50.])
    >>> pl.close()
    """
    pts = np.asarray(list(points), dtype=float).reshape(-1, 3)
    width, height = plotter.window_size
    cam = plotter.renderer.GetActiveCamera()
    m = cam.GetCompositeProjectionTransformMatrix(width / height, -1.0, 1.0)
    mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
    h = np.c_[pts, np.ones(len(pts))] @ mat.T
    ndc = h[:, :3] / h[:, 3:4]
    return np.c_[(ndc[:, 0] + 1.0) / 2.0 * width, (1.0 - ndc[:, 1]) / 2.0 * height, ndc[:, 2]]


def figure(scene: Scene, width: int, height: int, *, transparent: bool = False, labels: bool = False,
           legend: Legend | None = None) -> Figure:
    """Render the scene with its labels and draw a legend over it.

    Parameters
    ----------
    scene : Scene
        The scene to draw (its current state and camera).
    width, height : int
        Pixels (16-4000 each).
    transparent : bool, default: False
        Transparent background instead of the viewer's light grey.
    labels : bool, default: False
        Draw :meth:`Scene.labels` (highlighted structures and markers).
    legend : Legend, optional
        Drawn where it hides the least of the model, and never (if it can
        be helped) the highlighted structures or their labels.

    Returns
    -------
    Figure
    """
    from PIL import Image

    img = render(scene, width, height, transparent=transparent, labels=labels)
    out = Figure(img)
    if legend is not None and (legend.items or legend.title):
        canvas = Image.fromarray(img).convert("RGBA")
        room = 0.08 * min(width, height)  # labels sit next to what they name
        avoid = [(x0 - room, y0 - room, x1 + room, y1 + room)
                 for x0, y0, x1, y1 in _screen_boxes(scene, scene.state.highlighted_ids)]
        unit = max(0.7, min(width, height) / 900.0)
        out.legend_box = _draw_legend(canvas, legend, _foreground(img), avoid, unit)
        out.image = np.asarray(canvas.convert("RGBA" if transparent else "RGB"))
    return out


def _screen_boxes(scene: Scene, ids: Iterable[str]) -> list[tuple[float, float, float, float]]:
    """Pixel bounding boxes of structures (and markers) on the current image."""
    clouds = [np.asarray(scene.meshes[sid].points)[::7] for sid in ids if scene.meshes[sid].n_points]
    clouds += [np.asarray(m.to_mesh().points) for m in scene.markers]
    boxes = []
    for pts in clouds:
        xy = project_points(scene.plotter, pts)
        xy = xy[(xy[:, 2] >= -1) & (xy[:, 2] <= 1)]
        if len(xy):
            boxes.append((xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()))
    return boxes


def png_bytes(image: np.ndarray, metadata: dict[str, str] | None = None) -> bytes:
    """Encode an image as PNG, with optional text chunks (e.g. the scene spec)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in (metadata or {}).items():
        info.add_itxt(key, value)
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", pnginfo=info, optimize=False)
    return buf.getvalue()


def _foreground(img: np.ndarray) -> np.ndarray:
    if img.shape[2] == 4:
        return img[:, :, 3] > 0
    bg = np.array([int(styles.BACKGROUND[i: i + 2], 16) for i in (1, 3, 5)])
    return np.abs(img[:, :, :3].astype(int) - bg).sum(axis=2) > 18


@cache
def _font(size: int, weight: str = "regular"):  # noqa: ANN202 - PIL font
    from PIL import ImageFont

    names = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "italic": "DejaVuSans-Oblique.ttf"}
    try:
        import matplotlib

        return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / names[weight]), size)
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)


def _text_size(font: Any, text: str) -> tuple[int, int]:
    x0, y0, x1, y1 = font.getbbox(text)
    return int(x1 - x0), int(font.size * 1.2)


def _fit(font: Any, text: str, width: float) -> str:
    if _text_size(font, text)[0] <= width:
        return text
    while text and _text_size(font, text + "…")[0] > width:
        text = text[:-1]
    return text.rstrip(" ,;:-·") + "…"


def _rgba(colour: str, alpha: int = 255) -> tuple[int, int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), alpha)


def _draw_legend(canvas: Any, legend: Legend, fg: np.ndarray, avoid: Sequence[Sequence[float]],
                 unit: float) -> tuple[int, int, int, int]:
    """Legend box at the edge position that hides the least: highlight and labels first, then the model."""
    from PIL import Image, ImageDraw

    w, h = canvas.size
    f_title, f_body = _font(round(19 * unit), "bold"), _font(round(16 * unit))
    f_note = _font(round(12 * unit), "italic")
    pad, sw, line, gap = 14 * unit, 16 * unit, round(16 * unit * 1.55), 10 * unit
    max_text = w * 0.42 - 2 * pad - sw - gap
    title_lines = _wrap(f_title, legend.title, max_text + sw + gap) if legend.title else []
    if len(title_lines) > 2:
        title_lines = [title_lines[0], _fit(f_title, " ".join(title_lines[1:]), max_text + sw + gap)]
    rows = [(item, _fit(f_body, item.text, max_text)) for item in legend.items]
    if legend.more:
        rows.append((None, f"+ {legend.more} more"))
    note_lines = _wrap(f_note, legend.note, max_text + sw + gap) if legend.note else []
    widths = [_text_size(f_title, t)[0] for t in title_lines] + [_text_size(f_note, t)[0] for t in note_lines]
    widths += [sw + gap + _text_size(f_body, t)[0] for _, t in rows]
    bw = max(widths) + 2 * pad
    title_step, note_step = round(19 * unit * 1.3), round(12 * unit * 1.35)
    title_h = len(title_lines) * title_step + (round(6 * unit) if title_lines else 0)
    note_h = len(note_lines) * note_step + (round(6 * unit) if note_lines else 0)
    bh = pad * 2 + title_h + len(rows) * line + note_h
    m = 16 * unit
    xs, ys = (m, w - bw - m), (m, (h - bh) / 2, h - bh - m)
    candidates = [(x, y) for y in ys for x in xs]

    def cost(c: tuple[float, float]) -> float:
        box = (c[0], c[1], c[0] + bw, c[1] + bh)
        hidden = sum(_area(box, a) for a in avoid)
        x0, y0 = max(0, int(c[0])), max(0, int(c[1]))
        return 50.0 * hidden + float(fg[y0: int(box[3]), x0: int(box[2])].sum())

    x0, y0 = min(candidates, key=cost)
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rounded_rectangle([x0, y0, x0 + bw, y0 + bh], radius=8 * unit, fill=(255, 255, 255, 235),
                           outline=(203, 213, 224, 255), width=max(1, round(unit)))
    y = y0 + pad
    for t in title_lines:
        draw.text((x0 + pad, y), t, font=f_title, fill=_rgba(TEXT))
        y += title_step
    y += round(6 * unit) if title_lines else 0
    for item, text in rows:
        cy = y + line / 2
        if item is not None:
            box = [x0 + pad, cy - sw / 2, x0 + pad + sw, cy + sw / 2]
            edge = {"outline": (74, 85, 104, 255), "width": max(1, round(unit))}
            if item.kind == "marker":
                draw.ellipse(box, fill=_rgba(item.colour), **edge)
            else:
                draw.rounded_rectangle(box, radius=3 * unit, fill=_rgba(item.colour), **edge)
        draw.text((x0 + pad + sw + gap, cy), text, font=f_body, fill=_rgba(TEXT if item else MUTED), anchor="lm")
        y += line
    y += round(6 * unit) if note_lines else 0
    for t in note_lines:
        draw.text((x0 + pad, y), t, font=f_note, fill=_rgba(MUTED))
        y += note_step
    canvas.alpha_composite(layer)
    return (round(x0), round(y0), round(x0 + bw), round(y0 + bh))


def _area(a: Sequence[float], b: Sequence[float]) -> float:
    """Overlap area of two ``(x0, y0, x1, y1)`` boxes."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _wrap(font: Any, text: str, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and _text_size(font, lines[-1] + " " + word)[0] <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# -- glTF / STL / OBJ ---------------------------------------------------------------------------
def _trimesh(mesh: pv.PolyData) -> Any:
    import trimesh

    if not mesh.is_all_triangles:
        mesh = mesh.triangulate()
    normals = mesh.point_data.get("Normals")
    kw = {"vertex_normals": np.asarray(normals)} if normals is not None else {}
    return trimesh.Trimesh(np.asarray(mesh.points, dtype=float), np.asarray(mesh.regular_faces), process=False, **kw)


def _material(name: str, rgb: Sequence[float], opacity: float) -> Any:
    from trimesh.visual.material import PBRMaterial

    colour = [round(float(c) * 255) for c in rgb] + [round(float(opacity) * 255)]
    return PBRMaterial(name=name, baseColorFactor=colour, metallicFactor=0.0, roughnessFactor=0.75,
                       alphaMode="OPAQUE" if opacity >= 1.0 else "BLEND")


def trimesh_scene(scene: Scene, ids: Iterable[str] | None = None, *, upright: bool = True,
                  markers: bool = True, metadata: dict | None = None) -> Any:
    """Build a ``trimesh.Scene`` with one named node per visible structure.

    Parameters
    ----------
    scene : Scene
        Source of meshes, colours, opacities and visibility.
    ids : iterable of str, optional
        Structures to include, visible or not (default: every visible one).
    upright : bool, default: True
        Put the model under a root node ``thoracic_model`` rotated to glTF's
        y-up frame; vertex coordinates stay in model mm (RAS) either way.
    markers : bool, default: True
        Include point/path/region markers as nodes ``marker_<n>``.
    metadata : dict, optional
        Stored in the scene's ``extras`` (units, frame, spec).

    Returns
    -------
    trimesh.Scene
    """
    import trimesh
    from trimesh.visual import TextureVisuals

    out = trimesh.Scene(base_frame="world")
    parent = "thoracic_model"
    out.graph.update(frame_from="world", frame_to=parent, matrix=GLTF_UP if upright else np.eye(4))
    current = scene.styles
    chosen = list(ids) if ids is not None else [sid for sid in scene.meshes if current[sid][4]]
    for sid in chosen:
        r, g, b, opacity, _ = current[sid]
        tm = _trimesh(scene.meshes[sid])
        tm.visual = TextureVisuals(material=_material(sid, (r, g, b), opacity))
        out.add_geometry(tm, node_name=sid, geom_name=sid, parent_node_name=parent)
    if markers:
        for i, m in enumerate(scene.markers, start=1):
            tm = _trimesh(m.to_mesh().triangulate())
            tm.visual = TextureVisuals(material=_material(f"marker_{i}", styles.hex_to_rgb(m.colour), m.opacity))
            out.add_geometry(tm, node_name=f"marker_{i}", geom_name=f"marker_{i}", parent_node_name=parent)
    out.metadata.update(metadata or {})
    return out


def glb_bytes(scene: Scene, *, upright: bool = True, metadata: dict | None = None) -> bytes:
    """Return the scene as glTF binary: one node per structure, named by id, in its colour."""
    meta = {"units": "mm", "frame": "RAS (+x patient right, +y anterior, +z superior)",
            "root_node": "thoracic_model rotates RAS to glTF y-up" if upright else "identity", **(metadata or {})}
    from trimesh.exchange.gltf import export_glb

    return export_glb(trimesh_scene(scene, upright=upright, metadata=meta), include_normals=True)


def stl_bytes(scene: Scene, ids: Sequence[str]) -> bytes:
    """Return the structures ``ids`` as one binary STL in model mm (RAS, z up)."""
    import trimesh

    return trimesh.util.concatenate([_trimesh(scene.meshes[sid]) for sid in ids]).export(file_type="stl")


def obj_files(scene: Scene, ids: Sequence[str], mtl_name: str) -> tuple[bytes, bytes]:
    """Return ``(obj, mtl)`` of the structures ``ids``: one object each, coloured, in mm (RAS)."""
    from trimesh.exchange.obj import export_obj

    tm_scene = trimesh_scene(scene, ids, upright=False, markers=False)
    text, files = export_obj(tm_scene, include_texture=True, return_texture=True, mtl_name=mtl_name)
    return text.encode(), files.get(mtl_name, b"")
