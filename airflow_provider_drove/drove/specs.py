"""Drove's ApplicationSpec and TaskSpec, with the controller's own rules (``drove-api.md`` §10, §3.2, §2).

One set of checks, two faces:

* **provider face**: :func:`parse_application_spec` / :func:`parse_task_spec` raise
  :class:`~airflow_provider_drove.exceptions.DroveInputError` naming the field path
  (``spec.healthcheck.mode.portName``) and the fix, before any request is sent;
* **emulator face**: :func:`check_application_spec` / :func:`check_task_spec` raise
  :class:`DroveWireError` carrying the kind of failure and Drove's own texts, so the emulator answers
  exactly what the controller answers.

The checks run in Drove's order. Jackson-level problems (wrong JSON type, bad enum value, unknown
``type`` discriminator, bad duration) stop at the first one ("json"); bean-validation problems are
all collected as ``"<property path> <constraint message>"`` ("command"); then the controller's spec
checks of §3.2 run ("command" too), except the two null dereferences that Drove answers with a 500
("server"): a missing ``placementPolicy`` and a check without ``mode``.

Fidelity limits, all deliberate: Jackson's texts are reproduced in substance (type, value, the
accepted enum values or type ids) with a dotted property path instead of Jackson's Java reference
chain; bean-validation messages come in declaration order (Hibernate's order is unspecified); the
500 texts are Java's helpful-NPE messages as the controller's JVM would print them.

The schema language (the ``Wire*`` nodes) and the driver that walks a payload and turns its
problems into either face's error live in :mod:`airflow_provider_drove.drove.wire`; this module
holds what is particular to specs: Drove's spec models, the §3.2 checks, the provider's own checks
(values Drove accepts that cannot work), and the typed views.

This module must not import Airflow (the emulator is a pytest plugin loaded before Airflow is
configured): ``DroveInputError`` is imported lazily, by :func:`~airflow_provider_drove.drove.wire.raise_input_error`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_drove.drove.durations import Duration, parse_duration

from airflow_provider_drove.drove.wire import (
    DroveWireError,
    Problem,
    WalkContext,
    WireBase64,
    WireBool,
    WireDuration,
    WireEnum,
    WireField,
    WireInt,
    WireList,
    WireObject,
    WirePoly,
    WireStr,
    WireStrMap,
    human_type,
    join_path,
    raise_input_error,
    validate_payload,
    wire_error,
)

# Defined here before the wire-schema language moved to wire.py: still importable from here.
from airflow_provider_drove.drove.wire import WIRE_ERROR_KINDS as WIRE_ERROR_KINDS  # noqa: F401
from airflow_provider_drove.drove.wire import WireNode as WireNode  # noqa: F401
from airflow_provider_drove.drove.wire import load_json_body as load_json_body  # noqa: F401
from airflow_provider_drove.drove.wire import prefixed_path as prefixed_path  # noqa: F401

__all__ = [
    "ApplicationSpec",
    "CheckSpec",
    "DroveWireError",
    "PortSpec",
    "Problem",
    "SpecCheckOptions",
    "TaskSpec",
    "check_application_spec",
    "check_task_spec",
    "echo_spec",
    "echo_value",
    "image_reference_problem",
    "load_json_body",
    "parse_application_spec",
    "parse_task_spec",
    "spec_differences",
]

# --------------------------------------------------------------------------------------------
# Drove's spec models (models/application/**, models/task/TaskSpec.java, models/config/**)
# --------------------------------------------------------------------------------------------

_NAME_PATTERN = r"[a-zA-Z\d\-_]*"
_NAME_MSG = "- Only characters, numbers, hyphen and underscore is allowed"
_DURATION_HINT = "'30 seconds'"

_HTTP_VERB = WireEnum("HTTPVerb", ("GET", "POST", "PUT"))
_PROTOCOL = WireEnum("Protocol", ("HTTP", "HTTPS"))

_PORT = WireObject(
    "PortSpec",
    [
        WireField("name", WireStr(r"[a-zA-Z0-9\-_]*"), "empty", hint="'main'"),
        WireField("port", WireInt(1, 65535), default=0),
        WireField("type", WireEnum("PortType", ("HTTP", "HTTPS", "TCP", "UDP")), "null", hint="'HTTP'"),
    ],
)

_EXECUTABLE = WirePoly(
    "ExecutableCoordinates",
    {
        "DOCKER": WireObject(
            "DockerCoordinates",
            [
                WireField("url", WireStr(), "empty", hint="'ghcr.io/org/image:tag'"),
                WireField("dockerPullTimeout", WireDuration(), "null", hint="'100 seconds'"),
            ],
        )
    },
    default="DOCKER",
)

_RESOURCE = WirePoly(
    "ResourceRequirement",
    {
        "CPU": WireObject("CPURequirement", [WireField("count", WireInt(java="long"), default=0)]),
        "MEMORY": WireObject("MemoryRequirement", [WireField("sizeInMB", WireInt(java="long"), default=0)]),
    },
)

_PLACEMENT = WirePoly("PlacementPolicy")
_PLACEMENT.subtypes.update(
    {
        "ANY": WireObject("AnyPlacementPolicy", []),
        "ONE_PER_HOST": WireObject("OnePerHostPlacementPolicy", []),
        "MAX_N_PER_HOST": WireObject("MaxNPerHostPlacementPolicy", [WireField("max", WireInt(1, 64), default=0)]),
        "MATCH_TAG": WireObject("MatchTagPlacementPolicy", [WireField("tag", WireStr(), "empty", hint="'gpu'")]),
        "NO_TAG": WireObject("NoTagPlacementPolicy", []),
        "RULE_BASED": WireObject(
            "RuleBasedPlacementPolicy",
            [
                WireField("rule", WireStr(), "empty"),
                WireField("ruleType", WireEnum("RuleType", ("HOPE", "MVEL")), "null", hint="'HOPE'"),
            ],
        ),
        "COMPOSITE": WireObject(
            "CompositePlacementPolicy",
            [
                WireField("policies", WireList(_PLACEMENT), "empty", hint='[{"type": "ONE_PER_HOST"}]'),
                WireField("combiner", WireEnum("CombinerType", ("AND", "OR")), "null", hint="'AND'"),
            ],
        ),
        "LOCAL": WireObject("LocalPlacementPolicy", []),
    }
)

_CHECK_MODE = WirePoly(
    "CheckModeSpec",
    {
        "HTTP": WireObject(
            "HTTPCheckModeSpec",
            [
                WireField("protocol", _PROTOCOL),
                WireField("portName", WireStr(), "empty", hint="the name of an exposed port, e.g. 'main'"),
                WireField("path", WireStr(), "empty", hint="'/'"),
                WireField("verb", _HTTP_VERB, "null", hint="'GET'"),
                WireField("successCodes", WireList(WireInt()), "empty", hint="[200]"),
                WireField("payload", WireStr()),
                WireField("connectionTimeout", WireDuration()),
                WireField("insecure", WireBool(), default=False),
            ],
        ),
        "CMD": WireObject(
            "CmdCheckModeSpec",
            [WireField("command", WireStr(), "empty", hint="'test -f /tmp/ready'"), WireField("shellDisabled", WireBool(), default=False)],
        ),
    },
)

_CHECK = WireObject(
    "CheckSpec",
    [
        # a null mode is not caught by bean validation: Drove dereferences it and answers 500
        WireField("mode", _CHECK_MODE),
        WireField("timeout", WireDuration(), "null", hint=_DURATION_HINT),
        WireField("interval", WireDuration(), "null", hint=_DURATION_HINT),
        WireField("attempts", WireInt(1, 100), default=0),
        WireField("initialDelay", WireDuration()),
    ],
)

_HTTP_CALL = WireObject(
    "HTTPCallSpec",
    [
        WireField("protocol", _PROTOCOL),
        WireField("hostname", WireStr(), "empty", hint="'config.example.com'"),
        WireField("port", WireInt(0, 65535)),
        WireField("path", WireStr()),
        WireField("verb", _HTTP_VERB),
        WireField("successCodes", WireList(WireInt())),
        WireField("payload", WireStr()),
        WireField("connectionTimeout", WireDuration()),
        WireField("operationTimeout", WireDuration()),
        WireField("username", WireStr(secret=True)),
        WireField("password", WireStr(secret=True)),
        WireField("authHeader", WireStr(secret=True)),
        WireField("headers", WireStrMap()),
        WireField("insecure", WireBool(), default=False),
    ],
)

_FILENAME = WireField("localFilename", WireStr(), "empty", hint="'/etc/app/config.yml'")
_CONFIG = WirePoly(
    "ConfigSpec",
    {
        "INLINE": WireObject("InlineConfigSpec", [_FILENAME, WireField("data", WireBase64(), "null")]),
        "EXECUTOR_LOCAL_FILE": WireObject(
            "ExecutorLocalFileConfigSpec", [_FILENAME, WireField("filePathOnHost", WireStr(), "empty")]
        ),
        "CONTROLLER_HTTP_FETCH": WireObject("ControllerHttpFetchConfigSpec", [_FILENAME, WireField("http", _HTTP_CALL, "null")]),
        "EXECUTOR_HTTP_FETCH": WireObject("ExecutorHttpFetchConfigSpec", [_FILENAME, WireField("http", _HTTP_CALL, "null")]),
    },
)

_LOGGING = WirePoly(
    "LoggingSpec",
    {
        "LOCAL": WireObject(
            "LocalLoggingSpec",
            [
                WireField("maxSize", WireStr(), "empty", hint="'10m'"),
                WireField("maxFiles", WireInt(1, 100), default=0),
                WireField("compress", WireBool(), default=False),
            ],
        ),
        "RSYSLOG": WireObject(
            "RsyslogLoggingSpec",
            [WireField("server", WireStr(), "empty", hint="'tcp://syslog:514'"), WireField("tagPrefix", WireStr()), WireField("tagSuffix", WireStr())],
        ),
    },
)

_VOLUME = WireObject(
    "MountedVolume",
    [
        WireField("pathInContainer", WireStr(), "empty"),
        WireField("pathOnHost", WireStr(), "empty"),
        WireField("mode", WireEnum("MountMode", ("READ_WRITE", "READ_ONLY")), "null", hint="'READ_ONLY'"),
    ],
)

_DEVICE = WirePoly(
    "DeviceSpec",
    {
        "DIRECT": WireObject(
            "DirectDeviceSpec",
            [WireField("pathOnHost", WireStr(), "empty"), WireField("pathInContainer", WireStr()), WireField("permissions", WireStr())],
        ),
        "DETAILED": WireObject(
            "DetailedDeviceSpec",
            [
                WireField("driver", WireStr()),
                WireField("count", WireInt()),
                WireField("deviceIds", WireList(WireStr())),
                WireField("capabilities", WireList(WireStr())),
                WireField("options", WireStrMap()),
            ],
        ),
    },
)

_EXPOSURE = WireObject(
    "ExposureSpec",
    [
        WireField("vhost", WireStr(), "empty", hint="'myapp.example.com'"),
        WireField("portName", WireStr(), "empty", hint="the name of an exposed port"),
        WireField("mode", WireEnum("ExposureMode", ("ALL", "ONE")), "null", hint="'ALL'"),
    ],
)

_PRE_SHUTDOWN = WireObject("PreShutdownSpec", [WireField("hooks", WireList(_CHECK_MODE)), WireField("waitBeforeKill", WireDuration())])

_USER = WireObject("UserSpec", [WireField("user", WireStr(), "empty", hint="'1000'"), WireField("group", WireStr())])

_EXECUTABLE_F = WireField("executable", _EXECUTABLE, "null", "- Executable details is required",
                   hint='{"type": "DOCKER", "url": "...", "dockerPullTimeout": "100 seconds"}')  # fmt: skip
_RESOURCES_F = WireField("resources", WireList(_RESOURCE), "empty", "- CPU/Memory requirements must be specified",
                  hint='[{"type": "CPU", "count": 1}, {"type": "MEMORY", "sizeInMB": 128}]')  # fmt: skip
_PLACEMENT_F = WireField("placementPolicy", _PLACEMENT)
_COMMON_TAIL = [
    WireField("tags", WireStrMap()),
    WireField("env", WireStrMap()),
    WireField("args", WireList(WireStr()), max_items=2048),
    WireField("devices", WireList(_DEVICE)),
]

APP_SPEC_SCHEMA = WireObject(
    "ApplicationSpec",
    [
        WireField("name", WireStr(_NAME_PATTERN, _NAME_MSG), "empty", "- Application name is mandatory", hint="'MY_APP'"),
        WireField("version", WireStr(_NAME_PATTERN, _NAME_MSG), "empty", "- App version is mandatory", hint="'1'"),
        _EXECUTABLE_F,
        WireField("exposedPorts", WireList(_PORT), "empty", "- Port specifications are needed",
           hint='[{"name": "main", "port": 8000, "type": "HTTP"}]'),  # fmt: skip
        WireField("volumes", WireList(_VOLUME)),
        WireField("configs", WireList(_CONFIG)),
        WireField("type", WireEnum("JobType", ("SERVICE", "COMPUTATION", "LOCAL_SERVICE")), "null",
           "- Specify if job is a computation or a service", hint="'SERVICE'"),  # fmt: skip
        WireField("logging", _LOGGING),
        _RESOURCES_F,
        _PLACEMENT_F,
        WireField("healthcheck", _CHECK, "null", hint='{"mode": {...}, "timeout": "1 second", "interval": "5 seconds", "attempts": 3}'),
        WireField("readiness", _CHECK, "null", hint='{"mode": {...}, "timeout": "1 second", "interval": "3 seconds", "attempts": 3}'),
        *_COMMON_TAIL[:3],
        WireField("exposureSpec", _EXPOSURE),
        WireField("preShutdown", _PRE_SHUTDOWN),
        _COMMON_TAIL[3],
        WireField("userSpec", _USER),
    ],
)

TASK_SPEC_SCHEMA = WireObject(
    "TaskSpec",
    [
        WireField("sourceAppName", WireStr(_NAME_PATTERN, _NAME_MSG), "empty", "- Source Application name is mandatory",
           hint="the name of an existing Drove app"),  # fmt: skip
        WireField("taskId", WireStr(_NAME_PATTERN, _NAME_MSG), "empty", "- Task ID is mandatory", hint="'T0012'"),
        _EXECUTABLE_F,
        WireField("volumes", WireList(_VOLUME)),
        WireField("configs", WireList(_CONFIG)),
        WireField("logging", _LOGGING),
        _RESOURCES_F,
        _PLACEMENT_F,
        *_COMMON_TAIL,
        WireField("userSpec", _USER),
    ],
)

# --------------------------------------------------------------------------------------------
# Typed views over a validated spec
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortSpec:
    """One ``exposedPorts`` entry."""

    name: str
    port: int
    type: str


@dataclass(frozen=True)
class CheckSpec:
    """A healthcheck or readiness check, with durations parsed."""

    mode: dict[str, Any]
    timeout: Duration
    interval: Duration
    attempts: int
    initial_delay: Duration

    @property
    def budget_seconds(self) -> float:
        """``initialDelay + attempts x (timeout + interval)``, Drove's ``computeTimeout`` (§7.1)."""
        return self.initial_delay.seconds + self.attempts * (self.timeout.seconds + self.interval.seconds)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> CheckSpec:
        """Build from a validated check object."""
        return cls(
            mode=dict(data.get("mode") or {}),
            timeout=parse_duration(data["timeout"]),
            interval=parse_duration(data["interval"]),
            attempts=int(data.get("attempts", 0)),
            initial_delay=parse_duration(data.get("initialDelay", "0 seconds")),
        )


class _Spec:
    """Common accessors of ApplicationSpec and TaskSpec: a read-only view over validated wire JSON."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any], *, _trusted: bool = False) -> None:
        if not _trusted:
            # built from user data: validate and normalise it like parse_*_spec does
            data = self._parse(data).to_wire()
        self._data = copy.deepcopy(dict(data))

    @classmethod
    def _parse(cls, data: Any) -> _Spec:  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Any:
        """Validate Drove's JSON with the provider-face rules (see :func:`parse_application_spec`)."""
        return cls._parse(data)

    def to_wire(self) -> dict[str, Any]:
        """The spec as JSON to send to Drove (a deep copy; enum values normalised to upper case)."""
        return copy.deepcopy(self._data)

    def __getitem__(self, key: str) -> Any:
        return copy.deepcopy(self._data[key])

    def get(self, key: str, default: Any = None) -> Any:
        """A deep copy of one top-level field of the wire JSON."""
        return copy.deepcopy(self._data.get(key, default))

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._data == other._data  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self._data))))

    @property
    def executable_url(self) -> str:
        """The Docker image URL."""
        return self._data["executable"]["url"]

    @property
    def docker_pull_timeout(self) -> Duration:
        """``executable.dockerPullTimeout`` parsed."""
        return parse_duration(self._data["executable"]["dockerPullTimeout"])

    @property
    def cpus(self) -> int:
        """CPU cores requested per instance (sum of the CPU entries)."""
        return sum(r.get("count", 0) for r in self._data["resources"] if r["type"] == "CPU")

    @property
    def memory_mb(self) -> int:
        """Memory requested per instance, in MB (sum of the MEMORY entries)."""
        return sum(r.get("sizeInMB", 0) for r in self._data["resources"] if r["type"] == "MEMORY")

    @property
    def env(self) -> dict[str, str]:
        """Environment variables (a copy)."""
        return dict(self._data.get("env") or {})

    @property
    def tags(self) -> dict[str, str]:
        """Tags (a copy)."""
        return dict(self._data.get("tags") or {})

    @property
    def placement_policy(self) -> dict[str, Any] | None:
        """The placement policy object."""
        return copy.deepcopy(self._data.get("placementPolicy"))


class ApplicationSpec(_Spec):
    """A validated Drove ApplicationSpec (§10.1).

    ``ApplicationSpec(data)`` validates like :func:`parse_application_spec` (provider face);
    the emulator builds it with :func:`check_application_spec`.
    """

    __slots__ = ()

    @classmethod
    def _parse(cls, data: Any) -> ApplicationSpec:
        return parse_application_spec(data)

    @property
    def name(self) -> str:
        """The app name."""
        return self._data["name"]

    @property
    def version(self) -> str:
        """The app version."""
        return self._data["version"]

    @property
    def app_id(self) -> str:
        """Drove's app ID: ``name + "-" + version``, no normalisation (§10.1)."""
        return f"{self.name}-{self.version}"

    @property
    def type(self) -> str:
        """SERVICE, COMPUTATION or LOCAL_SERVICE."""
        return self._data["type"]

    @property
    def exposed_ports(self) -> list[PortSpec]:
        """The exposed ports."""
        return [PortSpec(p["name"], p["port"], p["type"]) for p in self._data["exposedPorts"]]

    @property
    def port_names(self) -> list[str]:
        """Names of the exposed ports, in spec order."""
        return [p["name"] for p in self._data["exposedPorts"]]

    @property
    def healthcheck(self) -> CheckSpec:
        """The health check."""
        return CheckSpec.from_wire(self._data["healthcheck"])

    @property
    def readiness(self) -> CheckSpec:
        """The readiness check."""
        return CheckSpec.from_wire(self._data["readiness"])

    @property
    def exposure_spec(self) -> dict[str, Any] | None:
        """``{vhost, portName, mode}`` or None."""
        return copy.deepcopy(self._data.get("exposureSpec"))

    def __repr__(self) -> str:
        # never the whole spec: configs and HTTP fetches may carry secrets
        return f"ApplicationSpec(app_id={self.app_id!r}, image={self.executable_url!r})"


class TaskSpec(_Spec):
    """A validated Drove TaskSpec (§10.2).

    ``TaskSpec(data)`` validates like :func:`parse_task_spec` (provider face); the emulator builds
    it with :func:`check_task_spec`.
    """

    __slots__ = ()

    @classmethod
    def _parse(cls, data: Any) -> TaskSpec:
        return parse_task_spec(data)

    @property
    def source_app_name(self) -> str:
        """The app the task belongs to."""
        return self._data["sourceAppName"]

    @property
    def task_id(self) -> str:
        """The user task ID."""
        return self._data["taskId"]

    @property
    def drove_task_id(self) -> str:
        """What CREATE answers: ``sourceAppName-taskId`` (§11), informational only."""
        return f"{self.source_app_name}-{self.task_id}"

    def __repr__(self) -> str:
        return f"TaskSpec(source_app_name={self.source_app_name!r}, task_id={self.task_id!r}, image={self.executable_url!r})"


# --------------------------------------------------------------------------------------------
# Spec checks (§3.2): run by the controller after bean validation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecCheckOptions:
    """Controller options that change the spec checks (§3.2, §10.1); defaults are Drove's.

    :param allowed_mount_dirs: host directories volumes may mount from (empty: any).
    :param disable_cmdl_args: ``args`` disabled cluster-wide.
    :param enable_raw_device_access: allow ``devices``.
    """

    allowed_mount_dirs: tuple[str, ...] = ()
    disable_cmdl_args: bool = False
    enable_raw_device_access: bool = False


def _java_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _policies(policy: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    if not policy:
        return
    yield policy
    for child in policy.get("policies") or []:
        yield from _policies(child)


def _server_failures(data: Mapping[str, Any], kind: str) -> list[Problem]:
    """The two places where Drove dereferences null and answers 500 (§1.11, §10.1)."""
    if data.get("placementPolicy") is None:
        return [
            Problem(
                "server",
                "placementPolicy",
                'Cannot invoke "com.phonepe.drove.models.application.placement.PlacementPolicy.accept('
                'com.phonepe.drove.models.application.placement.PlacementPolicyVisitor)" because the return '
                f'value of "{kind}.getPlacementPolicy()" is null',
                'is required: Drove fails with HTTP 500 without it; add {"type": "ANY"}',
            )
        ]
    out = []
    for check in ("healthcheck", "readiness"):
        if check in data and data[check].get("mode") is None:
            out.append(
                Problem(
                    "server",
                    f"{check}.mode",
                    'Cannot invoke "com.phonepe.drove.models.application.checks.CheckModeSpec.accept('
                    'com.phonepe.drove.models.application.checks.CheckModeSpecVisitor)" because the return '
                    f'value of "com.phonepe.drove.models.application.checks.CheckSpec.getMode()" is null',
                    'is required: Drove fails with HTTP 500 without it; add e.g. {"type": "HTTP", "protocol": '
                    '"HTTP", "portName": "main", "path": "/", "verb": "GET", "successCodes": [200]}',
                )
            )
            break
    return out


def common_spec_checks(
    data: Mapping[str, Any], options: SpecCheckOptions, what: str, *, provider_checks: bool = True
) -> list[Problem]:
    """The §3.2 spec checks shared by apps and tasks, then the provider's own (:func:`provider_spec_checks`).

    :param data: the spec, after bean validation.
    :param options: controller options that change the checks.
    :param what: ``"apps"`` or ``"tasks"``, as Drove's messages name them.
    :param provider_checks: False to leave out the provider's own checks (:func:`app_spec_checks`
        runs them last, after the app-only checks, so a spec's problems are named in that order).
    :return: the problems found, in Drove's order.
    """
    problems: list[Problem] = []
    types = {r.get("type") for r in data.get("resources") or [] if r}
    if "CPU" not in types:
        problems.append(Problem("command", "resources", "Cpu requirements are mandatory",
                                'needs a CPU entry, e.g. {"type": "CPU", "count": 1}'))  # fmt: skip
    if "MEMORY" not in types:
        problems.append(Problem("command", "resources", "Memory requirements are mandatory",
                                'needs a MEMORY entry, e.g. {"type": "MEMORY", "sizeInMB": 128}'))  # fmt: skip
    for i, volume in enumerate(data.get("volumes") or []):
        host_path = (volume or {}).get("pathOnHost", "")
        if options.allowed_mount_dirs and not any(host_path.startswith(d) for d in options.allowed_mount_dirs):
            problems.append(
                Problem(
                    "command",
                    f"volumes[{i}].pathOnHost",
                    f"Volume mount requested on non whitelisted host directory: {host_path}",
                    f"{host_path!r} is not under an allowed directory: {', '.join(options.allowed_mount_dirs)}",
                )
            )
    args = data.get("args") or []
    if args and options.disable_cmdl_args:
        problems.append(Problem("command", "args", "Passing command line to containers is disabled on this cluster",
                                "this cluster does not allow args; remove them"))  # fmt: skip
    elif len(" ".join(a or "" for a in args)) > 2048:
        problems.append(Problem("command", "args", "Maximum combined length of command line arguments can be 2048",
                                "the arguments joined by spaces exceed 2048 characters; shorten them"))  # fmt: skip
    if data.get("devices") and not options.enable_raw_device_access:
        problems.append(
            Problem(
                "command",
                "devices",
                "Device access is disabled. To enable, set enableRawDeviceAccess: true in controller options.",
                "raw device access is disabled on Drove clusters by default; remove devices",
            )
        )
    if any(p.get("type") == "LOCAL" for p in _policies(data.get("placementPolicy"))):
        problems.append(
            Problem(
                "command",
                "placementPolicy",
                f"Local service placement is not allowed for {what}",
                f'LOCAL placement is only for local services; use e.g. {{"type": "ANY"}} for {what}',
            )
        )
    if provider_checks:
        problems.extend(provider_spec_checks(data))
    return problems


def app_spec_checks(data: Mapping[str, Any], options: SpecCheckOptions) -> list[Problem]:
    """The §3.2 spec checks of an app (port names, exposure) plus the common ones and the provider's own."""
    names = [p["name"] for p in data.get("exposedPorts") or [] if p and "name" in p]
    problems: list[Problem] = []
    for check in ("healthcheck", "readiness"):
        mode = data[check]["mode"]
        if mode["type"] == "HTTP" and mode.get("portName") not in names:
            port = mode.get("portName")
            problems.append(
                Problem(
                    "command",
                    f"{check}.mode.portName",
                    f"Invalid port name for health check: {port}. Available ports: {_java_list(names)}",
                    f"{port!r} is not an exposed port; use one of {names} or add it to exposedPorts",
                )
            )
        if mode["type"] == "HTTP" and "protocol" not in mode:
            problems.append(Problem("provider", f"{check}.mode.protocol", "protocol is required",
                                    "is required: the executor needs it; add 'HTTP' or 'HTTPS'"))  # fmt: skip
    problems.extend(common_spec_checks(data, options, "apps", provider_checks=False))
    exposure = data.get("exposureSpec")
    if exposure and exposure.get("portName") not in names:
        port = exposure.get("portName")
        problems.append(
            Problem(
                "command",
                "exposureSpec.portName",
                f"Exposed port name {port} is undefined. Defined port names: {_java_list(names)}",
                f"{port!r} is not an exposed port; use one of {names}",
            )
        )
    for i, hook in enumerate((data.get("preShutdown") or {}).get("hooks") or []):
        if hook and hook["type"] == "HTTP" and hook.get("portName") not in names:
            problems.append(Problem("provider", f"preShutdown.hooks[{i}].portName", "invalid hook port",
                                    f"{hook.get('portName')!r} is not an exposed port; use one of {names}"))  # fmt: skip
    problems.extend(provider_spec_checks(data))
    return problems


#: the amount each resource type asks for, and how to write a sound one
_RESOURCE_AMOUNTS: dict[str, tuple[str, str]] = {
    "CPU": ("count", '{"type": "CPU", "count": 1}'),
    "MEMORY": ("sizeInMB", '{"type": "MEMORY", "sizeInMB": 128}'),
}


def image_reference_problem(url: str) -> str | None:
    """What makes ``url`` unusable as a Docker image reference, with the fix; None when it looks sound.

    Drove only requires ``executable.url`` to be non-empty (§10.1); an image reference with
    whitespace or a URL scheme passes, and then fails the pull on the executor (PROVISIONING_FAILED).

    :param url: the image reference, e.g. ``ghcr.io/org/image:tag``.
    :return: the problem and its fix, or None.
    """
    if any(c.isspace() for c in url):
        return f"{url!r} is not a Docker image reference: remove the whitespace, e.g. 'ghcr.io/org/image:tag'"
    if "://" in url:
        return f"{url!r} is not a Docker image reference: drop the scheme, e.g. 'ghcr.io/org/image:tag'"
    return None


def provider_spec_checks(data: Mapping[str, Any]) -> list[Problem]:
    """Values Drove accepts but that cannot work, refused by the provider face only (kind ``"provider"``).

    Drove does not range-check resources (§10.1) nor parse the image reference: it takes a CPU count
    or a memory size below 1, and an image URL with whitespace or a scheme, whose pull then fails.
    The emulator face (:func:`check_application_spec`, :func:`check_task_spec`) ignores these.

    :param data: the spec, after bean validation.
    :return: the problems found.
    """
    problems: list[Problem] = []
    url = (data.get("executable") or {}).get("url")
    problem = image_reference_problem(url) if isinstance(url, str) else None
    if problem is not None:
        problems.append(Problem("provider", "executable.url", "bad image reference", problem))
    for i, resource in enumerate(data.get("resources") or []):
        key, example = _RESOURCE_AMOUNTS.get(str((resource or {}).get("type")), ("", ""))
        amount = resource.get(key) if key else None
        if amount is not None and amount < 1:
            problems.append(Problem("provider", f"resources[{i}].{key}", "non-positive resource",
                                    f"must be at least 1, got {amount} (Drove does not range-check resources "
                                    f"and would accept it); e.g. {example}"))  # fmt: skip
    return problems


# --------------------------------------------------------------------------------------------
# Validation of a whole spec
# --------------------------------------------------------------------------------------------


def app_server_failures(data: Mapping[str, Any]) -> list[Problem]:
    """The 500s an app spec causes (see :func:`_server_failures`)."""
    return _server_failures(data, "com.phonepe.drove.models.application.ApplicationSpec")


def task_server_failures(data: Mapping[str, Any]) -> list[Problem]:
    """The 500s a task spec causes (see :func:`_server_failures`)."""
    return _server_failures(data, "com.phonepe.drove.models.task.TaskSpec")


def validate_application_spec_problems(
    data: Any, options: SpecCheckOptions | None = None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Every problem Drove (and the provider) would find in an app spec, without raising."""
    opts = options or SpecCheckOptions()
    return validate_payload(APP_SPEC_SCHEMA, data, lambda d: app_spec_checks(d, opts), app_server_failures)


def validate_task_spec_problems(
    data: Any, options: SpecCheckOptions | None = None
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Every problem Drove (and the provider) would find in a task spec, without raising."""
    opts = options or SpecCheckOptions()
    return validate_payload(TASK_SPEC_SCHEMA, data, lambda d: common_spec_checks(d, opts, "tasks"), task_server_failures)


# --------------------------------------------------------------------------------------------
# Public faces
# --------------------------------------------------------------------------------------------


def check_application_spec(
    data: Any, *, options: SpecCheckOptions | None = None, prefix: str = ""
) -> ApplicationSpec:
    """Validate an app spec as the controller does (emulator face).

    :param data: the decoded JSON body (or the ``spec`` of a CREATE).
    :param options: controller options that affect the checks.
    :param prefix: property path of the spec inside the request (``"spec"`` inside a CREATE), used
        in bean-validation messages.
    :return: the validated spec.
    :raises DroveWireError: what Drove would answer.
    """
    normalised, problems = validate_application_spec_problems(data, options)
    error = wire_error(problems, prefix)
    if error is not None:
        raise error
    assert normalised is not None
    return ApplicationSpec(normalised, _trusted=True)


def check_task_spec(data: Any, *, options: SpecCheckOptions | None = None, prefix: str = "") -> TaskSpec:
    """Validate a task spec as the controller does (emulator face). See :func:`check_application_spec`."""
    normalised, problems = validate_task_spec_problems(data, options)
    error = wire_error(problems, prefix)
    if error is not None:
        raise error
    assert normalised is not None
    return TaskSpec(normalised, _trusted=True)


def parse_application_spec(data: Any, *, field: str = "spec") -> ApplicationSpec:
    """Validate an app spec before sending it (provider face).

    :param data: a dict of Drove's JSON, or an :class:`ApplicationSpec`.
    :param field: the name of the parameter, prefixed to field paths in errors.
    :return: the validated spec.
    :raises DroveInputError: naming the field path (``spec.healthcheck.mode.portName``) and the fix.
    """
    if isinstance(data, ApplicationSpec):
        return data
    if not isinstance(data, Mapping):
        raise_input_error([Problem("provider", "", "", f"must be a dict of Drove's ApplicationSpec JSON, not {human_type(data)}")], field)  # fmt: skip
    normalised, problems = validate_application_spec_problems(data)
    if problems:
        raise_input_error(problems, field)
    assert normalised is not None
    return ApplicationSpec(normalised, _trusted=True)


def parse_task_spec(data: Any, *, field: str = "spec") -> TaskSpec:
    """Validate a task spec before sending it (provider face). See :func:`parse_application_spec`."""
    if isinstance(data, TaskSpec):
        return data
    if not isinstance(data, Mapping):
        raise_input_error([Problem("provider", "", "", f"must be a dict of Drove's TaskSpec JSON, not {human_type(data)}")], field)  # fmt: skip
    normalised, problems = validate_task_spec_problems(data)
    if problems:
        raise_input_error(problems, field)
    assert normalised is not None
    return TaskSpec(normalised, _trusted=True)


def echo_spec(spec: ApplicationSpec | TaskSpec | Mapping[str, Any]) -> dict[str, Any]:
    """The spec as ``GET /applications/{id}/spec`` returns it (§6.1, §2).

    Durations in canonical form (``"5m"`` -> ``"5 minutes"``), inline config ``data`` as ``""``,
    HTTP-call ``username``/``password``/``authHeader`` as ``"***"``, unknown fields dropped, null
    fields omitted, Java primitives present with their defaults.

    :param spec: a validated spec, or a dict that passes :func:`check_application_spec` (a dict
        with ``taskId`` is taken as a task spec).
    :return: the JSON Drove echoes.
    :raises DroveWireError: when a dict given is not a valid spec.
    """
    if not isinstance(spec, _Spec):
        # a raw dict is validated first, so an invalid one raises DroveWireError, never a walk error
        spec = check_task_spec(spec) if "taskId" in spec else check_application_spec(spec)
    schema = TASK_SPEC_SCHEMA if isinstance(spec, TaskSpec) else APP_SPEC_SCHEMA
    return schema.walk(spec.to_wire(), "", WalkContext(echo=True))


def echo_value(kind: str, value: Any) -> Any:
    """Echo one nested part the way Drove renders it (e.g. ``"executable"`` inside TaskInfo).

    :param kind: ``"executable"``, ``"logging"``, ``"volume"``, ``"check"`` or ``"placementPolicy"``.
    :param value: the validated JSON of that part.
    """
    node = {"executable": _EXECUTABLE, "logging": _LOGGING, "volume": _VOLUME, "check": _CHECK,
            "placementPolicy": _PLACEMENT}[kind]  # fmt: skip
    return node.walk(value, "", WalkContext(echo=True))


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            _diff(a.get(key), b.get(key), join_path(path, key), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, join_path(path, i), out)
    elif a != b:
        out.append(path or "$")


def spec_differences(
    desired: ApplicationSpec | TaskSpec | Mapping[str, Any], current: ApplicationSpec | TaskSpec | Mapping[str, Any]
) -> list[str]:
    """Field paths where two specs differ as Drove sees them, e.g. to compare a spec with ``GET /spec``.

    Both sides are compared in echoed form, so ``"5m"`` equals ``"5 minutes"``, ``"http"`` equals
    ``"HTTP"`` and unknown fields do not count. Inline config data and HTTP-fetch credentials are
    masked by Drove, so changes there cannot be seen.

    :param desired: the spec one wants (dict or parsed spec).
    :param current: the spec Drove has, typically the ``data`` of ``GET /applications/{id}/spec``.
    :return: dotted paths (``healthcheck.interval``, ``env.CORES``), empty when they match.
    :raises DroveWireError: when either dict is not a valid spec.
    """
    out: list[str] = []
    _diff(echo_spec(desired), echo_spec(current), "", out)
    return out
