"""GET /api/openapi.json: a valid OpenAPI 3.1 document equal to the app's routes, and the one
source of truth docs/api.md is checked against (its endpoints, and every recorded request and
response example validates against the document's schemas)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from api_support import AppClient
from openapi_spec_validator import validate

from web.app import create_app
from web.config import Config
from web.openapi import document

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHODS = ("get", "post", "put", "patch", "delete")


def _operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in doc["paths"].items() for method in item if method in METHODS}


async def _routes(config: Config) -> set[tuple[str, str]]:
    app = await create_app(config)
    prefix = config.path_prefix
    return {
        (r.method, r.resource.canonical[len(prefix):])
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None
        and r.resource.canonical[len(prefix):].startswith(("/api/", "/health", "/metrics"))
    }


async def test_the_document_is_served_valid_and_equal_to_the_routes(make_client: Any, config: Config) -> None:
    from dataclasses import replace

    for prefix in ("", "/hubbub"):
        client = await make_client(path_prefix=prefix)
        resp = await client.get(f"{prefix}/api/openapi.json")  # no credential needed
        assert resp.status == 200 and resp.content_type == "application/json"
        served = await resp.json()
        validate(served)  # OpenAPI 3.1, including every JSON Schema in it
        assert served == json.loads(json.dumps(document(prefix)))
        assert served["openapi"] == "3.1.0" and served["servers"] == [{"url": prefix or "/"}]
        routes = await _routes(replace(config, path_prefix=prefix))
        assert len(routes) >= 28
        assert _operations(served) == routes, {"undocumented": routes - _operations(served),
                                               "not served": _operations(served) - routes}


def test_every_operation_lists_its_errors_and_authenticated_ones_their_401() -> None:
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            statuses = set(op["responses"])
            if op.get("security") != []:
                assert "401" in statuses, (method, path)
            if "requestBody" in op:
                assert {"400", "408", "413", "415"} <= statuses, (method, path)


def _resolve(node: Any, doc: dict[str, Any]) -> Any:
    """`node` with every local $ref inlined (the components are acyclic)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, doc)
        return {k: _resolve(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, doc) for v in node]
    return node


def _examples() -> list[tuple[str, str, str, str]]:
    """(method, path template, request block, response block) for every recorded example pair."""
    text = DOCS.read_text(encoding="utf-8")
    out = []
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        heading = re.match(r"`(GET|POST|PUT|PATCH|DELETE) ([^`]+)`", section)
        assert heading, section[:40]
        blocks = re.findall(r"```http\n(.*?)```", section, re.S)
        requests = [b for b in blocks if not b.startswith("HTTP/")]
        responses = [b for b in blocks if b.startswith("HTTP/")]
        assert requests and len(requests) == len(responses), heading.group(0)
        out += [(heading.group(1), heading.group(2), q, r) for q, r in zip(requests, responses, strict=True)]
    return out


def _body(block: str) -> Any:
    _, _, body = block.partition("\n\n")
    return json.loads(body) if body.strip() else None


def test_every_example_in_docs_api_md_matches_the_document() -> None:
    doc = document()
    examples = _examples()
    assert {(m, p) for m, p, _, _ in examples} == _operations(doc)
    checked = 0
    for method, path, request, response in examples:
        op = doc["paths"][path][method.lower()]
        body = _body(request)
        status = response.split()[1]
        if body is not None and status < "400":  # error examples send what the API refuses, on purpose
            schema = _resolve(op["requestBody"]["content"]["application/json"]["schema"], doc)
            jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
        assert status in op["responses"], (method, path, status)
        content = _resolve(op["responses"][status], doc).get("content", {})
        if "application/json" in content:
            jsonschema.validate(_body(response), content["application/json"]["schema"],
                                cls=jsonschema.Draft202012Validator)
            checked += 1
    assert checked >= 30
