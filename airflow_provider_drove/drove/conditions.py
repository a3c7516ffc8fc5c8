"""Pure wait conditions for Drove applications: one definition of "done" for every wait.

The operators' synchronous wait, the sensors' ``poke()`` and the trigger's ``run()`` all do the
same three steps: fetch an :class:`AppSnapshot`, call :func:`evaluate_app`, sleep. Because the
decision lives here, with no I/O, the three cannot disagree, and it is unit-tested on plain JSON.

What is waited for travels as data, an :class:`AppCondition` (JSON-serialisable, so a trigger can
carry it). The kinds:

``counts``
    The true outcome of SCALE / START_INSTANCES / SUSPEND / CREATE with instances / cancel
    (``drove-api.md`` §9.1): the state is back in RUNNING or MONITORING with ``requiredInstances``
    and ``healthyInstances`` equal to the target.
``healthy``
    The app is idle and ``healthyInstances`` has reached ``requiredInstances`` (and an optional
    minimum of its own).
``state``
    The state is one of ``target_states``; a state in ``failure_states`` fails the wait. A missing
    app fails it, unless ``DESTROYED`` is a target.
``gone``
    The app no longer exists (DESTROY, §7.4).
``replaced``
    Every instance listed in ``instance_ids`` has left the active list, the app is idle and the
    healthy count is back to ``requiredInstances`` (REPLACE_INSTANCES).
``stopped``
    Every instance listed in ``instance_ids`` has left the active list and the app is idle
    (STOP_INSTANCES); with ``required_instances`` set, that count must also be reached.

Two Drove behaviours shape the verdicts:

* A SCALE sent while another scale runs is dropped with a 200 (§7.5). With
  ``expect_change=True`` a condition reports :attr:`Outcome.DROPPED` while the app sits idle and
  the submitted operation has not shown any effect yet; the caller resubmits once that persists.
* A scale that can never become healthy loops forever (§1.9). New entries in
  ``/instances/old`` carrying an error (e.g. ``PROVISIONING_FAILED`` with the image pull error)
  count as failures; more than ``max_instance_failures`` of them fail the wait with Drove's text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove.states import (
    FAILED_INSTANCE_STATES,
    IDLE_APP_STATES,
    ApplicationState,
    InstanceState,
)
from airflow_provider_drove.exceptions import DroveInputError

if TYPE_CHECKING:
    from airflow_provider_drove.drove.models import AppSummary, InstanceInfo

#: The kinds of condition :func:`evaluate_app` understands.
CONDITION_KINDS = frozenset({"counts", "healthy", "state", "gone", "replaced", "stopped"})

#: Every application state name Drove knows (for validating user-given target/failure states).
APP_STATE_NAMES = frozenset(s.value for s in ApplicationState)

_IDLE = frozenset(s.value for s in IDLE_APP_STATES)
_FAILED_INSTANCE = frozenset(s.value for s in FAILED_INSTANCE_STATES)
_GONE_STATES = frozenset({ApplicationState.DESTROYED.value})
_DEAD_STATES = frozenset({ApplicationState.DESTROYED.value, ApplicationState.FAILED.value})

_TUPLE_FIELDS = ("target_states", "failure_states", "instance_ids", "known_failure_ids")

#: Default number of new instance failures a wait tolerates before failing early.
DEFAULT_MAX_INSTANCE_FAILURES = 3


class Outcome(str, Enum):
    """What a wait should do after one evaluation."""

    DONE = "done"
    WAITING = "waiting"
    FAILED = "failed"
    #: The app is idle and the submitted operation shows no effect: Drove may have dropped it.
    DROPPED = "dropped"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Verdict:
    """The result of one evaluation.

    :param status: done, waiting, failed or dropped.
    :param message: one human line, e.g. ``TEST_APP-1 SCALING_REQUESTED: 2/3 healthy (1 STARTING)``.
    :param effect_seen: whether the submitted operation has visibly taken effect so far; pass it
        back into the next :func:`evaluate_app` call.
    """

    status: Outcome
    message: str
    effect_seen: bool = False


@dataclass(frozen=True)
class AppSnapshot:
    """What one poll fetched: the app (``None`` when Drove says it does not exist) and its instances.

    :param app: ``GET /applications/{id}``, or ``None`` on a lookup miss.
    :param instances: ``GET /applications/{id}/instances`` (the active instances).
    :param old_instances: ``GET /applications/{id}/instances/old`` (stopped, lost, failed).
    """

    app: AppSummary | None
    instances: Sequence[InstanceInfo] = ()
    old_instances: Sequence[InstanceInfo] = ()


@dataclass(frozen=True)
class AppCondition:
    """What a wait is waiting for; plain data that round-trips through JSON.

    :param kind: one of :data:`CONDITION_KINDS`.
    :param required_instances: ``counts``: the target ``requiredInstances``; ``stopped``: the
        ``requiredInstances`` expected at the end (``skipRespawn``); otherwise unused.
    :param healthy_instances: ``counts``: the target ``healthyInstances`` (default: the required one).
    :param min_healthy_instances: ``healthy``: a minimum healthy count of its own.
    :param target_states: ``state``: the states that end the wait successfully.
    :param failure_states: ``state``: the states that fail it.
    :param instance_ids: ``replaced`` / ``stopped``: the instance ids that must leave.
    :param known_failure_ids: ids already in ``/instances/old`` before the wait began; only newer
        failures count.
    :param max_instance_failures: how many new instance failures are tolerated; ``None`` never
        fails on them.
    :param expect_change: an operation was just submitted, so report :attr:`Outcome.DROPPED`
        while the app is idle and the operation shows no effect.
    """

    kind: str
    required_instances: int | None = None
    healthy_instances: int | None = None
    min_healthy_instances: int | None = None
    target_states: tuple[str, ...] = ()
    failure_states: tuple[str, ...] = ()
    instance_ids: tuple[str, ...] = ()
    known_failure_ids: tuple[str, ...] = ()
    max_instance_failures: int | None = DEFAULT_MAX_INSTANCE_FAILURES
    expect_change: bool = False

    def __post_init__(self) -> None:
        if self.kind not in CONDITION_KINDS:
            raise DroveInputError("condition.kind", f"must be one of {sorted(CONDITION_KINDS)}, got {self.kind!r}")
        # Lists given by callers (or by JSON) become tuples so the condition stays hashable/frozen.
        for name in _TUPLE_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def to_json(self) -> dict[str, Any]:
        """The condition as plain JSON values (lists, not tuples), for a trigger's ``serialize()``."""
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AppCondition:
        """Rebuild a condition from :meth:`to_json` output; unknown keys are ignored.

        :param data: the JSON dict.
        :return: the condition.
        """
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def with_known_failures(self, ids: Iterable[str]) -> AppCondition:
        """A copy whose failure baseline is ``ids``.

        :param ids: instance ids already in ``/instances/old``.
        :return: the new condition.
        """
        return _replace(self, known_failure_ids=tuple(ids))


def _replace(condition: AppCondition, **changes: Any) -> AppCondition:
    data = condition.to_json()
    data.update(changes)
    return AppCondition.from_json(data)


def validate_state_names(field_name: str, states: Iterable[str]) -> tuple[str, ...]:
    """Normalise user-given app state names, rejecting ones Drove does not have.

    :param field_name: the parameter name for the error, e.g. ``target_states``.
    :param states: a state name, or several.
    :return: the upper-cased names.
    :raises DroveInputError: for an unknown name or an empty list.
    """
    if isinstance(states, str):
        states = [states]
    result: list[str] = []
    for state in states:
        name = str(getattr(state, "value", state)).strip().upper()
        if name not in APP_STATE_NAMES:
            raise DroveInputError(
                field_name, f"{state!r} is not a Drove application state; use one of {sorted(APP_STATE_NAMES)}"
            )
        result.append(name)
    return tuple(result)


def state_condition(
    target_states: Iterable[str],
    failure_states: Iterable[str] = (),
    *,
    max_instance_failures: int | None = DEFAULT_MAX_INSTANCE_FAILURES,
) -> AppCondition:
    """Build a ``state`` condition, checking the state names and that targets and failures differ.

    :param target_states: states that end the wait successfully.
    :param failure_states: states that fail it.
    :param max_instance_failures: see :class:`AppCondition`.
    :return: the condition.
    :raises DroveInputError: naming ``target_states`` or ``failure_states``.
    """
    targets = validate_state_names("target_states", target_states)
    if not targets:
        raise DroveInputError("target_states", "give at least one state to wait for, e.g. ['RUNNING']")
    failures = validate_state_names("failure_states", failure_states)
    both = sorted(set(targets) & set(failures))
    if both:
        raise DroveInputError(
            "failure_states", f"{both} also appear in target_states; a state cannot both end and fail the wait"
        )
    return AppCondition(
        kind="state", target_states=targets, failure_states=failures, max_instance_failures=max_instance_failures
    )


# ---------------------------------------------------------------------------------------------
# Reading the models. Attribute access only, so plain objects with the same names work too.
# ---------------------------------------------------------------------------------------------


def _name(value: Any) -> str:
    """An enum member or raw string as its wire name."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def app_state(app: AppSummary | None) -> str:
    """The app's state name, ``""`` when Drove left it out (§6.1: no state machine on the leader)."""
    return _name(getattr(app, "state", None)) if app is not None else ""


def _required(app: AppSummary) -> int:
    return int(getattr(app, "required_instances", None) or 0)


def _healthy(app: AppSummary) -> int:
    return int(getattr(app, "healthy_instances", None) or 0)


def _sort_key(instance: InstanceInfo) -> float:
    stamp = getattr(instance, "updated", None) or getattr(instance, "created", None)
    if stamp is None:
        return 0.0
    return float(stamp.timestamp()) if hasattr(stamp, "timestamp") else float(stamp)


def is_failed_instance(instance: InstanceInfo) -> bool:
    """Whether an instance record reports a failure: an error message, or an error-flagged state.

    :param instance: an entry of ``/instances`` or ``/instances/old``.
    :return: ``True`` for e.g. ``PROVISIONING_FAILED`` with the pull error, or ``LOST``.
    """
    return bool((getattr(instance, "error_message", "") or "").strip()) or _name(instance.state) in _FAILED_INSTANCE


def new_failures(snapshot: AppSnapshot, known_ids: Iterable[str]) -> list[InstanceInfo]:
    """Failed instance records not in the baseline, oldest first.

    :param snapshot: the poll's data.
    :param known_ids: ids present in ``/instances/old`` before the wait began.
    :return: the new failures.
    """
    known = set(known_ids)
    seen: set[str] = set()
    result = []
    for inst in [*snapshot.old_instances, *snapshot.instances]:
        if inst.instance_id in known or inst.instance_id in seen or not is_failed_instance(inst):
            continue
        seen.add(inst.instance_id)
        result.append(inst)
    return sorted(result, key=_sort_key)


def failures_before_window(snapshot: AppSnapshot, window_seconds: float) -> tuple[str, ...]:
    """Ids of failed instances older than ``window_seconds`` before the newest time Drove reports.

    A stateless failure baseline for waits that cannot remember the ids of an earlier poll
    (reschedule-mode sensors): "now" is the newest ``updated`` in the snapshot, on Drove's own
    clock (live instances are refreshed every 20 s, §9.2), so no clock skew creeps in.

    :param snapshot: the poll's data.
    :param window_seconds: how far back failures still count.
    :return: the ids to ignore.
    """
    stamps = [_sort_key(i) for i in [*snapshot.instances, *snapshot.old_instances]]
    app_updated = getattr(snapshot.app, "updated", None) if snapshot.app is not None else None
    if app_updated is not None and hasattr(app_updated, "timestamp"):
        stamps.append(float(app_updated.timestamp()))
    if not stamps:
        return ()
    cutoff = max(stamps) - window_seconds
    return tuple(i.instance_id for i in snapshot.old_instances if _sort_key(i) < cutoff)


def describe_app(app_id: str, snapshot: AppSnapshot) -> str:
    """One line saying where the app stands, e.g. ``TEST_APP-1 SCALING_REQUESTED: 2/3 healthy (1 STARTING)``.

    :param app_id: the app id (used when the app is missing).
    :param snapshot: the poll's data.
    :return: the line.
    """
    app = snapshot.app
    if app is None:
        return f"{app_id} does not exist"
    state = app_state(app) or "(no state)"
    line = f"{getattr(app, 'id', None) or app_id} {state}: {_healthy(app)}/{_required(app)} healthy"
    others = Counter(_name(i.state) for i in snapshot.instances if _name(i.state) != InstanceState.HEALTHY.value)
    if others:
        line += " (" + ", ".join(f"{n} {s}" for s, n in sorted(others.items())) + ")"
    return line


def _failure_text(failures: Sequence[InstanceInfo]) -> str:
    texts: list[str] = []
    for inst in reversed(failures):  # newest first: the latest error is the most relevant
        # Drove's own words; the record's state is often just STOPPED after cleanup, so it is
        # shown only when Drove gave no message (e.g. LOST).
        text = (inst.error_message or "").strip() or f"instance {_name(inst.state)}"
        if text not in texts:
            texts.append(text)
    shown = "; ".join(texts[:3])
    return shown + (f" (+{len(texts) - 3} other errors)" if len(texts) > 3 else "")


def _active_ids(snapshot: AppSnapshot) -> set[str]:
    return {i.instance_id for i in snapshot.instances}


def _ids_left(condition: AppCondition, snapshot: AppSnapshot) -> list[str]:
    """Ids of ``condition.instance_ids`` still in the active list."""
    active = _active_ids(snapshot)
    return [i for i in condition.instance_ids if i in active]


def _effect_seen(condition: AppCondition, snapshot: AppSnapshot) -> bool:
    """Whether the app shows the submitted operation took effect (not a dropped op, §7.5)."""
    app = snapshot.app
    if condition.kind == "gone":
        return app is None or app_state(app) in {
            ApplicationState.DESTROY_REQUESTED.value,
            ApplicationState.DESTROYED.value,
        }
    if app is None:
        return False
    state = app_state(app)
    if condition.kind == "counts":
        # Drove writes requiredInstances the moment the app enters SCALING_REQUESTED (§7.4); a state
        # change alone could be another client's op, so only the count proves ours was applied.
        return condition.required_instances is None or _required(app) == condition.required_instances
    if condition.kind in ("replaced", "stopped"):
        busy = {
            "replaced": ApplicationState.REPLACE_INSTANCES_REQUESTED.value,
            "stopped": ApplicationState.STOP_INSTANCES_REQUESTED.value,
        }[condition.kind]
        return state == busy or len(_ids_left(condition, snapshot)) < len(condition.instance_ids)
    return True


def _is_done(condition: AppCondition, snapshot: AppSnapshot) -> tuple[bool, str]:
    """Whether the condition holds, plus a suffix for the progress line."""
    app = snapshot.app
    kind = condition.kind
    if kind == "gone":
        return (app is None or app_state(app) in _GONE_STATES), ""
    if kind == "state":
        targets = set(condition.target_states)
        if app is None:
            return ApplicationState.DESTROYED.value in targets, ""
        return app_state(app) in targets, ""
    if app is None:
        return False, ""
    idle = app_state(app) in _IDLE
    if kind == "counts":
        required = _required(app) if condition.required_instances is None else condition.required_instances
        healthy = required if condition.healthy_instances is None else condition.healthy_instances
        suffix = f" [target {healthy}/{required}]"
        return idle and _required(app) == required and _healthy(app) == healthy, suffix
    if kind == "healthy":
        minimum = condition.min_healthy_instances or 0
        suffix = f" [at least {minimum} healthy]" if minimum else ""
        ok = _healthy(app) >= _required(app) and _healthy(app) >= minimum
        return idle and ok, suffix
    left = _ids_left(condition, snapshot)
    total = len(condition.instance_ids)
    if kind == "replaced":
        suffix = f" [{total - len(left)}/{total} replaced]"
        return idle and not left and _healthy(app) == _required(app), suffix
    if kind == "stopped":
        suffix = f" [{total - len(left)}/{total} stopped]"
        counts_ok = condition.required_instances is None or _required(app) == condition.required_instances
        return idle and not left and counts_ok, suffix
    raise AssertionError(f"unhandled condition kind {kind!r}")  # pragma: no cover - guarded in __post_init__


def evaluate_app(
    app_id: str, snapshot: AppSnapshot, condition: AppCondition, *, effect_seen: bool = False
) -> Verdict:
    """Decide, from one poll, whether a wait is done, must go on, failed, or saw a dropped op.

    :param app_id: the app waited on.
    :param snapshot: what the poll fetched.
    :param condition: what is waited for.
    :param effect_seen: the :attr:`Verdict.effect_seen` of the previous evaluation (``False`` first).
    :return: the verdict, with a one-line message for the log.
    """
    app = snapshot.app
    line = describe_app(app_id, snapshot)
    effect_seen = effect_seen or not condition.expect_change or _effect_seen(condition, snapshot)
    done, suffix = _is_done(condition, snapshot)
    line += suffix
    if done and effect_seen:
        return Verdict(Outcome.DONE, line, True)

    state = app_state(app)
    if condition.kind == "state" and state in condition.failure_states:
        return Verdict(Outcome.FAILED, f"{line}; {state} is one of the failure states {list(condition.failure_states)}")
    if app is None and condition.kind != "gone":
        return Verdict(
            Outcome.FAILED, f"{app_id} does not exist (it was never created, or it has been destroyed)", effect_seen
        )
    if state in _DEAD_STATES and condition.kind != "gone":
        return Verdict(Outcome.FAILED, f"{line}; the app is {state} and cannot get there any more", effect_seen)

    if condition.kind != "gone" and condition.max_instance_failures is not None:
        failures = new_failures(snapshot, condition.known_failure_ids)
        if len(failures) > condition.max_instance_failures:
            return Verdict(
                Outcome.FAILED,
                f"{line}; {len(failures)} instances failed since the wait began "
                f"(max_instance_failures={condition.max_instance_failures}): {_failure_text(failures)}",
                effect_seen,
            )
        if failures:
            line += f"; {len(failures)} instance failure(s) so far, last: {_failure_text(failures[-1:])}"

    idle = state in _IDLE
    if condition.expect_change and idle and not effect_seen:
        return Verdict(Outcome.DROPPED, f"{line}; the operation shows no effect yet (Drove may have dropped it)")
    if condition.expect_change and idle and effect_seen and condition.kind == "counts":
        if condition.required_instances is not None and _required(app) != condition.required_instances:
            return Verdict(
                Outcome.FAILED,
                f"{line}; requiredInstances went back to {_required(app)} instead of "
                f"{condition.required_instances}: the operation was cancelled or overridden by another one",
                effect_seen,
            )
    if condition.expect_change and idle and effect_seen and condition.kind in ("replaced", "stopped"):
        left = _ids_left(condition, snapshot)
        # Back to idle with listed instances still running: the operation ended short (cancelled).
        if left:
            return Verdict(
                Outcome.FAILED,
                f"{line}; the operation ended with {len(left)} of the listed instances still running "
                f"({', '.join(left)}): it was cancelled or could not finish",
                effect_seen,
            )
    return Verdict(Outcome.WAITING, line, effect_seen)
