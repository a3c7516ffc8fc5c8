"""Real Airflow runs (``dag.test()``) of the application operators against the Drove emulator.

Each test runs its DAG twice where it matters: waiting in the worker and deferred to the
triggerer (``dag.test()`` runs triggers inline).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_provider_drove.links.drove import DroveApplicationLink
from airflow_provider_drove.operators.application import DroveScaleApplicationOperator
from test_app_support import PULL_FAIL_IMAGE, app_spec, dag_source, errors_file  # noqa: F401

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
def test_application_lifecycle(run_dag, drove_emulator, errors_file, caplog, capfd, deferrable: bool) -> None:
    """Create, scale, start, replace, stop, suspend, destroy: every step waits for the true outcome."""
    spec = json.dumps(app_spec("LIFE"))
    drove_emulator.create_app(app_spec("GONE"), instances=1)
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
DroveDestroyApplicationOperator(task_id="destroy_running", app_id="GONE-1", suspend_first=True, {FAST})
create >> scale >> start >> replace >> ids >> stop >> power >> suspend >> suspend_again >> destroy
"""
    result = run_dag(dag_source("app_lifecycle", body, deferrable=deferrable), "app_lifecycle")
    assert result.state == "success", (result.task_states, errors_file())
    # The waits took the path asked for (Airflow 3 pauses the task, 2.11 runs the trigger inline);
    # steps whose outcome is there at once (create, destroy) finish without deferring.
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    deferred = "Pausing task as DEFERRED" in logged or "[DAG TEST] running trigger in line" in logged
    assert deferred is deferrable
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
    assert result.task_states["destroy_running"] == "success"  # suspended first, then destroyed
    assert app_json(drove_emulator, "GONE-1") is None
    # The extra link opens the app in the controller UI.
    ti = result.dag_run.get_task_instance("scale")
    expected = f"{drove_emulator.url}/applications/LIFE-1"
    if AIRFLOW_V_3_0_PLUS:  # Airflow 3 serves the link stored in XCom by the worker
        assert ti.xcom_pull(task_ids="scale", key=DroveApplicationLink().xcom_key) == expected
    else:
        operator = DroveScaleApplicationOperator(task_id="scale", app_id="LIFE-1", required_instances=2)
        assert DroveApplicationLink().get_link(operator, ti_key=ti.key) == expected


@pytest.mark.parametrize("deferrable", MODES)
def test_failures_say_what_happened(run_dag, drove_emulator, errors_file, deferrable: bool) -> None:
    """Pull errors fail early, timeouts cancel, and every rejection is a sentence with a way out."""
    drove_emulator.create_app(app_spec("PULL", image=PULL_FAIL_IMAGE))
    drove_emulator.create_app(app_spec("HANG", image=PULL_FAIL_IMAGE))
    drove_emulator.create_app(app_spec("LOOP", image=PULL_FAIL_IMAGE))
    drove_emulator.scale_app("LOOP-1", 1, wait=False)  # loops in SCALING_REQUESTED forever (§1.9)
    drove_emulator.create_app(app_spec("RUN"), instances=1)
    body = f"""
from airflow_provider_drove.operators.application import (
    DroveScaleApplicationOperator, DroveDestroyApplicationOperator, DroveCancelOperationOperator,
)
DroveScaleApplicationOperator(task_id="pull_fail", app_id="PULL-1", required_instances=1,
                              max_instance_failures=1, {FAST})
DroveScaleApplicationOperator(task_id="hang", app_id="HANG-1", required_instances=2, max_instance_failures=None,
                              poll_interval=0.2, timeout=2, deferrable=DEFERRABLE)
DroveDestroyApplicationOperator(task_id="destroy_running", app_id="RUN-1", {FAST})
busy = DroveScaleApplicationOperator(task_id="busy", app_id="LOOP-1", required_instances=3, wait_for_idle=False, {FAST})
cancel = DroveCancelOperationOperator(task_id="cancel", app_id="LOOP-1", trigger_rule="all_done", {FAST})
busy >> cancel
DroveCancelOperationOperator(task_id="cancel_idle", app_id="RUN-1", {FAST})
DroveScaleApplicationOperator(task_id="missing", app_id="NOPE-1", required_instances=1, {FAST})
DroveScaleApplicationOperator(task_id="bad_count", app_id="RUN-1", required_instances="{{{{ params.bad }}}}",
                              params={{"bad": "-1"}}, {FAST})
"""
    result = run_dag(dag_source("app_failures", body, deferrable=deferrable), "app_failures")
    errors = errors_file()
    states = result.task_states
    assert states == {
        "pull_fail": "failed",
        "hang": "failed",
        "destroy_running": "failed",
        "busy": "failed",
        "cancel": "success",
        "cancel_idle": "success",
        "missing": "failed",
        "bad_count": "failed",
    }, errors
    # 1. Fails early with Drove's own pull error, and cancels the endless scale (§1.9).
    assert "Error while pulling image docker.io/acme/pull-fail:1" in errors["pull_fail"]
    assert "max_instance_failures=1" in errors["pull_fail"]
    assert "cancelled the running Drove operation" in errors["pull_fail"]
    # 2. Timeout: says what the app looked like, and cancels.
    assert "timed out waiting; at the end: HANG-1 SCALING_REQUESTED: 0/2 healthy" in errors["hang"]
    assert "cancelled the running Drove operation" in errors["hang"]
    # 3. §7.3 rejections explained before anything is sent.
    assert "Cannot destroy RUN-1: it is RUNNING" in errors["destroy_running"]
    assert "suspend_first=True" in errors["destroy_running"]
    assert "another operation is running (SCALING_REQUESTED)" in errors["busy"]
    assert "wait_for_idle=True" in errors["busy"]
    assert "Drove has no app with this id" in errors["missing"]
    assert errors["bad_count"].startswith("required_instances: must be between 0 and 2048")
    # The cancel said so, and the looping app is idle again with the count rolled back (§7.6).
    cancelled = result.dag_run.get_task_instance("cancel").xcom_pull(task_ids="cancel", key="drove_cancelled")
    assert cancelled is True
    idle = result.dag_run.get_task_instance("cancel_idle").xcom_pull(task_ids="cancel_idle", key="drove_cancelled")
    assert idle is False  # nothing was running: said so, nothing sent
    assert (result.xcoms["cancel"]["state"], result.xcoms["cancel"]["requiredInstances"]) == ("MONITORING", 0)
    for app_id in ("PULL-1", "HANG-1"):
        settled = drove_emulator.wait_idle(app_id, timeout=20)
        assert (settled["state"], settled["requiredInstances"]) == ("MONITORING", 0)
    assert app_json(drove_emulator, "RUN-1")["requiredInstances"] == 1  # the bad count sent nothing


RACING_SCALE = '''
from airflow_provider_drove.operators.application import DroveScaleApplicationOperator

class RacingScale(DroveScaleApplicationOperator):
    """Another client's SCALE lands just before ours, so Drove drops ours with a 200 (§7.5)."""

    def _send_payload(self, payload):
        log = os.environ["DROVE_TEST_SUBMITS"]
        first = not os.path.exists(log)
        with open(log, "a") as f:
            f.write(json.dumps(payload) + "\\n")
        if first:
            self.hook.submit_operation({**payload, "requiredInstances": 1})
        return super()._send_payload(payload)
'''


@pytest.mark.parametrize("deferrable", MODES)
def test_dropped_scale_is_resubmitted(run_dag, drove_emulator, errors_file, tmp_path, monkeypatch, deferrable: bool) -> None:
    """A SCALE Drove dropped with a 200 is seen (the count never moved) and sent again once idle."""
    submits = tmp_path / "submits.jsonl"
    monkeypatch.setenv("DROVE_TEST_SUBMITS", str(submits))
    drove_emulator.create_app(app_spec("RACE"))
    body = RACING_SCALE + f"""
RacingScale(task_id="scale", app_id="RACE-1", required_instances=3, {FAST})
"""
    result = run_dag(dag_source("app_dropped_scale", body, deferrable=deferrable), "app_dropped_scale")
    assert result.state == "success", errors_file()
    assert (result.xcoms["scale"]["requiredInstances"], result.xcoms["scale"]["healthyInstances"]) == (3, 3)
    sent = [json.loads(line) for line in submits.read_text().splitlines()]
    assert [p["requiredInstances"] for p in sent] == [3, 3]  # the dropped one, then the resubmission


def test_create_is_idempotent_on_retry(run_dag, drove_emulator, errors_file, tmp_path) -> None:
    """Same spec again: no second CREATE (Drove would answer 400). Different spec: fails saying what differs."""
    spec = app_spec("MADE")
    changed = app_spec("MADE", resources=[{"type": "CPU", "count": 2}, {"type": "MEMORY", "sizeInMB": 128}])
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(app_spec("FROMFILE")))
    (tmp_path / "broken.json").write_text("{not json")
    body = f"""
from airflow_provider_drove.operators.application import (
    DroveApplicationOperationOperator, DroveCreateApplicationOperator,
)
first = DroveCreateApplicationOperator(task_id="first", spec={json.dumps(spec)}, instances=1, {FAST})
again = DroveCreateApplicationOperator(task_id="again", spec={json.dumps(spec)}, instances=1, {FAST})
changed = DroveCreateApplicationOperator(task_id="changed", spec={json.dumps(changed)}, {FAST})
power_create = DroveApplicationOperationOperator(task_id="power_create", trigger_rule="all_done",
    operation={{"type": "CREATE", "spec": {json.dumps(spec)}, "instances": 1}}, {FAST})
first >> again >> changed >> power_create
DroveCreateApplicationOperator(task_id="from_file", spec="{spec_file}", {FAST})
DroveCreateApplicationOperator(task_id="missing_file", spec="{tmp_path / 'nope.json'}", {FAST})
DroveCreateApplicationOperator(task_id="broken_file", spec="{tmp_path / 'broken.json'}", {FAST})
"""
    result = run_dag(dag_source("app_create_retry", body), "app_create_retry")
    errors = errors_file()
    assert result.task_states == {
        "first": "success",
        "again": "success",
        "changed": "failed",
        "power_create": "success",
        "from_file": "success",
        "missing_file": "failed",
        "broken_file": "failed",
    }, errors
    assert result.xcoms["first"] == result.xcoms["again"] == "MADE-1"
    assert result.xcoms["from_file"] == "FROMFILE-1"
    assert "App MADE-1 already exists with a different spec (resources" in errors["changed"]
    assert errors["missing_file"].startswith("spec: spec file") and "does not exist" in errors["missing_file"]
    assert errors["broken_file"].startswith("spec: spec file") and "is not valid JSON" in errors["broken_file"]
    made = app_json(drove_emulator, "MADE-1")
    assert (made["requiredInstances"], made["healthyInstances"]) == (1, 1)


RECORDING_SCALE = '''
from airflow_provider_drove.operators.application import DroveScaleApplicationOperator

class RecordingScale(DroveScaleApplicationOperator):
    """Records the app's state at each pre-check and at the moment the SCALE is sent."""

    def _record(self, what, state):
        with open(os.environ["DROVE_TEST_SUBMITS"], "a") as f:
            f.write(f"{what}:{state}\\n")

    def _decide(self, snapshot):
        self._record("check", snapshot.app.state)
        return super()._decide(snapshot)

    def _send_payload(self, payload):
        self._record("send", self.hook.get_application(payload["appId"]).state)
        return super()._send_payload(payload)
'''


@pytest.mark.parametrize("deferrable", MODES)
def test_waits_for_a_running_operation_first(run_dag, drove_emulator, errors_file, tmp_path, monkeypatch, deferrable: bool) -> None:
    """Another operation is running: the operator waits for the app to be idle, then submits (§7.5)."""
    submits = tmp_path / "states.txt"
    monkeypatch.setenv("DROVE_TEST_SUBMITS", str(submits))
    # Instances take 150 simulated seconds (3 s real) to start: "kick" leaves a scale running.
    drove_emulator.create_app(app_spec("BUSY", env={"DROVE_EMULATOR_STARTUP_SECONDS": "150"}))
    body = RECORDING_SCALE + f"""
kick = DroveScaleApplicationOperator(task_id="kick", app_id="BUSY-1", required_instances=1, wait_for_completion=False)
kick >> RecordingScale(task_id="scale", app_id="BUSY-1", required_instances=2, {FAST})
"""
    result = run_dag(dag_source("app_wait_idle", body, deferrable=deferrable), "app_wait_idle")
    assert result.state == "success", errors_file()
    seen = submits.read_text().split()
    assert seen[0] == "check:SCALING_REQUESTED"  # the kicked-off scale was still running
    assert seen[1:] == ["check:RUNNING", "send:RUNNING"]  # waited, checked again, sent once
    assert (result.xcoms["scale"]["requiredInstances"], result.xcoms["scale"]["healthyInstances"]) == (2, 2)
