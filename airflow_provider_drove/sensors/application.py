"""Sensors that wait for a Drove application: healthy, or in a given state.

``poke()`` (poke and reschedule modes) and the deferred path (:class:`~airflow_provider_drove.triggers.application.DroveApplicationTrigger`)
evaluate the same pure condition (:func:`~airflow_provider_drove.drove.conditions.evaluate_app`).
A definitive failure (a failure state, the app gone, instances failing again and again) fails the
sensor at once, or skips it with ``soft_fail=True``; the sensor timeout works as usual.
"""

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

from airflow_provider_drove.drove.conditions import (
    DEFAULT_MAX_INSTANCE_FAILURES,
    AppCondition,
    AppSnapshot,
    failures_before_window,
    state_condition,
)
from airflow_provider_drove.drove.plans import baseline_failure_ids
from airflow_provider_drove.exceptions import DroveOperationFailedError
from airflow_provider_drove.operators.base import DEFAULT_CONN_ID, DroveApplicationMixin
from airflow_provider_drove.operators.inputs import as_seconds, check_app_id, check_count, check_failures
from airflow_provider_drove.triggers.application import (
    DEFAULT_MAX_CONSECUTIVE_ERRORS,
    AppWaitState,
    DroveApplicationTrigger,
    PollResult,
    fetch_app_snapshot,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

#: Reschedule mode: instance failures this many seconds (Drove's clock) before the newest
#: timestamp Drove reports still count.
DEFAULT_FAILURE_WINDOW_SECONDS = 600.0


class DroveApplicationBaseSensor(DroveApplicationMixin, BaseSensorOperator):
    """Common part of the app sensors; subclasses build the :class:`AppCondition` in ``_condition``.

    :param app_id: the Drove app id (``name-version``). Templated.
    :param drove_conn_id: the Drove connection.
    :param max_instance_failures: new instance failures (e.g. image pull errors) tolerated before
        the sensor fails early; ``None`` never fails on them. In poke and deferrable modes "new"
        means after the first poke; in reschedule mode (no memory between pokes) it means within
        ``failure_window`` seconds before the newest time Drove reports.
    :param failure_window: see ``max_instance_failures`` (reschedule mode).
    :param deferrable: wait in the triggerer instead of the worker.
    """

    template_fields: Sequence[str] = ("app_id",)

    def __init__(
        self,
        *,
        app_id: str,
        drove_conn_id: str = DEFAULT_CONN_ID,
        max_instance_failures: int | None = DEFAULT_MAX_INSTANCE_FAILURES,
        failure_window: float = DEFAULT_FAILURE_WINDOW_SECONDS,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.app_id = app_id
        self.drove_conn_id = drove_conn_id
        self.max_instance_failures = max_instance_failures
        self.failure_window = failure_window
        self.deferrable = deferrable
        self._known_failures: tuple[str, ...] | None = None
        self._linked = False

    def _condition(self) -> AppCondition:
        raise NotImplementedError

    def _validated_condition(self) -> AppCondition:
        self._app_id = check_app_id(self.app_id)
        self._max_failures = check_failures(self.max_instance_failures)
        return self._condition()

    def _baseline(self, snapshot: AppSnapshot) -> tuple[str, ...]:
        """Failed-instance ids to ignore: those already in ``/instances/old`` at the first poke.

        In reschedule mode every poke is a fresh operator (and Airflow clears XComs between
        pokes), so there the baseline is stateless: failures older than ``failure_window``.
        """
        if self.reschedule:
            window = as_seconds("failure_window", self.failure_window)
            return failures_before_window(snapshot, window or DEFAULT_FAILURE_WINDOW_SECONDS)
        if self._known_failures is None:
            self._known_failures = baseline_failure_ids(snapshot)
        return self._known_failures

    def _link(self, context: Context) -> None:
        if not self._linked:
            self._persist_app_link(context, self._app_id)
            self._linked = True

    def _fail(self, message: str, *, timed_out: bool = False) -> None:
        if self.soft_fail:
            raise AirflowSkipException(f"{message} (soft_fail: skipping)")
        if timed_out:
            raise AirflowSensorTimeout(message)
        raise DroveOperationFailedError(message)

    def _evaluate_once(self, context: Context) -> tuple[AppCondition, PollResult]:
        """Check the inputs, then fetch and evaluate once (shared by ``poke`` and the deferred start)."""
        condition = self._validated_condition()
        self._link(context)
        snapshot = fetch_app_snapshot(self.hook, self._app_id)
        condition = condition.with_known_failures(self._baseline(snapshot))
        result = AppWaitState(self._app_id, condition).step(snapshot)
        self.log.info("%s", result.message)
        return condition, result

    def poke(self, context: Context) -> PokeReturnValue | bool:
        """Fetch the app and evaluate the condition once.

        :return: done with the app summary as XCom, or not yet.
        :raises DroveOperationFailedError: when the condition can no longer be met.
        """
        _condition, result = self._evaluate_once(context)
        if result.payload is None:
            return False
        if result.payload["status"] == "done":
            return PokeReturnValue(is_done=True, xcom_value=result.payload["app"])
        self._fail(f"{self._app_id}: {result.message}")
        return False  # pragma: no cover - _fail always raises

    def execute(self, context: Context) -> Any:
        """Poke once; when deferrable and not done yet, hand the wait to the triggerer."""
        if not self.deferrable:
            return super().execute(context)
        condition, result = self._evaluate_once(context)
        if result.payload is not None:
            return self.execute_complete(context, result.payload)
        self.defer(
            trigger=DroveApplicationTrigger(
                app_id=self._app_id,
                condition=condition.to_json(),
                drove_conn_id=self.drove_conn_id,
                poll_interval=float(self.poke_interval),
                deadline=time.time() + float(self.timeout),
                max_consecutive_errors=DEFAULT_MAX_CONSECUTIVE_ERRORS,
                cancel_on_kill=False,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Turn the trigger's event into the sensor's result.

        :return: the app summary JSON when the condition was met.
        """
        status = event.get("status")
        if status == "done":
            return event.get("app")
        message = f"{self.app_id}: {event.get('message', '')}"
        if status == "timeout":
            self._fail(f"Sensor timed out: {message}", timed_out=True)
        self._fail(message)


class DroveApplicationHealthySensor(DroveApplicationBaseSensor):
    """Wait until a Drove app is healthy: idle (RUNNING/MONITORING, no operation running) with
    ``healthyInstances`` at ``requiredInstances``, and at least ``min_healthy_instances``.

    :param app_id: the app id. Templated.
    :param min_healthy_instances: a minimum healthy count of its own (``None``: just the required
        count; note an app scaled to zero is then healthy). Templated.

    Other parameters: see :class:`DroveApplicationBaseSensor` and ``BaseSensorOperator``
    (``mode``, ``poke_interval``, ``timeout``, ``soft_fail``).
    """

    template_fields: Sequence[str] = ("app_id", "min_healthy_instances")

    def __init__(self, *, app_id: str, min_healthy_instances: int | None = None, **kwargs: Any) -> None:
        super().__init__(app_id=app_id, **kwargs)
        self.min_healthy_instances = min_healthy_instances

    def _condition(self) -> AppCondition:
        minimum = self.min_healthy_instances
        if minimum is not None:
            minimum = check_count("min_healthy_instances", minimum, maximum=2048)
        return AppCondition(kind="healthy", min_healthy_instances=minimum, max_instance_failures=self._max_failures)


class DroveApplicationStateSensor(DroveApplicationBaseSensor):
    """Wait until a Drove app is in one of ``target_states``; fail on ``failure_states`` or when the
    app is gone (unless ``DESTROYED`` is a target).

    :param app_id: the app id. Templated.
    :param target_states: app states that end the wait, e.g. ``["RUNNING"]``. Templated.
    :param failure_states: app states that fail it, e.g. ``["OUTAGE_DETECTED"]``. Templated.
    """

    template_fields: Sequence[str] = ("app_id", "target_states", "failure_states")

    def __init__(
        self,
        *,
        app_id: str,
        target_states: Sequence[str] | str,
        failure_states: Sequence[str] | str = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(app_id=app_id, **kwargs)
        self.target_states = target_states
        self.failure_states = failure_states

    def _condition(self) -> AppCondition:
        return state_condition(
            _state_list(self.target_states), _state_list(self.failure_states), max_instance_failures=self._max_failures
        )


def _state_list(value: Sequence[str] | str) -> list[str]:
    """States from a list, or from a rendered template (``"RUNNING,MONITORING"`` or a JSON-ish list)."""
    if isinstance(value, str):
        return [s.strip(" []'\"") for s in value.split(",") if s.strip(" []'\"")]
    return list(value)


__all__ = [
    "DroveApplicationBaseSensor",
    "DroveApplicationHealthySensor",
    "DroveApplicationStateSensor",
]
