"""Instances, placement and capacity (issue 2, point 4; drove-api.md §9.2, §7.4, §3.2, §6.1)."""

from __future__ import annotations

import pytest

from .helpers import OP_SPEC, Api, app_spec, settled, wait_for


def _freeze(drove_emulator) -> None:
    # a clock that barely moves by itself: only control.advance() moves it
    drove_emulator.control.set_speed(0.0001)


def test_s9_2_instance_walks_the_lifecycle_with_spec_durations(api: Api, drove_emulator) -> None:
    """§9.2: PENDING -> PROVISIONING -> STARTING -> UNREADY -> READY -> HEALTHY; readiness initialDelay counts."""
    spec = app_spec()
    spec["readiness"]["initialDelay"] = "10 seconds"
    app_id = api.create(spec)
    _freeze(drove_emulator)
    api.scale(app_id, 1)
    seen = [api.instances(app_id)[0]["state"]]
    # defaults: pending 0.5 s, pull 2 s, start 1 s, readiness initialDelay + 0.5 s, health 0.5 s
    for step in (0.6, 2.0, 1.0, 5.0, 5.5, 0.5):
        drove_emulator.control.advance(step)
        seen.append(api.instances(app_id)[0]["state"])
    assert seen == ["PENDING", "PROVISIONING", "STARTING", "UNREADY", "UNREADY", "READY", "HEALTHY"]
    inst = api.instances(app_id)[0]
    assert inst["instanceId"].startswith("AI-") and len(inst["instanceId"]) == 39
    assert inst["localInfo"]["ports"]["main"]["containerPort"] == 8000
    assert inst["localInfo"]["ports"]["main"]["portType"] == "HTTP"
    assert inst["resources"][0]["type"] == "CPU" and list(inst["resources"][0]["cores"]) == ["0"]
    assert inst["resources"][1] == {"type": "MEMORY", "memoryInMB": {"0": 128}}
    assert inst["errorMessage"] == "" and inst["metadata"] == {}
    # the controller polls every 3 s (§13): the app sees HEALTHY at its next poll
    drove_emulator.control.advance(3)
    assert api.app(app_id)["state"] == "RUNNING"


def test_s9_2_pending_instance_has_no_local_info(api: Api, drove_emulator) -> None:
    """§6.1: localInfo may be absent early in the lifecycle."""
    app_id = api.create(app_spec())
    _freeze(drove_emulator)
    api.scale(app_id, 1)
    inst = api.instances(app_id)[0]
    assert inst["state"] == "PENDING" and "localInfo" not in inst


def test_s6_1_instance_queries(api: Api) -> None:
    """§6.1: instance lookups, state filters, unknown app and the old-instances list."""
    app_id = api.create(app_spec())
    api.scale(app_id, 2)
    wait_for(settled(api, app_id, "RUNNING", 2))
    inst = api.instances(app_id)[0]
    one = api.get(f"/applications/{app_id}/instances/{inst['instanceId']}").json()
    assert one["status"] == "SUCCESS" and one["data"]["instanceId"] == inst["instanceId"]
    miss = api.get(f"/applications/{app_id}/instances/AI-nope").json()
    assert miss == {"status": "FAILED", "message": f"No such application instance {app_id}/AI-nope"}
    assert len(api.instances(app_id, state="HEALTHY")) == 2
    assert api.instances(app_id, state=["PENDING", "STARTING"]) == []
    assert api.instances(app_id, state="STOPPED") == []  # only active states are searched
    assert api.get(f"/applications/{app_id}/instances", params={"state": "healthy"}).status_code == 404
    assert api.get("/applications/NOPE-1/instances").json() == {"status": "SUCCESS", "data": [], "message": "success"}
    assert api.old(app_id) == []
    api.scale(app_id, 0)
    wait_for(settled(api, app_id, "MONITORING", 0))
    assert len(api.get(f"/applications/{app_id}/instances/old", params={"start": 1, "size": 5}).json()["data"]) == 1


def test_s7_4_scale_down_picks_random_healthy_instances(api: Api) -> None:
    """§7.4: a random subset of HEALTHY instances is stopped, not the oldest."""
    app_id = api.create(app_spec())
    stopped_positions = set()
    for _ in range(10):
        api.scale(app_id, 3)
        wait_for(settled(api, app_id, "RUNNING", 3))
        by_age = [i["instanceId"] for i in sorted(api.instances(app_id), key=lambda i: i["created"])]
        api.scale(app_id, 2)
        wait_for(settled(api, app_id, "RUNNING", 2))
        remaining = {i["instanceId"] for i in api.instances(app_id)}
        stopped_positions |= {pos for pos, iid in enumerate(by_age) if iid not in remaining}
        if len(stopped_positions) > 1:
            break
    assert len(stopped_positions) > 1


@pytest.mark.drove_emulator(executors=1, executor_cpus=2, executor_memory_mb=1024, speed=50)
def test_s3_2_capacity_checks(api: Api) -> None:
    """§3.2/§7.3: scale-up beyond capacity is rejected with Drove's messages; resources are freed."""
    app_id = api.create(app_spec())
    too_many = api.scale(app_id, 3)
    assert too_many.status_code == 400
    assert too_many.json()["data"]["validationErrors"] == ["Cluster does not have enough CPU. Required: 3 Available: 2"]
    big = app_spec("BIG", resources=[{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 2048}])
    big_id = api.create(big)
    assert api.scale(big_id, 1).json()["data"]["validationErrors"] == [
        "Cluster does not have enough Memory. Required: 2048 Available: 1024"
    ]
    wide = app_spec("WIDE", resources=[{"type": "CPU", "count": 4}, {"type": "MEMORY", "sizeInMB": 128}])
    wide_id = api.create(wide)
    assert api.op({"type": "START_INSTANCES", "appId": wide_id, "instances": 1, "opSpec": OP_SPEC}).json()["data"][
        "validationErrors"
    ] == ["Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: 4 Max: 2"]
    api.scale(app_id, 2)
    wait_for(settled(api, app_id, "RUNNING", 2))
    summary = api.get("/cluster").json()["data"]
    assert (summary["usedCores"], summary["freeCores"], summary["usedMemory"]) == (2, 0, 256)
    executor = api.get("/cluster/executors").json()["data"][0]
    assert (executor["usedCores"], executor["freeCores"]) == (2, 0)
    assert api.scale(app_id, 3).status_code == 400
    api.scale(app_id, 0)
    wait_for(settled(api, app_id, "MONITORING", 0))
    summary = api.get("/cluster").json()["data"]
    assert (summary["usedCores"], summary["freeCores"], summary["usedMemory"]) == (0, 2, 0)


@pytest.mark.drove_emulator(executors=0, speed=50)
def test_s3_2_no_executors(api: Api) -> None:
    """§3.2: "No executors on cluster"."""
    app_id = api.create(app_spec())
    assert api.scale(app_id, 1).json()["data"]["validationErrors"] == ["No executors on cluster"]


@pytest.mark.drove_emulator(executors=2, speed=50)
def test_s10_1_one_per_host_placement_loops_when_it_cannot_place(api: Api, drove_emulator) -> None:
    """§10.1 placement + §7.4: ONE_PER_HOST with 3 instances on 2 executors never settles; cancel rolls back."""
    app_id = api.create(app_spec(placementPolicy={"type": "ONE_PER_HOST"}))
    assert api.scale(app_id, 3).status_code == 200
    wait_for(lambda: api.app(app_id)["healthyInstances"] == 2)
    hosts = {i["localInfo"]["hostname"] for i in api.instances(app_id)}
    assert len(hosts) == 2
    drove_emulator.control.advance(20)
    assert api.app(app_id)["state"] == "SCALING_REQUESTED"
    api.post(f"/applications/operations/{app_id}/cancel")
    app = wait_for(settled(api, app_id, "RUNNING", 2))
    assert app["requiredInstances"] == 2
