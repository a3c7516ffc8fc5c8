"""Scheduled capacity windows: more instances in business hours, fewer outside them.

Two DAGs share one definition of the window:

- ``example_drove_capacity_window_up`` runs before business hours (``SCALE_UP_SCHEDULE``), scales the
  app to ``peak_instances`` and waits, deferred, until every instance is healthy. A scale-up whose
  instances keep failing (a bad image, a full cluster) fails the run early with Drove's error text.
- ``example_drove_capacity_window_down`` runs after business hours (``SCALE_DOWN_SCHEDULE``) and
  scales the app down to ``off_peak_instances``.

The counts and the app are DAG params (override them per run, e.g. for a campaign day); the times
are the cron expressions below, because Airflow fixes a DAG's schedule when it parses the file.
Scaling to the count the app already has is harmless, so a run that is retried or triggered by
hand in the middle of a window does nothing surprising.

Uses the connection ``drove_default`` and runs unchanged against a real cluster.
"""

from __future__ import annotations

import datetime
import os

from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_drove.operators.application import DroveScaleApplicationOperator
from airflow_provider_drove.sensors.application import DroveApplicationHealthySensor

#: How often waits poll Drove, in seconds. 5-10 s suits a real cluster; tests and ``make demo``
#: (fast emulator) set DROVE_EXAMPLES_POLL_INTERVAL lower.
POLL_INTERVAL = float(os.environ.get("DROVE_EXAMPLES_POLL_INTERVAL", "5"))

#: Business hours, Monday to Friday: scale up at 07:30 and down at 20:00 (the DAG's timezone, UTC).
SCALE_UP_SCHEDULE = "30 7 * * 1-5"
SCALE_DOWN_SCHEDULE = "0 20 * * 1-5"

COMMON_PARAMS = {
    "app_id": Param("DEMO_APP-1", type="string", minLength=1, description="Drove app id (name-version)"),
    "peak_instances": Param(4, type="integer", minimum=1, maximum=2048, description="instances in business hours"),
    "off_peak_instances": Param(1, type="integer", minimum=0, maximum=2048, description="instances outside them"),
}
#: What both DAGs of the window share: the app and counts as params, a retry after two minutes.
WINDOW_DAG_ARGS = {
    "start_date": datetime.datetime(2024, 1, 1),
    "catchup": False,
    "max_active_runs": 1,
    "default_args": {"retries": 1, "retry_delay": datetime.timedelta(minutes=2)},
    "params": COMMON_PARAMS,
    "tags": ["drove", "example"],
    "doc_md": __doc__,
}

with DAG(
    dag_id="example_drove_capacity_window_up",
    description="Scale up before business hours and wait until healthy",
    schedule=SCALE_UP_SCHEDULE,
    **WINDOW_DAG_ARGS,
) as scale_up_dag:
    scale_up = DroveScaleApplicationOperator(
        task_id="scale_up",
        app_id="{{ params.app_id }}",
        required_instances="{{ params.peak_instances }}",
        # The sensor below does the waiting, deferred; this task only starts the scale-up.
        wait_for_completion=False,
        poll_interval=POLL_INTERVAL,
    )
    wait_healthy = DroveApplicationHealthySensor(
        task_id="wait_healthy",
        app_id="{{ params.app_id }}",
        deferrable=True,
        poke_interval=POLL_INTERVAL,
        timeout=datetime.timedelta(minutes=30).total_seconds(),
    )
    scale_up >> wait_healthy

with DAG(
    dag_id="example_drove_capacity_window_down",
    description="Scale down after business hours",
    schedule=SCALE_DOWN_SCHEDULE,
    **WINDOW_DAG_ARGS,
) as scale_down_dag:
    DroveScaleApplicationOperator(
        task_id="scale_down",
        app_id="{{ params.app_id }}",
        required_instances="{{ params.off_peak_instances }}",
        poll_interval=POLL_INTERVAL,
    )
