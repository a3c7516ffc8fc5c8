"""Drove controller emulator: a local, faithful Drove controller API for tests.

See ``testing/README.md`` for how to start and control it and for the failure scenarios.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_drove.testing.control import EmulatorControl
    from airflow_provider_drove.testing.emulator import DroveEmulator

__all__ = ["DroveEmulator", "EmulatorControl"]


def __getattr__(name: str) -> Any:
    # lazily: importing the package (the pytest plugin does) must stay cheap and never import Airflow
    if name == "DroveEmulator":
        from airflow_provider_drove.testing.emulator import DroveEmulator

        return DroveEmulator
    if name == "EmulatorControl":
        from airflow_provider_drove.testing.control import EmulatorControl

        return EmulatorControl
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
