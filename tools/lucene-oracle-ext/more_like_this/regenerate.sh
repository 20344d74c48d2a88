#!/usr/bin/env bash
# Regenerates tests/goldens/more_like_this/more_like_this.json: the terms Lucene 8.8.1's MoreLikeThis picks
# for like texts over one CISI field, and their LegacyBM25Similarity scores.
# Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
source "$HERE/../classpath.sh"
CP="$ORACLE_LIB_CP:$(_oracle_jar 'lucene-queries-8*.jar'):$(_oracle_jar 'lucene-misc-8*.jar')"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -encoding UTF-8 -cp "$CP" -d "$WORK" "$HERE/MoreLikeThisOracle.java"
mkdir -p "$REPO/tests/goldens/more_like_this"
java -cp "$CP:$WORK" MoreLikeThisOracle "$SHARED/fixtures/cisi/corpus.jsonl" "$HERE/cases.jsonl" \
  "$REPO/tests/goldens/more_like_this/more_like_this.json"
echo "regenerated $REPO/tests/goldens/more_like_this/more_like_this.json" >&2
