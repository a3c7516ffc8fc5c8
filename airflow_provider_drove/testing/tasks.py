"""Tasks: CREATE/KILL (§8) and the executor-side task state machine (§9.3) on the simulated clock.

A task runs ``DROVE_EMULATOR_RUN_SECONDS`` (default 5 s) and exits with
``DROVE_EMULATOR_EXIT_CODE`` (default 0), both read from the task spec's ``env``. It becomes
visible to GET only when the "executor" first reports it; until then GET says "No such task
instance", as Drove does right after CREATE.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove.specs import echo_value
from airflow_provider_drove.drove.states import TaskState
from airflow_provider_drove.testing import scenarios
from airflow_provider_drove.testing.logs import LogFiles
from airflow_provider_drove.testing.resources import Allocation, capacity_errors, place, requirements
from airflow_provider_drove.testing.scenarios import Behaviour
from airflow_provider_drove.testing.sim import Scheduler, Timer

if TYPE_CHECKING:
    from airflow_provider_drove.testing.cluster import Cluster

T = TaskState
#: seconds from CREATE until the executor's first report makes the task visible (§13: under 1 s)
FIRST_REPORT_SECONDS = 0.3
_ACTIVE = frozenset({T.PENDING, T.PROVISIONING, T.STARTING, T.RUNNING, T.RUN_COMPLETED, T.DEPROVISIONING})


def _echo(kind: str, value: Any) -> Any:
    """A spec part rendered the way Drove echoes it (canonical durations)."""
    return None if value is None else echo_value(kind, value)


class Task:
    """One task instance and its runner.

    :param sim: the scheduler.
    :param spec: the validated TaskSpec wire dict.
    :param allocation: where it runs.
    :param on_change: called after every reported state change (the event store listens).
    """

    def __init__(
        self, sim: Scheduler, spec: Mapping[str, Any], allocation: Allocation, on_change: Callable[[Task], None]
    ) -> None:
        self.sim = sim
        self.spec = dict(spec)
        self.source_app_name = str(spec["sourceAppName"])
        self.task_id = str(spec["taskId"])
        self.instance_id = f"TI-{uuid.uuid4()}"
        self.allocation = allocation
        self.on_change = on_change
        self.behaviour = Behaviour.from_spec(spec)
        self.logs = LogFiles()
        self.state: TaskState = T.PENDING
        self.result: dict[str, Any] | None = None
        self.error = ""
        self.created = sim.now()
        self.changed = self.created
        self.reported = False  # the executor has not reported it yet: GET says "No such task instance"
        self.deleted = False  # DELETE dropped the record; the next executor update re-creates it
        self.orphaned = False  # unknown to the leader after a failover (§8 step 6)
        self.silent_since: float | None = None  # the executor stopped reporting it (``lost-after``)
        self._timer: Timer | None = None
        self._released = False
        self._schedule(FIRST_REPORT_SECONDS, self._first_report)

    # ----------------------------------------------------------------- queries
    @property
    def runner_alive(self) -> bool:
        """The controller still has a runner for it (a non-terminal state)."""
        return self.state in _ACTIVE

    @property
    def visible(self) -> bool:
        """Its record exists in the task DB."""
        return self.reported and not self.deleted

    @property
    def drove_task_id(self) -> str:
        """``<sourceAppName>-<taskId>`` (§11)."""
        return f"{self.source_app_name}-{self.task_id}"

    def updated(self, now: float) -> float:
        """Heartbeat time: re-stamped every 20 s while active (§11)."""
        if not self.runner_alive:
            return self.changed
        return scenarios.heartbeat(self.created, self.changed, now, self.silent_since)

    def wire(self, now: float) -> dict[str, Any]:
        """TaskInfo (§6.2)."""
        data: dict[str, Any] = {
            "sourceAppName": self.source_app_name,
            "taskId": self.task_id,
            "instanceId": self.instance_id,
            "executorId": self.allocation.executor.executor_id,
            "hostname": self.allocation.executor.hostname,
            "executable": _echo("executable", self.spec.get("executable")),
            "resources": self.allocation.wire(),
            "volumes": self.spec.get("volumes") or [],
            "loggingSpec": _echo("logging", self.spec.get("logging")),
            "env": self.spec.get("env") or {},
            "state": self.state.value,
            "metadata": {},
            "taskResult": self.result,
            "errorMessage": self.error,
            "created": int(self.created * 1000),
            "updated": int(self.updated(now) * 1000),
        }
        return {key: value for key, value in data.items() if value is not None}

    # ----------------------------------------------------------------- commands
    def kill(self) -> None:
        """Stop the container: RUN_COMPLETED with CANCELLED/-1, then DEPROVISIONING, STOPPED (§8)."""
        if not self.runner_alive or self.state in (T.RUN_COMPLETED, T.DEPROVISIONING):
            return
        self._say("Received SIGTERM, task cancelled")
        self._finish_run({"status": "CANCELLED", "exitCode": -1}, "")

    # ----------------------------------------------------------------- lifecycle
    def _schedule(self, delay: float, step: Callable[[], None]) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.sim.call_later(delay, step)

    def _set(self, state: TaskState) -> None:
        changed = state != self.state
        self.state = state
        self.changed = self.sim.now()
        self.deleted = False  # any executor update re-creates a deleted record (§6.2 DELETE)
        if changed or state == T.PENDING:  # the first report is the first event
            self.on_change(self)

    def _say(self, line: str, *, stderr: bool = False) -> None:
        self.logs.write(self.sim.now(), line, stderr=stderr)

    def _first_report(self) -> None:
        self.reported = True
        self._set(T.PENDING)
        self._schedule(scenarios.PENDING_SECONDS - FIRST_REPORT_SECONDS, self._provision)

    def _provision(self) -> None:
        self._set(T.PROVISIONING)
        b = self.behaviour
        if b.has(scenarios.PULL_FAIL):
            self._schedule(min(b.pull_seconds, b.pull_timeout), lambda: self._fail_provision(scenarios.pull_error(b.image)))
        elif b.pull_seconds > b.pull_timeout:
            self._schedule(b.pull_timeout, lambda: self._fail_provision(scenarios.pull_timeout_error(b.image, b.pull_timeout)))
        else:
            self._schedule(b.pull_seconds, self._start)

    def _fail_provision(self, error: str) -> None:
        # no taskResult at all when the image cannot be pulled (§8)
        self._set(T.PROVISIONING_FAILED)
        self.error = error
        self._schedule(scenarios.DEPROVISION_SECONDS, self._deprovision)

    def _start(self) -> None:
        self._set(T.STARTING)
        b = self.behaviour
        if b.has(scenarios.START_FAIL):
            self._schedule(b.startup_seconds, self._run_failed)
        else:
            self._schedule(b.startup_seconds, self._running)

    def _run_failed(self) -> None:
        self._set(T.RUN_FAILED)
        self.error = scenarios.start_error(self.behaviour.image)
        self.result = {"status": "FAILED", "exitCode": -1}
        self._say(self.error, stderr=True)
        self._schedule(scenarios.DEPROVISION_SECONDS, self._deprovision)

    def _running(self) -> None:
        self._set(T.RUNNING)
        self._say(f"Task {self.source_app_name}/{self.task_id} started from image {self.behaviour.image}")
        for line in self.behaviour.output:
            self._say(line)
        self._schedule(self.behaviour.run_seconds, self._exited)
        if self.behaviour.has(scenarios.LOST_AFTER) and self.behaviour.lost_after < self.behaviour.run_seconds:
            self._schedule(self.behaviour.lost_after, self._go_silent)

    def _go_silent(self) -> None:
        self._timer = None
        self.silent_since = self.sim.now()

    def mark_lost(self) -> None:
        """The task monitor's verdict on a task not updated for 60 s: LOST, {LOST, -1} (§9.3)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.result = {"status": "LOST", "exitCode": -1}
        self.error = "Instance lost"
        self._set(T.LOST)
        if not self._released:
            self._released = True
            self.allocation.executor.release(self.allocation)

    def _exited(self) -> None:
        code = self.behaviour.exit_code
        self._say(f"Task finished with exit code {code}", stderr=code != 0)
        if code == 0:
            self._finish_run({"status": "SUCCESSFUL", "exitCode": 0}, "")
        else:
            self._finish_run({"status": "FAILED", "exitCode": code}, f"Task instance exited with status: {code}")

    def _finish_run(self, result: dict[str, Any], error: str) -> None:
        self.result = result
        self.error = error
        self._set(T.RUN_COMPLETED)
        self._schedule(scenarios.DEPROVISION_SECONDS, self._deprovision)

    def _deprovision(self) -> None:
        self._set(T.DEPROVISIONING)
        self._schedule(scenarios.DEPROVISION_SECONDS, self._stopped)

    def _stopped(self) -> None:
        self._set(T.STOPPED)
        self._timer = None
        if not self._released:
            self._released = True
            self.allocation.executor.release(self.allocation)


class TaskEngine:
    """Task operations and lookups (§6.2, §8).

    :param cluster: the cluster the tasks run on.
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.tasks: dict[tuple[str, str], Task] = {}

    def check(self, spec: Mapping[str, Any]) -> list[str]:
        """Resource checks for one instance of the task (§8 CREATE, also /tasks/validate/spec)."""
        cpus, memory = requirements(spec)
        return capacity_errors(self.cluster.executors, cpus, memory, 1)

    def create(self, spec: Mapping[str, Any]) -> tuple[list[str], str]:
        """CREATE: duplicate and resource checks, then start the runner.

        :return: ``(validation errors, "<sourceAppName>-<taskId>")``.
        """
        key = (str(spec["sourceAppName"]), str(spec["taskId"]))
        drove_id = f"{key[0]}-{key[1]}"
        existing = self.tasks.get(key)
        if existing is not None and (existing.runner_alive or existing.visible):
            return [f"Task already exists for {key[0]}/{key[1]} with taskID: {drove_id}"], drove_id
        errors = self.check(spec)
        if errors:
            return errors, drove_id
        cpus, memory = requirements(spec)
        allocation = place(self.cluster.executors, cpus, memory, spec.get("placementPolicy"), {})
        if allocation is None:
            # scheduling failed: nothing is written, GET keeps saying "No such task instance" (§8)
            self.tasks.pop(key, None)
            return [], drove_id
        self.tasks[key] = Task(self.cluster.sim, spec, allocation, self.cluster.events.task_changed)
        return [], drove_id

    def kill(self, source_app_name: str, task_id: str) -> list[str]:
        """KILL: needs a live runner (§8)."""
        task = self.tasks.get((source_app_name, task_id))
        if task is None or not task.runner_alive or task.orphaned:
            return [f"Either task does not exist or has already finished for {source_app_name}/{task_id}"]
        task.kill()
        return []

    def get(self, source_app_name: str, task_id: str) -> Task | None:
        """The task record, if the executor has reported it and it was not deleted."""
        task = self.tasks.get((source_app_name, task_id))
        return task if task is not None and task.visible else None

    def listed(self) -> list[Task]:
        """GET /tasks: tasks with a live runner on this leader (§6.2)."""
        return [t for t in self.tasks.values() if t.runner_alive and t.visible and not t.orphaned]

    def delete(self, source_app_name: str, task_id: str) -> None:
        """DELETE: drop the record only (§6.2); a live task's next update re-creates it."""
        key = (source_app_name, task_id)
        task = self.tasks.get(key)
        if task is None:
            return
        if task.runner_alive:
            task.deleted = True
        else:
            del self.tasks[key]

    def monitor(self) -> None:
        """One run of the task monitor (every 5 s): non-terminal tasks not updated for 60 s become LOST."""
        now = self.cluster.sim.now()
        for task in self.tasks.values():
            if task.runner_alive and not task.orphaned and now - task.updated(now) > scenarios.STALE_SECONDS:
                task.mark_lost()

    def on_leader_change(self, app_names: set[str]) -> None:
        """A new leader recovers only tasks whose sourceAppName is an existing app (§5, §8)."""
        for task in self.tasks.values():
            if task.runner_alive and task.source_app_name not in app_names:
                task.orphaned = True
