"""Operation payloads (drove-api.md §7.1, §7.2, §8): builders, power-user validation, emulator parsing."""

from __future__ import annotations

import copy
import datetime
import json

import pytest

from airflow_provider_drove.drove.operations import (
    ALLOWED_OPERATIONS,
    APP_OPERATION_TYPES,
    AppOperation,
    DroveWireError,
    OpSpec,
    TaskOperation,
    allowed_operations,
    create,
    destroy,
    operation_rejection,
    parse_app_operation,
    parse_task_operation,
    recover,
    replace_instances,
    scale,
    start_instances,
    stop_instances,
    suspend,
    task_create,
    task_kill,
    validate_app_operation,
    validate_task_operation,
)
from airflow_provider_drove.drove.specs import ApplicationSpec, SpecCheckOptions, TaskSpec
from airflow_provider_drove.exceptions import DroveInputError
from tests.unit.test_specs import APP, DELETE, TASK, mutate

DEFAULT_OP_SPEC = {"timeout": "5m", "parallelism": 1, "failureStrategy": "STOP"}
OP = {"timeout": "1m", "parallelism": 20, "failureStrategy": "STOP"}

# the SCALE request of the seed documentation page
SEED_SCALE = {"type": "SCALE", "appId": "TEST_APP-1", "requiredInstances": 1, "opSpec": OP}

# drove-api.md §7.2 examples (with a real spec and instance IDs)
EXAMPLES = {
    "CREATE": {"type": "CREATE", "spec": APP, "instances": 0, "opSpec": OP},
    "SCALE": SEED_SCALE,
    "START_INSTANCES": {"type": "START_INSTANCES", "appId": "TEST_APP-1", "instances": 1, "opSpec": OP},
    "STOP_INSTANCES": {"type": "STOP_INSTANCES", "appId": "TEST_APP-1", "instanceIds": ["AI-1"], "skipRespawn": True,
                       "opSpec": OP},
    "REPLACE_INSTANCES": {"type": "REPLACE_INSTANCES", "appId": "TEST_APP-1", "instanceIds": [], "stopFirst": False,
                          "opSpec": OP},
    "SUSPEND": {"type": "SUSPEND", "appId": "TEST_APP-1", "opSpec": OP},
    "RECOVER": {"type": "RECOVER", "appId": "TEST_APP-1"},
    "DESTROY": {"type": "DESTROY", "appId": "TEST_APP-1", "opSpec": OP},
}  # fmt: skip


# ---- OpSpec -------------------------------------------------------------------------------------


def test_op_spec_defaults():
    assert OpSpec().to_wire() == DEFAULT_OP_SPEC
    assert OpSpec().timeout_seconds == 300


@pytest.mark.parametrize(("kwargs", "wire"), [
    ({"timeout": "1m", "parallelism": 20, "failure_strategy": "STOP"}, OP),
    ({"failure_strategy": "rollback"}, {**DEFAULT_OP_SPEC, "failureStrategy": "ROLLBACK"}),
    ({"failure_strategy": "Stop"}, DEFAULT_OP_SPEC),
    ({"timeout": 300}, {**DEFAULT_OP_SPEC, "timeout": "300 seconds"}),
    ({"timeout": 1.5}, {**DEFAULT_OP_SPEC, "timeout": "1500 milliseconds"}),
    ({"timeout": datetime.timedelta(minutes=10)}, {**DEFAULT_OP_SPEC, "timeout": "600 seconds"}),
    ({"parallelism": 512}, {**DEFAULT_OP_SPEC, "parallelism": 512}),
])  # fmt: skip
def test_op_spec_values(kwargs, wire):
    assert OpSpec(**kwargs).to_wire() == wire


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"parallelism": 0}, "op_spec.parallelism", ["between 1 and 512", "0"]),
    ({"parallelism": 513}, "op_spec.parallelism", ["between 1 and 512", "513"]),
    ({"parallelism": True}, "op_spec.parallelism", ["whole number"]),
    ({"parallelism": "4"}, "op_spec.parallelism", ["whole number"]),
    ({"parallelism": 10**30}, "op_spec.parallelism", ["between 1 and 512"]),
    ({"failure_strategy": "CONTINUE"}, "op_spec.failure_strategy", ["STOP or ROLLBACK", "no CONTINUE"]),
    ({"failure_strategy": None}, "op_spec.failure_strategy", ["STOP or ROLLBACK"]),
    ({"timeout": "5 Minutes"}, "op_spec.timeout", ["invalid duration", "'5m'"]),
    ({"timeout": "1h30m"}, "op_spec.timeout", ["invalid duration"]),
    ({"timeout": -5}, "op_spec.timeout", ["negative"]),
    ({"timeout": True}, "op_spec.timeout", ["Drove duration"]),
    ({"timeout": None}, "op_spec.timeout", ["Drove duration"]),
])  # fmt: skip
def test_op_spec_rejects_bad_values(kwargs, field, words):
    with pytest.raises(DroveInputError) as info:
        OpSpec(**kwargs)
    assert info.value.field == field
    for word in words:
        assert word in info.value.problem


@pytest.mark.parametrize(("value", "wire"), [
    (None, DEFAULT_OP_SPEC),
    (OpSpec(parallelism=3), {**DEFAULT_OP_SPEC, "parallelism": 3}),
    ({"timeout": "1m", "parallelism": 20, "failureStrategy": "STOP"}, OP),
    ({"timeout": "1m", "parallelism": 20, "failure_strategy": "stop"}, OP),
    ({"parallelism": 2}, {**DEFAULT_OP_SPEC, "parallelism": 2}),
])  # fmt: skip
def test_op_spec_coerce(value, wire):
    assert OpSpec.coerce(value).to_wire() == wire


@pytest.mark.parametrize(("value", "field"), [
    ({"failureStrategy": "CONTINUE"}, "op_spec.failureStrategy"),
    ({"failure_strategy": "CONTINUE"}, "op_spec.failure_strategy"),
    ({"parallelism": 0}, "op_spec.parallelism"),
    ({"timeout": "soon"}, "op_spec.timeout"),
    ({"paralellism": 2}, "op_spec.paralellism"),
    ("5m", "op_spec"),
    (5, "op_spec"),
])  # fmt: skip
def test_op_spec_coerce_names_the_bad_key(value, field):
    with pytest.raises(DroveInputError) as info:
        OpSpec.coerce(value)
    assert info.value.field == field


# ---- builders -----------------------------------------------------------------------------------------


def test_scale_builds_the_seed_request():
    assert scale("TEST_APP-1", 1, {"timeout": "1m", "parallelism": 20, "failureStrategy": "STOP"}) == SEED_SCALE


@pytest.mark.parametrize(("payload", "expected"), [
    (scale("A-1", 0), {"type": "SCALE", "appId": "A-1", "requiredInstances": 0, "opSpec": DEFAULT_OP_SPEC}),
    (scale("A-1", 2048), {"type": "SCALE", "appId": "A-1", "requiredInstances": 2048, "opSpec": DEFAULT_OP_SPEC}),
    (create(APP), {"type": "CREATE", "spec": ApplicationSpec(APP).to_wire(), "instances": 0, "opSpec": DEFAULT_OP_SPEC}),
    (create(APP, 2048, OP), {"type": "CREATE", "spec": ApplicationSpec(APP).to_wire(), "instances": 2048, "opSpec": OP}),
    (start_instances("A-1", 1024), {"type": "START_INSTANCES", "appId": "A-1", "instances": 1024, "opSpec": DEFAULT_OP_SPEC}),
    (stop_instances("A-1", ["AI-1", "AI-2"]),
     {"type": "STOP_INSTANCES", "appId": "A-1", "instanceIds": ["AI-1", "AI-2"], "skipRespawn": False, "opSpec": DEFAULT_OP_SPEC}),
    (stop_instances("A-1", ("AI-1",), skip_respawn=True, op_spec=OP),
     {"type": "STOP_INSTANCES", "appId": "A-1", "instanceIds": ["AI-1"], "skipRespawn": True, "opSpec": OP}),
    (replace_instances("A-1"),
     {"type": "REPLACE_INSTANCES", "appId": "A-1", "instanceIds": [], "stopFirst": False, "opSpec": DEFAULT_OP_SPEC}),
    (replace_instances("A-1", ["AI-1"], stop_first=True),
     {"type": "REPLACE_INSTANCES", "appId": "A-1", "instanceIds": ["AI-1"], "stopFirst": True, "opSpec": DEFAULT_OP_SPEC}),
    (suspend("A-1"), {"type": "SUSPEND", "appId": "A-1", "opSpec": DEFAULT_OP_SPEC}),
    (recover("A-1"), {"type": "RECOVER", "appId": "A-1"}),
    (destroy("A-1", OpSpec(timeout="30s")), {"type": "DESTROY", "appId": "A-1", "opSpec": {**DEFAULT_OP_SPEC, "timeout": "30s"}}),
    (task_create(TASK), {"type": "CREATE", "spec": TaskSpec(TASK).to_wire(), "opSpec": DEFAULT_OP_SPEC}),
    (task_kill("TEST_APP", "T0012"), {"type": "KILL", "sourceAppName": "TEST_APP", "taskId": "T0012", "opSpec": DEFAULT_OP_SPEC}),
])  # fmt: skip
def test_builders_produce_drove_payloads(payload, expected):
    assert payload == expected
    json.dumps(payload)  # plain JSON
    # and what we build, the emulator face accepts
    if expected["type"] in ("KILL",) or "sourceAppName" in expected.get("spec", {}):
        parse_task_operation(payload)
    else:
        parse_app_operation(payload)


def test_create_accepts_a_parsed_spec():
    spec = ApplicationSpec(APP)
    assert create(spec) == create(APP)


@pytest.mark.parametrize(("call", "field", "words"), [
    (lambda: scale("A-1", 2049), "required_instances", ["between 0 and 2048", "2049"]),
    (lambda: scale("A-1", -1), "required_instances", ["between 0 and 2048"]),
    (lambda: scale("A-1", True), "required_instances", ["whole number"]),
    (lambda: scale("A-1", 2.0), "required_instances", ["whole number"]),
    (lambda: scale("A-1", "3"), "required_instances", ["int()", "'3'"]),
    (lambda: scale("A-1", None), "required_instances", ["whole number"]),
    (lambda: scale("A-1", 10**100), "required_instances", ["between 0 and 2048"]),
    (lambda: scale("", 1), "app_id", ["non-empty"]),
    (lambda: scale(None, 1), "app_id", ["non-empty"]),
    (lambda: scale("A 1/x", 1), "app_id", ["letters, digits"]),
    (lambda: scale("A-1", 1, {"parallelism": 0}), "op_spec.parallelism", ["between 1 and 512"]),
    (lambda: scale("A-1", 1, {"failureStrategy": "CONTINUE"}), "op_spec.failureStrategy", ["STOP or ROLLBACK"]),
    (lambda: create(APP, 2049), "instances", ["between 0 and 2048"]),
    (lambda: create(mutate(APP, {"healthcheck.mode.portName": "admin"})), "spec.healthcheck.mode.portName", ["'admin'"]),
    (lambda: create(mutate(APP, {"placementPolicy": DELETE})), "spec.placementPolicy", ['{"type": "ANY"}']),
    (lambda: create("app.json"), "spec", ["dict"]),
    (lambda: start_instances("A-1", 1025), "instances", ["between 0 and 1024", "1025"]),
    (lambda: start_instances("A-1", -1), "instances", ["between 0 and 1024"]),
    (lambda: stop_instances("A-1", []), "instance_ids", ["at least one"]),
    (lambda: stop_instances("A-1", "AI-1"), "instance_ids", ["list"]),
    (lambda: stop_instances("A-1", None), "instance_ids", ["list"]),
    (lambda: stop_instances("A-1", ["AI-1", ""]), "instance_ids[1]", ["non-empty"]),
    (lambda: stop_instances("A-1", ["AI-1"], skip_respawn="yes"), "skip_respawn", ["True or False"]),
    (lambda: replace_instances("A-1", "AI-1"), "instance_ids", ["list"]),
    (lambda: replace_instances("A-1", [3]), "instance_ids[0]", ["string"]),
    (lambda: replace_instances("A-1", stop_first=1), "stop_first", ["True or False"]),
    (lambda: suspend("A-1", {"timeout": "x"}), "op_spec.timeout", ["invalid duration"]),
    (lambda: recover(""), "app_id", ["non-empty"]),
    (lambda: destroy("A-1", "5m"), "op_spec", ["dict"]),
    (lambda: task_create(mutate(TASK, {"taskId": "bad id"})), "spec.taskId", ["letters, digits"]),
    (lambda: task_create(mutate(TASK, {"placementPolicy": {"type": "LOCAL"}})), "spec.placementPolicy", ["LOCAL"]),
    (lambda: task_kill("", "T1"), "source_app_name", ["non-empty"]),
    (lambda: task_kill("APP", None), "task_id", ["non-empty"]),
])  # fmt: skip
def test_builders_reject_bad_input_naming_the_parameter(call, field, words):
    with pytest.raises(DroveInputError) as info:
        call()
    assert info.value.field == field
    for word in words:
        assert word in info.value.problem


# ---- validate_app_operation (power users) ---------------------------------------------------------------


@pytest.mark.parametrize("op_type", APP_OPERATION_TYPES)
def test_validate_app_operation_accepts_every_example(op_type):
    payload = copy.deepcopy(EXAMPLES[op_type])
    assert validate_app_operation(payload)["type"] == op_type


def test_validate_app_operation_normalises():
    payload = {**SEED_SCALE, "opSpec": {**OP, "failureStrategy": "rollback"}, "comment": "ignored by Drove"}
    assert validate_app_operation(payload) == {**SEED_SCALE, "opSpec": {**OP, "failureStrategy": "ROLLBACK"}}


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({**SEED_SCALE, "type": "SCALE_INSTANCES"}, "operation.type", ["internal name", "'SCALE'"]),
    ({**SEED_SCALE, "type": "scale"}, "operation.type", ["case-sensitive", "'SCALE'"]),
    ({**SEED_SCALE, "type": "RESTART"}, "operation.type", ["not a known type", "SCALE"]),
    ({k: v for k, v in SEED_SCALE.items() if k != "type"}, "operation", ['"type"']),
    ({k: v for k, v in SEED_SCALE.items() if k != "requiredInstances"}, "operation.requiredInstances", ["zero"]),
    ({**SEED_SCALE, "requiredInstances": None}, "operation.requiredInstances", ["zero"]),
    ({**SEED_SCALE, "requiredInstances": 2049}, "operation.requiredInstances", ["at most 2048"]),
    ({**SEED_SCALE, "requiredInstances": True}, "operation.requiredInstances", ["whole number"]),
    ({**SEED_SCALE, "requiredInstances": 10**30}, "operation.requiredInstances", ["too large"]),
    ({**SEED_SCALE, "opSpec": None}, "operation.opSpec", ["required"]),
    ({**SEED_SCALE, "opSpec": {**OP, "failureStrategy": "CONTINUE"}}, "operation.opSpec.failureStrategy", ["STOP, ROLLBACK"]),
    ({**SEED_SCALE, "opSpec": {**OP, "parallelism": 513}}, "operation.opSpec.parallelism", ["at most 512"]),
    ({**SEED_SCALE, "opSpec": {**OP, "timeout": 60}}, "operation.opSpec.timeout", ["must be a string"]),
    ({**SEED_SCALE, "appId": ""}, "operation.appId", ["must not be empty"]),
    ({**EXAMPLES["START_INSTANCES"], "instances": 1025}, "operation.instances", ["at most 1024"]),
    ({**EXAMPLES["STOP_INSTANCES"], "instanceIds": []}, "operation.instanceIds", ["must not be empty"]),
    ({**EXAMPLES["STOP_INSTANCES"], "instanceIds": "AI-1"}, "operation.instanceIds", ["must be a list"]),
    ({**EXAMPLES["CREATE"], "instances": 4096}, "operation.instances", ["at most 2048"]),
    ({**EXAMPLES["CREATE"], "spec": mutate(APP, {"exposedPorts": []})}, "operation.spec.exposedPorts", ["must not be empty"]),
    ({**EXAMPLES["CREATE"], "spec": mutate(APP, {"readiness.mode.portName": "x"})}, "operation.spec.readiness.mode.portName", ["'x'"]),
    ({**EXAMPLES["DESTROY"], "opSpec": DELETE}, "operation.opSpec", ["required"]),
    (["SCALE"], "operation", ["dict"]),
])  # fmt: skip
def test_validate_app_operation_rejects(payload, field, words):
    payload = {k: v for k, v in payload.items() if v is not DELETE} if isinstance(payload, dict) else payload
    with pytest.raises(DroveInputError) as info:
        validate_app_operation(payload)
    assert info.value.field == field
    for word in words:
        assert word in info.value.problem


def test_validate_task_operation():
    assert validate_task_operation(task_kill("APP", "T1"))["type"] == "KILL"
    with pytest.raises(DroveInputError) as info:
        validate_task_operation({"type": "KILL", "sourceAppName": "APP", "opSpec": DEFAULT_OP_SPEC})
    assert info.value.field == "operation.taskId"


# ---- emulator face ----------------------------------------------------------------------------------------


def test_parse_seed_scale():
    op = parse_app_operation(SEED_SCALE)
    assert op == AppOperation(type="SCALE", app_id="TEST_APP-1", op_spec=OpSpec("1m", 20, "STOP"), required_instances=1)
    assert op.internal_type == "SCALE_INSTANCES"


@pytest.mark.parametrize(("op_type", "internal"), [
    ("CREATE", "CREATE"), ("SCALE", "SCALE_INSTANCES"), ("START_INSTANCES", "START_INSTANCES"),
    ("STOP_INSTANCES", "STOP_INSTANCES"), ("REPLACE_INSTANCES", "REPLACE_INSTANCES"), ("SUSPEND", "SUSPEND"),
    ("RECOVER", "RECOVER"), ("DESTROY", "DESTROY"),
])  # fmt: skip
def test_parse_every_example(op_type, internal):
    op = parse_app_operation(EXAMPLES[op_type])
    assert op.type == op_type
    assert op.internal_type == internal
    assert op.app_id == ("AF_DEMO-1" if op_type == "CREATE" else "TEST_APP-1")
    assert (op.op_spec is None) == (op_type == "RECOVER")


def test_parse_typed_fields():
    create_op = parse_app_operation({**EXAMPLES["CREATE"], "instances": 3})
    assert isinstance(create_op.spec, ApplicationSpec)
    assert create_op.instances == 3
    stop = parse_app_operation(EXAMPLES["STOP_INSTANCES"])
    assert (stop.instance_ids, stop.skip_respawn) == (("AI-1",), True)
    replace = parse_app_operation({**EXAMPLES["REPLACE_INSTANCES"], "stopFirst": True, "instanceIds": ["AI-9"]})
    assert (replace.instance_ids, replace.stop_first) == (("AI-9",), True)


@pytest.mark.parametrize(("payload", "expected"), [
    # Drove's defaults for omitted fields (§7.2): a missing requiredInstances is a scale to zero
    ({"type": "SCALE", "appId": "A-1", "opSpec": OP}, {"required_instances": 0}),
    ({"type": "START_INSTANCES", "appId": "A-1", "opSpec": OP}, {"instances": 0}),
    ({"type": "CREATE", "spec": APP, "opSpec": OP}, {"instances": 0}),
    ({"type": "STOP_INSTANCES", "appId": "A-1", "instanceIds": ["AI-1"], "opSpec": OP}, {"skip_respawn": False}),
    ({"type": "REPLACE_INSTANCES", "appId": "A-1", "opSpec": OP}, {"instance_ids": (), "stop_first": False}),
    # enum values are case-insensitive; numbers may come as JSON strings (Jackson coerces them)
    ({**SEED_SCALE, "opSpec": {**OP, "failureStrategy": "rollback"}}, {"op_spec": OpSpec("1m", 20, "ROLLBACK")}),
    ({**SEED_SCALE, "requiredInstances": "2"}, {"required_instances": 2}),
    ({**SEED_SCALE, "unknownField": 1}, {"required_instances": 1}),
    # RECOVER takes no opSpec: one sent anyway is ignored
    ({"type": "RECOVER", "appId": "A-1", "opSpec": {"parallelism": "bad"}}, {"op_spec": None}),
])  # fmt: skip
def test_parse_defaults_and_leniency(payload, expected):
    op = parse_app_operation(payload)
    for attr, value in expected.items():
        assert getattr(op, attr) == value


# (payload, kind, messages)
APP_OP_WIRE_CASES = [
    (None, "command", ["The request body must not be null"]),
    ({**SEED_SCALE, "opSpec": {**OP, "parallelism": 0}}, "command", ["opSpec.parallelism must be greater than or equal to 1"]),
    ({**SEED_SCALE, "opSpec": {"timeout": "1m", "failureStrategy": "STOP"}}, "command",
     ["opSpec.parallelism must be greater than or equal to 1"]),
    ({**SEED_SCALE, "opSpec": {**OP, "parallelism": 513}}, "command", ["opSpec.parallelism must be less than or equal to 512"]),
    ({**SEED_SCALE, "opSpec": {"parallelism": 1}}, "command",
     ["opSpec.timeout must not be null", "opSpec.failureStrategy must not be null"]),
    ({**SEED_SCALE, "opSpec": None}, "command", ["opSpec must not be null"]),
    ({"type": "SCALE", "requiredInstances": 1, "opSpec": OP}, "command", ["appId must not be empty"]),
    ({**SEED_SCALE, "appId": ""}, "command", ["appId must not be empty"]),
    ({**SEED_SCALE, "requiredInstances": 2049}, "command", ["requiredInstances must be less than or equal to 2048"]),
    ({**SEED_SCALE, "requiredInstances": -1}, "command", ["requiredInstances must be greater than or equal to 0"]),
    ({**EXAMPLES["START_INSTANCES"], "instances": 1025}, "command", ["instances must be less than or equal to 1024"]),
    ({**EXAMPLES["CREATE"], "instances": 2049}, "command", ["instances must be less than or equal to 2048"]),
    ({**EXAMPLES["CREATE"], "spec": None}, "command", ["spec must not be null"]),
    ({**EXAMPLES["CREATE"], "spec": mutate(APP, {"name": ""})}, "command", ["spec.name - Application name is mandatory"]),
    ({**EXAMPLES["CREATE"], "spec": mutate(APP, {"healthcheck.mode.portName": "x"})}, "command",
     ["Invalid port name for health check: x. Available ports: [main]"]),
    ({**EXAMPLES["STOP_INSTANCES"], "instanceIds": []}, "command", ["instanceIds must not be empty"]),
    ({"type": "STOP_INSTANCES", "appId": "A-1"}, "command", ["instanceIds must not be empty", "opSpec must not be null"]),
    ({"type": "SUSPEND", "appId": "A-1"}, "command", ["opSpec must not be null"]),
    ({"type": "DESTROY", "appId": "A-1"}, "command", ["opSpec must not be null"]),
    ({"type": "RECOVER"}, "command", ["appId must not be empty"]),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "kind", "messages"), APP_OP_WIRE_CASES, ids=lambda v: None)
def test_parse_app_operation_command_failures(payload, kind, messages):
    with pytest.raises(DroveWireError) as info:
        parse_app_operation(payload)
    assert (info.value.kind, info.value.messages) == (kind, messages)
    assert info.value.to_envelope() == {
        "status": "FAILED", "data": {"validationErrors": messages}, "message": "Command validation failure"}  # fmt: skip


@pytest.mark.parametrize(("payload", "text"), [
    ({**SEED_SCALE, "type": "SCALE_INSTANCES"}, "Could not resolve type id 'SCALE_INSTANCES' as a subtype of"),
    ({**SEED_SCALE, "type": "scale"}, "Could not resolve type id 'scale'"),
    ({**SEED_SCALE, "type": 7}, "Could not resolve type id '7'"),
    ({"appId": "A-1", "opSpec": OP}, "missing type id property 'type'"),
    ({**SEED_SCALE, "opSpec": {**OP, "failureStrategy": "CONTINUE"}},
     'Cannot deserialize value of type `FailureStrategy` from String "CONTINUE": not one of the values accepted for Enum class: [STOP, ROLLBACK]'),
    ({**SEED_SCALE, "opSpec": {**OP, "timeout": "5 Minutes"}}, "Invalid duration: 5 Minutes"),
    ({**SEED_SCALE, "opSpec": {**OP, "timeout": 300}}, "`io.dropwizard.util.Duration` from Integer value"),
    ({**SEED_SCALE, "opSpec": {**OP, "parallelism": True}}, "`int` from Boolean value"),
    ({**SEED_SCALE, "opSpec": {**OP, "parallelism": 2**31}}, "Numeric value (2147483648) out of range of int"),
    ({**SEED_SCALE, "requiredInstances": True}, "`long` from Boolean value"),
    ({**SEED_SCALE, "requiredInstances": 2**63}, "out of range of long"),
    ({**SEED_SCALE, "requiredInstances": 1.5}, "from Floating-point value"),
    ({**SEED_SCALE, "requiredInstances": "two"}, 'from String "two"'),
    ({**SEED_SCALE, "opSpec": "5m"}, "`ClusterOpSpec` from String"),
    ({**EXAMPLES["STOP_INSTANCES"], "instanceIds": "AI-1"}, "from String"),
    ({**EXAMPLES["STOP_INSTANCES"], "skipRespawn": 1}, "`boolean` from Integer value"),
    ({**EXAMPLES["CREATE"], "spec": mutate(APP, {"placementPolicy.type": "NOPE"})}, "Could not resolve type id 'NOPE'"),
    (["SCALE"], "from Array value"),
    ("SCALE", 'from String "SCALE"'),
])  # fmt: skip
def test_parse_app_operation_json_failures(payload, text):
    with pytest.raises(DroveWireError) as info:
        parse_app_operation(payload)
    assert info.value.kind == "json"
    assert info.value.status_code == 400
    assert info.value.message == "JSON validation failure"
    assert len(info.value.messages) == 1
    assert text in info.value.messages[0]


def test_create_without_placement_policy_is_a_server_error():
    payload = {**EXAMPLES["CREATE"], "spec": mutate(APP, {"placementPolicy": DELETE})}
    with pytest.raises(DroveWireError) as info:
        parse_app_operation(payload)
    assert info.value.kind == "server"
    assert info.value.status_code == 500
    assert info.value.to_envelope()["message"] == "Unexpected Server error"
    assert "getPlacementPolicy()" in info.value.to_envelope()["data"]["failure"]


def test_create_spec_checks_use_cluster_options():
    payload = {**EXAMPLES["CREATE"], "spec": mutate(APP, {"devices": [{"type": "DIRECT", "pathOnHost": "/dev/x"}]})}
    with pytest.raises(DroveWireError):
        parse_app_operation(payload)
    assert parse_app_operation(payload, options=SpecCheckOptions(enable_raw_device_access=True)).type == "CREATE"


def test_task_operations():
    op = parse_task_operation({"type": "CREATE", "spec": TASK, "opSpec": OP})
    assert isinstance(op, TaskOperation)
    assert (op.type, op.source_app_name, op.task_id) == ("CREATE", "TEST_APP", "T0012")
    assert op.spec.drove_task_id == "TEST_APP-T0012"
    kill = parse_task_operation({"type": "KILL", "sourceAppName": "TEST_APP", "taskId": "T0012", "opSpec": OP})
    assert (kill.type, kill.source_app_name, kill.task_id, kill.spec) == ("KILL", "TEST_APP", "T0012", None)
    assert kill.op_spec == OpSpec("1m", 20, "STOP")


@pytest.mark.parametrize(("payload", "kind", "text"), [
    ({"type": "KILL", "sourceAppName": "A", "opSpec": OP}, "command", "taskId must not be empty"),
    ({"type": "KILL", "sourceAppName": "A", "taskId": "T"}, "command", "opSpec must not be null"),
    ({"type": "CREATE", "spec": mutate(TASK, {"taskId": ""}), "opSpec": OP}, "command", "spec.taskId - Task ID is mandatory"),
    ({"type": "CREATE", "spec": mutate(TASK, {"resources": [{"type": "CPU", "count": 1}]}), "opSpec": OP}, "command",
     "Memory requirements are mandatory"),
    ({"type": "CREATE", "spec": mutate(TASK, {"placementPolicy": {"type": "LOCAL"}}), "opSpec": OP}, "command",
     "Local service placement is not allowed for tasks"),
    ({"type": "CREATE", "spec": mutate(TASK, {"placementPolicy": DELETE}), "opSpec": OP}, "server", "TaskSpec.getPlacementPolicy()"),
    ({"type": "RUN", "spec": TASK, "opSpec": OP}, "json", "Could not resolve type id 'RUN'"),
    ({"type": "KILL", "sourceAppName": "A", "taskId": "T", "opSpec": {**OP, "failureStrategy": "CONTINUE"}}, "json", "CONTINUE"),
])  # fmt: skip
def test_parse_task_operation_failures(payload, kind, text):
    with pytest.raises(DroveWireError) as info:
        parse_task_operation(payload)
    assert info.value.kind == kind
    assert text in info.value.messages[0]


# ---- §7.3 state table and Drove's rejection texts ---------------------------------------------------


@pytest.mark.parametrize(("state", "op_type", "expected"), [
    (None, "CREATE", None),
    (None, "SCALE", "No state found for app: A-1"),
    ("RUNNING", "CREATE", "App A-1 already exists"),
    ("RUNNING", "SCALE", None),
    ("RUNNING", "SCALE_INSTANCES", None),
    ("RUNNING", "SUSPEND", None),
    ("RUNNING", "STOP_INSTANCES", None),
    ("RUNNING", "REPLACE_INSTANCES", None),
    ("RUNNING", "DESTROY",
     "Only [RECOVER, REPLACE_INSTANCES, SCALE_INSTANCES, START_INSTANCES, STOP_INSTANCES, SUSPEND] allowed for app A-1 "
     "as it is in RUNNING state"),
    ("MONITORING", "DESTROY", None),
    ("MONITORING", "START_INSTANCES", None),
    ("MONITORING", "SUSPEND",
     "Only [DESTROY, RECOVER, SCALE_INSTANCES, START_INSTANCES] allowed for app A-1 as it is in MONITORING state"),
    ("MONITORING", "STOP_INSTANCES",
     "Only [DESTROY, RECOVER, SCALE_INSTANCES, START_INSTANCES] allowed for app A-1 as it is in MONITORING state"),
    ("SCALING_REQUESTED", "SCALE", None),
    ("SCALING_REQUESTED", "RECOVER", "Only [SCALE_INSTANCES] allowed for app A-1 as it is in SCALING_REQUESTED state"),
    ("INIT", "SCALE", "No operations allowed for A-1 as it is in INIT state"),
    ("OUTAGE_DETECTED", "SCALE", "No operations allowed for A-1 as it is in OUTAGE_DETECTED state"),
    ("STOP_INSTANCES_REQUESTED", "SCALE", "No operations allowed for A-1 as it is in STOP_INSTANCES_REQUESTED state"),
    ("REPLACE_INSTANCES_REQUESTED", "SCALE", "No operations allowed for A-1 as it is in REPLACE_INSTANCES_REQUESTED state"),
    ("DESTROY_REQUESTED", "DESTROY", "No operations allowed for A-1 as it is in DESTROY_REQUESTED state"),
    ("DESTROYED", "RECOVER", "No operations allowed for A-1 as it is in DESTROYED state"),
    ("FAILED", "SCALE", "No operations allowed for A-1 as it is in FAILED state"),
])  # fmt: skip
def test_operation_rejection_texts(state, op_type, expected):
    assert operation_rejection("A-1", state, op_type) == expected


def test_allowed_operations_by_state():
    from airflow_provider_drove.drove.states import ApplicationState

    assert allowed_operations(None) == {"CREATE"}
    assert allowed_operations(ApplicationState.SCALING_REQUESTED) == {"SCALE"}
    assert allowed_operations("MONITORING") == {"START_INSTANCES", "SCALE", "DESTROY", "RECOVER"}
    assert allowed_operations("HIBERNATING") == frozenset()
    # every wire type is allowed somewhere
    assert set().union(*ALLOWED_OPERATIONS.values(), {"CREATE"}) == set(APP_OPERATION_TYPES)


def test_validate_app_operation_accepts_a_parsed_spec_in_create():
    payload = {"type": "CREATE", "spec": ApplicationSpec(APP), "opSpec": OP}
    assert validate_app_operation(payload)["spec"]["name"] == "AF_DEMO"


def test_damaged_operations_fail_only_with_drove_errors():
    from tests.unit.test_specs import fuzz_cases

    kinds = set()
    for op_type, example in sorted(EXAMPLES.items()):
        for case in fuzz_cases(example, seed=sum(map(ord, op_type)), count=150):
            try:
                parse_app_operation(case)
            except DroveWireError as err:
                kinds.add(err.kind)
                with pytest.raises(DroveInputError):
                    validate_app_operation(case)
    assert {"json", "command"} <= kinds
