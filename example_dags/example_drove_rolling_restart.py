"""Rolling restart: replace every instance of an app and confirm the new ones are healthy.

``replace_instances`` sends Drove's REPLACE_INSTANCES for all healthy instances (drove-api.md §7.4:
each one is replaced by a fresh instance, started before the old one stops unless ``stop_first``)
and waits until every instance that was healthy when it started has been replaced and the count is
back. ``confirm_healthy`` then checks, deferred, that the app is idle with all its instances
healthy, which catches a replacement that came up and fell over again.

Uses the connection ``drove_default`` and runs unchanged against a real cluster.
"""

from __future__ import annotations

import datetime
import os

from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_drove.operators.application import DroveReplaceInstancesOperator
from airflow_provider_drove.sensors.application import DroveApplicationHealthySensor

#: How often waits poll Drove, in seconds. 5-10 s suits a real cluster; tests and ``make demo``
#: (fast emulator) set DROVE_EXAMPLES_POLL_INTERVAL lower.
POLL_INTERVAL = float(os.environ.get("DROVE_EXAMPLES_POLL_INTERVAL", "5"))

with DAG(
    dag_id="example_drove_rolling_restart",
    description="Replace all instances of an app and confirm they are healthy",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    params={
        "app_id": Param("DEMO_APP-1", type="string", minLength=1, description="Drove app id (name-version)"),
        "parallelism": Param(1, type="integer", minimum=1, maximum=512, description="instances replaced at once"),
    },
    tags=["drove", "example"],
    doc_md=__doc__,
) as dag:
    replace = DroveReplaceInstancesOperator(
        task_id="replace_instances",
        app_id="{{ params.app_id }}",
        parallelism="{{ params.parallelism }}",
        poll_interval=POLL_INTERVAL,
    )
    confirm = DroveApplicationHealthySensor(
        task_id="confirm_healthy",
        app_id="{{ params.app_id }}",
        deferrable=True,
        poke_interval=POLL_INTERVAL,
        timeout=datetime.timedelta(minutes=10).total_seconds(),
    )
    replace >> confirm
