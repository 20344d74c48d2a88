"""One index: mappings, analysis, documents and the per-field structures, behind one lock.

Writes go through :meth:`Shard.index_document` / :meth:`Shard.delete_document`; a document is parsed
and analysed completely before anything is stored, so a bad document changes nothing.
:meth:`Shard.refresh` publishes a new immutable :class:`Searcher`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from retrievo.errors import bad_request, conflict, not_supported
from retrievo.index.analysis import AnalysisRegistry, Analyzer
from retrievo.index.copy_to import copy_source_paths
from retrievo.index.dates import DEFAULT_DATE_FORMAT, parse_date_math
from retrievo.index.doc_values import NumericColumnWriter
from retrievo.index.documents import parse_document
from retrievo.index.field_types.rank_feature import feature_terms
from retrievo.index.inverted import InvertedFieldWriter
from retrievo.index.mappings import FieldMapping, Mappings
from retrievo.index.nested import NestedStore, analyze_nested, nested_paths, object_types
from retrievo.index.routing import shard_for
from retrievo.index.searcher import FieldInfo, Searcher
from retrievo.index.semantic import (
    Chunk,
    ChunkEmbedder,
    SemanticFieldWriter,
    check_chunk_embeddings,
    check_ingest_options,
    endpoint_vectors,
)
from retrievo.index.settings import IndexSettings, parse_settings, settings_values
from retrievo.index.sparse_semantic import SparseChunk, SparseSemanticFieldWriter, is_sparse_chunk
from retrievo.index.sparse_vectors import add_features, encode_feature_value
from retrievo.index.store import DocumentStore
from retrievo.index.subfields import (
    analyze_values,
    hidden_field,
    parent_path,
    position_increment_gap,
    subfield_info,
    subfield_infos,
    subfield_tokens,
)
from retrievo.index.versioning import WriteVersion, next_version

if TYPE_CHECKING:  # the vectors package imports faiss: loaded on the first vector field only
    from retrievo.index.vectors import VectorFieldWriter

INTEGER_TYPES = frozenset({"long", "integer", "short", "byte", "date", "date_nanos", "boolean"})
NUMERIC_TYPES = frozenset({"long", "integer", "short", "byte", "double", "float", "half_float"})


#: A semantic_text chunk: a dense embedding (:class:`Chunk`) or a sparse one (:class:`SparseChunk`).
AnyChunk = Chunk | SparseChunk


class OperationLog(Protocol):
    """Where a shard records each write before applying it (the data directory's translog)."""

    def append(self, op: dict[str, Any]) -> Any:
        """Write one operation; raising leaves the shard unchanged. Returns where it ended."""

    def written(self, location: Any) -> None:
        """After the operation is applied, outside the shard's lock: make it durable (or schedule it)."""


@dataclass
class _Analyzed:
    """A document ready to store: per-field tokens and column values, computed before any write."""

    tokens: dict[str, tuple[list[str], list[int]]]
    columns: dict[str, list[float | int]]
    present: list[str]
    vectors: dict[str, np.ndarray]
    chunks: dict[str, list[AnyChunk]]
    #: sparse_vector fields: feature → encoded term frequency (each feature's largest weight).
    features: dict[str, dict[str, int]]


class Shard:
    def __init__(
        self,
        name: str,
        mappings: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        embedder: ChunkEmbedder | None = None,
    ) -> None:
        self.name = name
        self.uuid = uuid.uuid4().hex[:22]
        self.created_millis = int(time.time() * 1000)
        self.settings: IndexSettings = parse_settings(settings)
        self.analysis = AnalysisRegistry.from_settings(
            self.settings.analysis or None,
            max_ngram_diff=self.settings.max_ngram_diff,
            max_shingle_diff=self.settings.max_shingle_diff,
        )
        self.mappings: Mappings = Mappings.from_json(mappings or {}, self.analysis)
        self.store = DocumentStore()
        self.inverted: dict[str, InvertedFieldWriter] = {}
        self.columns: dict[str, NumericColumnWriter] = {}
        self.vectors: dict[str, VectorFieldWriter] = {}
        self.semantic: dict[str, SemanticFieldWriter] = {}
        self.sparse_semantic: dict[str, SparseSemanticFieldWriter] = {}
        self.nested = NestedStore()  # nested objects, one child store per path (index/nested.py)
        self.embedder = embedder
        self.presence: dict[str, list[int]] = {}
        self._presence_arrays: dict[str, np.ndarray] = {}
        self.lock = threading.RLock()
        self.generation = 0
        self.segments = 0  # refreshes that published new documents (Searcher.segments)
        self._published_max_doc = 0
        self._doc_shards = np.zeros(0, dtype=np.int16)  # each internal doc's shard, as of the last refresh
        self._dirty = False
        self._searcher: Searcher | None = None
        # Called (under the lock) after each refresh that publishes something new: an engine
        # with a data directory persists the shard there.
        self.on_refresh: Callable[[Shard], None] | None = None
        # Set by an engine with a data directory: every write is logged there before it is applied.
        self.oplog: OperationLog | None = None

    # ------------------------------------------------------------------ writes
    def _analyze(
        self, values: dict[str, list[Any]], mappings: Mappings, chunks_given: dict[str, list[AnyChunk]] | None = None
    ) -> _Analyzed:
        tokens: dict[str, tuple[list[str], list[int]]] = {}
        columns: dict[str, list[float | int]] = {}
        vectors: dict[str, np.ndarray] = {}
        chunks: dict[str, list[AnyChunk]] = {}
        features: dict[str, dict[str, int]] = {}
        present: list[str] = []
        for path, vals in values.items():
            fm = mappings.field(path)
            if fm is None or not vals:
                continue
            present.append(path)
            if not fm.index and fm.type not in NUMERIC_TYPES | {"date", "date_nanos", "boolean", "keyword", "ip"}:
                continue
            if fm.type in ("text", "search_as_you_type"):
                tokens.update(subfield_tokens(fm, vals, self.analysis.get))  # index/subfields.py
                analyzer = self.analysis.get(fm.analyzer or "standard")
                tokens[path] = analyze_values(analyzer, vals, position_increment_gap(fm))
            elif fm.type == "keyword":
                if fm.index:
                    tokens[path] = ([str(v) for v in vals], [])
            elif fm.type == "ip":  # 32 hex digits per address (index/ip_values.py): terms double as doc values
                if fm.index or fm.doc_values:
                    tokens[path] = (list(vals), [])
            elif fm.type == "boolean":
                if fm.index:
                    tokens[path] = (["T" if v else "F" for v in vals], [])
                columns[path] = [1 if v else 0 for v in vals]
            elif fm.type in NUMERIC_TYPES or fm.type in ("date", "date_nanos"):
                columns[path] = list(vals)
            elif fm.type == "dense_vector":
                vectors[path] = vals[0]
            elif fm.type == "sparse_vector":
                features[path] = _largest_features(vals)
            elif fm.type in ("rank_feature", "rank_features"):
                features[path] = feature_terms(fm, vals)
            elif fm.type == "semantic_text":
                # A replayed write brings the chunks it was embedded with (the model is not asked again).
                chunks[path] = self._embed_chunks(fm, vals) if chunks_given is None else chunks_given[path]
        return _Analyzed(tokens, columns, present, vectors, chunks, features)

    def _embed_chunks(self, fm: FieldMapping, texts: list[str]) -> list[AnyChunk]:
        """Chunk and embed a semantic_text value at ingest, as Elasticsearch's inference does (sparse
        chunks when the field's endpoint is a ``sparse_embedding`` one)."""
        if self.embedder is None:
            raise not_supported("[semantic_text] without an inference service", "create the index through Engine")
        settings = fm.params.get("chunking_settings")
        if sparse_endpoint(self.embedder, fm.params["inference_id"]):
            model = endpoint_vectors(self.embedder, fm.params["inference_id"])
            check_ingest_options(fm.path, fm.params.get("index_options"), model)
            sparse = self.embedder.sparse_embed_chunks(  # type: ignore[attr-defined]
                fm.params["inference_id"], texts, chunking_settings=dict(settings) if settings else None
            )
            return [SparseChunk(c.start, c.end, dict(c.embedding)) for chunk_list in sparse for c in chunk_list]
        per_text = self.embedder.embed_chunks(
            fm.params["inference_id"], texts, chunking_settings=dict(settings) if settings else None
        )
        chunks: list[AnyChunk] = [
            Chunk(c.start, c.end, np.asarray(c.embedding, dtype=np.float32))
            for chunk_list in per_text
            for c in chunk_list
        ]
        # The chunk dense_vector field's own checks, before anything is written.
        model = endpoint_vectors(self.embedder, fm.params["inference_id"])
        check_ingest_options(fm.path, fm.params.get("index_options"), model)
        check_chunk_embeddings([np.asarray(c.embedding) for c in chunks], model)
        return chunks

    def _semantic_writer(self, fm: FieldMapping | None) -> SemanticFieldWriter:
        """A dense semantic_text field's chunk store, shaped by its ``index_options`` and its endpoint's
        similarity and element type."""
        assert fm is not None
        settings = endpoint_vectors(self.embedder, fm.params["inference_id"])
        return SemanticFieldWriter(
            fm.path,
            index_options=_dense_options(fm),
            similarity=settings.similarity if settings is not None else "cosine",
            element_type=settings.element_type if settings is not None else "float",
        )

    def _writer(self, fm: FieldMapping) -> InvertedFieldWriter:
        w = self.inverted.get(fm.path)
        if w is None:
            text = fm.type in ("text", "search_as_you_type")
            w = InvertedFieldWriter(
                fm.path, with_norms=text and fm.norms is not False, with_positions=text, with_freqs=text or None
            )
            self.inverted[fm.path] = w
        return w

    def _vector_writer(self, fm: FieldMapping) -> VectorFieldWriter:
        from retrievo.index.vectors import VectorFieldWriter
        from retrievo.index.vectors.options import effective_index_options

        w = self.vectors.get(fm.path)
        if w is None:
            w = VectorFieldWriter.from_mapping(fm)
            self.vectors[fm.path] = w
        else:
            w.index_options = effective_index_options(fm.index_options)
        return w

    def _column(self, fm: FieldMapping) -> NumericColumnWriter:
        c = self.columns.get(fm.path)
        if c is None:
            c = NumericColumnWriter(fm.path, integer=fm.type in INTEGER_TYPES)
            self.columns[fm.path] = c
        return c

    def index_document(
        self,
        doc_id: str | None,
        source: dict[str, Any],
        op_type: str = "index",
        *,
        chunks: dict[str, list[AnyChunk]] | None = None,
        version: WriteVersion | None = None,
        routing: str | None = None,
    ) -> tuple[str, int, bool, int]:
        """Parse, analyse, log, then store one document; returns (_id, version, created, seq_no).
        ``chunks``: the semantic_text chunks of a replayed write (else they are embedded here);
        ``version``: an external (or replayed) version (``index.versioning``); ``routing``: the shard
        key used instead of the ``_id`` (``index/routing.py``)."""
        with self.lock:
            if doc_id is None:
                doc_id = self.store.next_auto_id()
            self.check_routing(doc_id, routing)
            shard_no = self.shard_number(doc_id, routing)
            if doc_id in self.store.by_id and self.shard_number(doc_id, self.store.routing_of(doc_id)) != shard_no:
                raise not_supported(
                    "the same [_id] on two shards of one index",
                    f"[{doc_id}] already lives on another shard of [{self.name}]: index it with the routing it was "
                    "written with, or delete it first",
                )
            parsed = parse_document(
                self.mappings,
                source,
                doc_id,
                self.settings.mapping_depth_limit,
                self.settings.mapping_total_fields_limit,
            )
            mappings = parsed.new_mappings or self.mappings
            analyzed = self._analyze(parsed.values, mappings, chunks)
            nested_limit = self.settings.mapping_nested_objects_limit
            nested = (
                analyze_nested(parsed.nested, lambda values: self._analyze(values, mappings), nested_limit)
                if parsed.nested
                else ()
            )
            if op_type == "create" and doc_id in self.store.by_id:
                current = self.store.versions[doc_id]
                raise conflict(
                    "version_conflict_engine_exception",
                    f"[{doc_id}]: version conflict, document already exists (current version [{current}])",
                    index_uuid=self.uuid,
                    shard=str(shard_no),
                    index=self.name,
                )
            where = {"index_uuid": self.uuid, "shard": str(shard_no), "index": self.name}
            new_version = next_version(doc_id, self.store.versions.get(doc_id), version, where)
            location = None
            if self.oplog is not None:  # no data directory, no log entry to build
                location = self._log(
                    {
                        "op": "index",
                        "seq_no": self.store.seq_no + 1,
                        "id": doc_id,
                        "version": new_version,
                        "source": source,
                        **({"routing": routing} if routing is not None else {}),
                        **({"inference": _chunks_json(analyzed.chunks)} if analyzed.chunks else {}),
                    }
                )
            # Nothing below can fail on user input: the write is all-or-nothing.
            self.mappings = mappings
            internal, new_version, created = self.store.append(doc_id, source, new_version, routing)
            for path, (terms, positions) in analyzed.tokens.items():
                fm = mappings.field(path) or hidden_field(mappings.field(parent_path(path)), path)
                assert fm is not None
                self._writer(fm).add(internal, terms, positions)
            for path, vals in analyzed.columns.items():
                fm = mappings.field(path)
                assert fm is not None
                self._column(fm).add(internal, vals)
            for path, doc_chunks in analyzed.chunks.items():
                if path in self.sparse_semantic or any(is_sparse_chunk(c) for c in doc_chunks):
                    sparse_writer = self.sparse_semantic.get(path)
                    if sparse_writer is None:
                        sparse_writer = self.sparse_semantic[path] = SparseSemanticFieldWriter(path)
                    sparse_writer.add(internal, [c for c in doc_chunks if isinstance(c, SparseChunk)])
                    continue
                writer = self.semantic.get(path)
                if writer is None:
                    writer = self.semantic[path] = self._semantic_writer(mappings.field(path))
                else:
                    writer.set_index_options(_dense_options(mappings.field(path)))
                writer.add(internal, [c for c in doc_chunks if isinstance(c, Chunk)])
            for path, vector in analyzed.vectors.items():
                fm = mappings.field(path)
                assert fm is not None
                self._vector_writer(fm).add(internal, vector)
            for path, doc_features in analyzed.features.items():
                fm = mappings.field(path)
                assert fm is not None
                add_features(self._writer(fm), internal, doc_features)
            for path in analyzed.present:
                self.presence.setdefault(path, []).append(internal)
            self.nested.add(internal, nested, mappings)
            self._dirty = True
            seq_no = self.store.seq_no
        self._durable(location)
        return doc_id, new_version, created, seq_no

    def rebuild_nested(self) -> None:
        """The nested objects' store rebuilt from the live documents' sources: a data directory does not
        save it (``index/nested.py``), so opening one rebuilds it before the first refresh."""
        with self.lock:
            self.nested = NestedStore()
            if not nested_paths(self.mappings):
                return
            limit = self.settings.mapping_nested_objects_limit
            for internal in np.flatnonzero(self.store.live_mask()).tolist():
                source = self.store.sources[internal]
                if source is None:
                    continue
                parsed = parse_document(self.mappings, source, self.store.ids[internal])
                rows = analyze_nested(parsed.nested, lambda values: self._analyze(values, self.mappings), limit)
                self.nested.add(internal, rows, self.mappings)
            self._dirty = True

    def shard_number(self, doc_id: str, routing: str | None) -> int:
        """The shard ``(doc_id, routing)`` routes to (``index/routing.py``)."""
        if self.settings.number_of_shards == 1:  # the usual case, before ``routing_shards`` is worked out
            return 0
        return shard_for(doc_id, routing, self.settings.number_of_shards, self.settings.routing_shards)

    def check_routing(self, doc_id: str, routing: str | None) -> None:
        """``IndexRouting.checkRoutingRequired``: with ``_routing.required`` in the mappings, a read or
        write of one document that names no routing fails (``RoutingMissingException``, 400)."""
        if routing is None and self.mappings.routing_required:
            raise bad_request(
                "routing_missing_exception",
                f"routing is required for [{self.name}]/[{doc_id}]",
                index_uuid="_na_",
                index=self.name,
            )

    def routes_to_document(self, doc_id: str, routing: str | None) -> bool:
        """Whether a read or write of ``doc_id`` with ``routing`` reaches the shard holding the live
        document: with another routing Elasticsearch asks another shard, which does not have it."""
        if self.settings.number_of_shards == 1 or doc_id not in self.store.by_id:
            return True
        return self.shard_number(doc_id, routing) == self.shard_number(doc_id, self.store.routing_of(doc_id))

    def delete_document(self, doc_id: str, version: WriteVersion | None = None) -> tuple[int | None, int]:
        """Delete one document; returns (its new version or None when absent, seq_no). ``version``: an
        external (or replayed) version, checked against the id's current one (``index.versioning``)."""
        with self.lock:
            location = None
            new_version: int | None = None
            if version is not None:  # a conflict is reported whether or not the document is live
                shard_no = self.shard_number(doc_id, self.store.routing_of(doc_id))
                where = {"index_uuid": self.uuid, "shard": str(shard_no), "index": self.name}
                new_version = next_version(doc_id, self.store.versions.get(doc_id), version, where)
            if doc_id in self.store.by_id:
                if new_version is None:
                    new_version = self.store.versions.get(doc_id, 0) + 1
                op = {"op": "delete", "seq_no": self.store.seq_no + 1, "id": doc_id, "version": new_version}
                location = self._log(op)
            deleted = self.store.delete(doc_id, new_version)
            if deleted is not None:
                self._dirty = True
            seq_no = self.store.seq_no
        self._durable(location)
        return deleted, seq_no

    def put_mappings(self, mappings: Mappings) -> None:
        """Replace the mappings (a put-mapping's merged result), logged like a document write."""
        with self.lock:
            location = self._log({"op": "mappings", "mappings": mappings.to_json()})
            self.mappings = mappings
        self._durable(location)

    def put_settings(self, settings: IndexSettings) -> None:
        """Replace the settings (a put-settings' result), logged like a document write."""
        with self.lock:
            location = self._log({"op": "settings", "settings": settings_values(settings)})
            self.settings = settings
        self._durable(location)

    def _log(self, op: dict[str, Any]) -> Any:
        """Write-ahead: the operation is in the log before it changes anything (under the lock)."""
        return None if self.oplog is None else self.oplog.append(op)

    def _durable(self, location: Any) -> None:
        if self.oplog is not None and location is not None:
            self.oplog.written(location)

    # ------------------------------------------------------------------ reads
    def refresh(self) -> Searcher:
        with self.lock:
            if self._searcher is not None and not self._dirty:
                return self._searcher
            max_doc = self.store.max_doc
            live = self.store.live_mask()
            deletes = self.store.deletes_since_refresh
            inverted = {p: w.refresh(max_doc, live, deletes) for p, w in self.inverted.items()}
            columns = {p: c.refresh(max_doc, live, deletes) for p, c in self.columns.items()}
            vector_fields: dict[str, Any] = {p: w.refresh(max_doc, live, deletes) for p, w in self.vectors.items()}
            vector_fields.update({p: w.refresh(max_doc, live, deletes) for p, w in self.semantic.items()})
            vector_fields.update({p: w.refresh(max_doc, live, deletes) for p, w in self.sparse_semantic.items()})
            presence = {}
            for path, docs in self.presence.items():
                mask = np.zeros(max_doc, dtype=bool)
                mask[np.asarray(docs, dtype=np.int64)] = True
                presence[path] = mask & live
            self.store.deletes_since_refresh = False
            self.generation += 1
            if max_doc > self._published_max_doc:
                self.segments, self._published_max_doc = self.segments + 1, max_doc
            self._dirty = False
            retired = self.store.publish_retired()
            self._searcher = Searcher(
                index_name=self.name,
                max_doc=max_doc,
                live=live,
                ids=self.store.ids,
                by_id=self.store.snapshot_ids(max_doc, live, retired),  # a view, not a copy (index/store.py)
                sources=self.store.sources,
                retired=retired,
                fields=self._field_infos(),
                inverted_fields=inverted,
                numeric_columns=columns,
                presence=presence,
                analyzers=self._find_analyzer,
                date_parser=self._parse_date,
                generation=self.generation,
                vector_fields=vector_fields,
                segments=max(self.segments, 1),
                doc_seq_nos=self.store.doc_seq_nos,
                doc_versions=self.store.doc_versions,
                number_of_shards=self.settings.number_of_shards,
                shard_of=self._shards_of_docs(max_doc),
                doc_routings=self.store.doc_routings,
            )
            self._searcher = replace(self._searcher, objects=object_types(self.mappings))
            if "nested" in self._searcher.objects.values():
                nested = self.nested.refresh(self._searcher, self.mappings, deletes)
                self._searcher = replace(self._searcher, nested=nested)
            if self.on_refresh is not None:
                self.on_refresh(self)
            return self._searcher

    def _shards_of_docs(self, max_doc: int) -> np.ndarray | None:
        """Each internal doc's shard (``None`` with one shard), routed once per document."""
        shards = self.settings.number_of_shards
        if shards == 1:
            return None
        known = self._doc_shards.size
        if known < max_doc:
            ids, routings, space = self.store.ids, self.store.doc_routings, self.settings.routing_shards
            fresh = [shard_for(ids[d], routings.get(d), shards, space) for d in range(known, max_doc)]
            self._doc_shards = np.concatenate([self._doc_shards, np.asarray(fresh, dtype=np.int16)])
        return self._doc_shards[:max_doc]

    def searcher(self) -> Searcher:
        """The latest published snapshot; with automatic refresh on, pending writes are published first."""
        if self.settings.auto_refresh or self._searcher is None:
            return self.refresh()
        return self._searcher

    def _find_analyzer(self, name: str) -> Analyzer | None:
        return self.analysis.get(name) if name in self.analysis else None

    def _field_infos(self) -> dict[str, FieldInfo]:
        infos: dict[str, FieldInfo] = {}
        for fm in self.mappings.leaf_fields():
            analyzer = None
            if fm.type in ("text", "search_as_you_type"):
                analyzer = self.analysis.get(fm.search_analyzer or fm.analyzer or "standard")
                for path, sub_analyzer, _, info in subfield_infos(fm, self.analysis.get):  # index/subfields.py
                    infos[path] = FieldInfo(path, "text", True, sub_analyzer, subfields=info)
            infos[fm.path] = FieldInfo(
                path=fm.path,
                type="text" if fm.type == "search_as_you_type" else fm.type,
                subfields=subfield_info(fm),
                indexed=fm.index,
                search_analyzer=analyzer,
                has_positions=True,
                date_format=getattr(fm, "format", None),
                dims=self._dims(fm),
                inference_id=(fm.params.get("search_inference_id") or fm.params.get("inference_id"))
                if fm.type == "semantic_text"
                else None,
                sparse_options=_sparse_options(fm),
                positive_score_impact=fm.params.get("positive_score_impact", True) is not False,
                source_paths=copy_source_paths(self.mappings, fm),
            )
        return infos

    def _dims(self, fm: FieldMapping) -> int | None:
        if fm.type == "dense_vector":
            return fm.dims
        if fm.type == "semantic_text" and fm.path in self.semantic:
            return self.semantic[fm.path].dims
        return None

    @staticmethod
    def _parse_date(fi: FieldInfo, value: Any, now_millis: int, round_up: bool, fmt: str | None, tz: str | None) -> int:
        formats = fmt or fi.date_format or DEFAULT_DATE_FORMAT
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        return parse_date_math(str(value), now_millis, round_up, formats, tz)

    def inference_ids(self) -> set[str]:
        """Inference endpoints this index's ``semantic_text`` fields depend on."""
        return {fm.params["inference_id"] for fm in self.mappings.leaf_fields() if fm.type == "semantic_text"}


def _largest_features(values: list[dict[str, float]]) -> dict[str, int]:
    """The features of every object given for a sparse_vector field, each at its largest weight (as
    ``SparseVectorFieldMapper.parse`` keeps one ``FeatureField`` per feature), encoded as term frequencies."""
    largest: dict[str, float] = {}
    for value in values:
        for feature, weight in value.items():
            if weight > largest.get(feature, 0.0):
                largest[feature] = weight
    return {feature: encode_feature_value(weight) for feature, weight in largest.items()}


def _dense_options(fm: FieldMapping | None) -> Any:
    """A dense semantic_text field's chunk ``dense_vector`` options (``index_options.dense_vector``)."""
    options = fm.params.get("index_options") if fm is not None else None
    return options.dense if options is not None else None


def _sparse_options(fm: FieldMapping) -> Any:
    """The ``sparse_vector`` index options a field's queries prune with: its own, or for a sparse
    semantic_text field those of its chunk embeddings (``index_options.sparse_vector``)."""
    options = fm.params.get("index_options")
    if fm.type == "sparse_vector":
        return options
    if fm.type == "semantic_text" and options is not None:
        return options.sparse
    return None


def sparse_endpoint(embedder: object, inference_id: str) -> bool:
    """Whether ``inference_id`` is a ``sparse_embedding`` endpoint of the engine's inference registry (its
    ``get``); an unknown endpoint is left to the dense path, which reports it."""
    get = getattr(embedder, "get", None)
    if get is None:
        return False
    try:
        return bool(get(inference_id).task_type == "sparse_embedding")
    except Exception:  # noqa: BLE001 - the embedding call right after words the error
        return False


def _chunk_json(chunk: AnyChunk) -> list[Any]:
    if isinstance(chunk, SparseChunk):
        return [chunk.start, chunk.end, dict(chunk.embedding)]
    return [chunk.start, chunk.end, np.asarray(chunk.embedding, dtype=np.float32).tolist()]


def _chunks_json(chunks: dict[str, list[AnyChunk]]) -> dict[str, list[Any]]:
    """Chunks with their embeddings, as a translog record keeps them (float32 values print exactly; a
    sparse chunk's embedding is its token → weight object)."""
    return {path: [_chunk_json(c) for c in doc_chunks] for path, doc_chunks in chunks.items()}
