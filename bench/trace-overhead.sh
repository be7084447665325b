#!/usr/bin/env bash
# What tracing costs the data plane: pktgen -> sink across an in-process switch (as in net.sh),
# each frame size run with tracing off and with `--trace` (every class of events) in the same
# run, alternating off/on REPEAT times so both see the same host. Reports received pps of each
# (median of the repeats), the ratio on/off (the goal: at least 0.90) and what the traced runs
# recorded (records per second, lost records).
#
# Usage: bench/trace-overhead.sh     (SECONDS_PER=3, SIZES="64 1500", REPEAT=3, EVENTS=all;
#        EVENTS=exits,hypercalls,... traces only those classes, see `parakit trace record --help`)
# Writes bench/results/trace-overhead.json (one object per size), trace-overhead.csv and .log.
set -euo pipefail
source "$(dirname "$0")/common.sh"

SECONDS_PER="${SECONDS_PER:-3}"
SIZES="${SIZES:-64 1500}"
REPEAT="${REPEAT:-3}"
EVENTS="${EVENTS:-all}"
require_kvm
require_parakit
PKTGEN="$(require_guest pktgen)"
SINK="$(require_guest sink)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
suffix=""; [ "$EVENTS" = all ] || suffix="-$(tr ',' '-' <<<"$EVENTS")"
log="$RESULTS/trace-overhead$suffix.log"; csv="$RESULTS/trace-overhead$suffix.csv"; json="$RESULTS/trace-overhead$suffix.json"
: > "$log"
echo "size,round,tracing,pps,gbps,received,lost,records,records_lost,trace_bytes" > "$csv"

cfg() {  # cfg NAME IMAGE MAC EXTRA
  printf 'name = "%s"\nkernel = "%s"\nmemory = 64\nvif = [ '"'"'mac=%s,bridge=sw0'"'"' ]\nextra = "%s"\n' "$1" "$2" "$3" "$4" > "$tmp/$1.cfg"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

objs=()
for size in $SIZES; do
  cfg sink "$SINK" 00:16:3e:00:00:02 "seconds=$((SECONDS_PER + 2)) quiet-exit-ms=1500"
  cfg gen "$PKTGEN" 00:16:3e:00:00:01 "dst=00:16:3e:00:00:02 size=$size seconds=$SECONDS_PER"
  off=(); on=(); rates=(); lostrec=0
  for round in $(seq "$REPEAT"); do
    for mode in off on; do
      note "$size-byte frames, round $round, tracing $mode"
      args=(create "$tmp/sink.cfg" "$tmp/gen.cfg")
      [ "$mode" = on ] && args=(create --trace "$tmp/run.trace" --trace-events "$EVENTS" "$tmp/sink.cfg" "$tmp/gen.cfg")
      out="$("$PARAKIT" "${args[@]}" 2>&1)"; echo "$out" >> "$log"
      got="$(grep 'sink: done' <<<"$out" | tail -n1)"
      [ -n "$got" ] || die "the sink did not finish (see $log)"
      pps="$(field pps "$got")"; gbps="$(field gbps "$got")"; received="$(field received "$got")"; lost="$(field lost "$got")"
      records=""; rlost=""; tbytes=""
      if [ "$mode" = on ]; then
        tline="$(grep -E 'parakit: trace .*records from' <<<"$out" | tail -n1)"
        records="$(sed -nE 's/.*: ([0-9]+) records from.*/\1/p' <<<"$tline")"
        rlost="$(sed -nE 's/.* ([0-9]+) lost.*/\1/p' <<<"$tline")"
        tbytes="$(sed -nE 's/.*\(([0-9]+) bytes\).*/\1/p' <<<"$tline")"
        on+=("$pps"); rates+=("$(awk -v r="$records" -v s="$SECONDS_PER" 'BEGIN { printf "%.0f", r / s }')")
        lostrec=$(( lostrec + ${rlost:-0} ))
        rm -f "$tmp/run.trace"
      else
        off+=("$pps")
      fi
      echo "$size,$round,$mode,$pps,$gbps,$received,$lost,$records,$rlost,$tbytes" >> "$csv"
    done
  done
  off_m="$(echo "${off[*]}" | median)"; on_m="$(echo "${on[*]}" | median)"; rate_m="$(echo "${rates[*]}" | median)"
  ratio="$(awk -v a="$on_m" -v b="$off_m" 'BEGIN { printf "%.3f", b ? a / b : 0 }')"
  # Each round's on/off pair ran back to back: the spread of their ratios says how noisy the host was.
  pairs="$(paste -d' ' <(tr ' ' '\n' <<<"${off[*]}") <(tr ' ' '\n' <<<"${on[*]}") | awk '$1 > 0 { printf "%.3f\n", $2 / $1 }' | sort -g | tr '\n' ' ')"
  verdict="$(awk -v r="$ratio" 'BEGIN { print (r >= 0.90 ? "within 10%" : "MORE than 10% slower") }')"
  printf '%6s B: tracing off %10s pps, on %10s pps (median of %s), on/off %s (%s); ~%s records/s traced, %s records lost\n' \
    "$size" "$off_m" "$on_m" "$REPEAT" "$ratio" "$verdict" "$rate_m" "$lostrec"
  printf '        on/off of each round (sorted): %s\n' "$pairs"
  objs+=("{\"size\":$size,\"events\":\"$EVENTS\",\"pps_off\":$off_m,\"pps_on\":$on_m,\"ratio_on_off\":$ratio,\"repeat\":$REPEAT,\"pps_off_all\":[$(IFS=,; echo "${off[*]}")],\"pps_on_all\":[$(IFS=,; echo "${on[*]}")],\"records_per_s\":$rate_m,\"records_lost\":$lostrec,\"ratios_per_round\":[$(tr ' ' ',' <<<"${pairs% }")]}")
done
{
  printf '{"machine":%s,"seconds_per_run":%s,"sizes":[' "$(machine_json)" "$SECONDS_PER"
  ( IFS=,; printf '%s' "${objs[*]}" )
  printf ']}\n'
} > "$json"
note "wrote $json, $csv, $log"
