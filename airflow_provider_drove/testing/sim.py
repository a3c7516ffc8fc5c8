"""A tiny discrete-event scheduler on the simulated clock, with generator processes.

Everything that takes time in the emulator (an instance walking through its states, a scale
job, the app monitor) is a *process*: a generator that yields how long to wait (simulated
seconds) or another :class:`Process` to wait for. Events run in time order with ``now`` set to
the event's own time, so jumping the clock forward replays whatever happened in between in
the right order. The scheduler is not thread-safe by itself: the engine calls it under its lock.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable, Generator
from typing import Any

from airflow_provider_drove.testing.clock import SimClock

log = logging.getLogger(__name__)

#: A process generator yields a delay in simulated seconds (or None for "now"), or a Process to wait for.
ProcessGenerator = Generator[Any, Any, Any]


class Timer:
    """A scheduled callback; :meth:`cancel` keeps it from running."""

    __slots__ = ("when", "fn", "cancelled")

    def __init__(self, when: float, fn: Callable[[], None]) -> None:
        self.when = when
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run this callback."""
        self.cancelled = True


class Process:
    """A generator driven by the scheduler; also something other processes can wait for.

    :param sim: the scheduler.
    :param gen: the generator; it yields delays (seconds) or processes, and returns a result.
    :param name: a label for logs.
    """

    def __init__(self, sim: Scheduler, gen: ProcessGenerator, name: str) -> None:
        self.sim = sim
        self.gen = gen
        self.name = name
        self.done = False
        self.result: Any = None
        self._waiters: list[Callable[[Any], None]] = []
        self._timer: Timer | None = None

    def _step(self, value: Any = None) -> None:
        if self.done:
            return
        self._timer = None
        try:
            command = self.gen.send(value)
        except StopIteration as stop:
            self._finish(stop.value)
            return
        except Exception:  # a bug in a process must not take the emulator down
            log.exception("emulator process %s failed", self.name)
            self._finish(None)
            return
        if isinstance(command, Process):
            command.on_done(lambda result: self.sim.call_soon(lambda: self._step(result)))
        else:
            delay = float(command or 0.0)
            self._timer = self.sim.call_later(delay, self._step)

    def _finish(self, result: Any) -> None:
        self.done = True
        self.result = result
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter(result)

    def on_done(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(result)`` when the process ends (at once if it already has)."""
        if self.done:
            callback(self.result)
        else:
            self._waiters.append(callback)

    def kill(self) -> None:
        """Stop the process where it is; waiters get ``None``."""
        if self.done:
            return
        if self._timer is not None:
            self._timer.cancel()
        self.gen.close()
        self._finish(None)


class Scheduler:
    """Runs callbacks and processes at simulated times.

    :param clock: the simulated clock.
    """

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._current: float | None = None

    def now(self) -> float:
        """Simulated time: the time of the event being run, else the clock's time."""
        return self._current if self._current is not None else self.clock.now()

    def now_ms(self) -> int:
        """:meth:`now` in epoch milliseconds."""
        return int(self.now() * 1000)

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        """Run ``fn`` ``delay`` simulated seconds from now."""
        timer = Timer(self.now() + max(0.0, delay), fn)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    def call_soon(self, fn: Callable[[], None]) -> Timer:
        """Run ``fn`` at the current simulated time, after what is already due."""
        return self.call_later(0.0, fn)

    def spawn(self, gen: ProcessGenerator, name: str = "process") -> Process:
        """Start a process; its first step runs at once."""
        process = Process(self, gen, name)
        process._step()
        return process

    def next_time(self) -> float | None:
        """When the next pending callback is due, if any."""
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run_due(self) -> int:
        """Run every callback due by the clock's current time, in time order.

        :return: how many callbacks ran.
        """
        target = self.clock.now()
        count = 0
        try:
            while self._heap and self._heap[0][0] <= target:
                when, _, timer = heapq.heappop(self._heap)
                if timer.cancelled:
                    continue
                self._current = when
                count += 1
                try:
                    timer.fn()
                except Exception:  # keep the emulator alive whatever a callback does
                    log.exception("emulator callback failed")
        finally:
            self._current = None
        return count

    def clear(self) -> None:
        """Forget every pending callback."""
        self._heap.clear()
