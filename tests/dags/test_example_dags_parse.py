"""Every example DAG file parses, is tagged, and talks to Drove through ``drove_default`` only."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "example_dags"
EXPECTED = {
    "example_drove_release.py": {"example_drove_release"},
    "example_drove_capacity_window.py": {"example_drove_capacity_window_up", "example_drove_capacity_window_down"},
    "example_drove_rolling_restart.py": {"example_drove_rolling_restart"},
}


def _dags(file_name: str) -> dict[str, Any]:
    """Import an example file the way a DAG processor does and return its DAGs by id."""
    spec = importlib.util.spec_from_file_location(f"_parse_{file_name[:-3]}", EXAMPLES / file_name)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {v.dag_id: v for v in vars(module).values() if hasattr(v, "dag_id") and hasattr(v, "task_dict")}


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_example_file_parses_without_touching_drove(file_name, monkeypatch):
    # Parsing must not need a connection or a cluster: none is configured here.
    monkeypatch.delenv("AIRFLOW_CONN_DROVE_DEFAULT", raising=False)
    dags = _dags(file_name)

    assert set(dags) == EXPECTED[file_name]
    for dag in dags.values():
        assert {"example", "drove"} <= set(dag.tags)
        drove_tasks = [t for t in dag.tasks if hasattr(t, "drove_conn_id")]
        assert drove_tasks, dag.dag_id
        assert {t.drove_conn_id for t in drove_tasks} == {"drove_default"}


def test_capacity_window_schedules_are_the_documented_crons():
    dags = _dags("example_drove_capacity_window.py")
    # Airflow 2 timetables have ``summary``; Airflow 3's SDK ones keep the ``expression``.
    summary = {
        dag_id: getattr(dag.timetable, "summary", None) or getattr(dag.timetable, "expression", None)
        for dag_id, dag in dags.items()
    }
    assert summary == {
        "example_drove_capacity_window_up": "30 7 * * 1-5",
        "example_drove_capacity_window_down": "0 20 * * 1-5",
    }


def test_release_rollback_branch_runs_only_after_a_failure():
    dag = _dags("example_drove_release.py")["example_drove_release"]
    record = dag.get_task("record_release_failure")
    assert str(getattr(record.trigger_rule, "value", record.trigger_rule)) == "one_failed"
    assert record.upstream_task_ids == {"start_new_instances", "wait_new_healthy"}
    # The old version is touched only once the new one is healthy.
    assert dag.get_task("scale_down_old_version").upstream_task_ids == {"wait_new_healthy"}
