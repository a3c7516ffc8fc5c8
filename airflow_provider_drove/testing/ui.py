"""Minimal controller UI pages (§6.8), so extra links built by the provider land somewhere real.

Pages a person opens: ``/applications``, ``/applications/{appId}``,
``/applications/{appId}/instances/{instanceId}``, ``/tasks``, ``/tasks/{app}/{taskId}``, ``/cluster``.
They need the same credentials as the API; a non-leader answers them with a 303 to the leader
(§3.1). The HTML is deliberately bare: a title and the JSON Drove's API would return.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from airflow_provider_drove.testing import auth

if TYPE_CHECKING:
    from airflow_provider_drove.testing.runtime import EmulatorRuntime


def _page(title: str, data: Any) -> HTMLResponse:
    body = html.escape(json.dumps(data, indent=2, sort_keys=True))
    return HTMLResponse(f"<!doctype html><html><head><title>{html.escape(title)} - Drove</title></head>"
                        f"<body><h1>{html.escape(title)}</h1><pre>{body}</pre></body></html>")  # fmt: skip


def ui_routes(runtime: EmulatorRuntime, index: int) -> list[BaseRoute]:
    """The UI pages served by controller ``index``."""
    cluster = runtime.cluster

    def page(view: Callable[[Request], tuple[str, Any] | None]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if runtime.users.role_for(request.headers.get("authorization")) is None:
                return Response(auth.UNAUTHORIZED_BODY, 401, {"WWW-Authenticate": auth.WWW_AUTHENTICATE}, "text/plain")
            leader = cluster.leader
            if leader != index:
                if leader is None:
                    return Response(b"", status_code=503)
                target = runtime.url(leader) + request.url.path
                return RedirectResponse(target + (f"?{request.url.query}" if request.url.query else ""), 303)
            with cluster.lock:
                cluster.tick()
                found = view(request)
            if found is None:
                return HTMLResponse("<!doctype html><html><body><h1>Not found</h1></body></html>", 404)
            return _page(*found)

        return endpoint

    def applications(request: Request) -> tuple[str, Any]:
        return "Applications", {app_id: app.summary() for app_id, app in cluster.apps.apps.items()}

    def application(request: Request) -> tuple[str, Any] | None:
        app = cluster.apps.apps.get(request.path_params["appId"])
        return None if app is None else (f"Application {app.app_id}", app.summary())

    def instance(request: Request) -> tuple[str, Any] | None:
        app = cluster.apps.apps.get(request.path_params["appId"])
        inst = app.instances.get(request.path_params["instanceId"]) if app is not None else None
        return None if inst is None else (f"Instance {inst.instance_id}", inst.wire(cluster.sim.now()))

    def tasks(request: Request) -> tuple[str, Any]:
        return "Tasks", [task.wire(cluster.sim.now()) for task in cluster.tasks.listed()]

    def task(request: Request) -> tuple[str, Any] | None:
        found = cluster.tasks.get(request.path_params["app"], request.path_params["taskId"])
        return None if found is None else (f"Task {found.source_app_name}/{found.task_id}", found.wire(cluster.sim.now()))

    def summary(request: Request) -> tuple[str, Any]:
        return "Cluster", cluster.summary()

    views: list[tuple[str, Callable[[Request], tuple[str, Any] | None]]] = [
        ("/applications", applications),
        ("/applications/{appId}", application),
        ("/applications/{appId}/instances/{instanceId}", instance),
        ("/tasks", tasks),
        ("/tasks/{app}/{taskId}", task),
        ("/cluster", summary),
    ]
    return [Route(path, page(view), methods=["GET"]) for path, view in views]
