#!/usr/bin/env bash
# Builds the self-contained runtime image (run by `mvn package` after the shaded jar):
#
#   target/olla-<version>-linux-x86_64.tar.gz
#     olla-<version>/bin/olla            launcher (no JDK needed)
#     olla-<version>/lib/olla.jar        the application
#     olla-<version>/runtime/            jlink runtime: only the modules Olla uses, with Olla's JVM
#                                        options baked in (jlink --add-options, from jvm.options)
#     olla-<version>/config/config.yaml  the default configuration (edit it; profiles go next to it
#                                        in config/profiles/)
#     olla-<version>/profiles/           the built-in backend profiles, as templates to copy
#
#   scripts/runtime-image.sh JDK_HOME VERSION BUILD_DIR PROJECT_DIR
#
# Skip with -Dolla.image.skip=true (the ./olla launcher does). Needs a JDK with jlink and jmods
# or a linkable runtime (JDK 24+); the image's Java version is the build JDK's.
set -euo pipefail
jdk="$1" version="$2" build="$3" root="$4"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "runtime-image: the image is linux-x86_64 only (Netty's native transport); skipped on $(uname -s)-$(uname -m)" >&2
  exit 0
fi
jlink="$jdk/bin/jlink"
[ -x "$jlink" ] || { echo "runtime-image: $jlink not found (needs a full JDK, not a JRE)" >&2; exit 1; }
name="olla-$version"
platform="linux-x86_64"
work="$build/image"
dir="$work/$name"
rm -rf "$work" && mkdir -p "$dir/bin" "$dir/lib" "$dir/config/profiles" "$dir/profiles"

# Modules: what `jdeps --print-module-deps target/olla.jar` lists, minus the ones only optional
# code paths refer to (java.desktop: Jackson's java.beans extras and SnakeYAML's bean introspector;
# java.sql: Jackson's and Bucket4j's JDBC types; java.compiler: Error Prone annotations). The
# runtime-image test stage re-runs jdeps and fails when a new module appears. Plus java.xml, which
# jdeps misses: logback reads an XML configuration (logback.configurationFile) with SAX; Olla's own
# start-up configuration is in code (dev.olla.cli.StartupLogging).
modules="java.base,java.xml,java.management,java.naming,java.net.http,jdk.unsupported,jdk.jfr,jdk.management,jdk.crypto.ec"
if [ ! -e "$jdk/jmods/jdk.crypto.ec.jmod" ] && ! "$jdk/bin/java" --list-modules 2>/dev/null | grep -q '^jdk.crypto.ec@'; then
  modules="${modules%,jdk.crypto.ec}"
fi

java_major=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1)
# jvm.options lines: "option" or "NN+ option" (only for Java >= NN); '#' comments.
opts=""
while read -r first rest; do
  case "$first" in ''|'#'*) continue ;; esac
  if [[ "$first" =~ ^([0-9]+)\+$ ]]; then
    [ "$java_major" -ge "${BASH_REMATCH[1]}" ] || continue
    first="$rest"
  fi
  opts="$opts $first"
done < "$root/src/main/resources/dev/olla/cli/jvm.options"
opts="${opts# } -Dolla.launcher=image"

"$jlink" --add-modules "$modules" --output "$dir/runtime" \
  --strip-debug --no-header-files --no-man-pages --compress=zip-0 --generate-cds-archive \
  --add-options="$opts" >/dev/null
# zip-0: uncompressed classes load faster (the tar.gz compresses them anyway); the CDS archive of
# the runtime's own classes (--generate-cds-archive) is what a JDK ships and halves class loading.

cp "$build/olla.jar" "$dir/lib/olla.jar"
# Netty's epoll library next to the jar (bin/olla puts lib/native on java.library.path): Netty
# otherwise copies it out of the jar into a new /tmp file at every start (fails on a noexec /tmp).
mkdir -p "$dir/lib/native"
(cd "$dir/lib/native" && "$jdk/bin/jar" xf ../olla.jar META-INF/native/libnetty_transport_native_epoll_x86_64.so \
  && mv META-INF/native/libnetty_transport_native_epoll_x86_64.so . && rm -rf META-INF) \
  || { echo "runtime-image: cannot extract Netty's epoll library; Netty extracts it per start" >&2; rm -rf "$dir/lib/native"; }
# Java 25+: an AOT cache of Olla's classes, linked and profiled by a short training run against a
# simulated backend (scripts/aot-training.sh, ~10 s): bin/olla maps it, so start-up skips loading,
# verifying and linking ~5,000 classes and the JIT starts with the training's profiles. It stays
# valid when the image is moved (paths are checked relative to it), not when lib/olla.jar changes.
# Skip with OLLA_AOT_TRAINING=false; without the cache bin/olla falls back to a class-data archive.
aot=""
if [ "$java_major" -ge 25 ] && [ "${OLLA_AOT_TRAINING:-true}" != false ]; then
  if bash "$root/scripts/aot-training.sh" "$dir/runtime/bin/java" "$dir/lib/olla.jar" "$dir/lib/olla.aot"; then
    aot="lib/olla.aot (AOT cache, trained at build time)"
  else
    echo "runtime-image: the AOT training run failed; the image falls back to a class-data archive" >&2
    rm -f "$dir/lib/olla.aot"
  fi
fi
cp "$root/src/main/resources/dev/olla/config/defaults.yaml" "$dir/config/config.yaml"
cp "$root"/src/main/resources/dev/olla/profile/*.yaml "$dir/profiles/"
cat > "$dir/bin/olla" <<'SH'
#!/bin/sh
# Olla launcher: runs lib/olla.jar on the bundled runtime (JVM options are built into it).
# Config search: -c PATH, $OLLA_CONFIG_FILE, ./config.yaml, ./config/config.yaml; when none of
# these exists, this image's config/config.yaml. MALLOC_ARENA_MAX keeps glibc's per-thread arenas
# (resident memory) small; set it yourself to override.
self=$0
while [ -h "$self" ]; do
  link=$(readlink "$self")
  case "$link" in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac
done
home=$(cd "$(dirname "$self")/.." && pwd)
if [ -z "${OLLA_CONFIG_FILE:-}" ] && [ ! -f config.yaml ] && [ ! -f config/config.yaml ]; then
  export OLLA_CONFIG_FILE="$home/config/config.yaml"
fi
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# Java 25+ images ship an AOT cache of Olla's classes made at build time (lib/olla.aot): mapped
# at start, it saves most of the class loading and warm-up. Otherwise a class-data archive of
# Olla's classes, written when the first server exits and mapped by every later start (about half
# the start-up CPU): in $XDG_CACHE_HOME/olla or ~/.cache/olla when writable, for the server only (a
# `version` run would record too few classes).
cds=""
if [ -f "$home/lib/olla.aot" ]; then
  cds="-XX:AOTCache=$home/lib/olla.aot -Xlog:aot=off -Xlog:cds=off"
else case " $* " in
  *" version "*|*" validate "*|*" help "*|*" -v "*|*" --version "*|*" -version "*|*" -h "*|*" --help "*|*" --validate-config "*|*" -validate-config "*) ;;
  *)
    cache="${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}"
    if [ -n "$cache" ] && mkdir -p "$cache/olla" 2>/dev/null && [ -w "$cache/olla" ]; then
      # the jar's size and time in the name: the JVM rejects an archive of an earlier build (after an
      # upgrade in place) and does not write a new one over it
      id=$(printf '%s %s' "$home" "$(stat -c '%s %Y' "$home/lib/olla.jar" 2>/dev/null)" | cksum | cut -d' ' -f1)
      cds="-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=$cache/olla/olla-image-$id.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
    fi
    ;;
esac; fi
native=""
[ -d "$home/lib/native" ] && native="-Djava.library.path=$home/lib/native"
exec "$home/runtime/bin/java" $cds $native -jar "$home/lib/olla.jar" "$@"
SH
chmod 755 "$dir/bin/olla"
cat > "$dir/README.txt" <<TXT
Olla $version for $platform: needs no installed Java.

  bin/olla version
  bin/olla -c config/config.yaml      (or edit config/config.yaml and run bin/olla)

Built-in backend profiles are in profiles/; copy one into config/profiles/ (relative to the working
directory) to change it. Runtime: Java $java_major, modules: $modules.
JVM options built into runtime/: $opts
${aot:+Start-up: $aot}
TXT
tar -C "$work" -cf - "$name" | gzip -1 > "$build/$name-$platform.tar.gz"   # -1: a third of -6's time, 10% larger
echo "runtime-image: $build/$name-$platform.tar.gz ($(du -h "$build/$name-$platform.tar.gz" | cut -f1))" >&2
