"""The emulated Drove cluster: executors, apps, tasks, maintenance and leadership in one place.

All controllers of one emulator share a single :class:`Cluster` (Drove keeps its state in
ZooKeeper, so every controller sees the same apps). Everything here runs under :attr:`lock`;
request handlers, the background driver and the Python control API all take it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Generator
from typing import Any

from airflow_provider_drove.drove.states import ACTIVE_APP_STATES, ApplicationState
from airflow_provider_drove.testing.apps import ApplicationEngine
from airflow_provider_drove.testing.clock import SimClock
from airflow_provider_drove.testing.events import EventStore
from airflow_provider_drove.testing.resources import Executor
from airflow_provider_drove.testing.sim import Scheduler
from airflow_provider_drove.testing.tasks import TaskEngine

#: the app monitor's period and first delay (§9.1)
MONITOR_PERIOD = 30.0
MONITOR_FIRST_RUN = 5.0
#: the task monitor's period (§13)
TASK_MONITOR_PERIOD = 5.0
#: the window after any cluster-state change during which the cluster counts as in maintenance (§6.4)
MAINTENANCE_WINDOW = 40.0
EXECUTOR_PORT = 3000


class Cluster:
    """Shared state of one emulated Drove cluster.

    :param executors: number of executors.
    :param executor_cpus: CPU cores per executor.
    :param executor_memory_mb: memory per executor (MB).
    :param speed: simulated seconds per real second.
    """

    def __init__(
        self,
        *,
        executors: int = 2,
        executor_cpus: int = 8,
        executor_memory_mb: int = 16384,
        speed: float = 1.0,
    ) -> None:
        if executors < 0 or executor_cpus < 0 or executor_memory_mb < 0:
            raise ValueError("executors, executor_cpus and executor_memory_mb must not be negative")
        self.lock = threading.RLock()
        self.clock = SimClock(speed)
        self.sim = Scheduler(self.clock)
        self._executor_shape = (executors, executor_cpus, executor_memory_mb)
        self._host_ports = itertools.count(31000)
        self.executors: list[Executor] = []
        self.events = EventStore(self.sim.now)
        self.apps = ApplicationEngine(self)
        self.tasks = TaskEngine(self)
        self.cluster_state = "NORMAL"
        self.state_updated: float | None = None
        #: "host:port" of every controller, and which one leads (None: election underway)
        self.controllers: list[str] = []
        self.leader: int | None = 0
        #: how many more GET /cluster calls answer the transient "Could not fetch cluster summary" (§6.4)
        self.summary_unavailable = 0
        self._build()

    def _build(self) -> None:
        count, cpus, memory = self._executor_shape
        self.executors = [
            Executor(index, f"drove-executor-{index + 1}", EXECUTOR_PORT, cpus, memory) for index in range(count)
        ]
        self.apps = ApplicationEngine(self)
        self.tasks = TaskEngine(self)
        self.cluster_state = "NORMAL"
        self.state_updated = None
        self.summary_unavailable = 0
        self.events.clear()
        for executor in self.executors:
            self.events.record(
                "EXECUTOR_ADDED", {"EXECUTOR_ID": executor.executor_id, "HOSTNAME": executor.hostname, "PORT": executor.port}
            )
        self.sim.spawn(self._monitor(), name="app-monitor")
        self.sim.spawn(self._task_monitor(), name="task-monitor")

    def reset(self) -> None:
        """Forget every app, task and pending event; executors come back empty."""
        with self.lock:
            self.sim.clear()
            self._build()

    # ----------------------------------------------------------------- time
    def tick(self) -> None:
        """Run everything the simulated clock has made due (call under :attr:`lock`)."""
        self.sim.run_due()

    def next_host_port(self) -> int:
        """A fresh host port for an exposed container port."""
        port = next(self._host_ports)
        if port > 60999:
            self._host_ports = itertools.count(31000)
            port = next(self._host_ports)
        return port

    # ----------------------------------------------------------------- maintenance (§6.4)
    def in_maintenance_window(self) -> bool:
        """MAINTENANCE, or within 40 s of any cluster-state change (set or unset)."""
        if self.cluster_state == "MAINTENANCE":
            return True
        return self.state_updated is not None and self.sim.now() < self.state_updated + MAINTENANCE_WINDOW

    def set_maintenance(self, on: bool) -> dict[str, Any]:
        """Set or unset maintenance mode.

        :return: ClusterStateData ``{"state", "updated"}``.
        """
        self.cluster_state = "MAINTENANCE" if on else "NORMAL"
        self.state_updated = self.sim.now()
        leader = self.leader_address.rsplit(":", 1)[0]
        self.events.record("MAINTENANCE_MODE_SET" if on else "MAINTENANCE_MODE_REMOVED", {"HOSTNAME": leader})
        return {"state": self.cluster_state, "updated": int(self.state_updated * 1000)}

    # ----------------------------------------------------------------- leadership (§5)
    def change_leader(self, index: int | None) -> None:
        """Move leadership; a new leader re-creates apps, resetting ``created``/``updated`` (§11)."""
        if index == self.leader:
            return
        self.leader = index
        self.events.clear()  # the store lives on the leader only (§12.4)
        if index is None:
            return
        self.events.record("LEADERSHIP_ACQUIRED", {"HOSTNAME": self.leader_address.rsplit(":", 1)[0]})
        now = self.sim.now()
        for app in self.apps.apps.values():
            app.created = app.updated = now
        self.tasks.on_leader_change({app.name for app in self.apps.apps.values()})

    @property
    def leader_address(self) -> str:
        """``host:port`` of the leader, or Drove's text while none is elected."""
        if self.leader is None or self.leader >= len(self.controllers):
            return "Leader election underway"
        return self.controllers[self.leader]

    # ----------------------------------------------------------------- monitor (§9.1)
    def _monitor(self) -> Generator[Any, Any, Any]:
        yield MONITOR_FIRST_RUN
        while True:
            if self.leader is not None and not self.in_maintenance_window():
                self.apps.monitor()
            yield MONITOR_PERIOD

    def _task_monitor(self) -> Generator[Any, Any, Any]:
        while True:
            yield TASK_MONITOR_PERIOD
            if self.leader is not None and not self.in_maintenance_window():
                self.tasks.monitor()

    # ----------------------------------------------------------------- views
    def summary(self) -> dict[str, Any]:
        """ClusterSummary (§6.4)."""
        apps = list(self.apps.apps.values())
        total_cores = sum(e.cores for e in self.executors)
        used_cores = sum(len(e.used_cores) for e in self.executors)
        total_memory = sum(e.memory_mb for e in self.executors)
        used_memory = sum(e.used_memory for e in self.executors)
        return {
            "leader": self.leader_address,
            "state": self.cluster_state,
            "numExecutors": len(self.executors),
            "numApplications": len(apps),
            "numActiveApplications": sum(1 for app in apps if app.state in ACTIVE_APP_STATES),
            "numActiveTasks": len(self.tasks.listed()),
            "numLocalServices": 0,
            "numActiveLocalServices": 0,
            "freeCores": total_cores - used_cores,
            "usedCores": used_cores,
            "totalCores": total_cores,
            "freeMemory": total_memory - used_memory,
            "usedMemory": used_memory,
            "totalMemory": total_memory,
        }

    def executor_details(self, executor_id: str) -> dict[str, Any] | None:
        """ExecutorNodeData for one executor, or None when unknown."""
        executor = next((e for e in self.executors if e.executor_id == executor_id), None)
        if executor is None:
            return None
        now = self.sim.now()
        instances = [
            inst.wire(now)
            for app in self.apps.apps.values()
            for inst in app.instances.values()
            if inst.active and inst.executor_id == executor_id
        ]
        tasks = [
            task.wire(now)
            for task in self.tasks.tasks.values()
            if task.runner_alive and task.visible and task.allocation.executor is executor
        ]
        return {
            "type": "EXECUTOR",
            "hostname": executor.hostname,
            "port": executor.port,
            "transportType": "HTTP",
            "updated": int(now * 1000),
            "state": {
                "executorId": executor.executor_id,
                "cpus": {
                    "type": "CPU",
                    "freeCores": {"0": executor.free_cores},
                    "usedCores": {"0": sorted(executor.used_cores)},
                },
                "memory": {
                    "type": "MEMORY",
                    "freeMemory": {"0": executor.free_memory},
                    "usedMemory": {"0": executor.used_memory},
                },
            },
            "instances": instances,
            "tasks": tasks,
            "serviceInstances": [],
            "tags": sorted(executor.tags),
            "executorState": "ACTIVE",
        }

    def endpoints(self, app_names: list[str] | None) -> list[dict[str, Any]]:
        """ExposedAppInfo list (§6.5): active apps with an exposureSpec, HEALTHY instances only."""
        result = []
        for app in sorted(self.apps.apps.values(), key=lambda a: a.app_id):
            exposure = app.spec.get("exposureSpec")
            if not isinstance(exposure, dict) or app.state not in ACTIVE_APP_STATES:
                continue
            if app_names and app.name not in app_names:
                continue
            port_name = exposure.get("portName")
            hosts = [
                {"host": inst.allocation.executor.hostname, "port": inst.ports[port_name][1], "portType": inst.ports[port_name][2]}
                for inst in sorted(app.healthy(), key=lambda i: i.created)
                if port_name in inst.ports
            ]
            result.append(
                {
                    "appName": app.name,
                    "appId": app.app_id,
                    "vhost": exposure.get("vhost"),
                    "tags": dict(app.spec.get("tags") or {}),
                    "hosts": hosts,
                }
            )
        return result


__all__ = ["Cluster", "ApplicationState"]
