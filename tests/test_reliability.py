"""Load, isolation and network exposure of the served app (``serve.py``, default model).

* Load: 20 concurrent sessions, each changing the highlight several times.
  17 of them are websocket clients that speak Bokeh's protocol exactly as the
  page does (``benchmarks/protocol.py``: page request, token, ``/ws``,
  ``PULL-DOC``, ``PATCH-DOC``, the 3D view's messages); 3 are real Chromium
  pages (software WebGL) open at the same time, because 20 software-rendered
  pages do not fit on 2 cores.  Every session must get the whole model and
  end in the right state, the server log must stay clean, and after they close
  the sessions must be discarded (reconnecting with an old token gives a fresh
  session) and the memory must come back near where it started.
* Isolation: two sessions changing their highlights rapidly and concurrently
  never see each other's state (websocket clients and two browsers).
* Network: the server binds to 127.0.0.1 by default and refuses websocket
  handshakes from another origin unless ``--allow-websocket-origin`` opts in.

Loopback only; every wait is bounded.  Behaviour only: timings are in
``benchmarks/run.py``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import random
import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from benchmarks.protocol import (
    BokehClient,
    HandshakeRefused,
    SceneMirror,
    conditions,
    listening_addresses,
    location_search,
    menu_id,
    run_server,
    start_server,
    stop_server,
    wait_ready,
)

from browser_util import CHROMIUM  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HAS_BROWSER = shutil.which(CHROMIUM) is not None and importlib.util.find_spec("playwright") is not None

N_SESSIONS = 20
N_BROWSERS = 3
CHANGES = 4
CLEANUP_WAIT_S = 40.0
"""Bokeh discards a session 15 s after its last connection closed, checking every 17 s: at most 32 s."""
MEMORY_SLACK_MB = 80.0
"""How far above the starting RSS the server may stay once the load's sessions are gone.  CPython and glibc keep
the high-water mark of 20 live sessions (about 35 MB here) for reuse rather than return it to the system."""
MEMORY_PER_ROUND_MB = 15.0
"""How much a second, identical load may add once its sessions are gone (keeping the ~1.5-3 MB of each of its 20
sessions would add 30-60 MB)."""

SERVER_ERRORS = ("ERROR", "Traceback", "Exception")


def run_async(make: Callable[[], object], timeout: float = 900.0):  # noqa: ANN201
    """Run ``asyncio.run(make())`` in a helper thread (Playwright's sync API owns this thread's loop)."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(timeout)
    if th.is_alive():
        raise TimeoutError(f"async part did not finish within {timeout} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def server_errors(log: str) -> list[str]:
    return [ln for ln in log.splitlines() if any(word in ln for word in SERVER_ERRORS)]


@pytest.fixture(scope="module")
def app_server():
    with run_server(ROOT / "serve.py", [], timeout=300) as server:
        yield server


async def opened(base: str, query: str = "", **kw) -> tuple[BokehClient, SceneMirror]:  # noqa: ANN003
    client = await BokehClient(base, query, **kw).open()
    view = SceneMirror.of(client)
    await view.ready()
    return client, view


async def choose(client: BokehClient, view: SceneMirror, entry: str, *, wait: bool = True,
                 timeout: float = 120.0) -> bool:
    """Pick ``entry`` in the conditions menu; with ``wait``, until the 3D view got its message."""
    seq = view.state()["seq"]
    await client.set_attr(menu_id(client), "value", entry)
    if not wait:
        return True
    return await client.wait_until(lambda: view.state()["seq"] > seq, timeout)


async def settle(client: BokehClient, entry: str, quiet: float = 1.5, timeout: float = 120.0) -> bool:
    """Wait until the URL shows ``entry`` and no message arrived for ``quiet`` seconds."""
    ok = await client.wait_until(lambda: f"highlight={entry}&" in location_search(client) + "&", timeout)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        last = client.messages[-1].t if client.messages else 0
        if time.perf_counter() - last > quiet:
            break
        await asyncio.sleep(0.1)
    return ok


async def reference(base: str, entry: str) -> dict:
    """State of a fresh session opened at ``?highlight=entry`` (what that choice must look like)."""
    client, view = await opened(base, f"?highlight={entry}")
    try:
        return view.state()
    finally:
        await client.close()


def same_view(got: dict, want: dict) -> list[str]:
    """Differences between two 3D states (styles of every structure, labels, camera)."""
    problems = []
    diff = sorted(k for k in want["styles"] if got["styles"].get(k) != want["styles"][k])
    if diff or set(got["styles"]) != set(want["styles"]):
        problems.append(f"styles differ for {diff[:6]}{'…' if len(diff) > 6 else ''}")
    if [lab["text"] for lab in got["labels"]] != [lab["text"] for lab in want["labels"]]:
        problems.append(f"labels {[x['text'] for x in got['labels']]} != {[x['text'] for x in want['labels']]}")
    if got["camera"] != want["camera"]:
        problems.append("camera differs")
    return problems


# --------------------------------------------------------------------------- browsers


def canvas_cover(page) -> float:  # noqa: ANN001
    """Share of the 3D canvas that is not background (a screenshot, so it works without preserveDrawingBuffer)."""
    from PIL import Image

    png = page.locator("canvas").first.screenshot()
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return float((np.abs(img - np.array((0xF4, 0xF5, 0xF7))).sum(axis=2) > 40).mean())


def bridge_styles(page, ids: list[str]) -> dict[str, list]:  # noqa: ANN001
    return page.evaluate("""(ids) => { const b = window.tsvBridges.find(x => x.ready), out = {}
        for (const id of ids) { const s = b.style(id); if (s) out[id] = [...s.slice(0, 4).map(v => Math.round(v * 1000) / 1000), s[4] ? 1 : 0] }
        return out }""", ids)


def styles_match(got: dict[str, list], want: dict[str, list]) -> list[str]:
    bad = [k for k, w in want.items()
           if k not in got or any(abs(g - float(x)) > 2e-3 for g, x in zip(got[k][:4], w[:4])) or got[k][4] != int(w[4])]
    return bad


def open_page(ctx, base: str, query: str = ""):  # noqa: ANN001, ANN201
    page = ctx.new_page()
    page.tsv_errors = []
    page.on("pageerror", lambda e: page.tsv_errors.append(str(e)))
    page.on("dialog", lambda d: (page.tsv_errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(f"{base}/{query}", timeout=240_000)
    return page


def wait_page_ready(page, timeout: float = 240_000) -> None:  # noqa: ANN001
    page.wait_for_function("() => (window.tsvBridges || []).some(b => b.ready && b.seq >= 1)", timeout=timeout,
                           polling=200)


def page_seq(page) -> int:  # noqa: ANN001
    return page.evaluate("() => Math.max(0, ...(window.tsvBridges || []).map(b => b.seq))")


def page_choose(page, label: str, wait: bool = True) -> None:  # noqa: ANN001
    seq = page_seq(page)
    page.locator("select").first.select_option(label=label)
    if wait:
        page.wait_for_function(f"() => window.tsvBridges.some(b => b.seq > {seq})", timeout=180_000, polling=100)


# --------------------------------------------------------------------------- load


async def _ws_load(base: str, entries: list[tuple[str, str]], n: int, seed: int) -> list[dict]:
    """``n`` websocket sessions arriving over 2 s, each choosing ``CHANGES`` entries and waiting for each answer."""
    rng = random.Random(seed)

    async def one(i: int) -> dict:
        await asyncio.sleep(rng.uniform(0, 2))
        client, view = await opened(base)
        picks = [entries[(i + k) % len(entries)][0] for k in range(CHANGES)]
        answered = 0
        for entry in picks:
            answered += await choose(client, view, entry, timeout=180)
            await asyncio.sleep(rng.uniform(0, 0.5))
        settled = await settle(client, picks[-1], timeout=180)
        return {"client": client, "view": view, "last": picks[-1], "answered": answered, "settled": settled}

    return await asyncio.gather(*(one(i) for i in range(n)))


@pytest.mark.browser
def test_twenty_concurrent_sessions_render_keep_their_state_and_are_cleaned_up(app_server):
    server = app_server
    base = server.base

    async def warm() -> tuple[list[tuple[str, str]], bytes, int]:
        """One session that shows every condition once: what any process has after its first visitors."""
        client, view = await opened(base)
        entries = conditions(client)
        for entry, _ in entries:
            assert await choose(client, view, entry), f"a first session answers choosing {entry}"
        blob, n = view.geometry, len(view.ids)
        await client.close()
        return entries, blob, n

    entries, blob, n_structures = run_async(warm)
    assert len(entries) >= 4 and n_structures > 100
    rss_start = server.stable_rss_mb()
    log_start = len(server.log())
    n_ws = N_SESSIONS - (N_BROWSERS if HAS_BROWSER else 0)

    async def load() -> dict:
        sessions = await _ws_load(base, entries, n_ws, seed=7)
        refs = {e: await reference(base, e) for e in {s["last"] for s in sessions}}
        problems = []
        for i, s in enumerate(sessions):
            client, view = s["client"], s["view"]
            where = f"session {i} (last {s['last']})"
            if view.geometry != blob:
                problems.append(f"{where}: geometry differs from the model ({len(view.geometry)} bytes)")
            if len(view.state()["styles"]) != n_structures:
                problems.append(f"{where}: styles for {len(view.state()['styles'])} of {n_structures} structures")
            if s["answered"] != CHANGES or not s["settled"]:
                problems.append(f"{where}: {s['answered']}/{CHANGES} changes answered, settled={s['settled']}")
            problems += [f"{where}: {p}" for p in same_view(view.state(), refs[s["last"]])]
            if client.attr(menu_id(client), "value") != s["last"]:
                problems.append(f"{where}: menu shows {client.attr(menu_id(client), 'value')!r}")
            problems += [f"{where}: protocol error {e}" for e in client.errors]
        tokens = [(s["client"].token, s["last"]) for s in sessions]
        for s in sessions:
            await s["client"].close()
        return {"problems": problems, "tokens": tokens}

    result: dict = {}
    loader = threading.Thread(target=lambda: result.update(run_async(load, timeout=1200)), daemon=True)
    loader.start()
    browser_problems: list[str] = []
    if HAS_BROWSER:
        browser_problems = _browsers_under_load(base, entries)
    loader.join(1300)
    assert not loader.is_alive(), "the websocket sessions did not finish in time"
    closed_at = time.monotonic()
    assert result["problems"] == [], "\n".join(result["problems"][:30])
    assert browser_problems == [], "\n".join(browser_problems)
    assert server_errors(server.log()[log_start:]) == [], "\n".join(server_errors(server.log()[log_start:])[:20])
    assert server.alive()

    # closed sessions are discarded: an old token now opens a fresh, neutral session
    time.sleep(max(0.0, CLEANUP_WAIT_S - (time.monotonic() - closed_at)))
    rss_after = server.stable_rss_mb()

    async def reconnect() -> list[str]:
        problems = []
        for token, last in result["tokens"][:5]:
            client = await BokehClient(base, token=token).open()
            search, state = location_search(client), SceneMirror.of(client).state()
            if f"highlight={last}" in search or state["labels"]:
                problems.append(f"the session of token …{token[-8:]} still exists (URL {search!r})")
            await client.close()
        return problems

    assert run_async(reconnect) == [], "closed sessions must be discarded"

    # memory: back near the start, and a second identical load does not add to it (nothing is kept per session)
    async def again() -> None:
        for s in await _ws_load(base, entries, N_SESSIONS, seed=8):
            await s["client"].close()

    run_async(again)
    time.sleep(CLEANUP_WAIT_S)
    rss_again = server.stable_rss_mb()
    assert rss_after <= rss_start + MEMORY_SLACK_MB, (
        f"RSS {rss_after:.0f} MB after the load vs {rss_start:.0f} MB before")
    assert rss_again <= rss_after + MEMORY_PER_ROUND_MB, (
        f"a second load of {N_SESSIONS} sessions left RSS at {rss_again:.0f} MB (after the first: {rss_after:.0f} MB):"
        " memory is kept per session")
    assert server_errors(server.log()[log_start:]) == []


def _browsers_under_load(base: str, entries: list[tuple[str, str]]) -> list[str]:
    """3 Chromium pages during the load: each renders the model and ends in the state of its last choice."""
    from browser_util import chromium, playwright

    problems: list[str] = []
    with playwright() as pw, chromium(pw) as ctx:
        plans = [[entries[(3 * i + k) % len(entries)] for k in range(3)] for i in range(N_BROWSERS)]
        pages = [open_page(ctx, base, f"?highlight={plan[0][0]}") for plan in plans]
        for page in pages:
            wait_page_ready(page)
        for i, (page, plan) in enumerate(zip(pages, plans)):
            cover = canvas_cover(page)
            if cover < 0.03:
                problems.append(f"page {i}: the model covers {cover:.1%} of the canvas")
        for k in (1, 2):
            for page, plan in zip(pages, plans):
                page_choose(page, plan[k][1])
        for i, (page, plan) in enumerate(zip(pages, plans)):
            last = plan[-1][0]
            page.wait_for_function(f"() => location.search.includes('highlight={last}')", timeout=120_000)
            page.wait_for_timeout(1500)
            want = run_async(lambda last=last: reference(base, last))
            bad = styles_match(bridge_styles(page, list(want["styles"])), want["styles"])
            if bad:
                problems.append(f"page {i} ({last}): styles differ for {bad[:6]}")
            labels = page.evaluate("() => window.tsvBridges.find(b => b.ready).labels")
            if sorted(labels) != sorted(lab["text"] for lab in want["labels"]):
                problems.append(f"page {i} ({last}): labels {labels} != {[x['text'] for x in want['labels']]}")
            problems += [f"page {i}: {e}" for e in page.tsv_errors]
        for page in pages:
            page.close()
    return problems


# --------------------------------------------------------------------------- isolation


def shows_entry(text: str, entry: str) -> bool:
    """True if a URL (or a message carrying one) names exactly ``entry``, not a variant of it."""
    return re.search(rf"highlight={re.escape(entry)}(?![\w.])", text) is not None


def _disjoint_pairs(refs: dict[str, dict]) -> tuple[list[str], list[str]]:
    """Two pairs of entries whose labelled structures do not overlap."""
    labels = {e: {lab["text"] for lab in r["labels"]} for e, r in refs.items()}
    ids = [e for e in refs if labels[e]]
    for a1 in ids:
        for a2 in ids:
            if a2 == a1:
                continue
            rest = [e for e in ids if e not in (a1, a2) and not labels[e] & (labels[a1] | labels[a2])]
            for b1 in rest:
                for b2 in rest:
                    if b2 != b1 and not labels[b2] & (labels[a1] | labels[a2]):
                        return [a1, a2], [b1, b2]
    raise AssertionError("test setup: no two pairs of entries with disjoint labels")


def test_two_sessions_never_see_each_others_state_under_rapid_changes(app_server):
    base = app_server.base
    log_start = len(app_server.log())

    async def scenario() -> list[str]:
        a, view_a = await opened(base)
        b, view_b = await opened(base)
        entries = [e for e, _ in conditions(a)][:8]
        refs = {e: await reference(base, e) for e in entries}
        pair_a, pair_b = _disjoint_pairs(refs)
        label_sets = {e: {lab["text"] for lab in refs[e]["labels"]} for e in refs}
        own_a = set().union(*(label_sets[e] for e in pair_a))
        own_b = set().union(*(label_sets[e] for e in pair_b))
        rng = random.Random(11)

        async def hammer(client: BokehClient, view: SceneMirror, pair: list[str], n: int = 25) -> str:
            entry = pair[0]
            for k in range(n):
                entry = pair[k % 2]
                await choose(client, view, entry, wait=False)
                await asyncio.sleep(rng.uniform(0, 0.02))
            return entry

        last_a, last_b = await asyncio.gather(hammer(a, view_a, pair_a), hammer(b, view_b, pair_b))
        assert await settle(a, last_a, timeout=180) and await settle(b, last_b, timeout=180)
        problems = []
        for name, client, view, last, own, other, pair in (
                ("A", a, view_a, last_a, own_a, own_b, pair_a), ("B", b, view_b, last_b, own_b, own_a, pair_b)):
            problems += [f"{name}: {p}" for p in same_view(view.state(), refs[last])]
            for msg in view.messages():
                shown = {lab["text"] for lab in msg.get("labels", [])}
                if shown & other or not shown <= own:
                    problems.append(f"{name} received labels {sorted(shown)} (its own: {sorted(own)})")
            seen = [f.text for f in client.frames if f.direction == "in" and f.text and '"search"' in f.text]
            for entry in (pair_b if name == "A" else pair_a):
                if any(shows_entry(t, entry) for t in seen):
                    problems.append(f"{name}'s URL showed the other session's {entry}")
            if client.attr(menu_id(client), "value") != last:
                problems.append(f"{name}'s menu shows {client.attr(menu_id(client), 'value')!r}, not {last!r}")
            problems += [f"{name}: protocol error {e}" for e in client.errors]
        await a.close()
        await b.close()
        return problems

    problems = run_async(scenario)
    assert problems == [], "\n".join(problems[:30])
    assert server_errors(app_server.log()[log_start:]) == []


@pytest.mark.browser
@pytest.mark.skipif(not HAS_BROWSER, reason="needs Debian chromium at /usr/bin/chromium and playwright")
def test_two_browsers_with_rapid_changes_stay_independent(app_server):
    from browser_util import chromium, playwright

    base = app_server.base

    async def menu() -> tuple[list[tuple[str, str]], dict[str, dict]]:
        client, _ = await opened(base)
        entries = conditions(client)[:8]
        await client.close()
        return entries, {e: await reference(base, e) for e, _ in entries}

    entries, refs = run_async(menu)
    pair_a, pair_b = _disjoint_pairs(refs)
    label = dict(entries)
    with playwright() as pw, chromium(pw) as one, chromium(pw) as two:
        a, b = open_page(one, base), open_page(two, base)
        wait_page_ready(a)
        wait_page_ready(b)
        for k in range(8):  # interleaved, without waiting for the answers
            page_choose(a, label[pair_a[k % 2]], wait=False)
            page_choose(b, label[pair_b[k % 2]], wait=False)
        last_a, last_b = pair_a[1], pair_b[1]
        for page, last, other in ((a, last_a, pair_b), (b, last_b, pair_a)):
            page.wait_for_function(f"() => location.search.includes('highlight={last}')", timeout=180_000)
            page.wait_for_timeout(2000)
            want = refs[last]
            bad = styles_match(bridge_styles(page, list(want["styles"])), want["styles"])
            assert bad == [], f"{last}: styles differ for {bad[:6]}"
            labels = page.evaluate("() => window.tsvBridges.find(x => x.ready).labels")
            assert sorted(labels) == sorted(lab["text"] for lab in want["labels"])
            assert not any(shows_entry(page.url, e) for e in other), page.url
            assert page.tsv_errors == []


# --------------------------------------------------------------------------- network exposure


@pytest.fixture(scope="module")
def default_bind_server():
    """``serve.py --synthetic`` with no --address: the defaults a user gets."""
    server = start_server(ROOT / "serve.py", ["--synthetic"])
    try:
        wait_ready(server, 180)
        yield server
    finally:
        stop_server(server)


def test_binds_to_loopback_only_by_default(default_bind_server):
    server = default_bind_server
    addresses = listening_addresses(server.pid, server.port)
    assert addresses, f"nothing listens on port {server.port}"
    assert set(addresses) == {"127.0.0.1"}, f"listening on {addresses}"


async def _handshake(base: str, origin: str | None) -> int | None:
    """HTTP status of a refused websocket handshake, or None if it was accepted (and the document pulled)."""
    try:
        client = await BokehClient(base, origin=origin).open(timeout=60)
    except HandshakeRefused as exc:
        return exc.code or -1
    await client.close()
    return None


def test_websocket_from_a_foreign_origin_is_refused(default_bind_server):
    server = default_bind_server
    base, port = server.base, server.port

    async def attempts() -> dict[str, int | None]:
        return {
            "own": await _handshake(base, f"http://127.0.0.1:{port}"),
            "localhost": await _handshake(base, f"http://localhost:{port}"),
            "foreign": await _handshake(base, f"http://evil.example:{port}"),
            "foreign port": await _handshake(base, "http://127.0.0.1:1"),
            "null": await _handshake(base, "null"),
            "own again": await _handshake(base, f"http://127.0.0.1:{port}"),
        }

    got = run_async(attempts)
    assert got["own"] is None and got["localhost"] is None and got["own again"] is None, got
    assert got["foreign"] == 403 and got["foreign port"] == 403 and got["null"] == 403, got
    assert "Refusing websocket connection from Origin 'http://evil.example" in server.log()


def test_allow_websocket_origin_opts_in_a_clinic_host():
    args = ["--synthetic", "--allow-websocket-origin", "clinic-pc.local:8443"]
    with run_server(ROOT / "serve.py", args, timeout=180) as server:
        async def attempts() -> dict[str, int | None]:
            return {"clinic": await _handshake(server.base, "https://clinic-pc.local:8443"),
                    "foreign": await _handshake(server.base, "http://evil.example:8443")}

        got = run_async(attempts)
        assert got == {"clinic": None, "foreign": 403}, got
        assert set(listening_addresses(server.pid, server.port)) == {"127.0.0.1"}
