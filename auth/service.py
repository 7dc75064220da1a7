"""Accounts and credentials: register, login, password change, API keys, and `authenticate`,
which both the REST middleware and the WebSocket layer use."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Protocol

from auth.errors import InvalidCredentials, SignupSecretInvalid, Unauthenticated
from auth.devicetokens import DeviceTokens
from auth.passwords import PasswordHasher, check_password, check_username
from auth.principal import Principal
from auth.ratelimit import RateLimiter
from auth.tokens import IssuedToken, TokenCodec
from store import Store
from store.errors import InvalidValue, UserNotFound
from store.models import ApiKey, User

API_KEY_PREFIX = "hbk_"
_API_KEY_RE = re.compile(r"hbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
MAX_KEY_NAME = 64
API_KEYS_PER_HOUR = 10


class RevocationHooks(Protocol):
    """What the service tells the live layer (web.events.LiveHooks implements it)."""

    async def fire_member_removed(self, room_id: str, user_id: str) -> None: ...

    async def fire_credentials_revoked(self, user_id: str) -> None: ...


def _hash_key_secret(secret: str) -> str:
    # API key secrets are 256 random bits, so a fast hash is as strong as bcrypt here.
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


class AuthService:
    """Identity operations; bcrypt runs on its own pool, rate limits per address and username."""

    def __init__(
        self,
        store: Store,
        hooks: RevocationHooks,
        *,
        signup_secret: str,
        jwt_secret: str,
        token_ttl: int,
        bcrypt_cost: int,
        bcrypt_threads: int = 2,
        bcrypt_queue: int = 16,
        rate_per_ip: int = 20,
        rate_per_username: int = 10,
        rate_window: float = 60.0,
        rate_limit_keys: int = 100_000,
        max_api_keys: int = 100,
    ) -> None:
        self._store = store
        self._hooks = hooks
        self._signup_secret = signup_secret.encode("utf-8")
        self._tokens = TokenCodec(jwt_secret, token_ttl)
        self.devices = DeviceTokens(jwt_secret)
        self.hasher = PasswordHasher(bcrypt_cost, bcrypt_threads, bcrypt_queue)
        self._by_ip = RateLimiter(rate_per_ip, rate_window, max_keys=rate_limit_keys)
        # Accounts (and known devices of an account): every check of a password is charged here.
        self._by_account = RateLimiter(rate_per_username, rate_window, max_keys=rate_limit_keys)
        self._max_api_keys = max_api_keys
        self._key_creations = RateLimiter(API_KEYS_PER_HOUR, 3600.0, max_keys=rate_limit_keys)

    def close(self) -> None:
        """Release the bcrypt threads."""
        self.hasher.close()

    def _rate_limit(self, client: str, account_key: str) -> None:
        # The address first: an address already refused charges nothing else, so it cannot fill
        # the account table with one key per username it tries.
        self._by_ip.charge(f"ip:{client}")
        self._by_account.charge(account_key)

    async def register(self, username: str, password: str, signup_secret: str, client: str) -> User:
        """Create an account if the signup secret matches (403 otherwise; nothing is created)."""
        self._rate_limit(client, f"user:{username.lower()}")
        if not hmac.compare_digest(signup_secret.encode("utf-8"), self._signup_secret):
            raise SignupSecretInvalid("wrong signup secret")
        check_username(username)
        check_password(password)
        password_hash = await self.hasher.hash(password)
        return await self._store.users.create(username, password_hash)

    async def login(
        self, username: str, password: str, client: str, device_token: str | None = None
    ) -> tuple[User, IssuedToken, str]:
        """A token for valid credentials, and a fresh device token for the client to keep;
        unknown user and wrong password look and take the same.

        Attempts are limited per address and per account; a client that presents a device token
        from an earlier login to this account is limited by that token instead of the account,
        so failures by strangers cannot lock its owner out (see auth/devicetokens.py).
        """
        self._by_ip.charge(f"ip:{client}")
        user = await self._store.users.find_by_username(username)
        device = self.devices.nonce(device_token, user.id) if user is not None else None
        self._by_account.charge(f"device:{device}" if device else f"user:{username.lower()}")
        if user is None:
            await self.hasher.verify_dummy(password)
            raise InvalidCredentials("wrong username or password")
        if not await self.hasher.verify(password, user.password_hash):
            raise InvalidCredentials("wrong username or password")
        return user, self._tokens.issue(user.id, user.token_version), self.devices.issue(user.id)

    async def _recheck_password(self, principal: Principal, password: str, client: str) -> User:
        """The account, if `password` is its password: charged like a login, so a token or API
        key gives no way around the limit on guessing the password."""
        self._rate_limit(client, f"user:{principal.username.lower()}")
        user = await self._store.users.get(principal.user_id)
        if not await self.hasher.verify(password, user.password_hash):
            raise InvalidCredentials("wrong password")
        return user

    async def change_password(self, principal: Principal, old: str, new: str, client: str) -> IssuedToken:
        """Needs the old password; every token issued before is invalid afterwards."""
        check_password(new)
        user = await self._recheck_password(principal, old, client)
        user = await self._store.users.set_password(user.id, await self.hasher.hash(new))
        await self._hooks.fire_credentials_revoked(user.id)
        return self._tokens.issue(user.id, user.token_version)

    async def delete_account(self, principal: Principal, password: str, client: str) -> None:
        """Delete the account after re-checking the password; rooms hand over or disappear."""
        user = await self._recheck_password(principal, password, client)
        room_ids = await self._store.users.delete(user.id)
        for room_id in room_ids:
            await self._hooks.fire_member_removed(room_id, user.id)
        await self._hooks.fire_credentials_revoked(user.id)

    async def create_api_key(self, principal: Principal, name: str) -> tuple[ApiKey, str]:
        """A new named key; the returned full key string is shown once and never stored. At most
        `API_KEYS_PER_HOUR` a user per hour and `max_api_keys` at once (one key runs many bots)."""
        if not name.strip() or len(name) > MAX_KEY_NAME:
            raise InvalidValue("name", f"name must be 1-{MAX_KEY_NAME} characters")
        self._key_creations.charge(principal.user_id)
        secret = secrets.token_urlsafe(32)
        key = await self._store.api_keys.create(principal.user_id, name, _hash_key_secret(secret), self._max_api_keys)
        return key, f"{API_KEY_PREFIX}{key.id}_{secret}"

    async def list_api_keys(self, principal: Principal) -> list[ApiKey]:
        """The user's keys without secrets."""
        return await self._store.api_keys.list(principal.user_id)

    async def revoke_api_key(self, principal: Principal, key_id: str) -> None:
        """Delete a key; the key and tokens exchanged for it stop working at once."""
        await self._store.api_keys.delete(principal.user_id, key_id)
        await self._hooks.fire_credentials_revoked(principal.user_id)

    async def exchange_api_key(self, api_key: str) -> tuple[User, IssuedToken]:
        """Trade an API key for an access token bound to that key."""
        principal = await self._authenticate_api_key(api_key)
        user = await self._store.users.get(principal.user_id)
        return user, self._tokens.issue(user.id, user.token_version, api_key_id=principal.api_key_id)

    async def _authenticate_api_key(self, credential: str) -> Principal:
        m = _API_KEY_RE.fullmatch(credential)
        if m is None:
            raise Unauthenticated("invalid API key")
        key = await self._store.api_keys.find(m.group(1))
        if key is None or not hmac.compare_digest(key.secret_hash, _hash_key_secret(m.group(2))):
            raise Unauthenticated("invalid API key")
        user = await self._store.users.get(key.user_id)
        await self._store.api_keys.touch(key)
        return Principal(user.id, user.username, key.id)

    async def authenticate(self, credential: str) -> Principal:
        """Who a bearer credential (access token or API key) belongs to; Unauthenticated otherwise."""
        if credential.startswith(API_KEY_PREFIX):
            return await self._authenticate_api_key(credential)
        claims = self._tokens.decode(credential)
        try:
            user = await self._store.users.get(claims.user_id)
        except UserNotFound:
            raise Unauthenticated("invalid or expired token") from None
        if claims.version != user.token_version:
            raise Unauthenticated("invalid or expired token")
        if claims.api_key_id is not None:
            key = await self._store.api_keys.find(claims.api_key_id)
            if key is None or key.user_id != user.id:
                raise Unauthenticated("invalid or expired token")
        return Principal(user.id, user.username, claims.api_key_id)
