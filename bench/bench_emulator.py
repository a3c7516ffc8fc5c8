"""Requests per second of the Drove emulator, side by side with a plain Starlette baseline.

Run: ``.venv/bin/python bench/bench_emulator.py`` (``--requests N`` to change the bounded count).

Three servers run in their own processes on the loopback, all on uvicorn's h11 stack:

* the emulator (``python -m airflow_provider_drove.testing``), measured on ``GET /apis/v1/applications/{id}``
  (app info: auth-free leader gate, clock tick, lock, summary, JSON) and on ``GET /apis/v1/ping``;
* a baseline: a bare Starlette app returning a small JSON document, same server settings.

The clients are keep-alive HTTP/1.1 connections on asyncio streams, in this process, at 1, 50 and
500 concurrent clients, each run bounded to a fixed number of requests. A last run opens 1,000
connections at once and keeps them all busy, to show the emulator holds them. Figures are printed,
never asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence

APP_SPEC = {
    "name": "BENCH", "version": "1", "type": "SERVICE",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/perf-test-server-httplib", "dockerPullTimeout": "100 seconds"},
    "exposedPorts": [{"name": "main", "port": 8000, "type": "HTTP"}],
    "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}],
    "placementPolicy": {"type": "ANY"},
    "healthcheck": {"mode": {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET",
                             "successCodes": [200]}, "timeout": "1 second", "interval": "5 seconds", "attempts": 3},
    "readiness": {"mode": {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET",
                           "successCodes": [200]}, "timeout": "1 second", "interval": "3 seconds", "attempts": 3},
}  # fmt: skip
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


# ------------------------------------------------------------------ baseline server (child process)
def serve_baseline(port: int) -> None:
    """A bare Starlette JSON endpoint on uvicorn h11, as close to the emulator's stack as possible."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def info(request: object) -> JSONResponse:
        return JSONResponse({"status": "SUCCESS", "data": {"id": "BENCH-1", "state": "MONITORING"}, "message": "success"})

    app = Starlette(routes=[Route("/info", info)])
    uvicorn.run(app, host="127.0.0.1", port=port, http="h11", log_level="warning", access_log=False,
                lifespan="off", timeout_keep_alive=30, backlog=4096)  # fmt: skip


# ------------------------------------------------------------------ client
async def _client(
    host: str, port: int, request: bytes, count: int, connected: list[int], ready: asyncio.Event, start: asyncio.Event
) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    connected[0] -= 1
    if connected[0] == 0:
        ready.set()
    await start.wait()
    ok = 0
    for _ in range(count):
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        match = _LENGTH.search(head)
        await reader.readexactly(int(match.group(1)) if match else 0)
        ok += head.startswith(b"HTTP/1.1 200")
    writer.close()
    return ok


async def _run(host: str, port: int, path: str, clients: int, total: int) -> tuple[float, int, int]:
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    per_client = max(1, total // clients)
    connected, ready, start = [clients], asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.ensure_future(_client(host, port, request, per_client, connected, ready, start)) for _ in range(clients)
    ]
    await asyncio.wait_for(ready.wait(), timeout=60)  # every connection is open before the clock starts
    began = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    sent = per_client * clients
    return sent / elapsed, sum(results), sent


def measure(host: str, port: int, path: str, clients: int, total: int) -> tuple[float, int, int]:
    """Requests/second over ``clients`` keep-alive connections, ``total`` requests in all."""
    return asyncio.run(_run(host, port, path, clients, total))


# ------------------------------------------------------------------ orchestration
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _post(port: int, path: str, body: dict) -> dict:
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def main(argv: Sequence[str] | None = None) -> int:
    """Start the servers, run the clients, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=6000, help="requests per measurement (default 6000)")
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return 0

    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    emulator_port, baseline_port = _free_port(), _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    servers = [
        subprocess.Popen([sys.executable, "-m", "airflow_provider_drove.testing", "--port", str(emulator_port)],
                         stdout=subprocess.DEVNULL, env=env),  # fmt: skip
        subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(baseline_port)], env=env),
    ]
    try:
        _wait_port(emulator_port)
        _wait_port(baseline_port)
        created = _post(emulator_port, "/apis/v1/applications/operations",
                        {"type": "CREATE", "spec": APP_SPEC, "instances": 0,
                         "opSpec": {"timeout": "5m", "parallelism": 1, "failureStrategy": "STOP"}})  # fmt: skip
        app_id = created["data"]["appId"]
        targets = [
            ("emulator GET app info", emulator_port, f"/apis/v1/applications/{app_id}"),
            ("emulator GET ping", emulator_port, "/apis/v1/ping"),
            ("baseline Starlette JSON", baseline_port, "/info"),
        ]
        for _, port, path in targets:  # warm up
            measure("127.0.0.1", port, path, 10, 500)
        print(f"Loopback, keep-alive HTTP/1.1, {args.requests} requests per cell, uvicorn h11, 1 server process each")
        print(f"{'clients':>8} | " + " | ".join(f"{name:>24}" for name, _, _ in targets))
        for clients in (1, 50, 500):
            cells = []
            for _, port, path in targets:
                rps, ok, sent = measure("127.0.0.1", port, path, clients, args.requests)
                cells.append(f"{rps:>15,.0f} req/s" + ("" if ok == sent else f" ({sent - ok} not 200)"))
            print(f"{clients:>8} | " + " | ".join(f"{c:>24}" for c in cells))
        total = max(args.requests, 5000)
        rps, ok, sent = measure("127.0.0.1", emulator_port, f"/apis/v1/applications/{app_id}", 1000, total)
        print(f"1,000 concurrent keep-alive clients on GET app info: {ok}/{sent} answered 200, {rps:,.0f} req/s")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
