"""Assertion helpers that mirror the assertions of Elasticsearch's YAML REST test runner.

The YAML suites (``rest-api-spec`` / ``yamlRestTest``) assert with a handful of verbs; each has a
Python counterpart here so that a ported case reads like its source:

* ``match: {path: value}``          → ``assert at(resp, path) == value``
* ``match: {path: "/regex/"}``      → :func:`assert_regex` (Java ``Pattern.COMMENTS`` + ``find()``)
* ``close_to: {path: {value, error}}`` → :func:`assert_close_to`
* ``length: {path: n}``             → ``assert len(at(resp, path)) == n``
* ``contains: {path: {_id: x}}``    → ``assert x in ids(resp)``
* ``catch: /regex/``                → :func:`assert_catch_regex` (matched against the ``error`` object)
* ``catch: bad_request``            → ``assert err.status_code == 400``

Paths use the YAML dotted syntax (``hits.hits.0._explanation.details.1.value``).
"""

from __future__ import annotations

import re
from typing import Any

from retrievo.errors import ApiError


def at(obj: Any, path: str) -> Any:
    """Follow a YAML-runner path (``a.b.0.c``): integer segments index lists."""
    for part in path.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)]
        else:
            obj = obj[part]
    return obj


def ids(resp: dict[str, Any]) -> list[str]:
    return [h["_id"] for h in resp["hits"]["hits"]]


def scores(resp: dict[str, Any]) -> list[float]:
    return [h["_score"] for h in resp["hits"]["hits"]]


def total(resp: dict[str, Any]) -> int:
    return resp["hits"]["total"]["value"]


def assert_close_to(actual: float, value: float, error: float) -> None:
    """``close_to``: Hamcrest ``closeTo(value, error)``, i.e. ``|actual - value| <= error``."""
    assert actual is not None and abs(actual - value) <= error, \
        f"expected {value} ± {error}, got {actual}"


def assert_regex(pattern: str, actual: Any) -> None:
    """``match`` with a ``/regex/`` value: ``Pattern.compile(re, COMMENTS).matcher(s).find()``."""
    text = str(actual)
    assert re.search(pattern, text, re.VERBOSE), f"{text!r} does not match /{pattern}/"


def java_string(value: Any) -> str:
    """What Java's ``Map.toString()`` prints for a parsed JSON value (``{k=v, k2=[a, b]}``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_string(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_catch_regex(err: ApiError, pattern: str) -> None:
    """``catch: /regex/``: status ≥ 400 and the regex is found in the ``error`` object's string form."""
    assert err.status_code >= 400, err.status_code
    assert "error" in err.body, err.body
    text = java_string(err.body["error"])
    assert re.search(pattern, text), f"error {text!r} does not match /{pattern}/"


def doc_value(hit: dict[str, Any], field: str) -> Any:
    """``hits.hits.N.fields.<field>.0``; falls back to ``_source`` while the ``fields`` option is missing.

    For the plain ``text``/``keyword``/``integer`` fields the YAML suites read, the ``fields`` API
    returns the ``_source`` value unchanged, so the fallback checks the same thing.
    """
    if "fields" in hit:
        return hit["fields"][field][0]
    value = hit["_source"][field]
    return value[0] if isinstance(value, list) else value
