"""Switch a copy of the shared Lucene oracle's searcher to ``LegacyBM25Similarity`` (Elasticsearch's default).

Usage: patch_oracle.py ORACLE_DIR. The norms are the same for both similarities, so only the searcher
changes; ``lucene-misc`` (where Lucene 8 keeps ``LegacyBM25Similarity``) joins the classpath.
"""

import sys
from pathlib import Path

root = Path(sys.argv[1])
source = root / "src" / "LuceneOracle.java"
text = source.read_text()
old = "this.searcher.setSimilarity(new BM25Similarity(K1, B));"
new = "this.searcher.setSimilarity(new org.apache.lucene.search.similarity.LegacyBM25Similarity(K1, B));"
if old not in text:
    sys.exit(f"{source}: the searcher's similarity line was not found")
source.write_text(text.replace(old, new))
classpath = root / "classpath.sh"
cp = classpath.read_text()
old_cp = "ORACLE_LIB_CP=\"$(_oracle_jar 'lucene-core-8*.jar'):"
if old_cp not in cp:
    sys.exit(f"{classpath}: the classpath line was not found")
classpath.write_text(cp.replace(old_cp, old_cp + "$(_oracle_jar 'lucene-misc-8*.jar'):"))
