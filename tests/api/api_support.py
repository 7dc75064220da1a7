"""Helpers of the API tests: users and rooms through the real endpoints, the JSON error shape."""

from __future__ import annotations

from typing import Any

from httpapi import PASSWORD, SIGNUP_SECRET, AppClient, BaseApi, User  # noqa: F401 - re-exported to the tests


class Api(BaseApi):
    """API-test flavour: ``room`` answers the whole room object."""

    async def room(self, host: User, **fields: Any) -> dict[str, Any]:
        """Create a room as `host`."""
        return await self.create_room(host, **fields)


async def error_of(resp: Any) -> tuple[int, str]:
    """(status, error code) of an error response, checking the JSON error shape."""
    body = await resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return resp.status, body["error"]["code"]
