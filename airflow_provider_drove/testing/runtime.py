"""Runs the emulator: one asyncio loop in a background thread serving N uvicorn controllers.

All controllers share one :class:`~airflow_provider_drove.testing.cluster.Cluster`. A driver
coroutine wakes when the next simulated event is due (real delay = simulated delay / speed) and
runs it; request handlers also run whatever is due before answering, so what a client reads is
always up to date with the simulated clock. Stopping a controller shuts its uvicorn server down
and closes its listening socket, so its port really refuses connections.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Coroutine, Iterable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import uvicorn

from airflow_provider_drove.testing.auth import Users
from airflow_provider_drove.testing.cluster import Cluster
from airflow_provider_drove.testing.faults import Faults, TransportExposingProtocol
from airflow_provider_drove.testing.server import build_app

log = logging.getLogger(__name__)
T = TypeVar("T")

#: longest real sleep of the driver, so speed changes and new events are picked up promptly
MAX_DRIVER_SLEEP = 0.1
#: keep-alive idle timeout (s); Jetty's default idle timeout is 30 s
KEEP_ALIVE_SECONDS = 30


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
    # and without it every response pays a 40 ms delayed-ACK stall (headers and body are two writes)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _Controller:
    """One controller's server, socket and serving task."""

    def __init__(self, index: int, port: int) -> None:
        self.index = index
        self.port = port
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None
        self.sock: socket.socket | None = None

    @property
    def running(self) -> bool:
        """Whether the controller is serving."""
        return self.server is not None


class EmulatorRuntime:
    """The emulator's servers and clock driver.

    :param controllers: number of controllers (ports ``port``, ``port+1``, ...; 0 = free ports).
    :param users: ``(name, password, role)`` triples or ``NAME:PASSWORD:ROLE``; none = auth off.
    :param executors: number of executors.
    :param executor_cpus: cores per executor.
    :param executor_memory_mb: memory per executor.
    :param speed: simulated seconds per real second.
    :param host: interface to listen on.
    :param port: first port (0: any free port for each controller).
    """

    def __init__(
        self,
        *,
        controllers: int = 1,
        users: Iterable[Sequence[str] | str] | None = None,
        executors: int = 2,
        executor_cpus: int = 8,
        executor_memory_mb: int = 16384,
        speed: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if controllers < 1:
            raise ValueError(f"controllers must be at least 1, got {controllers}")
        self.cluster = Cluster(
            executors=executors, executor_cpus=executor_cpus, executor_memory_mb=executor_memory_mb, speed=speed
        )
        self.users = Users(users)
        self.faults = Faults()
        self.host = host
        self.initial_speed = speed
        self.controllers = [_Controller(i, port + i if port else 0) for i in range(controllers)]
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._wake: asyncio.Event | None = None
        self._driver: asyncio.Task[None] | None = None
        self._stopping = False
        self._loop_running = threading.Event()

    # ------------------------------------------------------------- addresses
    def address(self, index: int) -> str:
        """``host:port`` of a controller."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.controllers[index].port}"

    def url(self, index: int) -> str:
        """Base URL of a controller."""
        return f"http://{self.address(index)}"

    # ------------------------------------------------------------- thread side
    def start(self) -> None:
        """Start the loop thread and every controller; returns when all ports listen."""
        self.loop = asyncio.new_event_loop()
        self._loop_running = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, name="drove-emulator", daemon=True)
        self._thread.start()
        # On a loaded machine the thread may not have entered run_forever() yet; call() would
        # then see a loop that is not running and refuse.
        self._loop_running.wait(30)
        try:
            self.call(self._astart())
        except BaseException:
            self.stop()
            raise

    def _run_loop(self) -> None:
        assert self.loop is not None
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._loop_running.set)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the emulator loop from another thread and wait for it."""
        if self.loop is None or not self.loop.is_running():
            coro.close()
            raise RuntimeError("the emulator is not running")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("use the async control methods from inside the emulator loop")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def wake(self) -> None:
        """Make the driver re-read the clock now (after advance / speed changes)."""
        if self.loop is not None and self._wake is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Stop every controller and the loop thread."""
        if self.loop is None:
            return
        if self.loop.is_running():
            try:
                self.call(self._astop())
            except Exception:  # stopping must always finish
                log.exception("emulator: error while stopping")
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.loop = None

    # ------------------------------------------------------------- loop side
    async def _astart(self) -> None:
        self._wake = asyncio.Event()
        for controller in self.controllers:
            await self.astart_controller(controller.index)
        with self.cluster.lock:
            self.cluster.controllers = [self.address(i) for i in range(len(self.controllers))]
            self.cluster.leader = 0
        self._driver = asyncio.get_running_loop().create_task(self._drive())

    async def _astop(self) -> None:
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        for controller in self.controllers:
            await self.astop_controller(controller.index, elect=False)
        if self._driver is not None:
            await self._driver
        # whatever is left (control requests stopping a controller, ...) ends with the loop
        current = asyncio.current_task()
        leftovers = [task for task in asyncio.all_tasks() if task is not current]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    async def _drive(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            with self.cluster.lock:
                self.cluster.tick()
                due = self.cluster.sim.next_time()
                now = self.cluster.clock.now()
            delay = MAX_DRIVER_SLEEP if due is None else min(MAX_DRIVER_SLEEP, self.cluster.clock.real_seconds(due - now))
            if delay > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass
            else:
                await asyncio.sleep(0)  # let requests in between bursts of due events
            self._wake.clear()

    async def astart_controller(self, index: int) -> None:
        """Start (or restart) a controller on its port; it follows the current leader."""
        controller = self.controllers[index]
        if controller.running:
            return
        sock = _bind(self.host, controller.port)
        controller.port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_app(self, index),
            lifespan="off",
            access_log=False,
            log_config=None,
            log_level="warning",
            http=TransportExposingProtocol,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            backlog=4096,
        )
        server = uvicorn.Server(config)
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                sock.close()
                task.result()
                raise RuntimeError(f"controller {index} did not start")
            await asyncio.sleep(0.005)
        controller.server, controller.task, controller.sock = server, task, sock
        with self.cluster.lock:
            if self.cluster.controllers:
                self.cluster.controllers[index] = self.address(index)
            if self.cluster.leader is None:
                self.cluster.change_leader(index)

    async def astop_controller(self, index: int, *, elect: bool = True) -> None:
        """Stop a controller: its port refuses connections; a leader hands over to the next one up."""
        controller = self.controllers[index]
        if not controller.running:
            return
        server, task = controller.server, controller.task
        assert server is not None and task is not None
        controller.server = None
        server.should_exit = True
        server.force_exit = True
        # a stopped controller is gone: cut open connections and their in-flight requests now,
        # rather than letting clients wait for answers that never come
        for connection in list(server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except Exception:
            log.exception("emulator: controller %d did not stop cleanly", index)
        if controller.sock is not None:
            controller.sock.close()
            controller.sock = None
        if elect:
            with self.cluster.lock:
                if self.cluster.leader == index:
                    up = [c.index for c in self.controllers if c.running]
                    self.cluster.change_leader(up[0] if up else None)
