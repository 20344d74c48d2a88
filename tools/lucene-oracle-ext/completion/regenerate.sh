#!/usr/bin/env bash
# Regenerates tests/suggest/goldens/completion.json (and its docs.jsonl): Lucene 8.8.1's completion
# suggester (NRTSuggester) over CISI titles and authors plus a few hand-made inputs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
OUT="$REPO/tests/suggest/goldens"
mkdir -p "$OUT"
python3 "$HERE/make_docs.py" "$CISI" "$OUT/completion_docs.jsonl"
oracle_build 'lucene-suggest-8*.jar' "$HERE/CompletionOracle.java"
oracle_golden CompletionOracle "$OUT/completion_docs.jsonl" "$HERE/cases.jsonl" "$OUT/completion.json"
