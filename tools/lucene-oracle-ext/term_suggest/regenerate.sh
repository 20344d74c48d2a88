#!/usr/bin/env bash
# Regenerates tests/suggest/goldens/term_suggest.json: Lucene 8.8.1's DirectSpellChecker set up as
# Elasticsearch's term suggester sets it up, over CISI's text field.
# Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
source "$HERE/../classpath.sh"
CP="$ORACLE_LIB_CP:$(_oracle_jar 'lucene-suggest-8*.jar')"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$REPO/tests/suggest/goldens"
javac -encoding UTF-8 -cp "$CP" -d "$WORK" "$HERE/TermSuggestOracle.java"
java -cp "$CP:$WORK" TermSuggestOracle "$SHARED/fixtures/cisi/corpus.jsonl" "$HERE/cases.jsonl" \
  "$REPO/tests/suggest/goldens/term_suggest.json"
echo "regenerated $REPO/tests/suggest/goldens/term_suggest.json" >&2
