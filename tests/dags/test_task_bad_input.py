"""Bad input to DroveRunTaskOperator fails with DroveInputError naming the field, before any request.

The emulator is armed to fail every API request it gets; ``faults_fired`` staying at zero proves
no request was sent, and the operator's hook was never even built.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest

from airflow_provider_drove.exceptions import DroveInputError
from airflow_provider_drove.operators.task import DroveRunTaskOperator, check_drove_id, derive_drove_task_id
from airflow_provider_drove.testing.samples import sample_task_spec

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG

GOOD_SPEC: dict[str, Any] = sample_task_spec("T1")


def spec_without(key: str) -> dict[str, Any]:
    return {k: v for k, v in GOOD_SPEC.items() if k != key}


SHORT = {"source_app_name": "TEST_APP", "image": "ghcr.io/appform-io/test-task"}

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("no image", {"source_app_name": "TEST_APP"}, "image", "is required when no task_spec is given"),
    ("empty image", {**SHORT, "image": ""}, "image", "must name a Docker image"),
    ("image with spaces", {**SHORT, "image": "ghcr.io/x/y latest"}, "image", "is not a Docker image reference"),
    ("image with scheme", {**SHORT, "image": "https://ghcr.io/x/y"}, "image", "is not a Docker image reference"),
    ("zero cpus", {**SHORT, "cpus": 0}, "cpus", "must be a whole number of at least 1, got 0"),
    ("cpus not a number", {**SHORT, "cpus": "two"}, "cpus", "must be a whole number of at least 1"),
    ("negative memory", {**SHORT, "memory_mb": -1}, "memory_mb", "must be a whole number of at least 1, got -1"),
    ("bad pull timeout", {**SHORT, "docker_pull_timeout": "1.5s"}, "spec.executable.dockerPullTimeout", ""),
    ("bad task id", {**SHORT, "drove_task_id": "bad id!"}, "drove_task_id", "may contain only letters, digits, '-' and '_'"),
    ("bad source app", {**SHORT, "source_app_name": "my app"}, "source_app_name", "may contain only letters"),
    ("no source app", {"image": "ghcr.io/x/y"}, "source_app_name", "is required"),
    ("unsplittable args", {**SHORT, "args": "echo 'unbalanced"}, "args", "cannot be split like a shell command line"),
    ("args not strings", {**SHORT, "args": [{"a": 1}]}, "args", "must be a list of strings"),
    ("env not a dict", {**SHORT, "env": ["A=1"]}, "env", "must be a dict"),
    ("spec and short form", {"task_spec": GOOD_SPEC, "image": "x"}, "image", "give either task_spec or the short form"),
    ("spec without executable", {"task_spec": spec_without("executable")}, "task_spec.executable", ""),
    ("spec without placement", {"task_spec": spec_without("placementPolicy")}, "task_spec.placementPolicy", "HTTP 500"),
    (
        "spec with zero cpus",
        {"task_spec": {**GOOD_SPEC, "resources": [{"type": "CPU", "count": 0}, {"type": "MEMORY", "sizeInMB": 1}]}},
        "task_spec.resources[0].count",
        "at least 1",
    ),
    (
        "spec with zero memory",
        {"task_spec": {**GOOD_SPEC, "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 0}]}},
        "task_spec.resources[1].sizeInMB",
        "at least 1, got 0",
    ),
    (
        "spec image with spaces",
        {"task_spec": {**GOOD_SPEC, "executable": {**GOOD_SPEC["executable"], "url": "ghcr.io/x/y latest"}}},
        "task_spec.executable.url",
        "is not a Docker image reference",
    ),
    ("spec with bad id", {"task_spec": {**GOOD_SPEC, "taskId": "a/b"}}, "task_spec.taskId", ""),
    ("spec not json", {"task_spec": "{not json"}, "task_spec", "is not valid JSON"),
    ("spec file missing", {"task_spec": "/nonexistent/task.json"}, "task_spec", "neither a TaskSpec JSON object nor an existing file"),
    ("bad op spec", {**SHORT, "op_spec": {"timeout": "5m", "parallelism": 0}}, "op_spec.parallelism", ""),
    ("bad timeout", {**SHORT, "timeout": -5}, "timeout", "must be positive seconds"),
]


@pytest.mark.parametrize(("kwargs", "field", "phrase"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_bad_input_fails_before_any_request(
    drove_emulator: Any, drove_connection: str, kwargs: dict[str, Any], field: str, phrase: str
) -> None:
    drove_emulator.control.inject_faults(status=500, count=1000)
    with DAG("bad_input", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        op = DroveRunTaskOperator(task_id="run", **kwargs)
    context = {"ti": SimpleNamespace(try_number=1, map_index=-1), "run_id": "manual__x"}
    with pytest.raises(DroveInputError) as raised:
        op.execute(context)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert phrase in raised.value.problem
    assert "hook" not in vars(op)  # the hook was never built ...
    assert sum(drove_emulator.control.faults_fired.values()) == 0  # ... and Drove saw no request


def test_bad_input_fails_the_airflow_task_with_the_field_named(
    run_dag: Any, drove_emulator: Any, drove_connection: str, capfd: pytest.CaptureFixture[str]
) -> None:
    drove_emulator.control.inject_faults(status=500, count=1000)
    source = """
import pendulum
from airflow_provider_drove.operators.task import DroveRunTaskOperator
try:
    from airflow.sdk import DAG
except ImportError:
    from airflow import DAG
with DAG("task_bad_input", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False, params={"mem": "lots"}) as dag:
    DroveRunTaskOperator(task_id="run", source_app_name="TEST_APP", image="ghcr.io/x/y", memory_mb="{{ params.mem }}")
"""
    result = run_dag(source, "task_bad_input")
    out, err = capfd.readouterr()
    assert result.task_states["run"] == "failed"
    assert "DroveInputError: memory_mb: must be a whole number of at least 1, got 'lots'" in out + err
    assert sum(drove_emulator.control.faults_fired.values()) == 0


def test_templated_numbers_are_accepted(drove_connection: str) -> None:
    with DAG("numbers", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        op = DroveRunTaskOperator(task_id="run", **SHORT, cpus="2", memory_mb=" 256 ", args="migrate --to 'v 2'")
    spec, _ = op._prepare({"ti": SimpleNamespace(try_number=3, map_index=-1), "run_id": "r1"})  # type: ignore[arg-type]
    wire = spec.to_wire()
    assert wire["resources"] == [{"type": "CPU", "count": 2}, {"type": "MEMORY", "sizeInMB": 256}]
    assert wire["args"] == ["migrate", "--to", "v 2"]
    assert wire["placementPolicy"] == {"type": "ANY"}
    assert wire["executable"] == {"type": "DOCKER", "url": "ghcr.io/appform-io/test-task", "dockerPullTimeout": "100 seconds"}
    assert wire["taskId"] == derive_drove_task_id("numbers", "run", "r1", 3)


@pytest.mark.parametrize(
    ("dag_id", "task_id", "run_id", "try_number", "map_index"),
    [
        ("example_drove_task", "migrate", "manual__2026-12-04T20:26:58.123456+00:00", 1, -1),
        ("d" * 200, "t" * 200, "scheduled__" + "9" * 200, 12, 7),
        ("dag.with.dots", "group.task", "run id with spaces é", 2, -1),
    ],
)
def test_derived_ids_are_valid_short_and_fresh_per_try(
    dag_id: str, task_id: str, run_id: str, try_number: int, map_index: int
) -> None:
    derived = derive_drove_task_id(dag_id, task_id, run_id, try_number, map_index)
    assert check_drove_id(derived, "id") == derived
    assert len(derived) <= 100
    assert derived.endswith(f"-try{try_number}")
    assert derived != derive_drove_task_id(dag_id, task_id, run_id, try_number + 1, map_index)
    assert derived != derive_drove_task_id(dag_id, task_id, run_id + "x", try_number, map_index)
    assert derived != derive_drove_task_id(dag_id, task_id, run_id, try_number, map_index + 1)


def test_sanitising_does_not_merge_ids() -> None:
    # "a.b" and "a_b" sanitise alike; the hash of the exact names keeps them apart
    assert derive_drove_task_id("a.b", "t", "r", 1) != derive_drove_task_id("a_b", "t", "r", 1)
    assert json.dumps(derive_drove_task_id("a.b", "t", "r", 1)).isascii()
