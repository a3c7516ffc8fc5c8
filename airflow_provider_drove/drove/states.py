"""Drove's state enums (``drove-api.md`` §9) and the state groups the code relies on."""

from __future__ import annotations

from enum import Enum


class _DroveEnum(str, Enum):
    """A str-valued enum whose ``str()`` is the wire value."""

    def __str__(self) -> str:
        return self.value


class ApplicationState(_DroveEnum):
    """Controller-side application states (§9.1)."""

    INIT = "INIT"
    MONITORING = "MONITORING"
    RUNNING = "RUNNING"
    OUTAGE_DETECTED = "OUTAGE_DETECTED"
    SCALING_REQUESTED = "SCALING_REQUESTED"
    STOP_INSTANCES_REQUESTED = "STOP_INSTANCES_REQUESTED"
    REPLACE_INSTANCES_REQUESTED = "REPLACE_INSTANCES_REQUESTED"
    DESTROY_REQUESTED = "DESTROY_REQUESTED"
    DESTROYED = "DESTROYED"
    FAILED = "FAILED"


class InstanceState(_DroveEnum):
    """Executor-side application instance states (§9.2)."""

    PENDING = "PENDING"
    PROVISIONING = "PROVISIONING"
    PROVISIONING_FAILED = "PROVISIONING_FAILED"
    STARTING = "STARTING"
    START_FAILED = "START_FAILED"
    UNREADY = "UNREADY"
    READINESS_CHECK_FAILED = "READINESS_CHECK_FAILED"
    READY = "READY"
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"
    LOST = "LOST"
    UNKNOWN = "UNKNOWN"


class TaskState(_DroveEnum):
    """Executor-side task states (§9.3)."""

    PENDING = "PENDING"
    PROVISIONING = "PROVISIONING"
    PROVISIONING_FAILED = "PROVISIONING_FAILED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    RUN_FAILED = "RUN_FAILED"
    RUN_COMPLETED = "RUN_COMPLETED"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"
    LOST = "LOST"
    UNKNOWN = "UNKNOWN"


class TaskResultStatus(_DroveEnum):
    """``taskResult.status`` of a finished task (§8)."""

    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    LOST = "LOST"
    TIMED_OUT = "TIMED_OUT"


class ClusterState(_DroveEnum):
    """Cluster maintenance state (§9.5)."""

    NORMAL = "NORMAL"
    MAINTENANCE = "MAINTENANCE"


class ExecutorState(_DroveEnum):
    """Executor node states (§9.5)."""

    ACTIVE = "ACTIVE"
    BLACKLIST_REQUESTED = "BLACKLIST_REQUESTED"
    BLACKLISTED = "BLACKLISTED"
    UNREADY = "UNREADY"
    REMOVED = "REMOVED"


#: App states in which the app is idle: an operation can be submitted and none is running.
IDLE_APP_STATES = frozenset({ApplicationState.RUNNING, ApplicationState.MONITORING})

#: Drove's ``ACTIVE_APP_STATES`` (§9.1): MONITORING is *not* among them.
ACTIVE_APP_STATES = frozenset(
    {
        ApplicationState.RUNNING,
        ApplicationState.OUTAGE_DETECTED,
        ApplicationState.SCALING_REQUESTED,
        ApplicationState.STOP_INSTANCES_REQUESTED,
        ApplicationState.REPLACE_INSTANCES_REQUESTED,
        ApplicationState.DESTROY_REQUESTED,
    }
)

#: Instance states listed by ``/instances`` (§9.2).
ACTIVE_INSTANCE_STATES = frozenset(
    {
        InstanceState.PENDING,
        InstanceState.PROVISIONING,
        InstanceState.STARTING,
        InstanceState.UNREADY,
        InstanceState.READY,
        InstanceState.HEALTHY,
        InstanceState.UNHEALTHY,
        InstanceState.DEPROVISIONING,
        InstanceState.STOPPING,
    }
)

#: Instance states that count against capacity when a scale-up is validated (§7.3).
STARTING_OR_RUNNING_INSTANCE_STATES = frozenset(
    {
        InstanceState.PENDING,
        InstanceState.PROVISIONING,
        InstanceState.STARTING,
        InstanceState.UNREADY,
        InstanceState.READY,
        InstanceState.HEALTHY,
    }
)

#: Instance states that carry an error (terminal or about to be cleaned up).
FAILED_INSTANCE_STATES = frozenset(
    {
        InstanceState.PROVISIONING_FAILED,
        InstanceState.START_FAILED,
        InstanceState.READINESS_CHECK_FAILED,
        InstanceState.UNHEALTHY,
        InstanceState.LOST,
    }
)

#: Task states in which a task still has a live runner (§9.3).
ACTIVE_TASK_STATES = frozenset(
    {
        TaskState.PENDING,
        TaskState.PROVISIONING,
        TaskState.STARTING,
        TaskState.RUNNING,
        TaskState.RUN_COMPLETED,
        TaskState.DEPROVISIONING,
    }
)

#: Task states after which nothing changes any more.
TERMINAL_TASK_STATES = frozenset({TaskState.STOPPED, TaskState.LOST})
