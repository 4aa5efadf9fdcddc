"""Real-browser tests: serve.py (synthetic model) + Debian chromium with software WebGL.

They prove with canvas pixels and the DOM that the model renders, that
choosing a condition recolours the right region, that clicking identifies a
structure, that URL state round-trips, that bad links show an escaped
message, and that two browsers stay independent.  The bridge internals they
exercise are listed in ``viewer/bridge.py``.
"""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

pytest.importorskip("playwright")
from browser_util import CHROMIUM, chromium, pixel, playwright, serve, wait_for  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian chromium at /usr/bin/chromium"),
]

READY = "() => (window.tsvBridges || []).some(b => b.ready && b.seq >= 1)"
BG = (0xF4, 0xF5, 0xF7)
METRICS = Path("/tmp/tsv_browser_metrics.json")


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


def open_app(ctx, base: str, query: str = ""):  # noqa: ANN001, ANN201 - playwright objects
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    t0 = time.perf_counter()
    page.goto(f"{base}/{query}")
    wait_for(page, READY, timeout=120_000)
    page.tsv_errors = errors
    page.tsv_first_frame = time.perf_counter() - t0
    return page


def api(page, expr: str):  # noqa: ANN001, ANN201
    return page.evaluate(f"(() => {{ const b = window.tsvBridges.find(x => x.ready); return {expr} }})()")


def seq(page) -> int:  # noqa: ANN001
    return api(page, "b.seq")


def wait_seq(page, n: int) -> None:  # noqa: ANN001
    wait_for(page, f"() => window.tsvBridges.some(b => b.seq >= {n})", timeout=60_000)


def greenish(rgb: tuple[int, int, int]) -> bool:
    r, g, b = rgb
    return g > r + 25 and g > b + 25


def record(**values: float) -> None:
    data = json.loads(METRICS.read_text()) if METRICS.exists() else {}
    data.update(values)
    METRICS.write_text(json.dumps(data, indent=2))


def test_model_renders(server, browser, tmp_path):
    from PIL import Image

    page = open_app(browser, server)
    canvas = page.locator("canvas").first
    box = canvas.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    img = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
    drawn = (np.abs(img - np.array(BG)).sum(axis=2) > 40).mean()
    assert drawn > 0.05, "the model covers part of the canvas"
    assert page.tsv_errors == []
    page.screenshot(path="/tmp/tsv_default.png")
    record(first_frame_s=round(page.tsv_first_frame, 2))
    page.close()


def test_choosing_a_condition_recolours_the_region(server, browser):
    page = open_app(browser, server)
    before = api(page, "b.style('rib_L9')")
    assert before[3] == 1 and not greenish(tuple(int(c * 255) for c in before[:3]))
    n = seq(page)
    t0 = time.perf_counter()
    page.locator("select").first.select_option(label="Slipping rib syndrome")
    wait_seq(page, n + 1)
    record(highlight_roundtrip_s=round(time.perf_counter() - t0, 3), highlight_apply_ms=api(page, "b.applyMs"))
    # default slipping-rib levels R8-R10 on the left: primary = costal cartilage
    style = api(page, "b.style('cartilage_L9')")
    assert greenish(tuple(int(c * 255) for c in style[:3])) and style[3] == 1
    assert api(page, "b.style('vertebra_T1')")[3] < 0.5, "the rest is faded"
    points = api(page, "b.probe('rib_L9', 5)")
    assert points, "rib L9 is visible and pickable after framing"
    colours = [pixel(page, x, y) for x, y in points]
    assert sum(greenish(c) for c in colours) > len(colours) / 2, colours
    labels = api(page, "b.labels")
    assert {"CC8 L", "CC9 L", "CC10 L"} <= set(labels)
    page.locator("h3.tsv-title").filter(has_text="Slipping rib syndrome").wait_for()
    page.screenshot(path="/tmp/tsv_slipping_rib.png")
    page.close()


def test_click_identifies_a_structure(server, browser):
    page = open_app(browser, server, "?view=posterior")
    points = api(page, "b.probe('vertebra_T6', 1)")
    assert points
    t0 = time.perf_counter()
    page.mouse.click(*points[0])
    page.locator("h4.tsv-title").filter(has_text="vertebra T6").wait_for(timeout=30_000)
    record(pick_roundtrip_s=round(time.perf_counter() - t0, 3), pick_browser_ms=api(page, "b.pickMs"))
    assert api(page, "b.lastPick") == "vertebra_T6"
    # the name also appears at the click in the 3D view, and goes when clicking on nothing
    wait_for(page, "() => window.tsvBridges.some(b => b.pickLabel === 'vertebra T6')")
    box = page.locator("canvas").first.bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + 5)
    wait_for(page, "() => window.tsvBridges.every(b => b.pickLabel === null)")
    page.get_by_text("Nothing there", exact=False).first.wait_for(timeout=30_000)
    page.close()


def test_url_state_round_trips(server, browser):
    page = open_app(browser, server, "?highlight=slipping_rib_syndrome&level=R9&side=left&view=posterior")
    assert api(page, "b.labels") == ["CC9 L"]
    assert greenish(tuple(int(c * 255) for c in api(page, "b.style('cartilage_L9')")[:3]))
    n = seq(page)
    page.get_by_role("button", name="right", exact=True).first.click()
    wait_seq(page, n + 1)
    wait_for(page, "() => location.search.includes('side=right')")
    query = parse_qs(urlparse(page.url).query)
    assert query == {"highlight": ["slipping_rib_syndrome"], "level": ["R9"], "side": ["right"],
                     "view": ["posterior"]}
    url = page.url
    page.close()
    again = open_app(browser, server, "?" + urlparse(url).query)
    assert again.tsv_errors == []
    assert api(again, "b.labels") == ["CC9 R"]
    assert greenish(tuple(int(c * 255) for c in api(again, "b.style('cartilage_R9')")[:3]))
    again.close()


def test_bad_url_shows_escaped_message_and_default_view(server, browser):
    query = "?highlight=%3Cscript%3Ealert(1)%3C%2Fscript%3E&level=" + "R" * 3000 + "&view=sideways"
    page = open_app(browser, server, query)
    page.get_by_text("Unknown condition or treatment", exact=False).first.wait_for(timeout=30_000)
    page.get_by_text("<script>alert(1)</script>", exact=False).first.wait_for()
    assert page.get_by_text("Unknown view", exact=False).count() >= 1
    assert page.tsv_errors == [], "no script ran, no error"
    assert api(page, "b.style('rib_L9')")[3] == 1, "neutral model"
    n = seq(page)
    page.locator("select").first.select_option(label="Facet joint pain")
    wait_seq(page, n + 1)  # the session still works
    page.close()


def test_two_browsers_stay_independent(server, pw, browser):
    with chromium(pw) as two:
        one = browser
        a = open_app(one, server, "?highlight=slipping_rib_syndrome&side=left")
        b = open_app(two, server, "?highlight=facet_joint_pain&level=T5-T6&side=both")
        assert greenish(tuple(int(c * 255) for c in api(a, "b.style('cartilage_L9')")[:3]))
        assert api(b, "b.style('cartilage_L9')")[3] < 0.5
        assert api(a, "b.style('facet_T5_T6_L')")[3] < 0.5
        amber = api(b, "b.style('facet_T5_T6_L')")
        assert amber[0] > 0.8 and amber[2] < 0.3
        n = seq(b)
        b.locator("select").first.select_option(label="Intercostal neuralgia")
        wait_seq(b, n + 1)
        assert greenish(tuple(int(c * 255) for c in api(a, "b.style('cartilage_L9')")[:3])), "A unchanged"
        assert a.tsv_errors == [] and b.tsv_errors == []
