"""The one database: aiosqlite connection, schema migrations and repositories."""
