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
from dataclasses import dataclass, field
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


@dataclass
class TaskWatch:
    """What a wait for one task remembers to judge it: since when a missing task is pending.

    The polling loop around it (deadline, sleeps, error budget) is the provider's shared one
    (``triggers/application.py``: ``poll_sync`` and ``DrovePollingTrigger``).

    :param source_app_name: the task's ``sourceAppName``.
    :param task_id: the user task id.
    :param pending_since: epoch seconds from which a missing task counts as pending (CREATE time,
        or the sensor's first poke).
    :param pending_grace_seconds: how long a missing task counts as pending.
    """

    source_app_name: str
    task_id: str
    pending_since: float
    pending_grace_seconds: float = DEFAULT_PENDING_GRACE_SECONDS

    @property
    def label(self) -> str:
        """``APP/TASK``."""
        return task_label(self.source_app_name, self.task_id)

    def observe(self, task: TaskInfo | None, now: float) -> Verdict:
        """Judge one read of the task.

        :param task: the task, or None when Drove answered "No such task instance".
        :param now: the current time, epoch seconds.
        :return: the verdict.
        """
        return evaluate_task(
            task,
            source_app_name=self.source_app_name,
            task_id=self.task_id,
            pending_seconds=now - self.pending_since,
            pending_grace_seconds=self.pending_grace_seconds,
        )


# ---------------------------------------------------------------------------------------------
# Following a task's log files (§6.6)
# ---------------------------------------------------------------------------------------------

#: The files Drove's executors write a container's stdout and stderr to, in the order followed.
DEFAULT_LOG_FILES = ("output.log", "error.log")

#: The ``/logfiles/{kind}/...`` kind for tasks.
TASK_LOG_KIND = "tasks"

#: Bytes asked for per read; a shorter answer means the end of the file was reached.
LOG_CHUNK_BYTES = 32768


def choose_log_files(files: list[str]) -> list[str]:
    """Pick the files to follow from ``/logfiles/tasks/{app}/{id}/list``.

    :param files: the names Drove listed (rotated copies such as ``output.log.1`` included).
    :return: ``output.log`` and ``error.log`` when listed, else the first name, else nothing.
    """
    known = [name for name in DEFAULT_LOG_FILES if name in files]
    return known or files[:1]


@dataclass
class LogTail:
    """Offset and partial-line bookkeeping while following one log file.

    Drove's ``read`` endpoint answers ``{"data": ..., "offset": n}`` where ``offset`` is where
    ``data`` starts (bytes); the next read starts at ``offset + len(data in bytes)``. A read with
    ``offset=-1`` returns no data and the current end of the file, which would skip what the task
    printed before the first poll, so the tail reads from the start of the file instead.

    :param file_name: the log file being followed.
    :param offset: the byte offset of the next read.
    :param partial: text after the last newline, held until its line is complete.
    :param lines_seen: how many complete lines were handed out so far.
    """

    file_name: str
    offset: int = 0
    partial: str = ""
    lines_seen: int = 0

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

    @staticmethod
    def reached_end(data: str) -> bool:
        """Whether a chunk was the last one available now (shorter than asked for).

        :param data: the chunk's text.
        :return: True when no more data is waiting.
        """
        return len(data.encode("utf-8")) < LOG_CHUNK_BYTES

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
        """The position as plain JSON; the held partial line is simply read again.

        :return: ``offset`` and ``lines_seen``.
        """
        return {"offset": self.offset - len(self.partial.encode("utf-8")), "lines_seen": self.lines_seen}


@dataclass
class TaskLogs:
    """Following a task's log files: which files, where each one is, what was said about them.

    :param source_app_name: the task's ``sourceAppName``.
    :param task_id: the user task id.
    :param tails: one :class:`LogTail` per followed file (empty until the files are listed).
    :param unavailable_reported: whether "logs not available" was said already (once per process).
    """

    source_app_name: str
    task_id: str
    tails: dict[str, LogTail] = field(default_factory=dict)
    unavailable_reported: bool = False

    @property
    def label(self) -> str:
        """``APP/TASK``."""
        return task_label(self.source_app_name, self.task_id)

    def prefix(self, tail: LogTail) -> str:
        """What each forwarded line starts with: ``[drove APP/TASK]``, plus the file when not stdout.

        :param tail: the file the line came from.
        :return: the prefix.
        """
        where = "" if tail.file_name == DEFAULT_LOG_FILES[0] else f" {tail.file_name}"
        return f"[drove {self.label}{where}]"

    def pick_files(self, files: list[str]) -> bool:
        """Start following the files chosen from a listing (see :func:`choose_log_files`).

        :param files: the names Drove listed.
        :return: whether there is anything to read.
        """
        for name in choose_log_files(files):
            self.tails.setdefault(name, LogTail(name))
        return bool(self.tails)

    @property
    def lines_seen(self) -> int:
        """Lines forwarded from all files."""
        return sum(tail.lines_seen for tail in self.tails.values())

    def unavailable_notice(self, reason: str) -> str | None:
        """The line to log when the logs cannot be read, once.

        :param reason: why (Drove's answer, or "no log file listed yet").
        :return: the line, or None when it was already said.
        """
        if self.unavailable_reported:
            return None
        self.unavailable_reported = True
        return (
            f"Logs of Drove task {self.label} are not available ({reason}); the wait goes on and will "
            "forward them if they appear"
        )

    def final_notice(self) -> str | None:
        """The line to log at the end when not a single log line could be read.

        :return: the line, or None when lines were forwarded.
        """
        if self.lines_seen:
            return None
        return (
            f"No log lines of Drove task {self.label} could be read through the controller's /logfiles "
            "API (an answer 204 means the controller could not locate the task's executor)"
        )

    def to_json(self) -> dict[str, Any]:
        """Every file's position as plain JSON (a trigger carries it across a deferral).

        :return: ``{file name: {"offset", "lines_seen"}}``.
        """
        return {name: tail.to_json() for name, tail in self.tails.items()}

    @classmethod
    def from_json(cls, source_app_name: str, task_id: str, data: dict[str, Any] | None) -> TaskLogs:
        """Rebuild from :meth:`to_json`.

        :param source_app_name: the task's ``sourceAppName``.
        :param task_id: the user task id.
        :param data: the JSON, or None to start from the beginning.
        :return: the follower state.
        """
        tails = {
            name: LogTail(name, offset=int(pos.get("offset") or 0), lines_seen=int(pos.get("lines_seen") or 0))
            for name, pos in (data or {}).items()
        }
        return cls(source_app_name, task_id, tails)
