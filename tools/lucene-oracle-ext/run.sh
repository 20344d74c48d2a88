#!/usr/bin/env bash
# Runs the analysis oracle: JSON-lines cases on stdin, token streams on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/classpath.sh"
"$HERE/build.sh"
exec java -cp "$HERE/build/classes:$ORACLE_LIB_CP" AnalysisOracle
