"""The ``retrievo`` command line end to end: each command runs in its own process
(``python -m retrievo``) against a real data directory, so what one process indexes another one
searches (persistence), and outputs are checked against the library run in this process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine
from retrievo.cli import main
from retrievo.planner.rules import RULE_NAMES

BOOKS = [
    {"isbn": "b1", "title": "The Left Hand of Darkness", "genre": "scifi", "year": 1969},
    {"isbn": "b2", "title": "The Dispossessed", "genre": "scifi", "year": 1974},
    {"isbn": "b3", "title": "A Wizard of Earthsea", "genre": "fantasy", "year": 1968},
    {"isbn": "b4", "title": "Darkness at Noon", "genre": "novel", "year": 1940},
]
CSV_ROWS = 'isbn,title,genre,year\nb5,"Dark Matter, a novel",scifi,2016\nb6,The Dark Forest,scifi,\n'
CSV_DOCS = [
    {"isbn": "b5", "title": "Dark Matter, a novel", "genre": "scifi", "year": "2016"},
    {"isbn": "b6", "title": "The Dark Forest", "genre": "scifi"},
]
MAPPING = {
    "properties": {
        "title": {"type": "text"},
        "genre": {"type": "keyword"},
        "year": {"type": "integer"},
        "isbn": {"type": "keyword"},
    }
}


def cli(*args: str, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m retrievo ARGS`` in a fresh process (kept to the tests that need one: a process
    start costs about a second)."""
    argv = [sys.executable, "-m", "retrievo", *args]
    if data is not None:
        argv += ["--data", str(data)]
    env = {k: v for k, v in os.environ.items() if k != "RETRIEVO_DATA"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """``main(ARGS)`` in this process (the same code path, without a process start): exit status,
    stdout and stderr."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def error_body(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The Elasticsearch-shaped error a failed command printed (its last stderr line)."""
    assert "Traceback" not in result.stderr
    return json.loads(result.stderr.strip().splitlines()[-1])


def reference_engine() -> Engine:
    """The same index built with the library in this process."""
    engine = Engine()
    engine.indices.create(index="books", mappings=MAPPING)
    for doc in BOOKS + CSV_DOCS:
        engine.index(index="books", id=doc["isbn"], document=doc)
    engine.indices.refresh(index="books")
    return engine


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with [books], loaded by ``retrievo index`` from a JSONL and a CSV file."""
    root = tmp_path_factory.mktemp("cli")
    (root / "books.jsonl").write_text("".join(json.dumps(d) + "\n" for d in BOOKS))
    (root / "more.csv").write_text(CSV_ROWS)
    (root / "mapping.json").write_text(json.dumps(MAPPING))
    data = root / "data"
    result = cli(
        "index",
        "books",
        "--mapping",
        str(root / "mapping.json"),
        "--id-field",
        "isbn",
        str(root / "books.jsonl"),
        str(root / "more.csv"),
        data=data,
    )
    assert result.returncode == 0, result.stderr
    assert "indexed 6 of 6 document(s) into [books]; it now holds 6 document(s)" in result.stdout
    return data


# --------------------------------------------------------------------------------------- index + search


def test_search_in_another_process_sees_the_indexed_documents(books: Path) -> None:
    body = {"query": {"match": {"title": "dark darkness"}}}
    result = cli("search", "books", json.dumps(body), "--json", data=books)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    expected = reference_engine().search(index="books", body=body)
    got = [(h["_id"], h["_score"], h["_source"]) for h in response["hits"]["hits"]]
    assert got == [(h["_id"], h["_score"], h["_source"]) for h in expected["hits"]["hits"]]
    assert [h["_id"] for h in response["hits"]["hits"]] == ["b4", "b6", "b5", "b1"]
    assert response["hits"]["hits"][2]["_source"] == CSV_DOCS[0]  # CSV cells stay strings


def test_search_table_with_query_shortcut_and_show(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "search", "books", "-q", "darkness", "--show", "title,year", "--size", "1", "--data", books
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["rank", "_id", "_score", "title", "year"]
    score = reference_engine().search(
        index="books", body={"query": {"multi_match": {"query": "darkness", "fields": ["title"]}}}
    )["hits"]["hits"][0]["_score"]
    assert lines[2].split() == ["1", "b4", f"{score:.6g}", "Darkness", "at", "Noon", "1940"]
    assert lines[3] == "1 hit(s) shown of 2, took " + lines[3].split("took ")[1]


def test_search_body_from_file_and_stdin(
    books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"query": {"term": {"genre": "fantasy"}}}
    (tmp_path / "q.json").write_text(json.dumps(body))
    code, out, err = run(capsys, "search", "books", f"@{tmp_path / 'q.json'}", "--json", "--data", books)
    assert code == 0, err
    assert [h["_id"] for h in json.loads(out)["hits"]["hits"]] == ["b3"]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(body)))
    code, out, err = run(capsys, "search", "books", "-", "--json", "--data", books)
    assert code == 0, err
    assert [h["_id"] for h in json.loads(out)["hits"]["hits"]] == ["b3"]


def test_search_with_esql(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = (
        'FROM books METADATA _id, _score | WHERE MATCH(title, "dark") | SORT _score DESC | KEEP _id, _score | LIMIT 5'
    )
    result = cli("search", "--esql", query, "--json", data=books)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert response == {**reference_engine().esql.query(query=query), "took": response["took"]}
    assert [row[0] for row in response["values"]] == ["b6", "b5"]
    code, out, _ = run(capsys, "search", "--esql", query, "--data", books)
    assert code == 0
    assert out.splitlines()[0].split() == ["_id", "_score"]
    assert out.splitlines()[2].split()[0] == "b6"


def test_data_directory_from_the_environment(
    books: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETRIEVO_DATA", str(books))
    code, out, err = run(capsys, "search", "books", "-q", "earthsea", "--json")
    assert code == 0, err
    assert [h["_id"] for h in json.loads(out)["hits"]["hits"]] == ["b3"]


def test_index_reports_failed_documents_and_keeps_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps({"id": "1", "n": 1}),
        "{not json",
        json.dumps({"id": "2", "n": "many"}),
        json.dumps([1, 2]),
        json.dumps({"n": 3}),
    ]
    (tmp_path / "docs.ndjson").write_text("\n".join(lines) + "\n")
    mapping = json.dumps({"properties": {"n": {"type": "integer"}}})
    data = tmp_path / "data"
    code, out, err = run(
        capsys, "index", "nums", "--mapping", mapping, "--id-field", "id", tmp_path / "docs.ndjson", "--data", data
    )
    assert code == 1
    assert "indexed 1 of 5 document(s) into [nums]; it now holds 1 document(s)" in out
    failures = err.splitlines()
    assert failures[0] == "4 document(s) failed; the first 4:"
    assert failures[1].startswith(f"  {tmp_path / 'docs.ndjson'}:2: x_content_parse_exception: [1:2] ")
    assert failures[2].startswith(f"  {tmp_path / 'docs.ndjson'}:3: document_parsing_exception: ")
    assert "failed to parse field [n] of type [integer]" in failures[2]
    assert failures[3].endswith(":4: parsing_exception: a document must be a JSON object, found [list]")
    assert failures[4].endswith(":5: illegal_argument_exception: the document has no [id] field to take its _id from")
    stored = Engine.load(data).get(index="nums", id="1")
    assert stored["_source"] == {"id": "1", "n": 1}


def test_index_progress_bar_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs.json").write_text(json.dumps([{"title": f"doc {i}"} for i in range(7)]))
    code, out, err = run(
        capsys, "index", "docs", tmp_path / "docs.json", "--progress", "--batch-size", "3", "--data", tmp_path / "data"
    )
    assert code == 0, err
    assert "indexed 7 of 7 document(s) into [docs]" in out
    final = err.rstrip("\n").split("\r")[-1]
    assert final.startswith("index docs [########################] 100%  7 docs  ")
    code, _, err = run(capsys, "index", "docs", tmp_path / "docs.json", "--data", tmp_path / "data")
    assert code == 0 and err == ""  # no bar when stderr is not a terminal


def test_index_adds_to_an_existing_index_but_refuses_a_new_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    (tmp_path / "a.jsonl").write_text(json.dumps({"title": "one"}) + "\n")
    (tmp_path / "b.tsv").write_text("title\ttag\ntwo\tx\n")
    assert run(capsys, "index", "more", tmp_path / "a.jsonl", "--data", data)[0] == 0
    code, out, err = run(capsys, "index", "more", tmp_path / "b.tsv", "--data", data)
    assert code == 0, err
    assert "it now holds 2 document(s)" in out
    code, _, err = run(capsys, "index", "more", "--mapping", "{}", tmp_path / "a.jsonl", "--data", data)
    assert code == 1
    assert json.loads(err)["error"]["type"] == "resource_already_exists_exception"
    assert Engine.load(data).get(
        index="more",
        id=Engine.load(data).search(index="more", body={"query": {"match": {"tag": "x"}}})["hits"]["hits"][0]["_id"],
    )["_source"] == {"title": "two", "tag": "x"}


# --------------------------------------------------------------------------------------- explain


def test_explain_with_a_rule_disabled(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps({"query": {"bool": {"must": [{"match": {"title": "darkness"}}]}}})
    no = cli("explain", "books", body, "--no-unwrap-single-clause", data=books)
    assert no.returncode == 0, no.stderr
    code, on, _ = run(capsys, "explain", "books", body, "--data", books)
    assert code == 0
    code, off, _ = run(capsys, "explain", "books", body, "--disable", "unwrap_single_clause", "--data", books)
    assert code == 0
    assert "LOGICAL PLAN" in on and "PHYSICAL PLAN" in on
    assert "disabled:" not in on
    assert "disabled: unwrap_single_clause" in off
    assert off == no.stdout
    plan = reference_engine().plan(index="books", body=body)
    assert on == plan.explain() + "\n"
    assert off == plan.explain(unwrap_single_clause=False) + "\n"
    assert on != off
    code, as_json, _ = run(
        capsys, "explain", "books", body, "--disable", "unwrap_single_clause", "--json", "--data", books
    )
    assert json.loads(as_json)["disabled_rules"] == ["unwrap_single_clause"]


def test_explain_esql_and_rule_list(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    esql = 'FROM books METADATA _score | WHERE MATCH(title, "dark") | LIMIT 3'
    code, out, err = run(capsys, "explain", "--esql", esql, "--unoptimized", "--data", books)
    assert code == 0, err
    assert out.startswith("Plan(index=books)")
    assert "disabled: " + ", ".join(RULE_NAMES) in out
    code, out, _ = run(capsys, "explain", "--list-rules")
    assert code == 0
    assert [line.strip() for line in out.splitlines() if line.startswith("  ")] == list(RULE_NAMES)


def test_explain_rejects_an_unknown_rule(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "books", "-q", "x", "--disable", "prune_window", "--data", str(books)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("retrievo explain: error: unknown rule [prune_window] did you mean [prune_windows]?")
    assert "valid rules: " + ", ".join(RULE_NAMES) in err
    assert main(["explain", "books", "--no-such-rule", "--data", str(books)]) == 2
    assert "unknown rule [such-rule]" in capsys.readouterr().err


# --------------------------------------------------------------------------------------- errors


def test_unknown_index_is_an_elasticsearch_error(books: Path) -> None:
    result = cli("search", "nope", "-q", "x", data=books)
    assert result.returncode == 1
    body = error_body(result)
    assert body["status"] == 404
    assert body["error"]["type"] == "index_not_found_exception"
    assert body["error"]["reason"] == "no such index [nope]"


def test_bad_json_names_the_source_and_position(
    books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text('{\n  "query": {"match_all": {}},\n  oops\n}\n')
    result = cli("search", "books", f"@{tmp_path / 'bad.json'}", data=books)
    assert result.returncode == 1
    body = error_body(result)
    assert body["status"] == 400
    assert body["error"]["type"] == "x_content_parse_exception"
    assert body["error"]["reason"] == (
        f"[3:3] Malformed JSON in [{tmp_path / 'bad.json'}]: Expecting property name enclosed in double quotes"
    )
    code, _, err = run(capsys, "search", "books", '{"query": ', "--data", books)
    assert code == 1
    inline = json.loads(err)
    assert inline["error"]["reason"] == "[1:11] Malformed JSON in the search body argument: Expecting value"


def test_engine_validation_error_is_printed_not_raised(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "books", '{"query": {"match": {"title": {"qurey": "x"}}}}', "--data", books)
    assert code == 1
    body = json.loads(err)
    assert body["status"] == 400
    assert body["error"]["type"] == "parsing_exception"
    assert "[match] query does not support [qurey]" in body["error"]["reason"]


def test_missing_files_are_usage_errors(books: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.json"
    code, _, err = run(capsys, "search", "books", f"@{missing}", "--data", books)
    assert code == 2
    assert err == f"retrievo search: error: cannot read [{missing}]: no such file\n"
    assert main(["index", "x", str(tmp_path / "gone.jsonl"), "--data", str(tmp_path / "d")]) == 2
    assert capsys.readouterr().err == f"retrievo index: error: cannot read [{tmp_path / 'gone.jsonl'}]: no such file\n"
    assert not (tmp_path / "d").exists()  # nothing created before the inputs were checked
    assert main(["index", "x", str(tmp_path), "--format", "jsonl", "--data", str(tmp_path / "d")]) == 2
    assert "it is a directory" in capsys.readouterr().err
    (tmp_path / "docs.xml").write_text("<doc/>")
    assert main(["index", "x", str(tmp_path / "docs.xml"), "--data", str(tmp_path / "d")]) == 2
    assert "cannot tell the format from the extension [.xml]" in capsys.readouterr().err


def test_searching_a_missing_data_directory_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "books", "--data", tmp_path / "nowhere")
    assert code == 1
    assert json.loads(err)["error"]["type"] == "resource_not_found_exception"
    assert not (tmp_path / "nowhere").exists()


def test_conflicting_options_are_usage_errors(books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data", str(books)]
    assert main(["search", "books", '{"size": 3}', "--size", "2", *d]) == 2
    assert "--size cannot be combined with a BODY that has [size]" in capsys.readouterr().err
    assert main(["search", "books", '{"query": {"match_all": {}}}', "-q", "x", *d]) == 2
    assert main(["search", "books", "--esql", "FROM books", *d]) == 2
    assert "search --esql takes no NAME" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["search", "books", "--bogus"])
    assert exited.value.code == 2


# --------------------------------------------------------------------------------------- help


@pytest.mark.parametrize("command", ["index", "search", "explain", "eval"])
def test_help_of_each_command_has_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: retrievo {command} ")
    assert "examples:" in out and f"  retrievo {command} " in out
    assert "--data DIR" in out


def test_python_dash_m_help() -> None:
    result = cli("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: retrievo ")
    for command in ("index", "search", "explain", "eval"):
        assert f"    {command} " in result.stdout


# --------------------------------------------------------------------------------------- eval

CORPUS = [
    {"_id": "d1", "title": "Vitamin D", "text": "vitamin d deficiency causes bone loss"},
    {"_id": "d2", "title": "Sleep", "text": "sleep deprivation impairs memory"},
    {"_id": "d3", "title": "Coffee", "text": "coffee consumption and heart disease risk"},
    {"_id": "d4", "title": "Bones", "text": "calcium and vitamin d for bone health"},
]
QUERIES = [
    {"_id": "q1", "text": "vitamin d bone"},
    {"_id": "q2", "text": "memory and sleep"},
    {"_id": "q3", "text": "heart coffee"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td4\t2\nq1\td1\t1\nq2\td2\t1\nq3\td1\t1\n"
TEMPLATE = {"query": {"match": {"text": "{{query_string}}"}}}


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    root = tmp_path / "SciTiny"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in CORPUS))
    (root / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    (root / "qrels" / "test.tsv").write_text(QRELS)
    return root


def expected_rank_eval(metric: dict[str, Any]) -> dict[str, Any]:
    """The same evaluation through the library's ``rank_eval`` in this process."""
    engine = Engine()
    engine.indices.create(
        index="scitiny", mappings={"properties": {"title": {"type": "text"}, "text": {"type": "text"}}}
    )
    for doc in CORPUS:
        engine.index(index="scitiny", id=doc["_id"], document={k: v for k, v in doc.items() if k != "_id"})
    engine.indices.refresh(index="scitiny")
    qrels = [line.split("\t") for line in QRELS.splitlines()[1:]]
    requests = [
        {
            "id": q["_id"],
            "request": {"query": {"match": {"text": q["text"]}}},
            "ratings": [{"_index": "scitiny", "_id": d, "rating": int(r)} for qid, d, r in qrels if qid == q["_id"]],
        }
        for q in QUERIES
    ]
    return engine.rank_eval(index="scitiny", body={"requests": requests, "metric": metric})


def test_eval_on_a_beir_collection(collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    template = tmp_path / "template.json"
    template.write_text(json.dumps(TEMPLATE))
    result = cli("eval", str(collection), "--template", str(template), "--metric", "ndcg@10", "--json", data=data)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "indexed 4 documents into [scitiny]\n"
    response = json.loads(result.stdout)
    expected = expected_rank_eval({"dcg": {"k": 10, "normalize": True}})
    assert response["metric_score"] == pytest.approx(expected["metric_score"], abs=0)
    assert {q: d["metric_score"] for q, d in response["details"].items()} == {
        q: d["metric_score"] for q, d in expected["details"].items()
    }
    assert response["failures"] == {}

    code, out, err = run(
        capsys, "eval", collection, "--template", f"@{template}", "--metric", "ndcg@10", "--per-query", "--data", data
    )  # the persisted index is reused
    assert code == 0, err
    assert err == "using the existing index [scitiny] (4 documents, the corpus has 4)\n"
    lines = out.splitlines()
    assert lines[0].split() == ["query", "ndcg@10", "unrated", "text"]
    assert lines[2].split()[:2] == ["q1", f"{expected['details']['q1']['metric_score']:.4f}"]
    assert lines[-1] == f"ndcg@10 (dcg): {expected['metric_score']:.4f}  mean over 3 queries"


def test_eval_in_memory_with_a_json_metric(
    collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metric = {"precision": {"k": 1}}
    code = main(
        [
            "eval",
            str(collection),
            "--template",
            json.dumps(TEMPLATE),
            "--metric",
            json.dumps(metric),
            "--no-persist",
            "--json",
            "--data",
            str(tmp_path / "unused"),
        ]
    )
    assert code == 0
    response = json.loads(capsys.readouterr().out)
    assert response["metric_score"] == expected_rank_eval(metric)["metric_score"]
    assert not (tmp_path / "unused").exists()


def test_eval_errors(collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["eval", str(collection), "--no-persist"]
    assert main([*base, "--metric", "bogus@3"]) == 2
    assert "unknown metric [bogus@3]" in capsys.readouterr().err
    assert main([*base, "--template", '{"query": {"match_all": {}}}']) == 1
    body = json.loads(capsys.readouterr().err)
    assert body["error"]["type"] == "illegal_argument_exception"
    assert "{{query_string}}" in body["error"]["reason"]
    assert main(["eval", str(tmp_path / "none"), "--no-persist"]) == 2
    assert "cannot read the collection" in capsys.readouterr().err
