"""Elasticsearch-shaped responses: hits, totals, ``_source`` filtering, explanations.

Everything returned is a plain dict of JSON types, as the official client's ``ObjectApiResponse``
body, so ``resp["hits"]["hits"][0]["_score"]`` reads the same against retrievo or a cluster.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import numpy as np

from retrievo.java_text import java_float_str
from retrievo.json_copy import copy_json
from retrievo.retrievers.search import SourceFilter, TrackTotalHits

_FLOAT_MIN_VALUE = np.float32(1.4e-45)


def es_float(value: float | np.floating) -> float:
    """A float32 score as the official client reads it from Elasticsearch's JSON.

    Elasticsearch prints a float32 with its shortest round-tripping digits (``6.9659295``); the client
    parses that text into a Python float. Returning the same double keeps ``resp["_score"] ==
    6.9659295`` true here as against a cluster, while ``np.float32(score)`` still gives the exact bits.
    """
    # numpy prints a float32 with its shortest round-tripping digits too (``str``, unlike
    # ``repr``, without the ``np.float32(...)`` wrapper); the Java spelling is not needed here.
    f = np.float32(value)
    if abs(f) == _FLOAT_MIN_VALUE:  # Java prints two digits for Float.MIN_VALUE ("1.4E-45")
        return float(java_float_str(f))
    return float(str(f))


def es_floats(values: np.ndarray) -> list[float]:
    """:func:`es_float` of every value (one array walk: numpy's float32 scalars print their shortest digits)."""
    out = []
    for v in values.astype(np.float32, copy=False):
        text = str(v)
        out.append(es_float(v) if text in _MIN_VALUE_TEXTS else float(text))
    return out


#: How numpy prints ±Float.MIN_VALUE (Java prints two digits there: ``1.4E-45``).
_MIN_VALUE_TEXTS = (str(_FLOAT_MIN_VALUE), str(-_FLOAT_MIN_VALUE))


def filter_source(source: dict[str, Any], spec: SourceFilter) -> dict[str, Any] | None:
    """Apply ``_source`` includes/excludes (wildcards on dotted paths), as Elasticsearch does."""
    if not spec.enabled:
        return None
    if not spec.includes and not spec.excludes:
        return copy_json(source)
    return _filter_obj(source, "", spec.includes, spec.excludes)


def _path_matches(path: str, patterns: tuple[str, ...], prefix_ok: bool) -> bool:
    for p in patterns:
        if fnmatch.fnmatchcase(path, p) or path.startswith(p + ".") or fnmatch.fnmatchcase(path, p + ".*"):
            return True
        if prefix_ok and (p.startswith(path + ".") or fnmatch.fnmatchcase(path, p.split(".")[0])):
            return True
    return False


def _filter_obj(obj: dict[str, Any], prefix: str, inc: tuple[str, ...], exc: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        path = f"{prefix}{key}"
        if exc and _path_matches(path, exc, prefix_ok=False):
            continue
        fully = not inc or _path_matches(path, inc, prefix_ok=False)
        if isinstance(value, dict):
            if fully and not exc:
                out[key] = copy_json(value)
            elif fully or _path_matches(path, inc, prefix_ok=True):
                sub = _filter_obj(value, path + ".", () if fully else inc, exc)
                if sub or fully:
                    out[key] = sub
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            if fully or _path_matches(path, inc, prefix_ok=True):
                items = [
                    (_filter_obj(v, path + ".", () if fully else inc, exc) if isinstance(v, dict) else v) for v in value
                ]
                items = [v for v in items if not (isinstance(v, dict) and not v)] if not fully else items
                if items:
                    out[key] = items
        elif fully:
            out[key] = copy_json(value)
    return out


def total_hits(total: int, track: TrackTotalHits) -> dict[str, Any] | None:
    if track is False:
        return None
    if track is True or total <= int(track):
        return {"value": total, "relation": "eq"}
    return {"value": int(track), "relation": "gte"}


def shards_header(total: int = 1) -> dict[str, int]:
    """A response's ``_shards``: every shard searched answered."""
    return {"total": total, "successful": total, "skipped": 0, "failed": 0}


def search_response(
    hits: list[dict[str, Any]],
    total: int,
    track: TrackTotalHits,
    took_ms: int,
    max_score: float | None,
    terminated_early: bool = False,
    profile: dict[str, Any] | None = None,
    shards: int = 1,
) -> dict[str, Any]:
    """The search response body; ``profile`` (``{"shards": [...]}``, see :mod:`retrievo.planner.profile`)
    follows ``hits`` as in Elasticsearch, and only when the search asked for it; ``shards``: how many
    shards the search covered."""
    body: dict[str, Any] = {"took": took_ms, "timed_out": False}
    if terminated_early:
        body["terminated_early"] = True
    body["_shards"] = shards_header(shards)
    hits_obj: dict[str, Any] = {}
    th = total_hits(total, track)
    if th is not None:
        hits_obj["total"] = th
    hits_obj["max_score"] = max_score
    hits_obj["hits"] = hits
    body["hits"] = hits_obj
    if profile is not None:
        body["profile"] = profile
    return body
