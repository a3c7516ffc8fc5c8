"""ApplicationSpec / TaskSpec rules (drove-api.md §10, §3.2, §2): both faces, on plain JSON payloads."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from airflow_provider_drove.drove.specs import (
    ApplicationSpec,
    DroveWireError,
    SpecCheckOptions,
    TaskSpec,
    check_application_spec,
    check_task_spec,
    echo_spec,
    echo_value,
    parse_application_spec,
    parse_task_spec,
)

# `GET /applications/TEST_APP-1/spec` on the seed documentation page: what Drove echoes.
SEED_SPEC_ECHO = json.loads(
    r"""
{
  "name": "TEST_APP",
  "version": "1",
  "executable": {
    "type": "DOCKER",
    "url": "ghcr.io/appform-io/perf-test-server-httplib",
    "dockerPullTimeout": "100 seconds"
  },
  "exposedPorts": [
    {
      "name": "main",
      "port": 8000,
      "type": "HTTP"
    }
  ],
  "volumes": [],
  "configs": [
    {
      "type": "INLINE",
      "localFilename": "/testfiles/drove.txt",
      "data": ""
    }
  ],
  "type": "SERVICE",
  "resources": [
    {
      "type": "CPU",
      "count": 1
    },
    {
      "type": "MEMORY",
      "sizeInMB": 128
    }
  ],
  "placementPolicy": {
    "type": "ANY"
  },
  "healthcheck": {
    "mode": {
      "type": "HTTP",
      "protocol": "HTTP",
      "portName": "main",
      "path": "/",
      "verb": "GET",
      "successCodes": [
        200
      ],
      "payload": "",
      "connectionTimeout": "1 second",
      "insecure": false
    },
    "timeout": "1 second",
    "interval": "5 seconds",
    "attempts": 3,
    "initialDelay": "0 seconds"
  },
  "readiness": {
    "mode": {
      "type": "HTTP",
      "protocol": "HTTP",
      "portName": "main",
      "path": "/",
      "verb": "GET",
      "successCodes": [
        200
      ],
      "payload": "",
      "connectionTimeout": "1 second",
      "insecure": false
    },
    "timeout": "1 second",
    "interval": "3 seconds",
    "attempts": 3,
    "initialDelay": "0 seconds"
  },
  "tags": {
    "superSpecialApp": "yes_i_am",
    "say_my_name": "heisenberg"
  },
  "env": {
    "CORES": "8"
  },
  "exposureSpec": {
    "vhost": "testapp.local",
    "portName": "main",
    "mode": "ALL"
  },
  "preShutdown": {
    "hooks": [
      {
        "type": "HTTP",
        "protocol": "HTTP",
        "portName": "main",
        "path": "/",
        "verb": "GET",
        "successCodes": [
          200
        ],
        "payload": "",
        "connectionTimeout": "1 second",
        "insecure": false
      }
    ],
    "waitBeforeKill": "3 seconds"
  }
}"""
)

HTTP_MODE = {"type": "HTTP", "protocol": "HTTP", "portName": "main", "path": "/", "verb": "GET", "successCodes": [200]}

# drove-api.md §10.1 "Minimal valid app spec"
APP: dict[str, Any] = {
    "name": "AF_DEMO",
    "version": "1",
    "type": "SERVICE",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/perf-test-server-httplib", "dockerPullTimeout": "100 seconds"},
    "exposedPorts": [{"name": "main", "port": 8000, "type": "HTTP"}],
    "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}],
    "placementPolicy": {"type": "ANY"},
    "healthcheck": {"mode": dict(HTTP_MODE), "timeout": "1 second", "interval": "5 seconds", "attempts": 3, "initialDelay": "0 seconds"},
    "readiness": {"mode": dict(HTTP_MODE), "timeout": "1 second", "interval": "3 seconds", "attempts": 3, "initialDelay": "0 seconds"},
}

# modelled on cli:sample/test_task.json (§10.2)
TASK: dict[str, Any] = {
    "sourceAppName": "TEST_APP",
    "taskId": "T0012",
    "executable": {"type": "DOCKER", "url": "ghcr.io/appform-io/test-task", "dockerPullTimeout": "100 seconds"},
    "resources": [{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}],
    "placementPolicy": {"type": "ANY"},
    "env": {"ITERATIONS": "10"},
}

DELETE = object()


def mutate(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Copy ``base`` and apply ``{"a.b[0].c": value}`` changes (``DELETE`` removes the key)."""
    data = copy.deepcopy(base)
    for path, value in changes.items():
        parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
        target = data
        for part in parts[:-1]:
            target = target[part]
        if value is DELETE:
            del target[parts[-1]]
        else:
            target[parts[-1]] = value
    return data


# ---- valid specs ----------------------------------------------------------------------------------


def test_minimal_app_spec_is_valid_on_both_faces():
    spec = check_application_spec(APP)
    assert isinstance(spec, ApplicationSpec)
    assert spec == parse_application_spec(APP)
    assert spec.app_id == "AF_DEMO-1"
    assert (spec.name, spec.version, spec.type) == ("AF_DEMO", "1", "SERVICE")
    assert (spec.cpus, spec.memory_mb) == (1, 128)
    assert spec.port_names == ["main"]
    assert spec.exposed_ports[0].port == 8000
    assert spec.docker_pull_timeout.seconds == 100
    assert spec.healthcheck.attempts == 3
    # Drove's computeTimeout: initialDelay + attempts x (timeout + interval)
    assert spec.healthcheck.budget_seconds == 18
    assert spec.readiness.budget_seconds == 12


def test_seed_spec_echo_is_a_valid_spec_and_a_fixed_point_of_echo():
    spec = check_application_spec(SEED_SPEC_ECHO)
    assert spec.app_id == "TEST_APP-1"
    assert spec.exposure_spec == {"vhost": "testapp.local", "portName": "main", "mode": "ALL"}
    assert echo_spec(spec) == SEED_SPEC_ECHO


def test_app_id_is_name_dash_version_without_normalisation():
    spec = parse_application_spec(mutate(APP, {"name": "my-app_X", "version": "2024-07-01"}))
    assert spec.app_id == "my-app_X-2024-07-01"


def test_numbers_are_coerced_to_strings_as_jackson_does():
    spec = parse_application_spec(mutate(APP, {"version": 2, "env": {"CORES": 8, "DEBUG": True}}))
    assert spec.version == "2"
    assert spec.env == {"CORES": "8", "DEBUG": "true"}


def test_enum_values_are_case_insensitive_and_normalised():
    spec = parse_application_spec(
        mutate(APP, {"type": "service", "exposedPorts[0].type": "http", "healthcheck.mode.verb": "get",
                     "healthcheck.mode.protocol": "Http"})  # fmt: skip
    )
    wire = spec.to_wire()
    assert wire["type"] == "SERVICE"
    assert wire["exposedPorts"][0]["type"] == "HTTP"
    assert wire["healthcheck"]["mode"]["verb"] == "GET"
    assert wire["healthcheck"]["mode"]["protocol"] == "HTTP"


def test_unknown_fields_are_ignored():
    spec = check_application_spec(mutate(APP, {"stateChangeNotificationReceivers": {"x": 1}, "futureField": [1, 2]}))
    assert "futureField" not in spec.to_wire()


def test_every_optional_section_is_accepted():
    data = mutate(
        APP,
        {
            "volumes": [{"pathInContainer": "/data", "pathOnHost": "/mnt/data", "mode": "read_only"}],
            "configs": [
                {"type": "INLINE", "localFilename": "/etc/a.txt", "data": "aGVsbG8="},
                {"type": "EXECUTOR_LOCAL_FILE", "localFilename": "/etc/b", "filePathOnHost": "/opt/b"},
                {"type": "CONTROLLER_HTTP_FETCH", "localFilename": "/etc/c",
                 "http": {"protocol": "HTTPS", "hostname": "cfg.local", "port": 443, "path": "/c", "verb": "GET",
                          "successCodes": [200], "username": "u", "password": "p", "authHeader": "Bearer x",
                          "connectionTimeout": "1s", "operationTimeout": "5s", "headers": {"X": "1"}}},
                {"type": "EXECUTOR_HTTP_FETCH", "localFilename": "/etc/d", "http": {"hostname": "cfg.local"}},
            ],
            "logging": {"type": "LOCAL", "maxSize": "10m", "maxFiles": 3, "compress": True},
            "tags": {"team": "x"},
            "env": {"A": ""},
            "args": ["--port", "8000"],
            "exposureSpec": {"vhost": "af.local", "portName": "main", "mode": "one"},
            "preShutdown": {"hooks": [{"type": "CMD", "command": "sleep 1"}, HTTP_MODE], "waitBeforeKill": "3s"},
            "userSpec": {"user": "1000", "group": "1000"},
            "placementPolicy": {
                "type": "COMPOSITE",
                "combiner": "or",
                "policies": [
                    {"type": "MAX_N_PER_HOST", "max": 2},
                    {"type": "MATCH_TAG", "tag": "gpu"},
                    {"type": "COMPOSITE", "combiner": "AND", "policies": [{"type": "NO_TAG"}, {"type": "ONE_PER_HOST"}]},
                    {"type": "RULE_BASED", "rule": "true", "ruleType": "mvel"},
                ],
            },
        },
    )  # fmt: skip
    assert check_application_spec(data) == parse_application_spec(data)


def test_rsyslog_logging_and_cmd_checks_are_accepted():
    cmd = {"mode": {"type": "CMD", "command": "true"}, "timeout": "1s", "interval": "1s", "attempts": 1}
    data = mutate(APP, {"logging": {"type": "RSYSLOG", "server": "tcp://s:514"}, "healthcheck": cmd, "readiness": cmd})
    assert parse_application_spec(data).healthcheck.mode == {"type": "CMD", "command": "true", "shellDisabled": False}


def test_executable_type_defaults_to_docker():
    spec = check_application_spec(mutate(APP, {"executable.type": DELETE}))
    assert spec.to_wire()["executable"]["type"] == "DOCKER"


def test_spec_repr_never_shows_configs():
    data = mutate(APP, {"configs": [{"type": "CONTROLLER_HTTP_FETCH", "localFilename": "/c",
                                     "http": {"hostname": "h", "password": "s3cret-pw"}}]})  # fmt: skip
    assert "s3cret-pw" not in repr(parse_application_spec(data))
    assert "s3cret-pw" not in repr(parse_task_spec(mutate(TASK, {"configs": data["configs"]})))


# ---- emulator face: Drove's kinds and texts ---------------------------------------------------------

# (changes to APP, kind, messages)
APP_WIRE_CASES = [
    # bean validation: "<property path> <constraint message>" (§3.1), all collected
    ({"name": DELETE}, "command", ["name - Application name is mandatory"]),
    ({"name": ""}, "command", ["name - Application name is mandatory"]),
    ({"name": "bad name!"}, "command", ["name - Only characters, numbers, hyphen and underscore is allowed"]),
    ({"version": "1.0"}, "command", ["version - Only characters, numbers, hyphen and underscore is allowed"]),
    ({"version": DELETE, "type": DELETE}, "command",
     ["version - App version is mandatory", "type - Specify if job is a computation or a service"]),
    ({"executable": DELETE}, "command", ["executable - Executable details is required"]),
    ({"executable.url": ""}, "command", ["executable.url must not be empty"]),
    ({"executable.dockerPullTimeout": DELETE}, "command", ["executable.dockerPullTimeout must not be null"]),
    ({"exposedPorts": []}, "command", ["exposedPorts - Port specifications are needed"]),
    ({"exposedPorts": DELETE}, "command", ["exposedPorts - Port specifications are needed"]),
    ({"exposedPorts[0].port": 0}, "command", ["exposedPorts[0].port must be greater than or equal to 1"]),
    ({"exposedPorts[0].port": DELETE}, "command", ["exposedPorts[0].port must be greater than or equal to 1"]),
    ({"exposedPorts[0].port": 65536}, "command", ["exposedPorts[0].port must be less than or equal to 65535"]),
    ({"exposedPorts[0].name": ""}, "command", ["exposedPorts[0].name must not be empty"]),
    ({"exposedPorts[0].type": DELETE}, "command", ["exposedPorts[0].type must not be null"]),
    ({"resources": []}, "command", ["resources - CPU/Memory requirements must be specified"]),
    ({"healthcheck": DELETE}, "command", ["healthcheck must not be null"]),
    ({"readiness": DELETE, "healthcheck": DELETE}, "command", ["healthcheck must not be null", "readiness must not be null"]),
    ({"healthcheck.timeout": DELETE}, "command", ["healthcheck.timeout must not be null"]),
    ({"readiness.interval": DELETE}, "command", ["readiness.interval must not be null"]),
    ({"healthcheck.attempts": 0}, "command", ["healthcheck.attempts must be greater than or equal to 1"]),
    ({"healthcheck.attempts": DELETE}, "command", ["healthcheck.attempts must be greater than or equal to 1"]),
    ({"readiness.attempts": 101}, "command", ["readiness.attempts must be less than or equal to 100"]),
    ({"healthcheck.mode.portName": ""}, "command", ["healthcheck.mode.portName must not be empty"]),
    ({"healthcheck.mode.path": DELETE}, "command", ["healthcheck.mode.path must not be empty"]),
    ({"healthcheck.mode.verb": DELETE}, "command", ["healthcheck.mode.verb must not be null"]),
    ({"healthcheck.mode.successCodes": []}, "command", ["healthcheck.mode.successCodes must not be empty"]),
    ({"placementPolicy": {"type": "MAX_N_PER_HOST", "max": 65}}, "command",
     ["placementPolicy.max must be less than or equal to 64"]),
    ({"placementPolicy": {"type": "MAX_N_PER_HOST"}}, "command", ["placementPolicy.max must be greater than or equal to 1"]),
    ({"placementPolicy": {"type": "MATCH_TAG"}}, "command", ["placementPolicy.tag must not be empty"]),
    ({"placementPolicy": {"type": "COMPOSITE", "policies": [], "combiner": "AND"}}, "command",
     ["placementPolicy.policies must not be empty"]),
    ({"placementPolicy": {"type": "COMPOSITE", "policies": [{"type": "MAX_N_PER_HOST", "max": 0}], "combiner": "AND"}},
     "command", ["placementPolicy.policies[0].max must be greater than or equal to 1"]),
    ({"placementPolicy": {"type": "RULE_BASED", "rule": "x"}}, "command", ["placementPolicy.ruleType must not be null"]),
    ({"logging": {"type": "LOCAL", "maxSize": "10m", "maxFiles": 101}}, "command",
     ["logging.maxFiles must be less than or equal to 100"]),
    ({"logging": {"type": "RSYSLOG"}}, "command", ["logging.server must not be empty"]),
    ({"volumes": [{"pathInContainer": "/d", "pathOnHost": "/h"}]}, "command", ["volumes[0].mode must not be null"]),
    ({"configs": [{"type": "INLINE", "localFilename": "/a"}]}, "command", ["configs[0].data must not be null"]),
    ({"configs": [{"type": "EXECUTOR_HTTP_FETCH", "localFilename": "/a"}]}, "command", ["configs[0].http must not be null"]),
    ({"configs": [{"type": "EXECUTOR_HTTP_FETCH", "localFilename": "/a", "http": {"hostname": "h", "port": 70000}}]},
     "command", ["configs[0].http.port must be less than or equal to 65535"]),
    ({"args": ["x"] * 2049}, "command", ["args size must be between 0 and 2048"]),
    ({"exposureSpec": {"vhost": "v", "portName": "main"}}, "command", ["exposureSpec.mode must not be null"]),
    ({"userSpec": {"group": "g"}}, "command", ["userSpec.user must not be empty"]),
    # spec checks of §3.2, after bean validation passes
    ({"healthcheck.mode.portName": "admin"}, "command", ["Invalid port name for health check: admin. Available ports: [main]"]),
    ({"readiness.mode.portName": "admin"}, "command", ["Invalid port name for health check: admin. Available ports: [main]"]),
    ({"resources": [{"type": "MEMORY", "sizeInMB": 128}]}, "command", ["Cpu requirements are mandatory"]),
    ({"resources": [{"type": "CPU", "count": 1}]}, "command", ["Memory requirements are mandatory"]),
    ({"exposureSpec": {"vhost": "v", "portName": "web", "mode": "ALL"}}, "command",
     ["Exposed port name web is undefined. Defined port names: [main]"]),
    ({"args": ["x" * 2049]}, "command", ["Maximum combined length of command line arguments can be 2048"]),
    ({"args": ["x" * 1024, "y" * 1024]}, "command", ["Maximum combined length of command line arguments can be 2048"]),
    ({"devices": [{"type": "DIRECT", "pathOnHost": "/dev/nvidia0"}]}, "command",
     ["Device access is disabled. To enable, set enableRawDeviceAccess: true in controller options."]),
    ({"placementPolicy": {"type": "LOCAL"}}, "command", ["Local service placement is not allowed for apps"]),
    ({"placementPolicy": {"type": "COMPOSITE", "combiner": "OR",
                          "policies": [{"type": "ANY"}, {"type": "COMPOSITE", "combiner": "AND", "policies": [{"type": "LOCAL"}]}]}},
     "command", ["Local service placement is not allowed for apps"]),
    # Jackson-level: the first problem only
    ({"exposedPorts[0].port": "abc"}, "json", ['Cannot deserialize value of type `int` from String "abc"']),
    ({"exposedPorts[0].port": True}, "json", ["Cannot deserialize value of type `int` from Boolean value"]),
    ({"exposedPorts[0].port": 8000.5}, "json", ["Cannot deserialize value of type `int` from Floating-point value"]),
    ({"exposedPorts[0].port": 2**31}, "json", ["Numeric value (2147483648) out of range of int"]),
    ({"resources[0].count": 10**19}, "json", ["Numeric value (10000000000000000000) out of range of long"]),
    ({"exposedPorts": {"name": "main"}}, "json", ["Cannot deserialize value of type `java.util.List<PortSpec>` from Object value"]),
    ({"type": "svc"}, "json", ['Cannot deserialize value of type `JobType` from String "svc": not one of the values '
                               "accepted for Enum class: [SERVICE, COMPUTATION, LOCAL_SERVICE]"]),
    ({"exposedPorts[0].type": "SCTP"}, "json", ['from String "SCTP": not one of the values accepted for Enum class: [HTTP, HTTPS, TCP, UDP]']),
    ({"placementPolicy.type": "any"}, "json", ["Could not resolve type id 'any' as a subtype of `PlacementPolicy`"]),
    ({"placementPolicy.type": DELETE}, "json", ["Missing type id when trying to resolve subtype of [simple type, class PlacementPolicy]"]),
    ({"executable.type": "docker"}, "json", ["Could not resolve type id 'docker' as a subtype of `ExecutableCoordinates`"]),
    ({"resources[0].type": "GPU"}, "json", ["Could not resolve type id 'GPU' as a subtype of `ResourceRequirement`"]),
    ({"healthcheck.mode.type": "TCP"}, "json", ["Could not resolve type id 'TCP' as a subtype of `CheckModeSpec`"]),
    ({"configs": [{"type": "inline", "localFilename": "/a", "data": ""}]}, "json", ["Could not resolve type id 'inline'"]),
    ({"healthcheck.timeout": "5 Minutes"}, "json",
     ["Cannot construct instance of `io.dropwizard.util.Duration`, problem: Invalid duration: 5 Minutes"]),
    ({"readiness.interval": "1.5s"}, "json", ["Invalid duration: 1.5s"]),
    ({"readiness.interval": "1h30m"}, "json", ["Invalid duration: 1h30m"]),
    ({"readiness.interval": " 5s"}, "json", ["Invalid duration:  5s"]),
    ({"readiness.interval": "-1s"}, "json", ["Invalid duration: -1s"]),
    ({"readiness.interval": 5}, "json", ["Cannot deserialize value of type `io.dropwizard.util.Duration` from Integer value"]),
    ({"executable.dockerPullTimeout": "100 secs"}, "json", ["Invalid duration: 100 secs"]),
    ({"healthcheck.mode.connectionTimeout": "1 sec"}, "json", ["Invalid duration: 1 sec"]),
    ({"env": {"A": {"nested": 1}}}, "json", ["Cannot deserialize value of type `java.lang.String` from Object value"]),
    ({"env": ["A=1"]}, "json", ["from Array value"]),
    ({"configs": [{"type": "INLINE", "localFilename": "/a", "data": "not base64!"}]}, "json", ["`byte[]`"]),
    ({"volumes": [{"pathInContainer": "/d", "pathOnHost": "/h", "mode": "RW"}]}, "json", ["[READ_WRITE, READ_ONLY]"]),
    ({"healthcheck.mode.insecure": "maybe"}, "json", ["Cannot deserialize value of type `boolean`"]),
    # Drove's own null dereferences: HTTP 500 (§1.11, §10.1)
    ({"placementPolicy": DELETE}, "server", ['"com.phonepe.drove.models.application.ApplicationSpec.getPlacementPolicy()" is null']),
    ({"placementPolicy": None}, "server", ["getPlacementPolicy()"]),
    ({"healthcheck.mode": DELETE}, "server", ['"com.phonepe.drove.models.application.checks.CheckSpec.getMode()" is null']),
    ({"readiness.mode": None}, "server", ["CheckSpec.getMode()"]),
]


@pytest.mark.parametrize(("changes", "kind", "messages"), APP_WIRE_CASES, ids=lambda v: None)
def test_app_spec_wire_errors(changes, kind, messages):
    with pytest.raises(DroveWireError) as info:
        check_application_spec(mutate(APP, changes))
    err = info.value
    assert err.kind == kind
    if kind == "json":
        # Jackson stops at the first problem; its text is long, so we check the significant part
        assert len(err.messages) == 1
        assert messages[0] in err.messages[0]
    elif kind == "server":
        assert len(err.messages) == 1
        assert messages[0] in err.messages[0]
        assert err.status_code == 500
        assert err.to_envelope() == {"status": "FAILED", "data": {"failure": err.messages[0]},
                                     "message": "Unexpected Server error"}  # fmt: skip
    else:
        assert err.messages == messages
        assert err.status_code == 400
        assert err.to_envelope() == {"status": "FAILED", "data": {"validationErrors": messages},
                                     "message": "Command validation failure"}  # fmt: skip


def test_bean_errors_come_before_spec_checks_and_server_failures():
    # a bean violation hides both the 500 of a missing placementPolicy and the port-name check
    data = mutate(APP, {"name": "", "placementPolicy": DELETE, "healthcheck.mode.portName": "nope"})
    with pytest.raises(DroveWireError) as info:
        check_application_spec(data)
    assert (info.value.kind, info.value.messages) == ("command", ["name - Application name is mandatory"])


def test_json_errors_come_before_bean_errors():
    with pytest.raises(DroveWireError) as info:
        check_application_spec(mutate(APP, {"name": "", "type": "svc"}))
    assert info.value.kind == "json"
    assert info.value.message == "JSON validation failure"


def test_several_spec_check_messages_are_all_reported():
    data = mutate(APP, {"healthcheck.mode.portName": "a", "readiness.mode.portName": "b",
                        "resources": [{"type": "CPU", "count": 1}]})  # fmt: skip
    with pytest.raises(DroveWireError) as info:
        check_application_spec(data)
    assert info.value.messages == [
        "Invalid port name for health check: a. Available ports: [main]",
        "Invalid port name for health check: b. Available ports: [main]",
        "Memory requirements are mandatory",
    ]


def test_available_ports_are_listed_like_a_java_list():
    data = mutate(APP, {"exposedPorts": [{"name": "main", "port": 8000, "type": "HTTP"},
                                         {"name": "admin", "port": 8001, "type": "HTTP"}],
                        "healthcheck.mode.portName": "web"})  # fmt: skip
    with pytest.raises(DroveWireError) as info:
        check_application_spec(data)
    assert info.value.messages == ["Invalid port name for health check: web. Available ports: [main, admin]"]


@pytest.mark.parametrize(("body", "kind", "message"), [
    (None, "command", "The request body must not be null"),
    ([], "json", "Cannot deserialize value of type `ApplicationSpec` from Array value"),
    ("spec", "json", 'Cannot deserialize value of type `ApplicationSpec` from String "spec"'),
    (7, "json", "Cannot deserialize value of type `ApplicationSpec` from Integer value"),
])  # fmt: skip
def test_bodies_that_are_not_objects(body, kind, message):
    with pytest.raises(DroveWireError) as info:
        check_application_spec(body)
    assert info.value.kind == kind
    assert info.value.messages[0].startswith(message)


def test_prefix_extends_bean_property_paths():
    with pytest.raises(DroveWireError) as info:
        check_application_spec(mutate(APP, {"name": ""}), prefix="spec")
    assert info.value.messages == ["spec.name - Application name is mandatory"]


@pytest.mark.parametrize(("options", "changes", "messages"), [
    (SpecCheckOptions(allowed_mount_dirs=("/mnt/",)),
     {"volumes": [{"pathInContainer": "/d", "pathOnHost": "/etc/secrets", "mode": "READ_ONLY"}]},
     ["Volume mount requested on non whitelisted host directory: /etc/secrets"]),
    (SpecCheckOptions(disable_cmdl_args=True), {"args": ["--x"]},
     ["Passing command line to containers is disabled on this cluster"]),
])  # fmt: skip
def test_controller_options_change_the_checks(options, changes, messages):
    with pytest.raises(DroveWireError) as info:
        check_application_spec(mutate(APP, changes), options=options)
    assert info.value.messages == messages
    # and the defaults accept the same spec
    check_application_spec(mutate(APP, changes))


def test_devices_are_accepted_when_the_cluster_allows_them():
    data = mutate(APP, {"devices": [{"type": "DETAILED", "driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]})
    check_application_spec(data, options=SpecCheckOptions(enable_raw_device_access=True))


def test_mounts_under_allowed_dirs_pass():
    data = mutate(APP, {"volumes": [{"pathInContainer": "/d", "pathOnHost": "/mnt/data", "mode": "READ_ONLY"}]})
    check_application_spec(data, options=SpecCheckOptions(allowed_mount_dirs=("/mnt/",)))


# ---- provider face: DroveInputError(field path, problem with fix) -------------------------------

# (changes to APP, field, words the problem must contain)
APP_INPUT_CASES = [
    ({"healthcheck.mode.portName": "admin"}, "spec.healthcheck.mode.portName", ["'admin'", "main", "exposedPorts"]),
    ({"readiness.mode.portName": "admin"}, "spec.readiness.mode.portName", ["'admin'", "main"]),
    ({"name": DELETE}, "spec.name", ["required", "MY_APP"]),
    ({"name": "my app"}, "spec.name", ["letters, digits", "'my app'"]),
    ({"exposedPorts": []}, "spec.exposedPorts", ["must not be empty", '"port": 8000']),
    ({"exposedPorts[0].port": 70000}, "spec.exposedPorts[0].port", ["at most 65535", "70000"]),
    ({"exposedPorts[0].port": True}, "spec.exposedPorts[0].port", ["whole number", "boolean"]),
    ({"exposedPorts[0].port": 10**40}, "spec.exposedPorts[0].port", ["too large", "1 and 65535"]),
    ({"type": "svc"}, "spec.type", ["SERVICE, COMPUTATION, LOCAL_SERVICE", "'svc'"]),
    ({"placementPolicy.type": "any"}, "spec.placementPolicy.type", ["case-sensitive", "'ANY'"]),
    ({"placementPolicy": DELETE}, "spec.placementPolicy", ["500", '{"type": "ANY"}']),
    ({"placementPolicy": {"type": "LOCAL"}}, "spec.placementPolicy", ["LOCAL", "ANY"]),
    ({"healthcheck.mode": DELETE}, "spec.healthcheck.mode", ["500", '"type": "HTTP"']),
    ({"healthcheck.mode.protocol": DELETE}, "spec.healthcheck.mode.protocol", ["HTTP", "HTTPS"]),
    ({"healthcheck.timeout": "5 Minutes"}, "spec.healthcheck.timeout", ["invalid duration", "'5m'"]),
    ({"healthcheck.timeout": 5}, "spec.healthcheck.timeout", ["must be a string", "'30 seconds'"]),
    ({"healthcheck.attempts": 0}, "spec.healthcheck.attempts", ["at least 1", "1..100"]),
    ({"resources": [{"type": "CPU", "count": 1}]}, "spec.resources", ["MEMORY", "sizeInMB"]),
    ({"resources": [{"type": "CPU", "count": 0}, {"type": "MEMORY", "sizeInMB": 128}]}, "spec.resources[0].count", ["at least 1"]),
    ({"resources[1].sizeInMB": 0}, "spec.resources[1].sizeInMB", ["at least 1, got 0", '"sizeInMB": 128']),
    ({"resources[1].sizeInMB": -512}, "spec.resources[1].sizeInMB", ["at least 1, got -512", "range-check"]),
    ({"resources[0].count": -1}, "spec.resources[0].count", ["at least 1, got -1", '"count": 1']),
    ({"executable.url": "ghcr.io/x/y latest"}, "spec.executable.url", ["not a Docker image reference", "whitespace"]),
    ({"executable.url": " ghcr.io/x/y"}, "spec.executable.url", ["whitespace", "'ghcr.io/org/image:tag'"]),
    ({"executable.url": "https://ghcr.io/x/y"}, "spec.executable.url", ["not a Docker image reference", "scheme"]),
    ({"exposureSpec": {"vhost": "v", "portName": "web", "mode": "ALL"}}, "spec.exposureSpec.portName", ["'web'", "main"]),
    ({"preShutdown": {"hooks": [dict(HTTP_MODE, portName="admin")]}}, "spec.preShutdown.hooks[0].portName", ["'admin'"]),
    ({"devices": [{"type": "DIRECT", "pathOnHost": "/dev/x"}]}, "spec.devices", ["disabled", "remove"]),
    ({"args": ["a" * 3000]}, "spec.args", ["2048"]),
    ({"configs": [{"type": "INLINE", "localFilename": "/a", "data": "%%%"}]}, "spec.configs[0].data", ["base64"]),
    ({"env": {"A": [1]}}, "spec.env.A", ["must be a string", "a list"]),
]


@pytest.mark.parametrize(("changes", "field", "words"), APP_INPUT_CASES, ids=lambda v: None)
def test_app_spec_input_errors_name_the_field_and_the_fix(changes, field, words):
    from airflow_provider_drove.exceptions import DroveInputError

    with pytest.raises(DroveInputError) as info:
        parse_application_spec(mutate(APP, changes))
    err = info.value
    assert err.field == field
    for word in words:
        assert word in err.problem
    assert isinstance(err, ValueError)


def test_input_error_lists_the_other_problems_too():
    from airflow_provider_drove.exceptions import DroveInputError

    with pytest.raises(DroveInputError) as info:
        parse_application_spec(mutate(APP, {"name": "", "version": ""}))
    assert info.value.field == "spec.name"
    assert "also: spec.version" in info.value.problem


def test_field_prefix_is_configurable():
    from airflow_provider_drove.exceptions import DroveInputError

    with pytest.raises(DroveInputError) as info:
        parse_application_spec(mutate(APP, {"name": ""}), field="application_spec")
    assert info.value.field == "application_spec.name"


@pytest.mark.parametrize("bad", [None, "spec.json", ["a"], 3])
def test_provider_rejects_non_dict_specs(bad):
    from airflow_provider_drove.exceptions import DroveInputError

    with pytest.raises(DroveInputError) as info:
        parse_application_spec(bad)
    assert info.value.field == "spec"
    with pytest.raises(DroveInputError):
        parse_task_spec(bad)


# values real Drove accepts (it does not range-check resources or parse the image, §10.1) but that
# cannot work: the provider face refuses them, the emulator face must keep accepting them
PROVIDER_ONLY_CHANGES = [
    {"healthcheck.mode.protocol": DELETE},  # an HTTP check without protocol: the executor then fails
    {"resources[0].count": 0},
    {"resources[1].sizeInMB": 0},
    {"resources[1].sizeInMB": -1},
    {"executable.url": "ghcr.io/x/y latest"},
    {"executable.url": "   "},
    {"executable.url": "docker://ghcr.io/x/y"},
]


@pytest.mark.parametrize("changes", PROVIDER_ONLY_CHANGES, ids=lambda v: None)
def test_provider_only_problems_do_not_fail_the_emulator_face(changes):
    from airflow_provider_drove.exceptions import DroveInputError

    data = mutate(APP, changes)
    check_application_spec(data)
    with pytest.raises(DroveInputError):
        parse_application_spec(data)
    if "healthcheck.mode.protocol" not in changes:  # tasks have no checks
        task = mutate(TASK, changes)
        check_task_spec(task)
        with pytest.raises(DroveInputError):
            parse_task_spec(task)


def test_parse_returns_an_existing_spec_unchanged():
    spec = parse_application_spec(APP)
    assert parse_application_spec(spec) is spec


# ---- echo (GET /applications/{id}/spec) -----------------------------------------------------------


def test_echo_canonical_durations_masks_and_omitted_nulls():
    data = mutate(
        APP,
        {
            "executable.dockerPullTimeout": "100s",
            "healthcheck.timeout": "1s",
            "healthcheck.interval": "5m",
            "healthcheck.initialDelay": DELETE,
            "readiness.timeout": "2 seconds",
            "readiness.interval": "1 minute",
            "readiness.initialDelay": "10ms",
            "preShutdown": {"hooks": [], "waitBeforeKill": "3s"},
            "configs": [
                {"type": "INLINE", "localFilename": "/a", "data": "aGVsbG8="},
                {"type": "EXECUTOR_HTTP_FETCH", "localFilename": "/b",
                 "http": {"hostname": "h", "username": "u", "password": "p", "authHeader": "Basic eA==",
                          "connectionTimeout": "1d"}},
            ],
            "tags": None,
            "somethingNew": 1,
        },
    )  # fmt: skip
    echo = echo_spec(check_application_spec(data))
    assert echo["executable"]["dockerPullTimeout"] == "100 seconds"
    assert echo["healthcheck"]["timeout"] == "1 second"
    assert echo["healthcheck"]["interval"] == "5 minutes"
    assert "initialDelay" not in echo["healthcheck"]
    assert echo["readiness"]["timeout"] == "2 seconds"
    assert echo["readiness"]["interval"] == "1 minute"
    assert echo["readiness"]["initialDelay"] == "10 milliseconds"
    assert echo["preShutdown"] == {"hooks": [], "waitBeforeKill": "3 seconds"}
    assert echo["configs"][0] == {"type": "INLINE", "localFilename": "/a", "data": ""}
    assert echo["configs"][1]["http"] == {"hostname": "h", "username": "***", "password": "***", "authHeader": "***",
                                          "connectionTimeout": "1 day", "insecure": False}  # fmt: skip
    assert "tags" not in echo and "somethingNew" not in echo
    # Java primitives are always present
    assert echo["healthcheck"]["mode"]["insecure"] is False
    # the provider's own copy keeps what it was given
    assert parse_application_spec(data).to_wire()["configs"][0]["data"] == "aGVsbG8="


def test_echo_of_a_dict_validates_it_first():
    assert echo_spec(APP) == echo_spec(check_application_spec(APP))
    with pytest.raises(DroveWireError):
        echo_spec(mutate(APP, {"type": "nope"}))


def test_echo_value_of_a_nested_part():
    assert echo_value("executable", {"type": "DOCKER", "url": "u", "dockerPullTimeout": "2m"}) == {
        "type": "DOCKER", "url": "u", "dockerPullTimeout": "2 minutes"}  # fmt: skip


def test_to_wire_is_a_copy():
    spec = parse_application_spec(APP)
    spec.to_wire()["name"] = "changed"
    assert spec.name == "AF_DEMO"


# ---- TaskSpec ------------------------------------------------------------------------------------------


def test_task_spec_valid_on_both_faces():
    spec = check_task_spec(TASK)
    assert isinstance(spec, TaskSpec)
    assert spec == parse_task_spec(TASK)
    assert (spec.source_app_name, spec.task_id, spec.drove_task_id) == ("TEST_APP", "T0012", "TEST_APP-T0012")
    assert (spec.cpus, spec.memory_mb, spec.env) == (1, 128, {"ITERATIONS": "10"})
    assert echo_spec(spec)["executable"]["dockerPullTimeout"] == "100 seconds"


TASK_WIRE_CASES = [
    ({"sourceAppName": ""}, "command", ["sourceAppName - Source Application name is mandatory"]),
    ({"sourceAppName": "a/b"}, "command", ["sourceAppName - Only characters, numbers, hyphen and underscore is allowed"]),
    ({"taskId": DELETE}, "command", ["taskId - Task ID is mandatory"]),
    ({"taskId": "run 1"}, "command", ["taskId - Only characters, numbers, hyphen and underscore is allowed"]),
    ({"executable": DELETE}, "command", ["executable - Executable details is required"]),
    ({"resources": DELETE}, "command", ["resources - CPU/Memory requirements must be specified"]),
    ({"resources": [{"type": "CPU", "count": 1}]}, "command", ["Memory requirements are mandatory"]),
    ({"placementPolicy": {"type": "LOCAL"}}, "command", ["Local service placement is not allowed for tasks"]),
    ({"devices": [{"type": "DIRECT", "pathOnHost": "/dev/x"}]}, "command",
     ["Device access is disabled. To enable, set enableRawDeviceAccess: true in controller options."]),
    ({"executable.dockerPullTimeout": "1.5s"}, "json", ["Invalid duration: 1.5s"]),
    ({"placementPolicy": DELETE}, "server", ['"com.phonepe.drove.models.task.TaskSpec.getPlacementPolicy()" is null']),
]


@pytest.mark.parametrize(("changes", "kind", "messages"), TASK_WIRE_CASES, ids=lambda v: None)
def test_task_spec_wire_errors(changes, kind, messages):
    with pytest.raises(DroveWireError) as info:
        check_task_spec(mutate(TASK, changes))
    assert info.value.kind == kind
    if kind == "command":
        assert info.value.messages == messages
    else:
        assert messages[0] in info.value.messages[0]


def test_task_spec_ignores_app_only_fields():
    # tasks have no ports or checks: those fields are unknown to TaskSpec and ignored
    spec = check_task_spec(mutate(TASK, {"exposedPorts": "whatever", "healthcheck": 1}))
    assert "exposedPorts" not in spec.to_wire()


# (changes to TASK, field, words the problem must contain)
TASK_INPUT_CASES = [
    ({"taskId": "run 1"}, "spec.taskId", ["letters, digits"]),
    ({"placementPolicy": DELETE}, "spec.placementPolicy", ['{"type": "ANY"}']),
    ({"resources": [{"type": "MEMORY", "sizeInMB": 1}]}, "spec.resources", ['"type": "CPU"']),
    ({"resources[0].count": 0}, "spec.resources[0].count", ["at least 1, got 0", '"count": 1']),
    ({"resources[1].sizeInMB": 0}, "spec.resources[1].sizeInMB", ["at least 1, got 0", '"sizeInMB": 128']),
    ({"resources[1].sizeInMB": -64}, "spec.resources[1].sizeInMB", ["at least 1, got -64"]),
    ({"executable.url": "ghcr.io/appform-io/test-task\t"}, "spec.executable.url", ["not a Docker image reference", "whitespace"]),
    ({"executable.url": "ghcr.io/x y:1"}, "spec.executable.url", ["whitespace", "'ghcr.io/org/image:tag'"]),
    ({"executable.url": "http://ghcr.io/x"}, "spec.executable.url", ["scheme"]),
    # a spec with a Drove error and a provider one: Drove's is named first, the other follows
    ({"resources[0].count": 0, "placementPolicy": {"type": "LOCAL"}}, "spec.placementPolicy",
     ["LOCAL", "also: spec.resources[0].count: must be at least 1"]),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "words"), TASK_INPUT_CASES, ids=lambda v: None)
def test_task_spec_input_errors(changes, field, words):
    from airflow_provider_drove.exceptions import DroveInputError

    with pytest.raises(DroveInputError) as info:
        parse_task_spec(mutate(TASK, changes))
    assert info.value.field == field
    for word in words:
        assert word in info.value.problem


# ---- comparing a desired spec with what Drove has -------------------------------------------------------


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, []),
    # the same spec as Drove echoes it back
    ({"healthcheck.interval": "5s", "type": "service", "readiness.timeout": "1s", "futureField": 1}, []),
    ({"healthcheck.interval": "6 seconds"}, ["healthcheck.interval"]),
    ({"env": {"A": "1"}}, ["env"]),
    ({"exposedPorts[0].port": 9000, "version": "2"}, ["version", "exposedPorts[0].port"]),
    ({"exposedPorts": [{"name": "main", "port": 8000, "type": "HTTP"}, {"name": "b", "port": 1, "type": "TCP"}]},
     ["exposedPorts"]),
])  # fmt: skip
def test_spec_differences(changes, expected):
    from airflow_provider_drove.drove.specs import spec_differences

    assert spec_differences(APP, mutate(APP, changes)) == expected


def test_spec_differences_cannot_see_masked_values():
    from airflow_provider_drove.drove.specs import spec_differences

    current = copy.deepcopy(SEED_SPEC_ECHO)  # Drove's echo: inline data blanked
    desired = mutate(SEED_SPEC_ECHO, {"configs[0].data": "aGVsbG8="})
    assert spec_differences(desired, current) == []
    assert spec_differences(parse_application_spec(desired), check_application_spec(current)) == []


# ---- request bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (None, None),
    (b"", None),
    ("  \n", None),
    (b'{"type": "ANY"}', {"type": "ANY"}),
    ('[1, 2]', [1, 2]),
])  # fmt: skip
def test_load_json_body(raw, expected):
    from airflow_provider_drove.drove.specs import load_json_body

    assert load_json_body(raw) == expected


@pytest.mark.parametrize("raw", [b"{", b"{'single': 1}", "not json", b"\xff\xfe", b'{"a": 1,}'])
def test_load_json_body_rejects_malformed_json_like_jackson(raw):
    from airflow_provider_drove.drove.specs import load_json_body

    with pytest.raises(DroveWireError) as info:
        load_json_body(raw)
    assert info.value.kind == "json"
    assert info.value.to_envelope()["message"] == "JSON validation failure"
    assert len(info.value.messages) == 1


def test_empty_body_then_fails_as_a_null_entity():
    from airflow_provider_drove.drove.specs import load_json_body

    with pytest.raises(DroveWireError) as info:
        check_application_spec(load_json_body(b""))
    assert (info.value.kind, info.value.messages) == ("command", ["The request body must not be null"])


# ---- no input crashes either face ---------------------------------------------------------------------

ODD_VALUES = [None, "", "x", "HTTP", "5 Minutes", -1, 0, 2**31, 2**70, 1.5, float("inf"), True, [], [None], {},
              {"type": "ANY"}, {"type": "nope"}, ["a", 1]]  # fmt: skip


def _leaf_paths(value: Any, path: str = "") -> list[str]:
    paths = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _leaf_paths(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            paths += _leaf_paths(child, f"{path}[{i}]")
    return paths


def fuzz_cases(base: dict[str, Any], seed: int, count: int) -> list[dict[str, Any]]:
    """Deterministic random damage: each case replaces or deletes one to three fields of ``base``."""
    import random

    rng = random.Random(seed)
    paths = _leaf_paths(base)
    cases = []
    for _ in range(count):
        changes = {rng.choice(paths): rng.choice([*ODD_VALUES, DELETE]) for _ in range(rng.randint(1, 3))}
        try:
            cases.append(mutate(base, changes))
        except (KeyError, IndexError, TypeError):  # a change under a path an earlier change removed
            continue
    return cases


@pytest.mark.parametrize(("base", "check", "parse"), [
    (SEED_SPEC_ECHO, check_application_spec, parse_application_spec),
    (TASK, check_task_spec, parse_task_spec),
])  # fmt: skip
def test_damaged_specs_fail_only_with_drove_errors(base, check, parse):
    from airflow_provider_drove.exceptions import DroveInputError

    outcomes = {"ok": 0, "json": 0, "command": 0, "server": 0}
    for case in fuzz_cases(base, seed=20260704, count=600):
        try:
            spec = check(case)
        except DroveWireError as err:
            outcomes[err.kind] += 1
            assert err.messages and all(isinstance(m, str) and m for m in err.messages)
            json.dumps(err.to_envelope())
            with pytest.raises(DroveInputError):  # what Drove refuses, the provider refuses first
                parse(case)
            continue
        outcomes["ok"] += 1
        echo_spec(spec)
        try:
            parse(case)
        except DroveInputError:
            pass  # the provider may be stricter (e.g. an HTTP check without protocol)
    # the damage reaches every stage of the checks
    assert all(outcomes.values()), outcomes


@pytest.mark.parametrize("raw", ['{"a": NaN}', '{"a": Infinity}', "[" * 100_000 + "]" * 100_000])
def test_load_json_body_rejects_what_jackson_rejects(raw):
    from airflow_provider_drove.drove.specs import load_json_body

    with pytest.raises(DroveWireError) as info:
        load_json_body(raw)
    assert info.value.kind == "json"


def test_absurd_nesting_is_a_json_failure_not_a_crash():
    policy: dict[str, Any] = {"type": "ANY"}
    for _ in range(5000):
        policy = {"type": "COMPOSITE", "combiner": "AND", "policies": [policy]}
    with pytest.raises(DroveWireError) as info:
        check_application_spec(mutate(APP, {"placementPolicy": policy}))
    assert info.value.kind == "json"
    # a reasonable nesting is fine
    nested: dict[str, Any] = {"type": "ANY"}
    for _ in range(20):
        nested = {"type": "COMPOSITE", "combiner": "OR", "policies": [nested]}
    check_application_spec(mutate(APP, {"placementPolicy": nested}))


def test_bad_inline_config_data_is_not_quoted_in_errors():
    from airflow_provider_drove.exceptions import DroveInputError

    data = mutate(APP, {"configs": [{"type": "INLINE", "localFilename": "/a", "data": "password=hunter2"}]})
    with pytest.raises(DroveWireError) as wire:
        check_application_spec(data)
    with pytest.raises(DroveInputError) as provider:
        parse_application_spec(data)
    assert "hunter2" not in str(wire.value) and "hunter2" not in str(provider.value)
