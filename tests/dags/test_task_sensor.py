"""DroveTaskSensor in real Airflow runs against the emulator, poking and deferred."""

from __future__ import annotations

from typing import Any

import pytest


MODES = [pytest.param(False, id="poke"), pytest.param(True, id="deferred")]


def sensor_dag(dag_id: str, drove_task_id: str, extra: str = "", *, start_env: str | None = None) -> str:
    """A sensor DAG; with ``start_env`` an upstream DroveRunTaskOperator(wait_for_completion=False)
    starts the watched task first, the usual way to pair the two."""
    start = ""
    if start_env is not None:
        start = f"""
    start = DroveRunTaskOperator(
        task_id="start",
        source_app_name="TEST_APP",
        image="ghcr.io/appform-io/test-task",
        env={start_env},
        wait_for_completion=False,
    )
"""
    return f"""
import pendulum
from airflow_provider_drove.operators.task import DroveRunTaskOperator
from airflow_provider_drove.sensors.task import DroveTaskSensor
try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False) as dag:
{start}
    wait = DroveTaskSensor(
        task_id="wait",
        source_app_name="TEST_APP",
        drove_task_id="{drove_task_id}",
        poke_interval=0.2,
        timeout=60,
        {extra}
    )
    {"start >> wait" if start_env is not None else ""}
"""


#: the id the upstream task pushed
STARTED_ID = "{{ ti.xcom_pull(task_ids='start', key='drove_task_id') }}"
#: 250 simulated seconds are 5 real seconds at the emulator's 50x: still running at the first look, even on a busy machine
RUNNING = '{"DROVE_EMULATOR_RUN_SECONDS": "250"}'


def deferred_in(logged: str) -> bool:
    return "Pausing task as DEFERRED" in logged or "[DAG TEST] running trigger in line" in logged


@pytest.mark.parametrize("deferrable", MODES)
def test_sensor_waits_for_success_and_returns_the_summary(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    dag_id = f"sensor_ok_{'deferred' if deferrable else 'poke'}"
    result = run_dag(sensor_dag(dag_id, STARTED_ID, f"deferrable={deferrable},", start_env=RUNNING), dag_id)
    out, err = capfd.readouterr()
    assert result.state == "success", out[-3000:]
    started = result.xcoms["start"]["task_id"]
    summary = result.xcoms["wait"]
    assert (summary["task_id"], summary["state"], summary["result"], summary["exit_code"]) == (
        started,
        "STOPPED",
        "SUCCESSFUL",
        0,
    )
    # it really waited (the task was not finished at the first look) and took the path asked for
    assert f"Drove task TEST_APP/{started} is " in out + err
    assert deferred_in(out + err) is deferrable


@pytest.mark.parametrize("deferrable", MODES)
def test_sensor_fails_with_the_exit_code(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str], deferrable: bool
) -> None:
    dag_id = f"sensor_fail_{'deferred' if deferrable else 'poke'}"
    env = '{"DROVE_EMULATOR_RUN_SECONDS": "20", "DROVE_EMULATOR_EXIT_CODE": "4"}'
    result = run_dag(sensor_dag(dag_id, STARTED_ID, f"deferrable={deferrable},", start_env=env), dag_id)
    out, err = capfd.readouterr()
    assert result.task_states == {"start": "success", "wait": "failed"}
    started = result.xcoms["start"]["task_id"]
    assert (
        f"Drove task TEST_APP/{started} STOPPED with result FAILED, exit code 4: Task instance exited with status: 4"
    ) in out + err


def test_sensor_fails_when_the_task_never_appears(
    run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str]
) -> None:
    result = run_dag(sensor_dag("sensor_missing", "no-such-task", "pending_grace_seconds=0.5,"), "sensor_missing")
    out, err = capfd.readouterr()
    assert result.task_states["wait"] == "failed"
    assert "Drove does not know task TEST_APP/no-such-task" in out + err


def test_sensor_rejects_an_invalid_id_before_any_request(
    run_dag: Any, drove_emulator: Any, drove_connection: str, capfd: pytest.CaptureFixture[str]
) -> None:
    drove_emulator.control.inject_faults(status=500, count=1000)
    result = run_dag(sensor_dag("sensor_bad_id", "bad id!"), "sensor_bad_id")
    out, err = capfd.readouterr()
    assert result.task_states["wait"] == "failed"
    assert "DroveInputError: drove_task_id: 'bad id!' may contain only letters, digits, '-' and '_'" in out + err
    assert sum(drove_emulator.control.faults_fired.values()) == 0


def test_sensor_in_reschedule_mode(run_dag: Any, drove_connection: str, capfd: pytest.CaptureFixture[str]) -> None:
    source = sensor_dag("sensor_reschedule", STARTED_ID, 'mode="reschedule",', start_env=RUNNING)
    result = run_dag(source, "sensor_reschedule")
    out, err = capfd.readouterr()
    assert result.state == "success", out[-3000:]
    assert result.xcoms["wait"]["result"] == "SUCCESSFUL"
    assert f"Drove task TEST_APP/{result.xcoms['start']['task_id']} is " in out + err
