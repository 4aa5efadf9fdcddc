"""A server launcher with its process id, and a minimal client of Bokeh's websocket protocol.

Used by ``benchmarks/run.py`` and by ``tests/test_reliability*.py``: a headless
"browser" that does what the page's JavaScript does on the wire, without
rendering, so that many sessions fit on a 2-core machine.

A :class:`BokehClient` loads the page (``GET /?query``), takes the session token
from it, opens ``/ws`` with the ``["bokeh", token]`` subprotocols (and an
optional ``Origin`` header), pulls the document (``PULL-DOC-REQ``), keeps
every model's attributes up to date from the server's ``PATCH-DOC`` messages,
collects the custom messages of ESM components (the 3D view's style, camera and
label messages) and can change a widget's value or send a component message,
exactly as the browser does.

Everything is loopback only, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_TOKEN = re.compile(r'"token":"([^"]+)"')


# --------------------------------------------------------------------------- server


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (``VmRSS``; Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass
class Server:
    """A running server process (see :func:`run_server`)."""

    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def stable_rss_mb(self, window: float = 3.0, tolerance: float = 2.0, timeout: float = 120.0) -> float:
        """RSS once it stopped moving (background warm-up done): changes under ``tolerance`` MB for ``window`` s."""
        deadline = time.monotonic() + timeout
        last = self.rss_mb()
        while time.monotonic() < deadline:
            time.sleep(window)
            now = self.rss_mb()
            if abs(now - last) < tolerance:
                return now
            last = now
        return last

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None


def start_server(script: str | Path, args: Sequence[str] = (), *, port: int | None = None,
                 env: dict[str, str] | None = None) -> Server:
    """Start ``python script --port N *args`` in its own process group; do not wait."""
    port = port or free_port()
    log = tempfile.NamedTemporaryFile(prefix="tsv-server-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [sys.executable, str(script), "--port", str(port), *args]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=full_env,
                            start_new_session=True)
    log.close()
    return Server(proc, port, Path(log.name))


def wait_ready(server: Server, timeout: float = 180.0, path: str = "/health") -> None:
    """Wait until ``path`` answers 200; raise with the log's tail if the process exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(server.base + path, timeout=5) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{server.base}{path} did not answer within {timeout} s:\n{server.log()[-3000:]}")


def stop_server(server: Server, timeout: float = 15.0) -> None:
    """Terminate the server's process group by its pid (never by name); kill if it lingers."""
    proc = server.proc
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
def run_server(script: str | Path = ROOT / "serve.py", args: Sequence[str] = (), *, timeout: float = 180.0,
               env: dict[str, str] | None = None, port: int | None = None) -> Iterator[Server]:
    """Start a server on a (free) loopback port, wait for ``/health``, yield it, stop it by pid."""
    server = start_server(script, args, env=env, port=port)
    try:
        wait_ready(server, timeout)
        yield server
    finally:
        stop_server(server)


def listening_addresses(pid: int, port: int) -> list[str]:
    """Local addresses on which process ``pid``'s network namespace listens on TCP ``port`` (from /proc)."""
    out = []
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path(f"/proc/{pid}/net/{name}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            cols = line.split()
            local, state = cols[1], cols[3]
            addr, p = local.split(":")
            if state != "0A" or int(p, 16) != port:  # 0A = LISTEN
                continue
            if width == 8:
                out.append(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
            else:
                raw = bytes.fromhex(addr)
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                out.append(socket.inet_ntop(socket.AF_INET6, raw))
    return out


# --------------------------------------------------------------------------- Bokeh serialization


def decode(value: Any, buffers: dict[str, bytes] | None = None) -> Any:
    """Plain Python value of Bokeh-serialized ``value`` (maps, sets, numbers, bytes; model refs kept)."""
    if isinstance(value, list):
        return [decode(v, buffers) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("type")
    if kind == "map":
        return {_key(decode(k, buffers)): decode(v, buffers) for k, v in value.get("entries", [])}
    if kind == "set":
        return [decode(v, buffers) for v in value.get("entries", [])]
    if kind == "number":
        return float(value["value"])
    if kind == "bytes":
        data = value.get("data")
        if isinstance(data, dict) and "id" in data:
            return (buffers or {}).get(data["id"], b"")
        if isinstance(data, str):
            import base64

            return base64.b64decode(data)
        return b""
    if kind == "object":
        return value  # a model definition: kept as is
    return {k: decode(v, buffers) for k, v in value.items()}


def _key(k: Any) -> Any:
    return k if isinstance(k, str | int | float) else json.dumps(k)


def encode(value: Any) -> Any:
    """Bokeh serialization of a plain value (dicts become maps)."""
    if isinstance(value, dict):
        return {"type": "map", "entries": [[k, encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def collect_models(node: Any, out: dict[str, dict]) -> None:
    """Index every ``{"type": "object", "id", "name", "attributes"}`` definition in ``node`` by id."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "id" in node:
            out.setdefault(node["id"], {"name": node.get("name", ""), "attributes": {}})
            out[node["id"]]["attributes"].update(node.get("attributes", {}))
        for v in node.values():
            collect_models(v, out)
    elif isinstance(node, list):
        for v in node:
            collect_models(v, out)


# --------------------------------------------------------------------------- client


@dataclass
class Frame:
    """One websocket frame: direction ('in'/'out'), time, size in bytes, and text (None if binary)."""

    direction: str
    t: float
    size: int
    text: str | None


@dataclass
class Message:
    """An assembled Bokeh protocol message."""

    t: float
    msgtype: str
    header: dict
    content: dict
    buffers: dict[str, bytes]
    size: int


class HandshakeRefused(Exception):
    """The websocket handshake was refused (HTTP status in ``code``)."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class BokehClient:
    """One session, driven over Bokeh's websocket protocol (see module docstring)."""

    base: str
    query: str = ""
    origin: str | None = "same"
    models: dict[str, dict] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    esm: list[tuple[float, str, Any]] = field(default_factory=list)  # (t, model id, data)
    errors: list[str] = field(default_factory=list)
    page_seconds: float = 0.0
    pull_seconds: float = 0.0
    session_id: str = ""
    token: str = ""  # reuse a session's token: reconnect to that session (or to a new one if it was discarded)

    # -- connection ---------------------------------------------------------
    async def open(self, timeout: float = 120.0) -> BokehClient:
        """GET the page, open the websocket, pull the document."""
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest
        from tornado.websocket import websocket_connect

        t0 = time.perf_counter()
        if not self.token:
            url = self.base + "/" + self.query
            response = await AsyncHTTPClient().fetch(url, request_timeout=timeout, raise_error=True)
            html = response.body.decode("utf-8", "replace")
            self.page_seconds = time.perf_counter() - t0
            self.page_html = html
            match = _TOKEN.search(html)
            if not match:
                raise RuntimeError(f"no session token in the page of {url}")
            self.token = match.group(1)
        token = self.token
        self.session_id = _session_id(token)
        ws_url = self.base.replace("http://", "ws://") + "/ws"
        headers = {}
        if self.origin == "same":
            headers["Origin"] = self.base
        elif self.origin:
            headers["Origin"] = self.origin
        request = HTTPRequest(ws_url, headers=headers, connect_timeout=timeout, request_timeout=timeout)
        try:
            self.ws = await asyncio.wait_for(
                websocket_connect(request, subprotocols=["bokeh", token], max_message_size=256 << 20), timeout)
        except Exception as exc:  # tornado raises HTTPClientError / WebSocketError on refusal
            raise HandshakeRefused(getattr(exc, "code", None), f"{type(exc).__name__}: {exc}") from exc
        ack = await self._read_message(timeout)
        if ack is None or ack.msgtype != "ACK":
            raise RuntimeError(f"expected ACK, got {ack and ack.msgtype}")
        t1 = time.perf_counter()
        reqid = await self._send("PULL-DOC-REQ", {})
        reply = await self._read_message(timeout)
        if reply is None or reply.msgtype != "PULL-DOC-REPLY" or reply.header.get("reqid") != reqid:
            raise RuntimeError(f"expected PULL-DOC-REPLY, got {reply and reply.msgtype}")
        self.pull_seconds = time.perf_counter() - t1
        self.doc_buffers = reply.buffers
        collect_models(reply.content.get("doc", {}), self.models)
        self._reader = asyncio.ensure_future(self._read_loop())
        return self

    async def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        reader = getattr(self, "_reader", None)
        if reader is not None:
            try:
                await asyncio.wait_for(reader, 10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                reader.cancel()

    # -- sending ------------------------------------------------------------
    async def _send(self, msgtype: str, content: dict) -> str:
        msgid = uuid.uuid4().hex.upper()
        for part in (json.dumps({"msgid": msgid, "msgtype": msgtype}), "{}", json.dumps(content)):
            self.frames.append(Frame("out", time.perf_counter(), len(part.encode()), part))
            await self.ws.write_message(part)
        return msgid

    async def set_attr(self, model_id: str, attr: str, value: Any) -> str:
        """Change a model attribute as the browser does when a widget changes (``PATCH-DOC``)."""
        self.models.setdefault(model_id, {"name": "", "attributes": {}})["attributes"][attr] = value
        return await self._send("PATCH-DOC", {"events": [
            {"kind": "ModelChanged", "model": {"id": model_id}, "attr": attr, "new": value}]})

    async def send_msg(self, model_id: str, data: dict) -> str:
        """What ``model.send_msg(data)`` of an ESM component sends."""
        event = {"type": "event", "name": "data_event",
                 "values": {"type": "map", "entries": [["model", {"id": model_id}], ["data", encode(data)]]}}
        return await self._send("PATCH-DOC", {"events": [
            {"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": event}]})

    # -- receiving ----------------------------------------------------------
    async def _read_frame(self, timeout: float) -> Frame | None:
        msg = await asyncio.wait_for(self.ws.read_message(), timeout)
        if msg is None:
            return None
        now = time.perf_counter()
        if isinstance(msg, bytes):
            frame = Frame("in", now, len(msg), None)
            frame.data = msg  # type: ignore[attr-defined]
        else:
            frame = Frame("in", now, len(msg.encode()), msg)
        self.frames.append(frame)
        return frame

    async def _read_message(self, timeout: float) -> Message | None:
        parts = []
        for _ in range(3):
            f = await self._read_frame(timeout)
            if f is None:
                return None
            parts.append(f)
        header = json.loads(parts[0].text or "{}")
        content = json.loads(parts[2].text or "{}")
        buffers: dict[str, bytes] = {}
        size = sum(p.size for p in parts)
        for _ in range(int(header.get("num_buffers", 0))):
            h = await self._read_frame(timeout)
            payload = await self._read_frame(timeout)
            if h is None or payload is None:
                return None
            buffers[json.loads(h.text or "{}")["id"]] = getattr(payload, "data", b"")
            size += h.size + payload.size
        message = Message(parts[-1].t, header.get("msgtype", ""), header, content, buffers, size)
        self.messages.append(message)
        return message

    async def _read_loop(self) -> None:
        while True:
            try:
                message = await self._read_message(3600)
            except Exception as exc:  # noqa: BLE001 - connection closed/broken
                if not isinstance(exc, asyncio.CancelledError):
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                return
            if message is None:
                return
            if message.msgtype == "ERROR":
                self.errors.append(json.dumps(message.content)[:500])
            if message.msgtype == "PATCH-DOC":
                self._apply_patch(message)

    def _apply_patch(self, message: Message) -> None:
        for ev in message.content.get("events", []):
            kind = ev.get("kind")
            if kind == "ModelChanged":
                collect_models(ev.get("new"), self.models)
                mid = ev["model"]["id"]
                self.models.setdefault(mid, {"name": "", "attributes": {}})["attributes"][ev["attr"]] = ev.get("new")
            elif kind == "MessageSent" and ev.get("msg_type") == "bokeh_event":
                data = ev.get("msg_data", {})
                if data.get("name") == "esm_event":
                    values = decode(data.get("values"), message.buffers)
                    mid = (values.get("model") or {}).get("id", "")
                    self.esm.append((message.t, mid, values.get("data")))

    # -- queries ------------------------------------------------------------
    def find(self, name_part: str, **attrs: Any) -> list[str]:
        """Ids of models whose type name contains ``name_part`` and whose attributes equal ``attrs``."""
        out = []
        for mid, m in self.models.items():
            if name_part in m["name"] and all(m["attributes"].get(k) == v for k, v in attrs.items()):
                out.append(mid)
        return out

    def attr(self, model_id: str, name: str, default: Any = None) -> Any:
        return decode(self.models.get(model_id, {}).get("attributes", {}).get(name, default), self.doc_buffers)

    async def wait_until(self, predicate, timeout: float = 30.0, poll: float = 0.02) -> bool:  # noqa: ANN001
        """Wait until ``predicate()`` is true (False on timeout)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if predicate():
                return True
            if getattr(self, "_reader", None) is not None and self._reader.done():
                return bool(predicate())
            await asyncio.sleep(poll)
        return bool(predicate())


def _session_id(token: str) -> str:
    import base64

    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return str(payload.get("session_id", ""))
    except ValueError:
        return ""


# --------------------------------------------------------------------------- the app's 3D view


@dataclass
class SceneMirror:
    """What a browser's 3D view shows, rebuilt from the wire: the boot state plus the messages, by ``seq``.

    Mirrors ``viewer/static/bridge.js``: a message older than the last applied one
    (``seq`` not greater) is ignored; ``styles`` entries replace per structure.
    """

    client: BokehClient
    view_id: str = ""   # the ESM model (receives/sends messages)
    data_id: str = ""   # its data model (geometry, boot)

    @classmethod
    def of(cls, client: BokehClient) -> SceneMirror:
        for mid, m in client.models.items():
            a = m["attributes"]
            if "boot" in a and "geometry" in a:
                data_id = mid
                break
        else:
            raise LookupError("no 3D view (a model with 'boot' and 'geometry') in the document")
        view_id = next((mid for mid, m in client.models.items()
                        if isinstance(m["attributes"].get("data"), dict) and m["attributes"]["data"].get("id") == data_id),
                       "")
        return cls(client, view_id, data_id)

    @property
    def geometry(self) -> bytes:
        return self.client.attr(self.data_id, "geometry", b"")

    @property
    def boot(self) -> dict:
        return self.client.attr(self.data_id, "boot", {})

    @property
    def ids(self) -> list[str]:
        """Structure ids in blob order (the index the style messages refer to)."""
        if not hasattr(self, "_ids"):
            raw = inflate(self.geometry)
            n = int.from_bytes(raw[:4], "little")
            self._ids = [s["id"] for s in json.loads(raw[4:4 + n])["structures"]]
        return self._ids

    def styles_of(self, styles: Any) -> dict[str, list]:
        """``{id: [r, g, b, opacity, visible]}`` of a message's ``styles``, in either of the bridge's forms:
        ``{id: [r, g, b, a, v]}`` or ``[[r, g, b, a, v, "i-j,k"], ...]`` (blob positions)."""
        if isinstance(styles, dict):
            return {k: list(v[:5]) for k, v in styles.items()}
        out: dict[str, list] = {}
        ids = self.ids
        for style in styles or []:
            for part in str(style[5]).split(","):
                lo, _, hi = part.partition("-")
                for i in range(int(lo), int(hi or lo) + 1):
                    out[ids[i]] = list(style[:5])
        return out

    def state(self) -> dict:
        """``{"seq", "styles", "labels", "camera", "markers"}`` after every message received so far."""
        boot = self.boot
        state = {"seq": boot.get("seq", 0), "styles": self.styles_of(boot.get("styles")),
                 "labels": boot.get("labels", []), "camera": boot.get("camera"), "markers": boot.get("markers", [])}
        for _, mid, data in self.client.esm:
            if mid != self.view_id or not isinstance(data, dict):
                continue
            if data.get("seq", 0) <= state["seq"]:
                continue
            state["styles"].update(self.styles_of(data.get("styles")))
            for key in ("labels", "camera", "markers"):
                if key in data:
                    state[key] = data[key]
            state["seq"] = data["seq"]
        return state

    def messages(self) -> list[dict]:
        return [d for _, mid, d in self.client.esm if mid == self.view_id]

    async def ready(self, size: tuple[int, int] = (890, 640)) -> None:
        """Tell the server the first frame is drawn, as the browser does."""
        await self.client.send_msg(self.view_id, {"type": "ready", "seq": self.state()["seq"], "size": list(size),
                                                  "ms": {"total_ms": 0}})


def inflate(blob: bytes) -> bytes:
    """The packed scene as the browser inflates it (``DecompressionStream('deflate')`` = zlib)."""
    return zlib.decompress(blob)


# --------------------------------------------------------------------------- the app's widgets


def conditions(client: BokehClient, title: str = "Conditions") -> list[tuple[str, str]]:
    """``(id, label)`` of the entries in the app's menu titled ``title`` (placeholder left out)."""
    ids = client.find("Select", title=title)
    if not ids:
        raise LookupError(f"no menu titled {title!r}")
    options = client.attr(ids[0], "options")
    groups = options.values() if isinstance(options, dict) else [options]
    out = []
    for group in groups:
        for item in group:
            value, label = (item, item) if isinstance(item, str) else item
            if value:
                out.append((value, label))
    return out


def menu_id(client: BokehClient, title: str = "Conditions") -> str:
    return client.find("Select", title=title)[0]


def location_search(client: BokehClient) -> str:
    ids = client.find("Location")
    return str(client.attr(ids[0], "search") or "") if ids else ""


def strings_in(node: Any, out: list[str] | None = None) -> list[str]:
    """Every string inside a JSON-like value."""
    out = [] if out is None else out
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, dict):
        for v in node.values():
            strings_in(v, out)
    elif isinstance(node, list | tuple):
        for v in node:
            strings_in(v, out)
    return out


def page_strings(client: BokehClient, skip: tuple[str, ...] = ("Location",)) -> list[str]:
    """Every string attribute of every model the page holds now (models whose type contains ``skip`` left out)."""
    out: list[str] = []
    for m in client.models.values():
        if any(s in m["name"] for s in skip):
            continue
        strings_in(m["attributes"], out)
    return out
