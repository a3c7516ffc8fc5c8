"""Hooks for the Drove controller API: :class:`DroveHook` (``requests``) and :class:`DroveAsyncHook` (``httpx``).

Both are transport only. What each endpoint sends and returns is in
:mod:`airflow_provider_drove.hooks.api`, how answers, retries and leader failover are judged is in
:mod:`airflow_provider_drove.hooks.transport` and :mod:`airflow_provider_drove.drove.responses`;
the two classes differ only in doing the I/O synchronously or on an event loop.

Nothing happens at import or in ``__init__``: the connection is read on the first call.

Example::

    hook = DroveHook()  # connection "drove_default"
    hook.scale_application("MY_APP-1", 3, op_spec={"timeout": "5m", "parallelism": 2})
    app = hook.get_application("MY_APP-1")
    print(app.state, app.healthy_instances)
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_drove.drove import operations
from airflow_provider_drove.exceptions import DroveException
from airflow_provider_drove.hooks import api
from airflow_provider_drove.hooks.connection import DroveConnectionSettings, settings_from_airflow
from airflow_provider_drove.hooks.defaults import CONN_TYPE, DEFAULT_CONN_ID
from airflow_provider_drove.hooks.transport import (
    ControllerProbe,
    DroveRequest,
    Exchange,
    RetryableFailure,
    SendFailure,
    client_headers,
    leader_first,
    no_leader_error,
    probe_from_failure,
    probe_from_response,
    remember_leader,
    summarise_probes,
    ui_url,
)

if TYPE_CHECKING:
    import httpx
    import requests

    from airflow_provider_drove.drove.models import (
        AppSummary,
        ClusterSummary,
        ExecutorSummary,
        ExposedAppInfo,
        InstanceInfo,
        LogChunk,
        TaskInfo,
    )
    from airflow_provider_drove.drove.operations import OpSpec
    from airflow_provider_drove.drove.specs import ApplicationSpec, TaskSpec
    from airflow_provider_drove.drove.states import InstanceState

    OpSpecArg = OpSpec | Mapping[str, Any] | None

T = TypeVar("T")


class _DroveHookBase(BaseHook):
    """What both hooks share: the connection attributes, the UI form and ``repr``.

    :param drove_conn_id: the Airflow connection id of the Drove cluster.
    """

    conn_name_attr = "drove_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Drove"

    def __init__(self, drove_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drove_conn_id = drove_conn_id
        self._settings: DroveConnectionSettings | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(drove_conn_id={self.drove_conn_id!r})"

    def _warn_unknown_extras(self, settings: DroveConnectionSettings) -> None:
        if settings.unknown_extras:
            # Names only: an unknown key could still hold a value someone meant to keep secret.
            self.log.warning(
                "Drove connection %r has extras this provider does not use: %s",
                settings.conn_id,
                ", ".join(settings.unknown_extras),
            )


def _requests_failure(exc: Exception) -> tuple[SendFailure, str]:
    """Classify a ``requests`` error: did the request leave, and what to say about it."""
    import requests
    import urllib3.exceptions as u3

    if isinstance(exc, requests.exceptions.SSLError):
        return SendFailure.TLS, f"TLS error: {_root_message(exc)}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return SendFailure.NOT_SENT, "connect timeout"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return SendFailure.MAYBE_SENT, "read timeout"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        if isinstance(reason, (u3.NewConnectionError, u3.ConnectTimeoutError)):
            # Refused, unreachable or unresolvable: no byte of the request went out.
            return SendFailure.NOT_SENT, "connection refused or host unreachable"
        return SendFailure.MAYBE_SENT, "connection dropped before an answer"
    return SendFailure.MAYBE_SENT, f"{type(exc).__name__} while reading the answer"


def _httpx_failure(exc: Exception) -> tuple[SendFailure, str]:
    """Classify an ``httpx`` error the same way as :func:`_requests_failure`."""
    import httpx

    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        if _caused_by(exc, ssl.SSLError):
            return SendFailure.TLS, f"TLS error: {_root_message(exc)}"
        if isinstance(exc, httpx.ConnectTimeout):
            return SendFailure.NOT_SENT, "connect timeout"
        if isinstance(exc, httpx.PoolTimeout):
            return SendFailure.NOT_SENT, "no free connection in the pool"
        return SendFailure.NOT_SENT, "connection refused or host unreachable"
    if isinstance(exc, httpx.ReadTimeout):
        return SendFailure.MAYBE_SENT, "read timeout"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.WriteTimeout)):
        return SendFailure.MAYBE_SENT, "connection dropped before an answer"
    return SendFailure.MAYBE_SENT, f"{type(exc).__name__} while reading the answer"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _root_message(exc: BaseException) -> str:
    """The innermost error's message (TLS reasons), which never holds request headers."""
    seen = exc
    for _ in range(10):
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            break
        seen = nxt
    return str(getattr(seen, "reason", None) or seen)[:300]


class DroveHook(_DroveHookBase):
    """Synchronous hook for the Drove controller API (one ``requests.Session``, keep-alive).

    Every method raises a :class:`~airflow_provider_drove.exceptions.DroveException`:
    ``DroveInputError`` for bad arguments (nothing sent), ``DroveNotFoundError`` for a lookup
    miss, ``DroveValidationError`` for a rejection (Drove's reasons in ``.errors``),
    ``DroveAuthenticationError``/``DroveForbiddenError`` for 401/403, ``DroveUnavailableError``
    when no controller could serve it after the retries.

    :param drove_conn_id: the Airflow connection id of the Drove cluster (conn type ``drove``).
    """

    def __init__(self, drove_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(drove_conn_id, **kwargs)
        self._session: requests.Session | None = None

    # -- UI (Airflow < 3.2; 3.2+ reads the provider info) -----------------------------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra fields of the connection form (Airflow before 3.2)."""
        from airflow_provider_drove.hooks.ui import legacy_widgets

        return legacy_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Labels, placeholders and hidden fields of the connection form (Airflow before 3.2)."""
        from airflow_provider_drove.hooks.ui import legacy_field_behaviour

        return legacy_field_behaviour()

    # -- connection and transport -----------------------------------------------------------------

    @property
    def settings(self) -> DroveConnectionSettings:
        """The checked connection settings, read on first use; secrets go to the masker."""
        if self._settings is None:
            settings = settings_from_airflow(self.get_connection(self.drove_conn_id))
            for secret in settings.credentials.secrets:
                mask_secret(secret)
            self._warn_unknown_extras(settings)
            self._settings = settings
        return self._settings

    def get_conn(self) -> requests.Session:
        """Return the hook's ``requests.Session`` (auth header, TLS settings, keep-alive)."""
        if self._session is None:
            import requests

            settings = self.settings
            session = requests.Session()
            session.headers.update(client_headers(settings))
            session.verify = settings.verify
            self._session = session
        return self._session

    def close(self) -> None:
        """Close the session's pooled connections."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> DroveHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, base: str, request: DroveRequest[Any]) -> requests.Response:
        settings = self.settings
        return self.get_conn().request(
            request.method,
            request.url(base),
            data=request.content,
            headers=request.headers(),
            timeout=(settings.connect_timeout, settings.timeout),
            # Passed on every request, not only on the session: requests lets REQUESTS_CA_BUNDLE
            # override a session-level CA bundle, and the connection's setting must win.
            verify=settings.verify,
            allow_redirects=False,
        )

    def _call(self, request: DroveRequest[T]) -> T:
        """Run a request through the failover rounds and tenacity retries (see ``transport``)."""
        from tenacity import Retrying

        exchange = Exchange(self.settings, request, self.log)
        try:
            for attempt in Retrying(**exchange.retry_policy()):
                with attempt:
                    return self._round(exchange)
        except RetryableFailure as failure:
            raise exchange.unavailable(failure) from failure.cause
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _round(self, exchange: Exchange[T]) -> T:
        import requests

        for base in exchange.round_targets():
            exchange.before_send(base)
            start = time.perf_counter()
            try:
                response = self._send(base, exchange.request)
            except requests.RequestException as exc:
                exchange.on_send_failure(base, *_requests_failure(exc))
                continue
            done, value = exchange.on_response(base, response, start)
            if done:
                return value  # type: ignore[return-value]
        raise exchange.round_failed()

    def _probe(self, base: str) -> ControllerProbe:
        import requests

        start = time.perf_counter()
        try:
            response = self._send(base, api.ping())
        except requests.RequestException as exc:
            return probe_from_failure(base, *_requests_failure(exc))
        return probe_from_response(base, response, start, self.log)

    # -- cluster and connection checks ------------------------------------------------------------

    def ping(self) -> str:
        """``GET /apis/v1/ping`` on the leader (with failover).

        :return: ``"pong"``.
        """
        return self._call(api.ping())

    def find_leader(self) -> str:
        """Ping the controllers (remembered leader first) and return the leader's base URL.

        :return: the leader's base URL, also remembered for later calls in this process.
        :raises DroveUnavailableError: when no controller answers as leader.
        """
        probes = []
        for base in leader_first(self.settings):
            probes.append(self._probe(base))
            if leader := remember_leader(self.settings, probes[-1:]):
                return leader
        raise no_leader_error(probes)

    def test_connection(self) -> tuple[bool, str]:
        """Ping every configured controller and report which one is the leader.

        Used by the Airflow UI's "Test" button and ``airflow connections test``.

        :return: ``(ok, message)``.
        """
        try:
            probes = [self._probe(base) for base in self.settings.controllers]
        except DroveException as exc:
            return False, str(exc)
        remember_leader(self.settings, probes)
        return summarise_probes(probes)

    def ui_url(self, path: str) -> str:
        """A controller UI link (§6.8), e.g. ``ui_url("applications/MY_APP-1")``; no credentials in it."""
        return ui_url(self.settings, path)

    def get_cluster_summary(self) -> ClusterSummary:
        """``GET /cluster``: leader, state, counts and capacity."""
        return self._call(api.get_cluster_summary())

    def list_executors(self) -> list[ExecutorSummary]:
        """``GET /cluster/executors``."""
        return self._call(api.list_executors())

    def get_executor(self, executor_id: str) -> dict[str, Any]:
        """``GET /cluster/executors/{id}``: the executor's node data (DroveNotFoundError on a miss)."""
        return self._call(api.get_executor(executor_id))

    def set_maintenance(self) -> dict[str, Any]:
        """``POST /cluster/maintenance/set`` (MAINTENANCE or ROOT role): ops are refused until unset + 40 s."""
        return self._call(api.set_maintenance(True))

    def unset_maintenance(self) -> dict[str, Any]:
        """``POST /cluster/maintenance/unset`` (ops stay refused for 40 s more, §6.4)."""
        return self._call(api.set_maintenance(False))

    # -- application operations -------------------------------------------------------------------

    def submit_operation(self, payload: Mapping[str, Any]) -> str:
        """Send any application operation (§7.2), checked with Drove's rules before sending.

        :param payload: the wire JSON, e.g. ``{"type": "SCALE", "appId": ..., "requiredInstances": 2, "opSpec": {...}}``.
        :return: the ``appId`` Drove echoes. Drove validated the op but runs it asynchronously (and
            may drop a SCALE sent during a scale, §7.5): read the app back to see it happen.
        """
        return self._call(api.submit_operation(payload))

    def cancel_operation(self, app_id: str) -> bool:
        """Cancel the app's current operation (§7.6).

        :return: ``True`` when Drove accepted the cancel, ``False`` when it answered "Current
            operation could not be cancelled".
        """
        return self._call(api.cancel_operation(app_id))

    def scale_application(self, app_id: str, required_instances: int, *, op_spec: OpSpecArg = None) -> str:
        """SCALE the app to ``required_instances`` (0..2048)."""
        return self._call(api.app_operation(operations.scale(app_id, required_instances, op_spec)))

    def create_application(
        self, spec: ApplicationSpec | Mapping[str, Any], *, instances: int = 0, op_spec: OpSpecArg = None
    ) -> str:
        """CREATE an app from its spec (checked first); returns its ID ``name-version``."""
        return self._call(api.app_operation(operations.create(spec, instances, op_spec)))

    def start_instances(self, app_id: str, instances: int, *, op_spec: OpSpecArg = None) -> str:
        """START_INSTANCES: add ``instances`` (0..1024) new instances."""
        return self._call(api.app_operation(operations.start_instances(app_id, instances, op_spec)))

    def stop_instances(
        self, app_id: str, instance_ids: Sequence[str], *, skip_respawn: bool = False, op_spec: OpSpecArg = None
    ) -> str:
        """STOP_INSTANCES: stop the given active instances (``skip_respawn`` lowers the count)."""
        return self._call(api.app_operation(operations.stop_instances(app_id, instance_ids, skip_respawn, op_spec)))

    def replace_instances(
        self,
        app_id: str,
        instance_ids: Sequence[str] | None = None,
        *,
        stop_first: bool = False,
        op_spec: OpSpecArg = None,
    ) -> str:
        """REPLACE_INSTANCES: rolling restart of the given healthy instances (all when none given)."""
        return self._call(api.app_operation(operations.replace_instances(app_id, instance_ids, stop_first, op_spec)))

    def suspend_application(self, app_id: str, *, op_spec: OpSpecArg = None) -> str:
        """SUSPEND (scale to 0; allowed only in RUNNING)."""
        return self._call(api.app_operation(operations.suspend(app_id, op_spec)))

    def recover_application(self, app_id: str) -> str:
        """RECOVER: bring the app back to its stored ``requiredInstances``."""
        return self._call(api.app_operation(operations.recover(app_id)))

    def destroy_application(self, app_id: str, *, op_spec: OpSpecArg = None) -> str:
        """DESTROY (allowed only in MONITORING: scale to 0 or suspend first)."""
        return self._call(api.app_operation(operations.destroy(app_id, op_spec)))

    # -- application reads ------------------------------------------------------------------------

    def list_applications(self) -> dict[str, AppSummary]:
        """``GET /applications``: every app keyed by app ID."""
        return self._call(api.list_applications())

    def get_application(self, app_id: str) -> AppSummary:
        """``GET /applications/{appId}`` (DroveNotFoundError "App X not found" on a miss)."""
        return self._call(api.get_application(app_id))

    def get_application_spec(self, app_id: str) -> dict[str, Any]:
        """``GET /applications/{appId}/spec``: the spec as Drove echoes it (secrets masked by Drove)."""
        return self._call(api.get_application_spec(app_id))

    def list_instances(self, app_id: str, states: Iterable[InstanceState | str] | None = None) -> list[InstanceInfo]:
        """Active instances of the app, optionally only in the given states (unknown app: ``[]``)."""
        return self._call(api.list_instances(app_id, states))

    def list_old_instances(self, app_id: str, *, start: int = 0, size: int | None = None) -> list[InstanceInfo]:
        """Stopped, lost and failed instances of the app (with their ``error_message``)."""
        return self._call(api.list_old_instances(app_id, start, size))

    def get_instance(self, app_id: str, instance_id: str) -> InstanceInfo:
        """One instance in any state (DroveNotFoundError on a miss)."""
        return self._call(api.get_instance(app_id, instance_id))

    def validate_application_spec(self, spec: ApplicationSpec | Mapping[str, Any]) -> None:
        """Check a spec locally, then with ``POST /applications/validate/spec`` (raises on rejection)."""
        self._call(api.validate_application_spec(spec))

    def list_endpoints(self, app_names: Sequence[str] | str | None = None) -> list[ExposedAppInfo]:
        """``GET /endpoints``: exposed apps (filtered by app *name*) and their healthy hosts."""
        return self._call(api.list_endpoints(app_names))

    # -- tasks ------------------------------------------------------------------------------------

    def submit_task_operation(self, payload: Mapping[str, Any]) -> str:
        """Send a task CREATE or KILL payload (§8), checked first; returns Drove's ``taskId``."""
        return self._call(api.submit_task_operation(payload))

    def create_task(self, spec: TaskSpec | Mapping[str, Any], *, op_spec: OpSpecArg = None) -> str:
        """CREATE a task (it starts at once); returns ``{sourceAppName}-{taskId}``."""
        return self._call(api.task_operation(operations.task_create(spec, op_spec)))

    def kill_task(self, source_app_name: str, task_id: str, *, op_spec: OpSpecArg = None) -> str:
        """KILL a running task; it ends STOPPED with result CANCELLED."""
        return self._call(api.task_operation(operations.task_kill(source_app_name, task_id, op_spec)))

    def get_task(self, source_app_name: str, task_id: str) -> TaskInfo:
        """One task; DroveNotFoundError "No such task instance ..." also while it is still pending (§8)."""
        return self._call(api.get_task(source_app_name, task_id))

    def list_tasks(self) -> list[TaskInfo]:
        """``GET /tasks``: tasks with a live runner."""
        return self._call(api.list_tasks())

    def delete_task(self, source_app_name: str, task_id: str) -> bool:
        """Delete a task's record (not the running task) so its ID can be reused."""
        return self._call(api.delete_task(source_app_name, task_id))

    def validate_task_spec(self, spec: TaskSpec | Mapping[str, Any]) -> None:
        """Check a task spec locally, then with ``POST /tasks/validate/spec``."""
        self._call(api.validate_task_spec(spec))

    # -- log files --------------------------------------------------------------------------------

    def list_log_files(self, kind: str, owner_id: str, instance_id: str) -> list[str]:
        """Log files of an app instance (``kind="applications"``, app ID, instance ID) or task
        (``kind="tasks"``, source app name, task ID)."""
        return self._call(api.list_log_files(kind, owner_id, instance_id))

    def read_log_file(
        self,
        kind: str,
        owner_id: str,
        instance_id: str,
        file_name: str,
        *,
        offset: int = -1,
        length: int = api.DEFAULT_LOG_READ_LENGTH,
    ) -> LogChunk:
        """Read a chunk of a log file (§6.6).

        ``offset=-1`` returns no data and the file's current end in ``offset``; a read from an
        offset returns the data found there, so the next read starts at
        ``chunk.offset + len(chunk.data.encode())``.
        """
        return self._call(api.read_log_file(kind, owner_id, instance_id, file_name, offset, length))


async def _amask_secret(secret: str) -> None:
    """Register a secret without blocking the event loop (Airflow 3's async masker when present)."""
    try:
        from airflow.sdk.log import amask_secret
    except ImportError:  # Airflow 2: the masker is local, registering is a plain call
        mask_secret(secret)
    else:
        await amask_secret(secret)


class DroveAsyncHook(_DroveHookBase):
    """Asynchronous twin of :class:`DroveHook` (``httpx.AsyncClient``), for triggers.

    Same method names and results, as coroutines. The connection is fetched with Airflow's async
    API (``get_async_connection``; a worker thread on Airflow 2.11), so the event loop never
    blocks. Close it with ``await hook.aclose()`` or use ``async with DroveAsyncHook(...) as hook``.

    :param drove_conn_id: the Airflow connection id of the Drove cluster.
    """

    def __init__(self, drove_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(drove_conn_id, **kwargs)
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    async def get_settings(self) -> DroveConnectionSettings:
        """The checked connection settings, fetched asynchronously on first use."""
        if self._settings is None:
            from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson

            conn = await get_async_connection(self.drove_conn_id, hook=self)
            settings = settings_from_airflow(conn, await get_async_extra_dejson(conn))
            for secret in settings.credentials.secrets:
                await _amask_secret(secret)
            self._warn_unknown_extras(settings)
            self._settings = settings
        return self._settings

    async def get_client(self) -> httpx.AsyncClient:
        """Return the hook's ``httpx.AsyncClient`` for the running event loop."""
        import httpx

        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            # A client is bound to the loop that opened its connections; a new loop needs a new one.
            settings = await self.get_settings()
            verify: bool | ssl.SSLContext = settings.verify if isinstance(settings.verify, bool) else (
                ssl.create_default_context(cafile=settings.verify)
            )
            self._client = httpx.AsyncClient(
                headers=client_headers(settings),
                verify=verify,
                timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
                follow_redirects=False,
            )
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the client's pooled connections."""
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = None
        self._client_loop = None

    async def __aenter__(self) -> DroveAsyncHook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(self, base: str, request: DroveRequest[Any]) -> httpx.Response:
        client = await self.get_client()
        return await client.request(
            request.method, request.url(base), content=request.content, headers=request.headers()
        )

    async def _call(self, request: DroveRequest[T]) -> T:
        """Run a request through the failover rounds and tenacity retries (see ``transport``)."""
        from tenacity import AsyncRetrying

        exchange = Exchange(await self.get_settings(), request, self.log)
        try:
            async for attempt in AsyncRetrying(**exchange.retry_policy()):
                with attempt:
                    return await self._round(exchange)
        except RetryableFailure as failure:
            raise exchange.unavailable(failure) from failure.cause
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    async def _round(self, exchange: Exchange[T]) -> T:
        import httpx

        for base in exchange.round_targets():
            exchange.before_send(base)
            start = time.perf_counter()
            try:
                response = await self._send(base, exchange.request)
            except httpx.TransportError as exc:
                exchange.on_send_failure(base, *_httpx_failure(exc))
                continue
            done, value = exchange.on_response(base, response, start)
            if done:
                return value  # type: ignore[return-value]
        raise exchange.round_failed()

    async def _probe(self, base: str) -> ControllerProbe:
        import httpx

        start = time.perf_counter()
        try:
            response = await self._send(base, api.ping())
        except httpx.TransportError as exc:
            return probe_from_failure(base, *_httpx_failure(exc))
        return probe_from_response(base, response, start, self.log)

    # -- cluster and connection checks (see DroveHook for the documentation) ----------------------

    async def ping(self) -> str:
        """Async :meth:`DroveHook.ping`."""
        return await self._call(api.ping())

    async def find_leader(self) -> str:
        """Async :meth:`DroveHook.find_leader`."""
        settings = await self.get_settings()
        probes = []
        for base in leader_first(settings):
            probes.append(await self._probe(base))
            if leader := remember_leader(settings, probes[-1:]):
                return leader
        raise no_leader_error(probes)

    async def test_connection(self) -> tuple[bool, str]:  # type: ignore[override]
        """Async :meth:`DroveHook.test_connection` (the controllers are pinged concurrently)."""
        try:
            settings = await self.get_settings()
        except DroveException as exc:
            return False, str(exc)
        probes = await asyncio.gather(*(self._probe(base) for base in settings.controllers))
        remember_leader(settings, probes)
        return summarise_probes(probes)

    async def ui_url(self, path: str) -> str:
        """Async :meth:`DroveHook.ui_url`."""
        return ui_url(await self.get_settings(), path)

    async def get_cluster_summary(self) -> ClusterSummary:
        """Async :meth:`DroveHook.get_cluster_summary`."""
        return await self._call(api.get_cluster_summary())

    async def list_executors(self) -> list[ExecutorSummary]:
        """Async :meth:`DroveHook.list_executors`."""
        return await self._call(api.list_executors())

    async def get_executor(self, executor_id: str) -> dict[str, Any]:
        """Async :meth:`DroveHook.get_executor`."""
        return await self._call(api.get_executor(executor_id))

    async def set_maintenance(self) -> dict[str, Any]:
        """Async :meth:`DroveHook.set_maintenance`."""
        return await self._call(api.set_maintenance(True))

    async def unset_maintenance(self) -> dict[str, Any]:
        """Async :meth:`DroveHook.unset_maintenance`."""
        return await self._call(api.set_maintenance(False))

    # -- application operations -------------------------------------------------------------------

    async def submit_operation(self, payload: Mapping[str, Any]) -> str:
        """Async :meth:`DroveHook.submit_operation`."""
        return await self._call(api.submit_operation(payload))

    async def cancel_operation(self, app_id: str) -> bool:
        """Async :meth:`DroveHook.cancel_operation`."""
        return await self._call(api.cancel_operation(app_id))

    async def scale_application(self, app_id: str, required_instances: int, *, op_spec: OpSpecArg = None) -> str:
        """Async :meth:`DroveHook.scale_application`."""
        return await self._call(api.app_operation(operations.scale(app_id, required_instances, op_spec)))

    async def create_application(
        self, spec: ApplicationSpec | Mapping[str, Any], *, instances: int = 0, op_spec: OpSpecArg = None
    ) -> str:
        """Async :meth:`DroveHook.create_application`."""
        return await self._call(api.app_operation(operations.create(spec, instances, op_spec)))

    async def start_instances(self, app_id: str, instances: int, *, op_spec: OpSpecArg = None) -> str:
        """Async :meth:`DroveHook.start_instances`."""
        return await self._call(api.app_operation(operations.start_instances(app_id, instances, op_spec)))

    async def stop_instances(
        self, app_id: str, instance_ids: Sequence[str], *, skip_respawn: bool = False, op_spec: OpSpecArg = None
    ) -> str:
        """Async :meth:`DroveHook.stop_instances`."""
        return await self._call(
            api.app_operation(operations.stop_instances(app_id, instance_ids, skip_respawn, op_spec))
        )

    async def replace_instances(
        self,
        app_id: str,
        instance_ids: Sequence[str] | None = None,
        *,
        stop_first: bool = False,
        op_spec: OpSpecArg = None,
    ) -> str:
        """Async :meth:`DroveHook.replace_instances`."""
        return await self._call(
            api.app_operation(operations.replace_instances(app_id, instance_ids, stop_first, op_spec))
        )

    async def suspend_application(self, app_id: str, *, op_spec: OpSpecArg = None) -> str:
        """Async :meth:`DroveHook.suspend_application`."""
        return await self._call(api.app_operation(operations.suspend(app_id, op_spec)))

    async def recover_application(self, app_id: str) -> str:
        """Async :meth:`DroveHook.recover_application`."""
        return await self._call(api.app_operation(operations.recover(app_id)))

    async def destroy_application(self, app_id: str, *, op_spec: OpSpecArg = None) -> str:
        """Async :meth:`DroveHook.destroy_application`."""
        return await self._call(api.app_operation(operations.destroy(app_id, op_spec)))

    # -- application reads ------------------------------------------------------------------------

    async def list_applications(self) -> dict[str, AppSummary]:
        """Async :meth:`DroveHook.list_applications`."""
        return await self._call(api.list_applications())

    async def get_application(self, app_id: str) -> AppSummary:
        """Async :meth:`DroveHook.get_application`."""
        return await self._call(api.get_application(app_id))

    async def get_application_spec(self, app_id: str) -> dict[str, Any]:
        """Async :meth:`DroveHook.get_application_spec`."""
        return await self._call(api.get_application_spec(app_id))

    async def list_instances(
        self, app_id: str, states: Iterable[InstanceState | str] | None = None
    ) -> list[InstanceInfo]:
        """Async :meth:`DroveHook.list_instances`."""
        return await self._call(api.list_instances(app_id, states))

    async def list_old_instances(self, app_id: str, *, start: int = 0, size: int | None = None) -> list[InstanceInfo]:
        """Async :meth:`DroveHook.list_old_instances`."""
        return await self._call(api.list_old_instances(app_id, start, size))

    async def get_instance(self, app_id: str, instance_id: str) -> InstanceInfo:
        """Async :meth:`DroveHook.get_instance`."""
        return await self._call(api.get_instance(app_id, instance_id))

    async def validate_application_spec(self, spec: ApplicationSpec | Mapping[str, Any]) -> None:
        """Async :meth:`DroveHook.validate_application_spec`."""
        await self._call(api.validate_application_spec(spec))

    async def list_endpoints(self, app_names: Sequence[str] | str | None = None) -> list[ExposedAppInfo]:
        """Async :meth:`DroveHook.list_endpoints`."""
        return await self._call(api.list_endpoints(app_names))

    # -- tasks ------------------------------------------------------------------------------------

    async def submit_task_operation(self, payload: Mapping[str, Any]) -> str:
        """Async :meth:`DroveHook.submit_task_operation`."""
        return await self._call(api.submit_task_operation(payload))

    async def create_task(self, spec: TaskSpec | Mapping[str, Any], *, op_spec: OpSpecArg = None) -> str:
        """Async :meth:`DroveHook.create_task`."""
        return await self._call(api.task_operation(operations.task_create(spec, op_spec)))

    async def kill_task(self, source_app_name: str, task_id: str, *, op_spec: OpSpecArg = None) -> str:
        """Async :meth:`DroveHook.kill_task`."""
        return await self._call(api.task_operation(operations.task_kill(source_app_name, task_id, op_spec)))

    async def get_task(self, source_app_name: str, task_id: str) -> TaskInfo:
        """Async :meth:`DroveHook.get_task`."""
        return await self._call(api.get_task(source_app_name, task_id))

    async def list_tasks(self) -> list[TaskInfo]:
        """Async :meth:`DroveHook.list_tasks`."""
        return await self._call(api.list_tasks())

    async def delete_task(self, source_app_name: str, task_id: str) -> bool:
        """Async :meth:`DroveHook.delete_task`."""
        return await self._call(api.delete_task(source_app_name, task_id))

    async def validate_task_spec(self, spec: TaskSpec | Mapping[str, Any]) -> None:
        """Async :meth:`DroveHook.validate_task_spec`."""
        await self._call(api.validate_task_spec(spec))

    # -- log files --------------------------------------------------------------------------------

    async def list_log_files(self, kind: str, owner_id: str, instance_id: str) -> list[str]:
        """Async :meth:`DroveHook.list_log_files`."""
        return await self._call(api.list_log_files(kind, owner_id, instance_id))

    async def read_log_file(
        self,
        kind: str,
        owner_id: str,
        instance_id: str,
        file_name: str,
        *,
        offset: int = -1,
        length: int = api.DEFAULT_LOG_READ_LENGTH,
    ) -> LogChunk:
        """Async :meth:`DroveHook.read_log_file`."""
        return await self._call(api.read_log_file(kind, owner_id, instance_id, file_name, offset, length))
