"""Standalone HTML: opened from file:// in headless Chromium with the network cut off."""

from __future__ import annotations

import io
import re
import time
from html import escape

import numpy as np
import pytest

import viewer
from browser_util import chromium, playwright

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")


def like(rgb: np.ndarray, colour: str) -> np.ndarray:
    """Pixels with the hue of ``colour`` ("#rrggbb"), whatever the shading (saturated, hue within 0.05)."""
    from matplotlib.colors import rgb_to_hsv

    hsv = rgb_to_hsv(rgb[..., :3].astype(float) / 255.0)
    want = rgb_to_hsv(np.array([int(colour[i: i + 2], 16) for i in (1, 3, 5)], dtype=float) / 255.0)
    dh = np.abs(hsv[..., 0] - want[0])
    return (np.minimum(dh, 1.0 - dh) < 0.05) & (hsv[..., 1] > 0.3) & (hsv[..., 2] > 0.2)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The page and the colour of its primary highlight (from the knowledge base)."""
    scene = viewer.SpineScene().highlight("slipping_rib_syndrome", level="R9", side="left")
    path = tmp_path_factory.mktemp("html") / "slipping_rib.html"
    start = time.perf_counter()
    scene.save(path)
    print(f"\nHTML export: {time.perf_counter() - start:.2f} s, {path.stat().st_size / 1e6:.1f} MB")
    scene.plotter.close()
    colour = next(h.colour for h in scene.scene.state.highlights if h.role == "primary").lower()
    return path, colour, scene.legend()


def test_page_is_self_contained(exported):
    page_file, _, legend = exported
    html = page_file.read_text(encoding="utf-8")
    external = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?:[^"]*)"', html)
    assert external == [], external
    assert "Slipping rib syndrome" in html, "the title is in the page"
    assert all(escape(i.text) in html for i in legend.items if i.kind == "structure"), "highlighted structures named"
    assert page_file.stat().st_size < 40e6


def canvas_pixels(page) -> np.ndarray:  # noqa: ANN001 - playwright Page
    from PIL import Image

    png = page.locator("canvas").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_offline_page_renders_the_model_with_its_highlight_and_rotates(exported):
    page_file, colour, _ = exported
    requests: list[str] = []
    with playwright() as pw, chromium(pw, 1200, 800) as ctx:
        def route(r):  # noqa: ANN001, ANN202 - playwright Route
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                requests.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_selector("canvas", state="visible", timeout=120_000)
        img = None
        for _ in range(90):  # software WebGL: about a second per frame
            img = canvas_pixels(page)
            if like(img, colour).sum() > 50:
                break
            time.sleep(1)
        background = np.array([0xF4, 0xF5, 0xF7])
        drawn = (np.abs(img.astype(int) - background).sum(axis=2) > 30).mean()
        assert drawn > 0.05, "the model covers part of the canvas"
        assert like(img, colour).sum() > 50, "the highlight colour is present"

        box = page.locator("canvas").first.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        moved = img
        for _ in range(3):  # a drag that lands while a software frame is drawn can be dropped: retry
            page.mouse.move(cx, cy)
            page.mouse.down()
            page.mouse.move(cx + 250, cy + 50, steps=12)
            page.mouse.up()
            for _ in range(15):
                time.sleep(1)
                moved = canvas_pixels(page)
                if np.any(moved != img, axis=2).mean() > 0.02:
                    break
            if np.any(moved != img, axis=2).mean() > 0.02:
                break
        assert np.any(moved != img, axis=2).mean() > 0.02, "dragging rotates the model"
        assert like(moved, colour).sum() > 50, "the highlight survives the rotation"
    assert requests == [], f"the page tried the network: {requests[:5]}"
    assert errors == [], errors
