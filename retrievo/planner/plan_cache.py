"""A bounded cache of planned searches: a repeated ``_search`` skips parsing and planning.

Parsing, the query-rules walk, Lucene's rewrites, the physical rules and compiling cost a plain search
about as much as scoring it (BENCHMARKS.md, issue 18). A plan never changes while it runs
(:meth:`PreparedSearch.fresh_run`), so the same request against the same index state can run the
plan made before (kept from the second time the request is seen: see *Admission* below). The whole
difficulty is knowing that nothing the plan was made from has changed; this module answers that
conservatively, and a request it cannot vouch for is planned anew.

What a plan is made from, and how each is covered:

* **the request**: the body as the search handler hands it over (URL parameters such as ``size``,
  ``from``, ``sort`` and ``_source`` already applied, the filters of the aliases it came through
  added), and the URL parameters the handler applies to the parsed request (``routing`` as resolved
  for the index, ``search_type``, ``typed_keys``): all part of the key. The body is keyed by its exact
  JSON text (key order included: it orders clauses, sorts and response sections); a body holding any
  other Python value than JSON's is not cached.
* **the index**: the :class:`~retrievo.index.shard.Shard` object, its published snapshot (a refresh
  that publishes writes makes a new one), its settings and mappings objects (replaced, never changed
  in place, by put-settings and put-mapping) and its analysis registry, compared by identity. When any
  of them changes, every plan of that index is dropped at once, so no old snapshot stays referenced.
  An index with an updateable (reloadable) synonym filter is never cached: ``_reload_search_analyzers``
  and a synonyms-set update change that filter in place, without a new snapshot.
* **query rulesets**: read before planning (``apply_query_rules``); a request whose parse holds a
  ``rule`` query or retriever is rewritten there, and the caller does not cache it (the rewrite is
  not the identity).
* **inference endpoints and models**: the planner may call the registry while planning (sparse
  expansion of ``sparse_vector``/``semantic`` text, a reranker's window for the cost model). The
  registry and the query embedder are handed to the planner through :class:`ModelWatch`; a plan whose
  planning touched either is not cached. Models called while *running* a plan go through the same
  live registry every run, cached or not.
* **the clock**: date math (``now``), ``random_score`` without a seed (seeded from the time) and
  decay functions without an ``origin`` (now, on a date field) are resolved at planning. A body whose
  text mentions ``now`` or ``random`` anywhere, or holds a ``gauss``/``exp``/``linear`` key, is not
  cached.
* **search pipelines**: their request processors run before the key is made (their output is the
  key's body); a search with phase-results processors (``normalization-processor``) is not cached.
* ``profile`` requests (they report the planning time) and scrolls are not cached.

**Admission**: a plan is stored the second time its key is seen (a "doorkeeper" counts the sightings of
recently seen keys, as in TinyLFU), and, once the cache is full, only if its key has been seen more
often than the key of the plan it would push out (the least recently used one; a hit counts as a
sighting). A workload of distinct searches, or one cycling through more searches than the cache holds,
would otherwise pay on every search for storing a plan that is never used again and for dropping
another (together 5-15% of a plain search's time); a repeated search plans twice and then runs from the
cache, and a frequent one displaces the plans of rarer ones.

**Shapes**: next to whole requests, the cache holds the templates of ``match`` shapes
(:mod:`retrievo.planner.match_template`): a search box's bodies differ only in their text, so most are
seen once, but their shape recurs. They are keyed, admitted and dropped like plans (a shape key is tagged
so it never equals a request's key); a search planned from its shape's template is counted as
``templated`` and its plan is then offered to the cache under its own key like any other.

The cache is per catalog, thread-safe (``retrievo serve`` runs searches on a thread pool; two threads
missing the same key both plan it, and the second stores its plan), bounded (least recently used
plans go first) and can be switched off (``catalog.plan_cache.enabled = False``).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from retrievo.index.analysis.synonym_sets import reloadable_filters
from retrievo.xcontent import ORJSON

if TYPE_CHECKING:  # the catalog holds a cache: nothing here may import what imports the catalog
    from retrievo.index.searcher import Searcher
    from retrievo.index.shard import Shard
    from retrievo.planner.execute import PreparedSearch
    from retrievo.planner.match_template import MatchTemplates

    #: What the cache holds: a planned search, or a ``match`` shape's templates.
    _Stored: TypeAlias = PreparedSearch | MatchTemplates

#: Keys the doorkeeper remembers, per plan the cache may hold.
_SEEN_PER_PLAN = 4

#: Plans kept per catalog by default.
DEFAULT_CAPACITY = 256

#: Lower-case fragments of a body's JSON text that may make its plan depend on the time of planning.
_CLOCK_FRAGMENTS = ("now", "random", '"gauss"', '"exp"', '"linear"')


@dataclass(frozen=True, eq=False)
class IndexState:
    """What every plan of one index was made against; compared member by member by identity."""

    shard: Shard
    searcher: Searcher
    settings: object
    mappings: object
    analysis: object

    def same(self, other: IndexState) -> bool:
        return (
            self.shard is other.shard
            and self.searcher is other.searcher
            and self.settings is other.settings
            and self.mappings is other.mappings
            and self.analysis is other.analysis
        )


@dataclass(frozen=True, eq=False)
class _Current:
    state: IndexState
    #: False when the index has an updateable synonym filter (it changes without a new snapshot).
    cacheable: bool


class ModelWatch:
    """The query embedder and the inference registry as the planner receives them, noting whether
    planning called either (a plan whose planning did is not cached). Everything is forwarded; the
    watched objects stay in the plan, so later runs reach the live registry through them."""

    def __init__(self, embed: Callable[..., Any] | None, inference: Any) -> None:
        self.used = False
        self.embed: Callable[..., Any] | None = None if embed is None else self._watched_call(embed)
        self.inference: Any = None if inference is None else _WatchedObject(inference, self)

    def _watched_call(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.used = True
            return fn(*args, **kwargs)

        return call


class _WatchedObject:
    """Forwards attribute reads to ``target``; calling a method, or reading a plain value, marks use."""

    __slots__ = ("_target", "_watch")

    def __init__(self, target: Any, watch: ModelWatch) -> None:
        self._target = target
        self._watch = watch

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value):
            return self._watch._watched_call(value)
        self._watch.used = True
        return value


#: One encoder for every key (``json.dumps`` with options builds a new one per call).
_KEY_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=True)


def body_key(body: Any) -> str | None:
    """The exact JSON text of ``body`` when it may key a plan: only JSON's own types (so two bodies
    with one text parse alike) and nothing that reads the clock while planning; else ``None``."""
    if not _plain_json(body):
        return None
    try:
        text = _key_text(body)
    except (TypeError, ValueError):
        return None
    lowered = text.lower()
    if any(fragment in lowered for fragment in _CLOCK_FRAGMENTS):
        return None
    return text


def derived_key(body: dict[str, Any]) -> str:
    """The key text of a body made from one :func:`body_key` accepted by taking parts out (a ``match``
    shape): it holds nothing but JSON values and no clock fragment the accepted body did not hold, so
    only the encoding is left to do."""
    return _key_text(body)


def _key_text(value: Any) -> str:
    """A JSON text of ``value`` (JSON's own types) that no other value has: orjson's, unless it holds
    ``null`` (orjson's text for ``None`` and for NaN alike); then the standard library's, marked so that it
    never equals one of orjson's."""
    if ORJSON is not None:
        try:
            written = ORJSON.dumps(value)
        except TypeError:  # an integer beyond 64 bits: the standard library's way
            pass
        else:
            if b"null" not in written:
                return written.decode("utf-8")
    return "\x00" + _KEY_ENCODER.encode(value)


def _plain_json(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if kind is list:
        return all(_plain_json(v) for v in value)
    return kind in (str, int, float, bool) or value is None


def _has_updateable_filter(shard: Shard) -> bool:
    return any(reloadable_filters(analyzer) for analyzer in shard.analysis.custom().values())


class PlanCache:
    """Planned searches by index and request (see the module's docstring for what keys them)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._lock = threading.Lock()
        #: Planned searches by (index, request key), and shapes' templates by (index, shape key).
        self._plans: OrderedDict[tuple[str, Hashable], tuple[IndexState, _Stored]] = OrderedDict()
        self._current: dict[str, _Current] = {}
        self._seen: OrderedDict[tuple[str, Hashable], int] = OrderedDict()  # the doorkeeper: key -> sightings
        self._capacity = capacity
        self._enabled = True
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self.templated = 0

    @property
    def enabled(self) -> bool:
        """Whether searches use the cache; switching it off drops every plan."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = bool(value)
        if not self._enabled:
            self.clear()

    @property
    def capacity(self) -> int:
        return self._capacity

    @capacity.setter
    def capacity(self, value: int) -> None:
        with self._lock:
            self._capacity = max(0, int(value))
            self._trim()

    def __len__(self) -> int:
        return len(self._plans)

    def stats(self) -> dict[str, int]:
        """Lookups answered from the cache, lookups that were not (``templated`` of them then planned
        from their shape's template, ``match_template.py``, the others in full), plans stored and plans
        (and shapes' templates) held."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "stored": self.stored,
            "size": len(self._plans),
            "templated": self.templated,
        }

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self._current.clear()
            self._seen.clear()

    def forget(self, index: str) -> None:
        """Drop every plan of ``index`` (a deleted index)."""
        with self._lock:
            self._drop(index)
            self._current.pop(index, None)

    def state(self, shard: Shard) -> IndexState:
        """The index's state now (its latest snapshot: with automatic refresh, pending writes are
        published first, as the search itself would do). Read it *before* planning, and plan against
        its ``searcher``: a plan stored with an older state than the index's is only ever a miss."""
        return IndexState(shard, shard.searcher(), shard.settings, shard.mappings, shard.analysis)

    def get(self, state: IndexState, key: Hashable | None) -> PreparedSearch | None:
        """The plan stored for ``key`` on this index state, ready to run (``fresh_run``), else ``None``."""
        found = cast("PreparedSearch | None", self._find(state, key, counted=True))
        return None if found is None else found.fresh_run()

    def templates(self, state: IndexState, key: Hashable | None) -> MatchTemplates | None:
        """The templates stored for a shape's ``key`` on this index state (not counted: the search's
        own key was looked up, and missed, first). Shape keys and request keys never collide (the
        caller tags shape keys), so each lookup finds its own kind."""
        return cast("MatchTemplates | None", self._find(state, key, counted=False))

    def _find(self, state: IndexState, key: Hashable | None, counted: bool) -> PreparedSearch | MatchTemplates | None:
        if key is None or not self._enabled or self._capacity == 0:
            return None
        name = state.shard.name
        with self._lock:
            current = self._current.get(name)
            if current is None or not current.state.same(state):
                self._drop(name)  # the index changed: none of its plans can be used again
                current = self._current[name] = _Current(state, not _has_updateable_filter(state.shard))
            found = self._plans.get((name, key)) if current.cacheable else None
            if found is None or not found[0].same(state):
                self.misses += counted
                return None
            self._plans.move_to_end((name, key))
            self._sighted((name, key))
            self.hits += counted
            return found[1]

    def put(self, state: IndexState, key: Hashable | None, prepared: PreparedSearch | MatchTemplates) -> None:
        """Keep ``prepared`` (planned against ``state``; or a shape's templates) for ``key``, unless the
        index changed since :meth:`get` saw it, or the index cannot be cached."""
        if key is None or not self._enabled or self._capacity == 0:
            return
        name = state.shard.name
        with self._lock:
            current = self._current.get(name)
            if current is None or not current.cacheable or not current.state.same(state):
                return
            entry = (name, key)
            sightings = self._sighted(entry)
            if sightings < 2:  # first sighting: remember the key, keep no plan
                return
            if entry not in self._plans and len(self._plans) >= self._capacity:
                oldest = next(iter(self._plans))  # the plan that would be dropped
                if sightings <= self._seen.get(oldest, 0):  # it was asked for as often: it stays
                    return
            self._plans[entry] = (state, prepared.kept())
            self._plans.move_to_end(entry)
            self.stored += 1
            self._trim()

    def _sighted(self, entry: tuple[str, Hashable]) -> int:
        """Count one more sighting of ``entry`` in the doorkeeper (its recent keys, bounded, least
        recently seen forgotten first); returns the count."""
        count = self._seen.pop(entry, 0) + 1
        self._seen[entry] = count
        while len(self._seen) > _SEEN_PER_PLAN * self._capacity:
            self._seen.popitem(last=False)
        return count

    def _drop(self, index: str) -> None:
        for entry in [k for k in self._plans if k[0] == index]:
            del self._plans[entry]

    def _trim(self) -> None:
        while len(self._plans) > self._capacity:
            self._plans.popitem(last=False)
