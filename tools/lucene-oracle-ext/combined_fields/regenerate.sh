#!/usr/bin/env bash
# Regenerates tests/goldens/combined_fields/combined_fields.json: Lucene 8.8.1's BM25FQuery (the sandbox's
# CombinedFieldQuery, which Elasticsearch's combined_fields query builds) over CISI, on Elasticsearch's
# LegacyBM25Similarity scale. Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
source "$HERE/../classpath.sh"
CP="$ORACLE_LIB_CP:$(_oracle_jar 'lucene-sandbox-8*.jar')"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -encoding UTF-8 -cp "$CP" -d "$WORK" "$HERE/CombinedFieldsOracle.java"
mkdir -p "$REPO/tests/goldens/combined_fields"
java -cp "$CP:$WORK" CombinedFieldsOracle "$SHARED/fixtures/cisi/corpus.jsonl" "$HERE/cases.jsonl" \
  "$REPO/tests/goldens/combined_fields/combined_fields.json"
echo "regenerated $REPO/tests/goldens/combined_fields/combined_fields.json" >&2
