"""The emulator's simulated clock: real time multiplied by a speed factor, plus manual jumps.

Every duration the emulator simulates (image pulls, health checks, the 30 s app monitor, the 40 s
maintenance window, ...) is measured on this clock, so a test can run a five-minute Drove
scenario in a few seconds (``speed``) or jump over a wait (``advance``).
"""

from __future__ import annotations

import math
import threading
import time

#: bounds that keep the event loop finite: every simulated event in between is run
MAX_SPEED = 10_000.0
MAX_ADVANCE_SECONDS = 7 * 24 * 3600.0


def _check_speed(speed: float) -> float:
    if not isinstance(speed, (int, float)) or isinstance(speed, bool) or not 0 < speed <= MAX_SPEED:
        raise ValueError(f"speed must be a number in (0, {MAX_SPEED:g}], got {speed!r}")
    return float(speed)


class SimClock:
    """Simulated wall clock in epoch seconds.

    :param speed: how many simulated seconds pass per real second.
    :param start: the simulated epoch time to start at (default: the real time now).
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._speed = _check_speed(speed)
        self._real0 = time.monotonic()
        self._sim0 = time.time() if start is None else float(start)

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    def now(self) -> float:
        """The simulated time, epoch seconds."""
        with self._lock:
            return self._sim0 + (time.monotonic() - self._real0) * self._speed

    def now_ms(self) -> int:
        """The simulated time in epoch milliseconds (Drove's wire format, §11)."""
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        """Jump the clock forward.

        :param seconds: simulated seconds to skip, 0 to 7 days.
        """
        if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or not 0 <= seconds <= MAX_ADVANCE_SECONDS:
            raise ValueError(f"the clock moves forward by 0 to {MAX_ADVANCE_SECONDS:g} seconds at a time, got {seconds!r}")
        with self._lock:
            self._sim0 += seconds

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, without a jump in simulated time.

        :param speed: the new speed factor, in (0, 10000].
        """
        speed = _check_speed(speed)
        with self._lock:
            real = time.monotonic()
            self._sim0 += (real - self._real0) * self._speed
            self._real0 = real
            self._speed = speed

    def real_seconds(self, sim_seconds: float) -> float:
        """How long ``sim_seconds`` of simulated time take in real time at the current speed."""
        return max(0.0, sim_seconds) / self._speed
