"""Helpers for API tests: register and log in users through the real endpoints."""

from __future__ import annotations

import pytest
from api_support import Api, AppClient


@pytest.fixture
def api(client: AppClient) -> Api:
    """Helpers bound to the default client."""
    return Api(client)
