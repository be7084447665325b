#!/usr/bin/env bash
# Paravirtual against full virtualization (Xen SOSP'03's comparison): the same pktgen -> sink and
# l2ping images, once over netfront/netback (PV) and once over the emulated Intel e1000 (FV,
# model=e1000, interrupt-driven driver), in the same run, on the same in-process switch.
# Per frame size: packets/s and Gbit/s at the sink, exits per packet (every KVM exit of both
# guests, from the final table), interrupts or notifications per packet (FV: the cards' MSIs; PV:
# event-channel sends of both guests plus netback's notifications); l2ping's median round trip on
# each path. Baseline from the same run: one exit round trip (nullcall: xen_version in a loop),
# and the marginal cost of an FV exit, (1/fv_pps - 1/pv_pps) / (fv_exits - pv_exits) per packet.
#
# Usage: bench/pvfv.sh                 (SECONDS_PER=3, SIZES="64 512 1500", PINGS=1000)
# Writes bench/results/pvfv.json: one object per size {"size","pv_pps","fv_pps",
# "pv_exits_per_packet","fv_exits_per_packet","pv_gbps","fv_gbps","pv_notifies_per_packet",
# "fv_interrupts_per_packet","pv_over_fv","pv_rtt_us","fv_rtt_us"}; pvfv-baselines.json (machine,
# rtts, exit cost), pvfv.csv and pvfv.log.
set -euo pipefail
source "$(dirname "$0")/common.sh"

SECONDS_PER="${SECONDS_PER:-3}"
SIZES="${SIZES:-64 512 1500}"
PINGS="${PINGS:-1000}"
require_kvm
require_parakit
PKTGEN="$(require_guest pktgen)"
SINK="$(require_guest sink)"
L2PING="$(require_guest l2ping)"
NULLCALL="$(require_guest nullcall)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log="$RESULTS/pvfv.log"; csv="$RESULTS/pvfv.csv"; json="$RESULTS/pvfv.json"
: > "$log"
echo "size,path,pps,gbps,received,sent,lost,exits,exits_per_packet,signals,signals_per_packet" > "$csv"

cfg() {  # cfg NAME IMAGE MAC EXTRA MODEL(pv|fv)
  local model=""; [ "$5" = fv ] && model="model=e1000,"
  printf 'name = "%s"\nkernel = "%s"\nmemory = 64\nvif = [ '"'"'%smac=%s,bridge=sw0'"'"' ]\nextra = "%s"\n' "$1" "$2" "$model" "$3" "$4" > "$tmp/$1.cfg"
}
exits_of() { awk -v names="$2" 'BEGIN { split(names, n, " "); for (i in n) want[n[i]] = 1 } ($1 in want) && $2 ~ /^[0-9]+$/ { s += $6 } END { print s + 0 }' <<<"$1"; }
netback_notifies() { grep -oE ' notifies=[0-9]+' <<<"$1" | awk -F= '{ s += $2 } END { print s + 0 }'; }
card_irqs() { grep -oE ' irqs=[0-9]+' <<<"$1" | awk -F= '{ s += $2 } END { print s + 0 }'; }

note "baseline: one exit round trip (nullcall, 20000 xen_version hypercalls)"
nc_out="$("$PARAKIT" run "$NULLCALL" -- 20000 2>&1)"; echo "$nc_out" >> "$log"
exit_ns="$(field ns_per_call "$(grep 'nullcall:' <<<"$nc_out" | tail -n1)")"

declare -A rtt
for path in pv fv fvpoll; do
  note "l2ping over $path: $PINGS round trips"
  model="$path"; irqs=1
  [ "$path" = fvpoll ] && { model=fv; irqs=0; }
  cfg echo "$L2PING" 00:16:3e:00:00:02 "mode=echo count=$PINGS" "$model"
  cfg ping "$L2PING" 00:16:3e:00:00:01 "dst=00:16:3e:00:00:02 count=$PINGS" "$model"
  # fvpoll: the e1000 driver without interrupts (no irqchip): it learns of frames only when the
  # blocked vCPU is woken by the card's line, so RTT(fv) - RTT(fvpoll) prices the MSI path.
  l2_out="$(PARAKIT_E1000_INTERRUPTS=$irqs "$PARAKIT" create "$tmp/echo.cfg" "$tmp/ping.cfg" 2>&1)"; echo "$l2_out" >> "$log"
  rtt[$path]="$(field median_us "$(grep 'l2ping: done' <<<"$l2_out" | tail -n1)")"
done

objs=()
for size in $SIZES; do
  declare -A pps gbps epp spp
  for path in pv fv; do
    note "pktgen -> sink over $path, $size-byte frames, ${SECONDS_PER} s"
    cfg sink "$SINK" 00:16:3e:00:00:02 "seconds=$((SECONDS_PER + 2)) quiet-exit-ms=1500" "$path"
    cfg gen "$PKTGEN" 00:16:3e:00:00:01 "dst=00:16:3e:00:00:02 size=$size seconds=$SECONDS_PER" "$path"
    out="$("$PARAKIT" create --stats "$tmp/sink.cfg" "$tmp/gen.cfg" 2>&1)"; echo "$out" >> "$log"
    gen="$(grep 'pktgen: done' <<<"$out" | tail -n1)"; got="$(grep 'sink: done' <<<"$out" | tail -n1)"
    [ -n "$gen" ] && [ -n "$got" ] || die "a guest did not finish over $path (see $log)"
    received="$(field received "$got")"; sent="$(field sent "$gen")"; lost="$(field lost "$got")"
    pps[$path]="$(field pps "$got")"; gbps[$path]="$(field gbps "$got")"
    exits="$(exits_of "$out" "sink gen")"
    if [ "$path" = pv ]; then
      signals=$(( $(field notifies "$gen") + $(field notifies "$got") + $(netback_notifies "$out") ))
    else
      signals="$(card_irqs "$out")"
    fi
    epp[$path]="$(awk -v e="$exits" -v n="$received" 'BEGIN { printf "%.4f", n ? e / n : 0 }')"
    spp[$path]="$(awk -v e="$signals" -v n="$received" 'BEGIN { printf "%.4f", n ? e / n : 0 }')"
    echo "$size,$path,${pps[$path]},${gbps[$path]},$received,$sent,$lost,$exits,${epp[$path]},$signals,${spp[$path]}" >> "$csv"
    printf '%6s B %s: %9s pps %7s Gbit/s  (%s of %s received, %s lost)  exits/pkt %s  %s/pkt %s\n' \
      "$size" "$path" "${pps[$path]}" "${gbps[$path]}" "$received" "$sent" "$lost" "${epp[$path]}" \
      "$([ "$path" = pv ] && echo notifies || echo irqs)" "${spp[$path]}"
  done
  ratio="$(awk -v p="${pps[pv]}" -v f="${pps[fv]}" 'BEGIN { printf "%.2f", f ? p / f : 0 }')"
  # Marginal cost of one more exit: extra time per packet over extra exits per packet.
  per_exit="$(awk -v p="${pps[pv]}" -v f="${pps[fv]}" -v ep="${epp[pv]}" -v ef="${epp[fv]}" \
    'BEGIN { d = ef - ep; if (p && f && d > 0) printf "%.1f", (1e6 / f - 1e6 / p) / d; else printf "null" }')"
  printf '%6s B: PV/FV = %sx; an FV exit costs about %s us (one exit round trip alone: %s ns)\n' "$size" "$ratio" "$per_exit" "$exit_ns"
  objs+=("{\"size\":$size,\"pv_pps\":${pps[pv]},\"fv_pps\":${pps[fv]},\"pv_exits_per_packet\":${epp[pv]},\"fv_exits_per_packet\":${epp[fv]},\"pv_gbps\":${gbps[pv]},\"fv_gbps\":${gbps[fv]},\"pv_notifies_per_packet\":${spp[pv]},\"fv_interrupts_per_packet\":${spp[fv]},\"pv_over_fv\":$ratio,\"us_per_extra_fv_exit\":$per_exit,\"pv_rtt_us\":${rtt[pv]:-null},\"fv_rtt_us\":${rtt[fv]:-null}}")
done
printf 'l2ping round trip median: PV %s us, FV %s us (FV polling, no interrupts: %s us); one exit round trip %s ns\n' "${rtt[pv]:-?}" "${rtt[fv]:-?}" "${rtt[fvpoll]:-?}" "$exit_ns"
{
  printf '['
  ( IFS=,; printf '%s' "${objs[*]}" )
  printf ']\n'
} > "$json"
printf '{"machine":%s,"pv_rtt_us":%s,"fv_rtt_us":%s,"fv_polling_rtt_us":%s,"exit_round_trip_ns":%s}\n' \
  "$(machine_json)" "${rtt[pv]:-null}" "${rtt[fv]:-null}" "${rtt[fvpoll]:-null}" "${exit_ns:-null}" > "$RESULTS/pvfv-baselines.json"
note "wrote $json, $RESULTS/pvfv-baselines.json, $csv"
