"""A counting TCP relay: the websocket bytes a browser and the server really exchange.

The in-page probe sees websocket payloads after permessage-deflate has been
undone; what crosses the network is smaller when the server compresses.  The
benchmark therefore points the browser at this relay, which forwards every
connection to the server unchanged and counts the bytes in each direction.
Loopback only.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WireCounter:
    """Forward ``127.0.0.1:port`` to ``127.0.0.1:target`` and count bytes.

    Parameters
    ----------
    target : int
        The server's port.
    port : int
        The port to listen on.
    """

    def __init__(self, target: int, port: int) -> None:
        self.target = target
        self.port = port
        self.to_client = 0
        self.to_server = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wire-counter", daemon=True)

    def counts(self) -> tuple[int, int]:
        """Websocket bytes so far ``(server to browser, browser to server)``.

        Only connections upgraded to a websocket count; plain HTTP requests
        (page, scripts, downloads) relayed alongside do not.
        """
        with self._lock:
            return self.to_client, self.to_server

    def _add(self, to_client: bool, n: int) -> None:
        with self._lock:
            if to_client:
                self.to_client += n
            else:
                self.to_server += n

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, to_client: bool,
                    websocket: bool, first: bytes = b"") -> None:
        try:
            if first:
                if websocket:
                    self._add(to_client, len(first))
                writer.write(first)
                await writer.drain()
            while data := await reader.read(65536):
                if websocket:
                    self._add(to_client, len(data))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        try:
            s_reader, s_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            c_writer.close()
            return
        first = await c_reader.read(65536)  # the request line and headers
        websocket = b"upgrade: websocket" in first.lower()
        await asyncio.gather(self._pipe(c_reader, s_writer, False, websocket, first),
                             self._pipe(s_reader, c_writer, True, websocket))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    def start(self) -> WireCounter:
        """Start relaying in a background thread."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"wire counter did not start on port {self.port}")
        return self

    def stop(self) -> None:
        """Stop relaying."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@contextmanager
def wire_counter(target: int, port: int) -> Iterator[WireCounter]:
    """Run a :class:`WireCounter` for the duration of a ``with`` block."""
    counter = WireCounter(target, port).start()
    try:
        yield counter
    finally:
        counter.stop()
