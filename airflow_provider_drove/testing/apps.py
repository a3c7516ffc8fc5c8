"""Applications: the controller-side state machine of §7 and §9.1.

One operation slot per app (§7.5), the op/state table (§7.3), what each op does and where the
app settles (§7.4), cancel (§7.6), and the scale retry loop that never gives up. Operations are
validated and accepted synchronously (the POST answers after that) and executed by simulated
processes, so ``requiredInstances`` has already moved when the 200 reaches the client.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove.states import ApplicationState, InstanceState
from airflow_provider_drove.testing.instances import Instance
from airflow_provider_drove.testing.resources import capacity_errors, place, requirements
from airflow_provider_drove.testing.scenarios import Behaviour, CheckTiming
from airflow_provider_drove.testing.sim import Process

if TYPE_CHECKING:
    from airflow_provider_drove.testing.cluster import Cluster

A = ApplicationState
S = InstanceState

#: §7.3 VALID_OPS_TABLE, by *internal* op names (the ones error messages print)
VALID_OPS: dict[ApplicationState, frozenset[str]] = {
    A.MONITORING: frozenset({"START_INSTANCES", "SCALE_INSTANCES", "DESTROY", "RECOVER"}),
    A.RUNNING: frozenset(
        {"START_INSTANCES", "STOP_INSTANCES", "SCALE_INSTANCES", "REPLACE_INSTANCES", "SUSPEND", "RECOVER"}
    ),
    A.SCALING_REQUESTED: frozenset({"SCALE_INSTANCES"}),
}
#: wire op type -> internal ApplicationOperationType name (§1.6)
INTERNAL_NAMES = {"SCALE": "SCALE_INSTANCES"}
#: instance states counted as "starting or running" by the scale resource check (§7.3)
_STARTING_OR_RUNNING = frozenset({S.PENDING, S.PROVISIONING, S.STARTING, S.UNREADY, S.READY, S.HEALTHY})
#: instance states a start job gives up on at once
_START_FAILED = frozenset(
    {S.PROVISIONING_FAILED, S.START_FAILED, S.READINESS_CHECK_FAILED, S.UNHEALTHY, S.STOPPING,
     S.DEPROVISIONING, S.STOPPED, S.LOST}
)  # fmt: skip
#: the controller polls instance state this often (§13, instanceStateCheckRetryInterval)
INSTANCE_POLL_SECONDS = 3.0
STOP_POLL_SECONDS = 1.0
JOB_ATTEMPTS = 3  # 1 try + jobRetryCount=2 (§13)
JOB_RETRY_DELAY = 1.0
#: old instance records kept per app (maxStaleInstancesCount, §13)
MAX_OLD_INSTANCES = 100


@dataclass(frozen=True)
class OpSpec:
    """The parts of ClusterOpSpec that have an effect (§7.1); failureStrategy is never read."""

    timeout: float = 300.0
    parallelism: int = 1


#: the controller's internal default op spec for monitor recovery and scale retries (§7.1)
DEFAULT_OP_SPEC = OpSpec(timeout=300.0, parallelism=1)


class App:
    """One application known to the leader.

    :param spec: the validated spec (wire dict, as sent).
    :param app_id: ``name-version``.
    :param now: the simulated clock (epoch seconds).
    :param on_change: called after every state-machine step (the event store listens).
    """

    def __init__(
        self,
        spec: Mapping[str, Any],
        app_id: str,
        now: Callable[[], float],
        on_change: Callable[[App], None] | None = None,
    ) -> None:
        self.now = now
        self.on_change = on_change
        self.created_instances = 0
        self.spec = dict(spec)
        self.app_id = app_id
        self.name = str(spec.get("name"))
        self.cpus, self.memory_mb = requirements(spec)
        self._state: ApplicationState = A.INIT  # INIT is never emitted as an event (§12.3)
        self.required = 0
        self.created = self.updated = now()
        self.instances: dict[str, Instance] = {}
        self.op: Process | None = None
        self.last_action: str | None = None  # "create" | "scale" | "replace" | "stop" | "recover" | "destroy"
        self.job_recorded = False
        self.cancelled = False
        self.error = ""
        behaviour = Behaviour.from_spec(spec)
        self.start_minimum = (
            behaviour.pull_timeout
            + CheckTiming.from_spec(spec.get("healthcheck")).budget
            + CheckTiming.from_spec(spec.get("readiness")).budget
        )

    @property
    def state(self) -> ApplicationState:
        """The state-machine state."""
        return self._state

    @state.setter
    def state(self, value: ApplicationState) -> None:
        """Set the state; every step is an event."""
        # every step is an event, self-transitions included (§12.3)
        self._state = value
        if self.on_change is not None:
            self.on_change(self)

    def healthy(self) -> list[Instance]:
        """HEALTHY instances refreshed within the last 60 s (§9.1 ``healthyInstances``)."""
        now = self.now()
        return [inst for inst in self.instances.values() if inst.state == S.HEALTHY and inst.fresh(now)]

    def active(self) -> list[Instance]:
        """Non-stale instances in Drove's active states (§9.2), as ``/instances`` lists them."""
        now = self.now()
        return [inst for inst in self.instances.values() if inst.active and inst.fresh(now)]


    def summary(self) -> dict[str, Any]:
        """AppSummary (§6.1)."""
        data: dict[str, Any] = {
            "id": self.app_id,
            "name": self.name,
            "requiredInstances": self.required,
            "healthyInstances": len(self.healthy()),
            "totalCPUs": self.cpus * self.required,
            "totalMemory": self.memory_mb * self.required,
        }
        if isinstance(self.spec.get("tags"), Mapping):
            data["tags"] = dict(self.spec["tags"])
        data.update({"state": self.state.value, "created": int(self.created * 1000), "updated": int(self.updated * 1000)})
        return data

    @property
    def idle(self) -> bool:
        """RUNNING or MONITORING with no operation in the slot."""
        return self.state in (A.RUNNING, A.MONITORING) and self.op is None


class ApplicationEngine:
    """Accepts application operations and runs them on the simulated clock.

    :param cluster: the cluster the apps live on.
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.apps: dict[str, App] = {}

    # ================================================================ submit (validated, sync)
    def submit(self, op: Mapping[str, Any]) -> tuple[list[str], str | None]:
        """Validate an operation against the state table and the per-op checks, then accept it.

        :param op: a normalised operation (see ``validation.app_operation``).
        :return: ``(validation errors, appId)``; no errors means HTTP 200 with ``{"appId"}``.
        """
        kind = op["type"]
        if kind == "CREATE":
            return self._create(op)
        app_id = op.get("appId")
        if not app_id:
            return ["no app id found in operation"], None
        app = self.apps.get(app_id)
        if app is None:
            return [f"No state found for app: {app_id}"], app_id
        internal = INTERNAL_NAMES.get(kind, kind)
        allowed = VALID_OPS.get(app.state, frozenset())
        if internal not in allowed:
            if allowed:
                names = ", ".join(sorted(allowed))
                return [f"Only [{names}] allowed for app {app_id} as it is in {app.state.value} state"], app_id
            return [f"No operations allowed for {app_id} as it is in {app.state.value} state"], app_id
        errors = self._check(app, op)
        if errors:
            return errors, app_id
        if app.op is not None:
            # §7.5: the one-slot mailbox is full; Drove logs "Update could not be sent" and answers 200
            return [], app_id
        self._accept(app, op)
        return [], app_id

    def _create(self, op: Mapping[str, Any]) -> tuple[list[str], str | None]:
        spec = op["spec"]
        app_id = f"{spec['name']}-{spec['version']}"
        if app_id in self.apps:
            return [f"App {app_id} already exists"], app_id
        app = App(spec, app_id, self.cluster.sim.now, self.cluster.events.app_changed)
        app.required = app.created_instances = int(op.get("instances") or 0)
        app.last_action = "create"
        self.apps[app_id] = app
        # INIT lasts milliseconds; RUNNING iff instances > 0, and the monitor scales it up (§7.2)
        app.state = A.RUNNING if app.required > 0 else A.MONITORING
        return [], app_id

    def _check(self, app: App, op: Mapping[str, Any]) -> list[str]:
        kind = op["type"]
        if kind == "SCALE":
            starting_or_running = sum(1 for inst in app.instances.values() if inst.state in _STARTING_OR_RUNNING)
            return self._capacity(app, op["requiredInstances"] - starting_or_running)
        if kind == "START_INSTANCES":
            return self._capacity(app, op["instances"])
        if kind == "STOP_INSTANCES":
            missing = [iid for iid in op["instanceIds"] if iid not in {i.instance_id for i in app.active()}]
            if missing:
                return [f"App {app.app_id} does not have any instances with the following ids: {','.join(missing)}"]
        if kind == "REPLACE_INSTANCES":
            healthy = {inst.instance_id for inst in app.healthy()}
            missing = [iid for iid in op.get("instanceIds") or [] if iid not in healthy]
            if missing:
                return [f"There are no replaceable healthy instances with ids: [{', '.join(missing)}]"]
        return []

    def _capacity(self, app: App, count: int) -> list[str]:
        return capacity_errors(self.cluster.executors, app.cpus, app.memory_mb, count)

    def _accept(self, app: App, op: Mapping[str, Any]) -> None:
        kind = op["type"]
        spec = op.get("opSpec") or DEFAULT_OP_SPEC
        if not isinstance(spec, OpSpec):
            spec = OpSpec(timeout=float(spec.get("timeout", 300.0)), parallelism=int(spec.get("parallelism", 1)))
        if kind == "SCALE":
            self._start_scale(app, op["requiredInstances"], spec)
        elif kind == "START_INSTANCES":
            self._start_scale(app, len(app.healthy()) + op["instances"], spec)
        elif kind == "SUSPEND":
            self._start_scale(app, 0, spec)
        elif kind == "RECOVER":
            self._recover(app)
        elif kind == "STOP_INSTANCES":
            app.state = A.STOP_INSTANCES_REQUESTED
            app.last_action = "stop"
            self._run(app, self._stop_instances(app, list(op["instanceIds"]), bool(op.get("skipRespawn")), spec))
        elif kind == "REPLACE_INSTANCES":
            app.state = A.REPLACE_INSTANCES_REQUESTED
            app.last_action = "replace"
            app.job_recorded = True
            ids = list(op.get("instanceIds") or []) or [inst.instance_id for inst in app.healthy()]
            self._run(app, self._replace(app, ids, bool(op.get("stopFirst")), spec))
        elif kind == "DESTROY":
            app.state = A.DESTROY_REQUESTED
            app.last_action = "destroy"
            self._run(app, self._destroy(app))

    # ================================================================ cancel (§7.6)
    def cancel(self, app_id: str) -> bool:
        """Cancel the current job.

        :return: True when Drove would answer 200; False for 400 "Current operation could not be cancelled".
        """
        app = self.apps.get(app_id)
        if app is None or app.last_action not in ("scale", "replace") or not app.job_recorded:
            return False
        if app.op is not None:
            app.cancelled = True
        return True

    # ================================================================ processes
    def _run(self, app: App, gen: Generator[Any, Any, Any]) -> None:
        app.cancelled = False
        process = self.cluster.sim.spawn(gen, name=f"op:{app.app_id}")
        app.op = process if not process.done else None

        def _free(_: Any) -> None:
            if app.op is process:
                app.op = None
                app.cancelled = False

        process.on_done(_free)

    def _set_required(self, app: App, count: int) -> None:
        app.required = max(0, count)
        app.updated = self.cluster.sim.now()

    def _settle(self, app: App, count: int | None = None) -> None:
        count = len(app.healthy()) if count is None else count
        app.state = A.RUNNING if count > 0 else A.MONITORING

    def _start_scale(self, app: App, target: int, spec: OpSpec) -> None:
        app.state = A.SCALING_REQUESTED
        app.last_action = "scale"
        app.job_recorded = True
        self._set_required(app, target)  # the moment the app enters SCALING_REQUESTED (§7.4)
        self._run(app, self._scale(app, spec))

    def _recover(self, app: App) -> None:
        app.state = A.OUTAGE_DETECTED
        app.last_action = "recover"

        def recover() -> Generator[Any, Any, Any]:
            yield 0.01  # OUTAGE_DETECTED lasts milliseconds (§13)
            app.state = A.SCALING_REQUESTED
            app.last_action = "scale"
            app.job_recorded = True
            yield from self._scale(app, DEFAULT_OP_SPEC)

        self._run(app, recover())

    def _scale(self, app: App, spec: OpSpec) -> Generator[Any, Any, Any]:
        while True:
            target = app.required
            healthy = app.healthy()
            if len(healthy) < target:
                jobs = [lambda: self._start_job(app, spec) for _ in range(target - len(healthy))]
                yield from self._run_jobs(app, jobs, spec.parallelism)
            elif len(healthy) > target:
                victims = random.sample(healthy, len(healthy) - target)  # random, not oldest (§7.4)
                jobs = [(lambda inst=inst: self._stop_job(inst, spec)) for inst in victims]
                yield from self._run_jobs(app, jobs, spec.parallelism)
            count = len(app.healthy())
            if app.cancelled:
                if count != app.required:
                    self._set_required(app, count)  # roll back to the healthy count (§7.6)
                self._settle(app, count)
                return
            if count == app.required:
                self._settle(app, count)
                return
            # §7.4: back to SCALING_REQUESTED with a fresh SCALE on the default op spec, forever
            app.state = A.SCALING_REQUESTED
            starting_or_running = sum(1 for inst in app.instances.values() if inst.state in _STARTING_OR_RUNNING)
            if self._capacity(app, app.required - starting_or_running):
                app.state = A.RUNNING
                app.error = "No operation available"
                return
            spec = DEFAULT_OP_SPEC
            yield 0.5

    def _run_jobs(
        self, app: App, jobs: list[Callable[[], Generator[Any, Any, bool]]], parallelism: int
    ) -> Generator[Any, Any, list[bool]]:
        pending = list(jobs)
        running: list[Process] = []
        results: list[bool] = []
        while pending or running:
            if app.cancelled:
                pending.clear()  # jobs not yet started are skipped (§7.6)
            while pending and len(running) < max(1, parallelism):
                running.append(self.cluster.sim.spawn(pending.pop(0)(), name=f"job:{app.app_id}"))
            finished = [process for process in running if process.done]
            for process in finished:
                running.remove(process)
                results.append(bool(process.result))
            if running:
                yield 0.25
        return results

    def _launch(self, app: App, budget: float) -> Instance | None:
        counts: dict[str, int] = {}
        for inst in app.active():
            counts[inst.executor_id] = counts.get(inst.executor_id, 0) + 1
        allocation = place(
            self.cluster.executors, app.cpus, app.memory_mb, app.spec.get("placementPolicy"), counts
        )
        if allocation is None:
            return None
        ports = {
            str(port.get("name")): self.cluster.next_host_port()
            for port in app.spec.get("exposedPorts") or []
            if isinstance(port, Mapping)
        }
        inst = Instance(
            self.cluster.sim, app.app_id, app.name, app.spec, allocation, ports, budget,
            on_change=self.cluster.events.instance_changed,
        )  # fmt: skip
        app.instances[inst.instance_id] = inst
        self._prune_old(app)
        return inst

    def _prune_old(self, app: App) -> None:
        old = [inst for inst in app.instances.values() if not inst.active]
        for inst in old[: max(0, len(old) - MAX_OLD_INSTANCES)]:
            del app.instances[inst.instance_id]

    def _start_job(self, app: App, spec: OpSpec) -> Generator[Any, Any, bool]:
        budget = max(spec.timeout, app.start_minimum)  # computeTimeout (§7.1)
        for attempt in range(JOB_ATTEMPTS):
            if attempt:
                if app.cancelled:
                    return False  # running start jobs stop retrying (§7.6)
                yield JOB_RETRY_DELAY
            inst = self._launch(app, budget)
            if inst is None:
                continue
            deadline = self.cluster.sim.now() + budget
            while True:
                now = self.cluster.sim.now()
                if now >= deadline:
                    break  # timed out: the container is left running (§13)
                yield min(INSTANCE_POLL_SECONDS, deadline - now)
                if inst.state == S.HEALTHY:
                    return True
                if inst.state in _START_FAILED:
                    break
        return False

    def _stop_job(self, inst: Instance, spec: OpSpec) -> Generator[Any, Any, bool]:
        for attempt in range(JOB_ATTEMPTS):
            if attempt:
                yield JOB_RETRY_DELAY
            inst.stop()
            deadline = self.cluster.sim.now() + spec.timeout
            while self.cluster.sim.now() < deadline:
                yield min(STOP_POLL_SECONDS, max(0.01, deadline - self.cluster.sim.now()))
                if not inst.active:
                    return True
        return False

    def _stop_instances(
        self, app: App, ids: list[str], skip_respawn: bool, spec: OpSpec
    ) -> Generator[Any, Any, Any]:
        jobs = [(lambda inst=app.instances[iid]: self._stop_job(inst, spec)) for iid in ids if iid in app.instances]
        results = yield from self._run_jobs(app, jobs, spec.parallelism)
        if skip_respawn and any(results):  # OR combiner (§7.4)
            self._set_required(app, app.required - len(ids))
            app.state = A.MONITORING if app.required == 0 else A.RUNNING
        else:
            app.state = A.RUNNING

    def _replace(self, app: App, ids: list[str], stop_first: bool, spec: OpSpec) -> Generator[Any, Any, Any]:
        def replace_one(old: Instance) -> Generator[Any, Any, bool]:
            if stop_first:
                yield from self._stop_job(old, spec)
                return (yield from self._start_job(app, spec))
            started = yield from self._start_job(app, spec)
            yield from self._stop_job(old, spec)  # stopped even if the new one failed (§7.4)
            return started

        jobs = [(lambda old=app.instances[iid]: replace_one(old)) for iid in ids if iid in app.instances]
        yield from self._run_jobs(app, jobs, spec.parallelism)
        self._settle(app)

    def _destroy(self, app: App) -> Generator[Any, Any, Any]:
        yield 0.01  # DESTROY_REQUESTED -> DESTROYED takes milliseconds (§13)
        app.state = A.DESTROYED
        for inst in app.instances.values():
            inst.kill()
        self.apps.pop(app.app_id, None)

    # ================================================================ monitor (§9.1)
    def monitor(self) -> None:
        """One run of the app monitor (§9.1): stale instances become LOST; idle apps whose healthy
        count is off get a RECOVER."""
        now = self.cluster.sim.now()
        for app in list(self.apps.values()):
            if app.state not in (A.RUNNING, A.MONITORING):
                continue
            for inst in list(app.instances.values()):
                if not inst.fresh(now):
                    inst.mark_lost()
            if app.idle and len(app.healthy()) != app.required:
                self._recover(app)
