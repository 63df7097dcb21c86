#!/usr/bin/env bash
# Installs Temporal's Java time-skipping test server from Maven Central, for
# TestWorkflowEnvironment.createTimeSkipping (test/support/time-skipping.ts).
# The SDK would download a prebuilt binary from the web, which this machine
# cannot reach, so we run the same server from its jars on the local JVM.
#
#   scripts/install-test-server.sh
#
# Idempotent: a second run checks the cache, says so and rebuilds nothing.
# The last line of stdout is the path of the executable wrapper, which takes
# the test server's own arguments: `<port> [--enable-time-skipping]`.
#
# Env: KAIZEN_CACHE_DIR (see lib.sh), TEMPORAL_TEST_SERVER_VERSION (a version
# of io.temporal:temporal-test-server), JAVA_HOME (else `java` on PATH).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Keep the default in step with test/support/time-skipping.ts, which
# computes the same cache path. 1.38.0 is built for Java 8+ and resolves on
# Maven Central with all its dependencies.
TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
# slf4j-api comes in through the server; a binding makes its warnings and
# errors visible (on stderr) instead of SLF4J's "no binding" notice.
SLF4J_VERSION=1.7.36
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
MAIN_CLASS=io.temporal.testserver.TestServer

INSTALL_DIR="$CACHE_DIR/temporal-test-server-$TEST_SERVER_VERSION"
LIB_DIR="$INSTALL_DIR/lib"
WRAPPER="$INSTALL_DIR/temporal-test-server"
ARCHIVE="$INSTALL_DIR/classes.jsa" # class-data-sharing archive
STAMP="$INSTALL_DIR/.installed"

# The TypeScript SDK gives the server 5 s to answer after it is spawned (a
# fixed limit in sdk-core). A cold JVM loading ~40 jars needs about 1 s on 2
# idle cores and more under load; with a CDS archive it needs about 0.3 s.
# C1 only and the serial collector cut the CPU that start-up burns by a
# quarter (0.3 s instead of 0.4 s), which the node side competes for; the
# test server's load is small, so peak throughput does not matter.
JVM_FLAGS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)

work_dir=""
cleanup() {
  if [[ -n $work_dir ]]; then
    rm -rf "$work_dir"
  fi
}
trap cleanup EXIT

find_java() {
  local java
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    java="$JAVA_HOME/bin/java"
  else
    java="$(command -v java || true)"
  fi
  [[ -n $java ]] || die "test-server: 'java' not found; install a JDK (17: apt-get install openjdk-17-jdk-headless)"
  # The real path: the archive belongs to that JVM build, and the wrapper
  # must not follow a later change of the alternatives link.
  readlink -f "$java"
}

# classpath: the jars of $LIB_DIR in a fixed order. CDS checks that the
# run-time classpath matches the one it was dumped with, so the wrapper spells
# it out rather than using a `lib/*` wildcard whose order is unspecified.
classpath() {
  local jars=("$LIB_DIR"/*.jar)
  [[ -e ${jars[0]} ]] || return 1
  local IFS=:
  printf '%s\n' "${jars[*]}"
}

# archive_usable JAVA CLASSPATH: true when the JVM maps the archive (a JDK
# update or a changed classpath makes it unusable; -Xshare:on then fails).
archive_usable() {
  [[ -f $ARCHIVE ]] && "$1" -Xshare:on -XX:SharedArchiveFile="$ARCHIVE" -cp "$2" -version >/dev/null 2>&1
}

# fetch_jars: resolves the server and its runtime dependencies into $LIB_DIR
# through a throwaway pom, so Maven does the dependency mediation.
fetch_jars() {
  command -v mvn >/dev/null 2>&1 || die "test-server: 'mvn' not found; apt-get install maven"
  work_dir="$(mktemp -d)"
  local work=$work_dir
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.kaizen</groupId>
  <artifactId>temporal-test-server-deps</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>$SLF4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  log "test-server: resolving io.temporal:temporal-test-server:$TEST_SERVER_VERSION from Maven Central"
  # Debian's Maven writes colour resets even with -B and no tty: strip them.
  (cd "$work" && mvn -q -B "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$work/lib" 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' >&2) ||
    die "test-server: mvn could not resolve io.temporal:temporal-test-server:$TEST_SERVER_VERSION"
  [[ -f $work/lib/temporal-test-server-$TEST_SERVER_VERSION.jar ]] ||
    die "test-server: mvn did not produce temporal-test-server-$TEST_SERVER_VERSION.jar"
  rm -rf "$LIB_DIR"
  mkdir -p "$INSTALL_DIR"
  mv "$work/lib" "$LIB_DIR"
  rm -rf "$work"
  work_dir=""
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local port i
  for ((i = 0; i < 50; i++)); do
    port=$((20000 + RANDOM % 30000))
    port_open 127.0.0.1 "$port" || {
      printf '%s\n' "$port"
      return
    }
  done
  die "test-server: found no free port for the training run"
}

# make_archive JAVA CLASSPATH: one training run of the server, started with
# -XX:ArchiveClassesAtExit; the JVM writes the archive when it exits on
# SIGTERM. Failure only costs start-up time, so it warns and goes on.
make_archive() {
  local java=$1 cp=$2 port pid deadline out
  port="$(free_port)"
  out="$INSTALL_DIR/cds-training.log"
  rm -f "$ARCHIVE"
  log "test-server: creating the class-data-sharing archive (one training start)"
  "$java" -XX:ArchiveClassesAtExit="$ARCHIVE" "${JVM_FLAGS[@]}" -cp "$cp" \
    "$MAIN_CLASS" "$port" >"$out" 2>&1 </dev/null &
  pid=$!
  deadline=$((SECONDS + 60))
  while ! port_open 127.0.0.1 "$port"; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      tail -n 20 "$out" >&2 || true
      die "test-server: the server did not listen on 127.0.0.1:$port during the training run; see $out"
    fi
    sleep 0.1
  done
  # Let the server's background threads finish their start-up work, so their
  # classes land in the archive too.
  sleep 1
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  if archive_usable "$java" "$cp"; then
    rm -f "$out"
  else
    rm -f "$ARCHIVE"
    log "test-server: WARNING: no usable CDS archive (see $out); the server starts without it (~1 s slower)"
  fi
}

write_wrapper() {
  local java=$1 cp=$2 tmp="$WRAPPER.tmp.$$" flags=("${JVM_FLAGS[@]}")
  if [[ -f $ARCHIVE ]]; then
    # -Xshare:auto: should the archive go stale (JDK update), start without it.
    flags=(-XX:SharedArchiveFile="$ARCHIVE" -Xshare:auto "${flags[@]}")
  fi
  {
    printf '#!/usr/bin/env bash\n'
    printf '# Generated by scripts/install-test-server.sh; rerun it instead of editing.\n'
    printf '# Temporal Java test server %s. Usage: %s <port> [--enable-time-skipping]\n' \
      "$TEST_SERVER_VERSION" "${WRAPPER##*/}"
    # exec: the SDK stops the server by killing the pid it spawned.
    printf 'exec %q' "$java"
    printf ' %q' "${flags[@]}" -cp "$cp" "$MAIN_CLASS"
    printf ' "$@"\n'
  } >"$tmp"
  chmod 755 "$tmp"
  mv -f "$tmp" "$WRAPPER"
}

main() {
  local java cp fingerprint
  java="$(find_java)"
  # What the cached install depends on: a change to any of them redoes it.
  fingerprint="$TEST_SERVER_VERSION $java ${JVM_FLAGS[*]}"

  # No archive at all means making one failed before (it warned then); a
  # stale one (JDK update) is made again.
  if [[ -x $WRAPPER && -f $STAMP && "$(<"$STAMP")" == "$fingerprint" ]] &&
    cp="$(classpath)" && { [[ ! -e $ARCHIVE ]] || archive_usable "$java" "$cp"; }; then
    log "test-server: temporal-test-server $TEST_SERVER_VERSION already installed (cached)"
    printf '%s\n' "$WRAPPER"
    return
  fi

  rm -f "$STAMP"
  if [[ -f $LIB_DIR/temporal-test-server-$TEST_SERVER_VERSION.jar ]]; then
    log "test-server: jars for $TEST_SERVER_VERSION already in $LIB_DIR"
  else
    fetch_jars
  fi
  cp="$(classpath)" || die "test-server: no jars in $LIB_DIR"
  archive_usable "$java" "$cp" || make_archive "$java" "$cp"
  write_wrapper "$java" "$cp"
  printf '%s\n' "$fingerprint" >"$STAMP"
  log "test-server: installed temporal-test-server $TEST_SERVER_VERSION ($(find "$LIB_DIR" -name '*.jar' | wc -l) jars, $(du -sh "$LIB_DIR" | cut -f1))"
  printf '%s\n' "$WRAPPER"
}

main "$@"
