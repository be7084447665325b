#!/usr/bin/env bash
# The data plane: pktgen -> sink across an in-process switch (netfront -> netback -> switch ->
# netback -> netfront), at 64, 512 and 1500-byte frames, and l2ping round trips; baselines from
# the same run: memcpy bandwidth at each size (bench/kvm-baseline/memcpybw.c), the in-process
# shared-ring demo (`parakit demo ring`) and the event-channel round trip between two guests
# (pingpong). Exits are every KVM exit of both guests (the final --stats table); notifications
# are the guests' event-channel sends plus netback's notifications to them.
#
# Usage: bench/net.sh                  (SECONDS_PER=3, SIZES="64 512 1500", PINGS=2000)
# Writes bench/results/net.json (one object per frame size: size, pps, gbps, exits_per_packet,
# notifies_per_packet, rtt_us_median, plus the run's baselines), net.csv and net.log.
set -euo pipefail
source "$(dirname "$0")/common.sh"

SECONDS_PER="${SECONDS_PER:-3}"
SIZES="${SIZES:-64 512 1500}"
PINGS="${PINGS:-2000}"
require_kvm
require_parakit
PKTGEN="$(require_guest pktgen)"
SINK="$(require_guest sink)"
L2PING="$(require_guest l2ping)"
PINGPONG="$(require_guest pingpong)"
MEMCPYBW="$(build_tool memcpybw)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log="$RESULTS/net.log"; csv="$RESULTS/net.csv"; json="$RESULTS/net.json"
: > "$log"
echo "size,pps,gbps,received,sent,lost,exits,exits_per_packet,notifies,notifies_per_packet,memcpy_gbps" > "$csv"

cfg() {  # cfg NAME IMAGE MAC EXTRA
  printf 'name = "%s"\nkernel = "%s"\nmemory = 64\nvif = [ '"'"'mac=%s,bridge=sw0'"'"' ]\nextra = "%s"\n' "$1" "$2" "$3" "$4" > "$tmp/$1.cfg"
}

# Sum of the Exits column (6th) of the final table's domain rows for the named domains.
exits_of() { awk -v names="$2" 'BEGIN { split(names, n, " "); for (i in n) want[n[i]] = 1 } ($1 in want) && $2 ~ /^[0-9]+$/ { s += $6 } END { print s + 0 }' <<<"$1"; }
# Sum of netback's notifies=N over the vif rows.
netback_notifies() { grep -oE 'notifies=[0-9]+' <<<"$1" | awk -F= '{ s += $2 } END { print s + 0 }'; }

note "baseline: in-process shared ring"
ring_out="$("$PARAKIT" demo ring 10000000 2>&1)"; echo "$ring_out" >> "$log"
ring_rps="$(grep -oE '[0-9.]+ M requests/s' <<<"$ring_out" | grep -oE '^[0-9.]+' | tail -n1 || echo 0)"

note "baseline: event-channel round trip between two guests (pingpong)"
cat > "$tmp/ping.cfg" <<CFG
name = "ping"
kernel = "$PINGPONG"
memory = 16
extra = "role=ping peer=2 events=2000 copies=10"
CFG
cat > "$tmp/pong.cfg" <<CFG
name = "pong"
kernel = "$PINGPONG"
memory = 16
extra = "role=pong peer=1 events=2000 copies=10"
CFG
pp_out="$("$PARAKIT" create "$tmp/ping.cfg" "$tmp/pong.cfg" 2>&1)"; echo "$pp_out" >> "$log"
evt_line="$(grep -E 'ping: event round trip' <<<"$pp_out" | head -n1 || true)"
[ -n "$evt_line" ] || evt_line="$(grep -E 'ping: .* over [0-9]+: min' <<<"$pp_out" | head -n1 || true)"
evt_median="$(sed -nE 's/.*median ([0-9.]+) us.*/\1/p' <<<"$evt_line")"

note "l2ping: $PINGS round trips"
cfg echo "$L2PING" 00:16:3e:00:00:02 "mode=echo count=$PINGS"
cfg ping "$L2PING" 00:16:3e:00:00:01 "dst=00:16:3e:00:00:02 count=$PINGS"
l2_out="$("$PARAKIT" create "$tmp/echo.cfg" "$tmp/ping.cfg" 2>&1)"; echo "$l2_out" >> "$log"
l2_line="$(grep 'l2ping: done' <<<"$l2_out" | tail -n1)"
rtt_median="$(field median_us "$l2_line")"; rtt_p99="$(field p99_us "$l2_line")"

objs=()
for size in $SIZES; do
  note "pktgen -> sink, $size-byte frames, ${SECONDS_PER} s"
  cfg sink "$SINK" 00:16:3e:00:00:02 "seconds=$((SECONDS_PER + 2)) quiet-exit-ms=1500"
  cfg gen "$PKTGEN" 00:16:3e:00:00:01 "dst=00:16:3e:00:00:02 size=$size seconds=$SECONDS_PER"
  out="$("$PARAKIT" create --stats "$tmp/sink.cfg" "$tmp/gen.cfg" 2>&1)"; echo "$out" >> "$log"
  gen="$(grep 'pktgen: done' <<<"$out" | tail -n1)"; got="$(grep 'sink: done' <<<"$out" | tail -n1)"
  [ -n "$gen" ] && [ -n "$got" ] || die "a guest did not finish (see $log)"
  received="$(field received "$got")"; sent="$(field sent "$gen")"; lost="$(field lost "$got")"
  pps="$(field pps "$got")"; gbps="$(field gbps "$got")"
  exits="$(exits_of "$out" "sink gen")"
  guest_sends=$(( $(field notifies "$gen") + $(field notifies "$got") ))
  notifies=$(( guest_sends + $(netback_notifies "$out") ))
  mc="$("$MEMCPYBW" "$size")"; mc_gbps="$(field memcpy_gbps "$mc")"
  epp="$(awk -v e="$exits" -v n="$received" 'BEGIN { printf "%.4f", n ? e / n : 0 }')"
  npp="$(awk -v e="$notifies" -v n="$received" 'BEGIN { printf "%.4f", n ? e / n : 0 }')"
  echo "$size,$pps,$gbps,$received,$sent,$lost,$exits,$epp,$notifies,$npp,$mc_gbps" >> "$csv"
  printf '%6s B: %10s pps %7s Gbit/s  (%s of %s received, %s lost)  exits/pkt %s  notifies/pkt %s  | memcpy %s Gbit/s\n' \
    "$size" "$pps" "$gbps" "$received" "$sent" "$lost" "$epp" "$npp" "$mc_gbps"
  objs+=("{\"size\":$size,\"pps\":$pps,\"gbps\":$gbps,\"exits_per_packet\":$epp,\"notifies_per_packet\":$npp,\"rtt_us_median\":${rtt_median:-null},\"received\":$received,\"sent\":$sent,\"lost\":${lost:-0},\"memcpy_gbps\":${mc_gbps:-null}}")
done
printf 'l2ping round trip: median %s us, p99 %s us; event-channel round trip (pingpong) median %s us; in-process ring %s M requests/s\n' \
  "${rtt_median:-?}" "${rtt_p99:-?}" "${evt_median:-?}" "$ring_rps"
{
  printf '['
  ( IFS=,; printf '%s' "${objs[*]}" )
  printf ']\n'
} > "$json"
printf '{"machine":%s,"rtt_us_median":%s,"rtt_us_p99":%s,"evtchn_rtt_us_median":%s,"ring_demo_mrps":%s}\n' \
  "$(machine_json)" "${rtt_median:-null}" "${rtt_p99:-null}" "${evt_median:-null}" "${ring_rps:-null}" > "$RESULTS/net-baselines.json"
note "wrote $json, $RESULTS/net-baselines.json, $csv"
