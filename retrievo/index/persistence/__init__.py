"""Saving indexes to a directory and loading them back: versioned, checksummed, crash-safe, no pickle.

* :mod:`.manifest` — the one file that says what is current (format version, per-file sha256).
* :mod:`.directory` — :class:`DataDirectory`: open or create, read every index back, commit changes
  (new generation directories, then an atomic manifest swap, then garbage collection).
* :mod:`.shard_codec`, :mod:`.store_codec`, :mod:`.field_codecs`, :mod:`.vector_codecs` — what one
  index's parts look like on disk (JSON, packs of raw numeric arrays, ``.npy``, FAISS's own
  serialisation as raw bytes); a loaded store reads a saved ``_source`` from its file on first use.
* :mod:`.files` — writing files once with fsync and digests, reading them back verified and, when
  large, memory-mapped copy-on-write.
* :mod:`.errors` — Elasticsearch-shaped errors that name the file and the problem.
* :mod:`.translog` — each index's write-ahead log: every write since the index was last saved,
  checksummed and fsynced before it is acknowledged, replayed when the directory is opened.

This package knows indexes only: inference endpoint definitions travel through it as plain JSON
that the engine supplies and gets back.
"""

from retrievo.index.persistence.directory import DataDirectory
from retrievo.index.persistence.manifest import FORMAT, FORMAT_VERSION, MANIFEST_NAME

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST_NAME", "DataDirectory"]
