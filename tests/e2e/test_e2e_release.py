"""End to end: the release pipeline on a real scheduler, triggerer and API server.

``dag.test()`` runs triggers inline and skips secrets masking, so it cannot show that the
provider's waits survive being handed to a separate triggerer process, nor that credentials stay
out of the logs Airflow writes. This test runs ``example_drove_release`` the way production does:
LocalExecutor workers through the Execution API, deferred waits on the triggerer, with
``[operators] default_deferrable = True`` and the connection ``drove_default`` (Basic auth with a
random password) pointing at the emulator.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from example_dags.demo import release_spec  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.airflow3, pytest.mark.timeout(300)]

RELEASE_DAG = Path(__file__).resolve().parents[2] / "example_dags" / "example_drove_release.py"
DAG_ID = "example_drove_release"
INSTANCES = 2


def test_release_pipeline_defers_to_the_triggerer_and_switches_versions(e2e_deployment):
    cluster, drove, password = e2e_deployment.cluster, e2e_deployment.drove, e2e_deployment.password
    drove.create_app(release_spec("E2E_APP", "1"), instances=INSTANCES)
    drove.wait_idle("E2E_APP-1")
    cluster.add_dag_file(RELEASE_DAG)
    cluster.wait_dag(DAG_ID)

    # Slow Drove's clock down for the release so new instances take ~10 s to become healthy: the
    # sensor's first poke (it pokes once before deferring) then surely finds them not ready yet.
    drove.control.set_speed(0.5)
    conf = {"app_name": "E2E_APP", "current_version": "1", "new_version": "2", "instances": INSTANCES}
    cluster.trigger(DAG_ID, "release-e2e", conf)
    obs = cluster.wait_run(DAG_ID, "release-e2e", timeout=200)
    print(f"\ne2e release: run finished {obs.state} in {obs.elapsed:.1f}s; states seen: {obs.seen_states}")

    assert obs.state == "success", f"{obs}\n{cluster.diagnostics()}"
    happy = ["check_release", "create_new_version", "start_new_instances", "wait_new_healthy", "scale_down_old_version", "destroy_old_version"]
    assert {t: obs.task_states[t] for t in happy} == dict.fromkeys(happy, "success")
    rollback = ["record_release_failure", "rollback_cancel_new", "rollback_scale_new_to_zero", "rollback_destroy_new", "fail_release"]
    assert {t: obs.task_states[t] for t in rollback} == dict.fromkeys(rollback, "skipped")

    # The waits really went to the triggerer: the audit log shows each deferral and the resume in
    # the same try, and the triggerer wrote a log for the trigger it ran.
    events = cluster.task_events(DAG_ID, "release-e2e")
    deferred = {task for task, event, _ in events if event == "deferred"}
    assert "wait_new_healthy" in deferred, events
    wait_events = [(event, try_number) for task, event, try_number in events if task == "wait_new_healthy"]
    assert wait_events[:2] == [("running", 1), ("deferred", 1)] and wait_events[-1] == ("success", 1), wait_events
    # Every deferral resumed in the same try: nothing was retried.
    assert {try_number for _, _, try_number in events} == {1}
    trigger_logs = [p for p in cluster.trigger_log_files(DAG_ID, "release-e2e") if "task_id=wait_new_healthy" in str(p)]
    assert trigger_logs, cluster.task_log_files(DAG_ID, "release-e2e")
    assert "E2E_APP-2" in trigger_logs[0].read_text()

    # Final state in Drove: N+1 serving every instance, N gone.
    apps = drove_apps(drove.url, ("airflow-e2e", password))
    assert "E2E_APP-1" not in apps
    new = apps["E2E_APP-2"]
    assert (new["state"], new["requiredInstances"], new["healthyInstances"]) == ("RUNNING", INSTANCES, INSTANCES)

    # No credential in anything Airflow wrote: task logs, trigger logs, component output.
    basic = base64.b64encode(f"airflow-e2e:{password}".encode()).decode()
    files = cluster.all_log_files()
    assert any("task_id=wait_new_healthy" in str(p) for p in files)
    leaks = [str(p) for p in files if password in p.read_text(errors="replace") or basic in p.read_text(errors="replace")]
    assert leaks == []
    # ... nor in what Airflow stored: trigger payloads (seen while they existed), XComs, rendered fields.
    assert any("DroveApplicationTrigger" in classpath for classpath, _ in obs.triggers.values()), obs.triggers
    # (stored readable: no Fernet key is configured, so a secret would show here)
    assert any("E2E_APP-" in kwargs for _, kwargs in obs.triggers.values())
    assert not [kwargs for _, kwargs in obs.triggers.values() if password in kwargs or basic in kwargs]
    stored = cluster.query("SELECT value FROM xcom") + cluster.query("SELECT rendered_fields FROM rendered_task_instance_fields")
    assert stored and not [row for row in stored if password in str(row[0]) or basic in str(row[0])]


def drove_apps(url: str, auth: tuple[str, str]) -> dict:
    """Every app's summary straight from the emulator's API (no Airflow involved)."""
    import requests

    response = requests.get(f"{url}/apis/v1/applications", auth=auth, timeout=10)
    response.raise_for_status()
    return response.json()["data"]
