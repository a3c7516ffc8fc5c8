"""Retries, leader failover, auth and TLS of both hooks, against the emulator's faults over HTTP.

``drove.sent`` lists every request a hook put on the wire: (controller, method, path).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_drove.exceptions import (
    DroveAuthenticationError,
    DroveForbiddenError,
    DroveServerError,
    DroveUnavailableError,
)
from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook
from tests.hook.conftest import APP_SPEC, HookRunner

APP_ID = "AF_DEMO-1"
APPS = "/apis/v1/applications"
OPS = "/apis/v1/applications/operations"
USERS = [("admin", "admin-secret-pw", "EXTERNAL_ROOT"), ("reader", "reader-secret-pw", "EXTERNAL_READ_ONLY")]


def _paths(drove: HookRunner) -> list[str]:
    return [path for _, _, path in drove.sent]


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_transient_answers_are_retried_then_succeed(drove: HookRunner, drove_emulator: Any, status: int) -> None:
    drove_emulator.control.inject_faults(status=status, count=2, path=APPS)
    assert drove.list_applications() == {}
    assert _paths(drove) == [APPS] * 3


def test_retries_are_bounded_and_the_final_error_says_where(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, max_retries=2)
    drove_emulator.control.inject_faults(status=503, count=50, path=APPS)
    with pytest.raises(DroveUnavailableError) as info:
        drove.list_applications()
    assert info.value.attempts == 3
    assert info.value.controllers == [drove_emulator.url]
    assert "3 attempt(s)" in str(info.value) and drove_emulator.url in str(info.value)
    assert isinstance(info.value.__cause__, DroveServerError)
    assert len(drove.sent) == 3


def test_zero_retries_means_one_attempt(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, max_retries=0)
    drove_emulator.control.inject_faults(status=500, count=1, path=APPS)
    with pytest.raises(DroveUnavailableError, match="Injected fault"):
        drove.list_applications()
    assert len(drove.sent) == 1


def test_garbled_body_is_retried(drove: HookRunner, drove_emulator: Any) -> None:
    drove_emulator.control.malformed_bodies(count=1, path=APPS)
    assert drove.list_applications() == {}
    assert len(drove.sent) == 2


def test_dropped_connection_on_a_read_is_retried(drove: HookRunner, drove_emulator: Any) -> None:
    drove_emulator.control.drop_connections(count=2, path=APPS)
    assert drove.list_applications() == {}
    assert len(drove.sent) == 3


def test_read_timeout_on_a_read_is_retried(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, timeout=0.5)
    drove_emulator.control.add_latency(1.5, count=1, path=APPS)
    assert drove.list_applications() == {}
    assert len(drove.sent) == 2


def test_operation_is_not_resent_after_a_dropped_connection(drove: HookRunner, drove_emulator: Any) -> None:
    drove_emulator.create_app(APP_SPEC)
    drove_emulator.control.drop_connections(count=1, path=OPS)
    with pytest.raises(DroveUnavailableError, match="not resent") as info:
        drove.scale_application(APP_ID, 1)
    assert _paths(drove) == [OPS]
    assert info.value.attempts == 1


def test_operation_is_not_resent_after_a_read_timeout(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, timeout=0.5)
    drove_emulator.create_app(APP_SPEC)
    drove_emulator.control.add_latency(1.5, count=1, path=OPS)
    with pytest.raises(DroveUnavailableError, match="read the application or task back"):
        drove.scale_application(APP_ID, 1)
    assert _paths(drove) == [OPS]


def test_operation_is_retried_on_a_server_error(drove: HookRunner, drove_emulator: Any) -> None:
    # A 5xx is an answer: normal bounded retries apply to every request.
    drove_emulator.create_app(APP_SPEC)
    drove_emulator.control.inject_faults(status=500, count=1, path=OPS)
    assert drove.scale_application(APP_ID, 1) == APP_ID
    assert _paths(drove) == [OPS, OPS]


def test_cancel_is_resent_after_a_dropped_connection(drove: HookRunner, drove_emulator: Any) -> None:
    # A cancel cannot start anything, so it is safe to send again.
    drove_emulator.control.drop_connections(count=1, path=f"{OPS}/NOPE-1/cancel")
    assert drove.cancel_operation("NOPE-1") is False
    assert len(drove.sent) == 2


# -- leader failover ----------------------------------------------------------------------------


@pytest.mark.drove_emulator(controllers=3)
def test_failover_when_the_leader_moves_and_the_leader_is_remembered(connect: Any, drove_emulator: Any) -> None:
    urls = drove_emulator.urls
    drove = connect(drove_emulator)
    assert drove.list_applications() == {}
    assert drove.sent == [(urls[0], "GET", APPS)]

    drove_emulator.control.set_leader(2)
    drove.sent.clear()
    assert drove.list_applications() == {}
    assert [base for base, _, _ in drove.sent] == urls

    # Later calls, and new hooks on the same connection in this process, go straight to it.
    drove.sent.clear()
    drove.list_applications()
    assert [base for base, _, _ in drove.sent] == [urls[2]]
    other = connect(drove_emulator)
    other.list_applications()
    assert [base for base, _, _ in other.sent] == [urls[2]]


@pytest.mark.drove_emulator(controllers=2)
def test_failover_when_a_controller_is_down(connect: Any, drove_emulator: Any) -> None:
    urls = drove_emulator.urls
    drove = connect(drove_emulator)
    drove_emulator.control.stop_controller(0)
    assert drove.list_applications() == {}
    assert [base for base, _, _ in drove.sent] == urls
    assert drove.find_leader() == urls[1]


@pytest.mark.drove_emulator(controllers=2)
def test_operation_fails_over_and_is_applied_once(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator)
    drove_emulator.control.set_leader(1)
    # CREATE twice would be rejected with "already exists": success proves a single delivery.
    assert drove.create_application(APP_SPEC) == APP_ID
    assert drove.sent == [(drove_emulator.urls[0], "POST", OPS), (drove_emulator.urls[1], "POST", OPS)]


@pytest.mark.drove_emulator(controllers=2)
def test_no_leader_reachable(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, max_retries=1)
    drove_emulator.control.stop_controller(0)
    drove_emulator.control.stop_controller(1)
    with pytest.raises(DroveUnavailableError) as info:
        drove.get_application(APP_ID)
    assert info.value.attempts == 4  # 2 rounds x 2 controllers
    assert sorted(info.value.controllers) == sorted(drove_emulator.urls)
    message = str(info.value)
    assert "4 attempt(s) in 2 round(s)" in message
    assert all(url in message for url in drove_emulator.urls)
    ok, report = drove.test_connection()
    assert not ok and "unreachable" in report


@pytest.mark.drove_emulator(controllers=2)
def test_test_connection_reports_each_controller(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator)
    drove_emulator.control.set_leader(1)
    ok, message = drove.test_connection()
    assert ok
    assert f"the leader is {drove_emulator.urls[1]}" in message
    assert f"{drove_emulator.urls[0]} follower" in message


# -- auth ---------------------------------------------------------------------------------------


@pytest.mark.drove_emulator(users=USERS)
def test_basic_auth_works(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, login="admin", password="admin-secret-pw")
    assert drove.create_application(APP_SPEC) == APP_ID


@pytest.mark.drove_emulator(users=USERS)
def test_raw_auth_header_is_sent_verbatim(connect: Any, drove_emulator: Any) -> None:
    import base64

    header = "Basic " + base64.b64encode(b"admin:admin-secret-pw").decode()
    drove = connect(drove_emulator, auth_header=header)
    assert drove.ping() == "pong"
    assert drove.settings().credentials.kind == "header"


@pytest.mark.drove_emulator(users=USERS)
@pytest.mark.parametrize("password", ["wrong-password", None])
def test_401_is_not_retried(connect: Any, drove_emulator: Any, password: str | None) -> None:
    login = "admin" if password else None
    conn = drove_emulator.airflow_connection(login=login, password=password, max_retries=3)
    conn.pop("login", None) if login is None else None
    conn.pop("password", None) if password is None else None
    drove = connect(conn)
    with pytest.raises(DroveAuthenticationError) as info:
        drove.list_applications()
    assert info.value.status_code == 401
    assert len(drove.sent) == 1
    ok, message = drove.test_connection()
    assert not ok and "401" in message


@pytest.mark.drove_emulator(users=USERS)
def test_403_is_not_retried(connect: Any, drove_emulator: Any) -> None:
    drove = connect(drove_emulator, login="reader", password="reader-secret-pw")
    assert drove.list_applications() == {}  # reading is allowed
    drove.sent.clear()
    with pytest.raises(DroveForbiddenError) as info:
        drove.create_application(APP_SPEC)
    assert info.value.status_code == 403
    assert len(drove.sent) == 1


# -- TLS ----------------------------------------------------------------------------------------


def test_tls_failure_is_reported_at_once(connect: Any, drove_emulator: Any) -> None:
    # The emulator speaks plain HTTP: a TLS handshake with it fails like a bad certificate would.
    https = drove_emulator.url.replace("http://", "https://")
    drove = connect({"conn_type": "drove", "host": https, "extra": {"max_retries": 3}})
    with pytest.raises(DroveUnavailableError, match="TLS") as info:
        drove.list_applications()
    assert "verify" in str(info.value) and "ca_bundle" in str(info.value)
    assert len(drove.sent) == 1


def test_tls_settings_reach_requests(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import requests

    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    seen: list[Any] = []

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["verify"])
        raise requests.ConnectionError("recorded")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    # An environment CA bundle must not override the connection's own setting.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "env-ca.pem"))
    cases = (({"verify": "false"}, False), ({"ca_bundle": str(bundle)}, str(bundle)), ({}, str(tmp_path / "env-ca.pem")))
    for extra, expected in cases:
        conn = {"conn_type": "drove", "host": "https://ctl:443", "extra": {**extra, "max_retries": 0}}
        monkeypatch.setenv("AIRFLOW_CONN_TLS", json.dumps(conn))
        with pytest.raises(DroveUnavailableError):
            DroveHook("tls").ping()
        assert seen[-1] == expected


async def test_tls_settings_reach_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    import httpx

    seen: list[dict[str, Any]] = []

    class Client(httpx.AsyncClient):
        def __init__(self, **kwargs: Any) -> None:
            seen.append(kwargs)
            super().__init__(**{k: v for k, v in kwargs.items() if k != "verify"})

    monkeypatch.setattr(httpx, "AsyncClient", Client)
    certifi = pytest.importorskip("certifi")
    cases = (({}, True), ({"verify": False}, False), ({"ca_bundle": certifi.where()}, ssl.SSLContext))
    for extra, expected in cases:
        monkeypatch.setenv("AIRFLOW_CONN_TLS", json.dumps({"conn_type": "drove", "host": "https://ctl:443", "extra": extra}))
        hook = DroveAsyncHook("tls")
        await hook.get_client()
        verify = seen[-1]["verify"]
        assert isinstance(verify, expected) if isinstance(expected, type) else verify is expected
        await hook.aclose()
