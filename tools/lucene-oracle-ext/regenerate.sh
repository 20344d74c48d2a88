#!/usr/bin/env bash
# Regenerates tests/analysis/goldens/components.json with Lucene 8.8.1 (see README.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CORPUS="${CISI_CORPUS:-$REPO/../shared/fixtures/cisi/corpus.jsonl}"
TMP="$(mktemp -d)"
python3 "$HERE/make_cases.py" "$CORPUS" > "$TMP/cases.jsonl"
"$HERE/run.sh" < "$TMP/cases.jsonl" > "$TMP/out.jsonl"
python3 "$HERE/make_golden.py" "$TMP/cases.jsonl" "$TMP/out.jsonl" "$REPO/tests/analysis/goldens/components.json"
rm -rf "$TMP"
