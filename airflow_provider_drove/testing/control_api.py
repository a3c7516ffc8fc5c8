"""The control interface over HTTP, under ``/_emulator/`` on every controller port.

No auth, no leadership check and no faults apply here, so a test can always steer the
emulator. Bodies are JSON objects; errors are ``400 {"error": "..."}``.

=======  ==========================================  ==============================================
Method   Path                                        Body / effect
=======  ==========================================  ==============================================
GET      /_emulator/status                           URLs, leader, clock, maintenance, apps, faults
POST     /_emulator/leader                           ``{"index": 1}``
POST     /_emulator/controllers/{i}/stop             stop controller i (its port refuses connections)
POST     /_emulator/controllers/{i}/start            start it again
POST     /_emulator/maintenance                      ``{"on": true}``
POST     /_emulator/advance                          ``{"seconds": 30}``
POST     /_emulator/speed                            ``{"speed": 20}``
POST     /_emulator/faults                           ``{"status": 500, "count": 3, "path": "/apis/v1/ping"}``
POST     /_emulator/latency                          ``{"seconds": 0.5, "count": null, "path": null}``
POST     /_emulator/drop                             ``{"count": 1, "path": null}``
POST     /_emulator/malformed                        ``{"count": 1, "path": null}``
DELETE   /_emulator/faults                           disarm every fault
POST     /_emulator/summary-unavailable              ``{"count": 1}``: GET /cluster answers "Could not fetch ..."
POST     /_emulator/reset                            fresh state
POST     /_emulator/apps/{appId}/fail                ``{"instanceId": "AI-..."}`` (optional): fail health
=======  ==========================================  ==============================================
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from airflow_provider_drove.testing.control import EmulatorControl

if TYPE_CHECKING:
    from airflow_provider_drove.testing.runtime import EmulatorRuntime

PREFIX = "/_emulator"


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json")


def control_routes(runtime: EmulatorRuntime, index: int) -> list[BaseRoute]:
    """The ``/_emulator/`` routes served by controller ``index``."""
    control = EmulatorControl(runtime)
    background: set[asyncio.Task[Any]] = set()

    def later(coro: Awaitable[None]) -> None:
        # stopping the controller that serves this request must not wait for this request
        task = asyncio.ensure_future(coro)
        background.add(task)
        task.add_done_callback(background.discard)

    def handler(action: Callable[[Request, dict[str, Any]], Any]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                raw = await request.body()
                body = json.loads(raw) if raw.strip() else {}
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                result = action(request, body)
                if asyncio.iscoroutine(result):
                    result = await result
            except (ValueError, TypeError, KeyError) as error:
                return _json({"error": str(error)}, 400)
            return _json(result if result is not None else {"ok": True})

        return endpoint

    def controller_index(request: Request) -> int:
        value = int(request.path_params["index"])
        control._check_index(value)
        return value

    def stop(request: Request, body: dict[str, Any]) -> dict[str, Any]:
        later(runtime.astop_controller(controller_index(request)))
        return {"ok": True, "stopping": request.path_params["index"]}

    async def start(request: Request, body: dict[str, Any]) -> None:
        await runtime.astart_controller(controller_index(request))

    def optional_int(value: Any) -> int | None:
        return None if value is None else int(value)

    actions: list[tuple[str, str, Callable[[Request, dict[str, Any]], Any]]] = [
        ("GET", "/status", lambda r, b: control.status()),
        ("POST", "/leader", lambda r, b: control.set_leader(int(b["index"]))),
        ("POST", "/controllers/{index}/stop", stop),
        ("POST", "/controllers/{index}/start", start),
        ("POST", "/maintenance", lambda r, b: control.set_maintenance(bool(b.get("on", True)))),
        ("POST", "/advance", lambda r, b: control.advance(float(b["seconds"]))),
        ("POST", "/speed", lambda r, b: control.set_speed(float(b["speed"]))),
        ("POST", "/faults", lambda r, b: control.inject_faults(int(b.get("status", 500)), int(b.get("count", 1)), b.get("path"))),  # noqa: E501
        ("DELETE", "/faults", lambda r, b: control.clear_faults()),
        ("POST", "/latency", lambda r, b: control.add_latency(float(b["seconds"]), optional_int(b.get("count")), b.get("path"))),  # noqa: E501
        ("POST", "/drop", lambda r, b: control.drop_connections(int(b.get("count", 1)), b.get("path"))),
        ("POST", "/malformed", lambda r, b: control.malformed_bodies(int(b.get("count", 1)), b.get("path"))),
        ("POST", "/summary-unavailable", lambda r, b: control.cluster_summary_unavailable(int(b.get("count", 1)))),
        ("POST", "/reset", lambda r, b: control.reset_async()),
        ("POST", "/apps/{appId}/fail", lambda r, b: {"instanceId": control.fail_instance(r.path_params["appId"], b.get("instanceId"))}),  # noqa: E501
    ]
    return [Route(PREFIX + path, handler(action), methods=[method]) for method, path, action in actions]
