#!/usr/bin/env bash
# Regenerates tests/prefix_queries/goldens/prefix_queries.json: Lucene 8.8.1 scores of the queries
# Elasticsearch builds for match_phrase_prefix and match_bool_prefix over CISI (LegacyBM25Similarity).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-misc-8*.jar' "$HERE/PrefixQueryOracle.java"
oracle_golden PrefixQueryOracle "$CISI" "$HERE/cases.jsonl" "$REPO/tests/prefix_queries/goldens/prefix_queries.json"
