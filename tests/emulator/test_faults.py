"""Faults on demand (issue 2, point 9), from Python and over the /_emulator/ HTTP control API."""

from __future__ import annotations

import json

import pytest
import requests

from .helpers import Api, wait_for


def test_5xx_for_the_next_n_requests_optionally_per_path(api: Api, drove_emulator) -> None:
    """Point 9: 5xx for the next N requests; a path filter leaves other paths alone; 500 is Drove's envelope."""
    drove_emulator.control.inject_faults(status=503, count=2, path="/apis/v1/applications")
    assert api.get("/ping").status_code == 200
    assert [api.get("/applications").status_code for _ in range(3)] == [503, 503, 200]
    drove_emulator.control.inject_faults(status=500, count=1)
    body = api.get("/ping").json()
    assert body == {"status": "FAILED", "data": {"failure": "Injected fault"}, "message": "Unexpected Server error"}
    drove_emulator.control.inject_faults(status=502, count=1, path="*/cluster")
    assert api.get("/cluster/executors").status_code == 200
    assert api.get("/cluster").status_code == 502
    assert drove_emulator.control.faults_fired["status"] == 4


def test_dropped_connections(api: Api, drove_emulator) -> None:
    """Point 9: the connection is closed without an answer; the next request is served."""
    drove_emulator.control.drop_connections(count=1)
    with pytest.raises(requests.ConnectionError):
        api.get("/ping")
    assert api.get("/ping").status_code == 200


def test_malformed_bodies(api: Api, drove_emulator) -> None:
    """Point 9: a 200 with a truncated JSON body."""
    drove_emulator.control.malformed_bodies(count=1)
    response = api.get("/applications")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        json.loads(response.text)
    assert api.get("/applications").json()["status"] == "SUCCESS"


def test_latency(api: Api, drove_emulator) -> None:
    """Point 9: added latency applies to API requests (counted, not timed) and can be removed."""
    drove_emulator.control.add_latency(0.05, count=2)
    assert api.get("/ping").status_code == 200
    assert api.get("/ping").status_code == 200
    assert api.get("/ping").status_code == 200
    assert drove_emulator.control.faults_fired["latency"] == 2
    drove_emulator.control.add_latency(0.05)
    drove_emulator.control.add_latency(0)
    api.get("/ping")
    assert drove_emulator.control.faults_fired["latency"] == 2


def test_faults_never_touch_the_control_api(drove_emulator) -> None:
    """The /_emulator/ paths stay reachable whatever is injected."""
    drove_emulator.control.inject_faults(status=500, count=5)
    drove_emulator.control.drop_connections(count=5)
    status = requests.get(f"{drove_emulator.url}/_emulator/status", timeout=5).json()
    assert len(status["faults"]) == 2
    assert requests.delete(f"{drove_emulator.url}/_emulator/faults", timeout=5).status_code == 200
    assert requests.get(f"{drove_emulator.url}/apis/v1/ping", timeout=5).status_code == 200


def test_http_control_api(drove_emulator) -> None:
    """The same control operations over HTTP under /_emulator/."""
    control = f"{drove_emulator.url}/_emulator"
    assert requests.post(f"{control}/faults", json={"status": 504, "count": 1}, timeout=5).json() == {"ok": True}
    assert requests.get(f"{drove_emulator.url}/apis/v1/ping", timeout=5).status_code == 504
    requests.post(f"{control}/drop", json={"count": 1}, timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{drove_emulator.url}/apis/v1/ping", timeout=5)
    requests.post(f"{control}/malformed", json={"count": 1}, timeout=5)
    assert requests.get(f"{drove_emulator.url}/apis/v1/ping", timeout=5).text.startswith('{"status":"SUCCESS","data":{"id":"')
    before = drove_emulator.control.now()
    requests.post(f"{control}/advance", json={"seconds": 3600}, timeout=5)
    assert drove_emulator.control.now() - before >= 3600
    requests.post(f"{control}/speed", json={"speed": 7}, timeout=5)
    assert drove_emulator.control.speed == 7
    maintenance = requests.post(f"{control}/maintenance", json={"on": True}, timeout=5).json()
    assert maintenance["state"] == "MAINTENANCE"
    assert requests.post(f"{control}/leader", json={"index": 3}, timeout=5).status_code == 400
    assert requests.post(f"{control}/advance", json={"seconds": "soon"}, timeout=5).status_code == 400
    assert requests.post(f"{control}/reset", timeout=5).status_code == 200
    status = requests.get(f"{control}/status", timeout=5).json()
    assert status["clusterState"] == "NORMAL" and status["speed"] == 50 and status["apps"] == {}


@pytest.mark.drove_emulator(controllers=2, speed=50)
def test_http_control_stop_and_start_controllers(drove_emulator) -> None:
    """Stop a controller over HTTP (even the one serving the request); start it again."""
    first, second = drove_emulator.urls
    assert requests.post(f"{first}/_emulator/controllers/0/stop", timeout=5).status_code == 200

    def refused() -> bool:
        try:
            requests.get(f"{first}/apis/v1/ping", timeout=5)
        except requests.ConnectionError:
            return True
        return False

    wait_for(refused, what="controller 0 to close its port")
    # like a real failover, the follower takes over once the old leader is gone
    wait_for(lambda: requests.get(f"{second}/apis/v1/ping", timeout=5).status_code == 200, what="new leader")
    assert requests.post(f"{second}/_emulator/controllers/0/start", timeout=5).status_code == 200
    assert requests.get(f"{first}/apis/v1/ping", timeout=5).status_code == 400
    assert requests.post(f"{second}/_emulator/leader", json={"index": 0}, timeout=5).status_code == 200
    assert requests.get(f"{first}/apis/v1/ping", timeout=5).status_code == 200


def test_latency_keeps_the_request_body(api: Api, drove_emulator) -> None:
    """Point 9: a delayed POST still reaches the API whole."""
    from .helpers import OP_SPEC, app_spec

    drove_emulator.control.add_latency(0.2, count=1, path="/apis/v1/applications/operations")
    response = api.op({"type": "CREATE", "spec": app_spec(), "opSpec": OP_SPEC})
    assert response.json()["data"] == {"appId": "TEST_APP-1"}
    assert drove_emulator.control.faults_fired["latency"] == 1


@pytest.mark.drove_emulator(controllers=2, speed=50)
def test_stopping_a_controller_cuts_in_flight_requests(drove_emulator) -> None:
    """§5: a stopped controller is gone: a request it was still serving fails with a connection error."""
    import threading

    drove_emulator.control.add_latency(30, count=1)
    outcome: list[str] = []

    def call() -> None:
        try:
            requests.get(f"{drove_emulator.urls[0]}/apis/v1/ping", timeout=20)
            outcome.append("answered")
        except requests.ConnectionError:
            outcome.append("connection error")

    caller = threading.Thread(target=call)
    caller.start()
    wait_for(lambda: drove_emulator.control.faults_fired["latency"] == 1)
    drove_emulator.control.stop_controller(0)
    caller.join(timeout=20)
    assert outcome == ["connection error"]
