#!/usr/bin/env bash
# Regenerates tests/goldens/synonym_query/golden.json: Lucene 8.8.1's QueryBuilder over a synonym analyzer
# (SynonymQuery, graph queries) scored with LegacyBM25Similarity on CISI's "text" field (cases.json here).
# Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
source "$HERE/../classpath.sh"
CP="$ORACLE_LIB_CP:$(_oracle_jar 'lucene-misc-8*.jar')"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -encoding UTF-8 -cp "$CP" -d "$WORK" "$HERE/SynonymOracle.java"
mkdir -p "$REPO/tests/goldens/synonym_query"
java -cp "$CP:$WORK" SynonymOracle "$SHARED/fixtures/cisi/corpus.jsonl" "$HERE/cases.json" \
  "$REPO/tests/goldens/synonym_query/golden.json"
echo "regenerated $REPO/tests/goldens/synonym_query/golden.json" >&2
