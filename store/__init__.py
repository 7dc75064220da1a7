"""The one database: aiosqlite connection, schema migrations and repositories.

Use `Store.open(path)`; repositories hang off it (`users`, `api_keys`, `rooms`, `chat`, `dms`,
`blocks`); every error they raise is in `store.errors`.
"""

from store.store import Store

__all__ = ["Store"]
