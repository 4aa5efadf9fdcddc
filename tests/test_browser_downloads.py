"""Downloads of what the user sees: PNG, standalone HTML and glTF, in a real browser.

serve.py (synthetic model) + Debian chromium: click the download buttons and
check the files: a PNG of the browser view's aspect with the highlight colour
in it, an HTML page that opens offline (no request but the file itself) and
shows the same colours and the camera the user rotated to, and a glTF binary.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import time

import numpy as np
import pytest

pytest.importorskip("playwright")
from browser_util import CHROMIUM, chromium, playwright, serve, wait_for  # noqa: E402
from test_browser_app import api, greenish, open_app, record  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian chromium at /usr/bin/chromium"),
]

QUERY = "?highlight=slipping_rib_syndrome&level=R9&side=left&view=posterior"


@pytest.fixture(scope="module")
def server():
    with serve(["--synthetic"]) as base:
        yield base


@pytest.fixture(scope="module")
def pw():
    with playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def browser(pw):
    with chromium(pw) as ctx:
        yield ctx


def download(page, label: str, tmp_path):  # noqa: ANN001, ANN201 - playwright objects
    t0 = time.perf_counter()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=label).click()
    dl = info.value
    path = tmp_path / dl.suggested_filename
    dl.save_as(path)
    return path, time.perf_counter() - t0


def test_png_download_is_the_view_with_the_highlight(server, browser, tmp_path):
    from PIL import Image

    page = open_app(browser, server, QUERY)
    path, seconds = download(page, "Image (PNG)", tmp_path)
    record(png_download_s=round(seconds, 2))
    assert path.name == "slipping_rib_syndrome_R9_left.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    box = page.locator("canvas").first.bounding_box()
    assert abs(img.shape[1] / img.shape[0] - box["width"] / box["height"]) < 0.03, "the browser view's aspect ratio"
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    green = (g > r + 25) & (g > b + 25)
    assert green.sum() > 500, "the highlighted cartilage (green) is in the picture"
    assert page.tsv_errors == []
    page.close()


def test_html_download_opens_offline_with_the_same_view(server, browser, pw, tmp_path):
    page = open_app(browser, server, QUERY)
    # rotate the camera in the browser; the export must follow it
    box = page.locator("canvas").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    reports = api(page, "b.cameraReports")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 10, steps=6)
    page.mouse.up()
    wait_for(page, f"() => window.tsvBridges.some(b => b.cameraReports > {reports})")
    seen = api(page, "b.camera")
    path, seconds = download(page, "Interactive page (HTML)", tmp_path)
    record(html_download_s=round(seconds, 2), html_download_mb=round(path.stat().st_size / 1e6, 2))
    text = path.read_text(encoding="utf-8")
    assert "<title>Slipping rib syndrome (R9 left)</title>" in text
    boot = json.loads(re.search(r"const view = (\{.*?\})\n", text).group(1))["boot"]
    assert np.allclose(boot["camera"]["position"], seen["position"], atol=0.5), "the camera the user rotated to"
    page.close()

    with chromium(pw) as offline:
        view = offline.new_page()
        requests: list[str] = []
        errors: list[str] = []
        view.on("request", lambda r: requests.append(r.url))
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.goto(path.as_uri())
        wait_for(view, "() => (window.tsvBridges || []).some(b => b.ready)", timeout=120_000)
        style = view.evaluate("window.tsvBridges[0].style('cartilage_L9')")
        assert greenish(tuple(int(c * 255) for c in style[:3])) and style[3] == 1
        assert view.evaluate("window.tsvBridges[0].style('vertebra_T1')")[3] < 0.5
        assert view.evaluate("window.tsvBridges[0].labels") == ["CC9 L"]
        assert requests == [path.as_uri()], "nothing is fetched: the page works offline"
        assert errors == []


def test_gltf_download_when_the_exporter_is_available(server, browser, tmp_path):
    page = open_app(browser, server, QUERY)
    button = page.get_by_role("button", name="3D model (glTF)")
    if not button.is_visible():
        pytest.skip("viewer.export provides no glTF exporter in this checkout")
    path, _ = download(page, "3D model (glTF)", tmp_path)
    data = path.read_bytes()
    assert data[:4] == b"glTF" and len(data) > 10_000
    page.close()
