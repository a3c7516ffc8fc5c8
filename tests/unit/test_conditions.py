"""Table-driven tests of the pure app wait conditions, on Drove's wire JSON (drove-api.md §6.1, §9)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_drove.drove.conditions import (
    AppCondition,
    AppSnapshot,
    Outcome,
    describe_app,
    evaluate_app,
    failures_before_window,
    new_failures,
    state_condition,
)
from airflow_provider_drove.drove.models import AppSummary, InstanceInfo
from airflow_provider_drove.exceptions import DroveInputError

APP = "TEST_APP-1"


def app(state: str | None = "RUNNING", required: int = 3, healthy: int = 3) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": APP,
        "name": "TEST_APP",
        "requiredInstances": required,
        "healthyInstances": healthy,
        "totalCPUs": required,
        "totalMemory": 128 * required,
        "tags": {},
        "created": 1719826995764,
        "updated": 1719892279019,
    }
    if state is not None:
        data["state"] = state
    return data


def inst(iid: str, state: str = "HEALTHY", error: str = "", updated: int = 1719893180105) -> dict[str, Any]:
    return {
        "appId": APP,
        "appName": "TEST_APP",
        "instanceId": iid,
        "executorId": "ex-1",
        "state": state,
        "metadata": {},
        "errorMessage": error,
        "created": updated - 1000,
        "updated": updated,
    }


PULL_ERROR = "Error pulling image docker.io/acme/pull-fail:1: manifest unknown"


def snap(app_json: dict | None, active: list[dict] = (), old: list[dict] = ()) -> AppSnapshot:
    # Round-trip through JSON text so the tests see exactly what the hooks would parse.
    parse = lambda d: json.loads(json.dumps(d))  # noqa: E731
    return AppSnapshot(
        app=None if app_json is None else AppSummary.from_wire(parse(app_json)),
        instances=[InstanceInfo.from_wire(parse(i)) for i in active],
        old_instances=[InstanceInfo.from_wire(parse(i)) for i in old],
    )


SCALE3 = AppCondition(kind="counts", required_instances=3, expect_change=True)
SCALE0 = AppCondition(kind="counts", required_instances=0, expect_change=True)
HEALTHY = AppCondition(kind="healthy")
GONE = AppCondition(kind="gone", expect_change=True)
REPLACE = AppCondition(kind="replaced", instance_ids=("AI-1", "AI-2"), expect_change=True)
STOP = AppCondition(kind="stopped", instance_ids=("AI-1",), required_instances=2, expect_change=True)

CASES = [
    # (id, condition, snapshot, effect_seen_before, expected outcome, text expected in the message)
    ("scale done", SCALE3, snap(app("RUNNING", 3, 3), [inst("a"), inst("b"), inst("c")]), False, "done", "3/3 healthy"),
    (
        "scale in progress",
        SCALE3,
        snap(app("SCALING_REQUESTED", 3, 2), [inst("a"), inst("b"), inst("c", "STARTING")]),
        False,
        "waiting",
        "TEST_APP-1 SCALING_REQUESTED: 2/3 healthy (1 STARTING)",
    ),
    # §7.5: idle, count never moved: the SCALE was dropped with a 200.
    ("scale dropped", SCALE3, snap(app("RUNNING", 1, 1), [inst("a")]), False, "dropped", "no effect"),
    # Count moved then went back: a cancel rolled it back (§7.6).
    ("scale rolled back", SCALE3, snap(app("RUNNING", 2, 2)), True, "failed", "went back to 2"),
    # Idle with the right count but not all healthy: the monitor will RECOVER; keep waiting.
    ("idle short of healthy", SCALE3, snap(app("RUNNING", 3, 2)), False, "waiting", "2/3 healthy"),
    ("scale to zero done", SCALE0, snap(app("MONITORING", 0, 0)), False, "done", "MONITORING: 0/0"),
    (
        "pull failures beyond tolerance",
        SCALE3,
        snap(
            app("SCALING_REQUESTED", 3, 0),
            [inst("n5", "PROVISIONING")],
            [inst(f"f{i}", "PROVISIONING_FAILED", PULL_ERROR, 1719893180105 + i) for i in range(4)],
        ),
        False,
        "failed",
        PULL_ERROR,
    ),
    (
        "failures within tolerance",
        SCALE3,
        snap(
            app("SCALING_REQUESTED", 3, 0),
            [],
            [inst(f"f{i}", "STOPPED", PULL_ERROR) for i in range(3)],
        ),
        False,
        "waiting",
        "3 instance failure(s) so far",
    ),
    (
        "old failures before the wait are ignored",
        SCALE3.with_known_failures(["f0", "f1", "f2", "f3"]),
        snap(app("SCALING_REQUESTED", 3, 1), [], [inst(f"f{i}", "PROVISIONING_FAILED", PULL_ERROR) for i in range(4)]),
        False,
        "waiting",
        "1/3 healthy",
    ),
    (
        "normal stops are not failures",
        SCALE0,
        snap(app("SCALING_REQUESTED", 0, 1), [inst("a", "STOPPING")], [inst(f"s{i}", "STOPPED") for i in range(5)]),
        False,
        "waiting",
        "(1 STOPPING)",
    ),
    ("app gone while scaling", SCALE3, snap(None), True, "failed", "does not exist"),
    ("healthy sensor done", HEALTHY, snap(app("RUNNING", 2, 2)), False, "done", "2/2"),
    ("healthy sensor mid-op", HEALTHY, snap(app("SCALING_REQUESTED", 2, 2)), False, "waiting", "SCALING_REQUESTED"),
    ("healthy sensor short", HEALTHY, snap(app("RUNNING", 3, 1)), False, "waiting", "1/3"),
    (
        "healthy sensor minimum",
        AppCondition(kind="healthy", min_healthy_instances=1),
        snap(app("MONITORING", 0, 0)),
        False,
        "waiting",
        "at least 1 healthy",
    ),
    ("healthy sensor app missing", HEALTHY, snap(None), False, "failed", "does not exist"),
    ("state target", state_condition(["MONITORING"]), snap(app("MONITORING", 0, 0)), False, "done", "MONITORING"),
    (
        "state failure",
        state_condition(["RUNNING"], ["OUTAGE_DETECTED"]),
        snap(app("OUTAGE_DETECTED", 1, 0)),
        False,
        "failed",
        "failure states",
    ),
    ("state waiting", state_condition(["RUNNING"]), snap(app("SCALING_REQUESTED", 1, 0)), False, "waiting", ""),
    ("state gone", state_condition(["RUNNING"]), snap(None), False, "failed", "does not exist"),
    ("state gone is target", state_condition(["DESTROYED"]), snap(None), False, "done", ""),
    ("destroy done", GONE, snap(None), False, "done", "does not exist"),
    ("destroy dropped", GONE, snap(app("MONITORING", 0, 0)), False, "dropped", "no effect"),
    ("destroy in progress", GONE, snap(app("DESTROY_REQUESTED", 0, 0)), False, "waiting", "DESTROY_REQUESTED"),
    (
        "replace in progress",
        REPLACE,
        snap(app("REPLACE_INSTANCES_REQUESTED", 2, 2), [inst("AI-2"), inst("AI-3")]),
        False,
        "waiting",
        "[1/2 replaced]",
    ),
    ("replace done", REPLACE, snap(app("RUNNING", 2, 2), [inst("AI-3"), inst("AI-4")]), False, "done", "2/2 replaced"),
    (
        "replace done but count not back",
        REPLACE,
        snap(app("RUNNING", 2, 1), [inst("AI-3")]),
        True,
        "waiting",
        "1/2 healthy",
    ),
    ("replace dropped", REPLACE, snap(app("RUNNING", 2, 2), [inst("AI-1"), inst("AI-2")]), False, "dropped", ""),
    (
        "replace cancelled half way",
        REPLACE,
        snap(app("RUNNING", 2, 2), [inst("AI-2"), inst("AI-3")]),
        True,
        "failed",
        "still running (AI-2)",
    ),
    ("stop done", STOP, snap(app("RUNNING", 2, 2), [inst("AI-2"), inst("AI-3")]), False, "done", "1/1 stopped"),
    (
        "stop in progress",
        STOP,
        snap(app("STOP_INSTANCES_REQUESTED", 3, 2), [inst("AI-1", "STOPPING"), inst("AI-2"), inst("AI-3")]),
        False,
        "waiting",
        "0/1 stopped",
    ),
    ("unknown state kept as text", HEALTHY, snap(app("SOME_NEW_STATE", 1, 1)), False, "waiting", "SOME_NEW_STATE"),
    ("dead app state", HEALTHY, snap(app("DESTROYED", 0, 0)), False, "failed", "cannot get there"),
]


@pytest.mark.parametrize(
    ("condition", "snapshot", "effect_before", "expected", "text"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_evaluate_app(
    condition: AppCondition, snapshot: AppSnapshot, effect_before: bool, expected: str, text: str
) -> None:
    verdict = evaluate_app(APP, snapshot, condition, effect_seen=effect_before)
    assert verdict.status == Outcome(expected), verdict.message
    assert text in verdict.message
    assert "\n" not in verdict.message


def test_effect_seen_carries_over_and_is_returned() -> None:
    first = evaluate_app(APP, snap(app("SCALING_REQUESTED", 3, 1)), SCALE3)
    assert (first.status, first.effect_seen) == (Outcome.WAITING, True)
    # The same rolled-back snapshot is "dropped" before the effect was seen, "failed" after.
    rolled = snap(app("RUNNING", 1, 1))
    assert evaluate_app(APP, rolled, SCALE3).status == Outcome.DROPPED
    assert evaluate_app(APP, rolled, SCALE3, effect_seen=first.effect_seen).status == Outcome.FAILED


def test_failure_message_lists_newest_error_first_and_counts() -> None:
    old = [inst("f0", "START_FAILED", "container exited with 1", 100), *[
        inst(f"f{i}", "PROVISIONING_FAILED", PULL_ERROR, 200 + i) for i in range(1, 4)
    ]]
    verdict = evaluate_app(APP, snap(app("SCALING_REQUESTED", 3, 0), [], old), SCALE3)
    assert verdict.status == Outcome.FAILED
    assert "4 instances failed since the wait began (max_instance_failures=3)" in verdict.message
    assert verdict.message.index(PULL_ERROR) < verdict.message.index("container exited with 1")


def test_no_tolerance_limit() -> None:
    condition = AppCondition(kind="counts", required_instances=3, max_instance_failures=None)
    old = [inst(f"f{i}", "PROVISIONING_FAILED", PULL_ERROR) for i in range(10)]
    assert evaluate_app(APP, snap(app("SCALING_REQUESTED", 3, 0), [], old), condition).status == Outcome.WAITING


def test_lost_instance_without_message_is_a_failure() -> None:
    s = snap(app(), [], [inst("l1", "LOST"), inst("s1", "STOPPED")])
    assert [i.instance_id for i in new_failures(s, ())] == ["l1"]


def test_describe_app_without_state() -> None:
    assert describe_app(APP, snap(app(None, 1, 0))) == "TEST_APP-1 (no state): 0/1 healthy"


def test_condition_json_round_trip() -> None:
    condition = AppCondition(
        kind="replaced",
        instance_ids=["AI-1", "AI-2"],
        known_failure_ids=["f0"],
        max_instance_failures=5,
        expect_change=True,
    )
    data = condition.to_json()
    assert data == {
        "kind": "replaced",
        "required_instances": None,
        "healthy_instances": None,
        "min_healthy_instances": None,
        "target_states": [],
        "failure_states": [],
        "instance_ids": ["AI-1", "AI-2"],
        "known_failure_ids": ["f0"],
        "max_instance_failures": 5,
        "expect_change": True,
    }
    assert json.loads(json.dumps(data)) == data
    assert AppCondition.from_json(json.loads(json.dumps(data))) == condition


@pytest.mark.parametrize(
    ("targets", "failures", "field"),
    [
        (["RUNNING"], ["running"], "failure_states"),
        ([], [], "target_states"),
        (["HEALTHY"], [], "target_states"),
        (["RUNNING"], ["NOPE"], "failure_states"),
    ],
)
def test_state_condition_rejects_bad_states(targets: list[str], failures: list[str], field: str) -> None:
    with pytest.raises(DroveInputError) as err:
        state_condition(targets, failures)
    assert err.value.field == field


def test_state_condition_normalises_case() -> None:
    assert state_condition("running", ["outage_detected"]).target_states == ("RUNNING",)


def test_unknown_kind_rejected() -> None:
    with pytest.raises(DroveInputError, match="condition.kind"):
        AppCondition(kind="bogus")


def test_failures_before_window_uses_drove_clock() -> None:
    # Drove's "now" is the newest timestamp, the live instance; a 600 s window keeps f2 only.
    now = 1719893180105
    s = snap(
        app("SCALING_REQUESTED", 1, 0),
        [inst("live", "PROVISIONING", updated=now)],
        [inst("f1", "PROVISIONING_FAILED", PULL_ERROR, updated=now - 1_000_000),
         inst("f2", "PROVISIONING_FAILED", PULL_ERROR, updated=now - 300_000)],
    )
    assert failures_before_window(s, 600) == ("f1",)
    assert failures_before_window(snap(app(), [], []), 600) == ()
