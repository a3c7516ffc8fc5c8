"""How the emulator starts and runs: clock, context manager, pytest fixtures, CLI, many clients (issue 2)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from airflow_provider_drove.testing import DroveEmulator
from airflow_provider_drove.testing.clock import SimClock
from airflow_provider_drove.testing.sim import Scheduler

from .helpers import Api, app_spec


def _consecutive_free_ports(count: int) -> int:
    """A first port such that ``count`` consecutive ports are free right now."""
    for _ in range(50):
        socks = [socket.socket()]
        try:
            socks[0].bind(("127.0.0.1", 0))
            base = socks[0].getsockname()[1]
            for offset in range(1, count):
                socks.append(socket.socket())
                socks[-1].bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no consecutive free ports")


def test_clock_speed_and_advance() -> None:
    """Simulated time = real time x speed + jumps; speed changes do not jump."""
    clock = SimClock(speed=1000, start=0)
    time.sleep(0.01)
    assert clock.now() >= 10
    clock.set_speed(0.001)
    frozen = clock.now()
    clock.advance(60)
    assert 60 <= clock.now() - frozen < 61
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set_speed(0)


def test_scheduler_runs_events_in_time_order_at_their_own_time() -> None:
    """A jump replays everything due in order, each at its own simulated time."""
    clock = SimClock(speed=0.0001, start=0)
    sim = Scheduler(clock)
    seen: list[tuple[str, float]] = []

    def process():
        yield 5
        seen.append(("process", sim.now()))
        yield 10
        seen.append(("process", sim.now()))

    sim.spawn(process())
    sim.call_later(7, lambda: seen.append(("timer", sim.now())))
    clock.advance(20)
    sim.run_due()
    assert [(name, round(t)) for name, t in seen] == [("process", 5), ("timer", 7), ("process", 15)]


def test_context_manager_serves_and_closes_ports() -> None:
    """DroveEmulator: free ports, leader URL, every port closed on exit."""
    with DroveEmulator(controllers=3, speed=50) as drove:
        urls = drove.urls
        assert len(urls) == 3 and drove.url == urls[0]
        assert [requests.get(f"{u}/apis/v1/ping", timeout=5).status_code for u in urls] == [200, 400, 400]
    for url in urls:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/apis/v1/ping", timeout=5)


def test_consecutive_ports_and_restart_on_the_same_port() -> None:
    """N controllers on consecutive ports; a stopped controller comes back on its port."""
    base = _consecutive_free_ports(2)
    with DroveEmulator(controllers=2, port=base, speed=50) as drove:
        assert drove.urls == [f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 1}"]
        drove.control.stop_controller(1)
        drove.control.start_controller(1)
        assert requests.get(f"{drove.urls[1]}/apis/v1/ping", timeout=5).status_code == 400


def test_airflow_connection_form() -> None:
    """airflow_connection(): all controllers in host; the first user's credentials; extras."""
    with DroveEmulator(controllers=2, users=[("admin", "s3cret", "EXTERNAL_ROOT")]) as drove:
        conn = drove.airflow_connection(timeout=5)
        assert conn == {"conn_type": "drove", "host": ",".join(drove.urls), "login": "admin", "password": "s3cret",
                        "extra": {"timeout": 5}}  # fmt: skip
        raw = drove.airflow_connection(auth_header="Basic YWRtaW46czNjcmV0")
        assert raw["extra"] == {"auth_header": "Basic YWRtaW46czNjcmV0"} and "login" not in raw


def test_create_app_and_wait_idle_conveniences(drove_emulator) -> None:
    """create_app(spec, instances) and wait_idle() for test set-up."""
    app_id = drove_emulator.create_app(app_spec(), instances=2)
    summary = Api(drove_emulator.url).app(app_id)
    assert (summary["state"], summary["healthyInstances"]) == ("RUNNING", 2)
    with pytest.raises(ValueError, match="already exists"):
        drove_emulator.create_app(app_spec())
    drove_emulator.control.set_speed(0.0001)
    drove_emulator.scale_app(app_id, 3, wait=False)
    with pytest.raises(TimeoutError):
        drove_emulator.wait_idle(app_id, timeout=0.2)


@pytest.mark.drove_emulator(controllers=2, users=[("u", "p", "EXTERNAL_READ_WRITE")], speed=10)
def test_fixtures_from_the_plugin(drove_emulator, drove_connection) -> None:
    """The pytest plugin: marker options, and AIRFLOW_CONN_DROVE_DEFAULT pointing at the emulator."""
    assert drove_connection == "drove_default"
    conn = json.loads(os.environ["AIRFLOW_CONN_DROVE_DEFAULT"])
    assert conn["host"] == ",".join(drove_emulator.urls) and conn["login"] == "u"
    assert drove_emulator.control.speed == 10 and len(drove_emulator.urls) == 2


def test_package_import_does_not_import_airflow() -> None:
    """The plugin and the emulator must not import Airflow (the plugin loads before Airflow is configured)."""
    code = (
        "import sys, airflow_provider_drove.testing as t, airflow_provider_drove.testing.pytest_plugin\n"
        "with t.DroveEmulator() as d: pass\n"
        "print('airflow' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_cli_prints_urls_and_stops_on_interrupt() -> None:
    """python -m airflow_provider_drove.testing: prints the URLs, serves, exits cleanly on Ctrl+C."""
    port = _consecutive_free_ports(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_drove.testing", "--port", str(port), "--controllers", "2",
         "--user", "admin:pw:EXTERNAL_ROOT", "--user", "viewer:pw:EXTERNAL_READ_ONLY",
         "--executors", "3", "--executor-cpus", "4", "--executor-memory", "2048", "--speed", "10"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[0].startswith("Drove emulator:"), process.stderr.read() if process.poll() is not None else lines
        urls = re.findall(r"http://127\.0\.0\.1:\d+(?=/apis/v1)", "".join(lines))
        assert urls == [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
        assert requests.get(f"{urls[0]}/apis/v1/ping", auth=("admin", "pw"), timeout=5).status_code == 200
        assert requests.get(f"{urls[0]}/apis/v1/ping", timeout=5).status_code == 401
        summary = requests.get(f"{urls[0]}/apis/v1/cluster", auth=("viewer", "pw"), timeout=5).json()["data"]
        assert (summary["numExecutors"], summary["totalCores"], summary["totalMemory"]) == (3, 12, 6144)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0  # generous: CI machines can be heavily loaded
    finally:
        process.kill()
        process.wait()


def test_cli_rejects_bad_arguments() -> None:
    """Bad --user entries are refused with a usage error."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_drove.testing", "--user", "admin:pw:SUPERUSER"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "unknown role 'SUPERUSER'" in result.stderr


def test_holds_1000_concurrent_keep_alive_clients(drove_emulator) -> None:
    """Point 10: 1,000 concurrent keep-alive connections, each served twice on the same connection."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 2 * 1000 + 200  # both ends of every connection live in this process
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"needs {needed} file descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    host, port = drove_emulator.url.removeprefix("http://").split(":")
    app_id = drove_emulator.create_app(app_spec())
    request = f"GET /apis/v1/applications/{app_id} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    async def one(opened: asyncio.Event, counter: list[int]) -> list[int]:
        reader, writer = await asyncio.open_connection(host, int(port))
        counter[0] += 1
        if counter[0] == 1000:
            opened.set()
        await opened.wait()  # every connection is open at the same time
        statuses = []
        for _ in range(2):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
            body = json.loads(await reader.readexactly(length))
            statuses.append(int(head.split()[1]) if body["status"] == "SUCCESS" else 0)
        writer.close()
        return statuses

    async def main() -> list[list[int]]:
        opened = asyncio.Event()
        counter = [0]
        return await asyncio.wait_for(asyncio.gather(*(one(opened, counter) for _ in range(1000))), timeout=120)

    results = asyncio.run(main())
    assert results == [[200, 200]] * 1000


def test_clock_bounds_keep_the_emulator_finite(drove_emulator) -> None:
    """Control input that would make the event loop endless is refused (Python and HTTP)."""
    for bad in (-1, float("nan"), float("inf"), 8 * 24 * 3600):
        with pytest.raises(ValueError):
            drove_emulator.control.advance(bad)
    for bad in (0, -2, 1e12):
        with pytest.raises(ValueError):
            drove_emulator.control.set_speed(bad)
    control = f"{drove_emulator.url}/_emulator"
    assert requests.post(f"{control}/advance", json={"seconds": 1e308}, timeout=5).status_code == 400
    assert requests.post(f"{control}/speed", json={"speed": 1e308}, timeout=5).status_code == 400
    drove_emulator.control.advance(7 * 24 * 3600)  # a week of monitors still runs through
    assert requests.get(f"{drove_emulator.url}/apis/v1/ping", timeout=5).status_code == 200
