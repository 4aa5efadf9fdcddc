"""Helpers for real-browser tests: free port, server by pid, Debian chromium.

Chromium runs headless with SwiftShader WebGL (software); never
``playwright install``: the system browser at ``/usr/bin/chromium`` is used.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """Return a TCP port that is free on the loopback interface now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers HTTP 200 (or ``proc`` exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - loopback test server
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def serve(args: Sequence[str] = (), timeout: float = 120.0) -> Iterator[str]:
    """Run ``serve.py`` on a free loopback port; yield its base URL.

    The server is stopped at the end by its own process id (its process
    group, created for it), never by name.
    """
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="serve-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [sys.executable, str(ROOT / "serve.py"), "--port", str(port), "--address", "127.0.0.1", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/health", timeout=timeout, proc=proc)
        yield base
    except Exception:
        log.flush()
        sys.stderr.write(Path(log.name).read_text(errors="replace")[-4000:])
        raise
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate ``proc`` (and its process group) by pid; kill if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


@contextmanager
def playwright() -> Iterator[object]:
    """Start Playwright once (sync API); pass it to :func:`chromium`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@contextmanager
def chromium(pw, width: int = 1280, height: int = 820) -> Iterator[object]:  # noqa: ANN001 - Playwright
    """Launch Debian chromium with a fresh profile; yield its (persistent) browser context.

    Each call is a separate browser process with its own ``--user-data-dir``.
    """
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": width, "height": height},
        )
        try:
            yield ctx
        finally:
            ctx.close()


def pixel(page, x: float, y: float) -> tuple[int, int, int]:  # noqa: ANN001 - playwright Page
    """RGB of the page pixel at CSS coordinates ``(x, y)`` (median of a 3x3 patch)."""
    from PIL import Image

    png = page.screenshot(clip={"x": max(0, x - 1), "y": max(0, y - 1), "width": 3, "height": 3})
    import numpy as np

    pixels = sorted(map(tuple, np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).tolist()), key=sum)
    return pixels[len(pixels) // 2]


def wait_for(page, expression: str, timeout: float = 60_000, arg: object = None) -> object:  # noqa: ANN001
    """Wait until the JS ``expression`` (a function body or arrow) is truthy; return its value."""
    handle = page.wait_for_function(expression, arg=arg, timeout=timeout, polling=100)
    return handle.json_value()
