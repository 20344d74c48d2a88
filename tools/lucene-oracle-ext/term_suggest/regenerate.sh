#!/usr/bin/env bash
# Regenerates tests/suggest/goldens/term_suggest.json: Lucene 8.8.1's DirectSpellChecker set up as
# Elasticsearch's term suggester sets it up, over CISI's text field.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-suggest-8*.jar' "$HERE/TermSuggestOracle.java"
oracle_golden TermSuggestOracle "$CISI" "$HERE/cases.jsonl" "$REPO/tests/suggest/goldens/term_suggest.json"
