#!/usr/bin/env bash
# Regenerates tests/suggest/goldens/completion.json (and its docs.jsonl): Lucene 8.8.1's completion
# suggester (NRTSuggester) over CISI titles and authors plus a few hand-made inputs.
# Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
source "$HERE/../classpath.sh"
CP="$ORACLE_LIB_CP:$(_oracle_jar 'lucene-suggest-8*.jar')"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
OUT="$REPO/tests/suggest/goldens"
mkdir -p "$OUT"
python3 "$HERE/make_docs.py" "$SHARED/fixtures/cisi/corpus.jsonl" "$OUT/completion_docs.jsonl"
javac -encoding UTF-8 -cp "$CP" -d "$WORK" "$HERE/CompletionOracle.java"
java -cp "$CP:$WORK" CompletionOracle "$OUT/completion_docs.jsonl" "$HERE/cases.jsonl" "$OUT/completion.json"
echo "regenerated $OUT/completion.json" >&2
