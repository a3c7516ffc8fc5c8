"""DroveTaskTrigger: exact serialize() round trip, and each kind of event from runs against the emulator."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from airflow_provider_drove.hooks.drove import DroveHook
from airflow_provider_drove.testing.samples import sample_task_spec
from airflow_provider_drove.triggers.task import DroveTaskTrigger

CLASSPATH = "airflow_provider_drove.triggers.task.DroveTaskTrigger"


def spec(task_id: str, **env: str) -> dict[str, Any]:
    return sample_task_spec(task_id, env={"DROVE_EMULATOR_RUN_SECONDS": "1", **env})


async def first_event(trigger: DroveTaskTrigger) -> dict[str, Any]:
    events = [event.payload async for event in trigger.run()]
    assert len(events) == 1  # one event, then the generator returns
    return events[0]


def test_serialize_round_trip_is_exact_and_json_only() -> None:
    kwargs = {
        "source_app_name": "TEST_APP",
        "task_id": "T0012",
        "drove_conn_id": "drove_prod",
        "poll_interval": 2.5,
        "deadline": 1_800_000_000.25,
        "max_consecutive_errors": 7,
        "cancel_on_kill": False,
        "pending_since": 1_799_999_000.5,
        "pending_grace_seconds": 420.0,
        "stream_logs": True,
        "log_position": {"output.log": {"offset": 120, "lines_seen": 3}},
    }
    classpath, serialized = DroveTaskTrigger(**kwargs).serialize()
    assert classpath == CLASSPATH
    assert serialized == kwargs
    assert json.loads(json.dumps(serialized)) == serialized
    assert DroveTaskTrigger(**serialized).serialize() == (CLASSPATH, kwargs)


def test_serialize_defaults() -> None:
    before = time.time()
    _, serialized = DroveTaskTrigger(source_app_name="A", task_id="T").serialize()
    assert before <= serialized.pop("pending_since") <= time.time()
    assert serialized == {
        "source_app_name": "A",
        "task_id": "T",
        "drove_conn_id": "drove_default",
        "poll_interval": 10.0,
        "deadline": None,
        "max_consecutive_errors": 5,
        "cancel_on_kill": True,
        "pending_grace_seconds": 360.0,
        "stream_logs": False,
        "log_position": None,
    }


async def test_done_event_carries_the_summary_and_streams_logs(
    drove_connection: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    DroveHook().create_task(spec("trig-ok", DROVE_EMULATOR_OUTPUT="hello from the task"))
    event = await first_event(
        DroveTaskTrigger(source_app_name="TEST_APP", task_id="trig-ok", poll_interval=0.1, stream_logs=True)
    )
    assert event["status"] == "done"
    assert event["message"] == "Drove task TEST_APP/trig-ok finished successfully (exit code 0)"
    assert (event["source_app_name"], event["task_id"]) == ("TEST_APP", "trig-ok")
    assert (event["task"]["state"], event["task"]["result"], event["task"]["exit_code"]) == ("STOPPED", "SUCCESSFUL", 0)
    assert event["log_position"]["output.log"]["offset"] > 0 and event["log_position"]["output.log"]["lines_seen"] >= 3
    # Airflow 3 logs through structlog to stdout, Airflow 2 through logging: look in both
    logged = caplog.text + "".join(capfd.readouterr())
    assert "[drove TEST_APP/trig-ok] " in logged and "INFO hello from the task" in logged
    json.dumps(event)


async def test_failed_event_has_exit_code_and_message(drove_connection: str) -> None:
    DroveHook().create_task(spec("trig-fail", DROVE_EMULATOR_EXIT_CODE="2"))
    event = await first_event(DroveTaskTrigger(source_app_name="TEST_APP", task_id="trig-fail", poll_interval=0.1))
    assert event["status"] == "failed"
    assert event["message"] == (
        "Drove task TEST_APP/trig-fail STOPPED with result FAILED, exit code 2: Task instance exited with status: 2"
    )
    assert event["task"]["exit_code"] == 2


async def test_unknown_task_fails_after_the_pending_bound(drove_connection: str) -> None:
    start = time.time()
    event = await first_event(
        DroveTaskTrigger(
            source_app_name="TEST_APP", task_id="never-created", poll_interval=0.1, pending_grace_seconds=0.5
        )
    )
    assert event["status"] == "failed"
    assert "Drove does not know task TEST_APP/never-created" in event["message"]
    assert event["task"] is None
    assert time.time() - start >= 0.5


async def test_deadline_gives_a_timeout_event_and_leaves_the_kill_to_the_operator(drove_connection: str) -> None:
    hook = DroveHook()
    hook.create_task(spec("trig-slow", DROVE_EMULATOR_RUN_SECONDS="100000"))
    event = await first_event(
        DroveTaskTrigger(
            source_app_name="TEST_APP", task_id="trig-slow", poll_interval=0.1, deadline=time.time() + 0.6
        )
    )
    assert event["status"] == "timeout"
    assert event["message"].startswith("Drove task TEST_APP/trig-slow did not finish within")
    assert "last seen: Drove task TEST_APP/trig-slow is RUNNING" in event["message"]
    assert str(hook.get_task("TEST_APP", "trig-slow").state) == "RUNNING"


async def test_transient_errors_are_budgeted_then_end_in_an_error_event(
    drove_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = drove_emulator.airflow_connection(max_retries=0)
    monkeypatch.setenv("AIRFLOW_CONN_DROVE_DEFAULT", json.dumps(conn))
    drove_emulator.control.inject_faults(status=503, count=1000, path="/apis/v1/tasks")
    start = time.monotonic()
    event = await first_event(
        DroveTaskTrigger(source_app_name="TEST_APP", task_id="x", poll_interval=0.1, max_consecutive_errors=2)
    )
    assert event["status"] == "error"
    assert event["message"].startswith("gave up after 3 failed polls in a row")
    # it slept between the polls, also after errors
    assert time.monotonic() - start >= 0.2


async def test_on_kill_sends_kill(drove_connection: str) -> None:
    hook = DroveHook()
    hook.create_task(spec("trig-kill", DROVE_EMULATOR_RUN_SECONDS="100000"))
    deadline = time.monotonic() + 10
    while str(getattr(_get(hook, "trig-kill"), "state", "")) != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
    await DroveTaskTrigger(source_app_name="TEST_APP", task_id="trig-kill").on_kill()
    while str(hook.get_task("TEST_APP", "trig-kill").state) != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.05)
    result = hook.get_task("TEST_APP", "trig-kill").task_result
    assert (str(result.status), result.exit_code) == ("CANCELLED", -1)
    # nothing left to kill: said, not raised
    await DroveTaskTrigger(source_app_name="TEST_APP", task_id="trig-kill").on_kill()


async def test_on_kill_is_off_for_watchers(drove_connection: str) -> None:
    hook = DroveHook()
    hook.create_task(spec("trig-watch", DROVE_EMULATOR_RUN_SECONDS="100000"))
    await DroveTaskTrigger(source_app_name="TEST_APP", task_id="trig-watch", cancel_on_kill=False).on_kill()
    time.sleep(0.3)
    assert str(hook.get_task("TEST_APP", "trig-watch").state) in {"PENDING", "PROVISIONING", "STARTING", "RUNNING"}


def _get(hook: DroveHook, task_id: str) -> Any:
    from airflow_provider_drove.exceptions import DroveNotFoundError

    try:
        return hook.get_task("TEST_APP", task_id)
    except DroveNotFoundError:
        return None
