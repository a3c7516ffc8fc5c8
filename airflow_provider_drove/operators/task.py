"""Run a one-off container on Drove as a task and wait for its result (``drove-api.md`` §8).

``DroveRunTaskOperator`` is the Drove counterpart of KubernetesPodOperator / EcsRunTaskOperator:
CREATE a task, push its ids to XCom, wait (in the worker or deferred to the triggerer) while the
task's log lines are forwarded into the Airflow task log, and return the task's outcome. A task
that fails ends the Airflow task with Drove's exit code and error message; a task that outlives
``timeout`` is killed.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import re
import shlex
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, conf

from airflow_provider_drove.drove.operations import OpSpec
from airflow_provider_drove.drove.specs import TaskSpec, image_reference_problem, parse_task_spec
from airflow_provider_drove.drove.task_conditions import pending_grace_seconds, task_label
from airflow_provider_drove.exceptions import (
    DroveException,
    DroveInputError,
    DroveNotFoundError,
    DroveOperationFailedError,
    DroveTimeoutError,
    DroveValidationError,
)
from airflow_provider_drove.hooks.defaults import DEFAULT_CONN_ID
from airflow_provider_drove.links.drove import (
    SOURCE_APP_NAME_XCOM_KEY,
    TASK_ID_XCOM_KEY,
    DroveTaskLink,
    controller_ui_base,
)
from airflow_provider_drove.operators.base import DroveHookMixin
from airflow_provider_drove.triggers.application import DEFAULT_MAX_CONSECUTIVE_ERRORS, PollResult, poll_sync
from airflow_provider_drove.triggers.task import DroveTaskTrigger, TaskWaitState, follow_logs_sync

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

#: XCom keys pushed right after CREATE (read by :class:`DroveTaskLink`).
XCOM_SOURCE_APP_NAME = SOURCE_APP_NAME_XCOM_KEY
XCOM_TASK_ID = TASK_ID_XCOM_KEY

#: Drove's pattern for ``sourceAppName`` and ``taskId`` (``[a-zA-Z\d\-_]*``; Java's ``\d`` is ASCII).
_DROVE_ID = re.compile(r"[a-zA-Z0-9_-]+")
_NOT_DROVE_ID = re.compile(r"[^a-zA-Z0-9_-]+")
_NUMBER = re.compile(r"\d+(\.\d*)?")

#: Derived task ids stay at most this long (Drove has no limit, but ids show up in container
#: names, ZooKeeper paths and the UI).
MAX_DERIVED_TASK_ID_LENGTH = 100
_PART_LENGTH = 30

#: Short-form defaults.
DEFAULT_CPUS = 1
DEFAULT_MEMORY_MB = 512
DEFAULT_DOCKER_PULL_TIMEOUT = "100 seconds"
DEFAULT_PLACEMENT_POLICY: dict[str, Any] = {"type": "ANY"}  # without it Drove answers 500 (§1.11)

#: A deferred wait ends this much (at most 10% of it) before ``execution_timeout``, to send KILL.
EXECUTION_TIMEOUT_MARGIN_SECONDS = 30.0

#: The short form's parameters (none may be given together with ``task_spec``); most are templated.
_SHORT_FORM_TEMPLATED = ("image", "args", "env", "cpus", "memory_mb", "docker_pull_timeout", "tags")
_SHORT_FORM_FIELDS = (*_SHORT_FORM_TEMPLATED, "placement_policy", "volumes")


def derive_drove_task_id(dag_id: str, task_id: str, run_id: str, try_number: int, map_index: int = -1) -> str:
    """A Drove task id for one try of one Airflow task instance.

    Readable (``<dag>-<task>-<run>``, characters Drove rejects turned into ``_``), unique (a hash
    of the exact DAG, task, map index and run keeps apart ids that sanitising or truncation made
    equal) and fresh per try (``-try<N>``), because Drove refuses a second CREATE with the id of a
    task whose record still exists (§8).

    :param dag_id: the DAG id.
    :param task_id: the Airflow task id.
    :param run_id: the DAG run id.
    :param try_number: the try number.
    :param map_index: the map index of a mapped task (-1 when not mapped).
    :return: an id matching ``[a-zA-Z0-9_-]+``, at most :data:`MAX_DERIVED_TASK_ID_LENGTH` long.
    """
    digest = hashlib.sha256(json.dumps([dag_id, task_id, map_index, run_id]).encode()).hexdigest()[:10]
    suffix = f"-{digest}-try{try_number}"
    # Each name keeps a readable head; the hash keeps the whole of them apart.
    parts = [_NOT_DROVE_ID.sub("_", dag_id)[:_PART_LENGTH], _NOT_DROVE_ID.sub("_", task_id)[:_PART_LENGTH]]
    if map_index >= 0:
        parts.append(str(map_index))
    parts.append(_NOT_DROVE_ID.sub("_", run_id))
    readable = "-".join(parts)
    return readable[: MAX_DERIVED_TASK_ID_LENGTH - len(suffix)].rstrip("-_") + suffix


def check_drove_id(value: Any, field: str) -> str:
    """Reject an id Drove would reject (``[a-zA-Z\\d\\-_]*``, non-empty), naming the parameter.

    :param value: the id.
    :param field: the parameter name for the error.
    :return: the id.
    :raises DroveInputError: when Drove would reject it.
    """
    if not isinstance(value, str) or not value:
        raise DroveInputError(field, f"must be a non-empty string, got {value!r}")
    if not _DROVE_ID.fullmatch(value):
        bad = "".join(sorted(set(_NOT_DROVE_ID.findall(value)[0])))
        raise DroveInputError(field, f"{value!r} may contain only letters, digits, '-' and '_' (not {bad!r})")
    return value


def _positive_int(value: Any, field: str) -> int:
    """Accept ints and rendered templates such as ``"2"``; reject anything Drove cannot run with."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DroveInputError(field, f"must be a whole number of at least 1, got {value!r}")
    return value


def _check_image(value: Any, field: str) -> None:
    """The short form's ``image``, checked as ``parse_task_spec`` checks ``executable.url``, but named ``image``."""
    if not isinstance(value, str) or not value.strip():
        raise DroveInputError(field, f"must name a Docker image, e.g. 'ghcr.io/org/image:tag', got {value!r}")
    problem = image_reference_problem(value)
    if problem is not None:
        raise DroveInputError(field, problem)


def _split_args(value: Any) -> list[str]:
    """Drove's ``args`` from a list, or from one string split the way a shell would."""
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as error:
            raise DroveInputError("args", f"cannot be split like a shell command line: {error}") from None
    if isinstance(value, (list, tuple)) and all(isinstance(a, (str, int, float)) for a in value):
        return [str(a) for a in value]
    raise DroveInputError("args", f"must be a list of strings or one command-line string, got {value!r}")


class DroveRunTaskOperator(DroveHookMixin, BaseOperator):
    """Run a one-off container as a Drove task, forward its logs and return its outcome.

    Give either a full TaskSpec (``task_spec``) or the short form (``source_app_name`` + ``image``
    and optionally ``args``, ``env``, ``cpus``, ``memory_mb``, ...), which is expanded with Drove's
    required fields and defaults (including ``placementPolicy {"type": "ANY"}``, without which
    Drove answers 500). Every input is checked before any request.

    The Drove task id defaults to one derived from the DAG, task, run and try number, so a retry
    never collides with the record of an earlier try (Drove rejects a CREATE whose id still exists).

    Pushes ``drove_source_app_name`` and ``drove_task_id`` to XCom before waiting; returns the
    task's outcome as plain JSON (``state``, ``result``, ``exit_code``, ``error_message``,
    ``executor_id``, ``hostname``, ``created``, ``updated``, ``duration_seconds``, ids).

    :param task_spec: a full Drove TaskSpec: a dict, a JSON string, or the path of a JSON file
        (its text is rendered as a Jinja template first). Templated.
    :param source_app_name: the task's ``sourceAppName``; should be the name of an existing Drove app
        (otherwise a leader failover orphans the task, §8). Overrides the spec's. Templated.
    :param drove_task_id: the Drove task id; overrides the spec's. Default: derived per try. Templated.
    :param image: short form: the Docker image. Templated.
    :param args: short form: the container command line (Drove's ``args``); a string is split
        like a shell would. Templated.
    :param env: short form: environment variables. Templated.
    :param cpus: short form: CPU cores (default 1). Templated.
    :param memory_mb: short form: memory in MB (default 512). Templated.
    :param docker_pull_timeout: short form: image pull timeout, a Drove duration (default "100 seconds"). Templated.
    :param placement_policy: short form: Drove placement policy (default ``{"type": "ANY"}``).
    :param tags: short form: task tags. Templated.
    :param volumes: short form: Drove volume mounts.
    :param op_spec: the CREATE/KILL ``opSpec`` (dict or OpSpec; default timeout "5m").
    :param drove_conn_id: the Drove connection.
    :param wait_for_completion: wait for the task to finish (default); if False, return its ids
        (``source_app_name``, ``task_id``) right after CREATE, e.g. for a
        :class:`~airflow_provider_drove.sensors.task.DroveTaskSensor` later.
    :param deferrable: wait in the triggerer instead of the worker.
    :param poll_interval: seconds between polls.
    :param timeout: seconds (or a timedelta) the task may take from CREATE; after that it is
        killed and the Airflow task fails. Templated (a rendered number of seconds is accepted).
        None: no limit of its own; ``execution_timeout`` still applies and also kills the Drove
        task (through ``on_kill``, or in deferred mode by ending the wait just before it).
    :param stream_logs: forward the task's log lines into the Airflow task log.
    :param delete_on_completion: delete the task's record once it finished (success or failure),
        so its id can be reused at once.
    :param pending_grace_seconds: how long "No such task instance" after CREATE counts as pending;
        default ``max(op_spec timeout, dockerPullTimeout) + 60`` (§8).
    :param max_consecutive_errors: transient read errors tolerated in a row while waiting.
    """

    template_fields: Sequence[str] = ("task_spec", "source_app_name", "drove_task_id", *_SHORT_FORM_TEMPLATED, "timeout")
    template_fields_renderers = {"task_spec": "json", "env": "json", "args": "py"}
    operator_extra_links = (DroveTaskLink(),)
    ui_color = "#e8f1fb"

    def __init__(
        self,
        *,
        task_spec: dict[str, Any] | str | None = None,
        source_app_name: str | None = None,
        drove_task_id: str | None = None,
        image: str | None = None,
        args: list[str] | str | None = None,
        env: dict[str, str] | None = None,
        cpus: int | str | None = None,
        memory_mb: int | str | None = None,
        docker_pull_timeout: str | None = None,
        placement_policy: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        volumes: list[dict[str, Any]] | None = None,
        op_spec: OpSpec | dict[str, Any] | None = None,
        drove_conn_id: str = DEFAULT_CONN_ID,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10.0,
        timeout: float | str | datetime.timedelta | None = None,
        stream_logs: bool = True,
        delete_on_completion: bool = False,
        pending_grace_seconds: float | None = None,
        max_consecutive_errors: int = DEFAULT_MAX_CONSECUTIVE_ERRORS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.task_spec = task_spec
        self.source_app_name = source_app_name
        self.drove_task_id = drove_task_id
        self.image = image
        self.args = args
        self.env = env
        self.cpus = cpus
        self.memory_mb = memory_mb
        self.docker_pull_timeout = docker_pull_timeout
        self.placement_policy = placement_policy
        self.tags = tags
        self.volumes = volumes
        self.op_spec = op_spec
        self.drove_conn_id = drove_conn_id
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.stream_logs = stream_logs
        self.delete_on_completion = delete_on_completion
        self.pending_grace_seconds = pending_grace_seconds
        self.max_consecutive_errors = max_consecutive_errors
        # Set once CREATE was accepted: what on_kill must kill.
        self._submitted: tuple[str, str] | None = None

    # ---------------------------------------------------------------------------------------
    # execute: prepare -> submit -> wait | defer -> finish
    # ---------------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        """Create the task, then wait for it (or defer); see the class docstring."""
        spec, op_spec = self._prepare(context)
        created_at = self._submit(context, spec, op_spec)
        if not self.wait_for_completion:
            return {"source_app_name": spec.source_app_name, "task_id": spec.task_id}
        grace = self._pending_grace(spec, op_spec)
        deadline = None if self.timeout is None else created_at + self._timeout_seconds()
        if self.deferrable:
            self.defer(
                trigger=DroveTaskTrigger(
                    source_app_name=spec.source_app_name,
                    task_id=spec.task_id,
                    drove_conn_id=self.drove_conn_id,
                    poll_interval=self.poll_interval,
                    deadline=self._deferred_deadline(context, deadline),
                    max_consecutive_errors=self.max_consecutive_errors,
                    pending_since=created_at,
                    pending_grace_seconds=grace,
                    stream_logs=self.stream_logs,
                ),
                method_name="execute_complete",
            )
        state = TaskWaitState(
            spec.source_app_name, spec.task_id, pending_since=created_at, pending_grace_seconds=grace, deadline=deadline
        )
        event = poll_sync(
            lambda: self._poll(state),
            poll_interval=self.poll_interval,
            deadline=deadline,
            max_consecutive_errors=self.max_consecutive_errors,
            log=self.log,
            timeout_payload=state.timeout_payload,
        )
        return self._finish(event)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resume after the trigger fired: judge its event exactly as the synchronous wait would."""
        self._submitted = (event["source_app_name"], event["task_id"])
        return self._finish(event)

    def _prepare(self, context: Context) -> tuple[TaskSpec, OpSpec]:
        """Build and check the spec and op spec from the rendered arguments; no request is sent."""
        if self.task_spec is not None:
            given = [name for name in _SHORT_FORM_FIELDS if getattr(self, name) is not None]
            if given:
                raise DroveInputError(given[0], "give either task_spec or the short form (image, args, ...), not both")
            field = "task_spec"
            data = self._load_spec(context)
        else:
            field = "spec"
            data = self._short_form_spec()
        if self.source_app_name is not None:
            data["sourceAppName"] = check_drove_id(self.source_app_name, "source_app_name")
        elif not data.get("sourceAppName"):
            raise DroveInputError("source_app_name", "is required: the name of the Drove app the task belongs to")
        if self.drove_task_id is not None:
            data["taskId"] = check_drove_id(self.drove_task_id, "drove_task_id")
        elif not data.get("taskId"):
            ti = context["ti"]
            data["taskId"] = derive_drove_task_id(
                self.dag_id, self.task_id, context["run_id"], int(ti.try_number), int(getattr(ti, "map_index", -1))
            )
        # parse_task_spec also refuses what Drove accepts but cannot run (a bad image reference, resources below 1)
        spec = parse_task_spec(data, field=field)
        if self.timeout is not None:
            self._timeout_seconds()  # a bad timeout fails before the task exists
        return spec, OpSpec.coerce(self.op_spec, field="op_spec")

    def _load_spec(self, context: Context) -> dict[str, Any]:
        """``task_spec`` as a dict: given as one, as JSON text, or read from a JSON file (rendered)."""
        value = self.task_spec
        if isinstance(value, Mapping):
            return copy.deepcopy(dict(value))
        if not isinstance(value, str):
            raise DroveInputError(
                "task_spec", f"must be a dict, a JSON string or a JSON file path, not {type(value).__name__}"
            )
        text = value
        if not value.lstrip().startswith("{"):
            path = Path(value)
            if not path.is_file():
                raise DroveInputError("task_spec", f"{value!r} is neither a TaskSpec JSON object nor an existing file")
            text = self.render_template(path.read_text(), context)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise DroveInputError("task_spec", f"is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise DroveInputError("task_spec", f"must hold a JSON object, not {type(data).__name__}")
        return data

    def _short_form_spec(self) -> dict[str, Any]:
        """The short form expanded into a TaskSpec with Drove's required fields and our defaults."""
        if self.image is None:
            raise DroveInputError("image", "is required when no task_spec is given: the Docker image to run")
        _check_image(self.image, "image")
        cpus = _positive_int(DEFAULT_CPUS if self.cpus is None else self.cpus, "cpus")
        memory_mb = _positive_int(DEFAULT_MEMORY_MB if self.memory_mb is None else self.memory_mb, "memory_mb")
        spec: dict[str, Any] = {
            "executable": {
                "type": "DOCKER",
                "url": self.image,
                "dockerPullTimeout": self.docker_pull_timeout or DEFAULT_DOCKER_PULL_TIMEOUT,
            },
            "resources": [{"type": "CPU", "count": cpus}, {"type": "MEMORY", "sizeInMB": memory_mb}],
            "placementPolicy": copy.deepcopy(self.placement_policy or DEFAULT_PLACEMENT_POLICY),
        }
        args = _split_args(self.args) if self.args is not None else []
        if args:  # none (or "") keeps the image's own command
            spec["args"] = args
        if self.env:
            if not isinstance(self.env, Mapping):
                raise DroveInputError("env", f"must be a dict of names to string values, not {type(self.env).__name__}")
            spec["env"] = {str(k): str(v) for k, v in self.env.items()}
        if self.tags:
            spec["tags"] = dict(self.tags)
        if self.volumes:
            spec["volumes"] = copy.deepcopy(list(self.volumes))
        return spec

    def _timeout_seconds(self) -> float:
        value = self.timeout
        if isinstance(value, datetime.timedelta):
            seconds = value.total_seconds()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            seconds = float(value)  # a rendered template, e.g. "{{ params.minutes * 60 }}"
        else:
            seconds = -1.0
        if seconds <= 0:
            raise DroveInputError("timeout", f"must be positive seconds or a timedelta, got {value!r}")
        return seconds

    def _deferred_deadline(self, context: Context, deadline: float | None) -> float | None:
        """The trigger's deadline: ours, but ending before ``execution_timeout`` does.

        When Airflow's own timeout ends a deferred task, it kills the trigger without resuming the
        operator, so nothing would send KILL and the Drove task would run on. Ending the wait a
        little earlier lets :meth:`execute_complete` kill it. (A synchronous wait needs no such
        care: Airflow calls :meth:`on_kill` when ``execution_timeout`` interrupts it.)
        """
        if self.execution_timeout is None:
            return deadline
        started = getattr(context["ti"], "start_date", None)
        limit = self.execution_timeout.total_seconds()
        end = (started.timestamp() if started is not None else time.time()) + limit
        capped = end - min(EXECUTION_TIMEOUT_MARGIN_SECONDS, 0.1 * limit)
        return capped if deadline is None else min(deadline, capped)

    def _pending_grace(self, spec: TaskSpec, op_spec: OpSpec) -> float:
        if self.pending_grace_seconds is not None:
            return float(self.pending_grace_seconds)
        return pending_grace_seconds(op_spec.timeout, str(spec.docker_pull_timeout))

    def _submit(self, context: Context, spec: TaskSpec, op_spec: OpSpec) -> float:
        """CREATE the task and push its ids to XCom; return when (epoch s) CREATE was sent."""
        label = task_label(spec.source_app_name, spec.task_id)
        created_at = time.time()
        try:
            self.hook.create_task(spec, op_spec=op_spec)
        except DroveValidationError as error:
            if any("already exists" in e for e in error.errors):
                raise DroveValidationError(
                    f"Drove already has a task {label} (its record lives until deleted, §8). Give a new "
                    "drove_task_id, leave it unset for one derived per try, or delete the old record "
                    "(delete_on_completion=True does that after each run)",
                    status_code=error.status_code,
                    errors=error.errors,
                ) from error
            raise
        self._submitted = (spec.source_app_name, spec.task_id)
        url = DroveTaskLink.persist(
            context,
            controller_ui_base(self.hook),
            **{XCOM_SOURCE_APP_NAME: spec.source_app_name, XCOM_TASK_ID: spec.task_id},
        )
        self.log.info("Created Drove task %s (image %s): %s", label, spec.executable_url, url)
        return created_at

    # ---------------------------------------------------------------------------------------
    # The synchronous wait: one poll = fetch, judge (TaskWaitState), forward logs
    # ---------------------------------------------------------------------------------------

    def _poll(self, state: TaskWaitState) -> PollResult:
        """The synchronous twin of :meth:`DroveTaskTrigger.poll`."""
        watch = state.watch
        try:
            task = self.hook.get_task(watch.source_app_name, watch.task_id)
        except DroveNotFoundError:
            task = None  # "No such task instance": pending right after CREATE (§8), bounded by TaskWatch
        result = state.step(task)
        if self.stream_logs and state.seen:
            follow_logs_sync(self.hook, state.logs, self.log, final=result.payload is not None)
        return result

    # ---------------------------------------------------------------------------------------
    # finish: one place that turns the end of a wait into a result or an error
    # ---------------------------------------------------------------------------------------

    def _finish(self, event: dict[str, Any]) -> dict[str, Any]:
        """Turn how the wait ended (sync payload or trigger event, same shape) into a result or an error."""
        status, message = event["status"], event["message"]
        if status in ("done", "failed"):
            self._delete_if_asked()
            self._submitted = None  # finished: nothing for on_kill to stop
            if status == "failed":
                raise DroveOperationFailedError(message)
            return event.get("task") or {}
        # Timed out, or Drove could not be read: the task may still run. Stop it, as promised.
        killed = self._kill()
        self._submitted = None
        if status == "timeout":
            raise DroveTimeoutError(f"{message}; {killed}")
        raise DroveException(f"Waiting for the Drove task failed: {message}; {killed}")

    def _delete_if_asked(self) -> None:
        if not self.delete_on_completion or self._submitted is None:
            return
        app, task_id = self._submitted
        try:
            self.hook.delete_task(app, task_id)
            self.log.info("Deleted the record of Drove task %s", task_label(app, task_id))
        except DroveException as error:
            # The run is over and judged; a record left behind only blocks reusing its id.
            self.log.warning("Could not delete the record of Drove task %s: %s", task_label(app, task_id), error)

    def _kill(self) -> str:
        """Send KILL for the submitted task, never raising.

        :return: what happened, for messages: ``"sent KILL"`` or why not.
        """
        if self._submitted is None:
            return "no task to kill"
        app, task_id = self._submitted
        label = task_label(app, task_id)
        try:
            self.hook.kill_task(app, task_id, op_spec=self.op_spec)
        except DroveValidationError as error:
            # "Either task does not exist or has already finished": nothing left to kill.
            self.log.info("No KILL needed for Drove task %s: %s", label, error)
            return f"no KILL needed ({error})"
        except DroveException as error:
            self.log.error("Could not KILL Drove task %s: %s", label, error)
            return f"KILL failed ({error}); stop the task in Drove by hand"
        self.log.info("Sent KILL for Drove task %s", label)
        return "sent KILL"

    def on_kill(self) -> None:
        """The Airflow task is being killed (mark failed, execution_timeout, ...): KILL the Drove task."""
        self._kill()
