"""The Python control interface of a running emulator (``drove.control``).

Thread-safe; call it from tests. The same operations are served over HTTP under ``/_emulator/``
on every controller port (see :mod:`~airflow_provider_drove.testing.control_api`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_drove.testing.faults import Fault

if TYPE_CHECKING:
    from airflow_provider_drove.testing.runtime import EmulatorRuntime


class EmulatorControl:
    """Move the leader, stop controllers, drive the clock, inject faults.

    :param runtime: the running emulator.
    """

    def __init__(self, runtime: EmulatorRuntime) -> None:
        self._runtime = runtime
        self._cluster = runtime.cluster

    # ------------------------------------------------------------- leadership (§5)
    @property
    def leader(self) -> int | None:
        """Index of the leader controller (None while no controller runs)."""
        return self._cluster.leader

    def set_leader(self, index: int) -> None:
        """Make controller ``index`` the leader; the others answer 400 "not the leader".

        :raises ValueError: for an unknown or stopped controller.
        """
        self._check_index(index)
        if not self._runtime.controllers[index].running:
            raise ValueError(f"controller {index} is stopped; start it first")
        with self._cluster.lock:
            self._cluster.tick()
            self._cluster.change_leader(index)

    def stop_controller(self, index: int) -> None:
        """Stop a controller (its port refuses connections); a stopped leader hands over to the next one up."""
        self._check_index(index)
        self._runtime.call(self._runtime.astop_controller(index))

    def start_controller(self, index: int) -> None:
        """Start a stopped controller again on the same port (as a follower, unless none leads)."""
        self._check_index(index)
        self._runtime.call(self._runtime.astart_controller(index))

    def _check_index(self, index: int) -> None:
        if not isinstance(index, int) or not 0 <= index < len(self._runtime.controllers):
            raise ValueError(f"no controller {index!r}: this emulator has {len(self._runtime.controllers)}")

    # ------------------------------------------------------------- cluster
    def set_maintenance(self, on: bool) -> dict[str, Any]:
        """Set or unset maintenance mode (ops and validate POSTs get 400 for it and 40 s after, §6.4).

        :return: ClusterStateData.
        """
        with self._cluster.lock:
            self._cluster.tick()
            return self._cluster.set_maintenance(bool(on))

    # ------------------------------------------------------------- clock
    def now(self) -> float:
        """Simulated time (epoch seconds)."""
        return self._cluster.clock.now()

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._cluster.clock.speed

    def advance(self, seconds: float) -> None:
        """Jump the simulated clock forward; everything due in between happens, in order, before this returns."""
        with self._cluster.lock:
            self._cluster.tick()
            self._cluster.clock.advance(float(seconds))
            self._cluster.tick()
        self._runtime.wake()

    def set_speed(self, speed: float) -> None:
        """Change the clock speed (simulated seconds per real second)."""
        with self._cluster.lock:
            self._cluster.tick()
            self._cluster.clock.set_speed(float(speed))
        self._runtime.wake()

    # ------------------------------------------------------------- faults (issue 2, point 9)
    def inject_faults(self, status: int = 500, count: int = 1, path: str | None = None) -> None:
        """Answer the next ``count`` API requests (optionally only under ``path``) with HTTP ``status``.

        A 500 carries Drove's "Unexpected Server error" envelope; other codes a text/plain body.

        :param path: a path prefix such as ``/apis/v1/applications``, or a glob such as ``*/instances``.
        """
        if not 100 <= int(status) <= 599:
            raise ValueError(f"status must be an HTTP status code, got {status!r}")
        self._runtime.faults.add(Fault("status", int(count), path, status=int(status)))

    def add_latency(self, seconds: float, count: int | None = None, path: str | None = None) -> None:
        """Delay API requests by ``seconds`` of real time (all of them until cleared, or the next ``count``).

        ``add_latency(0)`` removes the latency.
        """
        self._runtime.faults.clear("latency")
        if seconds > 0:
            self._runtime.faults.add(Fault("latency", count, path, seconds=float(seconds)))

    def drop_connections(self, count: int = 1, path: str | None = None) -> None:
        """Close the connection of the next ``count`` API requests without answering."""
        self._runtime.faults.add(Fault("drop", int(count), path))

    def malformed_bodies(self, count: int = 1, path: str | None = None) -> None:
        """Answer the next ``count`` API requests with 200 and a truncated JSON body."""
        self._runtime.faults.add(Fault("malformed", int(count), path))

    def cluster_summary_unavailable(self, count: int = 1) -> None:
        """The next ``count`` GET /cluster calls answer 200 FAILED "Could not fetch cluster summary",
        as Drove does while its 30 s dashboard cache is (re)filled (§6.4)."""
        if int(count) < 0:
            raise ValueError(f"count must not be negative, got {count!r}")
        with self._cluster.lock:
            self._cluster.summary_unavailable = int(count)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._runtime.faults.clear()

    @property
    def faults_fired(self) -> dict[str, int]:
        """How many requests each kind of fault has hit so far."""
        return dict(self._runtime.faults.fired)

    # ------------------------------------------------------------- state
    def reset(self) -> None:
        """Fresh state: no apps, tasks or faults; normal mode; initial speed; every controller up, 0 leads."""
        self._runtime.faults.clear()
        for controller in self._runtime.controllers:
            if not controller.running:
                self.start_controller(controller.index)
        self._reset_state()

    async def reset_async(self) -> None:
        """:meth:`reset` for callers on the emulator's own loop (the HTTP control API)."""
        self._runtime.faults.clear()
        for controller in self._runtime.controllers:
            if not controller.running:
                await self._runtime.astart_controller(controller.index)
        self._reset_state()

    def _reset_state(self) -> None:
        with self._cluster.lock:
            self._cluster.reset()
            self._cluster.clock.set_speed(self._runtime.initial_speed)
            self._cluster.leader = 0
        self._runtime.wake()

    def fail_instance(self, app_id: str, instance_id: str | None = None) -> str:
        """Make a HEALTHY instance fail its health checks (it ends STOPPED; the monitor replaces it).

        :param instance_id: which one (default: any HEALTHY instance).
        :return: the instance ID.
        :raises ValueError: when there is no such HEALTHY instance.
        """
        with self._cluster.lock:
            self._cluster.tick()
            app = self._cluster.apps.apps.get(app_id)
            healthy = app.healthy() if app is not None else []
            chosen = next((i for i in healthy if instance_id in (None, i.instance_id)), None)
            if chosen is None:
                raise ValueError(f"app {app_id} has no HEALTHY instance {instance_id or ''}".strip())
            chosen.fail_health()
            return chosen.instance_id

    def app(self, app_id: str) -> dict[str, Any] | None:
        """The AppSummary of an app as the API returns it (None when unknown)."""
        with self._cluster.lock:
            self._cluster.tick()
            app = self._cluster.apps.apps.get(app_id)
            return app.summary() if app is not None else None

    def instances(self, app_id: str, *, old: bool = False) -> list[dict[str, Any]]:
        """InstanceInfo of an app's active (or, with ``old``, finished) instances."""
        with self._cluster.lock:
            self._cluster.tick()
            app = self._cluster.apps.apps.get(app_id)
            if app is None:
                return []
            now = self._cluster.sim.now()
            return [i.wire(now) for i in app.instances.values() if i.active != old]

    def status(self) -> dict[str, Any]:
        """A summary of the emulator: URLs, leader, clock, maintenance, apps, armed faults."""
        with self._cluster.lock:
            self._cluster.tick()
            return {
                "urls": [self._runtime.url(c.index) for c in self._runtime.controllers],
                "running": [c.running for c in self._runtime.controllers],
                "leader": self._cluster.leader,
                "speed": self._cluster.clock.speed,
                "now": int(self._cluster.clock.now() * 1000),
                "clusterState": self._cluster.cluster_state,
                "inMaintenanceWindow": self._cluster.in_maintenance_window(),
                "apps": {app_id: app.summary() for app_id, app in self._cluster.apps.apps.items()},
                "faults": self._runtime.faults.armed(),
                "faultsFired": dict(self._runtime.faults.fired),
                "authEnabled": self._runtime.users.enabled,
            }
