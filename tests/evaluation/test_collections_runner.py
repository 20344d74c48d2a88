"""The collection loader (BEIR and TREC layouts, malformed files) and ``run_template``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrievo import Engine
from retrievo.errors import BadRequestError
from retrievo.evaluation import BM25_TEMPLATE, Collection, CollectionFormatError, load_collection, run_template

DOCS = [
    {"_id": "d1", "title": "Moon phases", "text": "The moon waxes and wanes over a lunar month."},
    {"_id": "d2", "title": "Solar eclipse", "text": "The moon passes between the sun and the earth."},
    {"_id": "d3", "title": "Sourdough", "text": "Bread from a starter, flour and water."},
    {"_id": "d4", "title": "Tides", "text": "The moon's pull raises tides on the oceans."},
]
QUERIES = {"q1": "moon phases", "q2": "bread starter", "q3": "why is the sky blue"}
QRELS = {"q1": {"d1": 2, "d4": 1, "d3": 0}, "q2": {"d3": 1}}


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def write_beir(root: Path, *, nested_qrels: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    _jsonl(root / "corpus.jsonl", DOCS)
    _jsonl(root / "queries.jsonl", [{"_id": q, "text": t} for q, t in QUERIES.items()])
    lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{r}" for q, rels in QRELS.items() for d, r in rels.items()]
    qrels = root / "qrels" / "test.tsv" if nested_qrels else root / "qrels.tsv"
    qrels.parent.mkdir(exist_ok=True)
    qrels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def write_trec(root: Path, *, topics: str = "tsv") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    _jsonl(root / "docs.jsonl", [{"docno": d["_id"], "title": d["title"], "text": d["text"]} for d in DOCS])
    if topics == "tsv":
        (root / "topics.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in QUERIES.items()), encoding="utf-8")
    else:
        (root / "topics.txt").write_text(
            "".join(
                f"<top>\n<num> Number: {q}\n<title> {t}\n<desc> Description:\nsomething\n</top>\n\n"
                for q, t in QUERIES.items()
            ),
            encoding="utf-8",
        )
    (root / "qrels.txt").write_text(
        "".join(f"{q} 0 {d} {r}\n" for q, rels in QRELS.items() for d, r in rels.items()), encoding="utf-8"
    )
    return root


def test_beir_layout(tmp_path):
    for nested in (True, False):
        collection = load_collection(write_beir(tmp_path / f"beir{nested}", nested_qrels=nested))
        assert collection.corpus == DOCS
        assert collection.queries == QUERIES and collection.qrels == QRELS
        assert collection.judged_query_ids() == ["q1", "q2"]
        assert load_collection(tmp_path / f"beir{nested}", format="beir") == collection


@pytest.mark.parametrize("topics", ["tsv", "sgml"])
def test_trec_layout(tmp_path, topics):
    collection = load_collection(write_trec(tmp_path / "trec", topics=topics))
    assert collection.queries == QUERIES and collection.qrels == QRELS
    assert [d["_id"] for d in collection.corpus] == ["d1", "d2", "d3", "d4"]
    assert collection.corpus[0]["title"] == "Moon phases"
    assert load_collection(tmp_path / "trec", format="trec") == collection


def test_malformed_files_name_the_file_and_line(tmp_path):
    root = write_beir(tmp_path / "bad")
    with (root / "corpus.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"_id": "d5", "text": \n')
    with pytest.raises(CollectionFormatError, match=r"corpus\.jsonl:5: invalid JSON"):
        load_collection(root)
    write_beir(root)
    (root / "qrels" / "test.tsv").write_text("qid\tdoc\trel\nq1\td1\t1\n")
    with pytest.raises(CollectionFormatError, match=r"test\.tsv:1: expected the header"):
        load_collection(root)
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\thigh\n")
    with pytest.raises(CollectionFormatError, match=r"test\.tsv:2: relevance \[high\] is not a number"):
        load_collection(root)
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\n")
    with pytest.raises(CollectionFormatError, match=r"test\.tsv:2: expected 3 columns"):
        load_collection(root)
    write_beir(root)
    _jsonl(root / "queries.jsonl", [{"_id": "q1"}])
    with pytest.raises(CollectionFormatError, match=r"queries\.jsonl:1: query \[q1\] has no \[text\]"):
        load_collection(root)
    write_beir(root)
    _jsonl(root / "corpus.jsonl", DOCS + [DOCS[0]])
    with pytest.raises(CollectionFormatError, match=r"corpus\.jsonl:5: duplicate document id \[d1\]"):
        load_collection(root)
    trec = write_trec(tmp_path / "trec")
    (trec / "qrels.txt").write_text("q1 0 d1 1\nq1 d2 1\n")
    with pytest.raises(CollectionFormatError, match=r"qrels\.txt:2: expected \[qid iteration docid relevance\]"):
        load_collection(trec)
    with pytest.raises(CollectionFormatError, match="cannot tell the format"):
        load_collection(tmp_path)
    with pytest.raises(CollectionFormatError, match="not a directory"):
        load_collection(tmp_path / "nowhere")
    with pytest.raises(ValueError, match=r"unknown collection format \[csv\]"):
        load_collection(trec, format="csv")
    assert issubclass(CollectionFormatError, ValueError)


def test_index_into_creates_loads_refreshes_and_counts(tmp_path):
    collection = load_collection(write_beir(tmp_path / "beir"))
    engine = Engine()
    assert collection.index_into(engine, "docs", batch_size=3) == 4
    assert engine.indices.get_mapping(index="docs")["docs"]["mappings"]["properties"]["title"] == {"type": "text"}
    assert engine.get(index="docs", id="d2")["_source"] == {
        "title": "Solar eclipse",
        "text": "The moon passes between the sun and the earth.",
    }
    assert collection.index_into(engine, "docs") == 4  # existing index: documents overwritten, not duplicated
    with pytest.raises(BadRequestError, match="already exists"):
        collection.index_into(engine, "docs", mappings={"properties": {"text": {"type": "text"}}})
    mapped = Engine()
    assert collection.index_into(mapped, "kw", mappings={"properties": {"title": {"type": "keyword"}}}) == 4
    assert mapped.indices.get_mapping(index="kw")["kw"]["mappings"]["properties"]["title"]["type"] == "keyword"
    with pytest.raises(BadRequestError, match="batch_size"):
        collection.index_into(Engine(), "x", batch_size=0)


def test_run_template_one_request_per_judged_query(tmp_path):
    collection = load_collection(write_trec(tmp_path / "trec"))
    engine = Engine()
    collection.index_into(engine, "docs")
    response = run_template(
        engine, index="docs", template=BM25_TEMPLATE, collection=collection, metric={"dcg": {"k": 3, "normalize": True}}
    )
    assert set(response["details"]) == {"q1", "q2"} and response["failures"] == {}
    q1 = response["details"]["q1"]
    assert q1["hits"][0]["hit"]["_id"] == "d1" and q1["hits"][0]["rating"] == 2
    # the same request written out by hand gives the same response
    by_hand = engine.rank_eval(
        index="docs",
        requests=[
            {
                "id": q,
                "request": {"query": {"multi_match": {"query": QUERIES[q], "fields": ["title", "text"]}}},
                "ratings": [{"_index": "docs", "_id": d, "rating": r} for d, r in QRELS[q].items()],
            }
            for q in ("q1", "q2")
        ],
        metric={"dcg": {"k": 3, "normalize": True}},
    )
    assert by_hand == response
    only = run_template(
        engine, index="docs", template=BM25_TEMPLATE, collection=collection, metric={"precision": {}}, query_ids=["q3"]
    )
    assert set(only["details"]) == {"q3"} and only["details"]["q3"]["metric_score"] == 0.0


def test_query_text_is_json_escaped_into_the_template():
    engine = Engine()
    engine.index(index="docs", id="1", document={"text": 'she said "hello" \\ goodbye'}, refresh=True)
    collection = Collection(corpus=[], queries={"q": 'said "hello" \\\n'}, qrels={"q": {"1": 1}})
    template = {"query": {"match": {"text": {"query": "{{query_string}}", "operator": "and"}}}}
    response = run_template(
        engine, index="docs", template=template, collection=collection, metric={"mean_reciprocal_rank": {}}
    )
    assert response["metric_score"] == 1.0 and response["failures"] == {}


def test_run_template_errors():
    engine = Engine()
    engine.index(index="docs", id="1", document={"text": "x"}, refresh=True)
    collection = Collection(corpus=[], queries={"q": "x"}, qrels={"q": {"1": 1}})
    with pytest.raises(BadRequestError, match="placeholder"):
        run_template(
            engine, index="docs", template={"query": {"match_all": {}}}, collection=collection, metric={"precision": {}}
        )
    with pytest.raises(BadRequestError, match=r"unknown query id\(s\) \['nope'\]"):
        run_template(
            engine,
            index="docs",
            template=BM25_TEMPLATE,
            collection=collection,
            metric={"precision": {}},
            query_ids=["nope"],
        )
    with pytest.raises(BadRequestError) as caught:
        run_template(
            engine, index="docs", template=BM25_TEMPLATE, collection=collection, metric={"precision": {"kk": 1}}
        )
    assert caught.value.body["error"]["caused_by"]["reason"] == "[precision] unknown field [kk]"


def test_hybrid_template_with_query_vector_builder():
    """knn with the packaged MiniLM inside a template: the query text reaches the embedding model."""
    engine = Engine()
    engine.indices.create(
        index="docs",
        mappings={
            "properties": {
                "text": {"type": "text"},
                "vec": {"type": "dense_vector", "dims": 384, "similarity": "cosine"},
            }
        },
    )
    texts = {d["_id"]: d["title"] + ". " + d["text"] for d in DOCS}
    vectors = engine.inference.text_embedding(inference_id=".all-minilm-l6-v2", input=list(texts.values()))
    ops: list[dict] = []
    for (doc_id, text), emb in zip(texts.items(), vectors["text_embedding"]):
        ops += [{"index": {"_index": "docs", "_id": doc_id}}, {"text": text, "vec": emb["embedding"]}]
    engine.bulk(operations=ops, refresh=True)
    collection = Collection(corpus=[], queries={"q": "lunar cycle"}, qrels={"q": {"d1": 1}})
    template = {
        "retriever": {
            "rrf": {
                "retrievers": [
                    {"standard": {"query": {"match": {"text": "{{query_string}}"}}}},
                    {
                        "knn": {
                            "field": "vec",
                            "k": 4,
                            "num_candidates": 4,
                            "query_vector_builder": {
                                "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "{{query_string}}"}
                            },
                        }
                    },
                ]
            }
        }
    }
    knn_only = {
        "knn": {
            "field": "vec",
            "k": 4,
            "num_candidates": 4,
            "query_vector_builder": {
                "text_embedding": {"model_id": ".all-minilm-l6-v2", "model_text": "{{query_string}}"}
            },
        }
    }
    semantic = run_template(
        engine, index="docs", template=knn_only, collection=collection, metric={"mean_reciprocal_rank": {}}
    )
    assert semantic["details"]["q"]["hits"][0]["hit"]["_id"] == "d1"  # no word in common, found by meaning
    hybrid = run_template(
        engine, index="docs", template=template, collection=collection, metric={"mean_reciprocal_rank": {}}
    )
    assert hybrid["failures"] == {} and hybrid["metric_score"] == 1.0
