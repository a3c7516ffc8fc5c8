"""Typed models of what the Drove controller answers (``drove-api.md`` §6, §11).

Pydantic v2 models with snake_case attributes and Drove's exact camelCase aliases (note
``totalCPUs``). Every model keeps fields it does not know (``extra="allow"``): a newer Drove adds
fields, we carry them along and never fail. Timestamps are epoch milliseconds on the wire and
UTC :class:`pendulum.DateTime` here; states are enums, or the raw string for a state this version
does not know. ``.to_json()`` gives back plain JSON in the wire shape (camelCase, epoch ms, null
fields left out as Drove's ``NON_NULL`` mapper does), ready for XCom.

No Airflow import here: the emulator builds its answers with these models.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Annotated, Any, Self, TypeVar

import pendulum
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from airflow_provider_drove.drove.states import (
    ApplicationState,
    ClusterState,
    ExecutorState,
    InstanceState,
    TaskResultStatus,
    TaskState,
)

__all__ = [
    "AppSummary",
    "ClusterSummary",
    "DroveModel",
    "ExecutorSummary",
    "ExposedAppInfo",
    "ExposedHost",
    "InstanceInfo",
    "InstancePortInfo",
    "LocalInstanceInfo",
    "LogChunk",
    "TaskInfo",
    "TaskResult",
    "from_epoch_ms",
    "to_epoch_ms",
]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def from_epoch_ms(value: Any) -> pendulum.DateTime | None:
    """Turn Drove's epoch milliseconds (or a datetime) into a UTC pendulum DateTime.

    :param value: an int/float of epoch ms, a numeric string, a datetime, or None.
    :raises ValueError: for anything else.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)
        return pendulum.instance(moment).in_timezone("UTC")
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a Drove timestamp is epoch milliseconds, not {type(value).__name__} {value!r}")
    # exact integer arithmetic: a float division would lose the last millisecond
    moment = _EPOCH + datetime.timedelta(milliseconds=int(value))
    return pendulum.instance(moment).in_timezone("UTC")


def to_epoch_ms(value: datetime.datetime | None) -> int | None:
    """Turn a datetime back into Drove's epoch milliseconds."""
    if value is None:
        return None
    moment = value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)
    # integer arithmetic (pendulum's own subtraction yields an Interval that cannot floor-divide)
    return calendar.timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000


#: A Drove timestamp: epoch ms on the wire, pendulum DateTime (UTC) in Python.
EpochMs = Annotated[
    pendulum.DateTime | None,
    PlainValidator(from_epoch_ms),
    PlainSerializer(to_epoch_ms, return_type=int | None),
]

E = TypeVar("E", bound=Enum)


def _enum_or_str(enum: type[E]) -> Callable[[Any], E | str | None]:
    def convert(value: Any) -> E | str | None:
        if value is None or isinstance(value, enum):
            return value
        if not isinstance(value, str):
            raise ValueError(f"a state is a string, not {type(value).__name__} {value!r}")
        try:
            return enum(value)
        except ValueError:
            try:
                return enum(value.upper())
            except ValueError:
                return value  # a state newer than this provider: keep the raw string

    return convert


def _state_to_json(value: Any) -> str | None:
    return None if value is None else str(value)


def _state(enum: type[Enum]) -> Any:
    return Annotated[Any, PlainValidator(_enum_or_str(enum)), PlainSerializer(_state_to_json, return_type=str | None)]


AppStateField = _state(ApplicationState)
InstanceStateField = _state(InstanceState)
TaskStateField = _state(TaskState)
TaskResultStatusField = _state(TaskResultStatus)
ClusterStateField = _state(ClusterState)
ExecutorStateField = _state(ExecutorState)


class DroveModel(BaseModel):
    """Base of the response models: aliases, extras kept, wire-shape JSON out."""

    # defer_build: validators are built on first use, not when a DAG file imports the provider
    model_config = ConfigDict(extra="allow", populate_by_name=True, arbitrary_types_allowed=True, defer_build=True)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Self:
        """Build the model from Drove's JSON (the ``data`` of the envelope).

        :raises pydantic.ValidationError: (a ValueError) when the JSON is not this model.
        """
        return cls.model_validate(data)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON in Drove's wire shape: camelCase, epoch ms, null fields omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _alias(name: str, default: Any = None, **kwargs: Any) -> Any:
    return Field(default=default, alias=name, **kwargs)


class AppSummary(DroveModel):
    """``GET /applications/{id}`` and each value of ``GET /applications`` (§6.1)."""

    id: str | None = None
    name: str | None = None
    required_instances: int | None = _alias("requiredInstances")
    healthy_instances: int | None = _alias("healthyInstances")
    total_cpus: int | None = _alias("totalCPUs")
    total_memory: int | None = _alias("totalMemory")
    tags: dict[str, str] | None = None
    #: absent when the leader has no state machine for the app
    state: AppStateField = None
    created: EpochMs = None
    updated: EpochMs = None


class InstancePortInfo(DroveModel):
    """One port of a running instance: container port, host port, type."""

    container_port: int | None = _alias("containerPort")
    host_port: int | None = _alias("hostPort")
    port_type: str | None = _alias("portType")


class LocalInstanceInfo(DroveModel):
    """``localInfo`` of an instance: where it runs and its port mappings."""

    hostname: str | None = None
    ports: dict[str, InstancePortInfo] = Field(default_factory=dict)


class InstanceInfo(DroveModel):
    """An application instance (§6.1): ``/instances``, ``/instances/old``, ``/instances/{id}``."""

    app_id: str | None = _alias("appId")
    app_name: str | None = _alias("appName")
    instance_id: str | None = _alias("instanceId")
    executor_id: str | None = _alias("executorId")
    #: absent early in the lifecycle
    local_info: LocalInstanceInfo | None = _alias("localInfo")
    #: NUMA-keyed allocations, e.g. ``[{"type": "CPU", "cores": {"0": [2]}}, ...]``
    resources: list[dict[str, Any]] = Field(default_factory=list)
    state: InstanceStateField = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    error_message: str = _alias("errorMessage", "")
    created: EpochMs = None
    updated: EpochMs = None


class TaskResult(DroveModel):
    """``taskResult`` of a finished task (§8)."""

    status: TaskResultStatusField = None
    exit_code: int | None = _alias("exitCode")


class TaskInfo(DroveModel):
    """A task instance (§6.2): ``GET /tasks/{app}/instances/{taskId}`` and ``GET /tasks``."""

    source_app_name: str | None = _alias("sourceAppName")
    task_id: str | None = _alias("taskId")
    instance_id: str | None = _alias("instanceId")
    executor_id: str | None = _alias("executorId")
    hostname: str | None = None
    executable: dict[str, Any] | None = None
    resources: list[dict[str, Any]] = Field(default_factory=list)
    volumes: list[dict[str, Any]] | None = None
    #: the field is ``loggingSpec`` here, not ``logging`` as in the spec
    logging_spec: dict[str, Any] | None = _alias("loggingSpec")
    #: kept out of repr: task environments often carry credentials
    env: dict[str, str] | None = Field(default=None, repr=False)
    state: TaskStateField = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    #: absent until the run completes or fails
    task_result: TaskResult | None = _alias("taskResult")
    error_message: str = _alias("errorMessage", "")
    created: EpochMs = None
    updated: EpochMs = None


class ExecutorSummary(DroveModel):
    """An executor node (§6.4): ``GET /cluster/executors``."""

    executor_id: str | None = _alias("executorId")
    hostname: str | None = None
    port: int | None = None
    transport_type: str | None = _alias("transportType")
    free_cores: int | None = _alias("freeCores")
    used_cores: int | None = _alias("usedCores")
    free_memory: int | None = _alias("freeMemory")
    used_memory: int | None = _alias("usedMemory")
    #: always includes the hostname
    tags: list[str] | dict[str, Any] | None = None
    state: ExecutorStateField = None


class ClusterSummary(DroveModel):
    """``GET /cluster`` (§6.4). Memory figures are in MB."""

    leader: str | None = None
    state: ClusterStateField = None
    num_executors: int | None = _alias("numExecutors")
    num_applications: int | None = _alias("numApplications")
    #: MONITORING apps are not counted as active
    num_active_applications: int | None = _alias("numActiveApplications")
    num_active_tasks: int | None = _alias("numActiveTasks")
    num_local_services: int | None = _alias("numLocalServices")
    num_active_local_services: int | None = _alias("numActiveLocalServices")
    free_cores: int | None = _alias("freeCores")
    used_cores: int | None = _alias("usedCores")
    total_cores: int | None = _alias("totalCores")
    free_memory: int | None = _alias("freeMemory")
    used_memory: int | None = _alias("usedMemory")
    total_memory: int | None = _alias("totalMemory")


class ExposedHost(DroveModel):
    """One healthy instance of an exposed app: the **host** port (§6.5)."""

    host: str | None = None
    port: int | None = None
    port_type: str | None = _alias("portType")


class ExposedAppInfo(DroveModel):
    """One entry of ``GET /endpoints`` (§6.5)."""

    app_name: str | None = _alias("appName")
    app_id: str | None = _alias("appId")
    vhost: str | None = None
    tags: dict[str, str] | None = None
    hosts: list[ExposedHost] = Field(default_factory=list)


class LogChunk(DroveModel):
    """A slice of a log file (§6.6): pass ``offset`` back to read on."""

    data: str = ""
    offset: int = 0


#: Alias kept for readers who look for the Java-ish name.
ExposedHostInfo = ExposedHost
