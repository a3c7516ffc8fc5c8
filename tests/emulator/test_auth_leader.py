"""Auth, roles and leadership (issue 2, point 8; drove-api.md §4, §5, §3.1)."""

from __future__ import annotations

import base64

import pytest
import requests

from .helpers import OP_SPEC, Api, app_spec

USERS = [
    ("root", "rootpw", "EXTERNAL_ROOT"),
    ("rw", "rwpw", "EXTERNAL_READ_WRITE"),
    ("ro", "ropw", "EXTERNAL_READ_ONLY"),
    ("maint", "maintpw", "DROVE_EXTERNAL_MAINTENANCE"),
]
pytestmark = pytest.mark.drove_emulator(controllers=2, users=USERS, speed=50)


def _client(drove_emulator, user: str | None, index: int = 0) -> Api:
    password = {name: pw for name, pw, _ in USERS}.get(user or "")
    return Api(drove_emulator.urls[index], auth=(user, password) if user else None)


def test_s4_unauthenticated_is_401_text_plain_with_challenge(drove_emulator) -> None:
    """§3.1/§4: 401 text/plain "Credentials are required..." with WWW-Authenticate: Basic realm="realm"."""
    for auth in (None, ("root", "wrong"), ("nobody", "x")):
        response = requests.get(f"{drove_emulator.url}/apis/v1/ping", auth=auth, timeout=5)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="realm"'
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == "Credentials are required to access this resource."


def test_s4_raw_authorization_header_carrying_basic_works(drove_emulator) -> None:
    """§4.1: a raw Authorization header with the same Basic credentials works; Bearer does not."""
    token = base64.b64encode(b"ro:ropw").decode()
    ok = requests.get(f"{drove_emulator.url}/apis/v1/ping", headers={"Authorization": f"Basic {token}"}, timeout=5)
    assert ok.json()["data"] == "pong"
    bearer = requests.get(f"{drove_emulator.url}/apis/v1/ping", headers={"Authorization": "Bearer abc"}, timeout=5)
    assert bearer.status_code == 401


def test_s4_3_role_matrix(drove_emulator) -> None:
    """§4.3: RW ops need READ_WRITE/ROOT; maintenance needs MAINTENANCE/ROOT; logs refuse MAINTENANCE; 403 has no envelope."""
    create = {"type": "CREATE", "spec": app_spec(), "opSpec": OP_SPEC}
    ro, rw, maint, root = (_client(drove_emulator, u) for u in ("ro", "rw", "maint", "root"))
    forbidden = ro.op(create)
    assert forbidden.status_code == 403 and forbidden.content == b""
    assert maint.op(create).status_code == 403
    assert rw.op(create).status_code == 200
    assert ro.get("/applications/TEST_APP-1").status_code == 200  # any principal may read
    assert maint.get("/applications").status_code == 200
    assert ro.post("/applications/validate/spec", app_spec()).status_code == 200  # validate is open to all
    assert rw.post("/cluster/maintenance/set").status_code == 403
    assert ro.post("/cluster/maintenance/set").status_code == 403
    assert maint.post("/cluster/maintenance/set").json()["data"]["state"] == "MAINTENANCE"
    assert root.post("/cluster/maintenance/unset").json()["data"]["state"] == "NORMAL"
    assert ro.delete("/tasks/TEST_APP/instances/T1").status_code == 200  # DELETE has no role check
    assert maint.get("/logfiles/tasks/TEST_APP/T1/list").status_code == 403
    assert ro.get("/logfiles/tasks/TEST_APP/T1/list").status_code == 204
    assert ro.post("/tasks/operations", {"type": "KILL", "sourceAppName": "A", "taskId": "T", "opSpec": OP_SPEC}).status_code == 403
    assert ro.post(f"/applications/operations/TEST_APP-1/cancel").status_code == 403


def test_s5_non_leader_refuses_every_api_call_after_auth(drove_emulator) -> None:
    """§5: a non-leader answers 400 "This node is not the leader controller" on every /apis/** call, after auth."""
    follower = _client(drove_emulator, "root", index=1)
    expected = {"status": "FAILED", "message": "This node is not the leader controller"}
    for response in (
        follower.get("/ping"),
        follower.get("/applications"),
        follower.op({"type": "CREATE", "spec": app_spec(), "opSpec": OP_SPEC}),
        follower.post("/cluster/maintenance/set"),
        follower.get("/logfiles/tasks/A/B/list"),
    ):
        assert (response.status_code, response.json()) == (400, expected)
    assert _client(drove_emulator, None, index=1).get("/ping").status_code == 401  # auth runs first
    assert _client(drove_emulator, "ro", index=1).post("/cluster/maintenance/set").status_code == 403
    assert follower.get("/nowhere").status_code == 404  # unmatched paths are not gated


def test_s5_leader_moves_and_stopped_controllers_refuse_connections(drove_emulator) -> None:
    """§5: moving the leader; stopping a controller closes its port; a stopped leader hands over."""
    first, second = (_client(drove_emulator, "root", i) for i in (0, 1))
    first.op({"type": "CREATE", "spec": app_spec(), "opSpec": OP_SPEC})
    created = first.app("TEST_APP-1")["created"]
    drove_emulator.control.set_leader(1)
    assert first.get("/ping").status_code == 400
    assert second.get("/ping").status_code == 200
    assert drove_emulator.url == drove_emulator.urls[1]
    assert second.app("TEST_APP-1")["created"] >= created  # shared cluster; re-created on failover (§11)
    events = second.get("/cluster/events").json()["data"]
    assert [e["type"] for e in events] == ["LEADERSHIP_ACQUIRED"]  # the store is wiped on failover (§12.4)
    summary = second.get("/cluster").json()["data"]
    assert summary["leader"] == drove_emulator.urls[1].removeprefix("http://")
    drove_emulator.control.stop_controller(1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{drove_emulator.urls[1]}/apis/v1/ping", timeout=5)
    assert first.get("/ping").status_code == 200  # leadership moved to the controller still up
    drove_emulator.control.start_controller(1)
    assert Api(drove_emulator.urls[1], auth=("root", "rootpw")).get("/ping").status_code == 400  # back as follower


def test_s5_no_leader_while_all_controllers_are_down(drove_emulator) -> None:
    """§5: with every controller stopped there is no leader; the first one started takes over."""
    drove_emulator.control.stop_controller(0)
    drove_emulator.control.stop_controller(1)
    assert drove_emulator.control.leader is None
    drove_emulator.control.start_controller(1)
    assert drove_emulator.control.leader == 1
    assert _client(drove_emulator, "root", 1).get("/ping").status_code == 200


@pytest.mark.drove_emulator(controllers=1, speed=50)
def test_s4_1_auth_disabled_everyone_is_root(drove_emulator) -> None:
    """§4.1: without users every caller is root: no 401, no 403."""
    anonymous = Api(drove_emulator.url)
    assert anonymous.post("/cluster/maintenance/set").status_code == 200
    assert anonymous.get("/ping", headers={"Authorization": "Basic garbage"}).status_code == 200
