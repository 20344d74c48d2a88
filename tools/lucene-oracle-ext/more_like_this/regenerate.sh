#!/usr/bin/env bash
# Regenerates tests/goldens/more_like_this/more_like_this.json: the terms Lucene 8.8.1's MoreLikeThis picks
# for like texts over one CISI field, and their LegacyBM25Similarity scores.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-queries-8*.jar' 'lucene-misc-8*.jar' "$HERE/MoreLikeThisOracle.java"
oracle_golden MoreLikeThisOracle "$CISI" "$HERE/cases.jsonl" "$REPO/tests/goldens/more_like_this/more_like_this.json"
