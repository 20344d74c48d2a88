#!/usr/bin/env bash
# Regenerates tests/goldens/synonym_query/golden.json: Lucene 8.8.1's QueryBuilder over a synonym analyzer
# (SynonymQuery, graph queries) scored with LegacyBM25Similarity on CISI's "text" field (cases.json here).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-misc-8*.jar' "$HERE/SynonymOracle.java"
oracle_golden SynonymOracle "$CISI" "$HERE/cases.json" "$REPO/tests/goldens/synonym_query/golden.json"
