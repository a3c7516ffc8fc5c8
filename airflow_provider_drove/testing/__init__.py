"""Drove controller emulator: a local, faithful Drove controller API for tests.

``python -m airflow_provider_drove.testing --port 7000 --controllers 2 --speed 10`` runs it from the
command line; :class:`DroveEmulator` runs it from Python (``with DroveEmulator() as drove:``); the
pytest plugin gives the ``drove_emulator`` and ``drove_connection`` fixtures. ``drove.control``
moves the leader, stops controllers, drives the clock and injects faults.

Failure scenarios are chosen from the spec alone: the image URL containing ``pull-fail``,
``start-fail``, ``never-ready``, ``unhealthy-after``, ``slow-start`` or ``lost-after`` (or ``env``
``DROVE_EMULATOR_SCENARIO`` naming them), and for tasks ``env`` ``DROVE_EMULATOR_EXIT_CODE`` and
``DROVE_EMULATOR_RUN_SECONDS``. The full reference (every knob, timing and control call) is
``README.md`` in this package.
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
