"""Fixtures for the hook tests: one suite, run against both hooks and a real emulator over HTTP.

``drove`` is a :class:`HookRunner`: ``drove.get_application("A-1")`` calls the sync hook, or runs
the async hook's coroutine on the runner's own event loop, so every behaviour test is written
once and parametrised over ``sync`` and ``async``. The runner also records every request the hook
put on the wire (controller, method, path), which is how tests prove that nothing was sent, that
a request was not retried, or where failover went.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook
from airflow_provider_drove.hooks.transport import LEADERS
from airflow_provider_drove.testing.samples import sample_app_spec, sample_task_spec
from tests.emulator.helpers import wait_for

__all__ = ["APP_SPEC", "TASK_SPEC", "HookRunner", "app_spec", "task_spec", "wait_for"]

CONN_ID = "drove_hook_test"
#: Fast retries: the behaviour is the same, the suite stays quick.
FAST = {"retry_min_wait": 0.01, "retry_max_wait": 0.05}

APP_SPEC: dict[str, Any] = sample_app_spec("AF_DEMO", exposureSpec={"vhost": "afdemo.local", "portName": "main", "mode": "ALL"})
TASK_SPEC: dict[str, Any] = sample_task_spec("T0001", sourceAppName="AF_DEMO", env={"DROVE_EMULATOR_RUN_SECONDS": "2"})


def app_spec(**changes: Any) -> dict[str, Any]:
    """A valid app spec (AF_DEMO-1) with top-level fields changed."""
    return {**copy.deepcopy(APP_SPEC), **changes}


def task_spec(**changes: Any) -> dict[str, Any]:
    """A valid task spec (AF_DEMO/T0001) with top-level fields changed."""
    return {**copy.deepcopy(TASK_SPEC), **changes}


class HookRunner:
    """Calls one hook (sync or async) synchronously and records what it sent.

    :param kind: ``"sync"`` or ``"async"``.
    :param conn_id: the connection id the hook uses.
    """

    def __init__(self, kind: str, conn_id: str = CONN_ID) -> None:
        self.kind = kind
        self.sent: list[tuple[str, str, str]] = []
        self._loop = asyncio.new_event_loop() if kind == "async" else None
        self.hook: DroveHook | DroveAsyncHook = DroveHook(conn_id) if kind == "sync" else DroveAsyncHook(conn_id)
        self._spy_on_sends()

    def _spy_on_sends(self) -> None:
        original = self.hook._send
        sent = self.sent
        if self.kind == "sync":

            def send(base: str, request: Any) -> Any:
                sent.append((base, request.method, request.path))
                return original(base, request)

        else:

            async def send(base: str, request: Any) -> Any:  # type: ignore[misc]
                sent.append((base, request.method, request.path))
                return await original(base, request)

        self.hook._send = send  # type: ignore[method-assign]

    def run(self, value: Any) -> Any:
        """Wait for a coroutine on the runner's loop (async hook); pass other values through."""
        if self._loop is not None and asyncio.iscoroutine(value):
            return self._loop.run_until_complete(value)
        return value

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.hook, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.run(method(*args, **kwargs))

        return call

    def settings(self) -> Any:
        """The hook's connection settings (reads the connection)."""
        if isinstance(self.hook, DroveHook):
            return self.hook.settings
        return self.run(self.hook.get_settings())

    def close(self) -> None:
        """Close the hook's client and the loop."""
        if isinstance(self.hook, DroveHook):
            self.hook.close()
        else:
            assert self._loop is not None
            self._loop.run_until_complete(self.hook.aclose())
            self._loop.close()


@pytest.fixture(autouse=True)
def _fresh_leader_cache() -> Iterator[None]:
    """Each test starts without a remembered leader (the cache is process-wide by design)."""
    LEADERS.clear()
    yield
    LEADERS.clear()


@pytest.fixture(params=["sync", "async"])
def hook_kind(request: pytest.FixtureRequest) -> str:
    """Every behaviour test runs against both hooks."""
    return request.param


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch, hook_kind: str) -> Iterator[Callable[..., HookRunner]]:
    """Define the test connection and return a runner on it.

    Call ``connect(emulator_or_conn_dict, **extras)``: an emulator gives its JSON connection form
    (``login=``/``password=``/``auth_header=`` pass through), a dict is used as is.
    """
    runners: list[HookRunner] = []

    def _connect(target: Any, *, conn_id: str = CONN_ID, **options: Any) -> HookRunner:
        if isinstance(target, dict):
            conn = target
        else:
            auth = {k: options.pop(k) for k in ("login", "password", "auth_header") if k in options}
            conn = target.airflow_connection(**auth, **{**FAST, **options})
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        runner = HookRunner(hook_kind, conn_id)
        runners.append(runner)
        return runner

    yield _connect
    for runner in runners:
        runner.close()


@pytest.fixture
def drove(drove_emulator: Any, connect: Callable[..., HookRunner]) -> HookRunner:
    """A runner on a single-controller emulator without auth."""
    return connect(drove_emulator)
