"""Identity: password hashing, tokens, signup secret, API keys, and access policies."""
