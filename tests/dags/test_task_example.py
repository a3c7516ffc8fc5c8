"""example_drove_task runs green against the emulator, and a failing migration keeps the app as it was.

Real Airflow runs (``dag.test()`` through the ``run_dag`` fixture) of the unchanged example file,
with the connection ``drove_default`` pointing at the emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_drove.hooks.drove import DroveHook
from airflow_provider_drove.testing.samples import sample_app_spec

DAG_FILE = Path(__file__).resolve().parents[2] / "example_dags" / "example_drove_task.py"
DAG_ID = "example_drove_task"

@pytest.fixture
def demo_app(drove_emulator: Any, drove_connection: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """DEMO_APP-1 serving one instance; the example polls fast."""
    monkeypatch.setenv("DROVE_EXAMPLES_POLL_INTERVAL", "0.2")
    drove_emulator.create_app(sample_app_spec("DEMO_APP"), instances=1)
    return drove_emulator


def counts() -> tuple[int, int]:
    app = DroveHook().get_application("DEMO_APP-1")
    return app.required_instances, app.healthy_instances


def test_migration_then_scale_up(run_dag: Any, demo_app: Any, capfd: pytest.CaptureFixture[str]) -> None:
    result = run_dag(DAG_FILE, DAG_ID, conf={"instances": 3})
    out, err = capfd.readouterr()
    assert result.state == "success", result.task_states
    assert result.task_states == {"migrate_database": "success", "scale_up": "success"}
    migration = result.xcoms["migrate_database"]
    assert (migration["source_app_name"], migration["state"], migration["result"]) == ("DEMO_APP", "STOPPED", "SUCCESSFUL")
    assert f"[drove DEMO_APP/{migration['task_id']}]" in out + err  # the migration's output is in the task log
    assert counts() == (3, 3)


def test_failed_migration_leaves_the_app_alone(run_dag: Any, demo_app: Any, capfd: pytest.CaptureFixture[str]) -> None:
    # the emulator fails the pull of an image whose name says "pull-fail" (as a real bad image would)
    result = run_dag(DAG_FILE, DAG_ID, conf={"instances": 3, "migration_image": "ghcr.io/acme/migrate:pull-fail"})
    out, err = capfd.readouterr()
    assert result.state == "failed"
    assert result.task_states == {"migrate_database": "failed", "scale_up": "upstream_failed"}
    assert "stopped without a result (the image could not be pulled" in out + err
    assert counts() == (1, 1)
