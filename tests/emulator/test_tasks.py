"""Tasks (issue 2, point 6; drove-api.md §8, §9.3, §6.2, §6.6)."""

from __future__ import annotations

import pytest

from .helpers import OP_SPEC, Api, task_spec, wait_for


def _create(api: Api, spec: dict) -> object:
    return api.post("/tasks/operations", {"type": "CREATE", "spec": spec, "opSpec": OP_SPEC})


def _task(api: Api, task_id: str = "T0012") -> dict:
    return api.get(f"/tasks/TEST_APP/instances/{task_id}").json()


def _finished(api: Api, task_id: str = "T0012"):
    def check():
        body = _task(api, task_id)
        return body.get("data") if body["status"] == "SUCCESS" and body["data"]["state"] == "STOPPED" else None

    return check


def test_s8_create_is_pending_until_first_report_then_succeeds(api: Api, drove_emulator) -> None:
    """§8/§1.13: CREATE returns <app>-<taskId>; GET says "No such task instance" until the first report."""
    drove_emulator.control.set_speed(0.0001)
    created = _create(api, task_spec())
    assert created.json() == {"status": "SUCCESS", "data": {"taskId": "TEST_APP-T0012"}, "message": "success"}
    assert _task(api) == {"status": "FAILED", "message": "No such task instance TEST_APP/T0012"}
    assert api.get("/tasks").json()["data"] == []
    drove_emulator.control.advance(0.4)
    task = _task(api)["data"]
    assert task["state"] == "PENDING" and task["instanceId"].startswith("TI-")
    assert "taskResult" not in task
    assert [t["taskId"] for t in api.get("/tasks").json()["data"]] == ["T0012"]
    states = []
    for _ in range(12):
        drove_emulator.control.advance(1)
        states.append(_task(api)["data"]["state"])
    # pending, provisioning (pull 2 s), starting (1 s), running (5 s), run completed, deprovisioning, stopped
    assert states[0] == "PROVISIONING" and "STARTING" in states and "RUNNING" in states
    assert states[-1] == "STOPPED"
    task = _task(api)["data"]
    assert task["taskResult"] == {"status": "SUCCESSFUL", "exitCode": 0}
    assert task["errorMessage"] == "" and task["env"] == {"ITERATIONS": "10"}
    assert task["resources"][1] == {"type": "MEMORY", "memoryInMB": {"0": 512}}
    assert api.get("/tasks").json()["data"] == []  # finished tasks drop out of the list (§6.2)


def test_s8_exit_code_from_env(api: Api) -> None:
    """§8: DROVE_EMULATOR_EXIT_CODE sets the exit code; non-zero is FAILED with Drove's message."""
    _create(api, task_spec(env={"DROVE_EMULATOR_EXIT_CODE": "3", "DROVE_EMULATOR_RUN_SECONDS": "2"}))
    task = wait_for(_finished(api))
    assert task["taskResult"] == {"status": "FAILED", "exitCode": 3}
    assert task["errorMessage"] == "Task instance exited with status: 3"


def test_s8_kill_is_cancelled_minus_one(api: Api) -> None:
    """§8: KILL -> STOPPED with CANCELLED/-1; KILL of a finished task is rejected."""
    _create(api, task_spec(env={"DROVE_EMULATOR_RUN_SECONDS": "3600"}))
    wait_for(lambda: _task(api).get("data", {}).get("state") == "RUNNING")
    killed = api.post("/tasks/operations", {"type": "KILL", "sourceAppName": "TEST_APP", "taskId": "T0012", "opSpec": OP_SPEC})
    assert killed.json() == {"status": "SUCCESS", "data": {"taskId": "T0012"}, "message": "success"}
    task = wait_for(_finished(api))
    assert task["taskResult"] == {"status": "CANCELLED", "exitCode": -1}
    again = api.post("/tasks/operations", {"type": "KILL", "sourceAppName": "TEST_APP", "taskId": "T0012", "opSpec": OP_SPEC})
    assert again.status_code == 400
    assert again.json()["data"]["validationErrors"] == [
        "Either task does not exist or has already finished for TEST_APP/T0012"
    ]


def test_s8_duplicate_ids_rejected_until_deleted(api: Api) -> None:
    """§8/§6.2: a taskId cannot be reused until DELETE; DELETE is idempotent."""
    _create(api, task_spec(env={"DROVE_EMULATOR_RUN_SECONDS": "1"}))
    dup = _create(api, task_spec())
    assert dup.status_code == 400
    assert dup.json()["data"]["validationErrors"] == ["Task already exists for TEST_APP/T0012 with taskID: TEST_APP-T0012"]
    wait_for(_finished(api))
    assert _create(api, task_spec()).status_code == 400  # the record survives the run
    deleted = api.delete("/tasks/TEST_APP/instances/T0012")
    assert deleted.json() == {"status": "SUCCESS", "data": {"deleted": True}, "message": "success"}
    assert _task(api)["status"] == "FAILED"
    assert api.delete("/tasks/TEST_APP/instances/NEVER").json()["data"] == {"deleted": True}
    assert _create(api, task_spec()).status_code == 200


def test_s8_delete_of_running_task_does_not_stop_it(api: Api) -> None:
    """§6.2: DELETE drops metadata only; the next executor update re-creates the record."""
    _create(api, task_spec(env={"DROVE_EMULATOR_RUN_SECONDS": "60"}))
    wait_for(lambda: _task(api).get("data", {}).get("state") == "RUNNING")
    api.delete("/tasks/TEST_APP/instances/T0012")
    task = wait_for(_finished(api))
    assert task["taskResult"]["status"] == "SUCCESSFUL"


def test_s8_pull_fail_task_ends_without_result(api: Api) -> None:
    """§8: image pull failure -> STOPPED with no taskResult and the pull error."""
    _create(api, task_spec(image="ghcr.io/acme/pull-fail-task"))
    task = wait_for(_finished(api))
    assert "taskResult" not in task
    assert "pull access denied for acme/pull-fail-task" in task["errorMessage"]


def test_s8_start_fail_task_is_failed_minus_one(api: Api) -> None:
    """§8: failure to start the container is FAILED with exit code -1."""
    _create(api, task_spec(image="ghcr.io/acme/start-fail"))
    task = wait_for(_finished(api))
    assert task["taskResult"] == {"status": "FAILED", "exitCode": -1}


@pytest.mark.drove_emulator(executors=1, executor_cpus=1, speed=50)
def test_s8_task_needs_capacity_now(api: Api) -> None:
    """§8/§10.2: CREATE and /tasks/validate/spec check capacity for one instance."""
    big = task_spec(resources=[{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 999999}])
    rejected = _create(api, big)
    assert rejected.status_code == 400
    assert rejected.json()["data"]["validationErrors"] == [
        "Cluster does not have enough Memory. Required: 999999 Available: 16384"
    ]
    assert api.post("/tasks/validate/spec", big).status_code == 400
    valid = api.post("/tasks/validate/spec", task_spec())
    assert valid.json() == {"status": "SUCCESS", "message": "success"}


def test_s6_6_task_logs(api: Api) -> None:
    """§6.6: the task's "printed" lines are listed and read with offsets; unknown task -> 204."""
    _create(api, task_spec(env={"DROVE_EMULATOR_OUTPUT": "hello from the task\nsecond line"}))
    wait_for(_finished(api))
    assert api.get("/logfiles/tasks/TEST_APP/T0012/list").json() == {"files": ["output.log", "error.log"]}
    end = api.get("/logfiles/tasks/TEST_APP/T0012/read/output.log", params={"offset": -1}).json()
    assert end["data"] == "" and end["offset"] > 0
    chunk = api.get("/logfiles/tasks/TEST_APP/T0012/read/output.log", params={"offset": 0, "length": end["offset"]}).json()
    assert chunk["offset"] == 0 and len(chunk["data"].encode()) == end["offset"]
    assert "hello from the task\n" in chunk["data"] and "Task finished with exit code 0" in chunk["data"]
    tail = api.get("/logfiles/tasks/TEST_APP/T0012/read/output.log", params={"offset": 10, "length": 5}).json()
    assert tail == {"data": chunk["data"][10:15], "offset": 10}
    download = api.get("/logfiles/tasks/TEST_APP/T0012/download/output.log")
    assert download.content.decode() == chunk["data"]
    assert download.headers["content-disposition"] == "attachment; filename=output.log"
    assert api.get("/logfiles/tasks/TEST_APP/NOPE/list").status_code == 204


@pytest.mark.drove_emulator(controllers=2, speed=50)
def test_s8_failover_orphans_tasks_of_unknown_apps(drove_emulator) -> None:
    """§8 step 6/§5: after a failover only tasks whose sourceAppName is an app are recovered."""
    from .helpers import app_spec

    api = Api(drove_emulator.url)
    api.create(app_spec("TEST_APP"))
    _create(api, task_spec("KEPT", env={"DROVE_EMULATOR_RUN_SECONDS": "3600"}))
    _create(api, task_spec("ORPHAN", sourceAppName="NO_SUCH_APP", env={"DROVE_EMULATOR_RUN_SECONDS": "3600"}))
    wait_for(lambda: len(api.get("/tasks").json()["data"]) == 2)
    drove_emulator.control.set_leader(1)
    leader = Api(drove_emulator.url)
    assert [t["taskId"] for t in leader.get("/tasks").json()["data"]] == ["KEPT"]
    kill = {"type": "KILL", "sourceAppName": "NO_SUCH_APP", "taskId": "ORPHAN", "opSpec": OP_SPEC}
    assert leader.post("/tasks/operations", kill).status_code == 400
