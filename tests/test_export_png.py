"""PNG figures of the real model, rendered off-screen with VTK's EGL window.

Positions are never hard-coded: the highlighted structure's centre is
projected to the image with the plotter's own camera and sampled there.
"""

from __future__ import annotations

import io
import os

os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

import viewer  # noqa: E402
from viewer.export import project_points  # noqa: E402
from viewer.labels import label_anchor  # noqa: E402
from viewer.spec import SpecError  # noqa: E402

pytestmark = pytest.mark.render

MAGENTA = "#ff00ff"
W, H = 800, 600


def magenta(rgb: np.ndarray) -> np.ndarray:
    """Pixels whose colour is magenta-like (shaded, possibly under a faded bone)."""
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return (r > 110) & (b > 110) & (g < 0.6 * np.minimum(r, b))


def like(rgb: np.ndarray, colour: str) -> np.ndarray:
    """Pixels with the hue of ``colour`` ("#rrggbb"), whatever the shading (saturated, hue within 0.05)."""
    from matplotlib.colors import rgb_to_hsv

    hsv = rgb_to_hsv(rgb[..., :3].astype(float) / 255.0)
    want = rgb_to_hsv(np.array([int(colour[i: i + 2], 16) for i in (1, 3, 5)], dtype=float) / 255.0)
    dh = np.abs(hsv[..., 0] - want[0])
    return (np.minimum(dh, 1.0 - dh) < 0.05) & (hsv[..., 1] > 0.3) & (hsv[..., 2] > 0.2)


def centre_px(scene: viewer.SpineScene, sid: str) -> tuple[int, int]:
    mesh = scene.scene.meshes[sid]
    x, y, depth = project_points(scene.plotter, [label_anchor(mesh, scene.scene.anchors, sid)])[0]
    assert -1 <= depth <= 1
    return int(round(x)), int(round(y))


def screen_box(scene: viewer.SpineScene, sid: str) -> tuple[float, float, float, float]:
    xy = project_points(scene.plotter, scene.scene.meshes[sid].points)
    return xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()


def patch(img: np.ndarray, xy: tuple[int, int], r: int = 3) -> np.ndarray:
    x, y = xy
    return img[max(0, y - r): y + r + 1, max(0, x - r): x + r + 1, :3]


@pytest.fixture(scope="module")
def t6():
    """T6 alone in magenta, seen from behind."""
    scene = viewer.SpineScene().highlight({"vertebra_T6": MAGENTA}).set_view("posterior")
    yield scene
    scene.plotter.close()


def test_highlight_colour_is_where_the_structure_projects_and_nowhere_else(t6, tmp_path):
    path = tmp_path / "t6.png"
    img = t6.screenshot(path, width=W, height=H, labels=False, legend=False)
    assert img.shape == (H, W, 3)
    with Image.open(path) as png:
        assert png.size == (W, H) and png.mode == "RGB"
    mask = magenta(img)
    assert magenta(patch(img, centre_px(t6, "vertebra_T6"))).mean() > 0.6
    for other in ("vertebra_T1", "vertebra_T12", "rib_R3", "rib_L10"):
        assert not magenta(patch(img, centre_px(t6, other))).any(), other
    x0, y0, x1, y1 = screen_box(t6, "vertebra_T6")
    rows, cols = np.nonzero(mask)
    inside = (cols >= x0 - 2) & (cols <= x1 + 2) & (rows >= y0 - 2) & (rows <= y1 + 2)
    assert mask.sum() > 200 and inside.all(), "magenta only where T6 projects"


def test_condition_colour_from_the_knowledge_base():
    scene = viewer.SpineScene().highlight("slipping_rib_syndrome", level="R9", side="left")
    img = scene.screenshot(width=W, height=H, labels=False, legend=False)
    primary = next(h for h in scene.scene.state.highlights if h.role == "primary")
    colour = primary.colour.lower()  # the condition's colour, from the knowledge base
    assert like(patch(img, centre_px(scene, primary.structure_id)), colour).mean() > 0.6
    for other in ("vertebra_T2", "rib_R4", "sternal_body"):
        assert not like(patch(img, centre_px(scene, other)), colour).any(), other
    scene.plotter.close()


def test_labels_and_legend_are_drawn_when_asked(t6):
    t6.add_label("vertebra_T6", "T6")
    plain = t6.screenshot(width=W, height=H, labels=False, legend=False)
    labelled = t6.screenshot(width=W, height=H, labels=True, legend=False)
    both = t6.screenshot(width=W, height=H, labels=True, legend=True)
    t6.clear().highlight({"vertebra_T6": MAGENTA})  # remove the pin again (same camera)
    changed = np.any(plain != labelled, axis=2)
    assert changed.sum() > 300, "labels change pixels"
    rows, cols = np.nonzero(changed)
    cx, cy = centre_px(t6, "vertebra_T6")
    assert abs(np.median(cols) - cx) < W / 3 and abs(np.median(rows) - cy) < H / 3, "labels sit near T6"
    legend = np.any(labelled != both, axis=2)
    assert legend.sum() > 2000, "the legend is drawn"
    assert not legend[cy - 2: cy + 3, cx - 2: cx + 3].any(), "the legend does not cover the highlight"


def test_size_is_honoured_up_to_4000_px(t6):
    wide = t6.screenshot(width=4000, height=240, labels=False, legend=False)
    assert wide.shape == (240, 4000, 3)
    with pytest.raises(SpecError, match="width 4001 is out of range"):
        t6.screenshot(width=4001, height=240)


def test_transparent_background(t6, tmp_path):
    path = tmp_path / "t6.png"
    img = t6.screenshot(path, width=W, height=H, transparent=True, labels=False, legend=False)
    assert img.shape == (H, W, 4)
    assert img[0, 0, 3] == 0 and img[-1, -1, 3] == 0, "background is transparent"
    cx, cy = centre_px(t6, "vertebra_T6")
    assert img[cy, cx, 3] > 200 and magenta(patch(img, (cx, cy))).mean() > 0.6
    with Image.open(path) as png:
        assert png.mode == "RGBA"


def test_png_carries_its_spec_and_is_written_atomically(t6, tmp_path):
    path = tmp_path / "fig.png"
    t6.screenshot(path, width=320, height=240)
    assert viewer.load_spec(path).size == (320, 240)
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]
    with pytest.raises(ValueError, match="expected a .png file name"):
        t6.screenshot(tmp_path / "fig.jpg", width=320, height=240)
    assert not (tmp_path / "fig.jpg").exists()


def test_publication_size_timing(t6, tmp_path):
    """1600x1200 with labels and legend renders in seconds (recorded for the report)."""
    import time

    t6.screenshot(width=1600, height=1200)  # warm-up at this size
    start = time.perf_counter()
    t6.screenshot(tmp_path / "pub.png", width=1600, height=1200)
    seconds = time.perf_counter() - start
    with Image.open(io.BytesIO((tmp_path / "pub.png").read_bytes())) as png:
        assert png.size == (1600, 1200)
    print(f"\nPNG 1600x1200: {seconds:.2f} s, {(tmp_path / 'pub.png').stat().st_size / 1e6:.2f} MB")
    assert seconds < 30
