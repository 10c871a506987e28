#!/usr/bin/env bash
# The part of Meridian's container image that is not the application (Jib adds that): a Java
# runtime made by jlink with only the modules Meridian uses, the C libraries that runtime and
# RocksDB's native library link against (copied from this machine, found with ldd), and the
# directories a node writes to. The image has no shell and no package manager.
#
#   deploy/image/rootfs.sh OUT_DIR ROCKSDB_JAR
#
# Run by `./mvnw -Pimage package -pl meridian-image -am` (docs/deploy.md); JAVA_HOME is the JDK to link from.
set -euo pipefail
out=$1
rocksdb_jar=$2
# `jdeps --print-module-deps` on the node's jar and its libraries, plus jdk.crypto.ec and jdk.zipfs
# (loaded by name, invisible to jdeps).
modules=java.base,java.desktop,java.naming,java.net.http,java.security.jgss,java.security.sasl,java.sql,jdk.httpserver,jdk.jfr,jdk.management,jdk.net,jdk.unsupported,jdk.crypto.ec,jdk.zipfs

rm -rf "$out"
mkdir -p "$out"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --output "$out/opt/java"

# The C libraries: whatever the runtime's binaries and RocksDB's library need, as this machine
# resolves them. The native parts of AWT, sound and fonts (java.desktop is there for java.beans)
# are never loaded by a node and would pull in X11: they are left out of the search.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && "$JAVA_HOME/bin/jar" xf "$rocksdb_jar" librocksdbjni-linux64.so)
{
  find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -not -name 'libawt_xawt.so' -not -name 'libjsound.so' \
    -not -name 'libsplashscreen.so' -not -name 'libfontmanager.so' -not -name 'libfreetype.so' -not -name 'libjawt.so' -print0 \
    | xargs -0 ldd 2>/dev/null || true
  ldd "$scratch/librocksdbjni-linux64.so"
} | awk '/=> \// { print $3 } /^\s*\/lib/ { print $1 }' | grep -v "^$out" | sort -u | while read -r lib; do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
# The dynamic loader by the path every binary names.
loader=$(readlink -f /lib64/ld-linux-x86-64.so.2)
mkdir -p "$out/lib64" "$out$(dirname "$loader")"
cp -L "$loader" "$out/lib64/ld-linux-x86-64.so.2"

# Where a node keeps its data and reads its configuration, and a temporary directory (RocksDB
# unpacks its native library there). Empty directories need a file for Jib to carry them.
for d in tmp var/lib/meridian etc/meridian; do
  mkdir -p "$out/$d"
  touch "$out/$d/.keep"
done
# Who the node runs as (numeric user 65532, as distroless images do): the JDK asks for a home.
mkdir -p "$out/etc" "$out/home/meridian"
touch "$out/home/meridian/.keep"
echo "root:x:0:0:root:/root:/sbin/nologin" > "$out/etc/passwd"
echo "meridian:x:65532:65532:meridian:/home/meridian:/sbin/nologin" >> "$out/etc/passwd"
printf 'root:x:0:\nmeridian:x:65532:\n' > "$out/etc/group"
# Names from /etc/hosts first (Kubernetes writes a StatefulSet pod's own stable name there), then DNS.
echo "hosts: files dns" > "$out/etc/nsswitch.conf"
echo "rootfs: $(du -sh "$out" | cut -f1) in $out"
