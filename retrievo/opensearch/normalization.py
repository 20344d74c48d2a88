"""OpenSearch's ``normalization-processor``: its configuration, and what it does to a ``hybrid`` search.

The processor is a search pipeline's phase-results processor (neural-search's
``NormalizationProcessorFactory``, ``ScoreNormalizationFactory``, ``ScoreCombinationFactory``). The
search pipeline code calls :func:`parse_normalization_processor` when a pipeline is stored (OpenSearch
validates there, with the factory's messages) and :func:`apply_normalization` on each parsed request
searched through the pipeline: a request whose top-level query is ``hybrid`` becomes one whose retriever
is a :class:`~retrievo.retrievers.hybrid.HybridRetriever`; any other request is returned unchanged, as
OpenSearch's processor skips results that are not a hybrid query's.

Facts carried over from neural-search (the source read is the repository's main branch, 2026-08):

* defaults ``min_max`` + ``arithmetic_mean``; normalization ``min_max`` | ``l2`` | ``z_score`` (``rrf``
  is the ``score-ranker-processor``'s, refused here); combination ``arithmetic_mean`` |
  ``geometric_mean`` | ``harmonic_mean``; ``z_score`` combines only with ``arithmetic_mean``;
* ``weights``: a list, each in [0, 1], summing to 1 within 0.01; their count is checked against the
  sub-queries when a search runs;
* ``min_max`` takes ``lower_bounds``/``upper_bounds`` (one ``{mode, min_score|max_score}`` per sub-query,
  mode ``apply``|``clip``|``ignore``, scores in [-10000, 10000]); ``l2`` takes no parameters; ``z_score``
  ignores whatever parameters it is given (its factory entry drops them);
* a sub-query collects ``pagination_depth`` hits, else ``size``; ``from > 0`` needs ``pagination_depth``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retrievo import errors
from retrievo.errors import ApiError, api_error, bad_request, error_cause, illegal_argument, not_supported
from retrievo.java_text import java_float_str
from retrievo.retrievers.hybrid import (
    MAX_SUB_QUERIES,
    BoundMode,
    HybridQuery,
    HybridRetriever,
    HybridScoring,
    ScoreBound,
)
from retrievo.retrievers.queries import BoolQuery, Query
from retrievo.retrievers.search import SearchRequest
from retrievo.retrievers.standard import StandardRetriever

TYPE = "normalization-processor"

_NORMALIZATIONS: tuple[str, ...] = ("min_max", "l2", "z_score")
_COMBINATIONS: tuple[str, ...] = ("arithmetic_mean", "geometric_mean", "harmonic_mean")
#: Which combinations each normalization allows (``COMBINATION_TECHNIQUE_FOR_NORMALIZATION_METHODS``).
#: OpenSearch lists them from a ``Set.of``, whose order varies between JVM runs; ours is fixed.
_COMPATIBLE: dict[str, tuple[str, ...]] = {
    "min_max": _COMBINATIONS,
    "l2": _COMBINATIONS,
    "z_score": ("arithmetic_mean",),
}
#: ``ScoreBound.MIN_BOUND_SCORE``/``MAX_BOUND_SCORE``.
_BOUND_LIMIT = 10_000.0
#: Keys every search processor takes (``Pipeline.readProcessors`` reads them before the factory).
_COMMON_KEYS = ("tag", "description", "ignore_failure")


@dataclass(frozen=True)
class NormalizationSpec:
    """One configured ``normalization-processor``: what it computes, plus the keys every processor has.

    ``ignore_failure`` is stored and printed but changes nothing: neural-search's processor reports
    ``isIgnoreFailure() == false`` whatever the configuration says."""

    scoring: HybridScoring = field(default_factory=HybridScoring)
    tag: str | None = None
    description: str | None = None
    ignore_failure: bool = False

    def to_json(self) -> dict[str, Any]:
        """The processor's configuration as ``GET _search/pipeline`` would show it."""
        out: dict[str, Any] = {}
        if self.tag is not None:
            out["tag"] = self.tag
        if self.description is not None:
            out["description"] = self.description
        if self.ignore_failure:
            out["ignore_failure"] = True
        return {**out, **self.scoring.to_json()}


# ---------------------------------------------------------------------------------------- errors


def _java_type(value: Any) -> str:
    """The class name OpenSearch reports for a JSON value it parsed into Java objects."""
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer" if -(2**31) <= value < 2**31 else "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return "java.util.LinkedHashMap"


def _config_error(tag: str | None, prop: str, reason: str) -> ApiError:
    """``ConfigurationUtils.newConfigurationException``: a ``parse_exception`` naming the property."""
    extra: dict[str, Any] = {"processor_type": TYPE, "property_name": prop}
    if tag is not None:
        extra["processor_tag"] = tag
    return bad_request("parse_exception", f"[{prop}] {reason}", **extra)


def _optional_map(config: dict[str, Any], prop: str, tag: str | None) -> dict[str, Any] | None:
    value = config.pop(prop, None)
    if value is None or isinstance(value, dict):
        return None if value is None else dict(value)  # read from a copy: the caller's config stays as it was
    raise _config_error(tag, prop, f"property isn't a map, but of type [{_java_type(value)}]")


def _string(config: dict[str, Any], prop: str, default: str, tag: str | None) -> str:
    value = config.pop(prop, None)
    if value is None:
        return default
    if isinstance(value, str):
        return value
    raise _config_error(tag, prop, f"property isn't a string, but of type [{_java_type(value)}]")


def _floats_text(values: list[float]) -> str:
    """``Arrays.toString(Float[])``."""
    return "[" + ", ".join(java_float_str(v) for v in values) + "]"


def _leftover(config: dict[str, Any], tag: str | None, prefix: str = "") -> None:
    """Keys nobody read: OpenSearch's message for the processor's own map (``Pipeline.readProcessors``).
    Keys left inside ``normalization``/``combination`` are silently dropped by OpenSearch; retrievo
    refuses them the same way rather than accept something it ignores."""
    if config:
        name = TYPE if tag is None else f"{TYPE}:{tag}"
        keys = ", ".join(prefix + k for k in config)
        reason = f"processor [{name}] doesn't support one or more provided configuration parameters: [{keys}]"
        raise bad_request("parse_exception", reason)


# ---------------------------------------------------------------------------------------- parsing


def _bounds(params: dict[str, Any], name: str, score_key: str, default: float) -> tuple[ScoreBound, ...] | None:
    """``MinMaxScoreNormalizationTechnique.getBoundsParams`` for ``lower_bounds``/``upper_bounds``."""
    if name not in params:
        return None
    items = params[name]
    if not isinstance(items, list):
        raise illegal_argument(f"{name} must be a List")
    if len(items) > MAX_SUB_QUERIES:
        raise illegal_argument(f"{name} size {len(items)} should be less than or equal to {MAX_SUB_QUERIES}")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise illegal_argument("each bound must be a map")
        mode_text = "" if item.get("mode") is None else _java_str(item["mode"])
        mode: BoundMode = "apply"
        if mode_text.strip():
            if mode_text.lower() not in ("apply", "clip", "ignore"):
                raise illegal_argument(f"invalid mode: {mode_text}, valid values are: apply, clip, ignore")
            mode = mode_text.lower()  # type: ignore[assignment]
        score = default
        raw = item.get(score_key)
        if raw is not None:
            try:
                score = float(np.float32(_java_float(_java_str(raw))))
            except ValueError:
                raise illegal_argument(f"invalid format for {score_key}: must be a valid float value") from None
            if not (-_BOUND_LIMIT <= score <= _BOUND_LIMIT):
                raise illegal_argument(
                    f"{score_key} must be a valid finite number between -10000.000000 and 10000.000000"
                )
        out.append(ScoreBound(mode=mode, score=score))
    return tuple(out)


def _java_str(value: Any) -> str:
    """``Objects.toString``/``String.valueOf`` of a parsed JSON scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _java_float(text: str) -> float:
    """``Float.parseFloat``: Java's number syntax (``NaN`` and ``Infinity`` included)."""
    stripped = text.strip()
    if stripped in ("NaN", "+NaN", "-NaN"):
        return math.nan
    if stripped.lstrip("+-") == "Infinity":
        return -math.inf if stripped.startswith("-") else math.inf
    if any(c not in "0123456789+-.eEfFdD" for c in stripped) or not stripped:
        raise ValueError(text)
    return float(stripped.rstrip("fFdD"))


def _check_normalization_params(technique: str, params: dict[str, Any]) -> None:
    """``ScoreNormalizationUtil.validateParameters``: unknown names, and list items that are not maps."""
    allowed: dict[str, tuple[str, ...]] = (
        {"lower_bounds": ("mode", "min_score"), "upper_bounds": ("mode", "max_score")} if technique == "min_max" else {}
    )
    unknown = False
    for name, value in params.items():
        if name not in allowed:
            unknown = True
            continue
        nested = [value] if isinstance(value, dict) else value if isinstance(value, list) else None
        if nested is None:
            unknown = True
            continue
        for item in nested:
            if not isinstance(item, dict):
                unknown = True
            elif any(k not in allowed[name] for k in item):
                raise illegal_argument("unrecognized parameters in normalization technique")
    if unknown:
        raise illegal_argument("unrecognized parameters in normalization technique")


def _normalization(clause: dict[str, Any] | None, tag: str | None) -> dict[str, Any]:
    if clause is None:
        return {"normalization": "min_max"}
    technique = _string(clause, "technique", "min_max", tag)
    params = _optional_map(clause, "parameters", tag) or {}
    _leftover(clause, tag, "normalization.")
    if technique == "rrf":
        raise not_supported(f"[rrf] normalization technique in the [{TYPE}]", "use an [rrf] retriever")
    if technique not in _NORMALIZATIONS:
        raise illegal_argument("provided normalization technique is not supported")
    out: dict[str, Any] = {"normalization": technique}
    if technique == "z_score":
        return out  # neural-search builds z_score without looking at its parameters
    _check_normalization_params(technique, params)
    if technique == "min_max":
        out["lower_bounds"] = _bounds(params, "lower_bounds", "min_score", 0.0)
        out["upper_bounds"] = _bounds(params, "upper_bounds", "max_score", 1.0)
    return out


def _weights(params: dict[str, Any]) -> tuple[float, ...]:
    """``ScoreCombinationUtil.validateParams`` then ``getWeights``."""
    if not params:
        return ()
    if any(name != "weights" for name in params):
        raise illegal_argument(
            "provided parameter for combination technique is not supported. supported parameters are [weights]"
        )
    raw = params.get("weights", [])
    if not isinstance(raw, list):
        raise illegal_argument("parameter [weights] must be a collection of numbers")
    for w in raw:
        if not isinstance(w, float):
            # getWeights casts each element to Double: an integer (``1``) or a string fails there, as a
            # ClassCastException that OpenSearch answers with a 500.
            java = _java_type(w)
            reason = (
                f"class {java} cannot be cast to class java.lang.Double ({java} and java.lang.Double are in "
                "module java.base of loader 'bootstrap')"
            )
            raise api_error("class_cast_exception", reason, status=500)
    weights = [float(np.float32(w)) for w in raw]  # Double.floatValue, what the checks see
    if any(not (0.0 <= w <= 1.0) for w in weights):
        text = _floats_text(weights)
        raise illegal_argument(f"all weights must be in range [0.0 ... 1.0], submitted weights: {text}")
    total = np.float32(0.0)
    for w in weights:
        total = np.float32(total + np.float32(w))
    if abs(1.0 - float(total)) > 0.01:
        raise illegal_argument(
            f"sum of weights for combination must be equal to 1.0, submitted weights: {_floats_text(weights)}"
        )
    return tuple(float(w) for w in raw)  # as written; the arithmetic rounds each to float32


def _combination(clause: dict[str, Any] | None, tag: str | None) -> dict[str, Any]:
    if clause is None:
        return {"combination": "arithmetic_mean"}
    technique = _string(clause, "technique", "arithmetic_mean", tag)
    params = _optional_map(clause, "parameters", tag) or {}
    _leftover(clause, tag, "combination.")
    if technique not in _COMBINATIONS:
        if technique == "rrf":
            raise not_supported(f"[rrf] combination technique in the [{TYPE}]", "use an [rrf] retriever")
        raise illegal_argument("provided combination technique is not supported")
    return {"combination": technique, "weights": _weights(params)}


def parse_normalization_processor(config: Mapping[str, Any]) -> NormalizationSpec:
    """A ``normalization-processor`` configuration (the object under the processor's name), validated
    as OpenSearch validates it when the pipeline is stored; raises OpenSearch's error otherwise."""
    if not isinstance(config, Mapping):
        raise bad_request("parse_exception", f"processor [{TYPE}] config must be an object")
    rest = dict(config)
    tag = rest.pop("tag", None)
    description = rest.pop("description", None)
    ignore_failure = rest.pop("ignore_failure", False)
    if tag is not None and not isinstance(tag, str):
        raise _config_error(None, "tag", f"property isn't a string, but of type [{_java_type(tag)}]")
    if description is not None and not isinstance(description, str):
        raise _config_error(tag, "description", f"property isn't a string, but of type [{_java_type(description)}]")
    if ignore_failure is not None and not isinstance(ignore_failure, bool):
        if ignore_failure not in ("true", "false"):
            raise _config_error(
                tag, "ignore_failure", f"property isn't a boolean, but of type [{_java_type(ignore_failure)}]"
            )
        ignore_failure = ignore_failure == "true"
    normalization = _normalization(_optional_map(rest, "normalization", tag), tag)
    combination = _combination(_optional_map(rest, "combination", tag), tag)
    allowed = _COMPATIBLE[normalization["normalization"]]
    if combination["combination"] not in allowed:
        raise illegal_argument(
            f"provided combination technique {combination['combination']} is not supported for normalization "
            f"technique {normalization['normalization']}. Supported techniques are: {', '.join(allowed)}"
        )
    _leftover(rest, tag)
    scoring = HybridScoring(**normalization, **combination)
    return NormalizationSpec(scoring=scoring, tag=tag, description=description, ignore_failure=bool(ignore_failure))


# ---------------------------------------------------------------------------------------- requests


def shard_failure(index: str, reason: str) -> ApiError:
    """An ``IllegalArgumentException`` thrown on the shard while the query phase runs: OpenSearch
    answers ``search_phase_execution_exception``/``all shards failed`` around it, status 400."""
    return errors.shard_failure(index, error_cause("illegal_argument_exception", reason))


def _with_filter(q: Query, f: Query) -> Query:
    """``QueryBuilder.filter``: a ``bool`` takes the filter as one more filter clause (OpenSearch's
    ``BoolQueryBuilder.filter`` overrides it; so a should-only bool stops requiring a should match);
    anything else is wrapped in ``bool {must: q, filter: f}``, which keeps the sub-query's scores."""
    if isinstance(q, BoolQuery):
        return q.model_copy(update={"filter": q.filter + (f,)})
    return BoolQuery(must=(q,), filter=(f,))


def apply_normalization(
    request: SearchRequest, spec: NormalizationSpec, *, max_result_window: int | None = None, scroll: bool = False
) -> SearchRequest:
    """``request`` as the processor makes it run: a top-level ``hybrid`` query becomes a
    :class:`HybridRetriever`; anything else comes back unchanged (the processor skips it).

    ``max_result_window`` (the index's ``index.max_result_window``) bounds ``pagination_depth`` when
    given; ``scroll`` says the search opens a scroll, which a hybrid query refuses. The checks OpenSearch
    makes on the shard fail as its shard failures do."""
    r = request.retriever
    if not (isinstance(r, StandardRetriever) and isinstance(r.query, HybridQuery)):
        return request
    hybrid = r.query
    if scroll:  # HybridCollectorManager.createHybridCollectorManager
        raise shard_failure(request.index, "Scroll operation is not supported in hybrid query")
    depth = hybrid.pagination_depth
    if depth is not None:
        # HybridQueryBuilder.validatePaginationDepth, then the HybridQuery constructor.
        if depth < 0:
            raise shard_failure(request.index, "pagination_depth should be greater than 0")
        if max_result_window is not None and depth > max_result_window:
            raise shard_failure(
                request.index, "pagination_depth should be less than or equal to index.max_result_window setting"
            )
        if depth == 0:
            raise shard_failure(request.index, "pagination_depth must not be zero")
    elif request.from_ > 0:
        raise shard_failure(request.index, "pagination_depth param is missing in the search request")
    _refuse_unsupported(request, r)
    if any(isinstance(q, HybridQuery) for q in hybrid.queries):
        raise shard_failure(request.index, "hybrid query cannot be nested in another hybrid query")
    if hybrid.name is not None:
        raise not_supported("[_name] on a [hybrid] query", "name its sub-queries instead")
    children = tuple(
        StandardRetriever(query=q if hybrid.filter is None else _with_filter(q, hybrid.filter)) for q in hybrid.queries
    )
    retriever = HybridRetriever(
        retrievers=children,
        scoring=spec.scoring,
        window=depth if depth is not None else request.size,
        from_=request.from_,
        min_score=r.min_score,
    )
    return request.model_copy(update={"retriever": retriever})


def _refuse_unsupported(request: SearchRequest, r: StandardRetriever) -> None:
    """What OpenSearch does with a hybrid query and retrievo does not (yet): refused by name."""
    if r.sort:
        raise not_supported("[sort] with a [hybrid] query")
    if r.search_after is not None:
        raise not_supported("[search_after] with a [hybrid] query")
    if r.terminate_after:
        raise not_supported("[terminate_after] with a [hybrid] query")
    if r.knn:
        raise not_supported("a top-level [knn] section with a [hybrid] query")
    if r.filter:
        raise not_supported("filters around a [hybrid] query")
    if request.explain:
        raise not_supported("[explain] with a [hybrid] query")
