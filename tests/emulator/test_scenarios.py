"""Failure scenarios chosen from the spec (issue 2, point 5; drove-api.md §7.4, §9.2, §13)."""

from __future__ import annotations

from .helpers import OP_SPEC, Api, app_spec, settled, wait_for


def _active_ids(api: Api, app_id: str) -> set[str]:
    return {i["instanceId"] for i in api.instances(app_id)}


def test_s7_4_pull_fail_loops_in_scaling_requested_with_fresh_ids_until_cancelled(api: Api, drove_emulator) -> None:
    """§7.4/§1.9: image "pull-fail": PROVISIONING_FAILED with Docker's error, new AI- IDs forever, cancel ends it."""
    app_id = api.create(app_spec(image="ghcr.io/acme/pull-fail-app:1.0"))
    api.scale(app_id, 1)
    wait_for(lambda: len(api.old(app_id)) >= 4, what="several failed attempts")
    drove_emulator.control.advance(60)
    app = api.app(app_id)
    assert app["state"] == "SCALING_REQUESTED" and app["requiredInstances"] == 1 and app["healthyInstances"] == 0
    old = api.old(app_id)
    assert len({i["instanceId"] for i in old}) == len(old) > 4
    assert {i["state"] for i in old} <= {"PROVISIONING_FAILED", "STOPPED"}  # the loop goes on meanwhile
    assert all(i["errorMessage"].startswith("Error while pulling image ghcr.io/acme/pull-fail-app:1.0: Status 404") for i in old)
    assert "pull access denied for acme/pull-fail-app" in old[0]["errorMessage"]
    assert api.post(f"/applications/operations/{app_id}/cancel").status_code == 200
    app = wait_for(settled(api, app_id, "MONITORING", 0))
    assert app["requiredInstances"] == 0


def test_s9_2_failed_state_is_visible_before_cleanup(api: Api, drove_emulator) -> None:
    """§9.2: PROVISIONING_FAILED carries the error before DEPROVISIONING -> STOPPED."""
    app_id = api.create(app_spec(image="ghcr.io/acme/pull-fail:1"))
    drove_emulator.control.set_speed(0.0001)
    api.scale(app_id, 1)
    iid = api.instances(app_id)[0]["instanceId"]
    drove_emulator.control.advance(2.6)  # pending 0.5 s + pull 2 s
    inst = api.get(f"/applications/{app_id}/instances/{iid}").json()["data"]
    assert inst["state"] == "PROVISIONING_FAILED" and "pull access denied" in inst["errorMessage"]
    assert api.instances(app_id) == []  # not an active state (§9.2)


def test_s13_never_ready_by_env(api: Api) -> None:
    """§9.2: env DROVE_EMULATOR_SCENARIO=never-ready -> READINESS_CHECK_FAILED, the scale keeps retrying."""
    app_id = api.create(app_spec(env={"DROVE_EMULATOR_SCENARIO": "never-ready"}))
    api.scale(app_id, 1)
    # READINESS_CHECK_FAILED is listed as old, DEPROVISIONING as active again (§9.2): keep what was seen
    old = wait_for(lambda: api.old(app_id), what="a failed instance")[0]
    assert old["errorMessage"] == "Readiness check failed after 3 attempts"
    assert api.app(app_id)["state"] == "SCALING_REQUESTED"


def test_s13_start_fail_by_image(api: Api) -> None:
    """§9.2: image "start-fail" -> START_FAILED with Docker's start error."""
    app_id = api.create(app_spec(image="registry.local/start-fail:2"))
    api.scale(app_id, 1)
    old = wait_for(lambda: api.old(app_id))[0]
    assert "OCI runtime create failed" in old["errorMessage"]


def test_s13_pull_slower_than_docker_pull_timeout(api: Api) -> None:
    """§9.2: a pull longer than dockerPullTimeout fails PROVISIONING."""
    spec = app_spec(env={"DROVE_EMULATOR_PULL_SECONDS": "30"})
    spec["executable"]["dockerPullTimeout"] = "10 seconds"
    app_id = api.create(spec)
    api.scale(app_id, 1)
    old = wait_for(lambda: api.old(app_id))[0]
    assert old["errorMessage"] == "Image pull timed out for ghcr.io/appform-io/perf-test-server-httplib after 10 seconds"


def test_s9_2_unhealthy_after_then_monitor_replaces(api: Api, drove_emulator) -> None:
    """§9.2/§9.1: "unhealthy-after": HEALTHY, then UNHEALTHY -> STOPPED; the monitor RECOVERs the app."""
    env = {"DROVE_EMULATOR_SCENARIO": "unhealthy-after", "DROVE_EMULATOR_UNHEALTHY_AFTER": "60"}
    app_id = api.create(app_spec(env=env))
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    first = api.instances(app_id)[0]["instanceId"]
    failed = wait_for(lambda: [i for i in api.old(app_id) if i["instanceId"] == first])[0]
    assert failed["state"] == "STOPPED"
    assert failed["errorMessage"] == "Health check failed 3 consecutive times"
    wait_for(lambda: api.instances(app_id) and api.instances(app_id)[0]["instanceId"] != first, what="replacement")


def test_s13_slow_start_outlasts_the_op_timeout(api: Api, drove_emulator) -> None:
    """§13: a start slower than max(opSpec.timeout, pull+checks budget) fails the attempt; a new AI- ID is
    started while the slow container is left running; the scale does not settle in time."""
    app_id = api.create(app_spec(image="ghcr.io/acme/slow-start:1"))
    drove_emulator.control.set_speed(1)
    api.scale(app_id, 1, {**OP_SPEC, "timeout": "1m"})
    first = api.instances(app_id)[0]["instanceId"]
    # budget = max(60 s, 100 s pull timeout + 3x(1+5) health + 3x(1+3) readiness = 130 s)
    drove_emulator.control.advance(125)
    assert _active_ids(api, app_id) == {first}
    drove_emulator.control.advance(10)
    ids = _active_ids(api, app_id)
    assert first in ids and len(ids) == 2  # retried with a fresh ID; the slow one keeps starting
    assert api.app(app_id)["state"] == "SCALING_REQUESTED"


def test_s13_startup_seconds_knob(api: Api, drove_emulator) -> None:
    """Scenario knob DROVE_EMULATOR_STARTUP_SECONDS sets how long STARTING lasts."""
    app_id = api.create(app_spec(env={"DROVE_EMULATOR_STARTUP_SECONDS": "40"}))
    drove_emulator.control.set_speed(0.0001)
    api.scale(app_id, 1)
    drove_emulator.control.advance(3)
    assert api.instances(app_id)[0]["state"] == "STARTING"
    drove_emulator.control.advance(36)
    assert api.instances(app_id)[0]["state"] == "STARTING"
    drove_emulator.control.advance(3.7)  # STARTING began at 2.5 s (pending 0.5 s + pull 2 s)
    assert api.instances(app_id)[0]["state"] == "UNREADY"


def test_s9_1_lost_after_stale_instance_is_hidden_then_lost_and_replaced(api: Api, drove_emulator) -> None:
    """§9.1/§11: "lost-after": the executor stops reporting; after 60 s the instance drops out of /instances
    and healthy counts, the monitor marks it LOST ("Instance lost") and RECOVERs the app."""
    app_id = api.create(app_spec(env={"DROVE_EMULATOR_SCENARIO": "lost-after", "DROVE_EMULATOR_LOST_AFTER": "10"}))
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    first = api.instances(app_id)[0]["instanceId"]
    drove_emulator.control.set_speed(0.0001)
    drove_emulator.control.set_maintenance(True)  # pauses the monitor, so the stale phase can be seen
    drove_emulator.control.advance(75)  # silent after 10 s, stale 60 s after its last heartbeat
    assert first not in {i["instanceId"] for i in api.instances(app_id)}
    assert api.app(app_id)["healthyInstances"] == 0
    stale = api.get(f"/applications/{app_id}/instances/{first}").json()["data"]
    assert stale["state"] == "HEALTHY"  # still its last reported state, just not refreshed
    drove_emulator.control.set_maintenance(False)
    drove_emulator.control.advance(41 + 30)  # the maintenance window, then a monitor run
    lost = next(i for i in api.old(app_id) if i["instanceId"] == first)
    assert (lost["state"], lost["errorMessage"]) == ("LOST", "Instance lost")
    drove_emulator.control.set_speed(50)
    wait_for(lambda: any(i["state"] == "HEALTHY" for i in api.instances(app_id)), what="replacement")


def test_s9_3_lost_after_task_is_lost(api: Api, drove_emulator) -> None:
    """§9.3: a task whose executor stops reporting becomes LOST with taskResult {LOST, -1} after 60 s."""
    from .helpers import task_spec

    env = {"DROVE_EMULATOR_SCENARIO": "lost-after", "DROVE_EMULATOR_LOST_AFTER": "5", "DROVE_EMULATOR_RUN_SECONDS": "3600"}
    api.post("/tasks/operations", {"type": "CREATE", "spec": task_spec(env=env), "opSpec": OP_SPEC})
    wait_for(lambda: api.get("/tasks/TEST_APP/instances/T0012").json().get("data", {}).get("state") == "RUNNING")
    drove_emulator.control.advance(80)
    task = api.get("/tasks/TEST_APP/instances/T0012").json()["data"]
    assert (task["state"], task["taskResult"], task["errorMessage"]) == ("LOST", {"status": "LOST", "exitCode": -1}, "Instance lost")
    assert api.get("/tasks").json()["data"] == []
