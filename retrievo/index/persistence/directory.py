"""A data directory: opening it, reading an engine's state out of it, committing changes to it.

Layout::

    DIR/retrievo-manifest.json            what is current (see manifest.py)
    DIR/indices/<index uuid>/<sequence>/   one generation of one index (flat: shard.json, docs.*, field-<n>.*)
    DIR/translog/<index uuid>/translog-<n>.tlog   the writes since that generation (see translog.py)

A commit writes a new generation directory for each changed index (files written once and
fsynced; unchanged files hard-linked from the previous generation), then swaps the manifest
atomically, then deletes generation directories no manifest names any more. A crash or error before
the swap leaves the old manifest and every file it names untouched, so the previous state loads;
the half-written directory is garbage the next commit removes. An index's aliases live in its
manifest entry: changing them is a manifest swap alone, and a new generation keeps them.

Writes between commits live in each index's translog: a commit rolls it while it holds the shard's
lock (so the generation written and the log agree on where one ends and the other begins), records
the new log generation in the manifest entry, and deletes the older log files after the swap.
Reading an index back replays its log past that point.

One engine per directory: each manifest records a token of the engine that wrote it, and a commit
refuses to replace a manifest someone else wrote meanwhile.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import os
import secrets
import shutil
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from retrievo.index.persistence import errors
from retrievo.index.persistence.files import GenerationReader, GenerationWriter, WrittenFile, dump_json, fsync_directory
from retrievo.index.persistence.manifest import MANIFEST_NAME, IndexEntry, Manifest, parse_manifest
from retrievo.index.persistence.shard_codec import read_shard, write_shard
from retrievo.index.persistence.translog import Recovered, Translog, Translogs, recover, replay
from retrievo.index.semantic import ChunkEmbedder
from retrievo.index.shard import Shard
from retrievo.version import __version__

_TMP_PREFIX = ".retrievo-manifest."


class DataDirectory:
    """The on-disk home of one engine's indexes and inference endpoint definitions."""

    def __init__(self, root: Path, manifest: Manifest, manifest_bytes: bytes | None) -> None:
        self.root = root
        self._manifest = manifest
        self._manifest_bytes = manifest_bytes
        self._writer = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._sequence = itertools.count(manifest.max_sequence + 1)
        self._in_progress: set[Path] = set()
        self._reuse: dict[str, dict[str, WrittenFile]] = {}
        #: The open translogs (one per index): see :meth:`open_translog`.
        self.translogs = Translogs(root)
        #: What :meth:`read_indices` found in each index's translog (by uuid), for :meth:`open_translog`.
        self._recovered: dict[str, Recovered] = {}

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool) -> DataDirectory:
        """Open the directory at ``path``. With ``create``, a missing or empty directory becomes an
        empty data directory (its manifest written at once); without, it must hold a saved engine."""
        try:
            root = Path(os.fspath(path)).expanduser().resolve()
        except (TypeError, ValueError, OSError) as failure:
            raise errors.not_a_data_directory(path, f"not a usable path ({failure})") from None
        if root.exists() and not root.is_dir():
            raise errors.not_a_data_directory(root, "it is a file")
        manifest_path = root / MANIFEST_NAME
        if manifest_path.is_file():
            try:
                data = manifest_path.read_bytes()
            except OSError as failure:
                raise errors.corrupt(manifest_path, f"cannot read the manifest: {failure.strerror}") from None
            return cls(root, parse_manifest(manifest_path, data), data)
        if not create:
            raise errors.no_saved_engine(root)
        if root.exists():
            foreign = sorted(
                p.name for p in root.iterdir() if p.name != "indices" and not p.name.startswith(_TMP_PREFIX)
            )
            if foreign:
                raise errors.not_a_data_directory(
                    root, f"it is not empty (it holds [{foreign[0]}]) and has no [{MANIFEST_NAME}]"
                )
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as failure:
            raise errors.cannot_write(root, failure.strerror or str(failure)) from None
        directory = cls(root, Manifest(), None)
        directory.commit()
        return directory

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    # ------------------------------------------------------------------ reading

    def inference_endpoints(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self._manifest.inference_endpoints]

    def search_pipelines(self) -> dict[str, dict[str, Any]]:
        """The OpenSearch search pipeline definitions by id."""
        return {name: dict(d) for name, d in self._manifest.search_pipelines.items()}

    def ml_commons(self) -> dict[str, Any]:
        """OpenSearch ML Commons' saved state (empty when none was saved)."""
        return copy.deepcopy(self._manifest.ml_commons)

    def cluster_settings(self) -> dict[str, str] | None:
        """The persistent cluster settings (``None`` when the manifest predates them: format < 6)."""
        saved = self._manifest.cluster_settings
        return None if saved is None else dict(saved)

    def query_rules(self) -> dict[str, dict[str, Any]]:
        """The query rulesets by id (empty when none was saved)."""
        return copy.deepcopy(self._manifest.query_rules)

    def synonyms(self) -> dict[str, list[dict[str, Any]]]:
        """The synonyms sets by id (empty when none was saved: format < 8)."""
        return copy.deepcopy(self._manifest.synonyms)

    def aliases(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Index name → alias name → the alias's metadata on that index (only indices with aliases)."""
        return {
            name: {alias: dict(meta) for alias, meta in entry.aliases.items()}
            for name, entry in sorted(self._manifest.indices.items())
            if entry.aliases
        }

    def read_indices(self, embedder: ChunkEmbedder | None) -> dict[str, Shard]:
        """Every saved index, verified, restored, its translog replayed, and refreshed (the
        directory is only read: a torn translog tail is cut away by :meth:`open_translog`)."""
        shards: dict[str, Shard] = {}
        for name in sorted(self._manifest.indices):
            entry = self._manifest.indices[name]
            reader = GenerationReader(self.root / entry.dir, entry.files)
            shard = read_shard(reader, embedder)
            if shard.name != name or shard.uuid != entry.uuid:
                raise errors.corrupt(
                    reader.path("shard.json"),
                    f"holds index [{shard.name}/{shard.uuid}], the manifest expects [{name}/{entry.uuid}]",
                )
            self._reuse[shard.uuid] = reader.keys
            log_dir = self.translogs.directory(shard.uuid)
            recovered = recover(log_dir, shard.uuid, entry.translog_generation)
            if replay(shard, recovered.operations):
                shard.refresh()  # as Elasticsearch refreshes after recovery: the replayed writes are searchable
            self._recovered[shard.uuid] = recovered
            shards[name] = shard
        return shards

    def open_translog(self, shard: Shard) -> Translog:
        """Log ``shard``'s writes from now on (a torn tail left by a crash is truncated first)."""
        recovered = self._recovered.pop(shard.uuid, None)
        return self.translogs.open(shard, recovered.torn if recovered is not None else None)

    # ------------------------------------------------------------------ writing

    def commit(
        self,
        *,
        shards: Iterable[Shard] = (),
        drop: Iterable[str] = (),
        endpoints: list[dict[str, Any]] | None = None,
        aliases: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
        only: bool = False,
        pipelines: Mapping[str, Mapping[str, Any]] | None = None,
        ml_commons: Mapping[str, Any] | None = None,
        cluster_settings: Mapping[str, str] | None = None,
        query_rules: Mapping[str, Mapping[str, Any]] | None = None,
        synonyms: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        """Persist ``shards`` (a new generation each), forget the indexes named in ``drop``, replace
        the endpoint definitions when given, and every index's aliases when ``aliases`` (index name
        → alias name → metadata; an index it does not name has none) is given, else keep each
        index's aliases as they were; ``only``: the result holds exactly ``shards``; ``pipelines``, when
        given, replaces the search pipeline definitions, ``ml_commons`` ML Commons' state and ``cluster_settings``
        the persistent cluster settings, ``query_rules`` the query rulesets, ``synonyms`` the synonyms sets."""
        written: dict[str, tuple[IndexEntry, dict[str, WrittenFile]]] = {}
        try:
            for shard in shards:
                written[shard.name] = self._write_shard(shard)
            with self._lock:
                self._swap_manifest(
                    written,
                    set(drop),
                    endpoints,
                    aliases,
                    only,
                    pipelines,
                    ml_commons,
                    cluster_settings,
                    query_rules,
                    synonyms,
                )
        finally:
            with self._lock:
                for entry, _ in written.values():
                    self._in_progress.discard(self.root / entry.dir)
        self._collect_garbage()

    def _write_shard(self, shard: Shard) -> tuple[IndexEntry, dict[str, WrittenFile]]:
        with shard.lock:
            with self._lock:
                sequence = next(self._sequence)
                rel = f"indices/{shard.uuid}/{sequence:08d}"
                target = self.root / rel
                self._in_progress.add(target)
            try:
                if target.exists():  # left by a save that crashed before its manifest swap
                    shutil.rmtree(target)
                translog_generation = self.translogs.roll(shard)
                out = GenerationWriter(target, self._reuse.get(shard.uuid))
                write_shard(out, shard)
                out.finish()
                fsync_directory(target.parent)
                fsync_directory(target.parent.parent)
            except BaseException as failure:
                shutil.rmtree(target, ignore_errors=True)
                with self._lock:
                    self._in_progress.discard(target)
                if isinstance(failure, OSError):
                    raise errors.cannot_write(target, failure.strerror or str(failure)) from None
                raise
            entry = IndexEntry(shard.name, shard.uuid, rel, sequence, dict(out.records), {}, translog_generation)
            return entry, dict(out.keys)

    def _swap_manifest(
        self,
        written: Mapping[str, tuple[IndexEntry, dict[str, WrittenFile]]],
        drop: set[str],
        endpoints: list[dict[str, Any]] | None,
        aliases: Mapping[str, Mapping[str, Mapping[str, Any]]] | None,
        only: bool,
        pipelines: Mapping[str, Mapping[str, Any]] | None = None,
        ml_commons: Mapping[str, Any] | None = None,
        cluster_settings: Mapping[str, str] | None = None,
        query_rules: Mapping[str, Mapping[str, Any]] | None = None,
        synonyms: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        path = self.root / MANIFEST_NAME
        try:
            on_disk: bytes | None = path.read_bytes()
        except FileNotFoundError:
            on_disk = None
        if on_disk != self._manifest_bytes:
            raise errors.concurrent_writer(self.root)
        current = self._manifest
        indices = {} if only else {n: e for n, e in current.indices.items() if n not in drop}
        accepted: set[str] = set()
        for name, (entry, _) in written.items():
            old = indices.get(name)
            if old is None or old.uuid != entry.uuid or old.sequence < entry.sequence:
                before = current.indices.get(name)  # a new generation keeps the index's aliases
                kept = before.aliases if before is not None and before.uuid == entry.uuid else {}
                indices[name] = dataclasses.replace(entry, aliases=kept)
                accepted.add(name)
        if aliases is not None:
            for name, entry in indices.items():
                wanted = {a: dict(meta) for a, meta in aliases.get(name, {}).items()}
                if wanted != entry.aliases:
                    indices[name] = dataclasses.replace(entry, aliases=wanted)
        manifest = Manifest(
            generation=current.generation + 1,
            writer=self._writer,
            indices=indices,
            inference_endpoints=current.inference_endpoints if endpoints is None else endpoints,
            retrievo_version=__version__,
            search_pipelines=(
                current.search_pipelines if pipelines is None else {n: dict(d) for n, d in pipelines.items()}
            ),
            ml_commons=current.ml_commons if ml_commons is None else copy.deepcopy(dict(ml_commons)),
            cluster_settings=((current.cluster_settings or {}) if cluster_settings is None else dict(cluster_settings)),
            query_rules=(
                current.query_rules
                if query_rules is None
                else {n: copy.deepcopy(dict(d)) for n, d in query_rules.items()}
            ),
            synonyms=current.synonyms if synonyms is None else {n: copy.deepcopy(r) for n, r in synonyms.items()},
        )
        data = dump_json(manifest.to_json())
        tmp = self.root / f"{_TMP_PREFIX}{secrets.token_hex(6)}.tmp"
        try:
            with open(tmp, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            fsync_directory(self.root)
        except OSError as failure:
            try:
                tmp.unlink()
            except OSError:
                pass
            raise errors.cannot_write(path, failure.strerror or str(failure)) from None
        self._manifest, self._manifest_bytes = manifest, data
        for entry in indices.values():  # the log the manifest's generations hold is no longer needed
            self.translogs.trim(entry.uuid, entry.translog_generation)
        self.translogs.close_logs({e.uuid for e in current.indices.values()} - {e.uuid for e in indices.values()})
        for name, (entry, keys) in written.items():
            if name in accepted:
                self._reuse[entry.uuid] = keys
        live_uuids = {e.uuid for e in indices.values()}
        for uuid in list(self._reuse):
            if uuid not in live_uuids:
                del self._reuse[uuid]

    def _collect_garbage(self) -> None:
        """Delete generation directories the manifest no longer names (best effort: a file still
        mapped elsewhere may refuse on some platforms; the next commit tries again). Runs under the
        lock, so a generation being written (registered under the same lock) is never taken."""
        with self._lock:
            self._collect_garbage_locked()

    def _collect_garbage_locked(self) -> None:
        keep = {self.root / e.dir for e in self._manifest.indices.values()} | set(self._in_progress)
        self.translogs.collect({e.uuid for e in self._manifest.indices.values()} | {p.parent.name for p in keep})
        base = self.root / "indices"
        if base.is_dir():
            for index_dir in base.iterdir():
                if not index_dir.is_dir():
                    continue
                for generation in index_dir.iterdir():
                    if generation not in keep:
                        shutil.rmtree(generation, ignore_errors=True)
                if not any(p.parent == index_dir for p in keep):
                    try:
                        index_dir.rmdir()
                    except OSError:
                        pass
        for stale in self.root.glob(f"{_TMP_PREFIX}*"):
            try:
                stale.unlink()
            except OSError:
                pass
