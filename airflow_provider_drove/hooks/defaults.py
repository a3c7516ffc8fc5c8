"""Defaults and limits of the Drove connection.

No imports on purpose: the provider info (read while Airflow itself is still initialising) uses
these numbers for the connection form.
"""

from __future__ import annotations

CONN_TYPE = "drove"
DEFAULT_CONN_ID = "drove_default"

DEFAULT_SCHEME = "http"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_MIN_WAIT = 0.5
DEFAULT_RETRY_MAX_WAIT = 10.0
# A request that keeps failing should give up well within a task's life; a typo of 300 retries
# would hammer a sick controller for hours.
MAX_RETRIES_LIMIT = 20
