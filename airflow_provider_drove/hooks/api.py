"""One builder per Drove controller endpoint: the checked :class:`DroveRequest` and how to read it.

Pure (no I/O): both hooks call these builders and hand the result to their transport, so each
endpoint's path, parameters, payload checks, idempotency and result type are written once.
Every builder checks its arguments and raises
:class:`~airflow_provider_drove.exceptions.DroveInputError` naming the parameter before anything
is sent. Operation payloads come from :mod:`airflow_provider_drove.drove.operations`, results are
the models of :mod:`airflow_provider_drove.drove.models` (``drove-api.md`` §6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from airflow_provider_drove.drove import operations
from airflow_provider_drove.drove.models import (
    AppSummary,
    ClusterSummary,
    ExecutorSummary,
    ExposedAppInfo,
    InstanceInfo,
    LogChunk,
    TaskInfo,
)
from airflow_provider_drove.drove.responses import CANCEL_NOT_POSSIBLE_MESSAGE
from airflow_provider_drove.drove.specs import ApplicationSpec, TaskSpec, parse_application_spec, parse_task_spec
from airflow_provider_drove.drove.states import InstanceState
from airflow_provider_drove.exceptions import DroveApiError, DroveInputError, DroveNotFoundError, DroveValidationError
from airflow_provider_drove.hooks.transport import PING_PATH, DroveRequest, json_content

API = "/apis/v1"
# Drove keeps a whole spec in one ZooKeeper node (default jute.maxbuffer ~1 MiB, §10.1); a bigger
# request cannot be stored, so it is refused here instead of failing obscurely on the controller.
MAX_BODY_BYTES = 1_000_000
LOG_KINDS = ("applications", "tasks")
DEFAULT_LOG_READ_LENGTH = 32768
MAX_INT = 2_147_483_646

# App IDs, task IDs and app names follow Drove's name regex (§10); instance and executor IDs are
# "AI-<uuid>"/"TI-<uuid>"/UUIDs, which the same character set covers.
_ID_RE = re.compile(r"[A-Za-z0-9_\-]+")
_FILE_RE = re.compile(r"[A-Za-z0-9_.\-]+")


# -- argument checks --------------------------------------------------------------------------


def _id(value: Any, field: str, example: str) -> str:
    """Check an identifier that goes into a path segment."""
    if not isinstance(value, str) or not value:
        raise DroveInputError(field, f"must be a non-empty string such as {example!r}, got {value!r}")
    if not _ID_RE.fullmatch(value):
        raise DroveInputError(
            field, f"{value!r} may contain only letters, digits, '-' and '_' (e.g. {example!r})"
        )
    return value


def _app_id(value: Any, field: str = "app_id") -> str:
    return _id(value, field, "MY_APP-1")


def _non_negative(value: Any, field: str, *, allow: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not allow <= value <= MAX_INT:
        raise DroveInputError(field, f"must be a whole number from {allow} to {MAX_INT}, got {value!r}")
    return value


def _instance_states(states: Iterable[InstanceState | str] | None) -> tuple[tuple[str, str], ...]:
    """Query pairs for ``?state=``; Drove answers a wrong name with a bare 404, so check first."""
    if states is None:
        return ()
    if isinstance(states, (str, InstanceState)):
        states = [states]
    pairs = []
    for i, state in enumerate(states):
        name = state.value if isinstance(state, InstanceState) else state
        if name not in InstanceState.__members__:
            allowed = ", ".join(InstanceState.__members__)
            raise DroveInputError(f"states[{i}]", f"{state!r} is not an instance state; use one of {allowed}")
        pairs.append(("state", name))
    return tuple(pairs)


def _content(body: Any, field: str) -> bytes:
    content = json_content(body)
    if len(content) > MAX_BODY_BYTES:
        raise DroveInputError(
            field,
            f"the request is {len(content)} bytes; Drove stores it in one ZooKeeper node (about 1 MB at most): "
            "move large inline configs to CONTROLLER_HTTP_FETCH/EXECUTOR_HTTP_FETCH configs",
        )
    return content


def _seg(value: str) -> str:
    return quote(value, safe="")


# -- results ----------------------------------------------------------------------------------


def _app_map(data: Any) -> dict[str, AppSummary]:
    return {app_id: AppSummary.from_wire(item) for app_id, item in (data or {}).items()}


def _instances(data: Any) -> list[InstanceInfo]:
    return [InstanceInfo.from_wire(item) for item in data or []]


def _tasks(data: Any) -> list[TaskInfo]:
    return [TaskInfo.from_wire(item) for item in data or []]


def _field(name: str) -> Any:
    def read(data: Any) -> Any:
        if not isinstance(data, Mapping) or name not in data:
            raise DroveApiError(f"Drove's answer has no {name!r}: {data!r}")
        return data[name]

    return read


def _nothing(_data: Any) -> None:
    return None


def _dict(data: Any) -> dict[str, Any]:
    return dict(data or {})


# -- ping and cluster -------------------------------------------------------------------------


def ping() -> DroveRequest[str]:
    """``GET /ping``: ``"pong"`` from the leader (§5)."""
    return DroveRequest("GET", PING_PATH)


def get_cluster_summary() -> DroveRequest[ClusterSummary]:
    """``GET /cluster`` (§6.4); the transient "Could not fetch cluster summary" is retried."""
    return DroveRequest("GET", f"{API}/cluster", convert=ClusterSummary.from_wire)


def list_executors() -> DroveRequest[list[ExecutorSummary]]:
    """``GET /cluster/executors`` (§6.4)."""
    return DroveRequest(
        "GET", f"{API}/cluster/executors", convert=lambda d: [ExecutorSummary.from_wire(e) for e in d or []]
    )


def get_executor(executor_id: str) -> DroveRequest[dict[str, Any]]:
    """``GET /cluster/executors/{id}``: the executor's node data as Drove sends it."""
    eid = _id(executor_id, "executor_id", "a45442a1-d4d0-3479-ab9e-3ed0aa5f7d2d")
    return DroveRequest("GET", f"{API}/cluster/executors/{_seg(eid)}", convert=_dict)


def set_maintenance(on: bool) -> DroveRequest[dict[str, Any]]:
    """``POST /cluster/maintenance/set`` or ``/unset`` (§6.4); needs a MAINTENANCE or ROOT user."""
    action = "set" if on else "unset"
    return DroveRequest(
        "POST", f"{API}/cluster/maintenance/{action}", convert=_dict, operation=f"maintenance {action}"
    )


# -- applications -----------------------------------------------------------------------------


def submit_operation(payload: Mapping[str, Any]) -> DroveRequest[str]:
    """``POST /applications/operations`` with any §7.2 payload, checked with Drove's rules first.

    :return: a request whose result is the ``appId`` Drove echoes.
    """
    return app_operation(operations.validate_app_operation(payload))


def app_operation(wire: Mapping[str, Any]) -> DroveRequest[str]:
    """The request for an application operation payload already built by :mod:`~.drove.operations`.

    Not idempotent: it is never resent once it may have reached the leader.
    """
    spec = wire.get("spec") or {}
    target = wire.get("appId") or f"{spec.get('name')}-{spec.get('version')}"
    return DroveRequest(
        "POST",
        f"{API}/applications/operations",
        content=_content(wire, "operation"),
        idempotent=False,
        convert=_field("appId"),
        operation=f"{wire['type']} of app {target}",
    )


def cancel_operation(app_id: str) -> DroveRequest[bool]:
    """``POST /applications/operations/{appId}/cancel`` (§7.6).

    Result ``True`` when Drove accepted the cancel, ``False`` on its 400 "Current operation could
    not be cancelled". Resending a cancel cannot start anything, so it counts as idempotent.
    """
    aid = _app_id(app_id)

    def not_cancellable(exc: DroveApiError) -> bool:
        if isinstance(exc, DroveValidationError) and exc.message == CANCEL_NOT_POSSIBLE_MESSAGE:
            return False
        raise exc

    return DroveRequest(
        "POST",
        f"{API}/applications/operations/{_seg(aid)}/cancel",
        convert=lambda _d: True,
        recover=not_cancellable,
        operation=f"cancel of the current operation of app {aid}",
    )


def list_applications() -> DroveRequest[dict[str, AppSummary]]:
    """``GET /applications``: every app, keyed by app ID."""
    return DroveRequest("GET", f"{API}/applications", convert=_app_map)


def get_application(app_id: str) -> DroveRequest[AppSummary]:
    """``GET /applications/{appId}``; a miss raises DroveNotFoundError "App X not found"."""
    return DroveRequest("GET", f"{API}/applications/{_seg(_app_id(app_id))}", convert=AppSummary.from_wire)


def get_application_spec(app_id: str) -> DroveRequest[dict[str, Any]]:
    """``GET /applications/{appId}/spec``: the spec as Drove echoes it (secrets masked by Drove)."""
    return DroveRequest("GET", f"{API}/applications/{_seg(_app_id(app_id))}/spec", convert=_dict)


def list_instances(app_id: str, states: Iterable[InstanceState | str] | None = None) -> DroveRequest[list[InstanceInfo]]:
    """``GET /applications/{appId}/instances[?state=...]``: active instances (§6.1)."""
    aid = _app_id(app_id)
    return DroveRequest(
        "GET", f"{API}/applications/{_seg(aid)}/instances", params=_instance_states(states), convert=_instances
    )


def list_old_instances(app_id: str, start: int = 0, size: int | None = None) -> DroveRequest[list[InstanceInfo]]:
    """``GET /applications/{appId}/instances/old?start=&size=``: stopped, lost and failed instances."""
    aid = _app_id(app_id)
    params = [("start", str(_non_negative(start, "start")))]
    if size is not None:
        params.append(("size", str(_non_negative(size, "size"))))
    return DroveRequest(
        "GET", f"{API}/applications/{_seg(aid)}/instances/old", params=tuple(params), convert=_instances
    )


def get_instance(app_id: str, instance_id: str) -> DroveRequest[InstanceInfo]:
    """``GET /applications/{appId}/instances/{instanceId}`` (any state)."""
    aid = _app_id(app_id)
    iid = _id(instance_id, "instance_id", "AI-58eb1111-8c2c-4ea2-a159-8fc68010a146")
    return DroveRequest(
        "GET", f"{API}/applications/{_seg(aid)}/instances/{_seg(iid)}", convert=InstanceInfo.from_wire
    )


def validate_application_spec(spec: ApplicationSpec | Mapping[str, Any]) -> DroveRequest[None]:
    """``POST /applications/validate/spec``, after the provider's own checks of the spec."""
    wire = parse_application_spec(spec).to_wire()
    return DroveRequest(
        "POST", f"{API}/applications/validate/spec", content=_content(wire, "spec"), convert=_nothing
    )


def list_endpoints(app_names: Sequence[str] | str | None = None) -> DroveRequest[list[ExposedAppInfo]]:
    """``GET /endpoints[?app=...]``: exposed apps and their healthy hosts, filtered by app *name*."""
    names = [app_names] if isinstance(app_names, str) else list(app_names or [])
    params = tuple(("app", _id(n, f"app_names[{i}]", "MY_APP")) for i, n in enumerate(names))
    return DroveRequest(
        "GET", f"{API}/endpoints", params=params, convert=lambda d: [ExposedAppInfo.from_wire(e) for e in d or []]
    )


# -- tasks ------------------------------------------------------------------------------------


def submit_task_operation(payload: Mapping[str, Any]) -> DroveRequest[str]:
    """``POST /tasks/operations`` with a CREATE or KILL payload (§8), checked first.

    :return: a request whose result is Drove's ``taskId`` (``{sourceAppName}-{taskId}`` for CREATE).
    """
    return task_operation(operations.validate_task_operation(payload))


def task_operation(wire: Mapping[str, Any]) -> DroveRequest[str]:
    """The request for a task operation payload already built by :mod:`~.drove.operations`."""
    about = wire.get("spec") or wire
    return DroveRequest(
        "POST",
        f"{API}/tasks/operations",
        content=_content(wire, "operation"),
        idempotent=False,
        convert=_field("taskId"),
        operation=f"task {wire['type']} of {about.get('sourceAppName')}/{about.get('taskId')}",
    )


def get_task(source_app_name: str, task_id: str) -> DroveRequest[TaskInfo]:
    """``GET /tasks/{sourceAppName}/instances/{taskId}``; "No such task instance" while pending (§8)."""
    app = _id(source_app_name, "source_app_name", "MY_APP")
    tid = _id(task_id, "task_id", "T0012")
    return DroveRequest("GET", f"{API}/tasks/{_seg(app)}/instances/{_seg(tid)}", convert=TaskInfo.from_wire)


def list_tasks() -> DroveRequest[list[TaskInfo]]:
    """``GET /tasks``: tasks with a live runner (finished ones drop out, §6.2)."""
    return DroveRequest("GET", f"{API}/tasks", convert=_tasks)


def delete_task(source_app_name: str, task_id: str) -> DroveRequest[bool]:
    """``DELETE /tasks/{sourceAppName}/instances/{taskId}``: drop the record so the id can be reused.

    Result ``False`` on Drove's 200 FAILED "Could not delete ..." (a ZooKeeper error).
    """
    app = _id(source_app_name, "source_app_name", "MY_APP")
    tid = _id(task_id, "task_id", "T0012")

    def not_deleted(exc: DroveApiError) -> bool:
        if isinstance(exc, DroveNotFoundError) and exc.message.startswith("Could not delete"):
            return False
        raise exc

    return DroveRequest(
        "DELETE",
        f"{API}/tasks/{_seg(app)}/instances/{_seg(tid)}",
        convert=lambda d: bool(d.get("deleted", True)) if isinstance(d, Mapping) else True,
        recover=not_deleted,
    )


def validate_task_spec(spec: TaskSpec | Mapping[str, Any]) -> DroveRequest[None]:
    """``POST /tasks/validate/spec`` (also checks resources now), after the provider's own checks."""
    wire = parse_task_spec(spec).to_wire()
    return DroveRequest("POST", f"{API}/tasks/validate/spec", content=_content(wire, "spec"), convert=_nothing)


# -- log files (not enveloped, §6.6) ----------------------------------------------------------


def _log_path(kind: str, owner_id: str, instance_id: str) -> str:
    if kind not in LOG_KINDS:
        raise DroveInputError("kind", f"{kind!r} is not a log kind; use 'applications' or 'tasks'")
    owner = _id(owner_id, "owner_id", "MY_APP-1" if kind == "applications" else "MY_APP")
    iid = _id(instance_id, "instance_id", "AI-58eb1111-..." if kind == "applications" else "T0012")
    return f"{API}/logfiles/{kind}/{_seg(owner)}/{_seg(iid)}"


def list_log_files(kind: str, owner_id: str, instance_id: str) -> DroveRequest[list[str]]:
    """``GET /logfiles/{kind}/{owner}/{instance}/list``.

    ``owner_id``/``instance_id`` are the app ID and instance ID for applications, the source app
    name and the user task ID for tasks.
    """
    return DroveRequest(
        "GET",
        f"{_log_path(kind, owner_id, instance_id)}/list",
        envelope=False,
        convert=lambda d: [str(f) for f in _field("files")(d)],
    )


def read_log_file(
    kind: str, owner_id: str, instance_id: str, file_name: str, offset: int = -1, length: int = DEFAULT_LOG_READ_LENGTH
) -> DroveRequest[LogChunk]:
    """``GET /logfiles/.../read/{file}?offset=&length=``; ``offset=-1`` asks for the current end."""
    if not isinstance(file_name, str) or not _FILE_RE.fullmatch(file_name) or file_name in (".", ".."):
        raise DroveInputError("file_name", f"{file_name!r} is not a log file name such as 'output.log'")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < -1:
        raise DroveInputError("offset", f"must be -1 (the current end) or a byte offset of 0 or more, got {offset!r}")
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= MAX_INT:
        raise DroveInputError("length", f"must be a positive number of bytes, got {length!r}")
    return DroveRequest(
        "GET",
        f"{_log_path(kind, owner_id, instance_id)}/read/{_seg(file_name)}",
        params=(("offset", str(offset)), ("length", str(length))),
        envelope=False,
        convert=LogChunk.from_wire,
    )
