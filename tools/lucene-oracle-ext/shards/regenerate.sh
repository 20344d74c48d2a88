#!/usr/bin/env bash
# Regenerates tests/goldens/shards/golden.json: CISI routed into 2, 3 and 5 shards the way Elasticsearch's
# IndexRouting routes it, each shard its own Lucene 8.8.1 index scored with LegacyBM25Similarity, the shard
# hits merged with TopDocs.merge (query_then_fetch), and the same with index-wide statistics
# (dfs_query_then_fetch). Cases are in cases.jsonl next to this script.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build 'lucene-misc-8*.jar' "$HERE/ShardsOracle.java"
oracle_golden ShardsOracle "$CISI" "$HERE/cases.jsonl" "$REPO/tests/goldens/shards/golden.json"
