"""Endpoints and envelopes (issue 2, points 1 and 2; drove-api.md §3.1, §6)."""

from __future__ import annotations

import pytest
import requests

from .helpers import OP_SPEC, Api, app_spec, settled, wait_for


def test_s3_1_ping_envelope(api: Api) -> None:
    """§5/§3: ping -> {"status":"SUCCESS","data":"pong","message":"success"}."""
    response = api.get("/ping")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "SUCCESS", "data": "pong", "message": "success"}


def test_s3_1_lookup_misses_are_200_failed(api: Api) -> None:
    """§3.1: unknown app, instance, task and executor are 200 FAILED with Drove's messages."""
    cases = {
        "/applications/X-1": "App X-1 not found",
        "/applications/X-1/spec": "App X-1 not found",
        "/applications/X-1/instances/AI-1": "No such application instance X-1/AI-1",
        "/tasks/X/instances/T": "No such task instance X/T",
        "/cluster/executors/nope": "No executor found with id: nope",
    }
    for path, message in cases.items():
        response = api.get(path)
        assert (response.status_code, response.json()) == (200, {"status": "FAILED", "message": message}), path


def test_s3_1_unknown_path_and_wrong_method_have_no_envelope(api: Api) -> None:
    """§3.1: 404 / 405 without an envelope."""
    assert api.get("/nothing/here").status_code == 404
    assert api.session.put(api.url("/applications/operations"), json={}, timeout=5).status_code == 405


def test_s3_1_malformed_json_and_missing_body(api: Api) -> None:
    """§3.1: malformed JSON -> 400 "JSON validation failure"; no body -> "The request body must not be null"."""
    bad = api.post("/applications/operations", data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.json()["message"] == "JSON validation failure"
    assert bad.json()["status"] == "FAILED" and bad.json()["data"]["validationErrors"]
    empty = api.post("/applications/operations", headers={"Content-Type": "application/json"})
    assert empty.json() == {
        "status": "FAILED",
        "data": {"validationErrors": ["The request body must not be null"]},
        "message": "Command validation failure",
    }
    wrong_type = api.post("/applications/operations", data=b"{}", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


def test_s6_1_list_apps_keyed_by_id_with_paging(api: Api) -> None:
    """§6.1: GET /applications is an object keyed by app ID; from/size page it; tags omitted when absent."""
    api.create(app_spec("A"))
    api.create(app_spec("B", tags=None))
    apps = api.get("/applications").json()["data"]
    assert set(apps) == {"A-1", "B-1"}
    assert apps["A-1"]["tags"] == {"team": "data"} and "tags" not in apps["B-1"]
    assert set(apps["A-1"]) == {"id", "name", "requiredInstances", "healthyInstances", "totalCPUs", "totalMemory",
                                "tags", "state", "created", "updated"}  # fmt: skip
    assert len(api.get("/applications", params={"from": 1, "size": 5}).json()["data"]) == 1
    assert api.get("/applications", params={"size": "many"}).status_code == 404
    assert api.get("/applications", params={"from": -1}).status_code == 400


def test_s6_5_endpoints(api: Api) -> None:
    """§6.5: only active apps with an exposureSpec, HEALTHY instances, host ports, filter by name."""
    app_id = api.create(app_spec())
    other = api.create(app_spec("OTHER", exposureSpec=None))
    assert api.get("/endpoints").json()["data"] == []  # MONITORING apps are not listed
    api.scale(app_id, 2)
    api.scale(other, 1)
    wait_for(settled(api, app_id, "RUNNING", 2))
    wait_for(settled(api, other, "RUNNING", 1))
    data = api.get("/endpoints").json()["data"]
    assert [e["appId"] for e in data] == [app_id]
    entry = data[0]
    assert (entry["appName"], entry["vhost"], entry["tags"]) == ("TEST_APP", "testapp.local", {"team": "data"})
    ports = {i["localInfo"]["ports"]["main"]["hostPort"] for i in api.instances(app_id)}
    assert {h["port"] for h in entry["hosts"]} == ports and {h["portType"] for h in entry["hosts"]} == {"HTTP"}
    assert api.get("/endpoints", params={"app": "OTHER"}).json()["data"] == []
    assert api.get("/endpoints/app/TEST_APP").json()["data"] == data


def test_s6_4_cluster_summary_and_executors(api: Api, drove_emulator) -> None:
    """§6.4: ClusterSummary fields, executors list and details (stable name-based IDs)."""
    summary = api.get("/cluster").json()["data"]
    assert summary["leader"] == drove_emulator.url.removeprefix("http://")
    assert (summary["state"], summary["numExecutors"], summary["totalCores"], summary["totalMemory"]) == ("NORMAL", 2, 16, 32768)
    app_id = api.create(app_spec())
    api.scale(app_id, 1)
    assert api.get("/cluster").json()["data"]["numActiveApplications"] == 1
    wait_for(settled(api, app_id, "RUNNING", 1))
    executors = api.get("/cluster/executors").json()["data"]
    assert len(executors) == 2 and {e["state"] for e in executors} == {"ACTIVE"}
    assert all(e["hostname"] in e["tags"] for e in executors)
    busy = next(e for e in executors if e["usedCores"] == 1)
    details = api.get(f"/cluster/executors/{busy['executorId']}").json()["data"]
    assert details["hostname"] == busy["hostname"] and details["executorState"] == "ACTIVE"
    assert [i["appId"] for i in details["instances"]] == [app_id]
    api.op({"type": "SUSPEND", "appId": app_id, "opSpec": OP_SPEC})
    wait_for(settled(api, app_id, "MONITORING", 0))
    assert api.get("/cluster").json()["data"]["numActiveApplications"] == 0  # MONITORING is not active


def test_s6_4_maintenance_window_lasts_40_seconds_after_unset(api: Api, drove_emulator) -> None:
    """§6.4: ops and validate POSTs get 400 while in MAINTENANCE and 40 s after unset; reads work."""
    app_id = api.create(app_spec())
    drove_emulator.control.set_speed(0.0001)
    state = api.post("/cluster/maintenance/set").json()
    assert state["status"] == "SUCCESS" and state["data"]["state"] == "MAINTENANCE"
    assert isinstance(state["data"]["updated"], int)
    expected = {"status": "FAILED", "data": {"validationErrors": ["Cluster is in maintenance mode"]},
                "message": "Command validation failure"}  # fmt: skip
    for response in (
        api.scale(app_id, 1),
        api.post("/applications/validate/spec", app_spec()),
        api.post("/tasks/operations", {"type": "KILL", "sourceAppName": "A", "taskId": "T", "opSpec": OP_SPEC}),
    ):
        assert (response.status_code, response.json()) == (400, expected)
    assert api.get("/cluster").json()["data"]["state"] == "MAINTENANCE"
    assert api.post("/cluster/maintenance/unset").json()["data"]["state"] == "NORMAL"
    drove_emulator.control.advance(39)
    assert api.scale(app_id, 1).status_code == 400
    drove_emulator.control.advance(2)
    assert api.scale(app_id, 1).status_code == 200


def test_s9_1_monitor_paused_in_maintenance(api: Api, drove_emulator) -> None:
    """§9.1: the app monitor does not run during the maintenance window."""
    drove_emulator.control.set_speed(0.0001)
    app_id = api.create(app_spec(), instances=1)
    drove_emulator.control.set_maintenance(True)
    drove_emulator.control.advance(61)
    assert api.app(app_id)["healthyInstances"] == 0 and api.app(app_id)["state"] == "RUNNING"
    drove_emulator.control.set_maintenance(False)
    drove_emulator.control.set_speed(50)
    drove_emulator.control.advance(75)
    wait_for(settled(api, app_id, "RUNNING", 1))


def test_s6_6_instance_logs(api: Api) -> None:
    """§6.6: app instance log files list/read/download; unknown instance -> 204; unknown file -> error."""
    app_id = api.create(app_spec(env={"DROVE_EMULATOR_OUTPUT": "booting the app"}))
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    iid = api.instances(app_id)[0]["instanceId"]
    base = f"/logfiles/applications/{app_id}/{iid}"
    assert api.get(f"{base}/list").json() == {"files": ["output.log", "error.log"]}
    text = api.get(f"{base}/read/output.log", params={"offset": 0, "length": 100000}).json()["data"]
    assert "booting the app" in text and "Listening on port 8000" in text
    assert api.get(f"{base}/read/error.log", params={"offset": -1}).json() == {"data": "", "offset": 0}
    assert api.get(f"/logfiles/applications/{app_id}/AI-nope/list").status_code == 204
    missing = api.get(f"{base}/read/nope.log")
    assert missing.json() == {"error": "Executor call returned: 404 Not Found"}
    assert api.get(f"{base}/download/output.log").text == text


@pytest.mark.parametrize("path", ["/applications/X-1", "/applications", "/tasks", "/cluster/executors", "/endpoints"])
def test_s2_null_fields_are_omitted(api: Api, path: str) -> None:
    """§2: NON_NULL serialization: no key carries null anywhere in a response."""
    api.create(app_spec("X"))

    def has_null(value: object) -> bool:
        if isinstance(value, dict):
            return any(v is None or has_null(v) for v in value.values())
        if isinstance(value, list):
            return any(v is None or has_null(v) for v in value)
        return False

    assert not has_null(requests.get(api.url(path), timeout=5).json())


def test_s12_events_feed(api: Api, drove_emulator) -> None:
    """§12 (optional in the issue): state-change events newest first, cursor, summary, wiped on failover."""
    app_id = api.create(app_spec())
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    feed = api.get("/cluster/events/latest", params={"lastSyncTime": 0}).json()["data"]
    events = feed["events"]
    assert [e["time"] for e in events] == sorted((e["time"] for e in events), reverse=True)
    assert feed["lastSyncTime"] == events[0]["time"]
    app_states = [e["metadata"]["CURRENT_STATE"] for e in reversed(events) if e["type"] == "APP_STATE_CHANGE"]
    assert app_states[0] == "MONITORING" and "SCALING_REQUESTED" in app_states and app_states[-1] == "RUNNING"
    instance_states = [e["metadata"]["CURRENT_STATE"] for e in reversed(events) if e["type"] == "INSTANCE_STATE_CHANGE"]
    assert instance_states == ["PENDING", "PROVISIONING", "STARTING", "UNREADY", "READY", "HEALTHY"]
    assert {e["type"] for e in events} >= {"EXECUTOR_ADDED", "APP_STATE_CHANGE", "INSTANCE_STATE_CHANGE"}
    newer = api.get("/cluster/events/latest", params={"lastSyncTime": feed["lastSyncTime"]}).json()["data"]
    assert newer == {"events": [], "lastSyncTime": feed["lastSyncTime"]}
    assert len(api.get("/cluster/events/latest", params={"size": 2}).json()["data"]["events"]) == 2
    counts = api.get("/cluster/events/summary").json()["data"]["eventsCount"]
    assert counts["INSTANCE_STATE_CHANGE"] == 6
    assert api.get("/cluster/events").json()["data"] == events
    api.post("/cluster/maintenance/set")
    assert api.get("/cluster/events/latest", params={"size": 1}).json()["data"]["events"][0]["type"] == "MAINTENANCE_MODE_SET"
    drove_emulator.control.set_leader(0)  # no change: nothing wiped
    assert len(api.get("/cluster/events").json()["data"]) > 1


@pytest.mark.drove_emulator(controllers=2, users=[("root", "pw", "EXTERNAL_ROOT")], speed=50)
def test_s6_8_ui_pages_and_non_leader_redirect(drove_emulator) -> None:
    """§6.8/§3.1: UI pages exist on the leader; a non-leader answers them with a 303 to the leader."""
    api = Api(drove_emulator.url, auth=("root", "pw"))
    app_id = api.create(app_spec())
    page = requests.get(f"{drove_emulator.url}/applications/{app_id}", auth=("root", "pw"), timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"] and app_id in page.text
    assert requests.get(f"{drove_emulator.url}/applications/{app_id}", timeout=5).status_code == 401
    follower = requests.get(f"{drove_emulator.urls[1]}/tasks/TEST_APP/T1", auth=("root", "pw"), timeout=5,
                            allow_redirects=False)  # fmt: skip
    assert follower.status_code == 303
    assert follower.headers["location"] == f"{drove_emulator.url}/tasks/TEST_APP/T1"
    assert requests.get(f"{drove_emulator.url}/tasks/TEST_APP/T1", auth=("root", "pw"), timeout=5).status_code == 404


def test_s6_4_transient_cluster_summary_failure_on_demand(api: Api, drove_emulator) -> None:
    """§6.4/§3.1: GET /cluster can answer 200 FAILED "Could not fetch cluster summary" (control knob)."""
    drove_emulator.control.cluster_summary_unavailable(1)
    first = api.get("/cluster")
    assert (first.status_code, first.json()) == (200, {"status": "FAILED", "message": "Could not fetch cluster summary"})
    assert api.get("/cluster").json()["status"] == "SUCCESS"
    requests.post(f"{drove_emulator.url}/_emulator/summary-unavailable", json={"count": 2}, timeout=5)
    assert [api.get("/cluster").json()["status"] for _ in range(3)] == ["FAILED", "FAILED", "SUCCESS"]
