#!/usr/bin/env bash
# Regenerates tests/goldens/multi_term/golden.json: Lucene 8.8.1's FuzzyQuery, WildcardQuery, RegexpQuery and
# PrefixQuery (default and explicit rewrite methods) over the shared CISI corpus, scored with
# LegacyBM25Similarity (Elasticsearch's default). Cases are in cases.jsonl next to this script.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-misc-8*.jar' "$HERE/MultiTermOracle.java"
oracle_golden MultiTermOracle "$CISI" "$HERE/cases.jsonl" "$REPO/tests/goldens/multi_term/golden.json"
