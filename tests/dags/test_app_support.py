"""Shared pieces of the application DAG tests: a valid spec, a DAG-file header, error capture.

DAG files run by ``run_dag`` are plain source text. Each one starts with :data:`DAG_HEADER`, which
records every failed task's exception text into the JSON file named by ``$DROVE_TEST_ERRORS`` so
a test can assert on the exact message a DAG author would see.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

OP_SPEC = {"timeout": "5m", "parallelism": 2, "failureStrategy": "STOP"}

APP_SPEC: dict[str, Any] = {
    "name": "TEST_APP",
    "version": "1",
    "type": "SERVICE",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/perf-test-server-httplib", "dockerPullTimeout": "100 seconds"},
    "exposedPorts": [{"name": "main", "port": 8000, "type": "HTTP"}],
    "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}],
    "placementPolicy": {"type": "ANY"},
    "healthcheck": {
        "mode": {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET", "successCodes": [200]},
        "timeout": "1 second", "interval": "5 seconds", "attempts": 3, "initialDelay": "0 seconds",
    },
    "readiness": {
        "mode": {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET", "successCodes": [200]},
        "timeout": "1 second", "interval": "3 seconds", "attempts": 3, "initialDelay": "0 seconds",
    },
    "tags": {"team": "data"},
}  # fmt: skip

#: The emulator's documented scenario: an image URL containing "pull-fail" fails with a pull error.
PULL_FAIL_IMAGE = "docker.io/acme/pull-fail:1"


def app_spec(name: str = "TEST_APP", *, image: str | None = None, **changes: Any) -> dict[str, Any]:
    """A valid app spec with another name, image or top-level fields."""
    spec = copy.deepcopy(APP_SPEC)
    spec["name"] = name
    if image is not None:
        spec["executable"]["url"] = image
    spec.update(changes)
    return spec


DAG_HEADER = '''
import json, os, datetime
from airflow import DAG

def record_error(context):
    path = os.environ["DROVE_TEST_ERRORS"]
    errors = json.load(open(path)) if os.path.exists(path) else {}
    errors[context["task_instance"].task_id] = str(context.get("exception"))
    json.dump(errors, open(path, "w"))

DEFAULTS = {"on_failure_callback": record_error, "retries": 0}
START = datetime.datetime(2024, 1, 1)
'''


@pytest.fixture
def errors_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Where failed tasks of the DAG under test record their exception text; returns a reader."""
    path = tmp_path / "errors.json"
    monkeypatch.setenv("DROVE_TEST_ERRORS", str(path))

    def read() -> dict[str, str]:
        return json.loads(path.read_text()) if path.exists() else {}

    return read


def dag_source(dag_id: str, body: str, *, deferrable: bool = False) -> str:
    """A DAG file: the header, then ``body`` indented inside ``with DAG(...)``.

    :param dag_id: the DAG id.
    :param body: task definitions (unindented); ``DEFERRABLE`` is defined for them.
    :param deferrable: the value of ``DEFERRABLE``.
    """
    indented = "\n".join("    " + line if line.strip() else line for line in body.strip("\n").splitlines())
    return (
        DAG_HEADER
        + f"DEFERRABLE = {deferrable!r}\n"
        + f"with DAG({dag_id!r}, start_date=START, schedule=None, default_args=DEFAULTS) as dag:\n"
        + indented
        + "\n"
    )
