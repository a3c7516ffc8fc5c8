"""The Drove connection read into settings: every field, the URI and JSON forms, and bad input."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_drove.exceptions import DroveInputError
from airflow_provider_drove.hooks.connection import parse_connection, parse_hosts, settings_from_airflow


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("http://ctl:10000", None, ("http://ctl:10000",)),
        ("ctl:10000", None, ("http://ctl:10000",)),
        ("ctl", 10000, ("http://ctl:10000",)),
        ("ctl", None, ("http://ctl",)),
        ("HTTPS://Ctl.Example.com", None, ("https://ctl.example.com",)),
        ("https://ctl:443/", 10000, ("https://ctl:443",)),
        (" http://a:1 , http://b:2 ", None, ("http://a:1", "http://b:2")),
        ("a,b:2,https://c", 9000, ("http://a:9000", "http://b:2", "https://c:9000")),
        ("http://a:1,http://a:1", None, ("http://a:1",)),
        ("https://gw.example.com/drove/", None, ("https://gw.example.com/drove",)),
        ("http://ctl:10000/apis/v1", None, ("http://ctl:10000",)),
        ("http://[::1]:10000", None, ("http://[::1]:10000",)),
    ],
)
def test_hosts_are_normalised(host: str, port: int | None, expected: tuple[str, ...]) -> None:
    assert parse_hosts(host, default_port=port) == expected


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        (None, "no Drove controller"),
        ("   ", "no Drove controller"),
        ("http://a:1,,http://b:2", "controller #2 is empty"),
        ("http://a:1,", "controller #2 is empty"),
        ("ftp://ctl:21", "scheme 'ftp'"),
        ("ws://ctl", "scheme 'ws'"),
        ("http://ctl:99999", "invalid port"),
        ("http://ctl:port", "invalid port"),
        ("http://ctl:0", "port 0"),
        ("http://:10000", "no valid host name"),
        ("http://ctl:1?x=1", "query or fragment"),
    ],
)
def test_bad_host_lists(host: str | None, problem: str) -> None:
    with pytest.raises(DroveInputError) as info:
        parse_hosts(host)
    assert info.value.field == "host"
    assert problem in info.value.problem


def test_credentials_in_a_host_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(DroveInputError) as info:
        parse_hosts("http://admin:hunter2-secret@ctl:10000")
    assert "login and password" in str(info.value)
    assert "hunter2-secret" not in str(info.value)


def test_defaults() -> None:
    settings = parse_connection("c", host="ctl")
    assert settings.controllers == ("http://ctl",)
    assert settings.credentials.kind == "none" and settings.credentials.headers() == {}
    assert (settings.verify, settings.timeout, settings.connect_timeout) == (True, 30.0, 10.0)
    assert (settings.max_retries, settings.retry_min_wait, settings.retry_max_wait) == (3, 0.5, 10.0)


def test_basic_auth_and_secrets_hidden_from_repr() -> None:
    settings = parse_connection("c", host="ctl", login="admin", password="s3cret-pass")
    token = base64.b64encode(b"admin:s3cret-pass").decode()
    assert settings.credentials.headers() == {"Authorization": f"Basic {token}"}
    assert set(settings.credentials.secrets) == {"s3cret-pass", token}
    assert "s3cret-pass" not in repr(settings) and token not in repr(settings)
    assert "kind='basic'" in repr(settings)


def test_raw_header_is_sent_verbatim() -> None:
    settings = parse_connection("c", host="ctl", extras={"auth_header": "O-Bearer tok-123456"})
    assert settings.credentials.headers() == {"Authorization": "O-Bearer tok-123456"}
    assert settings.credentials.secrets == ("O-Bearer tok-123456",)
    assert "tok-123456" not in repr(settings)


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"login": "admin", "extras": {"auth_header": "Bearer x"}}, "auth_header", "not both"),
        ({"password": "orphan"}, "login", "without a login"),
        ({"port": "http"}, "port", "not a number"),
        ({"port": 70000}, "port", "out of range"),
        ({"extras": {"timeout": -1}}, "timeout", "greater than 0"),
        ({"extras": {"timeout": 0}}, "timeout", "greater than 0"),
        ({"extras": {"timeout": "soon"}}, "timeout", "not a number"),
        ({"extras": {"timeout": "nan"}}, "timeout", "invalid"),
        ({"extras": {"connect_timeout": -5}}, "connect_timeout", "greater than 0"),
        ({"extras": {"max_retries": -1}}, "max_retries", "out of range"),
        ({"extras": {"max_retries": 500}}, "max_retries", "0-20"),
        ({"extras": {"max_retries": "many"}}, "max_retries", "whole number"),
        ({"extras": {"max_retries": True}}, "max_retries", "out of range"),
        ({"extras": {"retry_min_wait": -0.1}}, "retry_min_wait", "0 or more"),
        ({"extras": {"retry_min_wait": 5, "retry_max_wait": 1}}, "retry_max_wait", "below retry_min_wait"),
        ({"extras": {"verify": "maybe"}}, "verify", "true or false"),
        ({"extras": {"ca_bundle": "/no/such/ca.pem"}}, "ca_bundle", "not a readable file"),
    ],
)
def test_bad_fields_name_the_field(fields: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(DroveInputError) as info:
        parse_connection("c", host=fields.pop("host", "ctl"), **fields)
    assert info.value.field == field
    assert problem in info.value.problem


def test_ca_bundle_with_verify_off_is_contradictory(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    assert parse_connection("c", host="ctl", extras={"ca_bundle": str(bundle)}).verify == str(bundle)
    with pytest.raises(DroveInputError, match="ca_bundle"):
        parse_connection("c", host="ctl", extras={"ca_bundle": str(bundle), "verify": False})


def test_string_extras_from_uris_and_old_forms_are_converted() -> None:
    extras = {
        "extra__drove__timeout": "12.5",
        "max_retries": "5",
        "verify": "False",
        "extra__drove__retry_min_wait": "0.1",
        "retry_max_wait": "",
        "connect_timeout": 60,
        "extra__drove__auth_header": "",
    }
    settings = parse_connection("c", host="ctl", extras=extras)
    assert (settings.timeout, settings.max_retries, settings.verify) == (12.5, 5, False)
    assert settings.retry_min_wait == 0.1 and settings.retry_max_wait == 10.0
    # The connect timeout never exceeds the read timeout.
    assert settings.connect_timeout == 12.5
    assert settings.credentials.kind == "none"


def test_plain_key_wins_over_prefixed_and_unknown_keys_are_reported() -> None:
    settings = parse_connection("c", host="ctl", extras={"extra__drove__timeout": "5", "timeout": "7", "tiemout": 3})
    assert settings.timeout == 7.0
    assert settings.unknown_extras == ("tiemout",)


def test_uri_form(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.models.connection import Connection

    uri = (
        "drove://admin:p%40ss-word@http%3A%2F%2Fctl1%3A10000%2Chttps%3A%2F%2Fctl2%3A10443"
        "/?timeout=10&verify=false&max_retries=2"
    )
    settings = settings_from_airflow(Connection(conn_id="drove_uri", uri=uri))
    assert settings.controllers == ("http://ctl1:10000", "https://ctl2:10443")
    assert (settings.timeout, settings.verify, settings.max_retries) == (10.0, False, 2)
    assert settings.credentials.secrets[0] == "p@ss-word"

    single = settings_from_airflow(Connection(conn_id="one", uri="drove://admin:pw-12345@ctl.example.com:10000"))
    assert single.controllers == ("http://ctl.example.com:10000",)


def test_json_form_through_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_drove.hooks.drove import DroveHook

    conn = {
        "conn_type": "drove",
        "host": "http://ctl1:10000,http://ctl2:10000",
        "login": "admin",
        "password": "admin-pw-123",
        "extra": {"timeout": 20, "max_retries": 4, "verify": True},
    }
    monkeypatch.setenv("AIRFLOW_CONN_DROVE_JSON", json.dumps(conn))
    settings = DroveHook("drove_json").settings
    assert settings.controllers == ("http://ctl1:10000", "http://ctl2:10000")
    assert (settings.timeout, settings.max_retries, settings.credentials.kind) == (20.0, 4, "basic")
