"""Test collections on disk -> :class:`Collection` (documents, queries, relevance judgements).

Two layouts are read, the two that public IR collections are usually shipped in:

* **BEIR**: a directory with ``corpus.jsonl`` (``_id``, ``title``, ``text``), ``queries.jsonl``
  (``_id``, ``text``) and ``qrels/test.tsv`` or ``qrels.tsv`` -- tab-separated with the header
  ``query-id  corpus-id  score`` (``doc-id`` / ``relevance`` are accepted as column names too, as
  some converted collections use them).
* **TREC**: a directory with a corpus JSONL (``corpus.jsonl``, ``docs.jsonl`` or
  ``documents.jsonl``; the id under ``_id``, ``docno``, ``doc_id`` or ``id``), topics (``queries.jsonl``,
  ``topics.tsv`` / ``queries.tsv`` as ``qid<TAB>text``, or classic SGML ``topics.txt`` with
  ``<top> <num> <title>``) and a qrels file (``qrels.txt``, ``qrels`` or ``*.qrels``) with lines
  ``qid iteration docid relevance``.

A malformed file raises :class:`CollectionFormatError` (a ``ValueError``) naming the file and the
line, since the person who gets it has to go and fix that line. Nothing here touches an index
until :meth:`Collection.index_into` is called.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("beir", "trec")

#: The mapping :meth:`Collection.index_into` creates when it is given none: the two text fields
#: every BEIR corpus has, analysed with the standard analyzer; other fields map dynamically.
DEFAULT_MAPPINGS: dict[str, Any] = {"properties": {"title": {"type": "text"}, "text": {"type": "text"}}}

_CORPUS_NAMES = ("corpus.jsonl", "docs.jsonl", "documents.jsonl")
_DOC_ID_KEYS = ("_id", "docno", "doc_id", "id")
_QUERY_ID_KEYS = ("_id", "qid", "query_id", "id")
_TREC_QRELS_NAMES = ("qrels.txt", "qrels")
_QREL_DOC_COLUMNS = ("corpus-id", "doc-id", "docid", "doc_id")
_QREL_SCORE_COLUMNS = ("score", "relevance", "rel")


class CollectionFormatError(ValueError):
    """A collection file that cannot be read; the message names the file and the line."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass
class Collection:
    """Documents (each a dict with ``_id`` and its fields), query texts by id, and judgements
    ``qrels[query_id][doc_id] = rating`` (integers, as ``_rank_eval`` ratings are)."""

    corpus: list[dict[str, Any]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    name: str = field(default="", compare=False)

    def judged_query_ids(self) -> list[str]:
        """Queries with at least one judgement, in the order the queries file lists them."""
        return [qid for qid in self.queries if self.qrels.get(qid)]

    def index_into(
        self, engine: Any, index: str, *, mappings: dict[str, Any] | None = None, batch_size: int = 500
    ) -> int:
        """Load the corpus into ``index`` and refresh; returns the number of documents the index holds.

        A missing index is created with ``mappings`` (default :data:`DEFAULT_MAPPINGS`); asking for
        ``mappings`` on an index that already exists is an error rather than silently ignored.
        A bulk item that fails stops the load with that item's Elasticsearch error."""
        from retrievo.errors import api_error, illegal_argument

        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise illegal_argument(f"[batch_size] must be a positive integer, found [{batch_size}]")
        if mappings is not None or not engine.indices.exists(index=index):
            engine.indices.create(index=index, mappings=mappings if mappings is not None else DEFAULT_MAPPINGS)
        for start in range(0, len(self.corpus), batch_size):
            operations: list[dict[str, Any]] = []
            for doc in self.corpus[start : start + batch_size]:
                source = {k: v for k, v in doc.items() if k != "_id"}
                operations += [{"index": {"_index": index, "_id": doc["_id"]}}, source]
            response = engine.bulk(operations=operations)
            if response["errors"]:
                failed = next(
                    next(iter(item.values())) for item in response["items"] if "error" in next(iter(item.values()))
                )
                error = failed["error"]
                raise api_error(
                    error["type"],
                    f"loading document [{failed['_id']}] into [{index}]: {error['reason']}",
                    status=failed.get("status", 400),
                )
        engine.indices.refresh(index=index)
        return int(engine.count(index=index)["count"])


# ---------------------------------------------------------------------------------------------- reading


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                raise CollectionFormatError(path, number, f"invalid JSON: {e.msg} (column {e.colno})") from None
            if not isinstance(value, dict):
                raise CollectionFormatError(path, number, f"expected a JSON object, found {type(value).__name__}")
            yield number, value


def _id_of(path: Path, number: int, record: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != "":
            return str(value)
    raise CollectionFormatError(path, number, f"no id: expected one of {list(keys)} as a non-empty string")


def read_corpus(path: Path) -> list[dict[str, Any]]:
    """A JSONL corpus; every document keeps its fields and gets its id under ``_id``."""
    docs: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, record in _json_lines(path):
        doc_id = _id_of(path, number, record, _DOC_ID_KEYS)
        if doc_id in seen:
            raise CollectionFormatError(
                path, number, f"duplicate document id [{doc_id}] (first on line {seen[doc_id]})"
            )
        seen[doc_id] = number
        docs.append({"_id": doc_id, **{k: v for k, v in record.items() if k != "_id"}})
    if not docs:
        raise CollectionFormatError(path, None, "the corpus has no documents")
    return docs


def read_queries_jsonl(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    for number, record in _json_lines(path):
        qid = _id_of(path, number, record, _QUERY_ID_KEYS)
        text = record.get("text", record.get("query", record.get("title")))
        if not isinstance(text, str) or not text.strip():
            raise CollectionFormatError(path, number, f"query [{qid}] has no [text]")
        if qid in queries:
            raise CollectionFormatError(path, number, f"duplicate query id [{qid}]")
        queries[qid] = text
    return queries


def read_queries_tsv(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t", 1)
            if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                raise CollectionFormatError(path, number, "expected [query id<TAB>query text]")
            queries[parts[0].strip()] = parts[1].strip()
    return queries


_TOP = re.compile(r"<top>(.*?)</top>", re.S | re.I)
_NUM = re.compile(r"<num>\s*(?:Number:)?\s*(\S+)", re.I)
_TITLE = re.compile(r"<title>\s*(?:Topic:)?\s*(.*?)\s*(?=<[a-z]+>|</top>|$)", re.S | re.I)


def read_topics_sgml(path: Path) -> dict[str, str]:
    """Classic TREC topics: ``<top> <num> Number: 301 <title> ... </top>``; the title is the query."""
    text = path.read_text(encoding="utf-8")
    queries: dict[str, str] = {}
    for match in _TOP.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        num, title = _NUM.search(match.group(1)), _TITLE.search(match.group(1))
        if num is None or title is None or not title.group(1).strip():
            raise CollectionFormatError(path, line, "topic without <num> or <title>")
        queries[num.group(1)] = " ".join(title.group(1).split())
    if not queries:
        raise CollectionFormatError(path, None, "no <top> ... </top> topics found")
    return queries


def _rating(path: Path, number: int, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise CollectionFormatError(path, number, f"relevance [{text}] is not a number") from None
        if value != int(value):
            raise CollectionFormatError(
                path, number, f"relevance [{text}] is not an integer (_rank_eval ratings are integers)"
            ) from None
        return int(value)


def read_beir_qrels(path: Path) -> dict[str, dict[str, int]]:
    """BEIR qrels: a header ``query-id  corpus-id  score`` then one judgement per line."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        header = handle.readline()
        columns = header.strip().split("\t") if "\t" in header else header.split()
        if (
            len(columns) != 3
            or columns[0] != "query-id"
            or columns[1] not in _QREL_DOC_COLUMNS
            or columns[2] not in _QREL_SCORE_COLUMNS
        ):
            raise CollectionFormatError(
                path, 1, f"expected the header [query-id<TAB>corpus-id<TAB>score], found [{header.strip()}]"
            )
        for number, line in enumerate(handle, 2):
            if not line.strip():
                continue
            parts = line.strip().split("\t") if "\t" in line else line.split()
            if len(parts) != 3:
                raise CollectionFormatError(path, number, f"expected 3 columns, found {len(parts)}")
            qrels.setdefault(parts[0], {})[parts[1]] = _rating(path, number, parts[2])
    return qrels


def read_trec_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels: ``qid iteration docid relevance`` per line, whitespace-separated."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 4:
                raise CollectionFormatError(
                    path, number, f"expected [qid iteration docid relevance], found {len(parts)} columns"
                )
            qrels.setdefault(parts[0], {})[parts[2]] = _rating(path, number, parts[3])
    return qrels


# ---------------------------------------------------------------------------------------------- layouts


def _beir_qrels_path(root: Path) -> Path | None:
    for candidate in (root / "qrels" / "test.tsv", root / "qrels.tsv"):
        if candidate.is_file():
            return candidate
    return None


def _trec_qrels_path(root: Path) -> Path | None:
    for name in _TREC_QRELS_NAMES:
        if (root / name).is_file():
            return root / name
    found = sorted(root.glob("*.qrels"))
    return found[0] if found else None


def _first(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_file()), None)


def detect_format(root: Path) -> str:
    """``beir`` when a BEIR qrels file is there, ``trec`` when a TREC qrels file is."""
    if _beir_qrels_path(root) is not None:
        return "beir"
    if _trec_qrels_path(root) is not None:
        return "trec"
    raise CollectionFormatError(
        root,
        None,
        "cannot tell the format: no qrels/test.tsv or qrels.tsv (BEIR) and no qrels.txt, qrels or *.qrels (TREC)",
    )


def _load_beir(root: Path) -> Collection:
    corpus_path = root / "corpus.jsonl"
    queries_path = root / "queries.jsonl"
    qrels_path = _beir_qrels_path(root)
    for needed in (corpus_path, queries_path):
        if not needed.is_file():
            raise CollectionFormatError(
                needed, None, "missing (a BEIR collection needs corpus.jsonl, queries.jsonl and qrels/test.tsv)"
            )
    if qrels_path is None:
        raise CollectionFormatError(root / "qrels" / "test.tsv", None, "missing (nor is there a qrels.tsv)")
    return Collection(
        read_corpus(corpus_path), read_queries_jsonl(queries_path), read_beir_qrels(qrels_path), name=root.name
    )


def _load_trec(root: Path) -> Collection:
    corpus_path = _first(root, _CORPUS_NAMES)
    if corpus_path is None:
        raise CollectionFormatError(root, None, f"no corpus: expected one of {list(_CORPUS_NAMES)}")
    qrels_path = _trec_qrels_path(root)
    if qrels_path is None:
        raise CollectionFormatError(root, None, "no qrels: expected qrels.txt, qrels or a *.qrels file")
    if (root / "queries.jsonl").is_file():
        queries = read_queries_jsonl(root / "queries.jsonl")
    elif (tsv := _first(root, ("topics.tsv", "queries.tsv"))) is not None:
        queries = read_queries_tsv(tsv)
    elif (sgml := _first(root, ("topics.txt", "topics"))) is not None:
        queries = read_topics_sgml(sgml)
    else:
        raise CollectionFormatError(
            root, None, "no topics: expected queries.jsonl, topics.tsv, queries.tsv or topics.txt"
        )
    return Collection(read_corpus(corpus_path), queries, read_trec_qrels(qrels_path), name=root.name)


def load_collection(path: str | Path, *, format: str | None = None) -> Collection:
    """Read the collection in directory ``path``; ``format`` is ``"beir"``, ``"trec"`` or ``None``
    (detected from the qrels file present)."""
    root = Path(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown collection format [{format}]; expected one of {list(FORMATS)} or None")
    if not root.is_dir():
        raise CollectionFormatError(root, None, "not a directory (a collection is a directory of files)")
    kind = format or detect_format(root)
    return _load_beir(root) if kind == "beir" else _load_trec(root)
