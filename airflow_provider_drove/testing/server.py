"""The controller's HTTP API under ``/apis/v1`` (§6) as a Starlette app, one per emulated controller.

Every request goes through Drove's filter order (§3.1): authentication (401), role (403), the
leadership check (400 "This node is not the leader controller"), then body parsing, validation,
the maintenance window and business validation. Lookup misses are 200 FAILED; nothing here ever
answers with a Python traceback: an unexpected error is Drove's 500 envelope.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from airflow_provider_drove.drove.states import ACTIVE_INSTANCE_STATES, InstanceState
from airflow_provider_drove.testing import auth, validation
from airflow_provider_drove.testing.faults import FaultMiddleware
from airflow_provider_drove.testing.validation import DroveWireError

if TYPE_CHECKING:
    from airflow_provider_drove.testing.cluster import Cluster
    from airflow_provider_drove.testing.runtime import EmulatorRuntime

log = logging.getLogger(__name__)

NOT_LEADER = "This node is not the leader controller"
MAX_PAGE = 2147483646
_INSTANCE_STATES = {state.value for state in InstanceState}
_ACTIVE_STATES = sorted(state.value for state in ACTIVE_INSTANCE_STATES)


# =================================================================== responses
def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")).encode(), status_code=status, media_type="application/json")


def ok(data: Any = None) -> Response:
    """``{"status":"SUCCESS","data":…,"message":"success"}``, ``data`` omitted when None (§3)."""
    if data is None:
        return _json({"status": "SUCCESS", "message": "success"})
    return _json({"status": "SUCCESS", "data": data, "message": "success"})


def failed(message: str, status: int = 200, data: Any = None) -> Response:
    """A FAILED envelope: 200 for lookup misses, 400 for rejections (§3.1)."""
    body: dict[str, Any] = {"status": "FAILED", "message": message}
    if data is not None:
        body = {"status": "FAILED", "data": data, "message": message}
    return _json(body, status)


def command_failure(errors: list[str]) -> Response:
    """400 "Command validation failure" with ``data.validationErrors`` (§3.1)."""
    return failed("Command validation failure", 400, {"validationErrors": errors})


def server_error(failure: str) -> Response:
    """Drove's catch-all 500 envelope (§3.1)."""
    return failed("Unexpected Server error", 500, {"failure": failure})


def wire_error(error: DroveWireError) -> Response:
    """The answer for a request the drove/ checks refused."""
    return _json(error.to_envelope(), error.status_code)


class _Answer(Exception):
    """Stop handling and send this response (a 404 of a bad query param, a 415, ...)."""

    def __init__(self, response: Response) -> None:
        self.response = response
        super().__init__(response.status_code)


def _not_found() -> Response:
    return Response(b"", status_code=404)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _Answer(_not_found()) from None  # JAX-RS: an unconvertible query param is a 404 (§2)
    if not low <= value <= high:
        bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
        raise _Answer(command_failure([f"{name} must be {bound}"]))
    return value


# =================================================================== app
Handler = Callable[[Request, bytes], Response]


class ControllerApi:
    """The API of controller ``index`` of an emulator.

    :param runtime: the emulator runtime (cluster, users, faults, control).
    :param index: which controller this is.
    """

    def __init__(self, runtime: EmulatorRuntime, index: int) -> None:
        self.runtime = runtime
        self.index = index

    @property
    def cluster(self) -> Cluster:
        """The shared cluster state."""
        return self.runtime.cluster

    # ------------------------------------------------------------- gate
    def _endpoint(self, roles: frozenset[str], handler: Handler, *, body: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                role = self.runtime.users.role_for(request.headers.get("authorization"))
                if role is None:
                    return Response(
                        auth.UNAUTHORIZED_BODY,
                        status_code=401,
                        media_type="text/plain",
                        headers={"WWW-Authenticate": auth.WWW_AUTHENTICATE},
                    )
                if role not in roles:
                    return Response(b"", status_code=403)
                if self.cluster.leader != self.index:
                    return failed(NOT_LEADER, 400)
                raw = b""
                if body:
                    raw = await request.body()
                    content_type = request.headers.get("content-type", "")
                    if raw.strip() and "json" not in content_type.lower():
                        return Response(b"", status_code=415)  # @Consumes(application/json) (§2)
                with self.cluster.lock:
                    self.cluster.tick()
                    return handler(request, raw)
            except _Answer as answer:
                return answer.response
            except DroveWireError as error:
                return wire_error(error)
            except Exception as error:  # never a traceback on the wire (issue 2, "Bad input")
                log.exception("emulator: unexpected error on %s %s", request.method, request.url.path)
                return server_error(f"{type(error).__name__}: {error}")

        return endpoint

    def routes(self) -> list[BaseRoute]:
        """Every ``/apis/v1`` route of §6."""
        v1 = "/apis/v1"
        e = self._endpoint
        rw, any_, maint, logs = auth.READ_WRITE, auth.ANY, auth.MAINTENANCE, auth.LOG_READERS
        routes = [
            Route(f"{v1}/ping", e(any_, lambda r, b: ok("pong")), methods=["GET"]),
            # applications (§6.1)
            Route(f"{v1}/applications/operations", e(rw, self.app_operation, body=True), methods=["POST"]),
            Route(f"{v1}/operations", e(rw, self.app_operation, body=True), methods=["POST"]),
            Route(f"{v1}/applications/operations/{{appId}}/cancel", e(rw, self.cancel, body=True), methods=["POST"]),
            Route(f"{v1}/operations/{{appId}}/cancel", e(rw, self.cancel, body=True), methods=["POST"]),
            Route(f"{v1}/applications/validate/spec", e(any_, self.validate_app_spec, body=True), methods=["POST"]),
            Route(f"{v1}/applications", e(any_, self.list_apps), methods=["GET"]),
            Route(f"{v1}/applications/{{appId}}", e(any_, self.app_info), methods=["GET"]),
            Route(f"{v1}/applications/{{appId}}/spec", e(any_, self.app_spec), methods=["GET"]),
            Route(f"{v1}/applications/{{appId}}/instances", e(any_, self.instances), methods=["GET"]),
            Route(f"{v1}/applications/{{appId}}/instances/old", e(any_, self.old_instances), methods=["GET"]),
            Route(f"{v1}/applications/{{appId}}/instances/{{instanceId}}", e(any_, self.instance), methods=["GET"]),
            # endpoints (§6.5)
            Route(f"{v1}/endpoints", e(any_, self.endpoints), methods=["GET"]),
            Route(f"{v1}/endpoints/app/{{appName}}", e(any_, self.endpoints), methods=["GET"]),
            # tasks (§6.2)
            Route(f"{v1}/tasks/operations", e(rw, self.task_operation, body=True), methods=["POST"]),
            Route(f"{v1}/tasks/validate/spec", e(any_, self.validate_task_spec, body=True), methods=["POST"]),
            Route(f"{v1}/tasks", e(any_, self.list_tasks), methods=["GET"]),
            Route(f"{v1}/tasks/{{app}}/instances/{{taskId}}", e(any_, self.task_info), methods=["GET"]),
            Route(f"{v1}/tasks/{{app}}/instances/{{taskId}}", e(any_, self.delete_task), methods=["DELETE"]),
            # cluster (§6.4)
            Route(f"{v1}/cluster", e(any_, self.cluster_summary), methods=["GET"]),
            Route(f"{v1}/cluster/executors", e(any_, self.executors), methods=["GET"]),
            Route(f"{v1}/cluster/executors/{{executorId}}", e(any_, self.executor), methods=["GET"]),
            Route(f"{v1}/cluster/events/latest", e(any_, self.events_latest), methods=["GET"]),
            Route(f"{v1}/cluster/events/summary", e(any_, self.events_summary), methods=["GET"]),
            Route(f"{v1}/cluster/events", e(any_, self.events_deprecated), methods=["GET"]),
            Route(f"{v1}/cluster/maintenance/set", e(maint, self.maintenance(True), body=True), methods=["POST"]),
            Route(f"{v1}/cluster/maintenance/unset", e(maint, self.maintenance(False), body=True), methods=["POST"]),
        ]
        # log files (§6.6)
        for kind, owner, item in (("applications", "appId", "instanceId"), ("tasks", "app", "taskId")):
            base = f"{v1}/logfiles/{kind}/{{{owner}}}/{{{item}}}"
            routes += [
                Route(f"{base}/list", e(logs, self.log_list(kind)), methods=["GET"]),
                Route(f"{base}/read/{{file}}", e(logs, self.log_read(kind)), methods=["GET"]),
                Route(f"{base}/download/{{file}}", e(logs, self.log_download(kind)), methods=["GET"]),
            ]
        return routes

    def _maintenance_guard(self) -> None:
        if self.cluster.in_maintenance_window():
            raise _Answer(command_failure(["Cluster is in maintenance mode"]))

    # ------------------------------------------------------------- applications
    def app_operation(self, request: Request, raw: bytes) -> Response:
        """POST /applications/operations (and /operations): validate, maintenance check, submit (§6.1, §7)."""
        op = validation.app_operation(validation.decode_body(raw))
        self._maintenance_guard()
        errors, app_id = self.cluster.apps.submit(op)
        if errors:
            return command_failure(errors)
        return ok({"appId": app_id})

    def cancel(self, request: Request, raw: bytes) -> Response:
        """POST .../operations/{appId}/cancel: 200, or 400 when nothing can be cancelled (§7.6)."""
        if self.cluster.apps.cancel(request.path_params["appId"]):
            return ok()
        return failed("Current operation could not be cancelled", 400)

    def validate_app_spec(self, request: Request, raw: bytes) -> Response:
        """POST /applications/validate/spec: ``{"valid": true}`` or the validation failure (§6.1)."""
        validation.application_spec(validation.decode_body(raw))
        self._maintenance_guard()
        return ok({"valid": True})

    def list_apps(self, request: Request, raw: bytes) -> Response:
        """GET /applications?from=&size=: AppSummary objects keyed by app ID (§6.1)."""
        start = _int_param(request, "from", 0, 0, MAX_PAGE)
        size = _int_param(request, "size", MAX_PAGE, 0, MAX_PAGE)
        apps = list(self.cluster.apps.apps.values())[start : start + size]
        return ok({app.app_id: app.summary() for app in apps})

    def app_info(self, request: Request, raw: bytes) -> Response:
        """GET /applications/{appId}: AppSummary, or 200 FAILED "App X not found"."""
        app_id = request.path_params["appId"]
        app = self.cluster.apps.apps.get(app_id)
        return ok(app.summary()) if app is not None else failed(f"App {app_id} not found")

    def app_spec(self, request: Request, raw: bytes) -> Response:
        """GET /applications/{appId}/spec: the spec as Drove echoes it (canonical durations, masked secrets)."""
        app_id = request.path_params["appId"]
        app = self.cluster.apps.apps.get(app_id)
        return ok(validation.echo_spec(app.spec)) if app is not None else failed(f"App {app_id} not found")

    def instances(self, request: Request, raw: bytes) -> Response:
        """GET /applications/{appId}/instances?state=: active, non-stale instances (§6.1)."""
        states = request.query_params.getlist("state") or _ACTIVE_STATES
        if any(state not in _INSTANCE_STATES for state in states):
            raise _Answer(_not_found())  # JAX-RS enum param conversion failure (§2)
        app = self.cluster.apps.apps.get(request.path_params["appId"])
        if app is None:
            return ok([])
        now = self.cluster.sim.now()
        wanted = set(states)
        return ok([inst.wire(now) for inst in app.active() if inst.state.value in wanted])

    def old_instances(self, request: Request, raw: bytes) -> Response:
        """GET /applications/{appId}/instances/old?start=&size=: finished instances, newest first."""
        start = _int_param(request, "start", 0, 0, MAX_PAGE)
        size = _int_param(request, "size", MAX_PAGE, 0, MAX_PAGE)
        app = self.cluster.apps.apps.get(request.path_params["appId"])
        if app is None:
            return ok([])
        now = self.cluster.sim.now()
        old = sorted((i for i in app.instances.values() if not i.active), key=lambda i: i.changed, reverse=True)
        return ok([inst.wire(now) for inst in old[start : start + size]])

    def instance(self, request: Request, raw: bytes) -> Response:
        """GET /applications/{appId}/instances/{instanceId}: any state, or 200 FAILED."""
        app_id, instance_id = request.path_params["appId"], request.path_params["instanceId"]
        app = self.cluster.apps.apps.get(app_id)
        inst = app.instances.get(instance_id) if app is not None else None
        if inst is None:
            return failed(f"No such application instance {app_id}/{instance_id}")
        return ok(inst.wire(self.cluster.sim.now()))

    def endpoints(self, request: Request, raw: bytes) -> Response:
        """GET /endpoints?app= and /endpoints/app/{appName} (§6.5)."""
        names = request.query_params.getlist("app")
        if "appName" in request.path_params:
            names = [request.path_params["appName"]]
        return ok(self.cluster.endpoints(names or None))

    # ------------------------------------------------------------- tasks
    def task_operation(self, request: Request, raw: bytes) -> Response:
        """POST /tasks/operations: CREATE or KILL (§8)."""
        op = validation.task_operation(validation.decode_body(raw))
        self._maintenance_guard()
        if op["type"] == "CREATE":
            errors, drove_id = self.cluster.tasks.create(op["spec"])
            return command_failure(errors) if errors else ok({"taskId": drove_id})
        errors = self.cluster.tasks.kill(op["sourceAppName"], op["taskId"])
        return command_failure(errors) if errors else ok({"taskId": op["taskId"]})

    def validate_task_spec(self, request: Request, raw: bytes) -> Response:
        """POST /tasks/validate/spec: spec and capacity checks; no ``data`` on success (§6.2)."""
        spec = validation.task_spec(validation.decode_body(raw))
        self._maintenance_guard()
        errors = self.cluster.tasks.check(spec)
        return command_failure(errors) if errors else ok()

    def list_tasks(self, request: Request, raw: bytes) -> Response:
        """GET /tasks: tasks with a live runner (§6.2)."""
        now = self.cluster.sim.now()
        return ok([task.wire(now) for task in self.cluster.tasks.listed()])

    def task_info(self, request: Request, raw: bytes) -> Response:
        """GET /tasks/{app}/instances/{taskId}: TaskInfo, or "No such task instance" until reported."""
        app, task_id = request.path_params["app"], request.path_params["taskId"]
        task = self.cluster.tasks.get(app, task_id)
        if task is None:
            return failed(f"No such task instance {app}/{task_id}")
        return ok(task.wire(self.cluster.sim.now()))

    def delete_task(self, request: Request, raw: bytes) -> Response:
        """DELETE /tasks/{app}/instances/{taskId}: drop the record, always ``{"deleted": true}``."""
        self.cluster.tasks.delete(request.path_params["app"], request.path_params["taskId"])
        return ok({"deleted": True})

    # ------------------------------------------------------------- cluster
    def cluster_summary(self, request: Request, raw: bytes) -> Response:
        """GET /cluster: ClusterSummary, or the transient 200 FAILED while the cache is being filled (§6.4)."""
        if self.cluster.summary_unavailable > 0:
            self.cluster.summary_unavailable -= 1
            return failed("Could not fetch cluster summary")
        return ok(self.cluster.summary())

    def executors(self, request: Request, raw: bytes) -> Response:
        """GET /cluster/executors: ExecutorSummary list (§6.4)."""
        return ok([executor.summary() for executor in self.cluster.executors])

    def executor(self, request: Request, raw: bytes) -> Response:
        """GET /cluster/executors/{id}: ExecutorNodeData, or 200 FAILED."""
        executor_id = request.path_params["executorId"]
        details = self.cluster.executor_details(executor_id)
        return ok(details) if details is not None else failed(f"No executor found with id: {executor_id}")

    def _event_params(self, request: Request) -> tuple[int, int]:
        return (
            _int_param(request, "lastSyncTime", 0, 0, 2**63 - 1),
            _int_param(request, "size", 1024, 0, 2**31 - 1),
        )

    def events_latest(self, request: Request, raw: bytes) -> Response:
        """GET /cluster/events/latest?lastSyncTime=&size= (§12.1)."""
        last_sync, size = self._event_params(request)
        return ok(self.cluster.events.latest(last_sync, size))

    def events_summary(self, request: Request, raw: bytes) -> Response:
        """GET /cluster/events/summary?lastSyncTime= (§12.1)."""
        last_sync, _ = self._event_params(request)
        return ok(self.cluster.events.summary(last_sync))

    def events_deprecated(self, request: Request, raw: bytes) -> Response:
        """GET /cluster/events (deprecated): the events without the cursor."""
        last_sync, size = self._event_params(request)
        return ok(self.cluster.events.latest(last_sync, size)["events"])

    def maintenance(self, on: bool) -> Handler:
        """POST /cluster/maintenance/set|unset: ClusterStateData (§6.4)."""
        def handler(request: Request, raw: bytes) -> Response:
            return ok(self.cluster.set_maintenance(on))

        return handler

    # ------------------------------------------------------------- log files (§6.6)
    def _log_owner(self, kind: str, request: Request) -> Any:
        params = request.path_params
        if kind == "applications":
            app = self.cluster.apps.apps.get(params["appId"])
            return app.instances.get(params["instanceId"]) if app is not None else None
        return self.cluster.tasks.get(params["app"], params["taskId"])

    def log_list(self, kind: str) -> Handler:
        """GET /logfiles/{kind}/.../list: ``{"files": [...]}`` or 204 (§6.6)."""
        def handler(request: Request, raw: bytes) -> Response:
            owner = self._log_owner(kind, request)
            if owner is None:
                return Response(b"", status_code=204)  # the controller cannot locate the executor
            return _json({"files": owner.logs.names()})

        return handler

    def _log_file(self, kind: str, request: Request) -> tuple[Any, str]:
        owner = self._log_owner(kind, request)
        if owner is None:
            raise _Answer(Response(b"", status_code=204))
        name = request.path_params["file"]
        if owner.logs.content(name) is None:
            raise _Answer(_json({"error": "Executor call returned: 404 Not Found"}, 500))
        return owner, name

    def log_read(self, kind: str) -> Handler:
        """GET /logfiles/{kind}/.../read/{file}?offset=&length=: ``{"data", "offset"}`` (§6.6)."""
        def handler(request: Request, raw: bytes) -> Response:
            owner, name = self._log_file(kind, request)
            offset = _int_param(request, "offset", -1, -1, 2**62)
            length = _int_param(request, "length", 32768, 0, 2**31 - 1)
            return _json(owner.logs.read(name, offset, length))

        return handler

    def log_download(self, kind: str) -> Handler:
        """GET /logfiles/{kind}/.../download/{file}: the raw file as an attachment (§6.6)."""
        def handler(request: Request, raw: bytes) -> Response:
            owner, name = self._log_file(kind, request)
            return Response(
                owner.logs.content(name),
                media_type="application/octet-stream",
                headers={"Content-Disposition": f"attachment; filename={name}"},
            )

        return handler


def build_app(runtime: EmulatorRuntime, index: int) -> Any:
    """The ASGI app of controller ``index``: Drove's API, the control API, UI pages, faults in front."""
    from airflow_provider_drove.testing.control_api import control_routes
    from airflow_provider_drove.testing.ui import ui_routes

    api = ControllerApi(runtime, index)
    app = Starlette(routes=api.routes() + control_routes(runtime, index) + ui_routes(runtime, index))
    return FaultMiddleware(app, runtime.faults)


__all__ = ["ControllerApi", "build_app", "command_failure", "failed", "ok", "server_error"]
