#!/usr/bin/env bash
# Page timings against a running `kroonika serve` on the demo store.
# usage: tests/e2e/page_timings.sh BASE [ROUNDS]  (signs in as the demo coordinator mari,
# then as the service owner tiina for the report and the migration plan)
set -eu
base=$1; rounds=${2:-20}
jar=$(mktemp)
curl -s -c "$jar" -o /dev/null -d "name=mari&password=kroonika-demo" "$base/login"
sed -i 's/^#HttpOnly_//' "$jar"
ref=$(curl -s -b "$jar" "$base/work" | grep -o 'href="/cases/[^"]*"' | head -1 | sed 's/href="\/cases\///; s/"//')
for page in /work "/cases/$ref" "/cases/$ref/diagram.svg"; do
  for i in $(seq "$rounds"); do curl -s -b "$jar" -o /dev/null -w "%{time_total}\n" "$base$page"; done | sort -n | awk -v p="$page" '{a[NR]=$1} END {printf "%-32s median %.0f ms  p90 %.0f ms  (n=%d)\n", p, a[int(NR/2)+1]*1000, a[int(NR*0.9)]*1000, NR}'
done
owner=$(mktemp)
curl -s -c "$owner" -o /dev/null -d "name=tiina&password=kroonika-demo" "$base/login"
sed -i 's/^#HttpOnly_//' "$owner"
for page in "/reports?process=mediation" "/reports?process=mediation&period=quarter&by=track" /definitions/mediation/migrations; do
  for i in $(seq "$rounds"); do curl -s -b "$owner" -o /dev/null -w "%{time_total}\n" "$base$page"; done | sort -n | awk -v p="$page" '{a[NR]=$1} END {printf "%-52s median %.0f ms  p90 %.0f ms  (n=%d)\n", p, a[int(NR/2)+1]*1000, a[int(NR*0.9)]*1000, NR}'
done
rm -f "$jar" "$owner"
