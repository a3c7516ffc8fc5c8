"""The shared flow of the application operators (the base operator), and the mixins the operators
and sensors share.

Every operator in :mod:`airflow_provider_drove.operators.application` runs the same flow
(:class:`DroveApplicationBaseOperator`), in small steps:

1. ``_validate``: rendered parameters are checked (:mod:`~airflow_provider_drove.operators.inputs`)
   and the payload is built; bad input raises
   :class:`~airflow_provider_drove.exceptions.DroveInputError` naming the parameter, before any
   request.
2. ``_decide``: read the app. Missing, being destroyed, or idle in a state where Drove would reject
   the operation (``drove-api.md`` §7.3): fail with a sentence saying what to do. Busy with another
   operation: wait for it (within ``timeout``) or fail when ``wait_for_idle=False``. Already where
   it should be: finish without sending anything. What to send is a pure plan
   (:func:`~airflow_provider_drove.drove.plans.plan_operation`).
3. ``_submit``: send the operation; the app id and the Drove UI link go to XCom before waiting.
4. ``_wait`` (sync, in the worker) or ``_defer`` (:class:`~airflow_provider_drove.triggers.application.DroveApplicationTrigger`):
   poll until the true outcome (§9.1), logging one INFO line per poll. Both evaluate the same
   :func:`~airflow_provider_drove.drove.conditions.evaluate_app`. A SCALE Drove dropped with a 200
   (§7.5) is resubmitted once the app is idle again; instances that keep failing (e.g. an image
   that cannot be pulled) fail the wait early with Drove's error text.
5. ``_finish``: return the final app summary as plain JSON. On failure, timeout or kill the
   running Drove operation is cancelled (``cancel_on_failure``), and the error says what the app
   looked like at the end.

:class:`DroveHookMixin` (the lazy sync hook) is shared by every operator and sensor of the
provider, :class:`DroveApplicationMixin` (hook, "Drove app" link, colour) with the application
sensors. Importing this module is cheap: the hook (and with it any connection) is built only when a
task runs.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.providers.common.compat.sdk import BaseOperator, conf

from airflow_provider_drove.drove import operations as ops
from airflow_provider_drove.drove.conditions import (
    DEFAULT_MAX_INSTANCE_FAILURES,
    AppCondition,
    AppSnapshot,
    app_state,
    describe_app,
)
from airflow_provider_drove.drove.plans import (
    DYING_STATES,
    IDLE_CONDITION,
    IDLE_STATES,
    MAX_RESUBMITS,
    Busy,
    Finished,
    PlanOptions,
    Step,
    op_verb,
    plan_operation,
)
from airflow_provider_drove.exceptions import (
    DroveException,
    DroveOperationFailedError,
    DroveTimeoutError,
)
from airflow_provider_drove.hooks.defaults import DEFAULT_CONN_ID
from airflow_provider_drove.links.drove import DroveApplicationLink, controller_ui_base
from airflow_provider_drove.operators.inputs import as_bool, as_count, as_seconds, check_failures
from airflow_provider_drove.triggers.application import (
    DEFAULT_DROP_GRACE_SECONDS,
    DEFAULT_MAX_CONSECUTIVE_ERRORS,
    AppWaitState,
    TRANSIENT_ERRORS,
    DroveApplicationTrigger,
    fetch_app_snapshot,
    poll_sync,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_drove.hooks.drove import DroveHook



# ---------------------------------------------------------------------------------------------
# What operators and sensors share, and the base operator with the flow
# ---------------------------------------------------------------------------------------------


class DroveHookMixin:
    """The sync Drove hook of an operator or sensor, built lazily: DAG parsing never touches a connection.

    The class using it sets ``drove_conn_id`` in its ``__init__``.
    """

    drove_conn_id: str

    @cached_property
    def hook(self) -> DroveHook:
        """The sync Drove hook for ``drove_conn_id`` (built on first use)."""
        from airflow_provider_drove.hooks.drove import DroveHook

        return DroveHook(drove_conn_id=self.drove_conn_id)


class DroveApplicationMixin(DroveHookMixin):
    """What the application operators and sensors share: the sync hook (:class:`DroveHookMixin`),
    the "Drove app" extra link, and the colour in the UI.
    """

    operator_extra_links = (DroveApplicationLink(),)
    ui_color = "#d7eaf8"

    def _persist_app_link(self, context: Context, app_id: str) -> None:
        """Store the controller UI base so the "Drove app" link points at ``app_id``."""
        DroveApplicationLink.persist(context, controller_ui_base(self.hook), drove_app_id=app_id)


class DroveApplicationBaseOperator(DroveApplicationMixin, BaseOperator):
    """Common flow of the application operators; subclasses implement ``_validate`` and ``_plan``.

    :param app_id: the Drove app id (``name-version``, e.g. ``TEST_APP-1``). Templated.
    :param drove_conn_id: the Drove connection.
    :param op_timeout: Drove's ``opSpec.timeout``: how long Drove waits for each instance to start
        or stop (a Drove duration such as ``"5m"``). Templated.
    :param parallelism: Drove's ``opSpec.parallelism``: instances started/stopped at a time (1..512). Templated.
    :param wait_for_completion: wait for the outcome (default); otherwise return right after submitting.
    :param wait_for_idle: when another operation runs on the app, wait for it (within ``timeout``);
        ``False`` fails instead.
    :param poll_interval: seconds between polls.
    :param timeout: seconds the whole operator may wait (for the app to be idle, then for the outcome).
    :param max_instance_failures: new instance failures tolerated before failing early (``None``: never).
    :param cancel_on_failure: cancel the running Drove operation on timeout, on early failure and
        when the task is killed.
    :param deferrable: wait in the triggerer instead of the worker.
    """

    template_fields: Sequence[str] = ("app_id", "op_timeout", "parallelism")
    #: the wire operation type the operator sends (for messages)
    op_type = ""

    def __init__(
        self,
        *,
        app_id: str | None = None,
        drove_conn_id: str = DEFAULT_CONN_ID,
        op_timeout: str | int | datetime.timedelta = "5m",
        parallelism: int | str = 1,
        wait_for_completion: bool = True,
        wait_for_idle: bool = True,
        poll_interval: float = 10.0,
        timeout: float | datetime.timedelta = 3600.0,
        max_instance_failures: int | None = DEFAULT_MAX_INSTANCE_FAILURES,
        cancel_on_failure: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.app_id = app_id
        self.drove_conn_id = drove_conn_id
        self.op_timeout = op_timeout
        self.parallelism = parallelism
        self.wait_for_completion = wait_for_completion
        self.wait_for_idle = wait_for_idle
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.max_instance_failures = max_instance_failures
        self.cancel_on_failure = cancel_on_failure
        self.deferrable = deferrable
        self._live_app_id: str | None = None

    # ---- inputs ------------------------------------------------------------------------------

    def _prepare(self, context: Context) -> None:
        """Check every rendered parameter (at each start and resume; no request is sent before)."""
        self._context = context
        self._validate_common()
        self._validate()

    def _validate_common(self) -> None:
        """Check the rendered common parameters (no request is sent before this passes)."""
        self._poll = as_seconds("poll_interval", self.poll_interval)
        self._timeout = as_seconds("timeout", self.timeout)
        self._max_failures = check_failures(self.max_instance_failures)
        for name in ("wait_for_completion", "wait_for_idle", "cancel_on_failure"):
            setattr(self, name, as_bool(name, getattr(self, name)))
        op_timeout = self.op_timeout
        if isinstance(op_timeout, datetime.timedelta):
            op_timeout = int(op_timeout.total_seconds())
        self._op_spec = ops.OpSpec.coerce(
            {"timeout": op_timeout, "parallelism": as_count("parallelism", self.parallelism)}, field="op_spec"
        ).to_wire()

    def _validate(self) -> None:
        """Check the rendered parameters and build ``self._payload``; raise DroveInputError."""
        raise NotImplementedError

    def _plan(self, snapshot: AppSnapshot) -> Step | Finished:
        """What to do with the (idle) app; see :func:`plan_operation`."""
        return plan_operation(self._app_id, snapshot, self._payload, self._plan_options())

    def _plan_options(self) -> PlanOptions:
        return PlanOptions(max_instance_failures=self._max_failures, op_spec=self._op_spec)

    def _result(self, app_json: dict[str, Any] | None) -> Any:
        """The XCom return value: the final app summary in Drove's wire JSON."""
        return app_json

    # ---- the flow ----------------------------------------------------------------------------

    def execute(self, context: Context) -> Any:
        """Validate, check the app, submit, wait (or defer), and return the final app summary."""
        self._prepare(context)
        deadline = time.time() + self._timeout
        self._persist_app_link(context, self._app_id)
        return self._run(context, deadline, resubmits=0)

    def execute_complete(
        self,
        context: Context,
        event: dict[str, Any],
        phase: str = "final",
        deadline: float | None = None,
        resubmits: int = 0,
    ) -> Any:
        """Resume after the trigger fired: finish, go on with the next step, or fail.

        :param event: the trigger's payload.
        :param phase: ``idle`` (waited for another operation), ``step`` (an intermediate step) or ``final``.
        :param deadline: the operator's wall-clock deadline.
        :param resubmits: how many times a dropped operation was already resubmitted.
        """
        self._prepare(context)
        # The flow position travels in the event too: dag.test() drops defer(kwargs=...).
        resume = event.get("resume") or {}
        phase = resume.get("phase", phase)
        deadline = resume.get("deadline", deadline)
        resubmits = resume.get("resubmits", resubmits)
        if deadline is None:
            deadline = time.time() + self._timeout
        if phase != "idle" and resume.get("cancellable", True):
            self._live_app_id = self._app_id
        outcome = self._after_wait(context, event, phase, resubmits)
        if isinstance(outcome, _Again):
            return self._run(context, deadline, outcome.resubmits)
        return outcome.value

    def _run(self, context: Context, deadline: float, resubmits: int) -> Any:
        while True:
            snapshot = fetch_app_snapshot(self.hook, self._app_id)
            decision = self._decide(snapshot)
            if isinstance(decision, Finished):
                self.log.info("%s", decision.message)
                return self._finish(_app_json(snapshot))
            if isinstance(decision, Busy):
                if not self.wait_for_idle:
                    raise DroveOperationFailedError(
                        f"Cannot {op_verb(self.op_type)} {self._app_id} now: {decision.message}. "
                        "Set wait_for_idle=True to wait for that operation, or retry later."
                    )
                self.log.info("Waiting for the running operation to finish first: %s", decision.message)
                outcome = self._await(context, IDLE_CONDITION, "idle", deadline, resubmits)
            else:
                self._submit(context, decision)
                if not self.wait_for_completion and decision.final:
                    self._live_app_id = None
                    return self._finish(self._read_app_json())
                phase = "final" if decision.final else "step"
                outcome = self._await(context, decision.condition, phase, deadline, resubmits)
            if isinstance(outcome, _Again):
                resubmits = outcome.resubmits
                continue
            return outcome.value

    def _decide(self, snapshot: AppSnapshot) -> Step | Finished | Busy:
        """The pre-check: fail on a missing or dying app, wait while busy, else plan."""
        app = snapshot.app
        if app is None:
            return self._missing()
        state = app_state(app)
        if state in DYING_STATES:
            raise DroveOperationFailedError(
                f"Cannot {op_verb(self.op_type)} {self._app_id}: it is {state} (being destroyed)."
            )
        if state not in IDLE_STATES:  # not RUNNING/MONITORING: an operation is under way
            what = state or "(no state reported: the leader has no state machine for it yet)"
            return Busy(f"{describe_app(self._app_id, snapshot)}; another operation is running ({what})")
        return self._plan(snapshot)

    def _missing(self) -> Step | Finished:
        raise DroveOperationFailedError(
            f"Cannot {op_verb(self.op_type)} {self._app_id}: Drove has no app with this id. "
            "Check app_id (Drove app ids are name-version, e.g. TEST_APP-1), or create the app first "
            "(DroveCreateApplicationOperator)."
        )

    def _submit(self, context: Context, step: Step) -> None:
        ti = context["ti"]
        for key, value in step.xcom.items():
            ti.xcom_push(key=key, value=value)
        self.log.info("Submitting %s for %s", step.op_type, self._app_id)
        if step.send is not None:
            step.send(self.hook)
        else:
            self._send_payload(dict(step.payload or {}))
        self._live_app_id = self._app_id if step.cancellable else None
        self._step = step

    def _send_payload(self, payload: dict[str, Any]) -> str:
        """Submit one operation payload (a seam for tests that simulate a racing client)."""
        return self.hook.submit_operation(payload)

    def _await(self, context: Context, condition: AppCondition, phase: str, deadline: float, resubmits: int) -> Any:
        """Wait for ``condition``: deferred to the triggerer, or in the worker; then judge the outcome."""
        if self.deferrable:
            # Look once before deferring, as the sync wait's first poll does: an outcome that is
            # already there (CREATE with 0 instances, a fast DESTROY) needs no trip through the
            # triggerer, which also keeps clear of Airflow's race on triggers firing at once.
            event = self._check_once(condition)
            if event is None:
                self._defer(condition, phase, deadline, resubmits)
            return self._after_wait(context, event, phase, resubmits)
        return self._after_wait(context, self._wait(condition, deadline), phase, resubmits)

    def _check_once(self, condition: AppCondition) -> dict[str, Any] | None:
        """One fetch and evaluation; the event payload when the wait is already over, else ``None``."""
        state = AppWaitState(self._app_id, condition)
        try:
            result = state.step(fetch_app_snapshot(self.hook, self._app_id))
        except TRANSIENT_ERRORS as err:
            self.log.warning("Could not read %s before deferring (%s); the triggerer will", self._app_id, err)
            return None
        self.log.info("%s", result.message)
        if result.payload is not None and result.payload.get("status") in ("done", "failed"):
            return result.payload
        return None

    def _defer(self, condition: AppCondition, phase: str, deadline: float, resubmits: int) -> NoReturn:
        """Hand the wait to :class:`DroveApplicationTrigger`; ``execute_complete`` resumes the flow."""
        cancellable = phase != "idle" and getattr(self, "_step", None) is not None and self._step.cancellable
        self.defer(
            trigger=DroveApplicationTrigger(
                app_id=self._app_id,
                condition=condition.to_json(),
                drove_conn_id=self.drove_conn_id,
                poll_interval=self._poll,
                deadline=deadline,
                max_consecutive_errors=DEFAULT_MAX_CONSECUTIVE_ERRORS,
                cancel_on_kill=self.cancel_on_failure and cancellable,
                drop_grace=DEFAULT_DROP_GRACE_SECONDS,
                resume={"phase": phase, "deadline": deadline, "resubmits": resubmits, "cancellable": cancellable},
            ),
            method_name="execute_complete",
            kwargs={"phase": phase, "deadline": deadline, "resubmits": resubmits},
        )

    def _wait(self, condition: AppCondition, deadline: float) -> dict[str, Any]:
        """Poll in the worker until the wait ends (the sync twin of the trigger).

        :return: the event payload, shaped as the trigger's.
        """
        state = AppWaitState(self._app_id, condition)
        return poll_sync(
            lambda: state.step(fetch_app_snapshot(self.hook, self._app_id)),
            poll_interval=self._poll,
            deadline=deadline,
            log=self.log,
            timeout_payload=state.timeout_payload,
        )

    def _after_wait(self, context: Context, event: Mapping[str, Any], phase: str, resubmits: int) -> Any:
        status = event.get("status")
        message = str(event.get("message", ""))
        if status == "done":
            if phase == "final":
                self.log.info("Done: %s", message)
                self._live_app_id = None
                return _Value(self._finish(event.get("app")))
            return _Again(resubmits)
        if status == "dropped" and phase != "idle":
            if resubmits >= MAX_RESUBMITS:
                self._live_app_id = None
                raise DroveOperationFailedError(
                    f"Drove accepted but dropped the operation {resubmits + 1} times (another operation kept "
                    f"the app busy, drove-api.md §7.5); giving up. At the end: {message}"
                )
            self.log.warning("Drove dropped the operation (§7.5); resubmitting once the app is idle: %s", message)
            return _Again(resubmits + 1)
        self._give_up(phase, status, message)

    def _give_up(self, phase: str, status: Any, message: str) -> None:
        cancel_note = ""
        if phase != "idle" and self._live_app_id and self.cancel_on_failure and status != "done":
            cancel_note = "; " + self._cancel_live_operation()
        self._live_app_id = None
        what = "waiting for the running operation to finish" if phase == "idle" else f"{self.op_type or 'operation'}"
        text = f"{self._app_id}: {what} did not succeed: {message}{cancel_note}"
        if status == "timeout":
            raise DroveTimeoutError(text)
        raise DroveOperationFailedError(text)

    def _cancel_live_operation(self) -> str:
        app_id = self._live_app_id
        self._live_app_id = None
        if not app_id:
            return "nothing to cancel"
        try:
            accepted = self.hook.cancel_operation(app_id)
        except DroveException as err:
            return f"could not cancel the running operation: {err}"
        if accepted:
            self.log.warning("Cancelled the running Drove operation of %s", app_id)
            return "cancelled the running Drove operation"
        return "Drove had no operation to cancel"

    def _read_app_json(self) -> dict[str, Any] | None:
        return _app_json(fetch_app_snapshot(self.hook, self._app_id))

    def _finish(self, app_json: dict[str, Any] | None) -> Any:
        """The operator's return value from the final app summary (see ``_result``)."""
        return self._result(app_json)

    def on_kill(self) -> None:
        """The task was killed or marked failed: cancel the running Drove operation (``cancel_on_failure``)."""
        if self._live_app_id and self.cancel_on_failure:
            self.log.warning("Task killed: %s", self._cancel_live_operation())


@dataclass
class _Again:
    """Go round the flow again (next step, or resubmit after a dropped op)."""

    resubmits: int


@dataclass
class _Value:
    """The flow ended: the operator returns ``value``."""

    value: Any


def _app_json(snapshot: AppSnapshot) -> dict[str, Any] | None:
    """The snapshot's app summary in Drove's wire JSON, or ``None`` when the app does not exist."""
    return snapshot.app.to_json() if snapshot.app is not None else None


