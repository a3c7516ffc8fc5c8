"""Release pipeline: deploy version N+1 of an app next to version N, switch over, or roll back.

Happy path::

    check_release >> create_new_version >> start_new_instances >> wait_new_healthy
        >> scale_down_old_version >> destroy_old_version

1. ``check_release`` refuses a release whose new version equals the current one, or whose
   version N does not exist, before anything changes.
2. ``create_new_version`` creates ``<app_name>-<new_version>`` from the spec template below (image,
   tag, version and sizes come from the run's params) with 0 instances; a retry of this task with
   the same spec is a no-op.
3. ``start_new_instances`` scales it to ``instances`` without waiting ...
4. ... and ``wait_new_healthy`` waits, deferred to the triggerer, until every instance is healthy.
   It fails early with Drove's own error text when the new instances keep failing (for example an
   image that cannot be pulled), instead of running out its timeout.
5. Only then is version N scaled to zero and destroyed.

Roll-back path (runs only when starting or waiting for N+1 failed)::

    record_release_failure >> rollback_cancel_new >> rollback_scale_new_to_zero
        >> rollback_destroy_new >> fail_release

It runs only when this run created N+1 (an app it did not create is never touched). It keeps
Drove's error message, cancels the operation that is still retrying N+1 (Drove never gives up on
a scale by itself, drove-api.md §7.4), scales N+1 to zero, destroys it, and fails the run with
Drove's error text. Version N was never touched, so it keeps serving.

Uses the connection ``drove_default`` and runs unchanged against a real cluster: set the params
(or the defaults below) to your app, image and sizes. The starting version N must exist and run.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

from airflow.providers.common.compat.sdk import DAG, AirflowFailException, Param, TriggerRule, task

from airflow_provider_drove.operators.application import (
    DroveCancelOperationOperator,
    DroveCreateApplicationOperator,
    DroveDestroyApplicationOperator,
    DroveScaleApplicationOperator,
)
from airflow_provider_drove.sensors.application import DroveApplicationHealthySensor

DAG_ID = "example_drove_release"
#: How often waits poll Drove, in seconds. 5-10 s suits a real cluster; tests and ``make demo``
#: (fast emulator) set DROVE_EXAMPLES_POLL_INTERVAL lower.
POLL_INTERVAL = float(os.environ.get("DROVE_EXAMPLES_POLL_INTERVAL", "5"))
NEW_APP_ID = "{{ params.app_name }}-{{ params.new_version }}"
OLD_APP_ID = "{{ params.app_name }}-{{ params.current_version }}"

#: The application spec (drove-api.md §10.1) with the release's variables as Jinja templates.
#: Counts stay out of it: the app is created with 0 instances and scaled by the next task.
SPEC_TEMPLATE: dict[str, Any] = {
    "name": "{{ params.app_name }}",
    "version": "{{ params.new_version }}",
    "type": "SERVICE",
    "executable": {
        "type": "DOCKER",
        "url": "{{ params.image }}:{{ params.image_tag }}",
        "dockerPullTimeout": "100 seconds",
    },
    "exposedPorts": [{"name": "main", "port": 8000, "type": "HTTP"}],
    "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}],
    "placementPolicy": {"type": "ANY"},
    "healthcheck": {
        "mode": {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET", "successCodes": [200]},
        "timeout": "1 second",
        "interval": "5 seconds",
        "attempts": 3,
        "initialDelay": "0 seconds",
    },
    "readiness": {
        "mode": {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET", "successCodes": [200]},
        "timeout": "1 second",
        "interval": "3 seconds",
        "attempts": 3,
        "initialDelay": "0 seconds",
    },
    "tags": {"release": "{{ params.new_version }}", "released-by": "airflow"},
}

with DAG(
    dag_id=DAG_ID,
    description="Deploy version N+1 next to N, switch over when healthy, roll back when not",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["drove", "example"],
    params={
        "app_name": Param("DEMO_APP", type="string", pattern=r"^[a-zA-Z\d\-_]+$", description="Drove app name"),
        "current_version": Param("1", type="string", description="version N, serving now"),
        "new_version": Param("2", type="string", description="version N+1 to release"),
        "image": Param("ghcr.io/appform-io/perf-test-server-httplib", type="string"),
        "image_tag": Param("latest", type="string"),
        "instances": Param(2, type="integer", minimum=1, maximum=2048, description="instances of N+1"),
    },
    doc_md=__doc__,
) as dag:
    create_new = DroveCreateApplicationOperator(
        task_id="create_new_version", spec=SPEC_TEMPLATE, instances=0, poll_interval=POLL_INTERVAL
    )
    start_new = DroveScaleApplicationOperator(
        task_id="start_new_instances",
        app_id=NEW_APP_ID,
        required_instances="{{ params.instances }}",
        wait_for_completion=False,
        poll_interval=POLL_INTERVAL,
    )
    wait_new = DroveApplicationHealthySensor(
        task_id="wait_new_healthy",
        app_id=NEW_APP_ID,
        deferrable=True,
        poke_interval=POLL_INTERVAL,
        timeout=datetime.timedelta(minutes=20).total_seconds(),
    )
    scale_down_old = DroveScaleApplicationOperator(
        task_id="scale_down_old_version", app_id=OLD_APP_ID, required_instances=0, poll_interval=POLL_INTERVAL
    )
    destroy_old = DroveDestroyApplicationOperator(
        task_id="destroy_old_version", app_id=OLD_APP_ID, poll_interval=POLL_INTERVAL
    )

    @task
    def check_release(app_name: str, current_version: str, new_version: str) -> str:
        """Refuse a release that would replace version N by itself, or whose version N is missing."""
        from airflow_provider_drove.hooks.drove import DroveHook

        if new_version == current_version:
            raise AirflowFailException(f"new_version {new_version!r} equals current_version: nothing to release")
        # DroveNotFoundError ("App ... not found") fails the run before anything is changed.
        old = DroveHook().get_application(f"{app_name}-{current_version}")
        return f"{app_name}-{current_version} is {old.state}, {old.healthy_instances}/{old.required_instances} healthy"

    checked = check_release("{{ params.app_name }}", "{{ params.current_version }}", "{{ params.new_version }}")
    checked >> create_new >> start_new >> wait_new >> scale_down_old >> destroy_old

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def record_release_failure(app_id: str) -> str:
        """Keep Drove's own words for why N+1 failed, before its instances are destroyed.

        ONE_FAILED also fires when an upstream was only *upstream_failed* (the checks or the
        creation failed). Then this run created nothing, and an app it did not create (say, an
        N+1 that already exists with another spec) must never be rolled back: skip the branch.
        """
        from airflow.providers.common.compat.sdk import AirflowSkipException, get_current_context

        from airflow_provider_drove.hooks.drove import DroveHook

        if get_current_context()["ti"].xcom_pull(task_ids="create_new_version") is None:
            raise AirflowSkipException(f"{app_id} was not created by this run: nothing to roll back")
        errors = [i.error_message for i in DroveHook().list_old_instances(app_id) if i.error_message]
        # Newest last: the most recent failure is the one worth quoting.
        return errors[-1] if errors else "no instance error recorded by Drove (the wait timed out)"

    # NONE_SKIPPED: run after the failure was recorded (even if recording it failed), never on the
    # happy path where the roll-back branch is skipped.
    rollback_cancel = DroveCancelOperationOperator(
        task_id="rollback_cancel_new",
        app_id=NEW_APP_ID,
        poll_interval=POLL_INTERVAL,
        trigger_rule=TriggerRule.NONE_SKIPPED,
    )
    rollback_scale = DroveScaleApplicationOperator(
        task_id="rollback_scale_new_to_zero",
        app_id=NEW_APP_ID,
        required_instances=0,
        poll_interval=POLL_INTERVAL,
        trigger_rule=TriggerRule.NONE_SKIPPED,
    )
    rollback_destroy = DroveDestroyApplicationOperator(
        task_id="rollback_destroy_new",
        app_id=NEW_APP_ID,
        poll_interval=POLL_INTERVAL,
        trigger_rule=TriggerRule.NONE_SKIPPED,
    )

    @task(trigger_rule=TriggerRule.NONE_SKIPPED)
    def fail_release(drove_error: str, new_app_id: str, old_app_id: str) -> None:
        """End the run failed, with Drove's error text, once N+1 is gone and N still serves."""
        raise AirflowFailException(
            f"Release of {new_app_id} rolled back; {old_app_id} keeps serving. Drove reported: {drove_error}"
        )

    failure = record_release_failure(NEW_APP_ID)
    [start_new, wait_new] >> failure
    failure >> rollback_cancel >> rollback_scale >> rollback_destroy
    rollback_destroy >> fail_release(failure, NEW_APP_ID, OLD_APP_ID)
