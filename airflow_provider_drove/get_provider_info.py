"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    """Return the provider description Airflow's ProvidersManager expects.

    :return: the provider info dictionary.
    """
    from airflow_provider_drove import __version__

    return {
        "package-name": "airflow-provider-drove",
        "name": "Drove",
        "description": "Drive applications and tasks on Drove, PhonePe's container orchestrator.",
        "versions": [__version__],
    }
