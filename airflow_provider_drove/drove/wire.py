"""The wire-schema language: JSON nodes mirroring Drove's Java models, and the validation driver.

Drove reads request bodies with Jackson and validates them with bean-validation annotations
(``drove-api.md`` §2, §3.1). The ``Wire*`` nodes describe one Java type each (``WireStr`` for a
``String`` with an optional ``@Pattern``, ``WireObject`` for a bean and its fields' annotations,
``WirePoly`` for a ``type``-discriminated model, ...). :func:`validate_payload` walks a payload in
Drove's order and collects :class:`Problem` s; :func:`wire_error` turns them into the
:class:`DroveWireError` the controller answers (emulator face) and :func:`raise_input_error` into
a ``DroveInputError`` naming the field and the fix (provider face).

The schemas themselves live with their rules: :mod:`airflow_provider_drove.drove.specs`
(ApplicationSpec, TaskSpec) and :mod:`airflow_provider_drove.drove.operations` (operation payloads).

This module must not import Airflow (the emulator is a pytest plugin loaded before Airflow is
configured): ``DroveInputError`` is imported inside :func:`raise_input_error` only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from airflow_provider_drove.drove.durations import InvalidDurationError, parse_duration

__all__ = [
    "WIRE_ERROR_KINDS",
    "DroveWireError",
    "Problem",
    "WalkContext",
    "WireBase64",
    "WireBool",
    "WireDuration",
    "WireEnum",
    "WireField",
    "WireInt",
    "WireList",
    "WireNode",
    "WireObject",
    "WirePoly",
    "WireStr",
    "WireStrMap",
    "human_type",
    "join_path",
    "load_json_body",
    "prefixed_path",
    "raise_input_error",
    "validate_payload",
    "wire_error",
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


def join_path(path: str, name: str | int) -> str:
    """The path of a property or list item below ``path``: ``"a.b"``, ``"a[0]"``, or ``"b"`` at the top."""
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


def human_type(value: Any) -> str:
    """A value as a DAG author would name it in an error (``"boolean True"``, ``"a list"``)."""
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
# --------------------------------------------------------------------------------------------


class WalkContext:
    """State of one walk over a payload: the bean-validation problems met so far."""

    def __init__(self, echo: bool = False) -> None:
        #: echo mode renders what GET /spec returns (canonical durations, masked secrets)
        self.echo = echo
        self.problems: list[Problem] = []

    def json_error(self, path: str, message: str, problem: str) -> NoReturn:
        """Stop the walk at the first Jackson-level error, as Jackson does."""
        raise _JsonAbort(Problem("json", path, f"{message} (through reference chain: {path or '$'})", problem))

    def violation(self, path: str, constraint: str, problem: str) -> None:
        """Record a bean-validation failure; the walk goes on, since Drove reports them all."""
        message = f"{path} {constraint}" if path else constraint
        self.problems.append(Problem("command", path, message, problem))


class WireNode:
    """A JSON value of one Java type."""

    java = "Object"

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:  # pragma: no cover - abstract
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

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if isinstance(value, bool):
            # Jackson coerces scalars to String; Java renders booleans in lowercase
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be a string, not {human_type(value)}",
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

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if not isinstance(value, str):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `byte[]` from {_json_type(value)}",
                f"must be a base64 string of the file content, not {human_type(value)}",
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

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and re.fullmatch(r"-?\d{1,30}", value):
            value = int(value)  # Jackson coerces numeric strings to numbers
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be a whole number, not {human_type(value)}",
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

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `boolean` from {_json_type(value)}",
                f"must be true or false, not {human_type(value)}",
            )
        return value


class WireEnum(WireNode):
    """Enum values: matched case-insensitively (``ACCEPT_CASE_INSENSITIVE_ENUMS``, §2)."""

    def __init__(self, java: str, values: tuple[str, ...]) -> None:
        self.java, self.values = java, values

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if isinstance(value, str):
            for candidate in self.values:
                if candidate.lower() == value.lower():
                    return candidate
        ctx.json_error(
            path,
            f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}: "
            f"not one of the values accepted for Enum class: [{', '.join(self.values)}]",
            f"must be one of {', '.join(self.values)}, not {human_type(value)}",
        )


class WireDuration(WireNode):
    """A Dropwizard duration (§2): kept as written, echoed in canonical form."""

    java = "io.dropwizard.util.Duration"

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
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

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if not isinstance(value, (list, tuple)):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}<{self.item.java}>` from {_json_type(value)}",
                f"must be a list, not {human_type(value)}",
            )
        return [None if v is None else self.item.walk(v, join_path(path, i), ctx) for i, v in enumerate(value)]

    def is_empty(self, value: Any) -> bool:
        return len(value) == 0


class WireStrMap(WireNode):
    """``Map<String, String>`` (tags, env, headers); scalar values are coerced to text."""

    java = "java.util.Map<java.lang.String,java.lang.String>"

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if not isinstance(value, Mapping):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be an object of string keys and string values, not {human_type(value)}",
            )
        text = WireStr()
        return {str(k): None if v is None else text.walk(v, join_path(path, str(k)), ctx) for k, v in value.items()}

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

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if not isinstance(value, Mapping):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be an object, not {human_type(value)}",
            )
        out: dict[str, Any] = {}
        for f in self.fields:  # unknown properties are ignored, as Drove's mapper does (§2)
            fpath = join_path(path, f.name)
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

    def walk(self, value: Any, path: str, ctx: WalkContext) -> Any:
        if not isinstance(value, Mapping):
            ctx.json_error(
                path,
                f"Cannot deserialize value of type `{self.java}` from {_json_type(value)}",
                f"must be an object with a \"type\" ({', '.join(self.subtypes)}), not {human_type(value)}",
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
                join_path(path, "type"),
                f"Could not resolve type id '{type_id}' as a subtype of `{self.java}`: known type ids = [{known}]",
                f"{type_id!r} is not a known type; use one of {known}{hint}",
            )
        body = self.subtypes[type_id].walk(value, path, ctx)
        return {"type": type_id, **body}


# --------------------------------------------------------------------------------------------
# Shared driver
# --------------------------------------------------------------------------------------------


def validate_payload(
    schema: WireNode,
    data: Any,
    checks: Callable[[Mapping[str, Any]], list[Problem]],
    server: Callable[[Mapping[str, Any]], list[Problem]],
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Walk ``data`` in Drove's order; return the normalised JSON and the problems of the first stage that failed.

    The stages: a null body, then Jackson (first error only), then bean validation (all of them),
    then ``server`` (Drove's 500s), then ``checks`` (the controller's and the provider's own).

    :param schema: the node describing the payload.
    :param data: the decoded JSON.
    :param checks: the checks that run on a payload that passed bean validation.
    :param server: the failures Drove answers with a 500, run before ``checks``.
    :return: the normalised JSON (None when it could not be read) and the problems found.
    """
    if data is None:
        return None, [Problem("command", "", "The request body must not be null", "is required")]
    ctx = WalkContext()
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
