"""Valid sample specs for tests: a small app and a task, modelled on drove-cli's samples (§10.1).

>>> from airflow_provider_drove.testing.samples import sample_app_spec
>>> sample_app_spec("MY_APP", image="ghcr.io/acme/pull-fail:1")["executable"]["url"]
'ghcr.io/acme/pull-fail:1'
"""

from __future__ import annotations

import copy
from typing import Any

#: an op spec accepted everywhere (§7.1)
OP_SPEC: dict[str, Any] = {"timeout": "5m", "parallelism": 2, "failureStrategy": "STOP"}

_CHECK_MODE = {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET", "successCodes": [200]}
_APP: dict[str, Any] = {
    "name": "TEST_APP",
    "version": "1",
    "type": "SERVICE",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/perf-test-server-httplib", "dockerPullTimeout": "100 seconds"},
    "exposedPorts": [{"name": "main", "port": 8000, "type": "HTTP"}],
    "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}],
    "placementPolicy": {"type": "ANY"},
    "healthcheck": {"mode": _CHECK_MODE, "timeout": "1 second", "interval": "5 seconds", "attempts": 3, "initialDelay": "0 seconds"},
    "readiness": {"mode": _CHECK_MODE, "timeout": "1 second", "interval": "3 seconds", "attempts": 3, "initialDelay": "0 seconds"},
    "tags": {"team": "data"},
    "exposureSpec": {"vhost": "testapp.local", "portName": "main", "mode": "ALL"},
}  # fmt: skip
_TASK: dict[str, Any] = {
    "sourceAppName": "TEST_APP",
    "taskId": "T0012",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/test-task", "dockerPullTimeout": "100 seconds"},
    "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 512}],
    "placementPolicy": {"type": "ANY"},
    "env": {"ITERATIONS": "10"},
}


def _customised(base: dict[str, Any], key: str, value: str, image: str | None, env: dict[str, str] | None,
                changes: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    spec = copy.deepcopy(base)
    spec[key] = value
    if image is not None:
        spec["executable"]["url"] = image
    if env is not None:
        spec["env"] = dict(env)
    spec.update(copy.deepcopy(changes))
    return spec


def sample_app_spec(
    name: str = "TEST_APP", *, image: str | None = None, env: dict[str, str] | None = None, **changes: Any
) -> dict[str, Any]:
    """A valid ApplicationSpec (a fresh copy).

    :param name: the app name (the app ID is ``<name>-1``).
    :param image: the image URL (put a scenario word such as ``pull-fail`` in it).
    :param env: the container env (scenario knobs such as ``DROVE_EMULATOR_SCENARIO``).
    :param changes: top-level fields to replace.
    """
    return _customised(_APP, "name", name, image, env, changes)


def sample_task_spec(
    task_id: str = "T0012", *, image: str | None = None, env: dict[str, str] | None = None, **changes: Any
) -> dict[str, Any]:
    """A valid TaskSpec (a fresh copy) for ``sourceAppName`` TEST_APP.

    :param task_id: the task ID.
    :param image: the image URL (``pull-fail``, ``start-fail`` work for tasks too).
    :param env: the container env (``DROVE_EMULATOR_EXIT_CODE``, ``DROVE_EMULATOR_RUN_SECONDS``, ...).
    :param changes: top-level fields to replace.
    """
    return _customised(_TASK, "taskId", task_id, image, env, changes)
