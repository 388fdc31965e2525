# Sourced by ./mvnw and ./promptune: points JAVA_HOME at a JDK >= 21.
# Order: $JAVA_HOME if it is new enough, then `java` on PATH, then the newest JDK under the
# system's JVM directories. Fails with a clear message when there is none.
promptune_java_major() {  # $1 = path to a java binary; prints its feature version (17, 21, 25...)
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

promptune_find_jdk() {
  local min=21 candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(promptune_java_major "$JAVA_HOME/bin/java")
    if [ "${major:-0}" -ge "$min" ]; then return 0; fi
  fi
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(promptune_java_major "$candidate/bin/java")
    if [ "${major:-0}" -ge "$min" ]; then export JAVA_HOME="$candidate"; return 0; fi
  fi
  for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk*; do
    [ -x "$candidate/bin/javac" ] || continue
    major=$(promptune_java_major "$candidate/bin/java")
    if [ "${major:-0}" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then best="$candidate"; best_major=$major; fi
  done
  if [ -n "$best" ]; then export JAVA_HOME="$best"; return 0; fi
  echo "Promptune needs a JDK 21 or newer. None found in JAVA_HOME (${JAVA_HOME:-unset}), on PATH, or under /usr/lib/jvm." >&2
  echo "Install one (e.g. Temurin 21) and set JAVA_HOME to it." >&2
  return 1
}
