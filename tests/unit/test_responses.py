"""The §3.1 status matrix, one row per case, on literal bodies as Drove sends them."""

from __future__ import annotations

import json

import pytest

from airflow_provider_drove.drove.responses import (
    CANCEL_NOT_POSSIBLE_MESSAGE,
    NOT_LEADER_MESSAGE,
    parse_response,
)
from airflow_provider_drove.exceptions import (
    DroveApiError,
    DroveAuthenticationError,
    DroveAuthError,
    DroveForbiddenError,
    DroveNotFoundError,
    DroveNotLeaderError,
    DroveServerError,
    DroveValidationError,
)

APP = {
    "id": "TEST_APP-1",
    "name": "TEST_APP",
    "requiredInstances": 1,
    "healthyInstances": 1,
    "totalCPUs": 1,
    "totalMemory": 128,
    "state": "RUNNING",
    "created": 1719826995764,
    "updated": 1719892279019,
}


def _body(**envelope: object) -> str:
    return json.dumps(envelope)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, _body(status="SUCCESS", data=APP, message="success"), APP),
        (200, _body(status="SUCCESS", data={"appId": "TEST_APP-1"}, message="success"), {"appId": "TEST_APP-1"}),
        (200, _body(status="SUCCESS", data="pong", message="success"), "pong"),
        # A successful cancel has no data at all (null fields are left out).
        (200, _body(status="SUCCESS", message="success"), None),
        (200, _body(status="SUCCESS", data=[], message="success"), []),
        (200, _body(status="SUCCESS", data={"deleted": True}, message="success").encode(), {"deleted": True}),
    ],
)
def test_success_returns_data(status: int, body: str | bytes, expected: object) -> None:
    assert parse_response(status, body, content_type="application/json") == expected


def test_lookup_miss_is_not_found_with_drove_message() -> None:
    with pytest.raises(DroveNotFoundError) as info:
        parse_response(200, _body(status="FAILED", message="App TEST_APP-9 not found"))
    assert info.value.status_code == 200
    assert "TEST_APP-9" in str(info.value)


def test_task_pending_miss_is_not_found() -> None:
    with pytest.raises(DroveNotFoundError, match="No such task instance TEST_APP/T1"):
        parse_response(200, _body(status="FAILED", message="No such task instance TEST_APP/T1"))


def test_transient_cluster_summary_failure_is_a_server_error() -> None:
    # A 200 FAILED while the dashboard cache refreshes means "ask again", not "missing" (§6.4).
    with pytest.raises(DroveServerError) as info:
        parse_response(200, _body(status="FAILED", message="Could not fetch cluster summary"))
    assert not isinstance(info.value, DroveNotFoundError)


def test_maintenance_on_blacklist_is_a_rejection() -> None:
    with pytest.raises(DroveValidationError, match="maintenance"):
        parse_response(200, _body(status="FAILED", message="Cluster is in maintenance mode"))


def test_command_validation_failure_carries_drove_errors() -> None:
    message = "Only [DESTROY, RECOVER, SCALE_INSTANCES, START_INSTANCES] allowed for app A-1 as it is in MONITORING state"
    body = _body(status="FAILED", data={"validationErrors": [message]}, message="Command validation failure")
    with pytest.raises(DroveValidationError) as info:
        parse_response(400, body)
    assert info.value.status_code == 400
    assert info.value.errors == [message]
    assert info.value.message == "Command validation failure"
    assert message in str(info.value)


def test_json_validation_failure_is_a_rejection() -> None:
    body = _body(
        status="FAILED", data={"validationErrors": ["Cannot parse duration '1.5s'"]}, message="JSON validation failure"
    )
    with pytest.raises(DroveValidationError) as info:
        parse_response(400, body)
    assert info.value.errors == ["Cannot parse duration '1.5s'"]


def test_maintenance_rejection_of_an_op() -> None:
    body = _body(
        status="FAILED", data={"validationErrors": ["Cluster is in maintenance mode"]}, message="Command validation failure"
    )
    with pytest.raises(DroveValidationError, match="Cluster is in maintenance mode"):
        parse_response(400, body)


def test_cancel_not_possible_is_a_rejection_without_errors() -> None:
    with pytest.raises(DroveValidationError) as info:
        parse_response(400, _body(status="FAILED", message=CANCEL_NOT_POSSIBLE_MESSAGE))
    assert info.value.message == CANCEL_NOT_POSSIBLE_MESSAGE
    assert info.value.errors == []


def test_not_leader_is_its_own_class() -> None:
    with pytest.raises(DroveNotLeaderError) as info:
        parse_response(400, _body(status="FAILED", message=NOT_LEADER_MESSAGE))
    assert not isinstance(info.value, DroveValidationError)


def test_401_is_authentication_error() -> None:
    with pytest.raises(DroveAuthenticationError) as info:
        parse_response(401, "Credentials are required to access this resource.", content_type="text/plain")
    assert info.value.status_code == 401
    assert isinstance(info.value, DroveAuthError)
    assert "Credentials are required" in str(info.value)


@pytest.mark.parametrize("body", ["", "<html><body>Forbidden</body></html>"])
def test_403_is_forbidden_error(body: str) -> None:
    with pytest.raises(DroveForbiddenError) as info:
        parse_response(403, body)
    assert info.value.status_code == 403
    assert "role" in str(info.value)


def test_500_catch_all_names_the_failure() -> None:
    body = _body(
        status="FAILED", data={"failure": "Cannot invoke hasLocalPolicy because placementPolicy is null"},
        message="Unexpected Server error",
    )
    with pytest.raises(DroveServerError) as info:
        parse_response(500, body)
    assert info.value.status_code == 500
    assert "Unexpected Server error" in str(info.value)
    assert "placementPolicy is null" in str(info.value)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_gateway_and_rate_limit_answers_are_server_errors(status: int) -> None:
    with pytest.raises(DroveServerError) as info:
        parse_response(status, "<html>" + "x" * 5000 + "</html>", content_type="text/html")
    assert info.value.status_code == status
    # A proxy's error page is cut down, never copied whole into the error.
    assert len(str(info.value)) < 400


@pytest.mark.parametrize("body", ["", "not json", '{"status": "SUCC', "[1, 2]", '{"data": 1}'])
def test_garbled_200_is_a_transient_server_error(body: str) -> None:
    with pytest.raises(DroveServerError) as info:
        parse_response(200, body)
    assert info.value.status_code == 200


@pytest.mark.parametrize("status", [404, 405])
def test_unknown_path_hints_at_the_host(status: int) -> None:
    with pytest.raises(DroveApiError, match="Drove controller URL") as info:
        parse_response(status, "<html>Not Found</html>", content_type="text/html")
    assert type(info.value) is DroveApiError
    assert info.value.status_code == status


def test_unexpected_redirect_is_an_api_error() -> None:
    with pytest.raises(DroveApiError) as info:
        parse_response(303, "")
    assert info.value.status_code == 303


def test_400_without_envelope_is_an_api_error_not_a_validation() -> None:
    with pytest.raises(DroveApiError) as info:
        parse_response(400, "Bad Request", content_type="text/plain")
    assert not isinstance(info.value, (DroveValidationError, DroveNotLeaderError))


# -- log-file endpoints (not enveloped, §6.6) ---------------------------------------------------


def test_plain_log_listing_is_returned_as_is() -> None:
    assert parse_response(200, '{"files":["output.log"]}', envelope=False) == {"files": ["output.log"]}


def test_plain_log_chunk_is_returned_as_is() -> None:
    assert parse_response(200, '{"data":"line\\n","offset":5}', envelope=False) == {"data": "line\n", "offset": 5}


def test_plain_204_means_executor_not_found() -> None:
    with pytest.raises(DroveNotFoundError, match="executor"):
        parse_response(204, "", envelope=False)


def test_plain_upstream_error() -> None:
    with pytest.raises(DroveApiError, match="Executor call returned: 500"):
        parse_response(200, '{"error":"Executor call returned: 500"}', envelope=False)


def test_plain_endpoint_still_reads_a_not_leader_envelope() -> None:
    with pytest.raises(DroveNotLeaderError):
        parse_response(400, _body(status="FAILED", message=NOT_LEADER_MESSAGE), envelope=False)


def test_plain_endpoint_auth_and_server_errors() -> None:
    with pytest.raises(DroveAuthenticationError):
        parse_response(401, "Credentials are required to access this resource.", envelope=False)
    with pytest.raises(DroveServerError):
        parse_response(500, "", envelope=False)
