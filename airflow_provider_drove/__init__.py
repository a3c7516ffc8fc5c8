"""Apache Airflow provider for Drove, PhonePe's container orchestrator."""

from __future__ import annotations

__version__ = "0.1.0"
