"""Migrate, then scale up: a one-off Drove task gates a scale-up.

::

    migrate_database >> scale_up

1. ``migrate_database`` runs the migration image once, as a Drove task of the app
   (``sourceAppName`` is the app's name, so the task survives a controller failover,
   drove-api.md §8). Its output appears line by line in this task's log. A non-zero exit fails
   the run with the exit code and Drove's error message, and the app is not scaled. A migration
   still running after ``migration_timeout_minutes`` is killed. Each try gets its own Drove task
   id (derived from DAG, task, run and try number), so an Airflow retry never collides with the
   record of a failed try.
2. ``scale_up`` scales ``<app_name>-<app_version>`` to ``instances`` and waits until exactly that
   many instances are healthy.

Uses the connection ``drove_default`` and runs unchanged against a real cluster: set the params
(or the defaults below) to your app, migration image and counts. The app must exist.
"""

from __future__ import annotations

import datetime
import os

from airflow.providers.common.compat.sdk import DAG, Param

from airflow_provider_drove.operators.application import DroveScaleApplicationOperator
from airflow_provider_drove.operators.task import DroveRunTaskOperator

DAG_ID = "example_drove_task"
#: How often waits poll Drove, in seconds. 5-10 s suits a real cluster; tests and ``make demo``
#: (fast emulator) set DROVE_EXAMPLES_POLL_INTERVAL lower.
POLL_INTERVAL = float(os.environ.get("DROVE_EXAMPLES_POLL_INTERVAL", "5"))

with DAG(
    dag_id=DAG_ID,
    description="Run a database migration as a Drove task, then scale the app up",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    tags=["drove", "example"],
    params={
        "app_name": Param("DEMO_APP", type="string", pattern=r"^[a-zA-Z\d\-_]+$", description="Drove app name"),
        "app_version": Param("1", type="string", description="the app version to scale"),
        "migration_image": Param("ghcr.io/appform-io/test-task", type="string", description="image of the migration"),
        "migration_command": Param("", type="string", description="command line for the image ('' keeps its CMD)"),
        "migration_iterations": Param("3", type="string", description="ITERATIONS env of the sample test-task image"),
        "migration_cpus": Param(1, type="integer", minimum=1),
        "migration_memory_mb": Param(256, type="integer", minimum=1),
        "migration_timeout_minutes": Param(30, type="integer", minimum=1),
        "instances": Param(2, type="integer", minimum=0, maximum=2048, description="instances after the migration"),
    },
    doc_md=__doc__,
) as dag:
    migrate_database = DroveRunTaskOperator(
        task_id="migrate_database",
        source_app_name="{{ params.app_name }}",
        image="{{ params.migration_image }}",
        args="{{ params.migration_command }}",
        env={"ITERATIONS": "{{ params.migration_iterations }}", "APP_VERSION": "{{ params.app_version }}"},
        cpus="{{ params.migration_cpus }}",
        memory_mb="{{ params.migration_memory_mb }}",
        timeout="{{ params.migration_timeout_minutes * 60 }}",
        poll_interval=POLL_INTERVAL,
    )

    scale_up = DroveScaleApplicationOperator(
        task_id="scale_up",
        app_id="{{ params.app_name }}-{{ params.app_version }}",
        required_instances="{{ params.instances }}",
        poll_interval=POLL_INTERVAL,
        timeout=1800,
    )

    migrate_database >> scale_up
