"""schemathesis against a real `hubbub serve`, from the document the server itself serves at
GET /api/openapi.json: valid and invalid requests for every operation (half of them aimed at a
room, member and key that exist). Every answer must be one the document promises (status,
headers, JSON shape; errors are {"error": {code, message}}), never a 5xx; what the document
allows must not be refused as malformed, what it forbids must be refused; and the server must
still be up at the end."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from fuzzsize import FULL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance
from serverproc import Server

from web.openapi import document

EXAMPLES = 600 if FULL else 25  # per operation (hypothesis stops early where the space is small)
OPERATIONS = [(method.upper(), path) for path, item in document()["paths"].items()
              for method in item if method in ("get", "post", "put", "patch", "delete")]
STATS: collections.Counter[str] = collections.Counter()
CODES: collections.Counter[int] = collections.Counter()
SUCCEEDED: set[str] = set()  # operations that got past every check at least once


@pytest.fixture(scope="module")
def seeds(fuzz_server: Server) -> dict[str, str]:
    """Real ids and names, so that generated requests also reach the code behind the 404s."""
    token = fuzz_server.register("fuzzer")
    fuzz_server.register("buddy")
    room = fuzz_server.create_room(token, "fuzz room", members=("buddy",))
    key = fuzz_server.api("POST", "me/api-keys", {"name": "seed"}, token)["api_key"]["id"]
    return {"token": token, "room_id": room, "username": "buddy", "key_id": key}


@pytest.fixture(scope="module")
def api_schema(fuzz_server: Server) -> Any:
    config = SchemathesisConfig.from_dict({
        "base-url": fuzz_server.origin,
        # The fuzzing account's token goes on every request (the session); requests without it
        # are sent by the ignored_auth check, which expects 401.
        "generation": {"with-security-parameters": False},
        # Valid data may still be refused for reasons no schema can see: a wrong password, a room
        # the caller is not in, a rate limit. Refusing it as malformed (400) is the failure.
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "429"]}},
    })
    return schemathesis.openapi.from_url(f"{fuzz_server.base}api/openapi.json", config=config)


@pytest.fixture(scope="module")
def session(seeds: dict[str, str]) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {seeds['token']}"
        yield s


def _beyond_json_schema(case: Any) -> bool:
    """Whether valid-looking data may break one of the two rules JSON Schema cannot state:
    max_distance above ref_distance after merging into the room's settings, and a new password
    of at most 72 bytes in UTF-8 (the schema can only count characters)."""
    body = case.body if isinstance(case.body, dict) else {}
    acoustics = body.get("acoustics")
    if isinstance(acoustics, dict) and any(k in acoustics for k in ("ref_distance", "max_distance")):  # null too
        # (null returns one to its default, which may not fit the other as a previous change left it)
        return True
    password = body.get("new_password", body.get("password"))
    return isinstance(password, str) and len(password.encode("utf-8", "surrogatepass")) > 72


def _heal(fuzz_server: Server, seeds: dict[str, str], case: Any, status: int) -> None:
    """Put the seeded room and member back when a generated request removed them."""
    if case.path_parameters and case.path_parameters.get("room_id") == seeds["room_id"] and status in (200, 204) \
            and case.method in ("DELETE", "POST") and case.operation.path != "/api/rooms/{room_id}/messages":
        try:
            fuzz_server.api("GET", f"rooms/{seeds['room_id']}", token=seeds["token"])
        except Exception:
            seeds["room_id"] = fuzz_server.create_room(seeds["token"], "fuzz room", members=("buddy",))


@pytest.mark.timeout(900)  # shrinking a failure against a real server takes minutes
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_only_what_the_document_promises(
    method: str, path: str, api_schema: Any, session: requests.Session, seeds: dict[str, str], fuzz_server: Server,
) -> None:
    operation = api_schema[path][method]
    names = [p[1:-1] for p in path.split("/") if p.startswith("{")]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if names:
        real = st.builds(lambda: {n: seeds[n] for n in names})  # read at draw time: healing may change them
        strategies += [real.flatmap(lambda params, mode=mode: operation.as_strategy(mode, path_parameters=params))
                       for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def fuzz(case: Any) -> None:
        excluded = [positive_data_acceptance] if _beyond_json_schema(case) else []
        response = case.call_and_validate(session=session, excluded_checks=excluded)
        STATS["requests"] += 1
        STATS[f"{response.status_code // 100}xx"] += 1
        CODES[response.status_code] += 1
        if response.status_code < 300:
            SUCCEEDED.add(f"{case.method} {case.operation.path}")
        _heal(fuzz_server, seeds, case, response.status_code)

    fuzz()


def test_report_http_fuzz_figures(fuzz_server: Server) -> None:
    """Runs after the fuzz tests of this module: the figures, and the server still answering."""
    print(f"\nHTTP fuzz: {STATS['requests']} generated requests, by status {dict(sorted(CODES.items()))}")
    print(f"{len(SUCCEEDED)} of {len(OPERATIONS)} operations succeeded at least once; never: "
          f"{sorted({f'{m} {p}' for m, p in OPERATIONS} - SUCCEEDED)}")
    assert STATS["requests"] >= (10_000 if FULL else 300)
    # Five can never succeed for a fuzzer (they need the signup secret, a password or an API key's
    # secret: register, login, token, password change, account deletion) and adding a member needs
    # the name of a user outside the room; every other one should.
    assert len(SUCCEEDED) >= len(OPERATIONS) - (6 if FULL else 9)
    assert STATS["5xx"] == 0
    assert fuzz_server.health()["status"] == "ok"
