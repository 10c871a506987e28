#!/usr/bin/env bash
# Coverage-guided fuzzing of Meridian's parsers (meridian-fuzz, Jazzer) for longer than the test
# run's few seconds per target:
#   bench/fuzz.sh                          # every target, 10 minutes each
#   bench/fuzz.sh 3600 StreamCodecFuzzTest # one target for an hour
# The corpus each target grows is kept in meridian-fuzz/.cifuzz-corpus/ (not committed) and
# picked up by the next run; an input that fails is written to the target's inputs directory,
# meridian-fuzz/src/test/resources/<package>/<Class>Inputs/<method>/, where every test run
# replays it: fix the bug, keep the input (renamed to say what it is) as the regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]; then export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64; fi
seconds=${1:-600}
target=${2:-}
./mvnw -q -B -ntp install -pl meridian-fuzz -am -DskipTests -DskipITs
./mvnw -B -ntp test -pl meridian-fuzz -Dfuzz.seconds="$seconds" ${target:+-Dtest="$target"} \
  | grep -E --line-buffered '^\[(INFO|ERROR)\] (Tests run|Running)|DONE|Done [0-9]+ runs|FuzzTestFinding|== Java Exception'
