"""When is a Drove task finished, and how did it go (``drove-api.md`` §8, §9.3, §6.6).

Pure functions, no I/O: the operator's synchronous wait, the sensor's ``poke()`` and the trigger's
``run()`` all fetch a :class:`~airflow_provider_drove.drove.models.TaskInfo` (or learn that Drove
does not know the task yet) and ask :func:`evaluate_task` what it means.

The rules, from the controller and executor code:

* Right after a CREATE, ``GET /tasks/{app}/instances/{id}`` answers ``FAILED "No such task
  instance"`` until the executor first reports the task; that can take up to
  ``max(opSpec.timeout, dockerPullTimeout)``. Within that bound (plus a margin) a missing task
  is *pending*; after it, scheduling failed and nothing will ever appear.
* Terminal states are ``STOPPED`` and ``LOST``; ``RUN_COMPLETED`` is not terminal.
* Success is exactly ``STOPPED`` with ``taskResult.status == SUCCESSFUL``. ``STOPPED`` without a
  ``taskResult`` (image pull failure, spec rejected on the executor) is a failure, as are the
  FAILED, CANCELLED, LOST and TIMED_OUT results and the ``LOST`` state.

Verdicts reuse :class:`~airflow_provider_drove.drove.conditions.Verdict` and its
:class:`~airflow_provider_drove.drove.conditions.Outcome` (the application conditions' types), so
every wait in the provider speaks one language; tasks only ever use DONE, WAITING and FAILED.

The module also holds the offset bookkeeping for following a task's log file through the
``/logfiles`` endpoints (§6.6), shared by the synchronous and the deferred paths.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove.conditions import Outcome, Verdict
from airflow_provider_drove.drove.durations import InvalidDurationError, parse_duration
from airflow_provider_drove.drove.states import TaskResultStatus, TaskState

if TYPE_CHECKING:
    from airflow_provider_drove.drove.models import TaskInfo

#: Added to ``max(opSpec.timeout, dockerPullTimeout)`` before a task Drove still does not know
#: about counts as lost: the executor's first report travels executor -> controller -> ZK.
DEFAULT_PENDING_MARGIN_SECONDS = 60.0

#: Drove's own defaults (§7.1 ``opSpec.timeout`` "5m"; a typical ``dockerPullTimeout``), used when
#: the spec that created the task is not known (the sensor).
DEFAULT_OP_TIMEOUT_SECONDS = 300.0

#: ``max(default opSpec timeout, ...) + margin``: how long a sensor treats an unknown task as pending.
DEFAULT_PENDING_GRACE_SECONDS = DEFAULT_OP_TIMEOUT_SECONDS + DEFAULT_PENDING_MARGIN_SECONDS


def _value(raw: Any) -> str:
    """The wire string of an enum member or of an unknown raw state string."""
    return str(getattr(raw, "value", raw)) if raw is not None else ""


def task_label(source_app_name: str, task_id: str) -> str:
    """How messages name a task: ``"APP/TASK"``, the pair Drove addresses tasks by (§6.2).

    :param source_app_name: the task's ``sourceAppName``.
    :param task_id: the user task id.
    :return: the label.
    """
    return f"{source_app_name}/{task_id}"


def pending_grace_seconds(
    op_timeout: object = None,
    docker_pull_timeout: object = None,
    margin_seconds: float = DEFAULT_PENDING_MARGIN_SECONDS,
) -> float:
    """How long after CREATE a task Drove does not know yet is still pending (§8).

    :param op_timeout: the CREATE op's ``opSpec.timeout`` (Drove duration string), None for Drove's
        default "5m".
    :param docker_pull_timeout: the spec's ``executable.dockerPullTimeout`` (duration string) or None.
    :param margin_seconds: slack added on top.
    :return: ``max(op_timeout, docker_pull_timeout) + margin_seconds`` in seconds.
    """
    candidates = [DEFAULT_OP_TIMEOUT_SECONDS if op_timeout is None else _seconds(op_timeout)]
    if docker_pull_timeout is not None:
        candidates.append(_seconds(docker_pull_timeout))
    return max(candidates) + margin_seconds


def _seconds(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    try:
        return parse_duration(str(value)).seconds
    except InvalidDurationError:
        # A bad duration is rejected by the spec checks before any request; here only the
        # bound is computed, so fall back to Drove's default rather than fail twice.
        return DEFAULT_OP_TIMEOUT_SECONDS


def evaluate_task(
    task: TaskInfo | None,
    *,
    source_app_name: str,
    task_id: str,
    pending_seconds: float = 0.0,
    pending_grace_seconds: float = DEFAULT_PENDING_GRACE_SECONDS,
) -> Verdict:
    """Judge a task's record: finished well, still going, or failed for good.

    :param task: the task as Drove reports it, or None when Drove answered "No such task instance".
    :param source_app_name: the task's ``sourceAppName`` (for messages).
    :param task_id: the user task id (for messages).
    :param pending_seconds: how long the caller has been waiting for the task to appear (seconds
        since CREATE for the operator, since the first poke for the sensor).
    :param pending_grace_seconds: how long a missing task counts as pending (see
        :func:`pending_grace_seconds`).
    :return: the verdict.
    """
    label = task_label(source_app_name, task_id)
    if task is None:
        if pending_seconds <= pending_grace_seconds:
            return Verdict(
                Outcome.WAITING,
                f"Drove task {label} is not reported by an executor yet "
                f"(waited {pending_seconds:.0f}s of {pending_grace_seconds:.0f}s allowed for it to appear)",
            )
        return Verdict(
            Outcome.FAILED,
            f"Drove does not know task {label} {pending_seconds:.0f}s after it was expected "
            f"(allowed {pending_grace_seconds:.0f}s): it was never scheduled, or its record was "
            "deleted. Check the source app name and task id, and the cluster's capacity.",
        )

    state = _value(task.state)
    result = task.task_result
    if state == TaskState.STOPPED.value:
        if result is None:
            return Verdict(
                Outcome.FAILED,
                f"Drove task {label} stopped without a result (the image could not be pulled or the "
                f"executor rejected the spec): {_error_text(task)}",
            )
        status = _value(result.status)
        if status == TaskResultStatus.SUCCESSFUL.value:
            return Verdict(Outcome.DONE, f"Drove task {label} finished successfully (exit code {result.exit_code})")
        return Verdict(Outcome.FAILED, _failure_message(label, status, result.exit_code, task))
    if state == TaskState.LOST.value:
        status = _value(result.status) if result is not None else TaskResultStatus.LOST.value
        exit_code = result.exit_code if result is not None else None
        return Verdict(Outcome.FAILED, _failure_message(label, status, exit_code, task, state="LOST"))
    return Verdict(Outcome.WAITING, f"Drove task {label} is {state or 'in an unknown state'}")


def _error_text(task: TaskInfo) -> str:
    message = (task.error_message or "").strip()
    return message or "Drove gave no error message"


def _failure_message(
    label: str, status: str, exit_code: int | None, task: TaskInfo, *, state: str = "STOPPED"
) -> str:
    code = "no exit code" if exit_code is None else f"exit code {exit_code}"
    return f"Drove task {label} {state} with result {status}, {code}: {_error_text(task)}"


def _epoch_ms(value: Any) -> Any:
    """Timestamps as Drove sends them (epoch ms), whatever the model made of them."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    timestamp = getattr(value, "timestamp", None)
    if callable(timestamp):
        return int(round(timestamp() * 1000))
    return str(value)


def summarize_task(task: TaskInfo) -> dict[str, Any]:
    """The task's outcome as plain JSON for XCom (what a downstream task usually needs).

    :param task: the task record.
    :return: ``source_app_name``, ``task_id``, ``instance_id``, ``state``, ``result``,
        ``exit_code``, ``error_message``, ``executor_id``, ``hostname``, ``created`` and ``updated``
        (epoch ms, as Drove sends them) and ``duration_seconds`` (``updated - created``).
    """
    result = task.task_result
    created = _epoch_ms(task.created)
    updated = _epoch_ms(task.updated)
    duration = (updated - created) / 1000 if isinstance(created, int) and isinstance(updated, int) else None
    return {
        "source_app_name": task.source_app_name,
        "task_id": task.task_id,
        "instance_id": task.instance_id,
        "state": _value(task.state) or None,
        "result": _value(result.status) if result is not None else None,
        "exit_code": result.exit_code if result is not None else None,
        "error_message": task.error_message or "",
        "executor_id": task.executor_id,
        "hostname": task.hostname,
        "created": created,
        "updated": updated,
        "duration_seconds": duration,
    }


# ---------------------------------------------------------------------------------------------
# One wait, shared by the operator's loop, the sensor and the trigger
# ---------------------------------------------------------------------------------------------

#: How a wait for a task ends (also the ``status`` of the trigger's event).
WAIT_SUCCESS = "success"
WAIT_FAILED = "failed"
WAIT_TIMEOUT = "timeout"
WAIT_ERROR = "error"
WAIT_WAITING = "waiting"

#: Consecutive transient errors (5xx, no reachable controller) a wait tolerates before giving up.
DEFAULT_MAX_CONSECUTIVE_ERRORS = 5


@dataclass(frozen=True)
class WaitStep:
    """What a wait does after one poll.

    :param status: ``waiting`` (poll again), or how the wait ends: ``success``, ``failed``,
        ``timeout`` (the caller's deadline passed; the operator then sends KILL) or ``error``
        (Drove could not be read too many times in a row).
    :param message: one human line explaining it.
    """

    status: str
    message: str

    @property
    def finished(self) -> bool:
        """The wait is over."""
        return self.status != WAIT_WAITING


@dataclass
class TaskWatch:
    """The state of one wait for one task; the clock is passed in, so it stays pure.

    :param source_app_name: the task's ``sourceAppName``.
    :param task_id: the user task id.
    :param pending_since: epoch seconds from which a missing task counts as pending (CREATE time,
        or the sensor's first poke).
    :param pending_grace_seconds: how long a missing task counts as pending.
    :param deadline: epoch seconds after which an unfinished task times out; None for no deadline.
    :param max_consecutive_errors: transient errors in a row tolerated before the wait ends in ``error``.
    :param consecutive_errors: transient errors seen in a row so far.
    """

    source_app_name: str
    task_id: str
    pending_since: float
    pending_grace_seconds: float = DEFAULT_PENDING_GRACE_SECONDS
    deadline: float | None = None
    max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS
    consecutive_errors: int = 0

    @property
    def label(self) -> str:
        """``APP/TASK``."""
        return task_label(self.source_app_name, self.task_id)

    def observe(self, task: TaskInfo | None, now: float) -> WaitStep:
        """Judge one successful read of the task.

        :param task: the task, or None when Drove answered "No such task instance".
        :param now: the current time, epoch seconds.
        :return: the step.
        """
        self.consecutive_errors = 0
        verdict = evaluate_task(
            task,
            source_app_name=self.source_app_name,
            task_id=self.task_id,
            pending_seconds=now - self.pending_since,
            pending_grace_seconds=self.pending_grace_seconds,
        )
        if verdict.status is Outcome.DONE:
            return WaitStep(WAIT_SUCCESS, verdict.message)
        if verdict.status is Outcome.FAILED:
            return WaitStep(WAIT_FAILED, verdict.message)
        return self._unless_late(now, verdict.message)

    def error(self, error: BaseException, now: float) -> WaitStep:
        """Count one transient failure to read the task.

        :param error: what went wrong (its text goes into the message; it never holds secrets,
            the hooks make sure of that).
        :param now: the current time, epoch seconds.
        :return: ``error`` once more than ``max_consecutive_errors`` happened in a row, else the
            deadline check.
        """
        self.consecutive_errors += 1
        text = f"{type(error).__name__}: {error}"
        if self.consecutive_errors > self.max_consecutive_errors:
            return WaitStep(
                WAIT_ERROR,
                f"Could not read Drove task {self.label} {self.consecutive_errors} times in a row; last error {text}",
            )
        return self._unless_late(
            now,
            f"transient error {self.consecutive_errors}/{self.max_consecutive_errors} reading Drove task "
            f"{self.label}: {text}",
        )

    def _unless_late(self, now: float, message: str) -> WaitStep:
        if self.deadline is not None and now >= self.deadline:
            allowed = self.deadline - self.pending_since
            return WaitStep(
                WAIT_TIMEOUT,
                f"Drove task {self.label} did not finish within {allowed:.0f}s (last seen: {message})",
            )
        return WaitStep(WAIT_WAITING, message)

    def sleep_seconds(self, poll_interval: float, now: float) -> float:
        """How long to sleep before the next poll: the interval, cut short by the deadline.

        :param poll_interval: the caller's poll interval in seconds.
        :param now: the current time, epoch seconds.
        :return: seconds to sleep (never negative).
        """
        if self.deadline is None:
            return poll_interval
        return max(0.0, min(poll_interval, self.deadline - now))


# ---------------------------------------------------------------------------------------------
# Following a task's log file (§6.6)
# ---------------------------------------------------------------------------------------------

#: The file Drove's executors write a container's output to.
DEFAULT_LOG_FILE = "output.log"

#: The ``/logfiles/{kind}/...`` kind for tasks.
TASK_LOG_KIND = "tasks"

#: Bytes asked for per read; a shorter answer means the end of the file was reached.
LOG_CHUNK_BYTES = 32768


def log_prefix(source_app_name: str, task_id: str) -> str:
    """What each forwarded log line starts with in the Airflow task log.

    :param source_app_name: the task's ``sourceAppName``.
    :param task_id: the user task id.
    :return: ``"[drove APP/TASK]"``.
    """
    return f"[drove {task_label(source_app_name, task_id)}]"


def choose_log_file(files: list[str]) -> str | None:
    """Pick the file to follow from ``/logfiles/tasks/{app}/{id}/list``.

    :param files: the names Drove listed.
    :return: ``output.log`` when present, else the first name, else None (nothing to read yet).
    """
    if DEFAULT_LOG_FILE in files:
        return DEFAULT_LOG_FILE
    return files[0] if files else None


@dataclass
class LogTail:
    """Offset and partial-line bookkeeping while following one log file.

    Drove's ``read`` endpoint answers ``{"data": ..., "offset": n}`` where ``offset`` is where
    ``data`` starts (bytes); the next read starts at ``offset + len(data in bytes)``. A read with
    ``offset=-1`` returns no data and the current end of the file. The tail reads from the start of
    the file so that lines printed before the first poll are not lost.

    :param file_name: the log file being followed (None until one is chosen).
    :param offset: the byte offset of the next read.
    :param partial: text after the last newline, held until its line is complete.
    :param lines_seen: how many complete lines were handed out so far.
    :param unavailable_reported: whether the caller already said the logs cannot be read (not
        carried across a deferral: saying it once per process is enough).
    """

    file_name: str | None = None
    offset: int = 0
    partial: str = ""
    lines_seen: int = 0
    unavailable_reported: bool = False

    def feed(self, data: str, start_offset: int) -> list[str]:
        """Take one chunk and return the complete lines it finishes.

        :param data: the chunk's text.
        :param start_offset: where Drove says the chunk starts.
        :return: the complete lines (without line endings), in order.
        """
        if start_offset != self.offset:
            # The file was truncated or rotated under us; follow Drove's position.
            self.partial = ""
        self.offset = start_offset + len(data.encode("utf-8"))
        text = self.partial + data
        *complete, self.partial = text.split("\n")
        lines = [line.rstrip("\r") for line in complete]
        self.lines_seen += len(lines)
        return lines

    def pick_file(self, files: list[str]) -> bool:
        """Choose the file to follow from a listing (see :func:`choose_log_file`).

        :param files: the names Drove listed.
        :return: whether there is a file to read.
        """
        self.file_name = choose_log_file(files)
        return self.file_name is not None

    @staticmethod
    def reached_end(data: str) -> bool:
        """Whether a chunk was the last one available now (shorter than asked for).

        :param data: the chunk's text.
        :return: True when no more data is waiting.
        """
        return len(data.encode("utf-8")) < LOG_CHUNK_BYTES

    def unavailable_notice(self, label: str, reason: str) -> str | None:
        """The line to log when the logs cannot be read, once per tail.

        :param label: the task label.
        :param reason: why (Drove's answer, or "no log file listed yet").
        :return: the line, or None when it was already said.
        """
        if self.unavailable_reported:
            return None
        self.unavailable_reported = True
        return (
            f"Logs of Drove task {label} are not available ({reason}); the wait goes on and will "
            "forward them if they appear"
        )

    def final_notice(self, label: str) -> str | None:
        """The line to log at the end when not a single log line could be read.

        :param label: the task label.
        :return: the line, or None when lines were forwarded.
        """
        if self.lines_seen:
            return None
        return (
            f"No log lines of Drove task {label} could be read through the controller's /logfiles "
            "API (204 means the controller could not locate the task's executor)"
        )

    def flush(self) -> list[str]:
        """Hand out the last incomplete line (at the end of the task).

        :return: the held text as one line, or nothing.
        """
        if not self.partial:
            return []
        line, self.partial = self.partial.rstrip("\r"), ""
        self.lines_seen += 1
        return [line]

    def to_json(self) -> dict[str, Any]:
        """The tail's position as plain JSON (carried by a trigger across a deferral).

        :return: ``file_name``, ``offset`` and ``lines_seen``; the partial line is re-read.
        """
        return {
            "file_name": self.file_name,
            "offset": self.offset - len(self.partial.encode("utf-8")),
            "lines_seen": self.lines_seen,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LogTail:
        """Rebuild a tail from :meth:`to_json`.

        :param data: the JSON, or None for a fresh tail.
        :return: the tail.
        """
        data = data or {}
        return cls(
            file_name=data.get("file_name"),
            offset=int(data.get("offset") or 0),
            lines_seen=int(data.get("lines_seen") or 0),
        )
