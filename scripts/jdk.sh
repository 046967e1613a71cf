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
# Olla's own JVM options (src/main/resources/dev/olla/cli/jvm.options, the same list the runtime
# image has built in and a plain `java -jar` relaunches with) for this JDK: "NN+ option" lines only
# apply on Java NN and newer.
olla_java_flags() {
  local v; v=$(java_major "$JAVA_HOME")
  local file; file="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/main/resources/dev/olla/cli/jvm.options"
  local flags="" first rest
  while read -r first rest; do
    case "$first" in ''|'#'*) continue ;; esac
    if [[ "$first" =~ ^([0-9]+)\+$ ]]; then
      [ -n "$v" ] && [ "$v" -ge "${BASH_REMATCH[1]}" ] 2>/dev/null || continue
      first="$rest"
    fi
    flags="$flags $first"
  done < "$file"
  echo "${flags# } -Dolla.launcher=script"
}
