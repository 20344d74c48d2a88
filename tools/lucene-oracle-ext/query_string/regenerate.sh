#!/usr/bin/env bash
# Regenerates tests/goldens/query_string/golden.json (the cases in cases.jsonl parsed by Lucene 8.8.1's
# classic QueryParser or SimpleQueryParser and searched over the shared CISI corpus with LegacyBM25Similarity,
# Elasticsearch's default) and tests/goldens/query_string/parse_outcomes.jsonl (make_parse_cases.py's random
# texts through the classic parser: parsed, or the first line of its error). Needs default-jdk-headless,
# liblucene8-java and libjackson2-databind-java.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-misc-8*.jar' 'lucene-queryparser-8*.jar' "$HERE/QueryStringOracle.java" "$HERE/ParseOracle.java"
OUT="$REPO/tests/goldens/query_string"
mkdir -p "$OUT"
oracle_run QueryStringOracle "$CISI" 10 < "$HERE/cases.jsonl" > "$OUT/golden.json"
python3 "$HERE/make_parse_cases.py" | oracle_run ParseOracle > "$OUT/parse_outcomes.jsonl"
echo "regenerated $OUT/golden.json and $OUT/parse_outcomes.jsonl" >&2
