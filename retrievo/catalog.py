"""The catalog: the state behind the API, shared by every request handler.

It holds the indices (name → :class:`~retrievo.index.shard.Shard`), the inference endpoint registry,
the lock that serialises changes to the set of indices, and the data directory everything persists
to. The document, search, ES|QL and ``_rank_eval`` handlers receive the catalog and use only the
methods below; none of them knows the others, and nothing reaches into the engine. The catalog knows
nothing of request syntax: it resolves names and hands out shards, it does not parse bodies.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import threading
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from retrievo.cluster_settings import SEARCH_SETTINGS, ClusterSettings
from retrievo.errors import ApiError, bad_request, error_reason, illegal_argument, index_not_found, not_found
from retrievo.index.mappings.limits import check_field_limit
from retrievo.index.nested import check_nested_limit
from retrievo.index.persistence import DataDirectory
from retrievo.index.persistence.errors import corrupt, endpoint_not_restorable, pipeline_not_restorable
from retrievo.index.persistence.manifest import MANIFEST_NAME
from retrievo.index.persistence.translog import batched_sync
from retrievo.index.semantic import check_semantic_index_options
from retrievo.index.shard import Shard
from retrievo.inference import DEFAULT_RERANK_INFERENCE_ID, InferenceRegistry
from retrievo.inference.chunking import parse_chunking_settings
from retrievo.opensearch.ml_models import MlModels
from retrievo.opensearch.ml_settings import ML_COMMONS_SETTINGS
from retrievo.opensearch.pipeline_config import parse_search_pipeline
from retrievo.opensearch.search_pipelines import SearchPipelines
from retrievo.planner.plan_cache import PlanCache
from retrievo.query_rules import RulesetStore
from retrievo.synonyms import SynonymsStore
from retrievo.synonyms import reload as synonyms_reload

#: Characters Elasticsearch's ``MetadataCreateIndexService.validateIndexOrAliasName`` refuses.
_FORBIDDEN_NAME_CHARACTERS = frozenset('\\/*?"<>| ,#:')


def validate_index_name(name: Any) -> str:
    """``name`` if Elasticsearch would accept it for a new index, else its ``invalid_index_name_exception``."""
    if not isinstance(name, str) or not name:
        raise bad_request("invalid_index_name_exception", f"Invalid index name [{name}], must not be empty")
    if name != name.lower():
        raise bad_request("invalid_index_name_exception", f"Invalid index name [{name}], must be lowercase", index=name)
    if set(name) & _FORBIDDEN_NAME_CHARACTERS or name.startswith(("_", "-", "+")) or name in (".", ".."):
        raise bad_request(
            "invalid_index_name_exception",
            f"Invalid index name [{name}], must not contain the following characters "
            f"[' ','\"','*',',','/','<','>','?','\\\\','|']",
            index=name,
        )
    return name


class Catalog:
    """Indices, inference endpoints and their persistence for one engine.

    Changes to the set of indices (create, delete, auto-create on first write) happen under
    :attr:`lock`; reads go through the live, read-only :attr:`shards` view. With a data directory
    attached (:meth:`attach`), a new index is written at once, each index again whenever a refresh
    publishes new writes, and the endpoint definitions whenever one is put or deleted.
    """

    def __init__(self) -> None:
        self._shards: dict[str, Shard] = {}
        self._data: DataDirectory | None = None
        #: Guards the set of indices (not the documents inside one: a shard has its own lock).
        self.lock = threading.RLock()
        #: The ``_inference`` endpoints; deleting one that an index's ``semantic_text`` uses is refused.
        self.inference = InferenceRegistry(index_references=self.indices_using_endpoint)
        #: Aliases: alias name → index name → the alias's metadata on that index (``filter``,
        #: ``is_write_index``, routing). Persisted with their index (at every change, and by :meth:`save`).
        self._aliases: dict[str, dict[str, dict[str, Any]]] = {}
        #: ``_cluster/settings``: Elasticsearch's search settings and OpenSearch ML Commons'
        #: ``plugins.ml_commons.*`` (persisted: the manifest's ``cluster_settings``, persistent scope only).
        self.cluster_settings = ClusterSettings((SEARCH_SETTINGS, ML_COMMONS_SETTINGS))
        #: OpenSearch ML Commons (``_plugins/_ml``): model groups, models and tasks (persisted: the
        #: manifest's ``ml_commons``); deployed models run on private inference endpoints and are deployed
        #: again after a restart. Its settings are read from :attr:`cluster_settings`.
        self.ml_models = MlModels(settings=self.cluster_settings)
        #: OpenSearch search pipelines (``_search/pipeline``), by id (persisted: ``search_pipelines``).
        self.search_pipelines = SearchPipelines()
        #: Elasticsearch's query rulesets (``_query_rules``), by id (persisted: ``query_rules``).
        self.query_rules = RulesetStore()
        #: Elasticsearch's synonyms sets (``_synonyms``), by id (persisted: ``synonyms``); the updateable
        #: synonym filters of every index read them (``synonyms/reload.py``).
        self.synonyms = SynonymsStore()
        #: Planned searches reused by a repeated ``_search`` (``planner/plan_cache.py``); ``enabled = False``
        #: switches it off.
        self.plan_cache = PlanCache()
        #: Metarank inference entries (``retrievo serve --config``): name → inference endpoint id, for
        #: ``POST /inference/cross/<name>`` (rerank endpoints) and ``/inference/encoder/<name>``
        #: (text_embedding endpoints). Only these names answer there, as only configured ones do in Metarank.
        self.metarank_cross: dict[str, str] = {}
        self.metarank_encoders: dict[str, str] = {}
        #: The rerank endpoint for requests that name none: TEI's ``POST /rerank`` and Cohere's v1
        #: ``/v1/rerank`` without ``model`` (``retrievo serve -E retrievo.rerank.inference_id=ID``).
        self.default_rerank_id: str = DEFAULT_RERANK_INFERENCE_ID

    # ------------------------------------------------------------------ indices

    @property
    def shards(self) -> Mapping[str, Shard]:
        """Every index by name: a live, read-only view."""
        return MappingProxyType(self._shards)

    def shard(self, index: Any, *, auto_create: bool = False) -> Shard:
        """The index named exactly ``index``; with ``auto_create``, a missing one is created with
        dynamic mappings (a write to a new index, as in Elasticsearch)."""
        if not isinstance(index, str) or not index:
            raise illegal_argument(f"index is missing or invalid: [{index}]")
        shard = self._shards.get(index)
        if shard is None:
            if not auto_create:
                raise index_not_found(index)
            validate_index_name(index)
            with self.lock:
                shard = self._shards.get(index) or Shard(index, embedder=self.inference)
                self._shards[index] = shard
                self._track(shard)
        return shard

    def resolve(self, expression: Any) -> list[str]:
        """The index names an expression means: a comma list of names, ``_all``/``*`` and wildcards
        (a concrete name that does not exist is ``index_not_found``), first mention first."""
        names: list[str] = []
        for part in str(expression).split(","):
            if part in ("_all", "*"):
                names.extend(self._shards)
            elif "*" in part:
                names.extend(n for n in self._shards if fnmatch.fnmatchcase(n, part))
            elif part in self._shards:
                names.append(part)
            else:
                raise index_not_found(part)
        return list(dict.fromkeys(names))

    def create(
        self, name: Any, mappings: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> Shard:
        """A new, empty index (``resource_already_exists_exception`` if the name is taken)."""
        validate_index_name(name)
        with self.lock:
            if name in self._aliases:
                raise bad_request(
                    "invalid_index_name_exception", f"Invalid index name [{name}], already exists as alias", index=name
                )
            existing = self._shards.get(name)
            if existing is not None:
                raise bad_request(
                    "resource_already_exists_exception", f"index [{name}/{existing.uuid}] already exists", index=name
                )
            shard = Shard(name, mappings, settings, embedder=self.inference)
            self._check_semantic_fields(shard)
            synonyms_reload.prepare_new_index(shard, self.synonyms.rule_lines)
            check_field_limit(shard.mappings.total_fields_count(), shard.settings.mapping_total_fields_limit)
            check_nested_limit(shard.mappings, shard.settings.mapping_nested_fields_limit)
            self._shards[name] = shard
            self._track(shard)
        return shard

    def delete(self, expression: Any) -> list[str]:
        """Drop the indices ``expression`` resolves to (from disk too); their names."""
        with self.lock:
            names = self.resolve(expression)
            for name in names:
                del self._shards[name]
                self.plan_cache.forget(name)
                for alias in list(self._aliases):
                    self._aliases[alias].pop(name, None)
                    if not self._aliases[alias]:
                        del self._aliases[alias]
            if self._data is not None:
                self._data.commit(drop=names)
        return names

    # ------------------------------------------------------------------ aliases

    @property
    def aliases(self) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
        """Alias name → index name → the alias's metadata there (a read-only view)."""
        return MappingProxyType({a: MappingProxyType(dict(on)) for a, on in self._aliases.items()})

    def is_alias(self, name: str) -> bool:
        """Whether ``name`` is an alias (without building the :attr:`aliases` view: every search asks)."""
        return name in self._aliases

    def put_alias(self, indices: list[str], alias: str, metadata: Mapping[str, Any]) -> None:
        """Point ``alias`` at each of ``indices`` (replacing its metadata there)."""
        if alias in self._shards:
            raise bad_request(
                "invalid_alias_name_exception",
                f"Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias",
            )
        with self.lock:
            for name in indices:
                if name not in self._shards:
                    raise index_not_found(name)
            before = self._alias_snapshot()
            on = self._aliases.setdefault(alias, {})
            for name in indices:
                on[name] = dict(metadata)
            self._persist_aliases(before)

    def remove_alias(self, index: str, alias: str) -> bool:
        """Drop ``alias`` from ``index``; whether it was there."""
        with self.lock:
            on = self._aliases.get(alias)
            if on is None or index not in on:
                return False
            before = self._alias_snapshot()
            del on[index]
            if not on:
                del self._aliases[alias]
            self._persist_aliases(before)
            return True

    def write_index(self, name: Any, *, require_alias: bool = False) -> Any:
        """The index a write to ``name`` lands in: an alias's write index (the one with
        ``is_write_index: true``, else the only index of a one-index alias that does not set it to
        ``false``), any other name as it is (for :meth:`shard` to find, create or refuse); with
        ``require_alias``, a name that is not an alias is ``index_not_found_exception``."""
        on = self._aliases.get(name) if isinstance(name, str) else None
        if on is None:
            if require_alias:
                raise not_found(
                    "index_not_found_exception",
                    f"no such index [{name}] and [require_alias] request flag is [true] and [{name}] is not an alias",
                    **{"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name},
                )
            return name
        writers = [index for index, metadata in on.items() if metadata.get("is_write_index") is True]
        if not writers and len(on) == 1 and next(iter(on.values())).get("is_write_index") is not False:
            writers = list(on)
        if len(writers) != 1:
            raise illegal_argument(
                f"no write index is defined for alias [{name}]. The write index may be explicitly disabled "
                "using is_write_index=false or the alias points to multiple indices without one being "
                "designated as a write index"
            )
        return writers[0]

    def aliases_by_index(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Index name → alias name → metadata: the aliases as each index's definition holds them."""
        with self.lock:
            out: dict[str, dict[str, dict[str, Any]]] = {}
            for alias, on in self._aliases.items():
                for index, meta in on.items():
                    out.setdefault(index, {})[alias] = dict(meta)
            return out

    def _alias_snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {alias: {index: dict(meta) for index, meta in on.items()} for alias, on in self._aliases.items()}

    def _persist_aliases(self, before: dict[str, dict[str, dict[str, Any]]]) -> None:
        """Write the aliases to the data directory (a manifest swap); if that fails, they are as ``before``."""
        if self._data is None:
            return
        try:
            self._data.commit(aliases=self.aliases_by_index())
        except BaseException:
            self._aliases = before
            raise

    @contextlib.contextmanager
    def write_batch(self) -> Iterator[None]:
        """Writes inside the block are made durable together at its end — one translog fsync per
        index for a whole ``_bulk`` request, before it is answered — instead of one per write."""
        with batched_sync():
            yield

    def flush(self, names: list[str]) -> None:
        """Persist the named indices, unrefreshed writes included (nothing to do without a data directory)."""
        if self._data is not None:
            self._data.commit(shards=[self._shards[n] for n in names])

    @staticmethod
    def write_result(shard: Shard, doc_id: str, version: int, result: str, seq_no: int) -> dict[str, Any]:
        """The body of a document write (index, create, update, delete), as one local shard answers it."""
        return {
            "_index": shard.name,
            "_id": doc_id,
            "_version": version,
            "result": result,
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": seq_no,
            "_primary_term": 1,
        }

    @staticmethod
    def _check_semantic_fields(shard: Shard) -> None:
        """Validate semantic_text chunking settings with the inference package's own rules."""
        for fm in shard.mappings.leaf_fields():
            if fm.type == "semantic_text" and fm.params.get("chunking_settings") is not None:
                parse_chunking_settings(dict(fm.params["chunking_settings"]))
        check_semantic_index_options(shard.mappings, shard.embedder)

    # ------------------------------------------------------------------ inference

    def embed_query(self, inference_id: str, text: str) -> np.ndarray:
        """A query vector from a text-embedding endpoint (``query_vector_builder``, ``semantic``)."""
        return np.asarray(self.inference.embed(inference_id, [text], input_type="search")[0])

    def indices_using_endpoint(self, inference_id: str) -> list[str]:
        """Indices whose ``semantic_text`` fields embed with ``inference_id`` (deleting it is refused)."""
        return [name for name, shard in self._shards.items() if inference_id in shard.inference_ids()]

    # ------------------------------------------------------------------ persistence

    @property
    def path(self) -> str | None:
        """The data directory the catalog persists to (see :meth:`attach`), else ``None``."""
        return None if self._data is None else str(self._data.root)

    def attach(self, path: str | os.PathLike[str]) -> None:
        """Open (or create) the data directory at ``path``, restore what it holds (each index's
        translog replayed over its last saved generation), then persist every change there: each
        write in the index's translog before it is acknowledged, each index whole at refresh."""
        data = DataDirectory.open(path, create=True)
        redeployed = self._restore(data)
        self._data = data
        for shard in self._shards.values():
            shard.on_refresh = self._persist_shard
            shard.oplog = data.open_translog(shard)  # after the replay: replayed writes are not logged again
        self.inference.on_change = self._persist_endpoints
        self.search_pipelines.on_change = self._persist_pipelines
        self.query_rules.on_change = self._persist_query_rules
        self.synonyms.on_change = self._persist_synonyms
        self.ml_models.on_change = self._persist_ml_commons
        self.cluster_settings.on_change = self._persist_cluster_settings
        if data.cluster_settings() is None:  # settings read from an older layout are saved in their own place
            data.commit(cluster_settings=self.cluster_settings.scopes()["persistent"])
        if redeployed:  # the models' redeploy (or failure) is saved as OpenSearch indexes it
            data.commit(ml_commons=self.ml_models.state())

    def restore(self, path: str | os.PathLike[str]) -> None:
        """Load what :meth:`save` (or an attached catalog) wrote at ``path``, every file checked
        against its checksum first; the catalog keeps no link to ``path``."""
        self._restore(DataDirectory.open(path, create=False))

    def save(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Write every index (unrefreshed writes included) and the endpoint definitions to ``path``,
        replacing what a previous save left there, atomically (a failed save leaves the previous
        one loadable). An attached data directory stays the catalog's home."""
        target = DataDirectory.open(path, create=True)
        if self._data is not None and target.root == self._data.root:
            target = self._data
        with self.lock:
            shards = list(self._shards.values())
            aliases = self.aliases_by_index()
        target.commit(
            shards=shards,
            endpoints=self.inference.definitions(),
            aliases=aliases,
            only=True,
            pipelines=self.search_pipelines.definitions(),
            ml_commons=self.ml_models.state(),
            query_rules=self.query_rules.definitions(),
            synonyms=self.synonyms.definitions(),
            cluster_settings=self.cluster_settings.scopes()["persistent"],
        )
        return {
            "acknowledged": True,
            "path": str(target.root),
            "generation": target.manifest.generation,
            "indices": sorted(s.name for s in shards),
        }

    def _restore(self, data: DataDirectory) -> bool:
        """Read everything back: endpoints, ML Commons' models (which pipelines name), pipelines, then the
        indices (whose default pipelines name pipelines); whether restoring changed the ML models."""
        for definition in data.inference_endpoints():
            try:
                self.inference.restore([definition])
            except (ApiError, KeyError, TypeError, ValueError) as failure:
                reason = (
                    error_reason(failure) if isinstance(failure, ApiError) else f"{type(failure).__name__}: {failure}"
                )
                raise endpoint_not_restorable(
                    data.root / MANIFEST_NAME, definition.get("inference_id"), reason
                ) from None
        redeployed = False
        ml_state = data.ml_commons()
        # the settings first: restoring ML Commons' models reads its redeploy settings
        saved_settings = data.cluster_settings()
        if saved_settings is None:  # format < 6: only ML Commons' settings were saved, with its state
            saved_settings = dict(ml_state.get("persistent_settings", {}))
        try:
            self.cluster_settings.restore(saved_settings)
        except ApiError as failure:
            raise corrupt(
                data.root / MANIFEST_NAME, f"cannot restore the cluster settings: {error_reason(failure)}"
            ) from None
        if ml_state:
            try:
                redeployed = self.ml_models.restore(ml_state)
            except (ApiError, KeyError, TypeError, ValueError) as failure:
                reason = (
                    error_reason(failure) if isinstance(failure, ApiError) else f"{type(failure).__name__}: {failure}"
                )
                raise corrupt(data.root / MANIFEST_NAME, f"cannot restore the ML Commons models: {reason}") from None
        pipelines = []
        for pipeline_id, definition in data.search_pipelines().items():
            try:
                pipelines.append(parse_search_pipeline(pipeline_id, definition))
            except ApiError as failure:
                raise pipeline_not_restorable(data.root / MANIFEST_NAME, pipeline_id, error_reason(failure)) from None
        self.search_pipelines.restore(pipelines)
        try:
            self.query_rules.restore(data.query_rules().items())
        except (ApiError, KeyError, TypeError, ValueError) as failure:
            reason = error_reason(failure) if isinstance(failure, ApiError) else f"{type(failure).__name__}: {failure}"
            raise corrupt(data.root / MANIFEST_NAME, f"cannot restore the query rulesets: {reason}") from None
        try:
            self.synonyms.restore(data.synonyms().items())
        except (KeyError, TypeError, ValueError) as failure:
            raise corrupt(
                data.root / MANIFEST_NAME, f"cannot restore the synonyms sets: {type(failure).__name__}: {failure}"
            ) from None
        restored = data.read_indices(self.inference)
        for shard in restored.values():  # updateable synonym filters start empty, as at creation
            synonyms_reload.load(shard, self.synonyms.rule_lines)
        with self.lock:
            self._shards.update(restored)
            for alias in list(self._aliases):  # a replaced index comes back with its saved aliases only
                on = self._aliases[alias]
                for name in restored:
                    on.pop(name, None)
                if not on:
                    del self._aliases[alias]
            for name, saved in data.aliases().items():
                for alias, meta in saved.items():
                    self._aliases.setdefault(alias, {})[name] = meta
        return redeployed

    def _track(self, shard: Shard) -> None:
        """A new index: persisted at once (its mappings and settings), then at every refresh."""
        if self._data is not None:
            shard.on_refresh = self._persist_shard
            shard.oplog = self._data.open_translog(shard)
            self._data.commit(shards=[shard])

    def _persist_shard(self, shard: Shard) -> None:
        if self._data is not None and self._shards.get(shard.name) is shard:
            self._data.commit(shards=[shard])

    def _persist_pipelines(self, definitions: dict[str, Any]) -> None:
        """A manifest swap with the new pipeline definitions; if it fails, the change is not made."""
        if self._data is not None:
            self._data.commit(pipelines=definitions)

    def _persist_query_rules(self, definitions: dict[str, Any]) -> None:
        """A manifest swap with the new query rulesets; if it fails, the change is not made."""
        if self._data is not None:
            self._data.commit(query_rules=definitions)

    def _persist_synonyms(self, definitions: dict[str, Any]) -> None:
        """A manifest swap with the new synonyms sets; if it fails, the change is not made."""
        if self._data is not None:
            self._data.commit(synonyms=definitions)

    def _persist_ml_commons(self, state: dict[str, Any]) -> None:
        """A manifest swap with ML Commons' new state; if it fails, the change is not made."""
        if self._data is not None:
            self._data.commit(ml_commons=state)

    def _persist_cluster_settings(self, persistent: dict[str, str]) -> None:
        """A manifest swap with the new persistent cluster settings; if it fails, the change is not made."""
        if self._data is not None:
            self._data.commit(cluster_settings=persistent)

    def _persist_endpoints(self) -> None:
        if self._data is not None:
            self._data.commit(endpoints=self.inference.definitions())
