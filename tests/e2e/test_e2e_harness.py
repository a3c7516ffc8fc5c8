"""The end-to-end harness itself: a real scheduler + triggerer run a DAG whose task defers.

This proves, independently of the provider, that the deployment executes tasks through the API
server, hands deferred waits to the triggerer and resumes them, and that the evidence of a deferral
(the audit log's ``deferred`` event and the triggerer's log file) is where the provider's end-to-end
test looks for it.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.airflow3, pytest.mark.timeout(240)]

TRIVIAL_DAG = '''
from __future__ import annotations

import datetime

from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import DAG

with DAG("e2e_harness_defer", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):
    DateTimeSensorAsync(
        task_id="wait_a_little",
        target_time="{{ (dag_run.run_after + macros.timedelta(seconds=8)).isoformat() }}",
    )
'''


def test_deferred_task_runs_on_the_triggerer(e2e_deployment):
    cluster = e2e_deployment.cluster
    cluster.add_dag_file(TRIVIAL_DAG, "e2e_harness_defer.py")
    parse_seconds = cluster.wait_dag("e2e_harness_defer")
    cluster.trigger("e2e_harness_defer", "harness-1")

    obs = cluster.wait_run("e2e_harness_defer", "harness-1", timeout=120)
    print(
        f"\ne2e harness: deployment up in {e2e_deployment.startup_seconds:.1f}s, DAG parsed in {parse_seconds:.1f}s,"
        f" run finished in {obs.elapsed:.1f}s; states seen: {obs.seen_states}"
    )

    assert obs.state == "success", cluster.diagnostics()
    events = [(event, try_number) for task, event, try_number in cluster.task_events("e2e_harness_defer", "harness-1")]
    # Deferred once, resumed in the same try after the trigger fired.
    assert events == [("running", 1), ("deferred", 1), ("running", 1), ("success", 1)]
    trigger_logs = cluster.trigger_log_files("e2e_harness_defer", "harness-1")
    assert trigger_logs, "the triggerer wrote no log for the deferred task"
    assert "Trigger fired event" in trigger_logs[0].read_text()
