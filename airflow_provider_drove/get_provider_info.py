"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point.

Kept cheap: no Airflow import, and the Airflow surface modules are listed only when they are
installed (found without importing them), so ``airflow providers list`` works on any checkout.
"""

from __future__ import annotations

import importlib.util
from typing import Any

INTEGRATION = "Drove"
HOOK_MODULE = "airflow_provider_drove.hooks.drove"
OPERATOR_MODULES = ("airflow_provider_drove.operators.application", "airflow_provider_drove.operators.task")
SENSOR_MODULES = ("airflow_provider_drove.sensors.application", "airflow_provider_drove.sensors.task")
TRIGGER_MODULES = ("airflow_provider_drove.triggers.application", "airflow_provider_drove.triggers.task")
EXTRA_LINKS = (
    "airflow_provider_drove.links.drove.DroveApplicationLink",
    "airflow_provider_drove.links.drove.DroveTaskLink",
)


def _present(module: str) -> bool:
    """Whether ``module`` can be imported, found without running it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _modules(modules: tuple[str, ...]) -> list[dict[str, Any]]:
    found = [m for m in modules if _present(m)]
    return [{"integration-name": INTEGRATION, "python-modules": found}] if found else []


def get_provider_info() -> dict[str, Any]:
    """Return the provider description Airflow's ProvidersManager expects.

    :return: the provider info dictionary.
    """
    from airflow_provider_drove import __version__
    from airflow_provider_drove.hooks.ui import CONN_FIELDS, UI_FIELD_BEHAVIOUR

    info: dict[str, Any] = {
        "package-name": "airflow-provider-drove",
        "name": "Drove",
        "description": "Drive applications and tasks on Drove, PhonePe's container orchestrator.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://github.com/PhonePe/drove-orchestrator",
                "tags": ["software"],
            }
        ],
        "connection-types": [
            {
                "connection-type": "drove",
                "hook-class-name": f"{HOOK_MODULE}.DroveHook",
                "hook-name": "Drove",
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
        "hooks": [{"integration-name": INTEGRATION, "python-modules": [HOOK_MODULE]}],
    }
    for key, modules in (("operators", OPERATOR_MODULES), ("sensors", SENSOR_MODULES), ("triggers", TRIGGER_MODULES)):
        entries = _modules(modules)
        if entries:
            info[key] = entries
    links = [link for link in EXTRA_LINKS if _present(link.rpartition(".")[0])]
    if links:
        info["extra-links"] = links
    return info
