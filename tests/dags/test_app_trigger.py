"""The app trigger, kill paths and input checks, driven directly against the emulator (no DAG run).

The DAG-level runs (tests/dags/test_app_operators.py, test_app_sensors.py) already exercise the
trigger inline through ``dag.test()``; here each rule of the trigger is pinned on its own.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import threading
import time
from typing import Any

import pytest

from airflow_provider_drove.drove.conditions import AppCondition
from airflow_provider_drove.exceptions import DroveInputError, DroveOperationFailedError
from airflow_provider_drove.operators.application import (
    DroveApplicationOperationOperator,
    DroveCreateApplicationOperator,
    DroveReplaceInstancesOperator,
    DroveScaleApplicationOperator,
    DroveStartInstancesOperator,
    DroveStopInstancesOperator,
)
from airflow_provider_drove.sensors.application import DroveApplicationStateSensor
from airflow_provider_drove.triggers.application import DroveApplicationTrigger
from test_app_support import PULL_FAIL_IMAGE, app_spec

SECRET = "s3cr3t-pw"


@pytest.fixture
def conn(drove_emulator, monkeypatch) -> str:
    """``drove_default`` with a password and no hook-level retries, so each poll is one request."""
    form = drove_emulator.airflow_connection(login="admin", password=SECRET, max_retries=0, retry_min_wait=0)
    monkeypatch.setenv("AIRFLOW_CONN_DROVE_DEFAULT", json.dumps(form))
    return "drove_default"


def collect(trigger: DroveApplicationTrigger) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(run())


def make_trigger(condition: AppCondition, app_id: str = "TEST_APP-1", **kwargs: Any) -> DroveApplicationTrigger:
    options: dict[str, Any] = {"drove_conn_id": "drove_default", "poll_interval": 0.05, "deadline": time.time() + 30}
    options.update(kwargs)
    return DroveApplicationTrigger(app_id=app_id, condition=condition.to_json(), **options)


def test_serialize_round_trip_is_exact_json_and_secret_free(conn) -> None:
    condition = AppCondition(kind="counts", required_instances=3, known_failure_ids=("AI-1",), expect_change=True)
    trigger = DroveApplicationTrigger(
        app_id="TEST_APP-1",
        condition=condition.to_json(),
        drove_conn_id=conn,
        poll_interval=5,
        deadline=1_800_000_000.5,
        max_consecutive_errors=4,
        cancel_on_kill=True,
        resume={"phase": "final", "deadline": 1_800_000_000.5, "resubmits": 1},
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_drove.triggers.application.DroveApplicationTrigger"
    assert kwargs == {
        "app_id": "TEST_APP-1",
        "condition": {
            "kind": "counts",
            "required_instances": 3,
            "healthy_instances": None,
            "min_healthy_instances": None,
            "target_states": [],
            "failure_states": [],
            "instance_ids": [],
            "known_failure_ids": ["AI-1"],
            "max_instance_failures": 3,
            "expect_change": True,
        },
        "drove_conn_id": "drove_default",
        "poll_interval": 5.0,
        "deadline": 1_800_000_000.5,
        "max_consecutive_errors": 4,
        "cancel_on_kill": True,
        "effect_seen": False,
        "drop_grace": 3.0,
        "resume": {"phase": "final", "deadline": 1_800_000_000.5, "resubmits": 1},
    }
    text = json.dumps(kwargs)  # only JSON values
    assert SECRET not in text and "admin" not in text
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**json.loads(text))
    assert rebuilt.serialize() == (classpath, kwargs)


def test_trigger_yields_one_done_event_with_the_app(conn, drove_emulator) -> None:
    drove_emulator.create_app(app_spec(), instances=2)
    events = collect(make_trigger(AppCondition(kind="healthy")))
    assert len(events) == 1
    (event,) = events
    assert (event["status"], event["app_id"], event["app"]["healthyInstances"]) == ("done", "TEST_APP-1", 2)
    assert event["message"] == "TEST_APP-1 RUNNING: 2/2 healthy"


def test_trigger_rides_out_transient_errors_sleeping_between_polls(conn, drove_emulator, monkeypatch) -> None:
    drove_emulator.create_app(app_spec(), instances=1)
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(self: Any, seconds: float) -> None:
        sleeps.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(DroveApplicationTrigger, "_sleep", recording_sleep)
    drove_emulator.control.inject_faults(status=500, count=2, path="/apis/v1/applications/TEST_APP-1")
    events = collect(make_trigger(AppCondition(kind="healthy"), max_consecutive_errors=2))
    assert [e["status"] for e in events] == ["done"]
    assert sleeps == [0.05, 0.05]  # one sleep after each failed poll, none after the last

    sleeps.clear()
    drove_emulator.control.inject_faults(status=500, count=10, path="/apis/v1/applications/TEST_APP-1")
    (event,) = collect(make_trigger(AppCondition(kind="healthy"), max_consecutive_errors=2))
    assert event["status"] == "error"
    assert event["message"].startswith("gave up after 3 failed polls in a row")
    assert sleeps == [0.05, 0.05]


def test_trigger_deadline_reports_the_last_state(conn, drove_emulator) -> None:
    drove_emulator.create_app(app_spec())
    (event,) = collect(make_trigger(AppCondition(kind="counts", required_instances=5), deadline=time.time() + 0.3))
    assert event["status"] == "timeout"
    assert event["message"].startswith("timed out waiting; at the end: TEST_APP-1 MONITORING: 0/0 healthy")
    assert event["app"]["state"] == "MONITORING"


def test_trigger_on_kill_cancels_only_when_asked(conn, drove_emulator) -> None:
    """Airflow 3.3+ calls ``on_kill`` when a user kills a deferred task: the running scale is cancelled."""
    drove_emulator.create_app(app_spec("LOOP", image=PULL_FAIL_IMAGE))
    drove_emulator.scale_app("LOOP-1", 2, wait=False)
    condition = AppCondition(kind="counts", required_instances=2)
    asyncio.run(make_trigger(condition, app_id="LOOP-1", cancel_on_kill=False).on_kill())
    assert drove_emulator.control.app("LOOP-1")["state"] == "SCALING_REQUESTED"
    asyncio.run(make_trigger(condition, app_id="LOOP-1", cancel_on_kill=True).on_kill())
    settled = drove_emulator.wait_idle("LOOP-1", timeout=20)
    assert (settled["state"], settled["requiredInstances"]) == ("MONITORING", 0)


class FakeTI:
    """Just enough of a task instance for ``execute`` called outside Airflow."""

    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def test_operator_on_kill_cancels_the_live_operation(conn, drove_emulator) -> None:
    drove_emulator.create_app(app_spec("LOOP", image=PULL_FAIL_IMAGE))
    op = DroveScaleApplicationOperator(
        task_id="scale", app_id="LOOP-1", required_instances=2, max_instance_failures=None, poll_interval=0.05
    )
    ti = FakeTI()
    seen: dict[str, Any] = {}

    def killer() -> None:
        # Like Airflow, on_kill comes from elsewhere while execute() waits (execute stays on the
        # main thread: Airflow 2's ExecutorSafeguard is thread-local).
        for _ in range(1000):
            if op._live_app_id:
                break
            time.sleep(0.01)
        seen["live"] = op._live_app_id
        seen["controller_url"] = ti.xcom.get("drove_controller_url")
        seen["app_id_xcom"] = ti.xcom.get("drove_app_id")
        op.on_kill()

    thread = threading.Thread(target=killer)
    thread.start()
    with pytest.raises(DroveOperationFailedError) as err:
        op.execute({"ti": ti})
    thread.join(30)
    assert seen["live"] == "LOOP-1"
    assert seen["app_id_xcom"] == "LOOP-1"  # pushed before waiting
    assert seen["controller_url"] == drove_emulator.url  # the extra link's base, no credentials
    # The wait saw the count go back: it fails with what happened instead of hanging on.
    assert "requiredInstances went back to 0 instead of 2" in str(err.value)
    settled = drove_emulator.wait_idle("LOOP-1", timeout=20)
    assert (settled["state"], settled["requiredInstances"]) == ("MONITORING", 0)


class NoRequests:
    """A hook stand-in that fails the test if anything tries to talk to Drove."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a request was attempted ({name}) before the input was checked")


BAD_INPUT = [
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": -1}, "required_instances"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": 2049}, "required_instances"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": "three"}, "required_instances"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": 2.5}, "required_instances"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": True}, "required_instances"),
    (DroveScaleApplicationOperator, {"app_id": "", "required_instances": 1}, "app_id"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": 1, "poll_interval": 0}, "poll_interval"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": 1, "timeout": -5}, "timeout"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": 1, "max_instance_failures": -1}, "max_instance_failures"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": 1, "op_timeout": "1.5s"}, "op_spec.timeout"),
    (DroveScaleApplicationOperator, {"app_id": "A-1", "required_instances": 1, "parallelism": 0}, "op_spec.parallelism"),
    (DroveStartInstancesOperator, {"app_id": "A-1", "instances": 1025}, "instances"),
    (DroveStopInstancesOperator, {"app_id": "A-1", "instance_ids": []}, "instance_ids"),
    (DroveReplaceInstancesOperator, {"app_id": "A-1", "stop_first": "maybe"}, "stop_first"),
    (DroveCreateApplicationOperator, {"spec": "/nonexistent/spec.json"}, "spec"),
    (DroveCreateApplicationOperator, {"spec": "{not json"}, "spec"),
    (DroveCreateApplicationOperator, {"spec": {**app_spec(), "exposedPorts": []}}, "spec"),
    (DroveCreateApplicationOperator, {"spec": app_spec(), "instances": -2}, "instances"),
    (DroveApplicationOperationOperator, {"operation": {"appId": "A-1"}}, "operation"),
    (DroveApplicationOperationOperator, {"operation": {"type": "SCALE", "appId": "A-1"}}, "operation.requiredInstances"),
]


@pytest.mark.parametrize(("cls", "kwargs", "field"), BAD_INPUT, ids=[f"{c.__name__}-{f}-{i}" for i, (c, _, f) in enumerate(BAD_INPUT)])
def test_bad_input_is_rejected_before_any_request(cls: type, kwargs: dict[str, Any], field: str) -> None:
    op = cls(task_id="t", **kwargs)
    op.__dict__["hook"] = NoRequests()
    with pytest.raises(DroveInputError) as err:
        op.execute({"ti": FakeTI()})
    assert err.value.field.startswith(field), err.value


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target_states": ["RUNNING"], "failure_states": ["RUNNING"]}, "failure_states"),
        ({"target_states": ["HEALTHY"]}, "target_states"),
        ({"target_states": []}, "target_states"),
    ],
)
def test_sensor_bad_states_rejected_before_any_request(kwargs: dict[str, Any], field: str) -> None:
    sensor = DroveApplicationStateSensor(task_id="s", app_id="A-1", **kwargs)
    sensor.__dict__["hook"] = NoRequests()
    with pytest.raises(DroveInputError) as err:
        sensor.poke({"ti": FakeTI()})
    assert err.value.field == field


def _when_live(op: Any, action: Any) -> threading.Thread:
    """Run ``action`` on another thread as soon as ``op`` has submitted its operation."""

    def run() -> None:
        for _ in range(1000):
            if op._live_app_id:
                break
            time.sleep(0.01)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_sync_wait_rides_out_transient_errors(conn, drove_emulator) -> None:
    """The worker-side twin of the trigger loop: a few 500s in a row during the wait are survived."""
    drove_emulator.create_app(app_spec("FLAKY"), instances=1)
    op = DroveScaleApplicationOperator(task_id="scale", app_id="FLAKY-1", required_instances=2, poll_interval=0.05)
    thread = _when_live(
        op, lambda: drove_emulator.control.inject_faults(status=500, count=3, path="/apis/v1/applications/FLAKY-1")
    )
    summary = op.execute({"ti": FakeTI()})
    thread.join(10)
    assert sum(drove_emulator.control.faults_fired.values()) >= 3
    assert (summary["requiredInstances"], summary["healthyInstances"]) == (2, 2)


def test_sync_wait_gives_up_after_the_error_budget(conn, drove_emulator) -> None:
    drove_emulator.create_app(app_spec("DOWN", image=PULL_FAIL_IMAGE))
    op = DroveScaleApplicationOperator(
        task_id="scale", app_id="DOWN-1", required_instances=1, max_instance_failures=None, poll_interval=0.05
    )
    thread = _when_live(
        op, lambda: drove_emulator.control.inject_faults(status=500, count=1000, path="/apis/v1/applications/DOWN-1")
    )
    with pytest.raises(DroveOperationFailedError) as err:
        op.execute({"ti": FakeTI()})
    thread.join(10)
    drove_emulator.control.clear_faults()
    assert "gave up after 6 failed polls in a row" in str(err.value)
    assert "cancelled the running Drove operation" in str(err.value)  # the cancel path is not faulted


def test_no_wait_returns_right_after_submitting(conn, drove_emulator) -> None:
    drove_emulator.create_app(app_spec("NOWAIT", image=PULL_FAIL_IMAGE))
    ti = FakeTI()
    op = DroveScaleApplicationOperator(task_id="scale", app_id="NOWAIT-1", required_instances=2, wait_for_completion=False)
    summary = op.execute({"ti": ti})
    assert (summary["state"], summary["requiredInstances"]) == ("SCALING_REQUESTED", 2)
    assert ti.xcom["drove_app_id"] == "NOWAIT-1"
    op.on_kill()  # nothing is live any more: no cancel is sent
    assert drove_emulator.control.app("NOWAIT-1")["state"] == "SCALING_REQUESTED"
