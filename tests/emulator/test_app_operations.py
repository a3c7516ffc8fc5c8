"""Application operations and the app state machine (issue 2, point 3; drove-api.md §7, §9.1)."""

from __future__ import annotations

import pytest

from .helpers import OP_SPEC, Api, app_spec, settled, wait_for


def test_s7_4_create_settles_in_monitoring_and_scale_sets_required_at_once(api: Api) -> None:
    """§7.4: CREATE -> MONITORING; SCALE sets requiredInstances the moment it is accepted."""
    app_id = api.create(app_spec())
    assert app_id == "TEST_APP-1"
    app = api.app(app_id)
    assert (app["state"], app["requiredInstances"], app["healthyInstances"]) == ("MONITORING", 0, 0)
    assert api.scale(app_id, 2).json() == {"status": "SUCCESS", "data": {"appId": app_id}, "message": "success"}
    app = api.app(app_id)
    assert app["requiredInstances"] == 2
    assert app["state"] == "SCALING_REQUESTED"
    assert app["totalCPUs"] == 2 and app["totalMemory"] == 256
    done = wait_for(settled(api, app_id, "RUNNING", 2), what="scale to 2")
    assert done["updated"] >= done["created"]


def test_s7_5_scale_during_running_scale_is_dropped_with_200(api: Api) -> None:
    """§7.5: one-slot mailbox: a SCALE sent while a scale runs is accepted (200) and discarded."""
    app_id = api.create(app_spec())
    api.scale(app_id, 1)
    second = api.scale(app_id, 3)
    assert second.status_code == 200 and second.json()["data"] == {"appId": app_id}
    assert api.app(app_id)["requiredInstances"] == 1
    app = wait_for(settled(api, app_id, "RUNNING", 1))
    assert app["requiredInstances"] == 1


def test_s7_3_op_state_table_rejections(api: Api) -> None:
    """§7.3 and §3.2: ops not allowed in the current state get 400 with Drove's sorted internal names."""
    unknown = api.scale("NOPE-1", 1)
    assert unknown.status_code == 400
    assert unknown.json()["data"]["validationErrors"] == ["No state found for app: NOPE-1"]
    app_id = api.create(app_spec())
    # MONITORING: no SUSPEND / STOP_INSTANCES / REPLACE_INSTANCES
    suspend = api.op({"type": "SUSPEND", "appId": app_id, "opSpec": OP_SPEC})
    assert suspend.status_code == 400
    assert suspend.json() == {
        "status": "FAILED",
        "data": {"validationErrors": [
            f"Only [DESTROY, RECOVER, SCALE_INSTANCES, START_INSTANCES] allowed for app {app_id} as it is in MONITORING state"
        ]},
        "message": "Command validation failure",
    }  # fmt: skip
    api.scale(app_id, 1)
    # SCALING_REQUESTED: SCALE only
    destroy = api.op({"type": "DESTROY", "appId": app_id, "opSpec": OP_SPEC})
    assert destroy.json()["data"]["validationErrors"] == [
        f"Only [SCALE_INSTANCES] allowed for app {app_id} as it is in SCALING_REQUESTED state"
    ]
    wait_for(settled(api, app_id, "RUNNING", 1))
    # RUNNING: DESTROY is not allowed (§1.8)
    destroy = api.op({"type": "DESTROY", "appId": app_id, "opSpec": OP_SPEC})
    assert destroy.json()["data"]["validationErrors"] == [
        f"Only [RECOVER, REPLACE_INSTANCES, SCALE_INSTANCES, START_INSTANCES, STOP_INSTANCES, SUSPEND] allowed "
        f"for app {app_id} as it is in RUNNING state"
    ]
    # CREATE of an existing app
    again = api.op({"type": "CREATE", "spec": app_spec(), "instances": 0, "opSpec": OP_SPEC})
    assert again.json()["data"]["validationErrors"] == [f"App {app_id} already exists"]


def test_s7_3_intermediate_state_rejects_everything(api: Api, drove_emulator) -> None:
    """§3.2: "No operations allowed ..." while STOP_INSTANCES_REQUESTED."""
    app_id = api.create(app_spec())
    api.scale(app_id, 2)
    wait_for(settled(api, app_id, "RUNNING", 2))
    iid = api.instances(app_id)[0]["instanceId"]
    drove_emulator.control.set_speed(1)  # keep the stop running while we look
    api.op({"type": "STOP_INSTANCES", "appId": app_id, "instanceIds": [iid], "opSpec": OP_SPEC})
    assert api.app(app_id)["state"] == "STOP_INSTANCES_REQUESTED"
    scale = api.scale(app_id, 3)
    assert scale.json()["data"]["validationErrors"] == [
        f"No operations allowed for {app_id} as it is in STOP_INSTANCES_REQUESTED state"
    ]


def test_s7_4_suspend_and_start_instances_are_scales(api: Api) -> None:
    """§7.2/§7.4: START_INSTANCES = SCALE(healthy + k); SUSPEND = SCALE(0) -> MONITORING."""
    app_id = api.create(app_spec())
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    assert api.op({"type": "START_INSTANCES", "appId": app_id, "instances": 2, "opSpec": OP_SPEC}).status_code == 200
    assert api.app(app_id)["requiredInstances"] == 3
    wait_for(settled(api, app_id, "RUNNING", 3))
    assert api.op({"type": "SUSPEND", "appId": app_id, "opSpec": OP_SPEC}).status_code == 200
    assert api.app(app_id)["requiredInstances"] == 0
    wait_for(settled(api, app_id, "MONITORING", 0))
    stopped = [i for i in api.old(app_id) if i["state"] == "STOPPED"]
    assert len(stopped) == 3


def test_s7_4_scale_down_stops_healthy_instances(api: Api) -> None:
    """§7.4: scale-down walks HEALTHY -> STOPPING -> DEPROVISIONING -> STOPPED; old ones under /instances/old."""
    app_id = api.create(app_spec())
    api.scale(app_id, 4)
    wait_for(settled(api, app_id, "RUNNING", 4))
    before = {i["instanceId"] for i in api.instances(app_id)}
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    after = {i["instanceId"] for i in api.instances(app_id)}
    assert after < before
    old = api.old(app_id)
    assert {i["instanceId"] for i in old} == before - after
    assert all(i["state"] == "STOPPED" and i["errorMessage"] == "" for i in old)


def test_s7_4_stop_instances_without_skip_respawn_is_respawned_by_monitor(api: Api, drove_emulator) -> None:
    """§7.4: STOP_INSTANCES keeps requiredInstances; the 30 s monitor respawns (§9.1)."""
    app_id = api.create(app_spec())
    api.scale(app_id, 2)
    wait_for(settled(api, app_id, "RUNNING", 2))
    victim = api.instances(app_id)[0]["instanceId"]
    assert api.op({"type": "STOP_INSTANCES", "appId": app_id, "instanceIds": [victim], "opSpec": OP_SPEC}).status_code == 200
    wait_for(lambda: any(i["instanceId"] == victim and i["state"] == "STOPPED" for i in api.old(app_id)))
    assert api.app(app_id)["requiredInstances"] == 2
    drove_emulator.control.advance(30)  # the monitor sees 1 != 2 and sends RECOVER
    app = wait_for(settled(api, app_id, "RUNNING", 2), what="respawn")
    assert victim not in {i["instanceId"] for i in api.instances(app_id)}
    assert app["requiredInstances"] == 2


def test_s7_4_stop_instances_with_skip_respawn_decrements_required(api: Api) -> None:
    """§7.4: skipRespawn decrements requiredInstances after the stop; MONITORING at 0."""
    app_id = api.create(app_spec())
    api.scale(app_id, 2)
    wait_for(settled(api, app_id, "RUNNING", 2))
    ids = [i["instanceId"] for i in api.instances(app_id)]
    api.op({"type": "STOP_INSTANCES", "appId": app_id, "instanceIds": ids[:1], "skipRespawn": True, "opSpec": OP_SPEC})
    app = wait_for(settled(api, app_id, "RUNNING", 1))
    assert app["requiredInstances"] == 1
    api.op({"type": "STOP_INSTANCES", "appId": app_id, "instanceIds": ids[1:], "skipRespawn": True, "opSpec": OP_SPEC})
    wait_for(settled(api, app_id, "MONITORING", 0))


def test_s3_2_stop_and_replace_validate_instance_ids(api: Api) -> None:
    """§3.2: unknown IDs on STOP_INSTANCES / REPLACE_INSTANCES."""
    app_id = api.create(app_spec())
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    stop = api.op({"type": "STOP_INSTANCES", "appId": app_id, "instanceIds": ["AI-x", "AI-y"], "opSpec": OP_SPEC})
    assert stop.json()["data"]["validationErrors"] == [
        f"App {app_id} does not have any instances with the following ids: AI-x,AI-y"
    ]
    replace = api.op({"type": "REPLACE_INSTANCES", "appId": app_id, "instanceIds": ["AI-x"], "opSpec": OP_SPEC})
    assert replace.json()["data"]["validationErrors"] == ["There are no replaceable healthy instances with ids: [AI-x]"]


@pytest.mark.parametrize("stop_first", [False, True])
def test_s7_4_replace_instances_is_a_rolling_restart(api: Api, stop_first: bool) -> None:
    """§7.4: REPLACE_INSTANCES replaces every healthy instance, start-then-stop or (stopFirst) stop-then-start."""
    app_id = api.create(app_spec())
    api.scale(app_id, 2)
    wait_for(settled(api, app_id, "RUNNING", 2))
    before = {i["instanceId"]: i for i in api.instances(app_id)}
    api.op({"type": "REPLACE_INSTANCES", "appId": app_id, "stopFirst": stop_first,
            "opSpec": {**OP_SPEC, "parallelism": 1}})  # fmt: skip
    assert api.app(app_id)["state"] == "REPLACE_INSTANCES_REQUESTED"
    counts = []
    wait_for(lambda: counts.append(api.app(app_id)["healthyInstances"]) or settled(api, app_id, "RUNNING", 2)())
    after = {i["instanceId"] for i in api.instances(app_id)}
    assert not (after & set(before))
    old_ids = {i["instanceId"] for i in api.old(app_id)}
    assert set(before) <= old_ids
    if stop_first:
        assert max(counts) <= 2  # never more than required: the old one goes first
    new = [i for i in api.instances(app_id)]
    old = [before[i] for i in before]
    assert min(i["created"] for i in new) > max(i["created"] for i in old)


def test_s7_4_destroy_only_in_monitoring_then_gone_and_recreatable(api: Api) -> None:
    """§7.4: DESTROY from MONITORING removes the app; the same ID can be created again."""
    app_id = api.create(app_spec())
    assert api.op({"type": "DESTROY", "appId": app_id, "opSpec": OP_SPEC}).status_code == 200
    wait_for(lambda: api.get(f"/applications/{app_id}").json()["status"] == "FAILED")
    assert api.get(f"/applications/{app_id}").json() == {"status": "FAILED", "message": f"App {app_id} not found"}
    assert api.get(f"/applications/{app_id}").status_code == 200
    assert api.create(app_spec()) == app_id


def test_s7_6_cancel_rolls_back_required_to_healthy(api: Api, drove_emulator) -> None:
    """§7.6: cancel of a running scale: requiredInstances rolls back to the healthy count."""
    app_id = api.create(app_spec())
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    drove_emulator.control.set_speed(2)  # slow enough to cancel mid-scale
    api.scale(app_id, 3, {**OP_SPEC, "parallelism": 1})
    assert api.app(app_id)["requiredInstances"] == 3
    cancel = api.post(f"/applications/operations/{app_id}/cancel")
    assert cancel.status_code == 200 and cancel.json() == {"status": "SUCCESS", "message": "success"}
    drove_emulator.control.set_speed(50)
    app = wait_for(lambda: (a := api.app(app_id))["state"] in ("RUNNING", "MONITORING") and a)
    assert app["requiredInstances"] == app["healthyInstances"]
    assert app["requiredInstances"] < 3


def test_s7_6_cancel_semantics(api: Api) -> None:
    """§7.6: 400 for unknown apps and fresh apps; 200 after a completed scale (does nothing); deprecated path."""
    body = {"status": "FAILED", "message": "Current operation could not be cancelled"}
    unknown = api.post("/applications/operations/NOPE-1/cancel")
    assert (unknown.status_code, unknown.json()) == (400, body)
    app_id = api.create(app_spec())
    fresh = api.post(f"/operations/{app_id}/cancel")
    assert (fresh.status_code, fresh.json()) == (400, body)
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    after = api.post(f"/operations/{app_id}/cancel")
    assert after.status_code == 200
    assert api.app(app_id)["requiredInstances"] == 1


def test_s7_2_create_with_instances_is_deployed_by_the_monitor(api: Api, drove_emulator) -> None:
    """§7.2/§9.1: CREATE with instances>0 -> RUNNING with 0 healthy; the monitor scales it up within 30 s."""
    drove_emulator.control.set_speed(0.0001)  # the monitor must not run before we look
    app_id = api.create(app_spec(), instances=2)
    app = api.app(app_id)
    assert (app["state"], app["requiredInstances"], app["healthyInstances"]) == ("RUNNING", 2, 0)
    drove_emulator.control.set_speed(50)
    drove_emulator.control.advance(30)
    wait_for(settled(api, app_id, "RUNNING", 2))


def test_s7_1_deprecated_operations_path_and_recover(api: Api) -> None:
    """§1.1: /operations is an alias; RECOVER takes no opSpec and scales to the stored count."""
    response = api.post("/operations", {"type": "CREATE", "spec": app_spec(), "opSpec": OP_SPEC})
    assert response.json()["data"] == {"appId": "TEST_APP-1"}
    assert api.post("/operations", {"type": "RECOVER", "appId": "TEST_APP-1"}).status_code == 200
    wait_for(settled(api, "TEST_APP-1", "MONITORING", 0))


def test_s9_1_monitor_replaces_a_crashed_instance(api: Api, drove_emulator) -> None:
    """§9.1: an instance that fails its health checks is replaced by the 30 s monitor."""
    app_id = api.create(app_spec())
    api.scale(app_id, 2)
    wait_for(settled(api, app_id, "RUNNING", 2))
    crashed = drove_emulator.control.fail_instance(app_id)
    wait_for(lambda: any(i["instanceId"] == crashed and i["state"] == "STOPPED" for i in api.old(app_id)))
    assert next(i for i in api.old(app_id) if i["instanceId"] == crashed)["errorMessage"]
    drove_emulator.control.advance(30)
    wait_for(settled(api, app_id, "RUNNING", 2))
