"""example_drove_capacity_window: the scale-up and scale-down DAGs of a business-hours window."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from example_dags.demo import release_spec  # noqa: E402

pytestmark = pytest.mark.timeout(180)

DAG_FILE = REPO_ROOT / "example_dags" / "example_drove_capacity_window.py"


def _counts(app_id: str) -> tuple[str, int, int]:
    from airflow_provider_drove.hooks.drove import DroveHook

    app = DroveHook().get_application(app_id)
    return str(getattr(app.state, "value", app.state)), app.required_instances, app.healthy_instances


def test_window_scales_up_then_down(run_dag, drove_emulator, drove_connection, monkeypatch):
    monkeypatch.setenv("DROVE_EXAMPLES_POLL_INTERVAL", "0.2")
    drove_emulator.create_app(release_spec("SHOP", "7"), instances=1)
    drove_emulator.wait_idle("SHOP-7")
    params = {"app_id": "SHOP-7", "peak_instances": 3, "off_peak_instances": 1}

    up = run_dag(DAG_FILE, "example_drove_capacity_window_up", conf=params)
    assert up.state == "success", up.task_states
    assert up.task_states == {"scale_up": "success", "wait_healthy": "success"}
    assert _counts("SHOP-7") == ("RUNNING", 3, 3)

    down = run_dag(DAG_FILE, "example_drove_capacity_window_down", conf=params)
    assert down.state == "success", down.task_states
    assert _counts("SHOP-7") == ("RUNNING", 1, 1)


def test_window_up_fails_with_drove_error_when_instances_cannot_start(run_dag, drove_emulator, drove_connection, monkeypatch):
    monkeypatch.setenv("DROVE_EXAMPLES_POLL_INTERVAL", "0.2")
    # An app whose image the emulator cannot pull: the scale-up can never become healthy.
    drove_emulator.create_app(release_spec("BROKEN", "1", ("registry.example/broken-pull-fail", "1")), instances=0)
    drove_emulator.wait_idle("BROKEN-1")

    # The example retries a failed window after 2 minutes; the same file without the retry here.
    source = DAG_FILE.read_text()
    assert '{"retries": 1,' in source
    source = source.replace('{"retries": 1,', '{"retries": 0,')
    result = run_dag(source, "example_drove_capacity_window_up", conf={"app_id": "BROKEN-1", "peak_instances": 2})

    assert result.state == "failed"
    assert result.task_states["wait_healthy"] == "failed"
