"""The leader's in-memory event store (§12): state changes as a cheap "something changed" feed.

Newest first, filtered strictly by ``time > lastSyncTime``, truncated to ``size``; the returned
cursor is the newest time in the whole store (so truncation can skip events, as in Drove); kept
60 simulated minutes; wiped on every leadership change.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_drove.testing.apps import App
    from airflow_provider_drove.testing.instances import Instance
    from airflow_provider_drove.testing.tasks import Task

RETENTION_SECONDS = 3600.0


def _ports(ports: Mapping[str, Any], index: int) -> str:
    """``name:port:type`` joined by commas (``index`` 0: container port, 1: host port)."""
    return ",".join(f"{name}:{values[index]}:{str(values[2]).lower()}" for name, values in ports.items())


class EventStore:
    """Events recorded at simulated times.

    :param now: the simulated clock (epoch seconds).
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._events: list[dict[str, Any]] = []

    def record(self, kind: str, metadata: dict[str, Any]) -> None:
        """Add an event now."""
        now_ms = int(self._now() * 1000)
        self._events.append({"type": kind, "id": str(uuid.uuid4()), "time": now_ms, "metadata": metadata})
        cutoff = now_ms - RETENTION_SECONDS * 1000
        if self._events[0]["time"] < cutoff:
            self._events = [e for e in self._events if e["time"] >= cutoff]

    def clear(self) -> None:
        """Forget everything (leadership change)."""
        self._events.clear()

    def latest(self, last_sync: int, size: int) -> dict[str, Any]:
        """``{"events", "lastSyncTime"}`` of ``/cluster/events/latest`` (§12.1)."""
        newer = [e for e in reversed(self._events) if e["time"] > last_sync][:size]
        cursor = max((e["time"] for e in self._events), default=last_sync)
        return {"events": newer, "lastSyncTime": cursor}

    def summary(self, last_sync: int) -> dict[str, Any]:
        """``{"eventsCount", "lastSyncTime"}`` of ``/cluster/events/summary``."""
        counts = Counter(e["type"] for e in self._events if e["time"] > last_sync)
        cursor = max((e["time"] for e in self._events), default=last_sync)
        return {"eventsCount": dict(counts), "lastSyncTime": cursor}

    # ------------------------------------------------------------- typed recorders (§12.2 keys)
    def app_changed(self, app: App) -> None:
        """APP_STATE_CHANGE, on every state-machine step (self-transitions too)."""
        spec = app.spec
        exposure = spec.get("exposureSpec") if isinstance(spec.get("exposureSpec"), Mapping) else {}
        ports = {str(p.get("name")): (p.get("port"), 0, p.get("type")) for p in spec.get("exposedPorts") or []}
        self.record(
            "APP_STATE_CHANGE",
            {
                "APP_ID": app.app_id,
                "APP_NAME": app.name,
                "APP_VERSION": spec.get("version"),
                "EXECUTABLE": (spec.get("executable") or {}).get("url"),
                "CPU_COUNT": app.cpus,
                "MEMORY": app.memory_mb,
                "PLACEMENT_POLICY": (spec.get("placementPolicy") or {}).get("type"),
                "PORTS": _ports(ports, 0),
                "VHOST": exposure.get("vhost", ""),
                "CURRENT_INSTANCES": app.created_instances,  # the create-time copy, as Drove (§12.2)
                "CURRENT_STATE": app.state.value,
            },
        )

    def instance_changed(self, inst: Instance) -> None:
        """INSTANCE_STATE_CHANGE, when the stored state changes."""
        self.record(
            "INSTANCE_STATE_CHANGE",
            {
                "APP_ID": inst.app_id,
                "APP_NAME": inst.app_name,
                "INSTANCE_ID": inst.instance_id,
                "EXECUTOR_ID": inst.executor_id,
                "EXECUTOR_HOST": inst.allocation.executor.hostname,
                "PORTS": _ports(inst.ports, 1),
                "CURRENT_STATE": inst.state.value,
                "ERROR": inst.error,
                "CREATED": int(inst.created * 1000),
            },
        )

    def task_changed(self, task: Task) -> None:
        """TASK_STATE_CHANGE, when the stored state changes."""
        metadata: dict[str, Any] = {
            "TASK_ID": task.task_id,
            "INSTANCE_ID": task.instance_id,
            "APP_NAME": task.source_app_name,
            "EXECUTOR_ID": task.allocation.executor.executor_id,
            "EXECUTOR_HOST": task.allocation.executor.hostname,
            "EXECUTABLE": task.behaviour.image,
            "CURRENT_STATE": task.state.value,
            "ERROR": task.error,
            "CREATED": int(task.created * 1000),
        }
        if task.result is not None:
            metadata["RESULT_STATUS"] = task.result["status"]
            metadata["RESULT_EXIT_CODE"] = task.result["exitCode"]
        self.record("TASK_STATE_CHANGE", metadata)
