"""Render the README pictures of the default model: ``python -m docs.render_figures``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import pyvista as pv  # noqa: E402

COLOURS = {
    "vertebra": "#e9dfc8", "rib": "#e6dabf", "cartilage": "#bcd4e2", "sternum": "#e9dfc8",
    "disc": "#8fb3d1", "cord": "#f1d46a", "nerve": "#e8b830", "joint": "#d9a0a0", "scapula": "#e9dfc8",
    "muscle": "#b5534a", "diaphragm": "#c0736a", "pleura": "#9fc4e0", "dura": "#d8cfe8", "organ": "#c98b7b",
    "skin": "#e7b99a",
}
SOFT = {"muscle", "diaphragm", "pleura", "dura", "organ", "skin"}
VIEWS = {
    "posterior": (0.0, -1.0, 0.0),
    "lateral": (1.0, 0.0, 0.0),
    "anterior": (0.0, 1.0, 0.0),
    "oblique": (0.75, -1.0, 0.35),
}


def render_view(structures: dict, view: str, path: Path, size: tuple[int, int] = (900, 1100),
                opacity: dict[str, float] | None = None) -> Path:
    """Render ``structures`` from a named view to a PNG file (``opacity`` per group, default 1)."""
    from meshes import structure_specs
    from viewer.styles import STRUCTURE_COLOURS

    groups = {s.id: s.group for s in structure_specs()}
    pl = pv.Plotter(off_screen=True, window_size=size)
    pl.set_background("white")
    for sid, mesh in structures.items():
        colour = STRUCTURE_COLOURS.get(sid, COLOURS[groups[sid]])
        pl.add_mesh(mesh, color=colour, smooth_shading=True, specular=0.25, name=sid,
                    opacity=(opacity or {}).get(groups[sid], 1.0))
    pl.view_vector(VIEWS[view], (0.0, 0.0, 1.0))
    pl.reset_camera()
    pl.camera.zoom(1.15)
    pl.screenshot(str(path))
    pl.close()
    return Path(path)


def overview(paths: list[Path], target: Path, height: int = 560) -> Path:
    """Place the view images side by side, trimmed of their white margins."""
    from PIL import Image, ImageChops

    tiles = []
    for p in paths:
        img = Image.open(p).convert("RGB")
        box = ImageChops.difference(img, Image.new("RGB", img.size, "white")).getbbox()
        img = img.crop(box)
        tiles.append(img.resize((int(img.width * height / img.height), height)))
    pad = 30
    sheet = Image.new("RGB", (sum(t.width for t in tiles) + pad * (len(tiles) + 1), height + 2 * pad), "white")
    x = pad
    for t in tiles:
        sheet.paste(t, (x, pad))
        x += t.width + pad
    sheet.save(target)
    return target


def soft_tissue(structures: dict, out: Path) -> Path:
    """Write docs/soft_tissue.png: back muscles, organs and membranes, on the skeleton."""
    from meshes import structure_specs

    groups = {s.id: s.group for s in structure_specs()}

    def pick(*wanted: str) -> dict:
        return {k: v for k, v in structures.items() if groups[k] not in SOFT or groups[k] in wanted}

    paths = [
        render_view(pick("muscle"), "posterior", out / "soft_muscles.png"),
        render_view(pick("organ", "diaphragm"), "anterior", out / "soft_organs.png",
                    opacity={"rib": 0.35, "cartilage": 0.35, "sternum": 0.35, "diaphragm": 0.6}),
        render_view(pick("pleura", "dura"), "lateral", out / "soft_pleura.png", opacity={"pleura": 0.45}),
    ]
    return overview(paths, out / "soft_tissue.png")


def main() -> int:
    """Write docs/model_<view>.png for four views, docs/model_overview.png and docs/soft_tissue.png."""
    from meshes import load_structures, structure_specs

    structures = load_structures()
    soft = {s.id for s in structure_specs() if s.group in SOFT}
    skeleton = {k: v for k, v in structures.items() if k not in soft}
    out = Path(__file__).parent
    views = sys.argv[1:] or ["posterior", "lateral", "anterior", "oblique"]
    paths = [render_view(skeleton, view, out / f"model_{view}.png") for view in views]
    print(overview(paths, out / "model_overview.png"))
    print(soft_tissue(structures, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
