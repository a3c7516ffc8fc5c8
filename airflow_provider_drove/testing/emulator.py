"""``DroveEmulator``: the emulator as a context manager for tests and scripts."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from airflow_provider_drove.testing import validation
from airflow_provider_drove.testing.control import EmulatorControl
from airflow_provider_drove.testing.runtime import EmulatorRuntime

#: the op spec the conveniences send
_OP_SPEC = {"timeout": "5m", "parallelism": 4, "failureStrategy": "STOP"}


class DroveEmulator:
    """A running Drove controller emulator (one or more controllers sharing one cluster).

    >>> with DroveEmulator(controllers=2, speed=20) as drove:  # doctest: +SKIP
    ...     requests.get(f"{drove.url}/apis/v1/ping").json()
    {'status': 'SUCCESS', 'data': 'pong', 'message': 'success'}

    :param controllers: number of controllers; controller 0 starts as the leader.
    :param users: ``(name, password, role)`` triples (or ``"NAME:PASSWORD:ROLE"``); roles are
        ``EXTERNAL_READ_ONLY``, ``EXTERNAL_READ_WRITE``, ``DROVE_EXTERNAL_MAINTENANCE``,
        ``EXTERNAL_ROOT``. None disables auth (every caller is root, as in Drove).
    :param executors: number of executors.
    :param executor_cpus: CPU cores per executor.
    :param executor_memory_mb: memory per executor in MB.
    :param speed: simulated seconds per real second (all simulated durations are divided by it).
    :param host: interface to listen on (keep the loopback for tests).
    :param port: first port; controllers use consecutive ports. 0 picks free ports.
    """

    def __init__(
        self,
        controllers: int = 1,
        users: Iterable[Sequence[str] | str] | None = None,
        executors: int = 2,
        executor_cpus: int = 8,
        executor_memory_mb: int = 16384,
        speed: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.users = [tuple(u) if not isinstance(u, str) else u for u in users or []]
        self._runtime = EmulatorRuntime(
            controllers=controllers,
            users=users,
            executors=executors,
            executor_cpus=executor_cpus,
            executor_memory_mb=executor_memory_mb,
            speed=speed,
            host=host,
            port=port,
        )
        self.control = EmulatorControl(self._runtime)
        self._started = False

    # ------------------------------------------------------------- lifecycle
    def start(self) -> DroveEmulator:
        """Start serving (idempotent)."""
        if not self._started:
            self._runtime.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Stop serving and close every port."""
        if self._started:
            self._runtime.stop()
            self._started = False

    def __enter__(self) -> DroveEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------- addresses
    @property
    def urls(self) -> list[str]:
        """Base URLs of every controller, in index order."""
        return [self._runtime.url(c.index) for c in self._runtime.controllers]

    @property
    def url(self) -> str:
        """Base URL of the current leader (of controller 0 while none leads)."""
        leader = self._runtime.cluster.leader
        return self.urls[leader if leader is not None else 0]

    @property
    def cluster(self) -> Any:
        """The shared cluster state (advanced use; hold ``cluster.lock`` while reading it)."""
        return self._runtime.cluster

    def airflow_connection(
        self,
        login: str | None = None,
        password: str | None = None,
        auth_header: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The JSON connection form (for ``AIRFLOW_CONN_<ID>``) pointing at every controller.

        Without ``login``/``auth_header``, the first configured user's credentials are used.

        :param extra: more connection extras (``timeout``, ``max_retries``, ...).
        """
        if login is None and auth_header is None and self.users:
            first = self.users[0]
            name, pw, _ = first.split(":", 2) if isinstance(first, str) else first
            login, password = name, pw if password is None else password
        conn: dict[str, Any] = {"conn_type": "drove", "host": ",".join(self.urls)}
        if login is not None:
            conn["login"] = login
        if password is not None:
            conn["password"] = password
        extras = dict(extra)
        if auth_header is not None:
            extras["auth_header"] = auth_header
        if extras:
            conn["extra"] = extras
        return conn

    # ------------------------------------------------------------- test set-up conveniences
    def create_app(self, spec: Mapping[str, Any], instances: int = 0, *, wait: bool = True, timeout: float = 60.0) -> str:
        """Create an app (validated like a CREATE) and, with ``instances``, scale it up.

        :param spec: an ApplicationSpec dict.
        :param instances: healthy instances wanted (sent as a SCALE after CREATE).
        :param wait: wait until the app is idle with that many healthy instances.
        :param timeout: real seconds to wait.
        :return: the app ID.
        :raises DroveWireError: when Drove would refuse the spec.
        :raises ValueError: when Drove would refuse the operation (e.g. the app exists).
        """
        app_id = self._submit({"type": "CREATE", "spec": dict(spec), "instances": 0, "opSpec": _OP_SPEC})
        if instances:
            self.scale_app(app_id, instances, wait=False)
        if wait:
            self.wait_idle(app_id, timeout=timeout)
        return app_id

    def scale_app(self, app_id: str, instances: int, *, wait: bool = True, timeout: float = 60.0) -> str:
        """Scale an app (a SCALE op) and optionally wait until it settles."""
        self._submit({"type": "SCALE", "appId": app_id, "requiredInstances": instances, "opSpec": _OP_SPEC})
        if wait:
            self.wait_idle(app_id, timeout=timeout)
        return app_id

    def _submit(self, payload: dict[str, Any]) -> str:
        op = validation.app_operation(payload)
        cluster = self._runtime.cluster
        with cluster.lock:
            cluster.tick()
            errors, app_id = cluster.apps.submit(op)
        self._runtime.wake()
        if errors:
            raise ValueError("; ".join(errors))
        assert app_id is not None
        return app_id

    def wait_idle(self, app_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Wait until an app is RUNNING/MONITORING with no op running and healthy == required.

        :param timeout: real seconds.
        :return: the AppSummary.
        :raises TimeoutError: with the last state seen.
        :raises KeyError: when the app does not exist (any more).
        """
        deadline = time.monotonic() + timeout
        cluster = self._runtime.cluster
        while True:
            with cluster.lock:
                cluster.tick()
                app = cluster.apps.apps.get(app_id)
                if app is None:
                    raise KeyError(f"app {app_id} does not exist")
                summary = app.summary()
                if app.idle and summary["healthyInstances"] == summary["requiredInstances"]:
                    return summary
            if time.monotonic() > deadline:
                raise TimeoutError(f"app {app_id} did not settle within {timeout} s: {summary}")
            time.sleep(0.01)
