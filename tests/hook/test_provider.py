"""Provider registration: provider info, ProvidersManager, the CLI, and the connection test command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from airflow_provider_drove import get_provider_info as provider_info_module
from airflow_provider_drove.get_provider_info import get_provider_info
from airflow_provider_drove.hooks.drove import DroveHook


def _airflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_provider_info_matches_airflow_schema() -> None:
    import jsonschema
    from importlib.resources import files

    schema = json.loads(files("airflow").joinpath("provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    assert info["package-name"] == "airflow-provider-drove"
    (conn_type,) = info["connection-types"]
    assert conn_type["connection-type"] == "drove"
    assert conn_type["hook-class-name"] == "airflow_provider_drove.hooks.drove.DroveHook"
    assert conn_type["conn-fields"]["auth_header"]["schema"]["format"] == "password"
    assert set(conn_type["conn-fields"]) >= {"auth_header", "verify", "ca_bundle", "timeout", "max_retries"}


def test_provider_info_lists_only_modules_that_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provider_info_module, "_present", lambda module: "operators" in module)
    info = get_provider_info()
    assert [m for e in info["operators"] for m in e["python-modules"]] == list(provider_info_module.OPERATOR_MODULES)
    assert "sensors" not in info and "triggers" not in info and "extra-links" not in info
    monkeypatch.undo()
    assert not provider_info_module._present("airflow_provider_drove.no_such_module")


def test_provider_info_loads_without_importing_airflow() -> None:
    # Airflow calls it while initialising itself; importing Airflow from it would be circular.
    code = (
        "import sys; from airflow_provider_drove.get_provider_info import get_provider_info; "
        "get_provider_info(); print(sorted(m for m in sys.modules if m.split('.')[0] == 'airflow'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_providers_manager_knows_the_connection_type() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-drove" in manager.providers
    hook = manager.hooks["drove"]
    assert hook is not None and hook.hook_class_name.endswith("DroveHook")
    assert hook.connection_id_attribute_name == "drove_conn_id"
    widgets = manager.connection_form_widgets
    assert {f"extra__drove__{name}" for name in ("auth_header", "verify", "ca_bundle", "timeout")} <= set(widgets)
    assert manager.field_behaviours["drove"]["relabeling"]["host"] == "Controller URL(s)"


def test_legacy_ui_methods() -> None:
    behaviour = DroveHook.get_ui_field_behaviour()
    assert behaviour["hidden_fields"] == ["schema"]
    assert "host" in behaviour["placeholders"]
    try:
        widgets = DroveHook.get_connection_form_widgets()
    except ImportError:
        pytest.skip("flask_appbuilder/wtforms are not installed with this Airflow")
    assert {"auth_header", "verify", "ca_bundle", "timeout", "max_retries"} <= set(widgets)


def test_airflow_providers_list_shows_the_provider() -> None:
    result = _airflow("providers", "list", "--output", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    start = result.stdout.index("[{")  # log lines may come first
    providers = {p["package_name"]: p for p in json.loads(result.stdout[start:])}
    assert "airflow-provider-drove" in providers


@pytest.mark.drove_emulator(controllers=2)
def test_airflow_connections_test_command(drove_emulator: Any) -> None:
    env = {"AIRFLOW__CORE__TEST_CONNECTION": "Enabled"}
    good = _airflow(
        "connections", "test", "drove_cli", env={**env, "AIRFLOW_CONN_DROVE_CLI": json.dumps(drove_emulator.airflow_connection())}
    )
    assert "Connection success!" in good.stdout, good.stdout + good.stderr[-2000:]
    drove_emulator.control.stop_controller(0)
    drove_emulator.control.stop_controller(1)
    bad = _airflow(
        "connections", "test", "drove_cli", env={**env, "AIRFLOW_CONN_DROVE_CLI": json.dumps(drove_emulator.airflow_connection())}
    )
    assert "Connection failed!" in bad.stdout
    assert "No Drove leader answered" in bad.stdout and drove_emulator.urls[1] in bad.stdout


def test_connection_get_hook_builds_a_drove_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.models.connection import Connection

    monkeypatch.setenv("AIRFLOW_CONN_DROVE_GET_HOOK", json.dumps({"conn_type": "drove", "host": "http://ctl:10000"}))
    hook = Connection(conn_id="drove_get_hook", conn_type="drove", host="http://ctl:10000").get_hook()
    assert isinstance(hook, DroveHook) and hook.drove_conn_id == "drove_get_hook"


@pytest.mark.airflow3
def test_airflow3_connection_form_metadata() -> None:
    # What the Airflow 3 UI renders, built from the provider info without importing the hook.
    pytest.importorskip("airflow.api_fastapi")
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    (meta,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "drove"]
    assert meta.standard_fields.host.title == "Controller URL(s)"
    assert meta.standard_fields.url_schema.hidden is True
    extras = meta.extra_fields
    assert extras["auth_header"]["schema"]["format"] == "password"
    assert extras["verify"]["value"] is True
    assert extras["timeout"]["schema"]["title"] == "Request timeout (seconds)"
