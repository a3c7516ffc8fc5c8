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

This module must not import Airflow (the emulator is a pytest plugin loaded before Airflow is
configured): ``DroveInputError`` is imported inside the provider-face functions only.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from airflow_provider_drove.drove.durations import Duration, InvalidDurationError, parse_duration

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
    "load_json_body",
    "parse_application_spec",
    "parse_task_spec",
    "spec_differences",
]

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

#: The envelope ``message`` and HTTP status Drove answers for each kind of failure (§3.1).
WIRE_ERROR_KINDS: dict[str, tuple[int, str]] = {
    "json": (400, "JSON validation failure"),
    "command": (400, "Command validation failure"),
    "server": (500, "Unexpected Server error"),
}


class DroveWireError(Exception):
    """A request Drove would refuse, described the way the controller answers it (§3.1).

    :param kind: ``"json"`` (400 "JSON validation failure": the body could not be read),
        ``"command"`` (400 "Command validation failure": bean validation or a §3.2 check), or
        ``"server"`` (500 "Unexpected Server error": Drove's own null dereferences).
    :param messages: Drove's texts: the ``validationErrors`` entries, or for ``"server"`` the
        ``data.failure`` text as the single entry.
    :param problems: the same failures with field paths and provider-facing fixes.
    """

    def __init__(self, kind: str, messages: list[str], problems: list[Problem] | None = None) -> None:
        if kind not in WIRE_ERROR_KINDS:
            raise ValueError(f"unknown DroveWireError kind {kind!r}")
        self.kind = kind
        self.messages = list(messages)
        self.problems = list(problems or [])
        super().__init__(f"{self.message}: {'; '.join(self.messages)}")

    @property
    def status_code(self) -> int:
        """The HTTP status Drove answers with (400 or 500)."""
        return WIRE_ERROR_KINDS[self.kind][0]

    @property
    def message(self) -> str:
        """The envelope ``message`` ("JSON validation failure", ...)."""
        return WIRE_ERROR_KINDS[self.kind][1]

    def to_envelope(self) -> dict[str, Any]:
        """The response body Drove sends for this failure (§3.1)."""
        if self.kind == "server":
            data: dict[str, Any] = {"failure": self.messages[0] if self.messages else None}
        else:
            data = {"validationErrors": self.messages}
        return {"status": "FAILED", "data": data, "message": self.message}


def load_json_body(raw: bytes | str | None) -> Any:
    """Decode a request body the way Drove's Jersey/Jackson stack reads it.

    An empty body is a null entity (the checks then answer "The request body must not be null");
    text that is not JSON is a ``"json"`` failure with a Jackson-style message.

    :param raw: the request body.
    :return: the decoded JSON value, or None for an empty body.
    :raises DroveWireError: kind ``"json"`` for malformed JSON.
    """
    import json

    if raw is None:
        return None
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    except UnicodeDecodeError:
        raise DroveWireError("json", ["Invalid UTF-8 start byte in request body"]) from None
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        found = repr(text[err.pos]) if err.pos < len(text) else "end-of-input"
        message = (
            f"Unexpected character ({found}): {err.msg}\n at [Source: (request body); "
            f"line: {err.lineno}, column: {err.colno}]"
        )
        raise DroveWireError("json", [message]) from None
    except (ValueError, RecursionError) as err:
        raise DroveWireError("json", [str(err) or "Document nesting depth exceeds the maximum allowed"]) from None


def _reject_constant(name: str) -> Any:
    # Jackson refuses NaN and Infinity unless ALLOW_NON_NUMERIC_NUMBERS is on (it is not in Drove)
    raise ValueError(f"Non-standard token '{name}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a payload.

    :param kind: ``json``, ``command``, ``server``, or ``provider`` (a value Drove accepts but that
        cannot work, e.g. an HTTP check without ``protocol``; only the provider face reports it).
    :param path: dotted path of the field inside the payload, e.g. ``healthcheck.mode.portName``
        (empty for the payload itself).
    :param message: Drove's wire text for the problem.
    :param problem: what is wrong and how to fix it, for DAG authors.
    """

    kind: str
    path: str
    message: str
    problem: str


class _JsonAbort(Exception):
    """Jackson stops at the first error it meets; so does the walk."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.message)


def _join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


def prefixed_path(prefix: str, path: str) -> str:
    """``prefixed_path("spec", "name") == "spec.name"``; indices stick: ``"ids[0]"``."""
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _json_type(value: Any) -> str:
    """How Jackson names the JSON token it found."""
    if isinstance(value, bool):
        return "Boolean value"
    if isinstance(value, int):
        return "Integer value"
    if isinstance(value, float):
        return "Floating-point value"
    if isinstance(value, str):
        return f'String "{value}"'
    if isinstance(value, Mapping):
        return "Object value"
    if isinstance(value, (list, tuple)):
        return "Array value"
    return f"value of Python type {type(value).__name__}"


def _human_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {value!r}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"{type(value).__name__} {value!r}"


# --------------------------------------------------------------------------------------------
# The walk: a tiny schema language mirroring Drove's Java models and their annotations.
# The Wire* nodes are also used by operations.py for the operation payloads.
# --------------------------------------------------------------------------------------------


class _Ctx:
    """State of one walk over a payload: the bean-validation problems met so far."""

    def __init__(self, echo: bool = False) -> None:
        #: echo mode renders what GET /spec returns (canonical durations, masked secrets)
        self.echo = echo
        self.problems: list[Problem] = []

    def json_error(self, path: str, message: str, problem: str) -> NoReturn:
        raise _JsonAbort(Problem("json", path, f"{message} (through reference chain: {path or '$'})", problem))

    def violation(self, path: str, constraint: str, problem: str) -> None:
        message = f"{path} {constraint}" if path else constraint
        self.problems.append(Problem("command", path, message, problem))


class WireNode:
    """A JSON value of one Java type."""

    java = "Object"

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def is_empty(self, value: Any) -> bool:
        return False


class WireStr(WireNode):
    """``String``: Jackson coerces numbers and booleans to text; ``@Pattern`` when given."""

    java = "java.lang.String"

    def __init__(self, pattern: str | None = None, pattern_msg: str | None = None, secret: bool = False) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.pattern_text = pattern
        self.pattern_msg = pattern_msg
        #: masked as "***" when Drove echoes the spec (HTTP-call credentials, §6.1)
        self.secret = secret

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if isinstance(value, bool):
            # Jackson coerces scalars to String; Java renders booleans in lowercase
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be a string, not {_human_type(value)}",
            )
        if self.pattern is not None and not self.pattern.fullmatch(value):
            msg = self.pattern_msg or f'must match "{self.pattern_text}"'
            ctx.violation(path, msg, f"{value!r} may contain only letters, digits, '-' and '_'; rename it")
        if ctx.echo and self.secret:
            return "***"
        return value

    def is_empty(self, value: Any) -> bool:
        return value == ""


class WireBase64(WireNode):
    """``byte[]`` fields: base64 text on the wire, echoed back as ``""`` (§6.1)."""

    java = "byte[]"

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, str):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `byte[]` from {_json_type(value)}",
                f"must be a base64 string of the file content, not {_human_type(value)}",
            )
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            ctx.json_error(
                path,
                # the content itself is never quoted: inline configs often hold secrets
                "Cannot deserialize value of type `byte[]` from String value: "
                "Failed to decode VALUE_STRING as base64 (MIME-NO-LINEFEEDS): Illegal character",
                "must be base64 text of the file content: encode it with base64.b64encode(content).decode()",
            )
        return "" if ctx.echo else value

    def is_empty(self, value: Any) -> bool:
        return value == ""


_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


class WireInt(WireNode):
    """``int``/``long`` with ``@Min``/``@Max``: booleans refused, out-of-range numbers are JSON errors."""

    def __init__(self, lo: int | None = None, hi: int | None = None, java: str = "int") -> None:
        self.lo, self.hi, self.java = lo, hi, java

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and re.fullmatch(r"-?\d{1,30}", value):
            value = int(value)  # Jackson coerces numeric strings to numbers
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be a whole number, not {_human_type(value)}",
            )
        lo, hi = _INT_RANGE[self.java]
        if not lo <= value <= hi:
            ctx.json_error(
                path,
                f"Numeric value ({value}) out of range of {self.java} ({lo} - {hi})",
                f"{value} is far too large; use a number between {self.lo or 0} and {self.hi or hi}",
            )
        if self.lo is not None and value < self.lo:
            ctx.violation(
                path,
                f"must be greater than or equal to {self.lo}",
                f"must be at least {self.lo}, got {value}" + (f" (allowed: {self.lo}..{self.hi})" if self.hi else ""),
            )
        if self.hi is not None and value > self.hi:
            ctx.violation(
                path,
                f"must be less than or equal to {self.hi}",
                f"must be at most {self.hi}, got {value}" + (f" (allowed: {self.lo}..{self.hi})" if self.lo is not None else ""),
            )
        return value


class WireBool(WireNode):
    """``boolean``: true/false (or their strings, which Jackson coerces)."""

    java = "boolean"

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `boolean` from {_json_type(value)}",
                f"must be true or false, not {_human_type(value)}",
            )
        return value


class WireEnum(WireNode):
    """Enum values: matched case-insensitively (``ACCEPT_CASE_INSENSITIVE_ENUMS``, §2)."""

    def __init__(self, java: str, values: tuple[str, ...]) -> None:
        self.java, self.values = java, values

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if isinstance(value, str):
            for candidate in self.values:
                if candidate.lower() == value.lower():
                    return candidate
        ctx.json_error(
            path,
            f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}: "
            f"not one of the values accepted for Enum class: [{', '.join(self.values)}]",
            f"must be one of {', '.join(self.values)}, not {_human_type(value)}",
        )


class WireDuration(WireNode):
    """A Dropwizard duration (§2): kept as written, echoed in canonical form."""

    java = "io.dropwizard.util.Duration"

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        try:
            parsed = parse_duration(value)
        except InvalidDurationError as err:
            if isinstance(value, str):
                message = f"Cannot construct instance of `{self.java}`, problem: Invalid duration: {value}"
            else:
                message = f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}"
            ctx.json_error(path, message, str(err))
        return str(parsed) if ctx.echo else value


class WireList(WireNode):
    """``List``/``Set`` of one item type; a single value is not taken as a one-item list."""

    java = "java.util.List"

    def __init__(self, item: WireNode) -> None:
        self.item = item

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, (list, tuple)):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}<{self.item.java}>` from {_json_type(value)}",
                f"must be a list, not {_human_type(value)}",
            )
        return [None if v is None else self.item.walk(v, _join(path, i), ctx) for i, v in enumerate(value)]

    def is_empty(self, value: Any) -> bool:
        return len(value) == 0


class WireStrMap(WireNode):
    """``Map<String, String>`` (tags, env, headers); scalar values are coerced to text."""

    java = "java.util.Map<java.lang.String,java.lang.String>"

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, Mapping):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be an object of string keys and string values, not {_human_type(value)}",
            )
        text = WireStr()
        return {str(k): None if v is None else text.walk(v, _join(path, str(k)), ctx) for k, v in value.items()}

    def is_empty(self, value: Any) -> bool:
        return len(value) == 0


@dataclass
class WireField:
    """One property of a Java model and its bean-validation annotations."""

    name: str
    node: WireNode
    #: "null" for @NotNull, "empty" for @NotEmpty
    required: str | None = None
    #: the annotation's custom message (Drove writes several as "- ... is mandatory")
    msg: str | None = None
    #: Java primitive default, applied when the field is absent (and always echoed)
    default: Any = None
    #: @Size(max=...)
    max_items: int | None = None
    #: a short example for the fix text of a missing value
    hint: str = ""


class WireObject(WireNode):
    """A Java bean: its properties are walked in declaration order, unknown ones dropped."""

    def __init__(self, java: str, fields: list[WireField]) -> None:
        self.java = java
        self.fields = fields

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, Mapping):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be an object, not {_human_type(value)}",
            )
        out: dict[str, Any] = {}
        for f in self.fields:  # unknown properties are ignored, as Drove's mapper does (§2)
            fpath = _join(path, f.name)
            raw = value.get(f.name)
            if raw is None and f.default is not None:
                raw = f.default
            walked = None if raw is None else f.node.walk(raw, fpath, ctx)
            if walked is not None:
                out[f.name] = walked
            missing = walked is None or (f.required == "empty" and f.node.is_empty(walked))
            if f.required and missing:
                constraint = f.msg or ("must not be empty" if f.required == "empty" else "must not be null")
                what = "must not be empty" if walked is not None else "is required"
                ctx.violation(fpath, constraint, what + (f"; e.g. {f.hint}" if f.hint else ""))
            if f.max_items is not None and walked is not None and len(walked) > f.max_items:
                ctx.violation(
                    fpath,
                    f"size must be between 0 and {f.max_items}",
                    f"has {len(walked)} entries; at most {f.max_items} are allowed",
                )
        return out


class WirePoly(WireNode):
    """A polymorphic model: ``type`` picks the subtype, case-sensitively (§2)."""

    def __init__(self, java: str, subtypes: dict[str, WireObject] | None = None, default: str | None = None) -> None:
        self.java = java
        self.subtypes: dict[str, WireObject] = subtypes or {}
        self.default = default

    def walk(self, value: Any, path: str, ctx: _Ctx) -> Any:
        if not isinstance(value, Mapping):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be an object with a \"type\" ({', '.join(self.subtypes)}), not {_human_type(value)}",
            )
        type_id = value.get("type")
        known = ", ".join(self.subtypes)
        if type_id is None and self.default is not None:
            type_id = self.default
        if type_id is None:
            ctx.json_error(
                path,
                f"Missing type id when trying to resolve subtype of [simple type, class {self.java}]: "
                "missing type id property 'type'",
                f"needs a \"type\": one of {known}",
            )
        if not isinstance(type_id, str) or type_id not in self.subtypes:
            hint = ""
            if isinstance(type_id, str) and type_id.upper() in self.subtypes:
                hint = f" (type names are case-sensitive: write {type_id.upper()!r})"
            ctx.json_error(
                _join(path, "type"),
                f"Could not resolve type id '{type_id}' as a subtype of `{self.java}`: known type ids = [{known}]",
                f"{type_id!r} is not a known type; use one of {known}{hint}",
            )
        body = self.subtypes[type_id].walk(value, path, ctx)
        return {"type": type_id, **body}


# ---- Drove's models (models/application/**, models/task/TaskSpec.java, models/config/**) ----

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


def common_spec_checks(data: Mapping[str, Any], options: SpecCheckOptions, what: str) -> list[Problem]:
    """The §3.2 spec checks shared by apps and tasks (``what`` is ``"apps"`` or ``"tasks"``)."""
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
    problems.extend(common_spec_checks(data, options, "apps"))
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
    for i, resource in enumerate(data.get("resources") or []):
        amount = resource and (resource.get("count") if resource["type"] == "CPU" else resource.get("sizeInMB"))
        if resource and amount is not None and amount < 1:
            key = "count" if resource["type"] == "CPU" else "sizeInMB"
            problems.append(Problem("provider", f"resources[{i}].{key}", "non-positive resource",
                                    f"must be at least 1, got {amount}"))  # fmt: skip
    return problems


# --------------------------------------------------------------------------------------------
# Shared driver
# --------------------------------------------------------------------------------------------


def validate_payload(
    schema: WireNode,
    data: Any,
    checks: Callable[[Mapping[str, Any]], list[Problem]],
    server: Callable[[Mapping[str, Any]], list[Problem]],
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Walk ``data`` in Drove's order; return the normalised JSON and the problems of the first stage that failed."""
    if data is None:
        return None, [Problem("command", "", "The request body must not be null", "is required")]
    ctx = _Ctx()
    try:
        normalised = schema.walk(data, "", ctx)
    except _JsonAbort as abort:
        return None, [abort.problem]
    except RecursionError:
        # absurdly nested payloads (e.g. COMPOSITE in COMPOSITE ...): Jackson caps nesting depth too
        message = "Document nesting depth exceeds the maximum allowed"
        return None, [Problem("json", "", message, "is nested far too deeply; flatten it")]
    if ctx.problems:  # bean validation failed: Drove answers before its spec checks run
        return normalised, ctx.problems
    failures = server(normalised)
    if failures:
        return normalised, failures
    return normalised, checks(normalised)


def wire_error(problems: list[Problem], prefix: str = "") -> DroveWireError | None:
    """The error Drove answers for these problems (provider-only problems do not count)."""
    wire = [p for p in problems if p.kind != "provider"]
    if not wire:
        return None
    kind = wire[0].kind
    same = [p for p in wire if p.kind == kind]
    messages = [_prefix_message(p, prefix) for p in same]
    if kind == "server":
        messages = messages[:1]
    return DroveWireError(kind, messages, same)


def _prefix_message(problem: Problem, prefix: str) -> str:
    # bean-validation messages start with the property path; nested payloads (CREATE's "spec") extend it
    if prefix and problem.kind == "command" and problem.path and problem.message.startswith(problem.path):
        return prefixed_path(prefix, problem.message)
    return problem.message


def raise_input_error(problems: list[Problem], prefix: str) -> NoReturn:
    """Raise the provider-face error for ``problems``: the first one names the field, the others follow."""
    from airflow_provider_drove.exceptions import DroveInputError  # lazily: keep Airflow out of the emulator

    first = problems[0]
    problem = first.problem
    if len(problems) > 1:
        others = "; ".join(f"{prefixed_path(prefix, p.path) or prefix}: {p.problem}" for p in problems[1:5])
        problem += f" (also: {others})"
    raise DroveInputError(prefixed_path(prefix, first.path) or prefix, problem)


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
        raise_input_error([Problem("provider", "", "", f"must be a dict of Drove's ApplicationSpec JSON, not {_human_type(data)}")], field)  # fmt: skip
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
        raise_input_error([Problem("provider", "", "", f"must be a dict of Drove's TaskSpec JSON, not {_human_type(data)}")], field)  # fmt: skip
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
    return schema.walk(spec.to_wire(), "", _Ctx(echo=True))


def echo_value(kind: str, value: Any) -> Any:
    """Echo one nested part the way Drove renders it (e.g. ``"executable"`` inside TaskInfo).

    :param kind: ``"executable"``, ``"logging"``, ``"volume"``, ``"check"`` or ``"placementPolicy"``.
    :param value: the validated JSON of that part.
    """
    node = {"executable": _EXECUTABLE, "logging": _LOGGING, "volume": _VOLUME, "check": _CHECK,
            "placementPolicy": _PLACEMENT}[kind]  # fmt: skip
    return node.walk(value, "", _Ctx(echo=True))


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            _diff(a.get(key), b.get(key), _join(path, key), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, _join(path, i), out)
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
