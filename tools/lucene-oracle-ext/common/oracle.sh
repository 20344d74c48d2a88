# shellcheck shell=bash
# Sourced by each oracle's regenerate.sh once it has set HERE (its own folder), so that every oracle finds
# the repository, the shared fixtures and the jars the same way and compiles common/OracleSupport.java with
# its own program. Needs: apt-get install -y default-jdk-headless liblucene8-java libjackson2-databind-java
#
# Sets REPO (this checkout), SHARED ($SHARED or the shared folder beside the checkout), CISI (the CISI
# corpus), ORACLE_LIB_CP (classpath.sh) and WORK (a temporary build folder, removed on exit), and defines:
#   oracle_build [JAR_PATTERN.jar ...] SOURCE.java ...  compile the sources and OracleSupport into WORK
#                                                        against ORACLE_LIB_CP plus the named jars
#   oracle_run CLASS ARG...                              run a compiled oracle with that classpath
#   oracle_golden CLASS ARG... GOLDEN                    oracle_run whose last argument is the golden it
#                                                        writes: makes its folder first, says it is done
EXT="$(cd "$HERE/.." && pwd)"
REPO="$(cd "$EXT/../.." && pwd)"
SHARED="${SHARED:-$REPO/../shared}"
CISI="$SHARED/fixtures/cisi/corpus.jsonl"
source "$EXT/classpath.sh"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

oracle_build() {
  local arg jar sources=()
  ORACLE_CP="$ORACLE_LIB_CP"
  for arg in "$@"; do
    case "$arg" in
      *.jar) jar="$(_oracle_jar "$arg")"; ORACLE_CP="$ORACLE_CP:$jar" ;;
      *) sources+=("$arg") ;;
    esac
  done
  javac -encoding UTF-8 -nowarn -cp "$ORACLE_CP" -d "$WORK" "$EXT/common/OracleSupport.java" "${sources[@]}"
}

oracle_run() {
  java -cp "$WORK:$ORACLE_CP" "$@"
}

oracle_golden() {
  local golden="${*: -1}"
  mkdir -p "$(dirname "$golden")"
  oracle_run "$@"
  echo "regenerated $golden" >&2
}
