#!/usr/bin/env bash
# Regenerates tests/function_score/goldens/feature_field.json: Lucene 8.8.1's FeatureField queries (what
# Elasticsearch's rank_feature query builds) over the documents in FeatureOracle.java.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../common/oracle.sh" # sets REPO, SHARED, CISI, WORK; defines the oracle_* helpers
oracle_build "$HERE/FeatureOracle.java"
oracle_golden FeatureOracle "$REPO/tests/function_score/goldens/feature_field.json"
