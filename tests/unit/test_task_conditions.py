"""Table-driven tests of the task conditions (drove-api.md §8, §9.3) on Drove's wire JSON."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_drove.drove.models import TaskInfo
from airflow_provider_drove.drove.conditions import Outcome, Verdict
from airflow_provider_drove.drove.task_conditions import (
    DEFAULT_PENDING_GRACE_SECONDS,
    LogTail,
    TaskWatch,
    TaskLogs,
    choose_log_files,
    evaluate_task,
    pending_grace_seconds,
    summarize_task,
)

# The TaskInfo example of drove-api.md §6.2.
EXAMPLE: dict[str, Any] = {
    "sourceAppName": "TEST_APP",
    "taskId": "T0012",
    "instanceId": "TI-6cf36f5c-6480-4ed5-9e2d-f79d9648529a",
    "executorId": "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d",
    "hostname": "host1",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/test-task", "dockerPullTimeout": "100 seconds"},
    "resources": [{"type": "CPU", "cores": {"0": [3]}}, {"type": "MEMORY", "memoryInMB": {"0": 512}}],
    "volumes": [],
    "env": {"ITERATIONS": "10"},
    "state": "STOPPED",
    "metadata": {},
    "taskResult": {"status": "SUCCESSFUL", "exitCode": 0},
    "errorMessage": "",
    "created": 1719823470267,
    "updated": 1719823483836,
}


def task(**changes: Any) -> TaskInfo:
    """The example task with some wire fields changed (None removes a field, as Drove omits nulls)."""
    wire = {**EXAMPLE, **changes}
    return TaskInfo.from_wire({k: v for k, v in wire.items() if v is not None})


def judge(record: TaskInfo | None, pending: float = 0.0, grace: float = 100.0) -> Verdict:
    return evaluate_task(
        record, source_app_name="TEST_APP", task_id="T0012", pending_seconds=pending, pending_grace_seconds=grace
    )


@pytest.mark.parametrize("state", ["PENDING", "PROVISIONING", "STARTING", "RUNNING", "RUN_COMPLETED", "DEPROVISIONING"])
def test_active_states_wait(state: str) -> None:
    verdict = judge(task(state=state, taskResult=None))
    assert verdict.status is Outcome.WAITING
    assert state in verdict.message


def test_run_completed_with_result_is_not_terminal_yet() -> None:
    # §8: RUN_COMPLETED is not terminal; the result is final only once STOPPED.
    verdict = judge(task(state="RUN_COMPLETED", taskResult={"status": "SUCCESSFUL", "exitCode": 0}))
    assert verdict.status is Outcome.WAITING


def test_stopped_successful_is_done() -> None:
    verdict = judge(task())
    assert verdict.status is Outcome.DONE
    assert verdict.message == "Drove task TEST_APP/T0012 finished successfully (exit code 0)"


@pytest.mark.parametrize(
    ("result", "error", "expected"),
    [
        (
            {"status": "FAILED", "exitCode": 3},
            "Task instance exited with status: 3",
            "Drove task TEST_APP/T0012 STOPPED with result FAILED, exit code 3: Task instance exited with status: 3",
        ),
        (
            {"status": "CANCELLED", "exitCode": -1},
            "",
            "Drove task TEST_APP/T0012 STOPPED with result CANCELLED, exit code -1: Drove gave no error message",
        ),
        (
            {"status": "LOST", "exitCode": -1},
            "Task instance lost for container: abc",
            "Drove task TEST_APP/T0012 STOPPED with result LOST, exit code -1: Task instance lost for container: abc",
        ),
        (
            {"status": "TIMED_OUT", "exitCode": -1},
            "x",
            "Drove task TEST_APP/T0012 STOPPED with result TIMED_OUT, exit code -1: x",
        ),
    ],
)
def test_stopped_with_a_bad_result_fails_with_exit_code_and_message(
    result: dict[str, Any], error: str, expected: str
) -> None:
    verdict = judge(task(taskResult=result, errorMessage=error))
    assert verdict.status is Outcome.FAILED
    assert verdict.message == expected


def test_stopped_without_result_is_a_failure() -> None:
    # §8: a failed image pull ends STOPPED with no taskResult.
    verdict = judge(task(taskResult=None, errorMessage="Error pulling image ghcr.io/x/pull-fail: manifest unknown"))
    assert verdict.status is Outcome.FAILED
    assert "stopped without a result" in verdict.message
    assert "Error pulling image ghcr.io/x/pull-fail: manifest unknown" in verdict.message


def test_lost_state_fails() -> None:
    verdict = judge(task(state="LOST", taskResult={"status": "LOST", "exitCode": -1}, errorMessage="Instance lost"))
    assert verdict.status is Outcome.FAILED
    assert verdict.message == "Drove task TEST_APP/T0012 LOST with result LOST, exit code -1: Instance lost"


def test_lost_state_without_result_fails() -> None:
    verdict = judge(task(state="LOST", taskResult=None, errorMessage="Instance lost"))
    assert verdict.status is Outcome.FAILED
    assert "no exit code" in verdict.message and "Instance lost" in verdict.message


def test_unknown_future_state_waits() -> None:
    verdict = judge(task(state="SOMETHING_NEW", taskResult=None))
    assert verdict.status is Outcome.WAITING
    assert "SOMETHING_NEW" in verdict.message


@pytest.mark.parametrize(("pending", "outcome"), [(0.0, Outcome.WAITING), (100.0, Outcome.WAITING), (100.5, Outcome.FAILED)])
def test_missing_task_is_pending_within_the_bound(pending: float, outcome: Outcome) -> None:
    verdict = judge(None, pending=pending, grace=100.0)
    assert verdict.status is outcome
    if outcome is Outcome.FAILED:
        assert "TEST_APP/T0012" in verdict.message and "100s" in verdict.message


@pytest.mark.parametrize(
    ("op_timeout", "pull", "margin", "expected"),
    [
        (None, None, 60.0, 360.0),
        ("5m", "100 seconds", 60.0, 360.0),
        ("1m", "10 minutes", 60.0, 660.0),
        ("30s", None, 0.0, 30.0),
        (45, "1s", 5.0, 50.0),
        ("not a duration", None, 0.0, 300.0),
    ],
)
def test_pending_grace_seconds(op_timeout: object, pull: object, margin: float, expected: float) -> None:
    assert pending_grace_seconds(op_timeout, pull, margin) == expected


def test_default_grace_is_drove_default_op_timeout_plus_margin() -> None:
    assert DEFAULT_PENDING_GRACE_SECONDS == 360.0


def test_summarize_task_is_plain_json() -> None:
    summary = summarize_task(task(taskResult={"status": "FAILED", "exitCode": 2}, errorMessage="boom"))
    assert summary == {
        "source_app_name": "TEST_APP",
        "task_id": "T0012",
        "instance_id": "TI-6cf36f5c-6480-4ed5-9e2d-f79d9648529a",
        "state": "STOPPED",
        "result": "FAILED",
        "exit_code": 2,
        "error_message": "boom",
        "executor_id": "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d",
        "hostname": "host1",
        "created": 1719823470267,
        "updated": 1719823483836,
        "duration_seconds": 13.569,
    }


def test_summarize_pending_task() -> None:
    summary = summarize_task(task(state="PENDING", taskResult=None, executorId=None, hostname=None))
    assert summary["state"] == "PENDING"
    assert summary["result"] is None and summary["exit_code"] is None and summary["executor_id"] is None


@pytest.mark.parametrize(
    ("files", "chosen"),
    [
        (["output.log", "error.log", "output.log.1"], ["output.log", "error.log"]),
        (["error.log"], ["error.log"]),
        (["a.log", "b.log"], ["a.log"]),
        ([], []),
    ],
)
def test_choose_log_files(files: list[str], chosen: list[str]) -> None:
    assert choose_log_files(files) == chosen


def test_log_tail_joins_lines_across_chunks() -> None:
    tail = LogTail("output.log")
    assert tail.feed("first line\nsec", 0) == ["first line"]
    assert tail.offset == len("first line\nsec")
    assert tail.feed("ond\r\nthird\n", tail.offset) == ["second", "third"]
    assert tail.feed("", tail.offset) == []
    assert tail.feed("tail without newline", tail.offset) == []
    assert tail.flush() == ["tail without newline"]
    assert tail.flush() == []
    assert tail.lines_seen == 4


def test_log_tail_counts_offsets_in_bytes() -> None:
    tail = LogTail("output.log")
    tail.feed("héllo\n", 0)
    assert tail.offset == 7  # "é" is two bytes in UTF-8


def test_log_tail_follows_drove_when_the_file_restarts() -> None:
    tail = LogTail("output.log")
    tail.feed("abc\npartial", 0)
    assert tail.feed("new\n", 0) == ["new"]
    assert tail.offset == 4


def test_log_tail_sees_the_end() -> None:
    assert LogTail.reached_end("short")
    assert not LogTail.reached_end("x" * 32768)


def test_task_logs_json_round_trip_rereads_the_partial_line() -> None:
    logs = TaskLogs("A", "T")
    assert logs.pick_files(["output.log", "error.log"])
    logs.tails["output.log"].feed("one\ntw", 0)
    data = logs.to_json()
    assert data == {"output.log": {"offset": 4, "lines_seen": 1}, "error.log": {"offset": 0, "lines_seen": 0}}
    again = TaskLogs.from_json("A", "T", data)
    assert again.tails["output.log"].feed("two\n", 4) == ["two"]
    assert again.lines_seen == 2
    assert TaskLogs.from_json("A", "T", None) == TaskLogs("A", "T")


def test_task_logs_prefixes_name_the_file_unless_stdout() -> None:
    logs = TaskLogs("A", "T")
    logs.pick_files(["output.log", "error.log"])
    assert logs.prefix(logs.tails["output.log"]) == "[drove A/T]"
    assert logs.prefix(logs.tails["error.log"]) == "[drove A/T error.log]"


def test_log_notices_are_said_once() -> None:
    logs = TaskLogs("A", "T")
    assert not logs.pick_files([])
    assert logs.unavailable_notice("HTTP 204") == (
        "Logs of Drove task A/T are not available (HTTP 204); the wait goes on and will forward them if they appear"
    )
    assert logs.unavailable_notice("HTTP 204") is None
    assert "No log lines of Drove task A/T" in (logs.final_notice() or "")
    logs.pick_files(["output.log"])
    logs.tails["output.log"].feed("x\n", 0)
    assert logs.final_notice() is None


def test_watch_counts_pending_time_from_its_start() -> None:
    w = TaskWatch(source_app_name="TEST_APP", task_id="T0012", pending_since=1000.0, pending_grace_seconds=30.0)
    assert w.label == "TEST_APP/T0012"
    assert w.observe(task(), 1001.0).status is Outcome.DONE
    assert w.observe(None, 1030.0).status is Outcome.WAITING
    lost = w.observe(None, 1031.0)
    assert lost.status is Outcome.FAILED and "31s after it was expected (allowed 30s)" in lost.message
