#!/usr/bin/env bash
# Test stage: a plain `java -jar target/olla.jar` (no JVM flags) runs with Olla's own JVM options
# (dev.olla.cli.JvmOptions relaunches it, Java 22+), and a JVM flag of the user's turns that off.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
java="${JAVA_HOME:?}/bin/java"
major=$("$java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1)
if [ "$major" -lt 22 ]; then echo "plain-jar-options: skipped: Java $major cannot relaunch (needs 22+)" >&2; exit 0; fi
out=$(cd "$root" && env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS timeout 60 "$java" -jar target/olla.jar version)
echo "$out" | grep -q 'jvm options: supplied by Olla' || { echo "plain-jar-options: FAIL: $out" >&2; exit 1; }
out=$(cd "$root" && env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS timeout 60 "$java" -Xmx200m -jar target/olla.jar version)
echo "$out" | grep -q "jvm options: as started" || { echo "plain-jar-options: FAIL (user flag ignored): $out" >&2; exit 1; }
echo "plain-jar-options: OK" >&2
