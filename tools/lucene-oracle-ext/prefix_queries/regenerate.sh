#!/usr/bin/env bash
# Regenerates tests/prefix_queries/goldens/prefix_queries.json: Lucene 8.8.1 scores of the queries
# Elasticsearch builds for match_phrase_prefix and match_bool_prefix over CISI (LegacyBM25Similarity).
# Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
source "$HERE/../classpath.sh"
CP="$ORACLE_LIB_CP:$(_oracle_jar 'lucene-misc-8*.jar')"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -encoding UTF-8 -cp "$CP" -d "$WORK" "$HERE/PrefixQueryOracle.java"
mkdir -p "$REPO/tests/prefix_queries/goldens"
java -cp "$CP:$WORK" PrefixQueryOracle "$SHARED/fixtures/cisi/corpus.jsonl" "$HERE/cases.jsonl" \
  "$REPO/tests/prefix_queries/goldens/prefix_queries.json"
echo "regenerated $REPO/tests/prefix_queries/goldens/prefix_queries.json" >&2
