#!/usr/bin/env bash
# Compiles the analysis oracle against the Debian-packaged Lucene 8.8.1 jars
# (apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/classpath.sh"
mkdir -p "$HERE/build/classes"
javac -encoding UTF-8 -cp "$ORACLE_LIB_CP" -d "$HERE/build/classes" "$HERE"/src/*.java
