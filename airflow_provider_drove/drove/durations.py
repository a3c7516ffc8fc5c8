"""Drove duration strings (``io.dropwizard.util.Duration``, ``drove-api.md`` §2).

Drove accepts ``"<non-negative integer><optional whitespace><unit>"`` with case-sensitive units,
and renders durations back as ``"<count> <lowercase unit plural>"`` (singular for a count of 1):
``"5m"`` comes back as ``"5 minutes"``. Both directions live here so that the provider and the
emulator agree on every string.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

# Dropwizard's pattern is (\d+)\s*(\S+) matched against the whole string.
_DURATION_RE = re.compile(r"(\d+)\s*(\S+)")

#: unit suffix -> canonical plural unit name
_UNITS: dict[str, str] = {
    "ns": "nanoseconds", "nanosecond": "nanoseconds", "nanoseconds": "nanoseconds",
    "us": "microseconds", "microsecond": "microseconds", "microseconds": "microseconds",
    "ms": "milliseconds", "millisecond": "milliseconds", "milliseconds": "milliseconds",
    "s": "seconds", "second": "seconds", "seconds": "seconds",
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
}  # fmt: skip

_SECONDS_PER_UNIT: dict[str, float] = {
    "nanoseconds": 1e-9,
    "microseconds": 1e-6,
    "milliseconds": 1e-3,
    "seconds": 1.0,
    "minutes": 60.0,
    "hours": 3600.0,
    "days": 86400.0,
}


class InvalidDurationError(ValueError):
    """A string Drove would not accept as a duration."""


@dataclass(frozen=True)
class Duration:
    """A Drove duration: a whole count of one unit.

    :param count: the non-negative count.
    :param unit: the canonical plural unit name, e.g. ``"seconds"``.
    """

    count: int
    unit: str

    @property
    def seconds(self) -> float:
        """The duration in seconds."""
        return self.count * _SECONDS_PER_UNIT[self.unit]

    @property
    def timedelta(self) -> datetime.timedelta:
        """The duration as a :class:`datetime.timedelta`."""
        return datetime.timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        """Drove's canonical rendering: ``"1 second"``, ``"5 minutes"``."""
        unit = self.unit[:-1] if self.count == 1 else self.unit
        return f"{self.count} {unit}"


def parse_duration(value: object) -> Duration:
    """Parse a Drove duration string the way the controller does.

    :param value: the value to parse; anything but a string is rejected, as Drove rejects a bare
        JSON number.
    :return: the parsed duration.
    :raises InvalidDurationError: when Drove would answer 400 for this value.
    """
    if not isinstance(value, str):
        raise InvalidDurationError(
            f"a duration must be a string such as '30 seconds' or '5m', not {type(value).__name__} {value!r}"
        )
    match = _DURATION_RE.fullmatch(value)
    if match is None or match.group(2) not in _UNITS:
        raise InvalidDurationError(
            f"invalid duration {value!r}: use a whole number and a unit, e.g. '30 seconds', '5m', '2h' "
            f"(units: ns, us, ms, s, m, min, h, d and their long forms)"
        )
    return Duration(int(match.group(1)), _UNITS[match.group(2)])


def canonical_duration(value: str) -> str:
    """Render a duration string the way Drove echoes it back (``"5m"`` -> ``"5 minutes"``).

    :param value: a valid Drove duration string.
    :return: the canonical form.
    :raises InvalidDurationError: when the string is not a valid duration.
    """
    return str(parse_duration(value))


def duration_from_seconds(seconds: float | int | datetime.timedelta) -> str:
    """Build the Drove duration string for a number of seconds or a timedelta.

    Whole seconds are rendered in seconds; fractions fall back to milliseconds, since Drove
    counts are integers.

    :param seconds: a non-negative amount of time.
    :return: a canonical Drove duration string, e.g. ``"300 seconds"``.
    :raises InvalidDurationError: for a negative amount.
    """
    total = seconds.total_seconds() if isinstance(seconds, datetime.timedelta) else float(seconds)
    if total < 0:
        raise InvalidDurationError(f"a duration cannot be negative, got {total} seconds")
    if total.is_integer():
        return str(Duration(int(total), "seconds"))
    return str(Duration(round(total * 1000), "milliseconds"))


def to_duration_string(value: str | float | int | datetime.timedelta) -> str:
    """Accept what a DAG author may reasonably pass and return a Drove duration string.

    Strings are validated and kept as written (Drove normalises them itself); numbers and
    timedeltas are taken as seconds.

    :param value: ``"5m"``, ``300``, or ``timedelta(minutes=5)``.
    :return: a duration string Drove accepts.
    :raises InvalidDurationError: when the value is not a valid duration.
    """
    if isinstance(value, str):
        parse_duration(value)
        return value
    if isinstance(value, bool):
        raise InvalidDurationError(f"a duration cannot be a boolean, got {value!r}")
    if isinstance(value, (int, float, datetime.timedelta)):
        return duration_from_seconds(value)
    raise InvalidDurationError(f"a duration must be a string, a number of seconds or a timedelta, not {value!r}")
