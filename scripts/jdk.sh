# Sourced by ./olla and ./run-tests: sets JAVA_HOME to a JDK >= 21 (Olla needs Java 21+).
# Order: $JAVA_HOME if new enough, `java` on PATH if new enough, then /usr/lib/jvm/* and
# /opt/java/* (newest first).
java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1
}
olla_find_jdk() {
  local candidates=() dir
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for dir in $(ls -d /usr/lib/jvm/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home 2>/dev/null | sort -Vr); do
    candidates+=("$dir")
  done
  for dir in "${candidates[@]}"; do
    if [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ]; then
      local v; v=$(java_major "$dir")
      if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null; then
        export JAVA_HOME="$dir"
        return 0
      fi
    fi
  done
  echo "Olla needs a JDK 21 or newer; none found (looked at \$JAVA_HOME, PATH, /usr/lib/jvm)." >&2
  return 1
}
# JVM flags for running Olla fast on this JDK: Netty needs sun.misc.Unsafe for its fastest
# buffers, which JDK 23+ only grants with this flag (older JDKs allow it by default and reject it).
olla_java_flags() {
  local v; v=$(java_major "$JAVA_HOME")
  local flags="--enable-native-access=ALL-UNNAMED"
  if [ -n "$v" ] && [ "$v" -ge 23 ] 2>/dev/null; then
    flags="$flags --sun-misc-unsafe-memory-access=allow"
  fi
  echo "$flags"
}
