"""Keep a golden small enough for the repository: explanations only for the first hit of the first query
(the one tests/test_bm25_golden.py compares), one result per line, the similarity named in the header.

Usage: compact_golden.py IN.json OUT.json
"""

import json
import sys

golden = json.loads(open(sys.argv[1], encoding="utf-8").read())
for i, case in enumerate(golden["results"]):
    for j, hit in enumerate(case["hits"]):
        if (i, j) != (0, 0):
            hit.pop("explanation", None)
golden["generator"]["similarity"]["type"] = "LegacyBM25Similarity"
golden["generator"]["note"] = (
    "shared/tools/lucene-oracle with the searcher's similarity set to Lucene 8.8.1's "
    "LegacyBM25Similarity(k1=1.2, b=0.75) (tools/lucene-oracle-ext/legacy_bm25); explanations kept "
    "for the first hit of the first query only"
)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("{\n")
    for key, value in golden.items():
        if key != "results":
            out.write(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    out.write(' "results": [\n')
    out.write(",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in golden["results"]))
    out.write("\n ]\n}\n")
