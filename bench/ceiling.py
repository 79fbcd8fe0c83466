"""The ceiling for bench/http.py: a bare WSGI app that answers with bytes fetched beforehand.

``gunicorn bench.ceiling:app`` with ``BENCH_CEILING_RESPONSES`` naming a JSON file written by
bench/http.py: a list of ``{"path", "status", "headers", "body"}`` (body in base64), each with
an optional ``"not_modified"``: the 304 the service sent to ``If-None-Match: <its ETag>``.
No routing beyond a dict lookup, no templates, no database: what gunicorn and the network cost
for the same responses, so the service's figures can be read as a share of it.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Route:
    answer: Answer
    etag: str | None
    not_modified: Answer | None


def _answer(recorded: dict[str, Any]) -> Answer:
    body = base64.b64decode(recorded["body"])
    headers = [(str(name), str(value)) for name, value in recorded["headers"]]
    if not str(recorded["status"]).startswith(("204", "304")):  # no body, so no length
        headers.append(("Content-Length", str(len(body))))
    return Answer(str(recorded["status"]), headers, body)


def load_routes(path: str) -> dict[str, Route]:
    with open(path, encoding="utf-8") as file:
        recorded = json.load(file)
    routes = {}
    for entry in recorded:
        answer = _answer(entry)
        etag = next((v for k, v in answer.headers if k.lower() == "etag"), None)
        not_modified = _answer(entry["not_modified"]) if entry.get("not_modified") else None
        routes[entry["path"]] = Route(answer, etag, not_modified)
    return routes


ROUTES = load_routes(os.environ["BENCH_CEILING_RESPONSES"])
NOT_FOUND = Answer("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")], b"")


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    route = ROUTES.get(environ.get("PATH_INFO", ""))
    if route is None:
        answer = NOT_FOUND
    elif route.not_modified and environ.get("HTTP_IF_NONE_MATCH") == route.etag:
        answer = route.not_modified
    else:
        answer = route.answer
    start_response(answer.status, answer.headers)
    return [answer.body]
