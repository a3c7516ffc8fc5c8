"""The password and the raw Authorization header never leak: logs, XCom, errors, reprs.

The DAG run test drives a real Airflow run (``dag.test()``) whose tasks use both hooks with both
kinds of credentials, collects every log record at DEBUG (``caplog``) plus everything written to
stdout/stderr (task logs) and every XCom, and searches them for the secrets.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from airflow_provider_drove.exceptions import DroveAuthenticationError
from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook

PASSWORD = "pw-Zq81-never-logged"
RAW_HEADER = "Bearer raw-header-Xy93-never-logged"
TOKEN = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
SECRETS = (PASSWORD, RAW_HEADER, "raw-header-Xy93", TOKEN)
USERS = [("admin", PASSWORD, "EXTERNAL_ROOT")]

DAG_SOURCE = """
from __future__ import annotations

import asyncio
import logging
import os

import pendulum
from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_drove.exceptions import DroveException
from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook

SPEC = {spec!r}


def at_debug(hook):
    # Task loggers stop at INFO, and Airflow may reconfigure logging mid-run (dropping pytest's
    # capture handler); route this hook's lines, DEBUG included, to a file the test reads back.
    logger = logging.getLogger("drove.secrets.debug")
    logger.setLevel(logging.DEBUG)
    if not logger.handlers:
        logger.addHandler(logging.FileHandler(os.environ["DROVE_SECRETS_DEBUG_LOG"]))
    hook._log = logger
    return hook

with DAG("drove_secrets_check", start_date=pendulum.datetime(2024, 1, 1), schedule=None, catchup=False) as dag:

    @task
    def use_basic_auth():
        hook = at_debug(DroveHook("drove_secrets_basic"))
        hook.create_application(SPEC)
        hook.scale_application("AF_DEMO-1", 1)
        app = hook.get_application("AF_DEMO-1").to_json()
        hook.log.info("hook %r settings %r", hook, hook.settings)
        return {{"app": app, "ok": list(hook.test_connection()), "hook": repr(hook), "settings": repr(hook.settings)}}

    @task
    def use_raw_header():
        hook = at_debug(DroveHook("drove_secrets_header"))
        try:
            hook.list_applications()
        except DroveException as exc:
            error = str(exc)
        async def read():
            async with at_debug(DroveAsyncHook("drove_secrets_header")) as async_hook:
                try:
                    await async_hook.get_application("AF_DEMO-1")
                except DroveException as exc:
                    return str(exc), repr(await async_hook.get_settings())
        async_error, async_settings = asyncio.run(read())
        return {{"error": error, "async_error": async_error, "settings": async_settings, "test": list(hook.test_connection())}}

    use_basic_auth() >> use_raw_header()
"""


@pytest.mark.drove_emulator(users=USERS)
def test_no_secret_in_logs_xcom_or_errors_of_a_real_run(
    run_dag: Any,
    drove_emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    from tests.hook.conftest import APP_SPEC

    basic = drove_emulator.airflow_connection(login="admin", password=PASSWORD)
    header = drove_emulator.airflow_connection(auth_header=RAW_HEADER)
    monkeypatch.setenv("AIRFLOW_CONN_DROVE_SECRETS_BASIC", json.dumps(basic))
    monkeypatch.setenv("AIRFLOW_CONN_DROVE_SECRETS_HEADER", json.dumps(header))
    debug_log = tmp_path / "hook-debug.log"
    monkeypatch.setenv("DROVE_SECRETS_DEBUG_LOG", str(debug_log))
    caplog.set_level(logging.DEBUG)

    result = run_dag(DAG_SOURCE.format(spec=APP_SPEC), "drove_secrets_check")

    out, err = capfd.readouterr()
    assert result.state == "success", (out + err)[-3000:]
    basic_out, header_out = result.xcoms["use_basic_auth"], result.xcoms["use_raw_header"]
    assert basic_out["app"]["id"] == "AF_DEMO-1" and basic_out["ok"][0] is True
    # The raw header was sent (Drove refused it): the errors exist and must still be clean.
    assert "401" in header_out["error"] and "401" in header_out["async_error"]
    assert header_out["test"][0] is False

    # The hooks did log (DEBUG request lines, the INFO operation lines): the search is not empty.
    logged = caplog.text + out + err + debug_log.read_text()
    assert "Drove accepted SCALE of app AF_DEMO-1" in logged
    assert "Drove GET /apis/v1/applications/AF_DEMO-1 on http://127.0.0.1" in logged  # DEBUG request lines
    assert "-> HTTP 401 in" in logged  # ... of the refused raw header too
    everything = "\n".join([logged, json.dumps(result.xcoms, default=str)])
    for secret in SECRETS:
        assert secret not in everything


@pytest.mark.drove_emulator(users=USERS)
async def test_secrets_are_registered_with_the_masker(drove_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.providers.common.compat.sdk import redact

    monkeypatch.setenv("AIRFLOW_CONN_M1", json.dumps(drove_emulator.airflow_connection(login="admin", password=PASSWORD)))
    monkeypatch.setenv("AIRFLOW_CONN_M2", json.dumps(drove_emulator.airflow_connection(auth_header=RAW_HEADER)))
    assert DroveHook("m1").settings.credentials.kind == "basic"
    async with DroveAsyncHook("m2") as hook:
        assert (await hook.get_settings()).credentials.kind == "header"
    for secret in (PASSWORD, TOKEN, RAW_HEADER):
        assert secret not in str(redact(f"value {secret} here"))


@pytest.mark.drove_emulator(users=USERS)
def test_auth_errors_and_reprs_hold_no_secret(drove_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_WRONG", json.dumps(drove_emulator.airflow_connection(login="admin", password=PASSWORD + "x"))
    )
    hook = DroveHook("wrong")
    with pytest.raises(DroveAuthenticationError) as info:
        hook.ping()
    texts = [str(info.value), repr(info.value), repr(hook), repr(hook.settings), str(hook.test_connection())]
    for text in texts:
        assert PASSWORD not in text
        assert base64.b64encode(f"admin:{PASSWORD}x".encode()).decode() not in text
