"""Real Airflow runs (``dag.test()``) of the application operators against the Drove emulator.

Each test runs its DAG twice where it matters: waiting in the worker and deferred to the
triggerer (``dag.test()`` runs triggers inline).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from test_app_support import APP_SPEC, PULL_FAIL_IMAGE, app_spec, dag_source, errors_file  # noqa: F401

pytestmark = pytest.mark.usefixtures("drove_connection")

MODES = [pytest.param(False, id="sync"), pytest.param(True, id="deferrable")]

FAST = "poll_interval=0.2, timeout=60, op_timeout='1m', deferrable=DEFERRABLE"


def app_json(drove_emulator: Any, app_id: str) -> dict[str, Any] | None:
    body = requests.get(f"{drove_emulator.url}/apis/v1/applications/{app_id}", timeout=10).json()
    return body.get("data") if body["status"] == "SUCCESS" else None


def instances(drove_emulator: Any, app_id: str, old: bool = False) -> list[dict[str, Any]]:
    path = "instances/old" if old else "instances"
    return requests.get(f"{drove_emulator.url}/apis/v1/applications/{app_id}/{path}", timeout=10).json()["data"]


@pytest.mark.parametrize("deferrable", MODES)
def test_application_lifecycle(run_dag, drove_emulator, errors_file, deferrable: bool) -> None:
    """Create, scale, start, replace, stop, suspend, destroy: every step waits for the true outcome."""
    spec = json.dumps(app_spec("LIFE"))
    body = f"""
from airflow_provider_drove.operators.application import (
    DroveCreateApplicationOperator, DroveScaleApplicationOperator, DroveStartInstancesOperator,
    DroveReplaceInstancesOperator, DroveStopInstancesOperator, DroveSuspendApplicationOperator,
    DroveDestroyApplicationOperator, DroveApplicationOperationOperator,
)
create = DroveCreateApplicationOperator(task_id="create", spec={spec}, {FAST})
scale = DroveScaleApplicationOperator(task_id="scale", app_id="{{{{ ti.xcom_pull('create') }}}}",
                                      required_instances="{{{{ params.n }}}}", params={{"n": 2}}, {FAST})
start = DroveStartInstancesOperator(task_id="start", app_id="LIFE-1", instances=1, {FAST})
replace = DroveReplaceInstancesOperator(task_id="replace", app_id="LIFE-1", {FAST})
from airflow.providers.common.compat.sdk import task
@task
def one_instance():
    from airflow_provider_drove.hooks.drove import DroveHook
    return [DroveHook().list_instances("LIFE-1")[0].instance_id]
ids = one_instance()
stop = DroveStopInstancesOperator(task_id="stop", app_id="LIFE-1", skip_respawn=True, instance_ids=ids, {FAST})
power = DroveApplicationOperationOperator(task_id="power",
    operation={{"type": "SCALE", "appId": "LIFE-1", "requiredInstances": 1}}, {FAST})
suspend = DroveSuspendApplicationOperator(task_id="suspend", app_id="LIFE-1", {FAST})
suspend_again = DroveSuspendApplicationOperator(task_id="suspend_again", app_id="LIFE-1", {FAST})
destroy = DroveDestroyApplicationOperator(task_id="destroy", app_id="LIFE-1", {FAST})
create >> scale >> start >> replace >> ids >> stop >> power >> suspend >> suspend_again >> destroy
"""
    result = run_dag(dag_source("app_lifecycle", body, deferrable=deferrable), "app_lifecycle")
    assert result.state == "success", (result.task_states, errors_file())
    assert result.xcoms["create"] == "LIFE-1"
    scale = result.xcoms["scale"]
    assert (scale["id"], scale["state"], scale["requiredInstances"], scale["healthyInstances"]) == (
        "LIFE-1", "RUNNING", 2, 2,
    )
    assert (result.xcoms["start"]["requiredInstances"], result.xcoms["start"]["healthyInstances"]) == (3, 3)
    replaced = result.dag_run.get_task_instance("replace").xcom_pull(task_ids="replace", key="drove_replaced_instance_ids")
    assert len(replaced) == 3
    assert (result.xcoms["stop"]["requiredInstances"], result.xcoms["stop"]["healthyInstances"]) == (2, 2)
    assert result.xcoms["power"]["healthyInstances"] == 1
    assert (result.xcoms["suspend"]["state"], result.xcoms["suspend"]["requiredInstances"]) == ("MONITORING", 0)
    assert "destroy" not in result.xcoms  # nothing is left to summarise
    assert app_json(drove_emulator, "LIFE-1") is None
