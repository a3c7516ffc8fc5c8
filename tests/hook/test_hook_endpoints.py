"""Every hook method against the emulator over HTTP, for the sync and the async hook alike."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest

from airflow_provider_drove.drove.models import (
    AppSummary,
    ClusterSummary,
    ExecutorSummary,
    ExposedAppInfo,
    InstanceInfo,
    LogChunk,
    TaskInfo,
)
from airflow_provider_drove.drove.states import ApplicationState, ClusterState, InstanceState, TaskResultStatus, TaskState
from airflow_provider_drove.exceptions import DroveNotFoundError, DroveValidationError
from tests.hook.conftest import APP_SPEC, HookRunner, app_spec, task_spec, wait_for

APP_ID = "AF_DEMO-1"
OP = {"timeout": "1m", "parallelism": 4, "failureStrategy": "STOP"}


def _healthy(drove: HookRunner, app_id: str = APP_ID) -> list[InstanceInfo]:
    return drove.list_instances(app_id, states=[InstanceState.HEALTHY])


def _settled(drove: HookRunner, app_id: str, count: int) -> AppSummary | None:
    app = drove.get_application(app_id)
    idle = app.state in (ApplicationState.RUNNING, ApplicationState.MONITORING)
    return app if idle and app.required_instances == count and app.healthy_instances == count else None


def test_ping_find_leader_and_test_connection(drove: HookRunner, drove_emulator: Any) -> None:
    assert drove.ping() == "pong"
    assert drove.find_leader() == drove_emulator.url
    ok, message = drove.test_connection()
    assert ok, message
    assert drove_emulator.url in message


def test_application_lifecycle(drove: HookRunner, drove_emulator: Any) -> None:
    drove.validate_application_spec(APP_SPEC)
    assert drove.create_application(APP_SPEC, op_spec=OP) == APP_ID

    app = drove.get_application(APP_ID)
    assert isinstance(app, AppSummary)
    assert (app.id, app.name, app.state, app.required_instances) == (APP_ID, "AF_DEMO", ApplicationState.MONITORING, 0)
    assert isinstance(app.created, pendulum.DateTime)
    assert set(drove.list_applications()) == {APP_ID}
    assert isinstance(drove.list_applications()[APP_ID], AppSummary)
    spec = drove.get_application_spec(APP_ID)
    assert spec["name"] == "AF_DEMO"
    # Drove echoes durations in canonical form (§2).
    assert spec["executable"]["dockerPullTimeout"] == "100 seconds"

    assert drove.scale_application(APP_ID, 2, op_spec=OP) == APP_ID
    wait_for(lambda: _settled(drove, APP_ID, 2))
    instances = drove.list_instances(APP_ID)
    assert len(instances) == 2 and all(isinstance(i, InstanceInfo) for i in instances)
    assert {i.state for i in instances} == {InstanceState.HEALTHY}
    first = instances[0]
    assert drove.get_instance(APP_ID, first.instance_id).instance_id == first.instance_id
    assert drove.list_instances(APP_ID, states=["PENDING"]) == []

    endpoints = drove.list_endpoints(["AF_DEMO"])
    assert [type(e) for e in endpoints] == [ExposedAppInfo]
    assert endpoints[0].app_id == APP_ID and len(endpoints[0].hosts) == 2
    assert drove.list_endpoints("NO_SUCH_APP") == []

    assert drove.start_instances(APP_ID, 1, op_spec=OP) == APP_ID
    wait_for(lambda: _settled(drove, APP_ID, 3))

    victim = _healthy(drove)[0].instance_id
    assert drove.stop_instances(APP_ID, [victim], skip_respawn=True, op_spec=OP) == APP_ID
    wait_for(lambda: _settled(drove, APP_ID, 2))
    old = drove.list_old_instances(APP_ID)
    assert victim in {i.instance_id for i in old}
    assert drove.list_old_instances(APP_ID, start=0, size=0) == []

    before = {i.instance_id for i in _healthy(drove)}
    assert drove.replace_instances(APP_ID, op_spec=OP) == APP_ID
    wait_for(lambda: _settled(drove, APP_ID, 2) and not before & {i.instance_id for i in _healthy(drove)})

    assert drove.suspend_application(APP_ID, op_spec=OP) == APP_ID
    wait_for(lambda: _settled(drove, APP_ID, 0))
    assert drove.get_application(APP_ID).state == ApplicationState.MONITORING
    assert drove.recover_application(APP_ID) == APP_ID
    wait_for(lambda: _settled(drove, APP_ID, 0))

    assert drove.destroy_application(APP_ID, op_spec=OP) == APP_ID
    wait_for(lambda: APP_ID not in drove.list_applications())
    with pytest.raises(DroveNotFoundError, match=APP_ID):
        drove.get_application(APP_ID)


def test_submit_operation_takes_a_raw_payload(drove: HookRunner, drove_emulator: Any) -> None:
    drove_emulator.create_app(APP_SPEC)
    payload = {"type": "SCALE", "appId": APP_ID, "requiredInstances": 1, "opSpec": {**OP, "failureStrategy": "stop"}}
    assert drove.submit_operation(payload) == APP_ID
    wait_for(lambda: _settled(drove, APP_ID, 1))


def test_cancel_operation_true_while_scaling_false_when_nothing_to_cancel(drove: HookRunner, drove_emulator: Any) -> None:
    # A never-ready image keeps the scale running (Drove retries it forever, §1.9).
    drove_emulator.create_app(app_spec(executable={**APP_SPEC["executable"], "url": "example/never-ready"}))
    drove.scale_application(APP_ID, 1, op_spec=OP)
    wait_for(lambda: drove.get_application(APP_ID).state == ApplicationState.SCALING_REQUESTED)
    assert drove.cancel_operation(APP_ID) is True
    assert drove.cancel_operation("NO_SUCH_APP-1") is False


def test_instance_logs(drove: HookRunner, drove_emulator: Any) -> None:
    drove_emulator.create_app(APP_SPEC, instances=1)
    instance = drove.list_instances(APP_ID)[0].instance_id
    files = drove.list_log_files("applications", APP_ID, instance)
    assert files and all(isinstance(f, str) for f in files)
    end = drove.read_log_file("applications", APP_ID, instance, files[0])
    assert isinstance(end, LogChunk) and end.offset >= 0
    chunk = drove.read_log_file("applications", APP_ID, instance, files[0], offset=0, length=1 << 16)
    assert isinstance(chunk.data, str) and chunk.data
    assert chunk.offset == 0  # where the data starts; the next read starts at offset + len(data)


def test_task_lifecycle(drove: HookRunner, drove_emulator: Any) -> None:
    drove.validate_task_spec(TASK_SPEC := task_spec())
    assert drove.create_task(TASK_SPEC, op_spec=OP) == "AF_DEMO-T0001"
    task = wait_for(lambda: _task_or_none(drove, "AF_DEMO", "T0001"))
    assert isinstance(task, TaskInfo) and task.task_id == "T0001"
    assert "T0001" in {t.task_id for t in drove.list_tasks()}
    wait_for(lambda: drove.list_log_files("tasks", "AF_DEMO", "T0001"))

    done = wait_for(lambda: _finished(drove, "AF_DEMO", "T0001"))
    assert done.task_result is not None and done.task_result.status == TaskResultStatus.SUCCESSFUL
    assert done.task_result.exit_code == 0
    assert drove.delete_task("AF_DEMO", "T0001") is True
    with pytest.raises(DroveNotFoundError, match="No such task instance"):
        drove.get_task("AF_DEMO", "T0001")


def test_task_kill_and_raw_task_operation(drove: HookRunner, drove_emulator: Any) -> None:
    long_task = task_spec(taskId="T0002", env={"DROVE_EMULATOR_RUN_SECONDS": "3600"})
    payload = {"type": "CREATE", "spec": long_task, "opSpec": OP}
    assert drove.submit_task_operation(payload) == "AF_DEMO-T0002"
    wait_for(lambda: (t := _task_or_none(drove, "AF_DEMO", "T0002")) and t.state == TaskState.RUNNING)
    assert drove.kill_task("AF_DEMO", "T0002", op_spec=OP) == "T0002"
    done = wait_for(lambda: _finished(drove, "AF_DEMO", "T0002"))
    assert done.task_result.status == TaskResultStatus.CANCELLED


def test_cluster_endpoints(drove: HookRunner, drove_emulator: Any) -> None:
    summary = drove.get_cluster_summary()
    assert isinstance(summary, ClusterSummary) and summary.num_executors == 2
    executors = drove.list_executors()
    assert len(executors) == 2 and all(isinstance(e, ExecutorSummary) for e in executors)
    detail = drove.get_executor(executors[0].executor_id)
    assert isinstance(detail, dict) and detail
    with pytest.raises(DroveNotFoundError):
        drove.get_executor("00000000-0000-0000-0000-000000000000")

    assert drove.set_maintenance()["state"] == ClusterState.MAINTENANCE
    with pytest.raises(DroveValidationError, match="maintenance"):
        drove.create_application(APP_SPEC)
    assert drove.unset_maintenance()["state"] == ClusterState.NORMAL


def test_lookup_misses_name_what_was_missing(drove: HookRunner) -> None:
    with pytest.raises(DroveNotFoundError, match="NOPE-1"):
        drove.get_application("NOPE-1")
    with pytest.raises(DroveNotFoundError, match="NOPE-1"):
        drove.get_application_spec("NOPE-1")
    with pytest.raises(DroveNotFoundError):
        drove.get_instance("NOPE-1", "AI-00000000-0000-0000-0000-000000000000")
    # An unknown app simply has no instances (§6.1).
    assert drove.list_instances("NOPE-1") == []


def test_rejections_carry_drove_messages(drove: HookRunner, drove_emulator: Any) -> None:
    drove_emulator.create_app(APP_SPEC, instances=1)
    with pytest.raises(DroveValidationError) as info:
        drove.destroy_application(APP_ID, op_spec=OP)
    assert info.value.status_code == 400
    assert any("allowed for app AF_DEMO-1 as it is in RUNNING state" in e for e in info.value.errors)
    with pytest.raises(DroveValidationError, match="already exists"):
        drove.create_application(APP_SPEC)


def _task_or_none(drove: HookRunner, app: str, task_id: str) -> TaskInfo | None:
    try:
        return drove.get_task(app, task_id)
    except DroveNotFoundError:
        return None  # pending: not reported by the executor yet (§8)


def _finished(drove: HookRunner, app: str, task_id: str) -> TaskInfo | None:
    task = _task_or_none(drove, app, task_id)
    return task if task is not None and task.state == TaskState.STOPPED else None


@pytest.mark.drove_emulator(controllers=2)
def test_ui_url_points_at_the_leader_without_credentials(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, login="admin", password="ui-secret-pw")
    assert drove.ui_url("applications/AF_DEMO-1") == f"{drove_emulator.urls[0]}/applications/AF_DEMO-1"
    drove_emulator.control.set_leader(1)
    drove.ping()
    link = drove.ui_url("/tasks/AF_DEMO/T0001")
    assert link == f"{drove_emulator.urls[1]}/tasks/AF_DEMO/T0001"
    assert "ui-secret-pw" not in link and "admin" not in link
