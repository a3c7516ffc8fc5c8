"""example_drove_rolling_restart replaces every instance and confirms they are healthy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from example_dags.demo import release_spec  # noqa: E402

pytestmark = pytest.mark.timeout(180)

DAG_FILE = REPO_ROOT / "example_dags" / "example_drove_rolling_restart.py"


def _instances(app_id: str) -> dict[str, str]:
    from airflow_provider_drove.hooks.drove import DroveHook

    return {i.instance_id: str(getattr(i.state, "value", i.state)) for i in DroveHook().list_instances(app_id)}


def test_rolling_restart_replaces_every_instance(run_dag, drove_emulator, drove_connection, monkeypatch):
    monkeypatch.setenv("DROVE_EXAMPLES_POLL_INTERVAL", "0.2")
    drove_emulator.create_app(release_spec("DEMO_APP", "1"), instances=3)
    drove_emulator.wait_idle("DEMO_APP-1")
    before = _instances("DEMO_APP-1")
    assert len(before) == 3

    result = run_dag(DAG_FILE, "example_drove_rolling_restart", conf={"app_id": "DEMO_APP-1", "parallelism": 2})

    assert result.state == "success", result.task_states
    assert result.task_states == {"replace_instances": "success", "confirm_healthy": "success"}
    after = _instances("DEMO_APP-1")
    assert set(after.values()) == {"HEALTHY"} and len(after) == 3
    assert not set(after) & set(before), "some instances were not replaced"
