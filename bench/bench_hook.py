"""Requests per second of ``get_application`` through the hooks, next to a raw ``requests`` baseline.

Run: ``.venv/bin/python bench/bench_hook.py [--seconds 3] [--concurrency 8]``

Everything talks to a local Drove emulator, run in its own process (so it does not share the
client's GIL), over HTTP on the loopback. The figures measure the client's overhead (envelope
parsing, model building, retry/failover bookkeeping) on top of the same server. Each row is run
``--repeat`` times in turn; the median and best rates are printed. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

APP_ID = "BENCH-1"


def _rate(call: Callable[[], Any], seconds: float) -> tuple[float, int]:
    call()  # warm up: connection, connection lookup
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        call()
        count += 1
    return count / elapsed, count


async def _arate(call: Callable[[], Awaitable[Any]], seconds: float, concurrency: int) -> tuple[float, int]:
    await call()
    count, start = 0, time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await call()
            count += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - start), count


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_emulator(port: int) -> subprocess.Popen[bytes]:
    """Run the emulator CLI in a child process and wait until it answers."""
    import requests

    child = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_drove.testing", "--port", str(port), "--speed", "50"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/apis/v1/ping", timeout=1)
            return child
        except requests.ConnectionError:
            if time.monotonic() > deadline or child.poll() is not None:
                child.kill()
                raise SystemExit("the emulator did not start") from None
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per row and repeat")
    parser.add_argument("--repeat", type=int, default=3, help="times each row is measured")
    parser.add_argument("--concurrency", type=int, default=8, help="coroutines in the concurrent async row")
    args = parser.parse_args()

    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="drove-bench-"))
    import httpx
    import requests

    from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook
    from airflow_provider_drove.testing.samples import sample_app_spec

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    emulator = _start_emulator(port)
    try:
        os.environ["AIRFLOW_CONN_DROVE_BENCH"] = json.dumps({"conn_type": "drove", "host": base})
        hook = DroveHook("drove_bench")
        hook.create_application(sample_app_spec("BENCH"))
        hook.scale_application(APP_ID, 1)
        url = f"{base}/apis/v1/applications/{APP_ID}"
        session = requests.Session()

        async def async_rows() -> list[tuple[str, float, int]]:
            async with httpx.AsyncClient() as client, DroveAsyncHook("drove_bench") as async_hook:

                async def raw() -> Any:
                    return (await client.get(url)).json()

                async def one() -> Any:
                    return await async_hook.get_application(APP_ID)

                return [
                    ("raw httpx.AsyncClient + json()", *await _arate(raw, args.seconds, 1)),
                    ("DroveAsyncHook.get_application", *await _arate(one, args.seconds, 1)),
                    (f"DroveAsyncHook x{args.concurrency} concurrent", *await _arate(one, args.seconds, args.concurrency)),
                ]

        results: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            rows = [
                ("raw requests.Session + json()", *_rate(lambda: session.get(url, timeout=30).json(), args.seconds)),
                ("DroveHook.get_application", *_rate(lambda: hook.get_application(APP_ID), args.seconds)),
                *asyncio.run(async_rows()),
            ]
            for name, rate, _count in rows:
                results.setdefault(name, []).append(rate)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    print(f"get_application, emulator in its own process, {args.repeat} x {args.seconds:g} s per row")
    print(f"{'client':<38} {'median req/s':>12} {'best req/s':>11} {'ms/req':>7}")
    for name, rates in results.items():
        median = statistics.median(rates)
        print(f"{name:<38} {median:>12.0f} {max(rates):>11.0f} {1000 / median:>7.2f}")


if __name__ == "__main__":
    main()
