"""Render the README pictures of the default model: ``python -m docs.render_figures``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import pyvista as pv  # noqa: E402

COLOURS = {
    "vertebra": "#e9dfc8", "rib": "#e6dabf", "cartilage": "#bcd4e2", "sternum": "#e9dfc8",
    "disc": "#8fb3d1", "cord": "#f1d46a", "nerve": "#e8b830", "joint": "#d9a0a0",
}
VIEWS = {
    "posterior": (0.0, -1.0, 0.0),
    "lateral": (1.0, 0.0, 0.0),
    "anterior": (0.0, 1.0, 0.0),
    "oblique": (0.75, -1.0, 0.35),
}


def render_view(structures: dict, view: str, path: Path, size: tuple[int, int] = (900, 1100)) -> Path:
    """Render ``structures`` from a named view to a PNG file."""
    from meshes import structure_specs

    groups = {s.id: s.group for s in structure_specs()}
    pl = pv.Plotter(off_screen=True, window_size=size)
    pl.set_background("white")
    for sid, mesh in structures.items():
        pl.add_mesh(mesh, color=COLOURS[groups[sid]], smooth_shading=True, specular=0.25, name=sid)
    pl.view_vector(VIEWS[view], (0.0, 0.0, 1.0))
    pl.reset_camera()
    pl.camera.zoom(1.15)
    pl.screenshot(str(path))
    pl.close()
    return Path(path)


def main() -> int:
    """Write docs/model_<view>.png for the posterior, lateral and anterior views."""
    from meshes import load_structures

    structures = load_structures()
    out = Path(__file__).parent
    for view in sys.argv[1:] or ["posterior", "lateral", "anterior", "oblique"]:
        print(render_view(structures, view, out / f"model_{view}.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
