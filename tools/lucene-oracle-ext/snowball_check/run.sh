#!/usr/bin/env bash
# Which snowballstemmer languages equal Lucene 8.8.1's SnowballFilter (see ../README.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
source "$HERE/../classpath.sh"
TMP="$(mktemp -d)"
"$REPO/.venv/bin/python" "$HERE/make_words.py" "${CISI_CORPUS:-$REPO/../shared/fixtures/cisi/corpus.jsonl}" "$TMP/words.json"
javac -cp "$ORACLE_LIB_CP" -d "$TMP" "$HERE/SnowStem.java"
java -cp "$TMP:$ORACLE_LIB_CP" SnowStem "$TMP/words.json" "$TMP/stems.json"
"$REPO/.venv/bin/python" "$HERE/compare.py" "$TMP/words.json" "$TMP/stems.json"
rm -rf "$TMP"
