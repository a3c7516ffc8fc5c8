"""Input checks of the application operators and sensors: rendered template values arrive as strings.

Each check turns one rendered parameter into the value the flow needs, or raises
:class:`~airflow_provider_drove.exceptions.DroveInputError` naming the parameter and the fix, before
any request is sent.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_drove.drove.specs import ApplicationSpec
from airflow_provider_drove.exceptions import DroveInputError

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import BaseOperator


def as_count(name: str, value: Any) -> Any:
    """A count from a rendered template (``"3"`` -> 3); anything else is left for the builders to judge.

    :param name: the parameter name, for errors.
    :param value: the rendered value.
    :return: an int when the value is a whole-number string, else the value unchanged.
    """
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        raise DroveInputError(name, f"must be a whole number, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def as_seconds(name: str, value: Any, *, allow_none: bool = False) -> float | None:
    """Seconds from a number, a numeric string or a timedelta; must be positive.

    :param name: the parameter name, for errors.
    :param value: the value.
    :param allow_none: accept ``None`` (no limit).
    :return: the seconds.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    elif isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise DroveInputError(name, f"must be a number of seconds, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise DroveInputError(name, f"must be a positive number of seconds (or a timedelta), got {value!r}")
    return float(value)


def as_bool(name: str, value: Any) -> bool:
    """A boolean from a rendered template (``"True"``/``"false"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise DroveInputError(name, f"must be True or False, got {value!r}")


def check_app_id(value: Any, name: str = "app_id") -> str:
    """A non-empty app id (``name-version``)."""
    if not isinstance(value, str) or not value.strip():
        raise DroveInputError(name, f"must be a non-empty Drove app id such as 'TEST_APP-1', got {value!r}")
    return value.strip()


def check_count(name: str, value: Any, *, maximum: int | None = None, none_ok: bool = False) -> int:
    """A whole number >= 0 (and <= ``maximum``), from a number or a rendered template.

    :param name: the parameter name, for errors.
    :param value: the value.
    :param maximum: the largest value allowed, or ``None`` for no upper bound.
    :param none_ok: the caller accepts ``None`` too (the error then says so).
    :return: the count.
    """
    value = as_count(name, value)
    too_big = maximum is not None and isinstance(value, int) and value > maximum
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or too_big:
        bounds = f"0..{maximum}" if maximum is not None else ">= 0"
        raise DroveInputError(name, f"must be a whole number {bounds}{' or None' if none_ok else ''}, got {value!r}")
    return value


def check_failures(value: Any) -> int | None:
    """``max_instance_failures``: ``None`` (never fail on them) or a whole number >= 0."""
    if value is None:
        return None
    return check_count("max_instance_failures", value, none_ok=True)


def dag_folder(operator: BaseOperator) -> str | None:
    """The folder of the operator's DAG file (where relative spec paths are read), if known."""
    dag = operator.dag if operator.has_dag() else None
    fileloc = getattr(dag, "fileloc", None) if dag is not None else None
    return os.path.dirname(fileloc) if fileloc else None


def load_spec(spec: Any, *, dag_folder: str | None = None, name: str = "spec") -> Any:
    """Turn the ``spec`` parameter into a dict: a dict as is, JSON text parsed, a path read and parsed.

    :param spec: the rendered parameter.
    :param dag_folder: where relative paths are looked up.
    :param name: the parameter name, for errors.
    :return: the parsed JSON (validated later by the spec parser).
    :raises DroveInputError: for a missing file or text that is not JSON.
    """
    if isinstance(spec, (ApplicationSpec, Mapping)):
        return spec
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str) or not spec.strip():
        raise DroveInputError(name, f"must be a dict, JSON text or the path of a JSON file, got {spec!r}")
    text = spec.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as err:
            raise DroveInputError(name, f"looks like JSON but does not parse: {err}") from None
    path = Path(text)
    if not path.is_absolute() and dag_folder:
        path = Path(dag_folder) / path
    if not path.is_file():
        raise DroveInputError(name, f"spec file {str(path)!r} does not exist")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DroveInputError(name, f"spec file {str(path)!r} is not valid JSON: {err}") from None


def id_list(name: str, text: str, *, allow_empty: bool = False) -> list[str]:
    """Instance ids from a rendered template: a JSON list, or comma-separated.

    :param name: the parameter name, for errors.
    :param text: the rendered value.
    :param allow_empty: accept no ids at all.
    :return: the ids.
    """
    text = text.strip()
    if text.startswith("["):
        try:
            ids = json.loads(text)
        except ValueError:
            ids = [s.strip(" '\"") for s in text.strip("[]").split(",")]
    else:
        ids = [s.strip() for s in text.split(",")]
    ids = [i for i in ids if i]
    if not ids and not allow_empty:
        raise DroveInputError(name, "must list at least one instance id (e.g. ['AI-58eb1111-...'])")
    return ids
