"""Spec validation with the provider's own checks (issue 2, point 7; drove-api.md §10, §3.2, §2, §6.1)."""

from __future__ import annotations

from airflow_provider_drove.drove.specs import DroveWireError, check_application_spec

from .helpers import OP_SPEC, Api, app_spec


def _expected(spec: dict) -> dict:
    # one source of truth: the emulator must answer exactly what drove/specs.py says
    try:
        check_application_spec(spec, prefix="spec")
    except DroveWireError as error:
        return error.to_envelope()
    raise AssertionError("spec unexpectedly valid")


def test_s10_1_name_pattern_and_required_fields(api: Api) -> None:
    """§10.1: bad name pattern and missing exposedPorts are "Command validation failure"."""
    for spec in (app_spec("bad name!"), {k: v for k, v in app_spec().items() if k != "exposedPorts"}):
        response = api.op({"type": "CREATE", "spec": spec, "opSpec": OP_SPEC})
        assert response.status_code == 400
        assert response.json() == _expected(spec)
        assert response.json()["message"] == "Command validation failure"


def test_s3_2_bad_healthcheck_port_name(api: Api) -> None:
    """§3.2: "Invalid port name for health check"."""
    spec = app_spec()
    spec["healthcheck"]["mode"]["portName"] = "admin"
    body = api.op({"type": "CREATE", "spec": spec, "opSpec": OP_SPEC}).json()
    assert any("Invalid port name for health check: admin" in e for e in body["data"]["validationErrors"])


def test_s2_bad_duration_is_json_failure(api: Api) -> None:
    """§2: an invalid duration string is 400 "JSON validation failure"."""
    spec = app_spec()
    spec["healthcheck"]["timeout"] = "1.5s"
    response = api.op({"type": "CREATE", "spec": spec, "opSpec": OP_SPEC})
    assert response.status_code == 400 and response.json()["message"] == "JSON validation failure"


def test_s1_11_missing_placement_policy_is_500(api: Api) -> None:
    """§1.11/§3.1: no placementPolicy -> 500 "Unexpected Server error" envelope."""
    spec = {k: v for k, v in app_spec().items() if k != "placementPolicy"}
    response = api.op({"type": "CREATE", "spec": spec, "opSpec": OP_SPEC})
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "FAILED" and body["message"] == "Unexpected Server error"
    assert "getPlacementPolicy()" in body["data"]["failure"]


def test_s6_1_spec_echo_canonical_durations_and_blanked_configs(api: Api) -> None:
    """§6.1/§2: GET /spec echoes durations canonically and blanks inline config data and HTTP secrets."""
    spec = app_spec()
    spec["healthcheck"]["interval"] = "5m"
    spec["executable"]["dockerPullTimeout"] = "100s"
    spec["configs"] = [
        {"type": "INLINE", "localFilename": "/etc/app.conf", "data": "c2VjcmV0"},
        {"type": "CONTROLLER_HTTP_FETCH", "localFilename": "/etc/x",
         "http": {"protocol": "HTTPS", "hostname": "cfg.local", "port": 443, "path": "/x", "verb": "GET",
                  "successCodes": [200], "username": "u", "password": "p"}},
    ]  # fmt: skip
    app_id = api.create(spec)
    echoed = api.get(f"/applications/{app_id}/spec").json()["data"]
    assert echoed["healthcheck"]["interval"] == "5 minutes"
    assert echoed["executable"]["dockerPullTimeout"] == "100 seconds"
    assert echoed["configs"][0]["data"] == ""
    assert echoed["configs"][1]["http"]["password"] == "***" and echoed["configs"][1]["http"]["username"] == "***"
    assert api.get("/applications/NOPE-1/spec").json() == {"status": "FAILED", "message": "App NOPE-1 not found"}


def test_s6_1_validate_spec_endpoint(api: Api) -> None:
    """§6.1: POST /applications/validate/spec -> {"valid": true}, or the same failures as CREATE."""
    assert api.post("/applications/validate/spec", app_spec()).json() == {
        "status": "SUCCESS", "data": {"valid": True}, "message": "success"
    }  # fmt: skip
    bad = api.post("/applications/validate/spec", app_spec("bad name!"))
    assert bad.status_code == 400 and bad.json()["message"] == "Command validation failure"


def test_s7_1_op_spec_validation(api: Api) -> None:
    """§7.1: parallelism out of range and CONTINUE are refused; failureStrategy is case-insensitive."""
    app_id = api.create(app_spec())
    zero = api.scale(app_id, 1, {**OP_SPEC, "parallelism": 0})
    assert zero.status_code == 400 and zero.json()["message"] == "Command validation failure"
    assert api.scale(app_id, 1, {**OP_SPEC, "failureStrategy": "CONTINUE"}).json()["message"] == "JSON validation failure"
    assert api.scale(app_id, 0, {**OP_SPEC, "failureStrategy": "stop"}).status_code == 200
