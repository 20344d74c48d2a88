#!/usr/bin/env bash
# Regenerates tests/function_score/goldens/feature_field.json: Lucene 8.8.1's FeatureField queries (what
# Elasticsearch's rank_feature query builds) over the documents in FeatureOracle.java.
# Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
source "$HERE/../classpath.sh"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
javac -encoding UTF-8 -nowarn -cp "$ORACLE_LIB_CP" -d "$WORK" "$HERE/FeatureOracle.java"
mkdir -p "$REPO/tests/function_score/goldens"
java -cp "$WORK:$ORACLE_LIB_CP" FeatureOracle "$REPO/tests/function_score/goldens/feature_field.json"
echo "regenerated $REPO/tests/function_score/goldens/feature_field.json" >&2
