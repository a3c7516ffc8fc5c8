"""Plans for the application operators: what to send given the app as it is now (``drove-api.md`` §7).

Pure functions of an :class:`~airflow_provider_drove.drove.conditions.AppSnapshot` and a validated
operation payload, with no I/O: :func:`plan_operation` turns them into a :class:`Step` (one request
and the :class:`~airflow_provider_drove.drove.conditions.AppCondition` that proves it done) or
:class:`Finished` (nothing to send), and raises with a sentence a DAG author understands when Drove
would reject the operation in the app's state (§7.3). The operators in
:mod:`airflow_provider_drove.operators` run these plans; the sensors share
:func:`baseline_failure_ids`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove import operations as ops
from airflow_provider_drove.drove.conditions import (
    DEFAULT_MAX_INSTANCE_FAILURES,
    AppCondition,
    AppSnapshot,
    app_state,
    describe_app,
)
from airflow_provider_drove.drove.states import IDLE_APP_STATES, InstanceState
from airflow_provider_drove.exceptions import DroveInputError, DroveOperationFailedError

if TYPE_CHECKING:
    from airflow_provider_drove.drove.models import AppSummary

#: §7.3, per operation: the idle states in which Drove accepts it (derived from H2's state table).
ALLOWED_STATES: dict[str, frozenset[str]] = {
    op: frozenset(
        state.value
        for state, allowed in ops.ALLOWED_OPERATIONS.items()
        if op in allowed and state in IDLE_APP_STATES
    )
    for op in ("SCALE", "START_INSTANCES", "STOP_INSTANCES", "REPLACE_INSTANCES", "SUSPEND", "DESTROY", "RECOVER")
}
#: Idle: no operation is running, a new one may be submitted.
IDLE_STATES = frozenset(s.value for s in IDLE_APP_STATES)

#: Being destroyed (or gone): no operation can run on the app any more.
DYING_STATES = frozenset({"DESTROY_REQUESTED", "DESTROYED", "FAILED"})

#: The wait for another operation to finish before submitting ours.
IDLE_CONDITION = AppCondition(kind="state", target_states=("RUNNING", "MONITORING"), max_instance_failures=None)

#: How often a dropped operation is resubmitted before the operator gives up.
MAX_RESUBMITS = 3

#: How messages name each operation: "Cannot <verb> <app id>".
_VERBS = {
    "CREATE": "create",
    "SCALE": "scale",
    "START_INSTANCES": "start instances of",
    "STOP_INSTANCES": "stop instances of",
    "REPLACE_INSTANCES": "replace instances of",
    "SUSPEND": "suspend",
    "DESTROY": "destroy",
    "RECOVER": "recover",
    "CANCEL": "cancel the operation of",
}


def op_verb(op_type: str) -> str:
    """How messages name an operation: ``"Cannot <verb> <app id>"`` (``"change"`` for an unknown type).

    :param op_type: the wire op type (``SCALE``, ...) or ``CANCEL``.
    :return: the verb phrase, e.g. ``"start instances of"``.
    """
    return _VERBS.get(op_type, "change")


@dataclass
class Step:
    """One Drove request, and the condition that proves it done.

    :param op_type: the wire type (``SCALE``, ...) or ``CANCEL``.
    :param payload: the operation payload to submit, or ``None`` when ``send`` does the request.
    :param condition: what the wait after it waits for.
    :param final: whether this step's outcome ends the operator (DESTROY may SUSPEND first).
    :param cancellable: whether giving up on the wait should cancel the running operation.
    :param xcom: extra values to push to XCom before waiting.
    :param send: a request the operator makes itself, called with its sync ``DroveHook``,
        instead of submitting ``payload`` (CANCEL).
    """

    op_type: str
    payload: dict[str, Any] | None
    condition: AppCondition
    final: bool = True
    cancellable: bool = True
    xcom: dict[str, Any] = field(default_factory=dict)
    send: Callable[[Any], Any] | None = None


@dataclass
class Finished:
    """Nothing (more) to send: the app is already where it should be.

    :param message: why, for the log.
    """

    message: str


@dataclass
class Busy:
    """Another operation runs: wait for the app to be idle first.

    :param message: what the app is doing.
    """

    message: str


@dataclass
class PlanOptions:
    """Operator settings the plans need.

    :param max_instance_failures: see :class:`~airflow_provider_drove.drove.conditions.AppCondition`.
    :param op_spec: the opSpec dict for operations a plan adds (SUSPEND before DESTROY).
    :param suspend_first: DESTROY: suspend a RUNNING app first.
    """

    max_instance_failures: int | None = DEFAULT_MAX_INSTANCE_FAILURES
    op_spec: dict[str, Any] | None = None
    suspend_first: bool = False


def baseline_failure_ids(snapshot: AppSnapshot) -> tuple[str, ...]:
    """Instance ids already in ``/instances/old``: failures there predate our operation (or wait).

    :param snapshot: the app as read before submitting (or at a sensor's first poke).
    :return: the ids a condition should not count as new failures.
    """
    return tuple(i.instance_id for i in snapshot.old_instances)


def not_allowed(app_id: str, app: AppSummary, op_type: str, hint: str) -> DroveOperationFailedError:
    """The error for an idle app in a state where Drove rejects ``op_type`` (§7.3).

    :param app_id: the app.
    :param app: its summary.
    :param op_type: the wire op type.
    :param hint: what the DAG author can do about it.
    :return: the exception to raise.
    """
    allowed = " or ".join(sorted(ALLOWED_STATES[op_type]))
    return DroveOperationFailedError(
        f"Cannot {op_verb(op_type)} {app_id}: it is {app_state(app)} "
        f"({app.healthy_instances or 0}/{app.required_instances or 0} healthy), and Drove accepts "
        f"{op_type} only in {allowed} (drove-api.md §7.3). {hint}"
    )


def plan_operation(
    app_id: str, snapshot: AppSnapshot, payload: Mapping[str, Any], options: PlanOptions
) -> Step | Finished:
    """Decide how to carry out an application operation on an idle app.

    :param app_id: the app.
    :param snapshot: the app (idle: RUNNING or MONITORING) and its instances, read just now.
    :param payload: the validated wire payload.
    :param options: operator settings.
    :return: the step to run, or :class:`Finished` when nothing needs sending.
    :raises DroveOperationFailedError: when Drove would reject the operation in this state.
    """
    app = snapshot.app
    assert app is not None
    op_type = payload["type"]
    state = app_state(app)
    required, healthy = app.required_instances or 0, app.healthy_instances or 0
    known = baseline_failure_ids(snapshot)
    limit = options.max_instance_failures

    def counts(target: int) -> AppCondition:
        return AppCondition(
            kind="counts",
            required_instances=target,
            known_failure_ids=known,
            max_instance_failures=limit,
            expect_change=True,
        )

    if op_type == "SCALE":
        target = payload["requiredInstances"]
        if required == target == healthy:
            return Finished(f"{app_id} already has {target}/{target} healthy instances; nothing to scale")
        return Step(op_type, dict(payload), counts(target))
    if op_type == "START_INSTANCES":
        if payload["instances"] == 0:
            return Finished("instances=0: nothing to start")
        # Drove turns START_INSTANCES into SCALE(healthy at submit + instances) (§7.2).
        return Step(op_type, dict(payload), counts(healthy + payload["instances"]))
    if op_type == "SUSPEND":
        if state == "MONITORING" and required == 0:
            return Finished(f"{app_id} is already suspended (MONITORING, 0 instances required)")
        if state not in ALLOWED_STATES[op_type]:
            raise not_allowed(
                app_id, app, op_type, "Scale it to 0 instead (DroveScaleApplicationOperator, required_instances=0)."
            )
        return Step(op_type, dict(payload), counts(0))
    if op_type == "STOP_INSTANCES":
        if state not in ALLOWED_STATES[op_type]:
            raise not_allowed(app_id, app, op_type, "It has no running instances to stop.")
        ids = tuple(payload["instanceIds"])
        expected = max(0, required - len(ids)) if payload.get("skipRespawn") else None
        condition = AppCondition(
            kind="stopped",
            instance_ids=ids,
            required_instances=expected,
            known_failure_ids=known,
            max_instance_failures=limit,
            expect_change=True,
        )
        return Step(op_type, dict(payload), condition)
    if op_type == "REPLACE_INSTANCES":
        if state not in ALLOWED_STATES[op_type]:
            raise not_allowed(app_id, app, op_type, "It has no running instances; scale it up first.")
        ids = tuple(payload.get("instanceIds") or ())
        if not ids:
            ids = tuple(i.instance_id for i in snapshot.instances if str(i.state) == InstanceState.HEALTHY.value)
            if not ids:
                raise DroveOperationFailedError(
                    f"Cannot replace instances of {app_id}: it has no HEALTHY instance to replace "
                    f"({describe_app(app_id, snapshot)})."
                )
        condition = AppCondition(
            kind="replaced", instance_ids=ids, known_failure_ids=known, max_instance_failures=limit, expect_change=True
        )
        return Step(op_type, dict(payload), condition, xcom={"drove_replaced_instance_ids": list(ids)})
    if op_type == "DESTROY":
        if state == "RUNNING":
            if not options.suspend_first:
                raise not_allowed(
                    app_id,
                    app,
                    op_type,
                    "Set suspend_first=True, or suspend it first with DroveSuspendApplicationOperator.",
                )
            suspend = ops.suspend(app_id, options.op_spec)
            return Step("SUSPEND", suspend, counts(0), final=False)
        return Step(op_type, dict(payload), AppCondition(kind="gone", expect_change=True))
    if op_type == "RECOVER":
        return Step(op_type, dict(payload), counts(required))
    raise DroveInputError("operation.type", f"{op_type!r} is not an application operation this operator can run")
