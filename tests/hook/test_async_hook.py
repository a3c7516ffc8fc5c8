"""What only the async hook has to prove: the connection is fetched without blocking the event
loop, and one hook serves concurrent coroutines. (Its behaviour is tested with the sync hook's
suite, parametrised over both.)"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

import airflow.providers.common.compat.connection as compat_connection
from airflow_provider_drove.hooks.drove import DroveAsyncHook
from tests.hook.conftest import APP_SPEC, FAST


async def test_connection_is_fetched_with_the_async_api_off_the_loop_thread(
    drove_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ASYNC_CONN", json.dumps(drove_emulator.airflow_connection(**FAST)))
    async_lookups: list[str] = []
    sync_lookup_threads: list[int] = []
    original_async = compat_connection.get_async_connection
    original_sync = DroveAsyncHook.get_connection.__func__  # type: ignore[attr-defined]

    async def spy_async(conn_id: str, hook: Any = None) -> Any:
        async_lookups.append(conn_id)
        return await original_async(conn_id, hook=hook)

    def spy_sync(cls: type, conn_id: str) -> Any:
        sync_lookup_threads.append(threading.get_ident())
        return original_sync(cls, conn_id)

    monkeypatch.setattr(compat_connection, "get_async_connection", spy_async)
    monkeypatch.setattr(DroveAsyncHook, "get_connection", classmethod(spy_sync))
    async with DroveAsyncHook("async_conn") as hook:
        assert await hook.ping() == "pong"
        await hook.ping()
    assert async_lookups == ["async_conn"]  # once: the settings are kept
    # Airflow 2.11 has no async lookup: the sync one then runs in a worker thread, never on the loop.
    assert threading.get_ident() not in sync_lookup_threads


async def test_one_hook_serves_concurrent_calls(drove_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ASYNC_MANY", json.dumps(drove_emulator.airflow_connection(**FAST)))
    drove_emulator.create_app(APP_SPEC, instances=1)
    async with DroveAsyncHook("async_many") as hook:
        apps = await asyncio.gather(*(hook.get_application("AF_DEMO-1") for _ in range(20)))
        assert {app.healthy_instances for app in apps} == {1}
        client = await hook.get_client()
        assert await hook.get_client() is client


def test_a_hook_moves_to_a_new_event_loop(drove_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # A client is bound to its loop; a hook reused under another loop (asyncio.run twice) gets a new one.
    monkeypatch.setenv("AIRFLOW_CONN_ASYNC_LOOPS", json.dumps(drove_emulator.airflow_connection(**FAST)))
    hook = DroveAsyncHook("async_loops")

    async def ping() -> str:
        return await hook.ping()

    assert asyncio.run(ping()) == "pong"
    assert asyncio.run(ping()) == "pong"
