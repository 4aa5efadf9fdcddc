"""Real-browser checks of the soft-tissue layers on the packaged model (issue 7 acceptance).

Each case opens the app on a link, waits for the vtk.js bridge, and checks the
bridge's own actor state (visibility, colour, opacity) and the canvas pixels
where the structure is drawn.  Debian chromium, software WebGL, loopback only.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from browser_util import chromium, pixel, playwright, serve, wait_for

READY = "() => (window.tsvBridges || []).some(b => b.ready && b.seq >= 1)"


@pytest.fixture(scope="module")
def server():
    with serve([], timeout=240) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with playwright() as pw, chromium(pw) as ctx:
        yield ctx


def open_app(ctx, base: str, query: str):  # noqa: ANN001, ANN201
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/{query}")
    wait_for(page, READY, timeout=240_000)
    page.tsv_errors = errors
    return page


def api(page, expr: str):  # noqa: ANN001, ANN201
    return page.evaluate(f"(() => {{ const b = window.tsvBridges.find(x => x.ready); return {expr} }})()")


def style(page, sid: str) -> list:  # noqa: ANN001
    s = api(page, f"b.style({sid!r})")
    assert s is not None, f"{sid} is not in the browser scene"
    return s


def near(rgb: tuple[int, int, int], hex_colour: str, tol: int = 90) -> bool:
    want = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return float(np.abs(np.array(rgb) - want).sum()) < tol


def canvas_image(page) -> np.ndarray:  # noqa: ANN001
    from PIL import Image

    png = page.locator("canvas").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_soft_tissue_is_hidden_until_asked_for(server, browser):
    page = open_app(browser, server, "?view=posterior")
    for sid in ("rhomboid_major_R", "liver", "pleura_L", "dermatome_T6_R", "dural_sac"):
        assert style(page, sid)[4] is False, sid
    assert style(page, "scapula_R")[4] is True and style(page, "vertebra_T6")[4] is True
    page.close()


def test_myofascial_pain_shows_rhomboids_trapezius_trigger_points_and_referral(server, browser):
    page = open_app(browser, server, "?highlight=myofascial_pain&side=right&view=posterior")
    rh, trap, zone = style(page, "rhomboid_major_R"), style(page, "trapezius_middle_R"), style(page, "interscapular_zone_R")
    assert rh[4] and trap[4] and zone[4], "the rhomboid, the trapezius over it and the referral zone are shown"
    assert not style(page, "rhomboid_major_L")[4], "only the chosen side"
    assert trap[3] < rh[3], "the trapezius over the rhomboid is see-through"
    assert api(page, "b.markers") >= 2, "trigger point and referral markers are drawn"
    points = api(page, "b.probe('rhomboid_major_R', 6)")
    assert points, "the rhomboid can be seen and picked from behind"
    colours = [pixel(page, x, y) for x, y in points]
    hl = "#%02x%02x%02x" % tuple(round(c * 255) for c in rh[:3])
    assert sum(near(c, hl, 160) for c in colours) >= len(colours) / 2, (hl, colours)
    page.locator("h3.tsv-title").filter(has_text="Myofascial").wait_for()
    assert page.tsv_errors == []
    page.screenshot(path="/tmp/tsv_myofascial.png")
    page.close()


def test_gallbladder_referral_shows_liver_gallbladder_and_right_subscapular_zone(server, browser):
    page = open_app(browser, server, "?highlight=viscerosomatic_pain.liver_gallbladder&view=posterior")
    for sid in ("liver", "gallbladder", "subscapular_zone_R"):
        assert style(page, sid)[4], sid
    assert not style(page, "subscapular_zone_L")[4]
    assert api(page, "b.probe('subscapular_zone_R', 3)"), "the right subscapular zone is visible from behind"
    page.locator("h3.tsv-title").filter(has_text="gallbladder").wait_for()
    page.screenshot(path="/tmp/tsv_gallbladder.png")
    page.close()


def test_trigger_point_injection_shows_the_needle_stopping_above_rib_and_pleura(server, browser):
    page = open_app(browser, server, "?highlight=trigger_point_injection&side=right&view=right")
    pleura, rib = style(page, "pleura_R"), style(page, "rib_R4")
    assert pleura[4] and pleura[3] < 0.6, "the pleura is shown as a see-through caution surface"
    assert rib[4]
    assert api(page, "b.markers") >= 2, "needle path and target are drawn"
    img = canvas_image(page)
    assert (np.abs(img - np.array([0xF4, 0xF5, 0xF7])).sum(axis=2) > 40).mean() > 0.03
    page.screenshot(path="/tmp/tsv_tpi.png")
    page.close()


def test_layer_panel_lists_the_soft_tissue_groups_and_shows_them(server, browser):
    page = open_app(browser, server, "?view=posterior")
    page.get_by_text("Layers", exact=True).first.click()
    muscles = page.locator(".bk-Checkbox").filter(has_text="Muscles").locator("input[type=checkbox]").first
    muscles.wait_for(timeout=60_000)
    assert not muscles.is_checked(), "soft tissue starts hidden"
    for name in ("Shoulder blades", "Diaphragm", "Pleura", "Dural sac", "Organs", "Skin zones"):
        assert page.get_by_text(name, exact=True).count() >= 1, name
    n = api(page, "b.seq")
    before = canvas_image(page)
    muscles.check()
    wait_for(page, f"() => window.tsvBridges.some(b => b.seq > {n})", timeout=60_000)
    assert style(page, "trapezius_lower_R")[4] and style(page, "latissimus_dorsi_L")[4]
    assert not style(page, "liver")[4], "only the chosen layer appears"
    wait_for(page, "() => new Promise(r => requestAnimationFrame(() => r(true)))", timeout=10_000)
    after = canvas_image(page)
    changed = (np.abs(after - before).sum(axis=2) > 60).mean()
    assert changed > 0.02, f"the muscles changed {changed:.1%} of the canvas"
    page.screenshot(path="/tmp/tsv_layers_muscles.png")
    page.close()
