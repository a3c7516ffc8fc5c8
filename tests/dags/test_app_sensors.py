"""Real Airflow runs of the application sensors against the emulator: poke, reschedule, deferred."""

from __future__ import annotations

import pytest

from test_app_support import PULL_FAIL_IMAGE, app_spec, dag_source, errors_file  # noqa: F401

pytestmark = pytest.mark.usefixtures("drove_connection")


@pytest.mark.parametrize(
    ("mode", "deferrable"),
    [
        pytest.param("poke", False, id="poke"),
        pytest.param("reschedule", False, id="reschedule"),
        pytest.param("poke", True, id="deferrable"),
    ],
)
def test_application_sensors(run_dag, drove_emulator, errors_file, mode: str, deferrable: bool) -> None:
    """Healthy and state sensors: success, failure states, a vanished app, soft_fail, repeated pull errors."""
    drove_emulator.create_app(app_spec("GROW"))
    drove_emulator.create_app(app_spec("IDLE"))
    drove_emulator.create_app(app_spec("RUN"), instances=1)
    drove_emulator.create_app(app_spec("LOOP", image=PULL_FAIL_IMAGE))
    drove_emulator.scale_app("LOOP-1", 1, wait=False)  # keeps failing to pull (§1.9)
    common = f"mode={mode!r}, deferrable=DEFERRABLE, poke_interval=0.2, timeout=60"
    body = f"""
from airflow_provider_drove.operators.application import DroveScaleApplicationOperator
from airflow_provider_drove.sensors.application import DroveApplicationHealthySensor, DroveApplicationStateSensor
grow = DroveScaleApplicationOperator(task_id="grow", app_id="GROW-1", required_instances=2, wait_for_completion=False)
healthy = DroveApplicationHealthySensor(task_id="healthy", app_id="GROW-1", min_healthy_instances=2, {common})
grow >> healthy
DroveApplicationStateSensor(task_id="monitoring", app_id="IDLE-1", target_states=["MONITORING"], {common})
DroveApplicationStateSensor(task_id="failure_state", app_id="RUN-1", target_states=["MONITORING"],
                            failure_states=["RUNNING"], {common})
DroveApplicationStateSensor(task_id="gone", app_id="NOPE-1", target_states="RUNNING", {common})
DroveApplicationStateSensor(task_id="gone_is_target", app_id="NOPE-1", target_states=["DESTROYED"], {common})
DroveApplicationHealthySensor(task_id="soft", app_id="NOPE-1", soft_fail=True, {common})
DroveApplicationHealthySensor(task_id="pull_errors", app_id="LOOP-1", max_instance_failures=2, {common})
DroveApplicationHealthySensor(task_id="times_out", app_id="LOOP-1", max_instance_failures=None,
                              mode={mode!r}, deferrable=DEFERRABLE, poke_interval=0.2, timeout=1)
"""
    result = run_dag(dag_source(f"app_sensors_{mode}", body, deferrable=deferrable), f"app_sensors_{mode}")
    errors = errors_file()
    assert result.task_states == {
        "grow": "success",
        "healthy": "success",
        "monitoring": "success",
        "failure_state": "failed",
        "gone": "failed",
        "gone_is_target": "success",
        "soft": "skipped",
        "pull_errors": "failed",
        "times_out": "failed",
    }, errors
    assert (result.xcoms["healthy"]["healthyInstances"], result.xcoms["healthy"]["state"]) == (2, "RUNNING")
    assert result.xcoms["monitoring"]["state"] == "MONITORING"
    assert "RUNNING is one of the failure states ['RUNNING']" in errors["failure_state"]
    assert "NOPE-1 does not exist" in errors["gone"]
    assert "instances failed since the wait began (max_instance_failures=2)" in errors["pull_errors"]
    assert "Error while pulling image docker.io/acme/pull-fail:1" in errors["pull_errors"]
    assert "timed out" in errors["times_out"]
