"""Wait for an existing Drove task to finish (``drove-api.md`` §8, §9.3)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_drove.drove.task_conditions import DEFAULT_PENDING_GRACE_SECONDS
from airflow_provider_drove.exceptions import DroveException, DroveNotFoundError, DroveOperationFailedError
from airflow_provider_drove.hooks.defaults import DEFAULT_CONN_ID
from airflow_provider_drove.links.drove import DroveTaskLink, controller_ui_base
from airflow_provider_drove.operators.base import DroveHookMixin
from airflow_provider_drove.operators.task import XCOM_SOURCE_APP_NAME, XCOM_TASK_ID, check_drove_id
from airflow_provider_drove.triggers.application import DEFAULT_MAX_CONSECUTIVE_ERRORS, TRANSIENT_ERRORS
from airflow_provider_drove.triggers.task import DroveTaskTrigger, TaskWaitState

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class DroveTaskSensor(DroveHookMixin, BaseSensorOperator):
    """Wait until a Drove task has finished; fail if it finished badly.

    Same rules as :class:`~airflow_provider_drove.operators.task.DroveRunTaskOperator`: success
    is STOPPED with result SUCCESSFUL; any other end (non-zero exit, killed, lost, image pull
    failure) fails the sensor with the exit code and Drove's error message; "No such task
    instance" counts as pending for ``pending_grace_seconds`` from the first poke (the task may
    have been created a moment ago), then fails. Returns the task's summary to XCom.

    :param source_app_name: the task's ``sourceAppName``. Templated.
    :param drove_task_id: the Drove task id. Templated.
    :param drove_conn_id: the Drove connection.
    :param deferrable: wait in the triggerer instead of the worker.
    :param pending_grace_seconds: how long an unknown task counts as pending (default 360 s:
        Drove's default op timeout plus a margin).
    :param max_consecutive_errors: transient read errors tolerated in a row while deferred.
    """

    template_fields: Sequence[str] = ("source_app_name", "drove_task_id")
    operator_extra_links = (DroveTaskLink(),)
    ui_color = "#e8f1fb"

    def __init__(
        self,
        *,
        source_app_name: str,
        drove_task_id: str,
        drove_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        pending_grace_seconds: float = DEFAULT_PENDING_GRACE_SECONDS,
        max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source_app_name = source_app_name
        self.drove_task_id = drove_task_id
        self.drove_conn_id = drove_conn_id
        self.deferrable = deferrable
        self.pending_grace_seconds = pending_grace_seconds
        self.max_consecutive_errors = max_consecutive_errors
        self._state: TaskWaitState | None = None

    def execute(self, context: Context) -> Any:
        """Check the ids, publish them for the link, then poke or defer."""
        check_drove_id(self.source_app_name, "source_app_name")
        check_drove_id(self.drove_task_id, "drove_task_id")
        DroveTaskLink.persist(
            context,
            controller_ui_base(self.hook),
            **{XCOM_SOURCE_APP_NAME: self.source_app_name, XCOM_TASK_ID: self.drove_task_id},
        )
        if not self.deferrable:
            return super().execute(context)
        # One look first: a task that already finished needs no triggerer round trip.
        outcome = self.poke(context)
        if outcome:
            return outcome.xcom_value if isinstance(outcome, PokeReturnValue) else None
        state = self._wait_state(context)
        self.defer(
            trigger=DroveTaskTrigger(
                source_app_name=self.source_app_name,
                task_id=self.drove_task_id,
                drove_conn_id=self.drove_conn_id,
                poll_interval=self.poke_interval,
                deadline=time.time() + self.timeout,
                max_consecutive_errors=self.max_consecutive_errors,
                cancel_on_kill=False,  # the sensor watches a task; it does not own it
                pending_since=state.watch.pending_since,
                pending_grace_seconds=self.pending_grace_seconds,
            ),
            method_name="execute_complete",
        )

    def _wait_state(self, context: Context) -> TaskWaitState:
        if self._state is None:
            self._state = TaskWaitState(
                self.source_app_name,
                self.drove_task_id,
                pending_since=self._first_poke_time(context),
                pending_grace_seconds=self.pending_grace_seconds,
            )
        return self._state

    def _first_poke_time(self, context: Context) -> float:
        """When this sensor started looking, across reschedules (the pending bound counts from it)."""
        if self.reschedule:
            ti = context["ti"]
            getter = getattr(ti, "get_first_reschedule_date", None)  # Airflow 3
            # Airflow 2 sets a rescheduled sensor's start_date to its first try's.
            first = getter(context) if getter is not None else getattr(ti, "start_date", None)
            if first is not None:
                return first.timestamp()
        return time.time()

    def poke(self, context: Context) -> PokeReturnValue | bool:
        """Read the task once: True (with its summary) when it succeeded, raise when it failed."""
        state = self._wait_state(context)
        try:
            task = self.hook.get_task(self.source_app_name, self.drove_task_id)
        except DroveNotFoundError:
            task = None
        except TRANSIENT_ERRORS as error:
            # The hook already retried; the sensor's timeout bounds how long this may go on.
            self.log.warning("Could not read Drove task %s: %s", state.watch.label, error)
            return False
        result = state.step(task)
        self.log.info("%s", result.message)
        if result.payload is None:
            return False
        if result.payload["status"] == "done":
            return PokeReturnValue(is_done=True, xcom_value=result.payload["task"])
        raise DroveOperationFailedError(result.message)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Resume after the trigger fired: the same judgement as :meth:`poke`."""
        status, message = event["status"], event["message"]
        if status == "done":
            return event.get("task")
        if status == "failed":
            raise DroveOperationFailedError(message)
        if status == "timeout":
            if self.soft_fail:
                raise AirflowSkipException(f"{message} (soft_fail)")
            raise AirflowSensorTimeout(message)
        raise DroveException(f"Waiting for the Drove task failed: {message}")
