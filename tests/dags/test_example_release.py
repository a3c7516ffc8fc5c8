"""example_drove_release runs green against the emulator: the switch-over and the roll-back.

Real Airflow runs (``dag.test()`` through the ``run_dag`` fixture) of the unchanged example file,
with the connection ``drove_default`` pointing at the emulator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from example_dags.demo import BAD_IMAGE, release_spec  # noqa: E402

pytestmark = pytest.mark.timeout(240)

DAG_FILE = REPO_ROOT / "example_dags" / "example_drove_release.py"
DAG_ID = "example_drove_release"
HAPPY = ["check_release", "create_new_version", "start_new_instances", "wait_new_healthy", "scale_down_old_version", "destroy_old_version"]
ROLLBACK = ["record_release_failure", "rollback_cancel_new", "rollback_scale_new_to_zero", "rollback_destroy_new"]


@pytest.fixture
def serving_v1(drove_emulator, drove_connection, monkeypatch):
    """Version N (DEMO_APP-1) serving 2 instances; the example DAGs poll fast."""
    monkeypatch.setenv("DROVE_EXAMPLES_POLL_INTERVAL", "0.2")
    drove_emulator.create_app(release_spec("DEMO_APP", "1"), instances=2)
    drove_emulator.wait_idle("DEMO_APP-1")
    return drove_emulator


def _apps() -> dict:
    from airflow_provider_drove.hooks.drove import DroveHook

    return {
        app_id: (str(getattr(a.state, "value", a.state)), a.required_instances, a.healthy_instances)
        for app_id, a in DroveHook().list_applications().items()
    }


def test_release_switches_from_v1_to_v2(run_dag, serving_v1):
    result = run_dag(DAG_FILE, DAG_ID, conf={"new_version": "2", "instances": 2})

    assert result.state == "success", result.task_states
    assert {t: result.task_states[t] for t in HAPPY} == dict.fromkeys(HAPPY, "success")
    assert {t: result.task_states[t] for t in [*ROLLBACK, "fail_release"]} == dict.fromkeys(
        [*ROLLBACK, "fail_release"], "skipped"
    )
    assert result.xcoms["create_new_version"] == "DEMO_APP-2"
    assert _apps() == {"DEMO_APP-2": ("RUNNING", 2, 2)}


def test_release_that_cannot_pull_rolls_back_and_fails_with_drove_error(run_dag, serving_v1):
    image, tag = BAD_IMAGE
    result = run_dag(DAG_FILE, DAG_ID, conf={"new_version": "2", "image": image, "image_tag": tag, "instances": 2})

    assert result.state == "failed"
    assert result.task_states["wait_new_healthy"] == "failed"
    assert {t: result.task_states[t] for t in ROLLBACK} == dict.fromkeys(ROLLBACK, "success")
    assert result.task_states["fail_release"] == "failed"
    # Version N was never touched...
    assert result.task_states["scale_down_old_version"] == "upstream_failed"
    assert result.task_states["destroy_old_version"] == "upstream_failed"
    assert _apps() == {"DEMO_APP-1": ("RUNNING", 2, 2)}
    # ... and the run carries Drove's own pull error for N+1.
    drove_error = result.xcoms["record_release_failure"]
    assert "Error while pulling image" in drove_error and f"{image}:{tag}" in drove_error


def test_release_never_touches_an_app_it_did_not_create(run_dag, serving_v1):
    # Someone already runs DEMO_APP-2 with another image: CREATE must fail, and the roll-back must
    # not cancel, scale or destroy that app.
    serving_v1.create_app(release_spec("DEMO_APP", "2", ("ghcr.io/appform-io/perf-test-server-httplib", "other")), instances=1)

    result = run_dag(DAG_FILE, DAG_ID, conf={"new_version": "2", "instances": 2})

    assert result.state == "failed"
    assert result.task_states["check_release"] == "success"
    assert result.task_states["create_new_version"] == "failed"
    assert {t: result.task_states[t] for t in [*ROLLBACK, "fail_release"]} == dict.fromkeys(
        [*ROLLBACK, "fail_release"], "skipped"
    )
    assert _apps() == {"DEMO_APP-1": ("RUNNING", 2, 2), "DEMO_APP-2": ("RUNNING", 1, 1)}


def test_release_to_the_same_version_is_refused_before_any_change(run_dag, serving_v1):
    result = run_dag(DAG_FILE, DAG_ID, conf={"new_version": "1"})

    assert result.state == "failed"
    assert result.task_states["check_release"] == "failed"
    assert result.task_states["create_new_version"] == "upstream_failed"
    assert result.task_states["record_release_failure"] == "skipped"
    assert _apps() == {"DEMO_APP-1": ("RUNNING", 2, 2)}
