"""What a simulated container does, chosen from the spec alone (documented failure scenarios).

A DAG author picks a behaviour without touching the emulator, only through what a Drove spec
already carries: a word in the image URL (``executable.url``) or an ``env`` entry. The same
knobs work over HTTP from any client. See the package docstring for the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_drove.drove.durations import InvalidDurationError, parse_duration

#: env var naming scenarios explicitly, comma-separated (same words as in image URLs)
ENV_SCENARIO = "DROVE_EMULATOR_SCENARIO"
ENV_PULL_SECONDS = "DROVE_EMULATOR_PULL_SECONDS"
ENV_STARTUP_SECONDS = "DROVE_EMULATOR_STARTUP_SECONDS"
ENV_UNHEALTHY_AFTER = "DROVE_EMULATOR_UNHEALTHY_AFTER"
ENV_LOST_AFTER = "DROVE_EMULATOR_LOST_AFTER"
ENV_EXIT_CODE = "DROVE_EMULATOR_EXIT_CODE"
ENV_RUN_SECONDS = "DROVE_EMULATOR_RUN_SECONDS"
ENV_OUTPUT = "DROVE_EMULATOR_OUTPUT"

PULL_FAIL = "pull-fail"
START_FAIL = "start-fail"
NEVER_READY = "never-ready"
UNHEALTHY_AFTER = "unhealthy-after"
SLOW_START = "slow-start"
LOST_AFTER = "lost-after"
KNOWN_SCENARIOS = (PULL_FAIL, START_FAIL, NEVER_READY, UNHEALTHY_AFTER, SLOW_START, LOST_AFTER)

#: default simulated durations (seconds) of the steps Drove's spec does not time itself (§13)
PENDING_SECONDS = 0.5
DEFAULT_PULL_SECONDS = 2.0
DEFAULT_STARTUP_SECONDS = 1.0
CHECK_PASS_SECONDS = 0.5
DEPROVISION_SECONDS = 1.0
STOP_SECONDS = 1.0
DEFAULT_UNHEALTHY_AFTER = 30.0
DEFAULT_LOST_AFTER = 30.0
#: the controller hides, then marks LOST, anything its executor has not refreshed for this long (§11)
STALE_SECONDS = 60.0
HEARTBEAT_SECONDS = 20.0
DEFAULT_TASK_RUN_SECONDS = 5.0


def duration_seconds(value: Any, default: float) -> float:
    """A Drove duration string (or a number) as seconds, ``default`` when absent or unreadable."""
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0.0, float(value))
    try:
        return parse_duration(value).seconds
    except InvalidDurationError:
        return default


def _env_float(env: Mapping[str, Any], name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if value >= 0 and value == value and value != float("inf") else default


@dataclass(frozen=True)
class CheckTiming:
    """Timings of a readiness or health check (§10.1 CheckSpec).

    :param initial_delay: seconds before the first attempt.
    :param timeout: seconds per attempt.
    :param interval: seconds between attempts.
    :param attempts: attempts before the check fails.
    """

    initial_delay: float = 0.0
    timeout: float = 1.0
    interval: float = 1.0
    attempts: int = 3

    @classmethod
    def from_spec(cls, check: Any) -> CheckTiming:
        """Read a CheckSpec dict (already validated), tolerating gaps."""
        if not isinstance(check, Mapping):
            return cls()
        attempts = check.get("attempts")
        return cls(
            initial_delay=duration_seconds(check.get("initialDelay"), 0.0),
            timeout=duration_seconds(check.get("timeout"), 1.0),
            interval=duration_seconds(check.get("interval"), 1.0),
            attempts=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts > 0 else 3,
        )

    @property
    def budget(self) -> float:
        """Drove's ``T(check) = initialDelay + attempts x (timeout + interval)`` (§7.1)."""
        return self.initial_delay + self.attempts * (self.timeout + self.interval)


@dataclass(frozen=True)
class Behaviour:
    """How one simulated container (app instance or task) behaves.

    :param scenarios: the failure scenarios chosen (words of :data:`KNOWN_SCENARIOS`).
    :param pull_seconds: how long the image pull takes.
    :param pull_timeout: ``dockerPullTimeout`` in seconds.
    :param startup_seconds: how long ``docker run`` takes (the STARTING state).
    :param unhealthy_after: seconds HEALTHY before turning UNHEALTHY (``unhealthy-after`` only).
    :param lost_after: seconds HEALTHY (app) or RUNNING (task) before its executor stops reporting
        it (``lost-after`` only).
    :param exit_code: a task's exit code.
    :param run_seconds: how long a task runs.
    :param output: extra lines the container prints.
    :param image: the image URL.
    """

    scenarios: frozenset[str] = frozenset()
    pull_seconds: float = DEFAULT_PULL_SECONDS
    pull_timeout: float = 100.0
    startup_seconds: float = DEFAULT_STARTUP_SECONDS
    unhealthy_after: float = DEFAULT_UNHEALTHY_AFTER
    lost_after: float = DEFAULT_LOST_AFTER
    exit_code: int = 0
    run_seconds: float = DEFAULT_TASK_RUN_SECONDS
    output: tuple[str, ...] = field(default_factory=tuple)
    image: str = ""

    def has(self, scenario: str) -> bool:
        """Whether the scenario was chosen."""
        return scenario in self.scenarios

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Behaviour:
        """Read the knobs from an app or task spec dict (already validated)."""
        executable = spec.get("executable") if isinstance(spec.get("executable"), Mapping) else {}
        image = str(executable.get("url") or "")
        raw_env = spec.get("env")
        env: Mapping[str, Any] = raw_env if isinstance(raw_env, Mapping) else {}
        chosen = {word for word in KNOWN_SCENARIOS if word in image.lower()}
        for word in str(env.get(ENV_SCENARIO, "")).split(","):
            if word.strip().lower() in KNOWN_SCENARIOS:
                chosen.add(word.strip().lower())
        try:
            exit_code = int(str(env.get(ENV_EXIT_CODE, "0")).strip())
        except ValueError:
            exit_code = 1
        output = tuple(line for line in str(env.get(ENV_OUTPUT, "")).splitlines() if line)
        return cls(
            scenarios=frozenset(chosen),
            pull_seconds=_env_float(env, ENV_PULL_SECONDS, DEFAULT_PULL_SECONDS),
            pull_timeout=duration_seconds(executable.get("dockerPullTimeout"), 100.0),
            startup_seconds=_env_float(env, ENV_STARTUP_SECONDS, DEFAULT_STARTUP_SECONDS),
            unhealthy_after=_env_float(env, ENV_UNHEALTHY_AFTER, DEFAULT_UNHEALTHY_AFTER),
            lost_after=_env_float(env, ENV_LOST_AFTER, DEFAULT_LOST_AFTER),
            exit_code=max(-(2**63), min(2**63 - 1, exit_code)),
            run_seconds=_env_float(env, ENV_RUN_SECONDS, DEFAULT_TASK_RUN_SECONDS),
            output=output,
            image=image,
        )


def heartbeat(created: float, changed: float, now: float, silent_since: float | None) -> float:
    """The ``updated`` an executor last reported: every change, and a 20 s snapshot while it reports (§11).

    :param silent_since: when the executor stopped reporting the container (None: it still does).
    """
    until = now if silent_since is None else min(now, silent_since)
    return max(changed, created + HEARTBEAT_SECONDS * int(max(0.0, until - created) // HEARTBEAT_SECONDS))


def pull_error(image: str) -> str:
    """The error Drove's executor reports when Docker cannot pull ``image`` (docker-java's 404)."""
    repo = re.sub(r"[:@].*$", "", image.split("/", 1)[-1]) if "/" in image else re.sub(r"[:@].*$", "", image)
    return (
        f"Error while pulling image {image}: Status 404: "
        f'{{"message":"pull access denied for {repo}, repository does not exist or may require '
        "'docker login': denied: requested access to the resource is denied\"}"
    )


def pull_timeout_error(image: str, seconds: float) -> str:
    """The error for a pull that outlasts ``dockerPullTimeout``."""
    return f"Image pull timed out for {image} after {seconds:g} seconds"


def start_error(image: str) -> str:
    """The error for a container Docker could not start."""
    return (
        f"Error starting container for {image}: Status 400: "
        '{"message":"failed to create task for container: failed to create shim task: OCI runtime create '
        'failed: runc create failed: unable to start container process: exec: \\"/entrypoint.sh\\": '
        'stat /entrypoint.sh: no such file or directory: unknown"}'
    )
