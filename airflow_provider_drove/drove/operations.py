"""Drove operation payloads: application ops (``drove-api.md`` §7.1, §7.2) and task ops (§8).

Two faces, like :mod:`airflow_provider_drove.drove.specs`:

* **provider face**: builders (:func:`scale`, :func:`create`, ... :func:`task_kill`) and
  :func:`validate_app_operation` return wire dicts, or raise ``DroveInputError`` naming the
  parameter and the fix before any request is sent;
* **emulator face**: :func:`parse_app_operation` / :func:`parse_task_operation` return a typed
  operation, or raise :class:`~airflow_provider_drove.drove.specs.DroveWireError` with Drove's kind
  and texts.

Wire type names differ from Drove's internal ones: ``SCALE`` goes over the wire, error messages
name it ``SCALE_INSTANCES`` (§1.6). Both are kept on :class:`AppOperation`.

No Airflow import at module level (see :mod:`airflow_provider_drove.drove.specs`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from airflow_provider_drove.drove.durations import InvalidDurationError, parse_duration, to_duration_string
from airflow_provider_drove.drove.specs import (
    APP_SPEC_SCHEMA,
    TASK_SPEC_SCHEMA,
    ApplicationSpec,
    SpecCheckOptions,
    TaskSpec,
    app_server_failures,
    app_spec_checks,
    common_spec_checks,
    parse_application_spec,
    parse_task_spec,
    task_server_failures,
)
from airflow_provider_drove.drove.states import ApplicationState
from airflow_provider_drove.drove.wire import (
    DroveWireError,
    Problem,
    WireBool,
    WireDuration,
    WireEnum,
    WireField,
    WireInt,
    WireList,
    WireObject,
    WirePoly,
    WireStr,
    prefixed_path,
    raise_input_error,
    validate_payload,
    wire_error,
)

__all__ = [
    "ALLOWED_OPERATIONS",
    "APP_OPERATION_TYPES",
    "INTERNAL_OPERATION_TYPES",
    "MAX_INSTANCES",
    "MAX_PARALLELISM",
    "MAX_START_INSTANCES",
    "AppOperation",
    "DroveWireError",
    "OpSpec",
    "TaskOperation",
    "allowed_operations",
    "create",
    "destroy",
    "operation_rejection",
    "parse_app_operation",
    "parse_task_operation",
    "recover",
    "replace_instances",
    "scale",
    "start_instances",
    "stop_instances",
    "suspend",
    "task_create",
    "task_kill",
    "validate_app_operation",
    "validate_task_operation",
]

#: ``requiredInstances`` of SCALE and ``instances`` of CREATE: 0..2048 (§7.2)
MAX_INSTANCES = 2048
#: ``instances`` of START_INSTANCES: 0..1024 (§7.2)
MAX_START_INSTANCES = 1024
#: ``opSpec.parallelism``: 1..512 (§7.1; the docs' 1..32 is outdated)
MAX_PARALLELISM = 512

#: wire ``type`` -> Drove's internal ``ApplicationOperationType`` (named in error messages, §1.6)
INTERNAL_OPERATION_TYPES: dict[str, str] = {
    "CREATE": "CREATE",
    "SCALE": "SCALE_INSTANCES",
    "START_INSTANCES": "START_INSTANCES",
    "STOP_INSTANCES": "STOP_INSTANCES",
    "REPLACE_INSTANCES": "REPLACE_INSTANCES",
    "SUSPEND": "SUSPEND",
    "RECOVER": "RECOVER",
    "DESTROY": "DESTROY",
}
APP_OPERATION_TYPES = tuple(INTERNAL_OPERATION_TYPES)
_WIRE_BY_INTERNAL = {v: k for k, v in INTERNAL_OPERATION_TYPES.items()}

_APP_ID_RE = re.compile(r"[a-zA-Z\d\-_]+")

#: Drove's ``VALID_OPS_TABLE`` (§7.3) by wire type: what each app state accepts. States not listed
#: (INIT, OUTAGE_DETECTED, *_REQUESTED but SCALING, DESTROYED, FAILED) accept nothing; CREATE is
#: accepted only when no state machine exists for the app.
ALLOWED_OPERATIONS: dict[ApplicationState, frozenset[str]] = {
    ApplicationState.MONITORING: frozenset({"START_INSTANCES", "SCALE", "DESTROY", "RECOVER"}),
    ApplicationState.RUNNING: frozenset(
        {"START_INSTANCES", "STOP_INSTANCES", "SCALE", "REPLACE_INSTANCES", "SUSPEND", "RECOVER"}
    ),
    ApplicationState.SCALING_REQUESTED: frozenset({"SCALE"}),
}


def allowed_operations(state: ApplicationState | str | None) -> frozenset[str]:
    """Wire op types Drove accepts for an app in ``state`` (§7.3); ``None`` means no such app.

    :param state: the app state (enum or string), or None when Drove has no state machine for it.
    :return: wire type names, e.g. ``{"SCALE"}`` while SCALING_REQUESTED.
    """
    if state is None:
        return frozenset({"CREATE"})
    try:
        return ALLOWED_OPERATIONS.get(ApplicationState(str(state)), frozenset())
    except ValueError:
        return frozenset()


def operation_rejection(app_id: str, state: ApplicationState | str | None, op_type: str) -> str | None:
    """Drove's 400 text when ``op_type`` is not allowed for the app now, else None (§3.2, §7.3).

    :param app_id: the target app.
    :param state: its state, or None when Drove has no state machine for it (unknown app).
    :param op_type: the wire type (``SCALE``) or the internal one (``SCALE_INSTANCES``).
    :return: e.g. ``"Only [SCALE_INSTANCES] allowed for app A-1 as it is in SCALING_REQUESTED state"``.
    """
    wire = _WIRE_BY_INTERNAL.get(op_type, op_type)
    if wire == "CREATE":
        return None if state is None else f"App {app_id} already exists"
    if state is None:
        return f"No state found for app: {app_id}"
    allowed = allowed_operations(state)
    if wire in allowed:
        return None
    if not allowed:
        return f"No operations allowed for {app_id} as it is in {state} state"
    # Drove prints the internal names, sorted
    names = sorted(INTERNAL_OPERATION_TYPES[t] for t in allowed)
    return f"Only [{', '.join(names)}] allowed for app {app_id} as it is in {state} state"

# ---- Drove's models (models/operation/**) ----

_OP_SPEC = WireObject(
    "ClusterOpSpec",
    [
        WireField("timeout", WireDuration(), "null", hint="'5m'"),
        WireField("parallelism", WireInt(1, MAX_PARALLELISM), default=0),
        WireField("failureStrategy", WireEnum("FailureStrategy", ("STOP", "ROLLBACK")), "null", hint="'STOP'"),
    ],
)
_OP_SPEC_F = WireField("opSpec", _OP_SPEC, "null", hint='{"timeout": "5m", "parallelism": 1, "failureStrategy": "STOP"}')
_APP_ID_F = WireField("appId", WireStr(), "empty", hint="'MY_APP-1'")

_APP_OPERATION = WirePoly(
    "com.phonepe.drove.models.operation.ApplicationOperation",
    {
        "CREATE": WireObject(
            "ApplicationCreateOperation",
            [
                WireField("spec", APP_SPEC_SCHEMA, "null"),
                WireField("instances", WireInt(0, MAX_INSTANCES, "long"), default=0),
                _OP_SPEC_F,
            ],
        ),
        "SCALE": WireObject(
            "ApplicationScaleOperation",
            [_APP_ID_F, WireField("requiredInstances", WireInt(0, MAX_INSTANCES, "long"), default=0), _OP_SPEC_F],
        ),
        "START_INSTANCES": WireObject(
            "ApplicationStartInstancesOperation",
            [_APP_ID_F, WireField("instances", WireInt(0, MAX_START_INSTANCES, "long"), default=0), _OP_SPEC_F],
        ),
        "STOP_INSTANCES": WireObject(
            "ApplicationStopInstancesOperation",
            [
                _APP_ID_F,
                WireField("instanceIds", WireList(WireStr()), "empty", hint="['AI-...']"),
                WireField("skipRespawn", WireBool(), default=False),
                _OP_SPEC_F,
            ],
        ),
        "REPLACE_INSTANCES": WireObject(
            "ApplicationReplaceInstancesOperation",
            [_APP_ID_F, WireField("instanceIds", WireList(WireStr())), WireField("stopFirst", WireBool(), default=False), _OP_SPEC_F],
        ),
        "SUSPEND": WireObject("ApplicationSuspendOperation", [_APP_ID_F, _OP_SPEC_F]),
        "RECOVER": WireObject("ApplicationRecoverOperation", [_APP_ID_F]),
        "DESTROY": WireObject("ApplicationDestroyOperation", [_APP_ID_F, _OP_SPEC_F]),
    },
)

_TASK_OPERATION = WirePoly(
    "com.phonepe.drove.models.operation.TaskOperation",
    {
        "CREATE": WireObject("TaskCreateOperation", [WireField("spec", TASK_SPEC_SCHEMA, "null"), _OP_SPEC_F]),
        "KILL": WireObject(
            "TaskKillOperation",
            [
                WireField("sourceAppName", WireStr(), "empty", hint="'MY_APP'"),
                WireField("taskId", WireStr(), "empty", hint="'T0012'"),
                _OP_SPEC_F,
            ],
        ),
    },
)


# --------------------------------------------------------------------------------------------
# OpSpec
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpSpec:
    """Drove's ``ClusterOpSpec`` (§7.1).

    :param timeout: per-instance wait: a Drove duration string (``"5m"``), seconds, or a timedelta.
        It is *not* a whole-operation deadline.
    :param parallelism: how many instances start or stop at a time, 1..512.
    :param failure_strategy: ``STOP`` or ``ROLLBACK`` (case-insensitive; Drove never reads it, and
        has no ``CONTINUE``).
    """

    timeout: str = "5m"
    parallelism: int = 1
    failure_strategy: str = "STOP"

    def __post_init__(self) -> None:
        problem = _op_spec_problem(self)
        if problem is not None:
            raise_input_error([problem], "op_spec")
        object.__setattr__(self, "timeout", to_duration_string(self.timeout))
        object.__setattr__(self, "failure_strategy", self.failure_strategy.upper())

    def to_wire(self) -> dict[str, Any]:
        """``{"timeout", "parallelism", "failureStrategy"}`` as Drove reads it."""
        return {"timeout": self.timeout, "parallelism": self.parallelism, "failureStrategy": self.failure_strategy}

    @property
    def timeout_seconds(self) -> float:
        """The timeout in seconds."""
        return parse_duration(self.timeout).seconds

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> OpSpec:
        """Build from a validated ``opSpec`` object."""
        return cls(data["timeout"], data["parallelism"], data["failureStrategy"])

    @classmethod
    def coerce(cls, value: OpSpec | Mapping[str, Any] | None, *, field: str = "op_spec") -> OpSpec:
        """Accept None (defaults), an OpSpec, or a dict with wire (``failureStrategy``) or snake keys.

        :raises DroveInputError: naming ``op_spec.<key>`` and the fix.
        """
        if value is None:
            return cls()
        if isinstance(value, OpSpec):
            return value
        if not isinstance(value, Mapping):
            raise_input_error([Problem("provider", "", "", _must("a dict like {'timeout': '5m', 'parallelism': 1} or an OpSpec", value))], field)  # fmt: skip
        aliases = {"timeout": "timeout", "parallelism": "parallelism", "failureStrategy": "failure_strategy",
                   "failure_strategy": "failure_strategy"}  # fmt: skip
        unknown = [k for k in value if k not in aliases]
        if unknown:
            raise_input_error([Problem("provider", str(unknown[0]), "",
                                       "is not an opSpec field; use timeout, parallelism, failure_strategy")], field)  # fmt: skip
        kwargs = {aliases[k]: v for k, v in value.items()}
        probe = _op_spec_problem(_Probe(**{**cls().__dict__, **kwargs}))
        if probe is not None:
            wire_name = {"failure_strategy": "failureStrategy"}.get(probe.path, probe.path)
            key = probe.path if probe.path in value else wire_name
            raise_input_error([Problem("provider", key, "", probe.problem)], field)
        return cls(**kwargs)


@dataclass
class _Probe:
    timeout: Any
    parallelism: Any
    failure_strategy: Any


def _must(expected: str, value: Any) -> str:
    return f"must be {expected}, not {type(value).__name__} {value!r}"


def _op_spec_problem(spec: Any) -> Problem | None:
    """The first problem of an op spec given as Python values, or None."""
    if isinstance(spec.timeout, bool) or not isinstance(spec.timeout, (str, int, float, datetime.timedelta)):
        return Problem("provider", "timeout", "", _must("a Drove duration such as '5m' or a number of seconds", spec.timeout))  # fmt: skip
    try:
        to_duration_string(spec.timeout)
    except InvalidDurationError as err:
        return Problem("provider", "timeout", "", str(err))
    if isinstance(spec.parallelism, bool) or not isinstance(spec.parallelism, int):
        return Problem("provider", "parallelism", "", _must("a whole number between 1 and 512", spec.parallelism))
    if not 1 <= spec.parallelism <= MAX_PARALLELISM:
        return Problem("provider", "parallelism", "",
                       f"must be between 1 and {MAX_PARALLELISM}, got {spec.parallelism}")  # fmt: skip
    fs = spec.failure_strategy
    if not isinstance(fs, str) or fs.upper() not in ("STOP", "ROLLBACK"):
        extra = " (Drove has no CONTINUE)" if isinstance(fs, str) and fs.upper() == "CONTINUE" else ""
        return Problem("provider", "failure_strategy", "", f"must be STOP or ROLLBACK, got {fs!r}{extra}")
    return None


# --------------------------------------------------------------------------------------------
# Typed operations (emulator face)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppOperation:
    """A validated application operation.

    :param type: the wire type (``SCALE``).
    :param internal_type: Drove's internal name used in its messages (``SCALE_INSTANCES``).
    :param app_id: the target app (for CREATE, ``spec.app_id``).
    """

    type: str
    app_id: str
    op_spec: OpSpec | None = None
    spec: ApplicationSpec | None = None
    instances: int = 0
    required_instances: int = 0
    instance_ids: tuple[str, ...] = ()
    skip_respawn: bool = False
    stop_first: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def internal_type(self) -> str:
        """Drove's ``ApplicationOperationType`` name (``SCALE`` -> ``SCALE_INSTANCES``)."""
        return INTERNAL_OPERATION_TYPES[self.type]


@dataclass(frozen=True)
class TaskOperation:
    """A validated task operation (CREATE or KILL)."""

    type: str
    source_app_name: str
    task_id: str
    op_spec: OpSpec
    spec: TaskSpec | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _walk_operation(
    schema: WirePoly, payload: Any, options: SpecCheckOptions, task: bool
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Validate an operation in Drove's order; a CREATE's spec gets the spec checks after bean validation."""
    spec_server = task_server_failures if task else app_server_failures

    def spec_checks(spec: Mapping[str, Any]) -> list[Problem]:
        return common_spec_checks(spec, options, "tasks") if task else app_spec_checks(spec, options)

    def on_spec(check: Callable[[Mapping[str, Any]], list[Problem]]) -> Callable[[Mapping[str, Any]], list[Problem]]:
        return lambda data: [_nest(p) for p in check(data["spec"])] if data.get("type") == "CREATE" else []

    return validate_payload(schema, payload, on_spec(spec_checks), on_spec(spec_server))


def _nest(problem: Problem) -> Problem:
    return Problem(problem.kind, prefixed_path("spec", problem.path), problem.message, problem.problem)


def parse_app_operation(payload: Any, *, options: SpecCheckOptions | None = None) -> AppOperation:
    """Validate an application operation as the controller does (emulator face).

    :param payload: the decoded JSON body of ``POST /applications/operations``.
    :param options: controller options that affect the spec checks of CREATE.
    :return: the typed operation.
    :raises DroveWireError: ``json`` (bad JSON types, unknown/missing ``type``: e.g.
        ``SCALE_INSTANCES`` is not a wire type), ``command`` (``"opSpec.parallelism must be ..."``,
        spec checks), ``server`` (CREATE without ``placementPolicy``).
    """
    data, problems = _walk_operation(_APP_OPERATION, payload, options or SpecCheckOptions(), task=False)
    error = wire_error(problems)
    if error is not None:
        raise error
    assert data is not None
    op_type = data["type"]
    spec = ApplicationSpec(data["spec"], _trusted=True) if op_type == "CREATE" else None
    return AppOperation(
        type=op_type,
        app_id=spec.app_id if spec is not None else data["appId"],
        op_spec=OpSpec.from_wire(data["opSpec"]) if "opSpec" in data and op_type != "RECOVER" else None,
        spec=spec,
        instances=data.get("instances", 0),
        required_instances=data.get("requiredInstances", 0),
        instance_ids=tuple(i for i in data.get("instanceIds") or () if i is not None),
        skip_respawn=data.get("skipRespawn", False),
        stop_first=data.get("stopFirst", False),
        raw=data,
    )


def parse_task_operation(payload: Any, *, options: SpecCheckOptions | None = None) -> TaskOperation:
    """Validate a task operation as the controller does (emulator face). See :func:`parse_app_operation`."""
    data, problems = _walk_operation(_TASK_OPERATION, payload, options or SpecCheckOptions(), task=True)
    error = wire_error(problems)
    if error is not None:
        raise error
    assert data is not None
    if data["type"] == "CREATE":
        spec = TaskSpec(data["spec"], _trusted=True)
        return TaskOperation("CREATE", spec.source_app_name, spec.task_id, OpSpec.from_wire(data["opSpec"]), spec, data)
    return TaskOperation("KILL", data["sourceAppName"], data["taskId"], OpSpec.from_wire(data["opSpec"]), None, data)


# --------------------------------------------------------------------------------------------
# Builders (provider face)
# --------------------------------------------------------------------------------------------


def _fail(field: str, problem: str) -> NoReturn:
    raise_input_error([Problem("provider", "", "", problem)], field)


def _check_app_id(app_id: Any, field: str = "app_id") -> str:
    if not isinstance(app_id, str) or not app_id:
        _fail(field, _must("a non-empty Drove app ID such as 'MY_APP-1' (name-version)", app_id))
    if not _APP_ID_RE.fullmatch(app_id):
        _fail(field, f"{app_id!r} is not a Drove app ID: it may contain only letters, digits, '-' and '_' (e.g. 'MY_APP-1')")
    return app_id


def _check_count(value: Any, field: str, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            _fail(field, f"must be an int, got the string {value!r}; render it as a number (e.g. with int())")
        _fail(field, _must(f"a whole number between 0 and {hi}", value))
    if not 0 <= value <= hi:
        _fail(field, f"must be between 0 and {hi} (Drove's limit), got {value}")
    return value


def _check_instance_ids(value: Any, field: str, allow_empty: bool) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        _fail(field, _must("a list of instance IDs such as ['AI-...']", value))
    ids = list(value)
    if not ids and not allow_empty:
        _fail(field, "must list at least one instance ID (e.g. ['AI-58eb1111-...'])")
    for i, iid in enumerate(ids):
        if not isinstance(iid, str) or not iid.strip():
            _fail(f"{field}[{i}]", _must("a non-empty instance ID string", iid))
    return ids


def scale(app_id: str, required_instances: int, op_spec: OpSpec | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """SCALE payload (§7.2).

    :param app_id: the app, ``name-version``.
    :param required_instances: the target count, 0..2048. Required: Drove reads a missing one as 0.
    :param op_spec: None (defaults), a dict, or an :class:`OpSpec`.
    :return: the wire payload.
    :raises DroveInputError: naming the parameter and the fix (for every builder of this module).
    """
    return {
        "type": "SCALE",
        "appId": _check_app_id(app_id),
        "requiredInstances": _check_count(required_instances, "required_instances", MAX_INSTANCES),
        "opSpec": OpSpec.coerce(op_spec).to_wire(),
    }


def create(
    spec: ApplicationSpec | Mapping[str, Any], instances: int = 0, op_spec: OpSpec | Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """CREATE payload (§7.2): the spec is validated with Drove's rules first.

    :param spec: the ApplicationSpec (dict or parsed); errors name ``spec.<path>``.
    :param instances: instances to start right away, 0..2048 (Drove's monitor starts them within 30 s).
    :param op_spec: None (defaults), a dict, or an :class:`OpSpec` (Drove requires it, never reads it).
    """
    return {
        "type": "CREATE",
        "spec": parse_application_spec(spec).to_wire(),
        "instances": _check_count(instances, "instances", MAX_INSTANCES),
        "opSpec": OpSpec.coerce(op_spec).to_wire(),
    }


def start_instances(app_id: str, instances: int, op_spec: OpSpec | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """START_INSTANCES payload (§7.2).

    :param app_id: the app.
    :param instances: how many *new* instances, 0..1024.
    :param op_spec: None, a dict, or an :class:`OpSpec`.
    """
    return {
        "type": "START_INSTANCES",
        "appId": _check_app_id(app_id),
        "instances": _check_count(instances, "instances", MAX_START_INSTANCES),
        "opSpec": OpSpec.coerce(op_spec).to_wire(),
    }


def stop_instances(
    app_id: str,
    instance_ids: Sequence[str],
    skip_respawn: bool = False,
    op_spec: OpSpec | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """STOP_INSTANCES payload (§7.2).

    :param app_id: the app.
    :param instance_ids: a non-empty list of ``AI-`` IDs of active instances.
    :param skip_respawn: True to lower ``requiredInstances`` instead of letting the monitor respawn.
    :param op_spec: None, a dict, or an :class:`OpSpec`.
    """
    if not isinstance(skip_respawn, bool):
        _fail("skip_respawn", _must("True or False", skip_respawn))
    return {
        "type": "STOP_INSTANCES",
        "appId": _check_app_id(app_id),
        "instanceIds": _check_instance_ids(instance_ids, "instance_ids", allow_empty=False),
        "skipRespawn": skip_respawn,
        "opSpec": OpSpec.coerce(op_spec).to_wire(),
    }


def replace_instances(
    app_id: str,
    instance_ids: Sequence[str] | None = None,
    stop_first: bool = False,
    op_spec: OpSpec | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """REPLACE_INSTANCES payload: a rolling restart (§7.2).

    :param app_id: the app.
    :param instance_ids: healthy instances to replace; None or empty means all healthy ones.
    :param stop_first: stop the old instance before starting its replacement.
    :param op_spec: None, a dict, or an :class:`OpSpec`.
    """
    if not isinstance(stop_first, bool):
        _fail("stop_first", _must("True or False", stop_first))
    ids = [] if instance_ids is None else _check_instance_ids(instance_ids, "instance_ids", allow_empty=True)
    return {
        "type": "REPLACE_INSTANCES",
        "appId": _check_app_id(app_id),
        "instanceIds": ids,
        "stopFirst": stop_first,
        "opSpec": OpSpec.coerce(op_spec).to_wire(),
    }


def suspend(app_id: str, op_spec: OpSpec | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """SUSPEND payload: a scale to 0, allowed only in RUNNING (§7.3).

    :param app_id: the app.
    :param op_spec: None, a dict, or an :class:`OpSpec`.
    """
    return {"type": "SUSPEND", "appId": _check_app_id(app_id), "opSpec": OpSpec.coerce(op_spec).to_wire()}


def recover(app_id: str) -> dict[str, Any]:
    """RECOVER payload: it takes no opSpec (§7.2).

    :param app_id: the app.
    """
    return {"type": "RECOVER", "appId": _check_app_id(app_id)}


def destroy(app_id: str, op_spec: OpSpec | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """DESTROY payload, allowed only in MONITORING (§7.3).

    :param app_id: the app.
    :param op_spec: None, a dict, or an :class:`OpSpec` (Drove requires it, never reads it).
    """
    return {"type": "DESTROY", "appId": _check_app_id(app_id), "opSpec": OpSpec.coerce(op_spec).to_wire()}


def task_create(spec: TaskSpec | Mapping[str, Any], op_spec: OpSpec | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Task CREATE payload (§8): the spec is validated with Drove's rules first.

    :param spec: the TaskSpec (dict or parsed); errors name ``spec.<path>``.
    :param op_spec: None, a dict, or an :class:`OpSpec`.
    """
    return {"type": "CREATE", "spec": parse_task_spec(spec).to_wire(), "opSpec": OpSpec.coerce(op_spec).to_wire()}


def task_kill(source_app_name: str, task_id: str, op_spec: OpSpec | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Task KILL payload (§8).

    :param source_app_name: the task's app name.
    :param task_id: the user task ID (not the ``TI-`` instance ID).
    :param op_spec: None, a dict, or an :class:`OpSpec` (its timeout bounds the wait for STOPPED).
    """
    _check_app_id(source_app_name, "source_app_name")
    _check_app_id(task_id, "task_id")
    return {
        "type": "KILL",
        "sourceAppName": source_app_name,
        "taskId": task_id,
        "opSpec": OpSpec.coerce(op_spec).to_wire(),
    }


def _validate_operation(schema: WirePoly, payload: Any, field: str, task: bool) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        _fail(field, _must("a dict with a \"type\" and the operation's fields", payload))
    if isinstance(payload.get("spec"), (ApplicationSpec, TaskSpec)):
        payload = {**payload, "spec": payload["spec"].to_wire()}
    op_type = payload.get("type")
    if not task and isinstance(op_type, str) and op_type in _WIRE_BY_INTERNAL and op_type not in INTERNAL_OPERATION_TYPES:
        _fail(f"{field}.type", f"{op_type!r} is Drove's internal name; send {_WIRE_BY_INTERNAL[op_type]!r} on the wire")
    data, problems = _walk_operation(schema, payload, SpecCheckOptions(), task)
    if problems:
        raise_input_error(problems, field)
    if not task and op_type == "SCALE" and payload.get("requiredInstances") is None:
        # Drove reads a missing count as 0: a forgotten field would scale the app to zero
        _fail(f"{field}.requiredInstances", "is required: Drove would read a missing count as 0 and scale the app down to zero")
    assert data is not None
    return data


def validate_app_operation(payload: Mapping[str, Any], *, field: str = "operation") -> dict[str, Any]:
    """Validate any application operation payload (for power users) with Drove's rules.

    :param payload: the wire JSON, e.g. ``{"type": "SCALE", "appId": ..., ...}``.
    :param field: parameter name used in error paths.
    :return: the normalised payload to send (enum values upper-cased, unknown fields dropped).
    :raises DroveInputError: naming ``operation.<path>`` and the fix.
    """
    return _validate_operation(_APP_OPERATION, payload, field, task=False)


def validate_task_operation(payload: Mapping[str, Any], *, field: str = "operation") -> dict[str, Any]:
    """Validate any task operation payload (CREATE or KILL). See :func:`validate_app_operation`."""
    return _validate_operation(_TASK_OPERATION, payload, field, task=True)
