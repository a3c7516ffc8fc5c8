"""The deferred wait for a Drove task (``drove-api.md`` §8), on the provider's shared polling loop.

The loop itself (wall-clock deadline, a sleep after every poll including after errors, a budget
of transient errors in a row, exactly one event) is :class:`DrovePollingTrigger` and its sync twin
``poll_sync`` in ``triggers/application.py``. What is specific to tasks lives in
:class:`TaskWaitState`, used by the operator's synchronous wait, the sensor and this trigger
alike: "No such task instance" is pending for a while, success is STOPPED + SUCCESSFUL, and the
event carries the task's summary.

The trigger can also follow the task's log files (§6.6); its log lines land in the Airflow task
log, because Airflow 2.6+ and 3 route a trigger's logging to the deferred task's log.

Event payloads are plain JSON: ``status`` (``done``, ``failed``, ``timeout`` or ``error``),
``message``, ``source_app_name``, ``task_id``, ``task`` (the last summary seen, see
:func:`~airflow_provider_drove.drove.task_conditions.summarize_task`, or None when Drove never
reported the task) and ``log_position`` (where log following stopped).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove.conditions import Outcome
from airflow_provider_drove.drove.task_conditions import (
    DEFAULT_PENDING_GRACE_SECONDS,
    LOG_CHUNK_BYTES,
    TASK_LOG_KIND,
    LogTail,
    TaskLogs,
    TaskWatch,
    summarize_task,
)
from airflow_provider_drove.exceptions import DroveNotFoundError, DroveValidationError
from airflow_provider_drove.triggers.application import (
    DEFAULT_MAX_CONSECUTIVE_ERRORS,
    DrovePollingTrigger,
    PollResult,
)

if TYPE_CHECKING:
    from airflow_provider_drove.drove.models import TaskInfo
    from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook


class TaskWaitState:
    """What one wait for one task keeps between polls, and the payloads it ends with.

    :param source_app_name: the task's ``sourceAppName``.
    :param task_id: the user task id.
    :param pending_since: epoch seconds from which "No such task instance" counts as pending.
    :param pending_grace_seconds: how long a task Drove does not know yet counts as pending.
    :param deadline: the wait's deadline (epoch seconds), only to word the timeout message.
    :param log_position: where log following resumes (:meth:`TaskLogs.to_json`), None for the start.
    """

    def __init__(
        self,
        source_app_name: str,
        task_id: str,
        *,
        pending_since: float,
        pending_grace_seconds: float = DEFAULT_PENDING_GRACE_SECONDS,
        deadline: float | None = None,
        log_position: dict[str, Any] | None = None,
    ) -> None:
        self.watch = TaskWatch(source_app_name, task_id, pending_since, pending_grace_seconds)
        self.logs = TaskLogs.from_json(source_app_name, task_id, log_position)
        self.deadline = deadline
        self.summary: dict[str, Any] | None = None

    @property
    def seen(self) -> bool:
        """Drove has reported the task at least once (before that, it has no logs to read)."""
        return self.summary is not None

    def payload(self, status: str, message: str) -> dict[str, Any]:
        """An event payload (plain JSON) carrying the last task summary seen."""
        return {
            "status": status,
            "message": message,
            "source_app_name": self.watch.source_app_name,
            "task_id": self.watch.task_id,
            "task": self.summary,
            "log_position": self.logs.to_json(),
        }

    def step(self, task: TaskInfo | None) -> PollResult:
        """Judge one read of the task.

        :param task: the task, or None when Drove answered "No such task instance".
        :return: the payload ending the wait (done / failed) or None, and the progress message.
        """
        if task is not None:
            self.summary = summarize_task(task)
        verdict = self.watch.observe(task, time.time())
        if verdict.status is Outcome.WAITING:
            return PollResult(None, verdict.message)
        return PollResult(self.payload(verdict.status.value, verdict.message), verdict.message)

    def timeout_payload(self, last_message: str) -> dict[str, Any]:
        """The payload of a wait whose deadline passed (the operator then sends KILL)."""
        allowed = "" if self.deadline is None else f" within {round(self.deadline - self.watch.pending_since, 1):g}s"
        message = f"Drove task {self.watch.label} did not finish{allowed}; last seen: {last_message}"
        return self.payload("timeout", message)


class DroveTaskTrigger(DrovePollingTrigger):
    """Wait, deferred, for a Drove task to finish; fire one event (see the module docstring).

    :param source_app_name: the task's ``sourceAppName``.
    :param task_id: the Drove (user) task id.
    :param drove_conn_id: the Drove connection id (the trigger never carries its secrets).
    :param poll_interval: seconds between polls, also after an error.
    :param deadline: epoch seconds (wall clock) after which the wait ends with ``timeout``; None for none.
    :param max_consecutive_errors: transient read errors tolerated in a row.
    :param cancel_on_kill: on Airflow 3.3+, send KILL when a user kills the deferred task.
    :param pending_since: epoch seconds from which "No such task instance" counts as pending
        (default: now).
    :param pending_grace_seconds: how long a task Drove does not know yet counts as pending.
    :param stream_logs: follow the task's log files and log their lines.
    :param log_position: where to resume log following (``TaskLogs.to_json()``), None for the start.

    Example::

        DroveTaskTrigger(
            source_app_name="TEST_APP",
            task_id="T0012",
            drove_conn_id="drove_default",
            poll_interval=10,
            deadline=time.time() + 3600,
            stream_logs=True,
        )
    """

    def __init__(
        self,
        *,
        source_app_name: str,
        task_id: str,
        drove_conn_id: str = "drove_default",
        poll_interval: float = 10.0,
        deadline: float | None = None,
        max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS,
        cancel_on_kill: bool = True,
        pending_since: float | None = None,
        pending_grace_seconds: float = DEFAULT_PENDING_GRACE_SECONDS,
        stream_logs: bool = False,
        log_position: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            drove_conn_id=drove_conn_id,
            poll_interval=poll_interval,
            deadline=deadline,
            max_consecutive_errors=max_consecutive_errors,
            cancel_on_kill=cancel_on_kill,
        )
        self.source_app_name = source_app_name
        self.task_id = task_id
        self.pending_since = time.time() if pending_since is None else float(pending_since)
        self.pending_grace_seconds = float(pending_grace_seconds)
        self.stream_logs = bool(stream_logs)
        self.log_position = dict(log_position) if log_position else None
        self._state = TaskWaitState(
            source_app_name,
            task_id,
            pending_since=self.pending_since,
            pending_grace_seconds=self.pending_grace_seconds,
            deadline=self.deadline,
            log_position=self.log_position,
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and JSON-only kwargs: ids, timings, flags. No connection details, ever."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "source_app_name": self.source_app_name,
                "task_id": self.task_id,
                **self._base_kwargs(),
                "pending_since": self.pending_since,
                "pending_grace_seconds": self.pending_grace_seconds,
                "stream_logs": self.stream_logs,
                "log_position": self.log_position,
            },
        )

    async def poll(self, hook: DroveAsyncHook) -> PollResult:
        """Read the task, judge it, forward new log lines."""
        try:
            task = await hook.get_task(self.source_app_name, self.task_id)
        except DroveNotFoundError:
            task = None  # "No such task instance": pending right after CREATE (§8), bounded by TaskWatch
        result = self._state.step(task)
        if self.stream_logs and self._state.seen:
            await follow_logs_async(hook, self._state.logs, self.log, final=result.payload is not None)
            if result.payload is not None:
                result.payload["log_position"] = self._state.logs.to_json()
        return result

    def timeout_payload(self, last_message: str) -> dict[str, Any]:
        """``timeout`` with the last task summary; the operator sends KILL when it gets it."""
        return self._state.timeout_payload(last_message)

    def error_payload(self, message: str) -> dict[str, Any]:
        """``error`` with the last task summary."""
        return self._state.payload("error", message)

    async def kill(self, hook: DroveAsyncHook) -> None:
        """Send KILL (called on a user's kill on Airflow 3.3+; never from ``cleanup()``, which also
        runs when a triggerer merely restarts and would stop healthy work)."""
        try:
            await hook.kill_task(self.source_app_name, self.task_id)
            self.log.info("Sent KILL for Drove task %s", self._state.watch.label)
        except DroveValidationError as error:
            # "Either task does not exist or has already finished": nothing left to kill.
            self.log.info("No KILL needed for Drove task %s: %s", self._state.watch.label, error)


def follow_logs_sync(hook: DroveHook, logs: TaskLogs, log: Any, *, final: bool) -> None:
    """Log the lines a task printed since the last call (§6.6), with the sync hook.

    Best effort: a failure to read logs is said once and never fails the wait. At the end
    (``final``) the last incomplete lines are flushed, and a line says so if nothing could be read.

    :param hook: the sync hook.
    :param logs: the follower state.
    :param log: the logger the lines go to (the operator's: they land in the Airflow task log).
    :param final: the task finished: flush.
    """
    app, task_id = logs.source_app_name, logs.task_id
    try:
        if not logs.tails and not logs.pick_files(hook.list_log_files(TASK_LOG_KIND, app, task_id)):
            _say(log, logs.unavailable_notice("no log file listed yet"))
        for tail in logs.tails.values():
            while True:
                chunk = hook.read_log_file(
                    TASK_LOG_KIND, app, task_id, tail.file_name, offset=tail.offset, length=LOG_CHUNK_BYTES
                )
                _forward(log, logs, tail, tail.feed(chunk.data, chunk.offset))
                if tail.reached_end(chunk.data):
                    break
    except Exception as error:  # noqa: BLE001 - logs are best effort; the wait goes on without them
        _say(log, logs.unavailable_notice(f"{type(error).__name__}: {error}"))
    if final:
        _flush(log, logs)


async def follow_logs_async(hook: DroveAsyncHook, logs: TaskLogs, log: Any, *, final: bool) -> None:
    """The async twin of :func:`follow_logs_sync` (same rules, the async hook)."""
    app, task_id = logs.source_app_name, logs.task_id
    try:
        if not logs.tails and not logs.pick_files(await hook.list_log_files(TASK_LOG_KIND, app, task_id)):
            _say(log, logs.unavailable_notice("no log file listed yet"))
        for tail in logs.tails.values():
            while True:
                chunk = await hook.read_log_file(
                    TASK_LOG_KIND, app, task_id, tail.file_name, offset=tail.offset, length=LOG_CHUNK_BYTES
                )
                _forward(log, logs, tail, tail.feed(chunk.data, chunk.offset))
                if tail.reached_end(chunk.data):
                    break
    except Exception as error:  # noqa: BLE001 - logs are best effort; the wait goes on without them
        _say(log, logs.unavailable_notice(f"{type(error).__name__}: {error}"))
    if final:
        _flush(log, logs)


def _forward(log: Any, logs: TaskLogs, tail: LogTail, lines: list[str]) -> None:
    prefix = logs.prefix(tail)
    for line in lines:
        log.info("%s %s", prefix, line)


def _flush(log: Any, logs: TaskLogs) -> None:
    for tail in logs.tails.values():
        _forward(log, logs, tail, tail.flush())
    _say(log, logs.final_notice())


def _say(log: Any, line: str | None) -> None:
    if line:
        log.info("%s", line)
