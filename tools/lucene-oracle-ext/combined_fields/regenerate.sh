#!/usr/bin/env bash
# Regenerates tests/goldens/combined_fields/combined_fields.json: Lucene 8.8.1's BM25FQuery (the sandbox's
# CombinedFieldQuery, which Elasticsearch's combined_fields query builds) over CISI, on Elasticsearch's
# LegacyBM25Similarity scale.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-sandbox-8*.jar' "$HERE/CombinedFieldsOracle.java"
oracle_golden CombinedFieldsOracle "$CISI" "$HERE/cases.jsonl" \
  "$REPO/tests/goldens/combined_fields/combined_fields.json"
