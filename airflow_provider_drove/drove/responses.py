"""Turn a Drove controller answer (HTTP status + body) into data or a precise exception.

This is the status matrix of ``drove-api.md`` §3.1 written once, with no I/O, so the sync and the
async hook (and anyone holding a raw body) read answers the same way:

==========================================  ==========================================
Answer                                      Result
==========================================  ==========================================
200 ``SUCCESS``                             ``data`` (``None`` when Drove left it out)
200 ``FAILED`` (lookup miss)                :class:`DroveNotFoundError` with Drove's message
200 ``FAILED`` "Could not fetch cluster     :class:`DroveServerError` (transient dashboard
summary"                                    refresh, §6.4; retried like a 5xx)
200 ``FAILED`` "Cluster is in maintenance   :class:`DroveValidationError`
mode" (blacklisting)
400 "This node is not the leader            :class:`DroveNotLeaderError`
controller"
400 any other envelope                      :class:`DroveValidationError` carrying
                                            ``data.validationErrors``
401                                         :class:`DroveAuthenticationError`
403                                         :class:`DroveForbiddenError`
429, 5xx                                    :class:`DroveServerError`
200 with a body that is not an envelope     :class:`DroveServerError` (garbled answer;
                                            transient)
404, 405, other                             :class:`DroveApiError`
==========================================  ==========================================

The log-file endpoints (§6.6) are not enveloped: pass ``envelope=False`` and the JSON body itself
is the data (HTTP 204, "executor not found", becomes :class:`DroveNotFoundError`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_drove.exceptions import (
    DroveApiError,
    DroveAuthenticationError,
    DroveForbiddenError,
    DroveNotFoundError,
    DroveNotLeaderError,
    DroveServerError,
    DroveValidationError,
)

#: Drove's message on every ``/apis/**`` call to a controller that is not the leader (§5).
NOT_LEADER_MESSAGE = "This node is not the leader controller"
#: Drove's message when a cancel finds nothing it can cancel (§7.6).
CANCEL_NOT_POSSIBLE_MESSAGE = "Current operation could not be cancelled"
#: Drove's message for ops, validations and blacklisting during the maintenance window (§6.4).
MAINTENANCE_MESSAGE = "Cluster is in maintenance mode"
#: ``200 FAILED`` messages that say "ask again shortly" rather than "not found".
TRANSIENT_FAILED_MESSAGES = frozenset({"Could not fetch cluster summary"})

# How much of a non-envelope body goes into an error message: enough to recognise a proxy's error
# page, never a whole HTML document.
_SNIPPET_CHARS = 200


def parse_response(
    status_code: int,
    body_text: str | bytes | None,
    *,
    content_type: str | None = None,
    envelope: bool = True,
) -> Any:
    """Return the data of a Drove answer, or raise the exception the §3.1 matrix calls for.

    :param status_code: the HTTP status code.
    :param body_text: the response body (text or bytes; empty or ``None`` when there was none).
    :param content_type: the ``Content-Type`` header, used only to word errors about non-JSON bodies.
    :param envelope: ``False`` for the log-file endpoints, whose JSON body is not wrapped in
        ``{"status", "data", "message"}``.
    :return: the envelope's ``data`` (``None`` when absent), or the whole JSON body when
        ``envelope`` is false.
    :raises DroveApiError: or one of its subclasses, as described in the module docstring.
    """
    text = _as_text(body_text)
    if status_code == 401:
        raise DroveAuthenticationError(
            f"Drove rejected the credentials (HTTP 401: {_snippet(text) or 'no body'}); "
            "check the connection's login/password or auth_header",
            status_code=401,
        )
    if status_code == 403:
        raise DroveForbiddenError(
            "Drove refused the request (HTTP 403): the connection's user does not have a role allowed "
            "to call this endpoint (writes need EXTERNAL_READ_WRITE or EXTERNAL_ROOT; maintenance needs "
            "DROVE_EXTERNAL_MAINTENANCE or EXTERNAL_ROOT)",
            status_code=403,
        )
    body = _decode_json(text)
    if status_code == 429 or status_code >= 500:
        raise DroveServerError(_server_error_message(status_code, body, text, content_type), status_code=status_code)
    if not envelope:
        return _plain_data(status_code, body, text, content_type)
    if not _is_envelope(body):
        raise _not_an_envelope(status_code, text, content_type)
    return _envelope_data(status_code, body)


def _envelope_data(status_code: int, body: Mapping[str, Any]) -> Any:
    """Read a well-formed envelope: return its data or raise what its status and message say."""
    status = body.get("status")
    message = str(body.get("message") or "")
    data = body.get("data")
    if status_code == 200 and status == "SUCCESS":
        return data
    errors = _validation_errors(data)
    if status_code == 400:
        if message == NOT_LEADER_MESSAGE:
            raise DroveNotLeaderError(message, status_code=400)
        raise DroveValidationError(message or "Drove rejected the request", status_code=400, errors=errors)
    if status_code == 200 and status == "FAILED":
        if message in TRANSIENT_FAILED_MESSAGES:
            raise DroveServerError(message, status_code=200)
        if message == MAINTENANCE_MESSAGE:
            raise DroveValidationError(message, status_code=200, errors=errors)
        raise DroveNotFoundError(message or "Drove found nothing for this request", status_code=200, errors=errors)
    raise DroveApiError(
        f"Unexpected answer from Drove: HTTP {status_code} with status {status!r}: {message}",
        status_code=status_code,
        errors=errors,
    )


def _plain_data(status_code: int, body: Any, text: str, content_type: str | None) -> Any:
    """Read a non-enveloped answer (log files, §6.6)."""
    if status_code == 204:
        raise DroveNotFoundError(
            "Drove could not locate the executor holding this instance or task (HTTP 204); "
            "its logs are no longer reachable",
            status_code=204,
        )
    if status_code == 200 and isinstance(body, Mapping) and set(body) == {"error"}:
        raise DroveApiError(str(body["error"]), status_code=200)
    if status_code == 200 and body is not _NOT_JSON:
        return body
    if _is_envelope(body):
        # A failure before the log proxy ran (not leader, validation) is still enveloped.
        return _envelope_data(status_code, body)
    raise _not_an_envelope(status_code, text, content_type)


def _server_error_message(status_code: int, body: Any, text: str, content_type: str | None) -> str:
    """Word a 5xx/429: Drove's own message and failure when enveloped, else a body snippet."""
    if _is_envelope(body):
        message = str(body.get("message") or "server error")
        data = body.get("data")
        failure = data.get("failure") if isinstance(data, Mapping) else None
        detail = f"{message}: {failure}" if failure else message
        return f"Drove answered HTTP {status_code}: {detail}"
    what = _snippet(text) or "no body"
    kind = f" ({content_type})" if content_type and text else ""
    return f"Drove answered HTTP {status_code}{kind}: {what}"


def _not_an_envelope(status_code: int, text: str, content_type: str | None) -> DroveApiError:
    """The error for an answer that is not Drove's JSON envelope."""
    kind = f" ({content_type})" if content_type else ""
    detail = _snippet(text) or "an empty body"
    if status_code == 200:
        # A controller always envelopes a 200; a garbled one is a transient fault on the way.
        return DroveServerError(
            f"Drove answered HTTP 200 with a body that is not its JSON envelope{kind}: {detail}",
            status_code=200,
        )
    hint = ""
    if status_code in (404, 405):
        hint = "; is the connection's host a Drove controller URL (without /apis/v1)?"
    return DroveApiError(f"Drove answered HTTP {status_code}{kind}: {detail}{hint}", status_code=status_code)


class _NotJson:
    """Marker for a body that is not JSON (distinct from a JSON ``null``)."""

    def __repr__(self) -> str:
        return "<not JSON>"


_NOT_JSON: Any = _NotJson()


def _decode_json(text: str) -> Any:
    if not text.strip():
        return _NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _is_envelope(body: Any) -> bool:
    return isinstance(body, Mapping) and body.get("status") in ("SUCCESS", "FAILED")


def _validation_errors(data: Any) -> list[str]:
    if isinstance(data, Mapping) and isinstance(data.get("validationErrors"), list):
        return [str(e) for e in data["validationErrors"]]
    return []


def _as_text(body: str | bytes | None) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    return body


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET_CHARS else flat[: _SNIPPET_CHARS - 3] + "..."
