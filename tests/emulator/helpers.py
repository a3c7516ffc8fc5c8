"""Helpers for the emulator's own tests: specs, a small HTTP client, and waiting on real time.

Every test talks to the emulator over real HTTP (requests), through the ``drove_emulator``
fixture of the package's pytest plugin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from airflow_provider_drove.testing.samples import OP_SPEC, sample_app_spec, sample_task_spec

__all__ = ["OP_SPEC", "Api", "app_spec", "settled", "task_spec", "wait_for"]

app_spec = sample_app_spec
task_spec = sample_task_spec


class Api:
    """A tiny Drove client over requests: ``api.get("/applications/X")`` returns the Response."""

    def __init__(self, base: str, auth: tuple[str, str] | None = None) -> None:
        self.base = base
        self.session = requests.Session()
        if auth is not None:
            self.session.auth = auth

    def url(self, path: str) -> str:
        return f"{self.base}/apis/v1{path}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=10, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        if body is not None:
            kw["json"] = body
        return self.session.post(self.url(path), timeout=10, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=10, **kw)

    # conveniences returning data
    def op(self, payload: dict[str, Any]) -> requests.Response:
        return self.post("/applications/operations", payload)

    def app(self, app_id: str) -> dict[str, Any]:
        body = self.get(f"/applications/{app_id}").json()
        assert body["status"] == "SUCCESS", body
        return body["data"]

    def instances(self, app_id: str, **params: Any) -> list[dict[str, Any]]:
        return self.get(f"/applications/{app_id}/instances", params=params).json()["data"]

    def old(self, app_id: str) -> list[dict[str, Any]]:
        return self.get(f"/applications/{app_id}/instances/old").json()["data"]

    def create(self, spec: dict[str, Any], instances: int = 0) -> str:
        response = self.op({"type": "CREATE", "spec": spec, "instances": instances, "opSpec": OP_SPEC})
        assert response.status_code == 200, response.text
        return response.json()["data"]["appId"]

    def scale(self, app_id: str, n: int, op_spec: dict[str, Any] | None = None) -> requests.Response:
        return self.op({"type": "SCALE", "appId": app_id, "requiredInstances": n, "opSpec": op_spec or OP_SPEC})


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy (a wait, not a timed assertion: the timeout is generous).

    :return: the truthy value.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def settled(api: Api, app_id: str, state: str | None = None, healthy: int | None = None) -> Callable[[], Any]:
    """A predicate: the app is idle (RUNNING/MONITORING) with healthy == required (and the given values)."""

    def check() -> Any:
        app = api.app(app_id)
        if app["state"] not in ("RUNNING", "MONITORING") or app["healthyInstances"] != app["requiredInstances"]:
            return None
        if state is not None and app["state"] != state:
            return None
        if healthy is not None and app["healthyInstances"] != healthy:
            return None
        return app

    return check
