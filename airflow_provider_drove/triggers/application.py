"""One trigger for every Drove application wait, and the polling loop it shares with the sync waits.

Every wait in the provider is *fetch, evaluate with a pure condition, sleep*. This module holds
that loop twice, as twins over one definition of the rules:

* :func:`poll_sync` drives an operator's synchronous wait and
  :meth:`DrovePollingTrigger.run` the deferred one. Both: a wall-clock deadline; a sleep after
  every poll, including after an error; at most ``max_consecutive_errors`` transient errors in a
  row (:data:`TRANSIENT_ERRORS`) before giving up; any other error ends the wait at once. Those
  rules are written once (``_PollRules``); the twins differ only in how they poll and sleep.
* :class:`DrovePollingTrigger` is the reusable base (the task trigger builds on it too):
  subclasses implement :meth:`~DrovePollingTrigger.poll` and :meth:`~DrovePollingTrigger.serialize`.
  It yields exactly one event and returns.
* :class:`DroveApplicationTrigger` carries an :class:`~airflow_provider_drove.drove.conditions.AppCondition`
  as data and evaluates it with :func:`~airflow_provider_drove.drove.conditions.evaluate_app`, the
  same function the sync wait and the sensors' ``poke()`` call.

Event payloads are plain JSON: ``{"status", "message", "app_id", "app", "effect_seen"}`` where
``status`` is ``done``, ``failed``, ``dropped`` (the submitted operation shows no effect: Drove
may have dropped it, §7.5), ``timeout`` or ``error``, and ``app`` is the last app summary in
Drove's wire shape (or ``None``). A ``resume`` dict given to the trigger is echoed back in the
event, so a deferring operator finds where it was in its flow on any Airflow runner.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_drove.drove.conditions import AppCondition, AppSnapshot, Outcome, Verdict, evaluate_app
from airflow_provider_drove.exceptions import (
    DroveNotFoundError,
    DroveNotLeaderError,
    DroveServerError,
    DroveUnavailableError,
)

if TYPE_CHECKING:
    from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook

#: Errors a wait rides out (up to its error budget): the hooks already retried these, but the
#: controller may come back (leader election, restart) within the wait's own timeout.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DroveUnavailableError,
    DroveServerError,
    DroveNotLeaderError,
    ConnectionError,
    TimeoutError,
    asyncio.TimeoutError,
    OSError,
)

#: Default number of transient errors in a row a wait tolerates.
DEFAULT_MAX_CONSECUTIVE_ERRORS = 5

#: A "no effect" verdict must persist this long (and over two polls) before it counts as a dropped
#: operation: Drove moves the state a few milliseconds after its 200 (§7.4, §13).
DEFAULT_DROP_GRACE_SECONDS = 3.0


@dataclass
class PollResult:
    """What one poll decided.

    :param payload: the event payload to end the wait with, or ``None`` to keep waiting.
    :param message: the one-line progress message logged at INFO.
    """

    payload: dict[str, Any] | None
    message: str


def _now() -> float:
    return time.time()


async def _close(hook: Any) -> None:
    """Close an async hook's HTTP client, if it has one."""
    close = getattr(hook, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # noqa: BLE001 - closing must never mask the wait's outcome
            pass


class _PollRules:
    """The rules both twin loops follow around each poll: the error budget, the deadline, the pause.

    :func:`poll_sync` and :meth:`DrovePollingTrigger.run` differ only in how they poll and sleep;
    what counts, what is logged and when to stop is decided here, once.

    :param poll_interval: seconds between polls (also after errors).
    :param deadline: epoch seconds after which the wait gives up, or ``None`` for no limit.
    :param max_errors: transient errors in a row tolerated before giving up.
    :param log: where the INFO progress line and the error warnings go.
    """

    def __init__(self, *, poll_interval: float, deadline: float | None, max_errors: int, log: Any) -> None:
        self.poll_interval = poll_interval
        self.deadline = deadline
        self.max_errors = max_errors
        self.log = log
        self.errors = 0
        self.last_message = "no answer from Drove yet"

    def answered(self, result: PollResult) -> dict[str, Any] | None:
        """A poll got an answer: reset the error count, log the progress line.

        :return: the payload that ends the wait, or ``None`` to keep waiting.
        """
        self.errors = 0
        self.last_message = result.message
        self.log.info("%s", result.message)
        return result.payload

    def failed(self, err: BaseException) -> str | None:
        """A poll hit a transient error: count it.

        :return: why the wait gives up once the budget is spent, else ``None``.
        """
        self.errors += 1
        self.log.warning("Drove did not answer (%d/%d in a row): %s", self.errors, self.max_errors, err)
        if self.errors > self.max_errors:
            return f"gave up after {self.errors} failed polls in a row: {err}; last seen: {self.last_message}"
        return None

    def pause(self) -> float | None:
        """Seconds to sleep before the next poll (never past the deadline), or ``None`` once it passed."""
        now = _now()
        if self.deadline is None:
            return self.poll_interval
        if now >= self.deadline:
            return None
        return max(0.0, min(self.poll_interval, self.deadline - now))


def poll_sync(
    step: Callable[[], PollResult],
    *,
    poll_interval: float,
    deadline: float | None,
    max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS,
    log: Any,
    timeout_payload: Callable[[str], dict[str, Any]],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The synchronous twin of :meth:`DrovePollingTrigger.run`: poll until an event payload.

    :param step: one fetch + evaluate; returns the payload that ends the wait, or ``None`` in it.
    :param poll_interval: seconds between polls (also after errors).
    :param deadline: epoch seconds after which the wait gives up, or ``None`` for no limit.
    :param max_consecutive_errors: transient errors in a row tolerated before giving up.
    :param log: a logger for the INFO progress line and error warnings.
    :param timeout_payload: builds the payload ending a timed-out wait from the last message.
    :param sleep: the sleep function (tests may replace it).
    :return: the final payload (``status`` done/failed/dropped/timeout/error).
    """
    rules = _PollRules(poll_interval=poll_interval, deadline=deadline, max_errors=max_consecutive_errors, log=log)
    while True:
        try:
            result = step()
        except TRANSIENT_ERRORS as err:
            give_up = rules.failed(err)
            if give_up is not None:
                return {"status": "error", "message": give_up}
        else:
            if rules.answered(result) is not None:
                return result.payload
        pause = rules.pause()
        if pause is None:
            return timeout_payload(rules.last_message)
        sleep(pause)


async def fetch_app_snapshot_async(hook: DroveAsyncHook, app_id: str) -> AppSnapshot:
    """Fetch the app, its active instances and its old instances (the async twin).

    :param hook: the async hook.
    :param app_id: the app.
    :return: the snapshot; ``app`` is ``None`` when Drove does not know the app.
    """
    try:
        app = await hook.get_application(app_id)
    except DroveNotFoundError:
        return AppSnapshot(app=None)
    instances, old = await asyncio.gather(hook.list_instances(app_id), hook.list_old_instances(app_id))
    return AppSnapshot(app=app, instances=instances, old_instances=old)


def fetch_app_snapshot(hook: DroveHook, app_id: str) -> AppSnapshot:
    """Fetch the app, its active instances and its old instances.

    :param hook: the sync hook.
    :param app_id: the app.
    :return: the snapshot; ``app`` is ``None`` when Drove does not know the app.
    """
    try:
        app = hook.get_application(app_id)
    except DroveNotFoundError:
        return AppSnapshot(app=None)
    return AppSnapshot(app=app, instances=hook.list_instances(app_id), old_instances=hook.list_old_instances(app_id))


class AppWaitState:
    """The little memory an app wait keeps between polls: whether the op was seen, and drop timing.

    Shared by the sync wait, the sensors and the trigger, so they treat a dropped operation alike.

    :param app_id: the app.
    :param condition: what is waited for.
    :param effect_seen: carried over from an earlier wait of the same operation.
    :param drop_grace: seconds a "no effect" verdict must persist before it is reported as dropped.
    :param resume: opaque JSON echoed in every payload (where the operator was in its flow).
    """

    def __init__(
        self,
        app_id: str,
        condition: AppCondition,
        *,
        effect_seen: bool = False,
        drop_grace: float = DEFAULT_DROP_GRACE_SECONDS,
        resume: dict[str, Any] | None = None,
    ) -> None:
        self.app_id = app_id
        self.condition = condition
        self.effect_seen = effect_seen
        self.drop_grace = drop_grace
        self.resume = resume
        self.last_app: dict[str, Any] | None = None
        self.last_message = ""
        self._no_effect_since: float | None = None
        self._no_effect_polls = 0

    def payload(self, status: str, message: str) -> dict[str, Any]:
        """An event payload carrying the last app summary seen (and ``resume``, when given)."""
        payload = {
            "status": status,
            "message": message,
            "app_id": self.app_id,
            "app": self.last_app,
            "effect_seen": self.effect_seen,
        }
        if self.resume is not None:
            payload["resume"] = self.resume
        return payload

    def timeout_payload(self, last_message: str) -> dict[str, Any]:
        """The payload of a wait that ran out of time, saying what the app looked like at the end."""
        return self.payload("timeout", f"timed out waiting; at the end: {last_message or self.last_message}")

    def step(self, snapshot: AppSnapshot) -> PollResult:
        """Evaluate one snapshot.

        :param snapshot: the poll's data.
        :return: the payload ending the wait (done / failed / dropped) or ``None``, and the message.
        """
        self.last_app = snapshot.app.to_json() if snapshot.app is not None else None
        verdict: Verdict = evaluate_app(self.app_id, snapshot, self.condition, effect_seen=self.effect_seen)
        self.effect_seen = verdict.effect_seen
        self.last_message = verdict.message
        if verdict.status == Outcome.DROPPED:
            now = _now()
            if self._no_effect_since is None:
                self._no_effect_since = now
            self._no_effect_polls += 1
            if self._no_effect_polls >= 2 and now - self._no_effect_since >= self.drop_grace:
                return PollResult(self.payload("dropped", verdict.message), verdict.message)
            return PollResult(None, verdict.message)
        self._no_effect_since, self._no_effect_polls = None, 0
        if verdict.status in (Outcome.DONE, Outcome.FAILED):
            return PollResult(self.payload(verdict.status.value, verdict.message), verdict.message)
        return PollResult(None, verdict.message)


class DrovePollingTrigger(BaseTrigger):
    """Base of the provider's triggers: the deferred twin of :func:`poll_sync`.

    Subclasses implement :meth:`poll` (one fetch + evaluate with the async hook) and
    :meth:`serialize`; they may override :meth:`timeout_payload` and :meth:`kill`. The loop
    always sleeps ``poll_interval`` between polls (after errors too), stops at the wall-clock
    ``deadline``, tolerates ``max_consecutive_errors`` transient errors in a row, and yields
    exactly one event.

    :param drove_conn_id: the Drove connection id; the trigger never carries its secrets.
    :param poll_interval: seconds between polls.
    :param deadline: epoch seconds (wall clock) when the wait gives up, or ``None``.
    :param max_consecutive_errors: transient errors in a row tolerated.
    :param cancel_on_kill: on Airflow 3.3+, call :meth:`kill` when a user kills the deferred task.
    """

    def __init__(
        self,
        *,
        drove_conn_id: str,
        poll_interval: float,
        deadline: float | None,
        max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS,
        cancel_on_kill: bool = False,
    ) -> None:
        super().__init__()
        self.drove_conn_id = drove_conn_id
        self.poll_interval = float(poll_interval)
        self.deadline = None if deadline is None else float(deadline)
        self.max_consecutive_errors = int(max_consecutive_errors)
        self.cancel_on_kill = bool(cancel_on_kill)

    def _base_kwargs(self) -> dict[str, Any]:
        return {
            "drove_conn_id": self.drove_conn_id,
            "poll_interval": self.poll_interval,
            "deadline": self.deadline,
            "max_consecutive_errors": self.max_consecutive_errors,
            "cancel_on_kill": self.cancel_on_kill,
        }

    def _hook(self) -> DroveAsyncHook:
        from airflow_provider_drove.hooks.drove import DroveAsyncHook

        return DroveAsyncHook(drove_conn_id=self.drove_conn_id)

    async def poll(self, hook: DroveAsyncHook) -> PollResult:
        """One fetch + evaluate. Transient errors may propagate; the loop budgets them."""
        raise NotImplementedError

    def timeout_payload(self, last_message: str) -> dict[str, Any]:
        """The payload of the event yielded when the deadline passes."""
        return {"status": "timeout", "message": f"timed out waiting; at the end: {last_message}"}

    def error_payload(self, message: str) -> dict[str, Any]:
        """The payload of the event yielded when polling cannot go on."""
        return {"status": "error", "message": message}

    async def kill(self, hook: DroveAsyncHook) -> None:
        """Stop the external work (called from :meth:`on_kill` when ``cancel_on_kill``)."""

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the wait ends; yield one event and return."""
        hook = self._hook()
        try:
            yield TriggerEvent(await self._poll_until_event(hook))
        finally:
            await _close(hook)

    async def _poll_until_event(self, hook: DroveAsyncHook) -> dict[str, Any]:
        rules = _PollRules(
            poll_interval=self.poll_interval, deadline=self.deadline, max_errors=self.max_consecutive_errors, log=self.log
        )
        while True:
            try:
                result = await self.poll(hook)
            except TRANSIENT_ERRORS as err:
                give_up = rules.failed(err)
                if give_up is not None:
                    return self.error_payload(give_up)
            except Exception as err:  # not transient: the wait cannot go on, say why in the event
                self.log.error("Polling Drove failed: %s", err)
                return self.error_payload(f"{type(err).__name__}: {err}")
            else:
                if rules.answered(result) is not None:
                    return result.payload
            pause = rules.pause()
            if pause is None:
                return self.timeout_payload(rules.last_message)
            await self._sleep(pause)

    async def _sleep(self, seconds: float) -> None:
        """Wait between polls (a method, so tests can observe the pauses)."""
        await asyncio.sleep(seconds)

    async def on_kill(self) -> None:
        """Airflow 3.3+: a user killed the deferred task (mark failed/success, clear): stop the work.

        Airflow calls this only on a user's action, never on triggerer restarts, timeouts or
        normal completion (see ``BaseTrigger.on_kill``). Errors are logged, never raised.
        """
        if not self.cancel_on_kill:
            return
        hook = self._hook()
        try:
            await self.kill(hook)
        except Exception as err:  # the task is being killed anyway; report, do not mask the kill
            self.log.warning("Could not stop the Drove work on kill: %s", err)
        finally:
            await _close(hook)


class DroveApplicationTrigger(DrovePollingTrigger):
    """Wait, deferred, for a Drove application to meet a condition: every app wait of the provider.

    :param app_id: the app id (``name-version``).
    :param condition: the :class:`~airflow_provider_drove.drove.conditions.AppCondition` as JSON
        (:meth:`~airflow_provider_drove.drove.conditions.AppCondition.to_json`) or the object.
    :param drove_conn_id: the Drove connection id.
    :param poll_interval: seconds between polls.
    :param deadline: epoch seconds when the wait gives up (``timeout`` event), or ``None``.
    :param max_consecutive_errors: transient errors in a row tolerated.
    :param cancel_on_kill: cancel the app's running operation when a user kills the task (3.3+).
    :param effect_seen: whether the operation was already seen taking effect before deferring.
    :param drop_grace: seconds a "no effect" verdict must last before a ``dropped`` event.
    :param resume: opaque JSON echoed back in the event, e.g. where the deferring operator was in
        its flow. It travels in the event because ``dag.test()`` drops ``defer(kwargs=...)``.

    Example::

        DroveApplicationTrigger(
            app_id="TEST_APP-1",
            condition=AppCondition(kind="counts", required_instances=3).to_json(),
            drove_conn_id="drove_default",
            poll_interval=10,
            deadline=time.time() + 1800,
        )
    """

    def __init__(
        self,
        *,
        app_id: str,
        condition: dict[str, Any] | AppCondition,
        drove_conn_id: str,
        poll_interval: float,
        deadline: float | None,
        max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS,
        cancel_on_kill: bool = False,
        effect_seen: bool = False,
        drop_grace: float = DEFAULT_DROP_GRACE_SECONDS,
        resume: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            drove_conn_id=drove_conn_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_consecutive_errors=max_consecutive_errors,
            cancel_on_kill=cancel_on_kill,
        )
        self.app_id = app_id
        self.condition = condition if isinstance(condition, AppCondition) else AppCondition.from_json(condition)
        self.effect_seen = bool(effect_seen)
        self.drop_grace = float(drop_grace)
        self.resume = resume
        self._state = AppWaitState(
            app_id, self.condition, effect_seen=self.effect_seen, drop_grace=self.drop_grace, resume=resume
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and JSON-only kwargs: ids, the condition, timings. No secret, ever."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "app_id": self.app_id,
                "condition": self.condition.to_json(),
                **self._base_kwargs(),
                "effect_seen": self._state.effect_seen,
                "drop_grace": self.drop_grace,
                "resume": self.resume,
            },
        )

    async def poll(self, hook: DroveAsyncHook) -> PollResult:
        """Fetch the app and its instances, and evaluate the condition."""
        return self._state.step(await fetch_app_snapshot_async(hook, self.app_id))

    def timeout_payload(self, last_message: str) -> dict[str, Any]:
        """A ``timeout`` event with the last app summary and what it looked like."""
        return self._state.timeout_payload(last_message)

    def error_payload(self, message: str) -> dict[str, Any]:
        """An ``error`` event with the last app summary."""
        return self._state.payload("error", message)

    async def kill(self, hook: DroveAsyncHook) -> None:
        """Cancel the app's running operation (§7.6)."""
        accepted = await hook.cancel_operation(self.app_id)
        self.log.info(
            "Task killed: %s the running operation of %s",
            "cancelled" if accepted else "Drove had nothing to cancel for",
            self.app_id,
        )

