"""Fixtures of the emulator's own tests (the ``drove_emulator`` fixture comes from the package's pytest plugin)."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import Api


@pytest.fixture
def api(drove_emulator: Any) -> Api:
    """A client of the emulator's leader."""
    return Api(drove_emulator.url)
