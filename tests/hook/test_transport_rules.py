"""The failover/retry rules of ``hooks.transport`` as a table, without any I/O.

The emulator tests show the rules at work over HTTP; these pin each decision down on its own.
"""

from __future__ import annotations

import json
import logging

import pytest

from airflow_provider_drove.exceptions import (
    DroveApiError,
    DroveAuthenticationError,
    DroveNotFoundError,
    DroveServerError,
    DroveUnavailableError,
    DroveValidationError,
)
from airflow_provider_drove.hooks import api
from airflow_provider_drove.hooks.connection import parse_connection
from airflow_provider_drove.hooks.transport import (
    ControllerProbe,
    DroveRequest,
    Exchange,
    LeaderCache,
    RetryableFailure,
    SendFailure,
    leader_first,
    probe_from_answer,
    summarise_probes,
    ui_url,
)

A, B, C = "http://a:1", "http://b:2", "http://c:3"
SETTINGS = parse_connection("rules", host=f"{A},{B},{C}", extras={"max_retries": 2})
LOG = logging.getLogger("test.transport")
NOT_LEADER = json.dumps({"status": "FAILED", "message": "This node is not the leader controller"})
PONG = json.dumps({"status": "SUCCESS", "data": "pong", "message": "success"})
OP = api.app_operation({"type": "RECOVER", "appId": "X-1"})


def _exchange(request: DroveRequest = api.ping(), leaders: LeaderCache | None = None) -> Exchange:
    return Exchange(SETTINGS, request, LOG, leaders or LeaderCache())


def test_round_starts_with_the_remembered_leader() -> None:
    leaders = LeaderCache()
    assert leader_first(SETTINGS, leaders) == [A, B, C]
    leaders.remember(SETTINGS.leader_key, C)
    assert leader_first(SETTINGS, leaders) == [C, A, B]
    # Another connection (other id or other hosts) has its own memory.
    other = parse_connection("other", host=f"{A},{B},{C}")
    assert leader_first(other, leaders) == [A, B, C]
    assert ui_url(SETTINGS, "/applications/X-1", leaders) == f"{C}/applications/X-1"


def test_not_leader_fails_over_and_success_is_remembered() -> None:
    leaders = LeaderCache()
    leaders.remember(SETTINGS.leader_key, A)
    exchange = _exchange(leaders=leaders)
    assert exchange.round_targets() == [A, B, C]
    assert exchange.on_answer(A, 400, NOT_LEADER, "application/json", 1.0) == (False, None)
    assert leaders.get(SETTINGS.leader_key) is None
    assert exchange.on_answer(B, 200, PONG, "application/json", 1.0) == (True, "pong")
    assert leaders.get(SETTINGS.leader_key) == B


@pytest.mark.parametrize("request_", [api.ping(), OP], ids=["idempotent", "operation"])
def test_not_sent_fails_over_for_every_request(request_: DroveRequest) -> None:
    leaders = LeaderCache()
    leaders.remember(SETTINGS.leader_key, A)
    exchange = _exchange(request_, leaders)
    exchange.before_send(A)
    assert exchange.on_send_failure(A, SendFailure.NOT_SENT, "connection refused") is None
    assert leaders.get(SETTINGS.leader_key) is None


def test_maybe_sent_is_retried_only_when_idempotent() -> None:
    with pytest.raises(RetryableFailure):
        _exchange(api.ping()).on_send_failure(A, SendFailure.MAYBE_SENT, "read timeout")
    exchange = _exchange(OP)
    exchange.before_send(A)
    with pytest.raises(DroveUnavailableError, match="not resent") as info:
        exchange.on_send_failure(A, SendFailure.MAYBE_SENT, "read timeout")
    assert info.value.attempts == 1 and info.value.controllers == [A]


def test_tls_failure_is_final() -> None:
    with pytest.raises(DroveUnavailableError, match="ca_bundle"):
        _exchange().on_send_failure(A, SendFailure.TLS, "TLS error: certificate verify failed")


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (500, '{"status":"FAILED","message":"Unexpected Server error"}', RetryableFailure),
        (503, "busy", RetryableFailure),
        (429, "slow down", RetryableFailure),
        (200, "{garbled", RetryableFailure),
        (401, "Credentials are required to access this resource.", DroveAuthenticationError),
        (400, '{"status":"FAILED","data":{"validationErrors":["x"]},"message":"Command validation failure"}', DroveValidationError),
        (200, '{"status":"FAILED","message":"App X-1 not found"}', DroveNotFoundError),
    ],
)
def test_answers_decide_retry_or_raise(status: int, body: str, outcome: type[Exception]) -> None:
    with pytest.raises(outcome) as info:
        _exchange(OP).on_answer(A, status, body, None, 1.0)
    if outcome is RetryableFailure:
        assert isinstance(info.value.cause, DroveServerError)


@pytest.mark.parametrize(
    ("request_", "data"),
    [(api.get_application("X-1"), ["not", "an", "app"]), (api.list_instances("X-1"), {"x": 1}), (OP, "X-1")],
    ids=["app", "instances", "op"],
)
def test_a_reshaped_answer_is_a_drove_error(request_: DroveRequest, data: object) -> None:
    body = json.dumps({"status": "SUCCESS", "data": data, "message": "success"})
    with pytest.raises(DroveApiError, match="answer"):
        _exchange(request_).on_answer(A, 200, body, None, 1.0)


def test_final_error_names_attempts_rounds_and_controllers() -> None:
    exchange = _exchange()
    for _ in range(2):
        for base in exchange.round_targets():
            exchange.before_send(base)
            exchange.on_send_failure(base, SendFailure.NOT_SENT, "connection refused")
        failure = exchange.round_failed()
    error = exchange.unavailable(failure)
    assert (error.attempts, error.controllers) == (6, [A, B, C])
    assert "6 attempt(s) in 2 round(s) against http://a:1, http://b:2, http://c:3" in str(error)
    assert "no Drove leader answered" in str(error)


def test_retry_policy_is_bounded_exponential_with_jitter() -> None:
    from tenacity import RetryCallState, Retrying

    policy = _exchange().retry_policy()
    retrying = Retrying(**policy)
    state = RetryCallState(retrying, fn=None, args=(), kwargs={})
    waits = []
    for attempt in (1, 2, 3, 10):
        state.attempt_number = attempt
        waits.append(policy["wait"](state))
    lo, hi = SETTINGS.retry_min_wait, SETTINGS.retry_max_wait
    assert lo <= waits[0] <= 2 * lo
    assert 2 * lo <= waits[1] <= 3 * lo
    assert waits[3] <= hi + lo  # capped (plus at most one jitter)
    state.attempt_number = SETTINGS.max_attempts
    assert policy["stop"](state)


def test_probes_and_their_summary() -> None:
    probes = [
        probe_from_answer(A, 400, NOT_LEADER, None),
        probe_from_answer(B, 200, PONG, None),
        ControllerProbe(C, "unreachable", "connection refused"),
    ]
    assert [p.role for p in probes] == ["follower", "leader", "unreachable"]
    ok, message = summarise_probes(probes)
    assert ok and message.startswith(f"Connected to Drove; the leader is {B}")
    assert "[" not in message  # Airflow's CLI prints through rich, which eats [markup]
    assert summarise_probes([probe_from_answer(A, 401, "Credentials are required", None)])[0] is False
    assert summarise_probes([probe_from_answer(A, 403, "", None)])[1].startswith("Drove refused the credentials")
    assert summarise_probes(probes[:1] + probes[2:])[0] is False


def test_unknown_extras_are_named_in_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from airflow_provider_drove.hooks.drove import DroveHook

    conn = {"conn_type": "drove", "host": "ctl", "extra": {"tiemout": "a-value-never-logged"}}
    monkeypatch.setenv("AIRFLOW_CONN_TYPO", json.dumps(conn))
    caplog.set_level(logging.WARNING)
    DroveHook("typo").settings
    logged = caplog.text + "".join(capfd.readouterr())  # Airflow 3 hook loggers may write to stdout
    assert "tiemout" in logged
    assert "a-value-never-logged" not in logged
