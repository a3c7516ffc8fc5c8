"""The emulator's simulated clock: real time multiplied by a speed factor, plus manual jumps.

Every duration the emulator simulates (image pulls, health checks, the 30 s app monitor, the 40 s
maintenance window, ...) is measured on this clock, so a test can run a five-minute Drove
scenario in a few seconds (``speed``) or jump over a wait (``advance``).
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Simulated wall clock in epoch seconds.

    :param speed: how many simulated seconds pass per real second.
    :param start: the simulated epoch time to start at (default: the real time now).
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        self._lock = threading.Lock()
        self._speed = float(speed)
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

        :param seconds: simulated seconds to skip; must not be negative.
        """
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds!r}")
        with self._lock:
            self._sim0 += seconds

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, without a jump in simulated time.

        :param speed: the new positive speed factor.
        """
        if not speed > 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        with self._lock:
            real = time.monotonic()
            self._sim0 += (real - self._real0) * self._speed
            self._real0 = real
            self._speed = float(speed)

    def real_seconds(self, sim_seconds: float) -> float:
        """How long ``sim_seconds`` of simulated time take in real time at the current speed."""
        return max(0.0, sim_seconds) / self._speed
