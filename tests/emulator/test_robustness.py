"""Bad input never crashes the emulator or corrupts its state (issue 2, "Bad input"; drove-api.md §3.1)."""

from __future__ import annotations

import json
import random

import requests

from .helpers import OP_SPEC, Api, app_spec, settled, task_spec, wait_for

POST_PATHS = [
    "/applications/operations",
    "/operations",
    "/applications/validate/spec",
    "/tasks/operations",
    "/tasks/validate/spec",
    "/applications/operations/TEST_APP-1/cancel",
    "/cluster/maintenance/unset",
]


def _nasty_values() -> list[object]:
    return [None, True, -1, 0, 2**63, 10**400, 1e308, -1e308, 1.5, "", "x" * 10000, "\u0000", [], {}, [None],
            {"type": None}, "SCALE", ["SCALE"], {"a": {"b": {"c": []}}}]  # fmt: skip


def _payloads(rng: random.Random) -> list[bytes]:
    base_ops = [
        {"type": "SCALE", "appId": "TEST_APP-1", "requiredInstances": 1, "opSpec": OP_SPEC},
        {"type": "CREATE", "spec": app_spec("OTHER"), "instances": 0, "opSpec": OP_SPEC},
        {"type": "STOP_INSTANCES", "appId": "TEST_APP-1", "instanceIds": ["AI-1"], "opSpec": OP_SPEC},
        {"type": "CREATE", "spec": task_spec(), "opSpec": OP_SPEC},
        {"type": "KILL", "sourceAppName": "TEST_APP", "taskId": "T", "opSpec": OP_SPEC},
        app_spec(),
    ]
    bodies: list[bytes] = [b"", b"null", b"{", b"[]", b"\xff\xfe", b"{\"type\": \"SCALE\"", b"NaN", b"1e999999",
                           b"[" * 5000 + b"]" * 5000, b'{"type":"SCALE_INSTANCES"}', b'{"type":"scale"}']  # fmt: skip
    for _ in range(150):
        op = json.loads(json.dumps(rng.choice(base_ops)))
        target = op
        keys = list(target)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(keys)
            if isinstance(target.get(key), dict) and rng.random() < 0.5:
                inner = target[key]
                if inner:
                    inner[rng.choice(list(inner))] = rng.choice(_nasty_values())
            elif rng.random() < 0.2:
                target.pop(key, None)
            else:
                target[key] = rng.choice(_nasty_values())
        bodies.append(json.dumps(op).encode())
    return bodies


def test_fuzzed_bodies_get_drove_answers_and_state_survives(api: Api, drove_emulator) -> None:
    """Wrong types, unknown op types, huge numbers, missing and non-JSON bodies: Drove's own answers, no crash."""
    app_id = api.create(app_spec())
    api.scale(app_id, 1)
    wait_for(settled(api, app_id, "RUNNING", 1))
    before = api.app(app_id)
    rng = random.Random(20261204)
    answers = set()
    for body in _payloads(rng):
        for path in rng.sample(POST_PATHS, 3):
            response = api.session.post(api.url(path), data=body, headers={"Content-Type": "application/json"}, timeout=10)
            assert response.status_code in (200, 400, 500), (path, body[:200], response.status_code)
            assert "Traceback" not in response.text
            envelope = response.json()
            assert envelope["status"] in ("SUCCESS", "FAILED")
            if response.status_code == 500:
                assert envelope["message"] == "Unexpected Server error", (path, body[:300], envelope)
                assert "getPlacementPolicy()" in envelope["data"]["failure"], envelope  # Drove's own NPE (§1.11)
            elif response.status_code == 400:
                assert envelope["message"] in (
                    "JSON validation failure", "Command validation failure", "Current operation could not be cancelled",
                ), envelope  # fmt: skip
            answers.add(envelope.get("message"))
    assert {"JSON validation failure", "Command validation failure"} <= answers
    # the emulator is alive, consistent and still obeys
    assert api.get("/ping").json()["data"] == "pong"
    wait_for(lambda: api.app(app_id)["state"] in ("RUNNING", "MONITORING"))
    wait_for(lambda: all(a["state"] in ("RUNNING", "MONITORING") for a in api.get("/applications").json()["data"].values()))
    drove_emulator.control.advance(60)
    assert api.scale(app_id, 2).status_code == 200
    after = wait_for(settled(api, app_id, "RUNNING", 2))
    assert after["created"] == before["created"]
    summary = api.get("/cluster").json()["data"]
    assert summary["usedCores"] == sum(a["totalCPUs"] for a in api.get("/applications").json()["data"].values()) + sum(
        1 for _ in api.get("/tasks").json()["data"]
    )


def test_bad_query_and_path_values(api: Api) -> None:
    """Odd path and query values get Drove's answers (404 for unconvertible params, FAILED lookups)."""
    assert api.get("/applications/%00/instances/old", params={"start": "x"}).status_code == 404
    assert api.get("/applications/a b").json()["status"] == "FAILED"
    assert api.get("/logfiles/tasks/A/B/read/output.log", params={"offset": "zz"}).status_code in (204, 404)
    assert api.get("/applications", params={"size": str(10**30)}).status_code == 400
    assert requests.get(api.url("/ping"), headers={"Authorization": "\u00ff"}, timeout=5).status_code == 200
