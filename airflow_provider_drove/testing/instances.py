"""Application instances: the executor-side state machine of §9.2, on the simulated clock.

Each instance walks PENDING -> PROVISIONING -> STARTING -> UNREADY -> READY -> HEALTHY with
durations taken from its spec (pull, readiness and health-check timings) and the scenario knobs
of :mod:`~airflow_provider_drove.testing.scenarios`; a stop walks STOPPING -> DEPROVISIONING ->
STOPPED. Failures keep their ``errorMessage`` and end STOPPED too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_drove.drove.states import ACTIVE_INSTANCE_STATES, InstanceState
from airflow_provider_drove.testing import scenarios
from airflow_provider_drove.testing.logs import LogFiles
from airflow_provider_drove.testing.resources import Allocation
from airflow_provider_drove.testing.scenarios import Behaviour, CheckTiming
from airflow_provider_drove.testing.sim import Scheduler, Timer

S = InstanceState
_ACTIVE = frozenset(state.value for state in ACTIVE_INSTANCE_STATES)
#: states from which a stop command goes straight to STOPPING
_STOPPABLE_NOW = frozenset({S.PENDING, S.UNREADY, S.READY, S.HEALTHY})
_FAILED = frozenset({S.PROVISIONING_FAILED, S.START_FAILED, S.READINESS_CHECK_FAILED, S.UNHEALTHY})


def new_instance_id() -> str:
    """``AI-`` + UUIDv4 (§11)."""
    return f"AI-{uuid.uuid4()}"


class Instance:
    """One application instance and its lifecycle.

    :param sim: the scheduler.
    :param app_id: the owning app.
    :param app_name: the owning app's name.
    :param spec: the app spec (validated wire dict).
    :param allocation: where it runs and what it holds.
    :param host_ports: exposed port name -> host port.
    :param start_budget: seconds the start job will wait for HEALTHY (used by ``slow-start``).
    :param on_change: called after every state change (the event store listens).
    """

    def __init__(
        self,
        sim: Scheduler,
        app_id: str,
        app_name: str,
        spec: Mapping[str, Any],
        allocation: Allocation,
        host_ports: Mapping[str, int],
        start_budget: float,
        on_change: Callable[[Instance], None],
    ) -> None:
        self.sim = sim
        self.app_id = app_id
        self.app_name = app_name
        self.instance_id = new_instance_id()
        self.allocation = allocation
        self.behaviour = Behaviour.from_spec(spec)
        self.readiness = CheckTiming.from_spec(spec.get("readiness"))
        self.health = CheckTiming.from_spec(spec.get("healthcheck"))
        pre_shutdown = spec.get("preShutdown") if isinstance(spec.get("preShutdown"), Mapping) else {}
        self.wait_before_kill = scenarios.duration_seconds(pre_shutdown.get("waitBeforeKill"), 0.0)
        self.ports = {
            str(port.get("name")): (port.get("port"), host_ports.get(str(port.get("name")), 0), port.get("type"))
            for port in spec.get("exposedPorts") or []
            if isinstance(port, Mapping)
        }
        self.start_budget = start_budget
        self.on_change = on_change
        self.logs = LogFiles()
        self.state: InstanceState = S.PENDING
        self.error = ""
        self.created = sim.now()
        self.changed = self.created
        self._timer: Timer | None = None
        self._stop_pending = False
        self._released = False
        self.silent_since: float | None = None  # the executor stopped reporting it (``lost-after``)
        self._schedule(scenarios.PENDING_SECONDS, self._provision)
        on_change(self)

    # ----------------------------------------------------------------- queries
    @property
    def active(self) -> bool:
        """In one of Drove's active instance states (listed by ``/instances``)."""
        return self.state.value in _ACTIVE

    @property
    def executor_id(self) -> str:
        """The executor it runs on."""
        return self.allocation.executor.executor_id

    def updated(self, now: float) -> float:
        """The heartbeat time: the last change, re-stamped by the 20 s executor snapshot (§11)."""
        if not self.active:
            return self.changed
        return scenarios.heartbeat(self.created, self.changed, now, self.silent_since)

    def fresh(self, now: float) -> bool:
        """Refreshed within the last 60 s; stale instances drop out of /instances and healthy counts (§6.1)."""
        return not self.active or now - self.updated(now) <= scenarios.STALE_SECONDS

    def wire(self, now: float) -> dict[str, Any]:
        """InstanceInfo (§6.1)."""
        data: dict[str, Any] = {
            "appId": self.app_id,
            "appName": self.app_name,
            "instanceId": self.instance_id,
            "executorId": self.executor_id,
        }
        if self.state != S.PENDING:  # localInfo may be absent early in the lifecycle
            data["localInfo"] = {
                "hostname": self.allocation.executor.hostname,
                "ports": {
                    name: {"containerPort": container, "hostPort": host, "portType": kind}
                    for name, (container, host, kind) in self.ports.items()
                },
            }
        data.update(
            {
                "resources": self.allocation.wire(),
                "state": self.state.value,
                "metadata": {},
                "errorMessage": self.error,
                "created": int(self.created * 1000),
                "updated": int(self.updated(now) * 1000),
            }
        )
        return data

    # ----------------------------------------------------------------- commands
    def stop(self) -> None:
        """The controller's stop command: STOPPING now, or as soon as the container is up."""
        if self.silent_since is not None:
            return  # its executor no longer answers
        if self.state in _STOPPABLE_NOW:
            self._stopping()
        elif self.state in (S.PROVISIONING, S.STARTING):
            self._stop_pending = True

    def fail_health(self) -> None:
        """Make a HEALTHY instance fail its health checks now (control API, for crash tests)."""
        if self.state == S.HEALTHY:
            self._fail(S.UNHEALTHY, "Health check failed: instance stopped responding")

    def mark_lost(self) -> None:
        """The app monitor's verdict on a stale instance: LOST, "Instance lost" (§9.1)."""
        self._cancel_timer()
        self._set(S.LOST, "Instance lost")
        self._release()

    def kill(self) -> None:
        """Drop the instance without walking the states (app destroyed)."""
        self._cancel_timer()
        if self.active:
            self._set(S.STOPPED)
        self._release()

    # ----------------------------------------------------------------- lifecycle
    def _schedule(self, delay: float, step: Callable[[], None]) -> None:
        self._cancel_timer()
        self._timer = self.sim.call_later(delay, step)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _set(self, state: InstanceState, error: str | None = None) -> None:
        changed = state != self.state
        self.state = state
        self.changed = self.sim.now()
        if error is not None:
            self.error = error
        if changed:
            self.on_change(self)

    def _say(self, line: str, *, stderr: bool = False) -> None:
        self.logs.write(self.sim.now(), line, stderr=stderr)

    def _provision(self) -> None:
        self._set(S.PROVISIONING)
        b = self.behaviour
        if b.has(scenarios.PULL_FAIL):
            self._schedule(min(b.pull_seconds, b.pull_timeout), lambda: self._fail(S.PROVISIONING_FAILED, scenarios.pull_error(b.image)))
        elif b.pull_seconds > b.pull_timeout:
            self._schedule(
                b.pull_timeout,
                lambda: self._fail(S.PROVISIONING_FAILED, scenarios.pull_timeout_error(b.image, b.pull_timeout)),
            )
        else:
            self._schedule(b.pull_seconds, self._start)

    def _start(self) -> None:
        self._set(S.STARTING)
        b = self.behaviour
        startup = b.startup_seconds
        if b.has(scenarios.SLOW_START):
            startup = max(startup, self.start_budget + 30.0)  # outlasts the start job's wait (§13)
        if b.has(scenarios.START_FAIL):
            self._schedule(startup, lambda: self._fail(S.START_FAILED, scenarios.start_error(b.image)))
        else:
            self._schedule(startup, self._unready)

    def _unready(self) -> None:
        self._set(S.UNREADY)
        self._say(f"Starting container from image {self.behaviour.image} as {self.instance_id}")
        for line in self.behaviour.output:
            self._say(line)
        for name, (container, host, _) in self.ports.items():
            self._say(f"Listening on port {container} ({name}, host port {host})")
        if self._stop_pending:
            self._stopping()
        elif self.behaviour.has(scenarios.NEVER_READY):
            self._schedule(
                self.readiness.budget,
                lambda: self._fail(
                    S.READINESS_CHECK_FAILED,
                    f"Readiness check failed after {self.readiness.attempts} attempts",
                ),
            )
        else:
            self._schedule(self.readiness.initial_delay + scenarios.CHECK_PASS_SECONDS, self._ready)

    def _ready(self) -> None:
        self._set(S.READY)
        self._schedule(self.health.initial_delay + scenarios.CHECK_PASS_SECONDS, self._healthy)

    def _healthy(self) -> None:
        self._set(S.HEALTHY)
        self._say("Health check passed, instance is serving")
        if self.behaviour.has(scenarios.LOST_AFTER):
            self._schedule(self.behaviour.lost_after, self._go_silent)
        elif self.behaviour.has(scenarios.UNHEALTHY_AFTER):
            failing_for = self.health.attempts * (self.health.timeout + self.health.interval)
            self._schedule(
                self.behaviour.unhealthy_after + failing_for,
                lambda: self._fail(
                    S.UNHEALTHY, f"Health check failed {self.health.attempts} consecutive times"
                ),
            )
        else:
            self._cancel_timer()

    def _go_silent(self) -> None:
        # the executor stops reporting (it died or lost its network): no more heartbeats or changes
        self._cancel_timer()
        self.silent_since = self.sim.now()

    def _fail(self, state: InstanceState, error: str) -> None:
        self._set(state, error)
        self._say(error, stderr=True)
        self._schedule(scenarios.DEPROVISION_SECONDS, self._deprovision)

    def _stopping(self) -> None:
        self._stop_pending = False
        self._set(S.STOPPING)
        self._say("Received SIGTERM, shutting down")
        self._schedule(self.wait_before_kill + scenarios.STOP_SECONDS, self._deprovision)

    def _deprovision(self) -> None:
        self._set(S.DEPROVISIONING)
        self._schedule(scenarios.DEPROVISION_SECONDS, self._stopped)

    def _stopped(self) -> None:
        self._set(S.STOPPED)
        self._cancel_timer()
        self._release()

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self.allocation.executor.release(self.allocation)
