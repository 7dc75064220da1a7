"""Identity: password hashing, tokens, signup secret, API keys, and access policies.

`AuthService.authenticate(credential) -> Principal` accepts an access token or an API key and
raises `auth.errors.Unauthenticated` otherwise; `auth.policy` holds `ensure_member`/`ensure_host`.
"""
