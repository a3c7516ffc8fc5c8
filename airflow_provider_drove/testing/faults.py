"""Faults on demand: 5xx answers, latency, dropped connections and malformed bodies (issue 2, point 9).

Faults act in front of everything else, like a flaky network or proxy would, and only on Drove's
API paths (``/apis/...``); the ``/_emulator/`` control paths are never affected.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import threading
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

#: scope key under which :class:`TransportExposingProtocol` leaves the connection's transport
TRANSPORT_KEY = "drove_emulator.transport"
MALFORMED_BODY = b'{"status":"SUCCESS","data":{"id":"'


class TransportExposingProtocol(H11Protocol):
    """uvicorn's h11 protocol, handing the transport to the app so a fault can drop the connection."""

    def handle_events(self) -> None:
        """Parse as uvicorn does, then leave the transport in the new request's scope."""
        super().handle_events()
        if self.scope is not None:
            self.scope[TRANSPORT_KEY] = self.transport  # type: ignore[literal-required]


@dataclass
class Fault:
    """One armed fault.

    :param kind: ``status``, ``latency``, ``drop`` or ``malformed``.
    :param remaining: requests it still applies to (None: until cleared).
    :param path: only requests whose path starts with this (or matches it as a glob).
    :param status: the HTTP status of a ``status`` fault.
    :param seconds: the delay of a ``latency`` fault (real seconds).
    """

    kind: str
    remaining: int | None
    path: str | None = None
    status: int = 500
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        """Whether the fault applies to a request path."""
        if self.path is None:
            return True
        if any(ch in self.path for ch in "*?["):
            return fnmatch.fnmatchcase(path, self.path)
        return path.startswith(self.path)


class Faults:
    """The armed faults of one emulator (shared by its controllers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.fired: dict[str, int] = {"status": 0, "latency": 0, "drop": 0, "malformed": 0}

    def add(self, fault: Fault) -> None:
        """Arm a fault (``remaining`` 0 arms nothing)."""
        if fault.remaining is not None and fault.remaining <= 0:
            return
        with self._lock:
            self._faults.append(fault)

    def clear(self, kind: str | None = None) -> None:
        """Disarm every fault (of one kind)."""
        with self._lock:
            self._faults = [f for f in self._faults if kind is not None and f.kind != kind]

    def armed(self) -> list[dict[str, Any]]:
        """The armed faults, for the status view."""
        with self._lock:
            return [dict(vars(f)) for f in self._faults]

    def take(self, path: str) -> dict[str, Fault]:
        """Consume the first matching fault of each kind for one request."""
        chosen: dict[str, Fault] = {}
        if not self._faults:  # the common case, without the lock
            return chosen
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in chosen or not fault.matches(path):
                    continue
                chosen[fault.kind] = fault
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
            for kind in chosen:
                self.fired[kind] += 1
        return chosen


class FaultMiddleware:
    """ASGI middleware applying :class:`Faults` to ``/apis/`` requests.

    :param app: the wrapped app.
    :param faults: the shared fault set.
    """

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/apis/"):
            await self.app(scope, receive, send)
            return
        chosen = self.faults.take(scope["path"])
        if not chosen:
            await self.app(scope, receive, send)
            return
        if "latency" in chosen:
            disconnected, receive = await _delay(chosen["latency"].seconds, receive)
            if disconnected:
                return
        if "drop" in chosen and scope.get(TRANSPORT_KEY) is not None:
            scope[TRANSPORT_KEY].close()
            while (await receive())["type"] != "http.disconnect":  # let uvicorn see the disconnect
                pass
            return
        if "status" in chosen:
            await _send_status(send, chosen["status"].status)
            return
        if "malformed" in chosen:
            await _send(send, 200, MALFORMED_BODY, b"application/json")
            return
        await self.app(scope, receive, send)


async def _delay(seconds: float, receive: Receive) -> tuple[bool, Receive]:
    """Wait ``seconds``, or less if the client goes away (or its controller is stopped) meanwhile.

    The request body read while watching for the disconnect is replayed to the app.

    :return: ``(disconnected, receive for the app)``.
    """
    buffered: list[Any] = []

    async def watch() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            buffered.append(message)

    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.wait_for(asyncio.shield(watcher), timeout=seconds)
        return True, receive
    except asyncio.TimeoutError:
        watcher.cancel()

    async def replay() -> Any:
        return buffered.pop(0) if buffered else await receive()

    return False, replay


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_status(send: Send, status: int) -> None:
    if status == 500:
        # what the controller's catch-all handler sends (§3.1)
        body = json.dumps(
            {"status": "FAILED", "data": {"failure": "Injected fault"}, "message": "Unexpected Server error"}
        ).encode()
        await _send(send, status, body, b"application/json")
    else:
        # what a proxy or overloaded Jetty in front of it sends
        await _send(send, status, f"Injected fault: HTTP {status}".encode(), b"text/plain")
