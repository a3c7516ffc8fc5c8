"""Shared pieces of the application DAG tests: a valid spec, a DAG-file header, error capture.

DAG files run by ``run_dag`` are plain source text. Each one starts with :data:`DAG_HEADER`, which
records every failed task's exception text into the JSON file named by ``$DROVE_TEST_ERRORS`` so
a test can assert on the exact message a DAG author would see.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_drove.testing.samples import sample_app_spec

#: The emulator's documented scenario: an image URL containing "pull-fail" fails with a pull error.
PULL_FAIL_IMAGE = "docker.io/acme/pull-fail:1"


def app_spec(name: str = "TEST_APP", *, image: str | None = None, **changes: Any) -> dict[str, Any]:
    """A valid app spec (H1's sample) with another name, image or top-level fields."""
    return sample_app_spec(name, image=image, **changes)


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
