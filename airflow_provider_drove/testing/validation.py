"""Adapter between the wire and the engine: Drove's request checks come from ``drove/``.

Spec and operation validation is the provider's own (:mod:`airflow_provider_drove.drove.specs`
and :mod:`~airflow_provider_drove.drove.operations`), so a payload the emulator rejects is one
the provider can reject first, with the same texts. This module only turns the typed results
into the plain dicts the engine works on and decodes request bodies the way Jackson does.
Neither module imports Airflow.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_drove.drove.operations import AppOperation, TaskOperation, parse_app_operation, parse_task_operation
from airflow_provider_drove.drove.specs import DroveWireError, check_application_spec, check_task_spec, echo_spec
from airflow_provider_drove.testing.apps import OpSpec

__all__ = [
    "DroveWireError",
    "app_operation",
    "application_spec",
    "decode_body",
    "echo_spec",
    "task_operation",
    "task_spec",
]


def decode_body(body: bytes) -> Any:
    """Decode a request body as Jackson would.

    :return: the JSON value (``None`` for an empty body or JSON ``null``).
    :raises DroveWireError: ``json`` kind for anything that is not JSON.
    """
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise DroveWireError("json", ["Invalid UTF-8 start byte in request body"]) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        line = getattr(err, "lineno", 1)
        column = getattr(err, "colno", 1)
        reason = getattr(err, "msg", str(err))
        raise DroveWireError(
            "json", [f"Unexpected character: {reason}\n at [Source: REDACTED; line: {line}, column: {column}]"]
        ) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def _op_spec(op: AppOperation | TaskOperation) -> OpSpec | None:
    if op.op_spec is None:
        return None
    return OpSpec(timeout=op.op_spec.timeout_seconds, parallelism=op.op_spec.parallelism)


def app_operation(payload: Any) -> dict[str, Any]:
    """Validate an application operation body and normalise it for the engine.

    :raises DroveWireError: what Drove answers for an invalid operation.
    """
    op = parse_app_operation(payload)
    return {
        "type": op.type,
        "appId": op.app_id,
        "spec": op.spec.to_wire() if op.spec is not None else None,
        "instances": int(op.instances or 0),
        "requiredInstances": int(op.required_instances or 0),
        "instanceIds": list(op.instance_ids),
        "skipRespawn": bool(op.skip_respawn),
        "stopFirst": bool(op.stop_first),
        "opSpec": _op_spec(op),
    }


def task_operation(payload: Any) -> dict[str, Any]:
    """Validate a task operation body and normalise it for the engine.

    :raises DroveWireError: what Drove answers for an invalid operation.
    """
    op = parse_task_operation(payload)
    return {
        "type": op.type,
        "sourceAppName": op.source_app_name,
        "taskId": op.task_id,
        "spec": op.spec.to_wire() if op.spec is not None else None,
        "opSpec": _op_spec(op),
    }


def application_spec(payload: Any) -> dict[str, Any]:
    """Validate an ApplicationSpec body (``/applications/validate/spec``)."""
    return check_application_spec(payload).to_wire()


def task_spec(payload: Any) -> dict[str, Any]:
    """Validate a TaskSpec body (``/tasks/validate/spec``)."""
    return check_task_spec(payload).to_wire()
