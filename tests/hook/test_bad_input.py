"""Bad input raises DroveInputError naming the field before any request leaves the hook.

The connection points at a live emulator, so a request that did go out would succeed or fail
differently; ``drove.sent`` proves none did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_drove.exceptions import DroveInputError
from tests.hook.conftest import APP_SPEC, HookRunner, app_spec, task_spec

OP = {"timeout": "5m", "parallelism": 1, "failureStrategy": "STOP"}

CASES: list[tuple[str, Callable[[HookRunner], Any], str]] = [
    ("missing app id", lambda d: d.get_application(""), "app_id"),
    ("app id with a slash", lambda d: d.get_application("a/../b"), "app_id"),
    ("app id not a string", lambda d: d.get_application_spec(None), "app_id"),
    ("scale over Drove's limit", lambda d: d.scale_application("A-1", 2049), "required_instances"),
    ("negative scale", lambda d: d.scale_application("A-1", -1), "required_instances"),
    ("start over the START limit", lambda d: d.start_instances("A-1", 1025), "instances"),
    ("bad duration", lambda d: d.scale_application("A-1", 1, op_spec={**OP, "timeout": "1.5s"}), "op_spec"),
    ("parallelism 0", lambda d: d.suspend_application("A-1", op_spec={**OP, "parallelism": 0}), "op_spec"),
    ("no failure strategy CONTINUE", lambda d: d.destroy_application("A-1", op_spec={**OP, "failureStrategy": "CONTINUE"}), "op_spec"),
    ("stop without ids", lambda d: d.stop_instances("A-1", []), "instance_ids"),
    ("unknown op type", lambda d: d.submit_operation({"type": "RESTART", "appId": "A-1"}), "operation"),
    ("scale without a count", lambda d: d.submit_operation({"type": "SCALE", "appId": "A-1", "opSpec": OP}), "operation"),
    ("spec without placement", lambda d: d.create_application(app_spec(placementPolicy=None)), "spec"),
    ("bad health port", lambda d: d.validate_application_spec(app_spec(exposedPorts=[{"name": "x", "port": 1, "type": "HTTP"}])), "spec"),
    ("task spec without id", lambda d: d.create_task(task_spec(taskId="")), "spec"),
    ("kill without task id", lambda d: d.kill_task("AF_DEMO", ""), "task_id"),
    ("unknown instance state", lambda d: d.list_instances("A-1", states=["healthy"]), "states[0]"),
    ("negative old-instance start", lambda d: d.list_old_instances("A-1", start=-1), "start"),
    ("log kind", lambda d: d.list_log_files("services", "A-1", "AI-1"), "kind"),
    ("log file path", lambda d: d.read_log_file("tasks", "A", "T1", "../etc/passwd"), "file_name"),
    ("log offset", lambda d: d.read_log_file("tasks", "A", "T1", "output.log", offset=-2), "offset"),
    ("executor id", lambda d: d.get_executor("x y"), "executor_id"),
]


@pytest.mark.parametrize(("case", "call", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_arguments_are_refused_before_sending(
    drove: HookRunner, case: str, call: Callable[[HookRunner], Any], field: str
) -> None:
    with pytest.raises(DroveInputError) as info:
        call(drove)
    assert info.value.field.startswith(field), (case, info.value.field)
    assert drove.sent == []


def test_payload_over_drove_storage_limit(drove: HookRunner) -> None:
    big = "A" * 1_100_000  # base64 text of a ~800 kB file
    spec = app_spec(configs=[{"type": "INLINE", "localFilename": "/big.bin", "data": big}])
    with pytest.raises(DroveInputError) as info:
        drove.create_application(spec)
    assert info.value.field == "operation"
    assert "ZooKeeper" in info.value.problem
    assert drove.sent == []


@pytest.mark.parametrize(
    ("conn", "field"),
    [
        ({"host": "http://ctl1:10000,,http://ctl2:10000"}, "host"),
        ({"host": "ftp://ctl:10000"}, "host"),
        ({"host": ""}, "host"),
        ({"host": "ctl", "extra": {"timeout": -3}}, "timeout"),
        ({"host": "ctl", "extra": {"max_retries": "lots"}}, "max_retries"),
    ],
)
def test_bad_connection_is_refused_before_sending(connect: Any, conn: dict[str, Any], field: str) -> None:
    drove = connect({"conn_type": "drove", **conn})
    with pytest.raises(DroveInputError) as info:
        drove.list_applications()
    assert info.value.field == field
    assert drove.sent == []
    ok, message = drove.test_connection()
    assert not ok and field in message


def test_hooks_are_lazy() -> None:
    # Building a hook reads nothing: a missing connection only matters on first use.
    from airflow_provider_drove.hooks.drove import DroveAsyncHook, DroveHook

    assert repr(DroveHook("no_such_conn")) == "DroveHook(drove_conn_id='no_such_conn')"
    assert repr(DroveAsyncHook("no_such_conn")) == "DroveAsyncHook(drove_conn_id='no_such_conn')"
    with pytest.raises(Exception, match="no_such_conn"):
        DroveHook("no_such_conn").ping()


def test_create_accepts_a_valid_spec_object(drove: HookRunner) -> None:
    from airflow_provider_drove.drove.specs import parse_application_spec

    assert drove.create_application(parse_application_spec(APP_SPEC)) == "AF_DEMO-1"
