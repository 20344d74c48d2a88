#!/usr/bin/env bash
# Regenerates tests/goldens/multi_term/golden.json: Lucene 8.8.1's FuzzyQuery, WildcardQuery, RegexpQuery and
# PrefixQuery (default and explicit rewrite methods) over the shared CISI corpus, scored with
# LegacyBM25Similarity (Elasticsearch's default). Cases are in cases.jsonl next to this script.
# Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
source "$HERE/../classpath.sh"
CP="$ORACLE_LIB_CP:$(ls "${JAR_DIR:-/usr/share/java}"/lucene-misc-8*.jar | head -1)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -encoding UTF-8 -nowarn -cp "$CP" -d "$WORK" "$HERE/MultiTermOracle.java"
mkdir -p "$REPO/tests/goldens/multi_term"
java -cp "$WORK:$CP" MultiTermOracle "$SHARED/fixtures/cisi/corpus.jsonl" "$HERE/cases.jsonl" \
  "$REPO/tests/goldens/multi_term/golden.json"
echo "regenerated $REPO/tests/goldens/multi_term/golden.json" >&2
