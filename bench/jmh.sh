#!/usr/bin/env bash
# JMH microbenchmarks of the node's hot paths (meridian-bench). Arguments go to JMH:
#   bench/jmh.sh TracingBench              # one benchmark class (regex)
#   bench/jmh.sh TracingBench -p sampling=off,0.01 -prof gc
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]; then export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64; fi
./mvnw -q -B -ntp install -pl meridian-bench -am -DskipTests -DskipITs
./mvnw -q -B -ntp dependency:build-classpath -pl meridian-bench -Dmdep.outputFile=target/classpath.txt >/dev/null
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "meridian-bench/target/classes:$(cat meridian-bench/target/classpath.txt)" org.openjdk.jmh.Main "$@"
