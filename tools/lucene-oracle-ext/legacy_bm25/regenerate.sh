#!/usr/bin/env bash
# Regenerates tests/goldens/lucene_legacy_bm25/ (CISI, standard and english mappings) with Elasticsearch's
# default similarity, Lucene 8.8.1's LegacyBM25Similarity: BM25Similarity called with boost * (1 + k1).
#
# The shared oracle (../shared/tools/lucene-oracle, read-only) searches with plain BM25Similarity. This script
# copies it to a temporary folder, switches its searcher to LegacyBM25Similarity (from lucene-misc), builds it
# and runs its make_golden.py over the shared CISI corpus and query set. Needs what the shared oracle needs
# (apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r "$SHARED/tools/lucene-oracle" "$WORK/oracle"
chmod -R u+w "$WORK/oracle"
python3 "$HERE/patch_oracle.py" "$WORK/oracle"
"$WORK/oracle/build.sh"
F="$SHARED/fixtures"
G="$F/lucene-bm25"
OUT="$REPO/tests/goldens/lucene_legacy_bm25"
mkdir -p "$OUT"
for v in standard english; do
  python3 "$WORK/oracle/scripts/make_golden.py" --corpus "$F/cisi/corpus.jsonl" --mapping "$G/mappings/$v.json" \
    --queries "$G/cisi/queries.jsonl" --top 20 --explain 1 --out "$WORK/golden.$v.json" \
    --description "CISI mixed query set, $v mapping, top 20, LegacyBM25Similarity (Elasticsearch's default)"
  python3 "$HERE/compact_golden.py" "$WORK/golden.$v.json" "$OUT/golden.$v.json"
done
echo "regenerated $OUT" >&2
