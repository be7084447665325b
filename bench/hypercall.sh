#!/usr/bin/env bash
# Hypercall round trip: ParaKit's null hypercall against the raw-KVM baseline, in the same run.
#
# Alternates, ROUNDS times, the raw C VMM (bench/kvm-baseline/rawexit.c: same ring-3 long-mode
# guest, same MMIO-doorbell stub, sync regs, minimum work per exit) and
# `parakit run out/guests/nullcall.elf --stats -- N`, so both see the same machine noise.
# Two views of the same round trip:
#   guest side  cycles per call, timed by each guest with rdtsc (nullcall prints it); ns =
#               cycles / the TSC rate rawexit measures against the host clock
#   host side   ns per exit: rawexit's wall clock / exits, and ParaKit's --stats
#               "run time T ms, E exits" (domain life from first KVM_RUN) / E
# Goal (issue 4): ParaKit within 10% of the raw exit (ratio <= 1.10).
#
# Usage: bench/hypercall.sh            (N=1000000 ROUNDS=3)
#        N=100000 ROUNDS=5 bench/hypercall.sh
#        NULLCALL=path/to/other.elf bench/hypercall.sh   (another null-call guest)
# Writes bench/results/hypercall.csv (one row per run), hypercall.json (summary) and
# hypercall.svg (cycles per call by round).
set -euo pipefail
source "$(dirname "$0")/common.sh"

N="${N:-1000000}"
ROUNDS="${ROUNDS:-3}"
# Exits cost ~25 us on the nested kvm_pvm hosts and ~1-2 us on bare metal: allow 100 us each.
TIMEOUT="${TIMEOUT:-$(( N / 10000 + 60 ))}"

require_kvm
require_parakit
if [ -n "${NULLCALL:-}" ]; then
  [ -f "$NULLCALL" ] || die "NULLCALL=$NULLCALL does not exist"
else
  NULLCALL="$(require_guest nullcall)"
fi
RAWEXIT="$(build_tool rawexit)"

csv="$RESULTS/hypercall.csv"
json="$RESULTS/hypercall.json"
log="$RESULTS/hypercall.log"
echo "round,impl,calls,cycles_per_call,ns_per_call,host_ns_per_exit,exits,wall_ns,tsc_ghz,dom0_us_per_call" > "$csv"
: > "$log"

# The cycles-per-call figure nullcall prints, whichever way it is spelled
# ("cycles_per_call=123", "123 cycles per call", "cycles/call: 123").
parse_cycles_per_call() {
  local v
  v="$(grep -oiE 'cycles[ _/-]*(per[ _-]*)?call[^0-9]{0,4}[0-9]+(\.[0-9]+)?' <<<"$1" | grep -oE '[0-9]+(\.[0-9]+)?$' | tail -n1 || true)"
  [ -n "$v" ] || v="$(grep -oiE '[0-9]+(\.[0-9]+)? *cycles[ _/-]*(per[ _-]*)?call' <<<"$1" | grep -oE '^[0-9]+(\.[0-9]+)?' | tail -n1 || true)"
  echo "$v"
}

# The number of exits --stats reports ("1000004 exits" or "exits=1000004"), if any.
parse_exits() {
  local v
  v="$(grep -oiE '[0-9]+ exits\b' <<<"$1" | grep -oE '^[0-9]+' | head -n1 || true)"
  [ -n "$v" ] || v="$(grep -oiE '\bexits[=: ]+[0-9]+' <<<"$1" | grep -oE '[0-9]+$' | head -n1 || true)"
  echo "$v"
}

# The domain's run time --stats reports ("run time 2520.3 ms"), in ns.
parse_run_ns() {
  grep -oiE 'run time [0-9]+(\.[0-9]+)? ms' <<<"$1" | grep -oE '[0-9]+(\.[0-9]+)?' | head -n1 |
    awk '{ printf "%.0f\n", $1 * 1e6 }' || true
}

# Domain 0's own time per hypercall, if --stats reports it ("2.10 µs/hypercall in domain 0").
parse_dom0_us() {
  grep -oiE '[0-9]+(\.[0-9]+)? *(µs|us)/hypercall' <<<"$1" | grep -oE '^[0-9]+(\.[0-9]+)?' | head -n1 || true
}

note "hypercall: N=$N ROUNDS=$ROUNDS timeout ${TIMEOUT}s per run; guest $NULLCALL"
tsc_ghz=""
for r in $(seq 1 "$ROUNDS"); do
  # raw baseline
  out="$(timeout "$TIMEOUT" "$RAWEXIT" -q -n "$N" 2>&1)" || die "rawexit failed (round $r): $out"
  echo "== round $r rawexit" >> "$log"; echo "$out" >> "$log"
  line="$(grep '^RESULT' <<<"$out")"
  cpc="$(field cycles_per_call "$line")"; tsc_ghz="$(field tsc_ghz "$line")"
  npc="$(field ns_per_rt "$line")"
  echo "$r,raw,$N,$cpc,$(awk -v c="$cpc" -v g="$tsc_ghz" 'BEGIN { printf "%.1f", c / g }'),$npc,$(field exits "$line"),$(field total_ns "$line"),$tsc_ghz," >> "$csv"
  note "round $r raw:     $cpc cycles/call (guest)  $npc ns/exit (host)"

  # ParaKit
  t0=$(date +%s%N)
  set +e
  out="$(timeout "$TIMEOUT" "$PARAKIT" run "$NULLCALL" --stats -- "$N" 2>&1)"
  rc=$?
  set -e
  t1=$(date +%s%N)
  echo "== round $r parakit (exit $rc)" >> "$log"; echo "$out" >> "$log"
  [ "$rc" -ne 124 ] || die "parakit run $(basename "$NULLCALL") timed out after ${TIMEOUT}s (see $log)"
  [ "$rc" -eq 0 ] || die "parakit run $(basename "$NULLCALL") exited with $rc (see $log): $(tail -n5 <<<"$out")"
  cpc="$(parse_cycles_per_call "$out")"
  exits="$(parse_exits "$out")"; run_ns="$(parse_run_ns "$out")"
  [ -n "$cpc" ] || [ -n "$exits" ] || die "found neither cycles per call nor --stats exits in the output of $(basename "$NULLCALL") (see $log)"
  npc=""; [ -z "$cpc" ] || npc="$(awk -v c="$cpc" -v g="$tsc_ghz" 'BEGIN { printf "%.1f", c / g }')"
  hpe=""; [ -z "$exits" ] || [ -z "$run_ns" ] || hpe="$(awk -v t="$run_ns" -v e="$exits" 'BEGIN { printf "%.1f", t / e }')"
  echo "$r,parakit,$N,$cpc,$npc,$hpe,$exits,$((t1 - t0)),$tsc_ghz,$(parse_dom0_us "$out")" >> "$csv"
  note "round $r parakit: ${cpc:-?} cycles/call (guest)  ${hpe:-?} ns/exit (host, --stats)"
done

col() { awk -F, -v impl="$1" -v c="$2" 'NR > 1 && $2 == impl && $c != "" { print $c }' "$csv"; }
# summary IMPL COLUMN -> "median p10 p90", or "null null null" without data
summary() { local v; v="$(col "$1" "$2")"; if [ -z "$v" ]; then echo "null null null"; else stats <<<"$v" | awk '{ print $1, $2, $3 }'; fi; }
# Paired ratios (each ParaKit run over the raw run just before it) are steadier than a ratio
# of medians when the machine's load drifts. paired COLUMN -> "median min max" or nulls.
paired() {
  local v
  v="$(awk -F, -v c="$1" 'NR > 1 { v[$1, $2] = $c; if ($1 > n) n = $1 }
    END { for (i = 1; i <= n; i++) if (v[i, "parakit"] != "" && v[i, "raw"] > 0) printf "%.4f\n", v[i, "parakit"] / v[i, "raw"] }' "$csv")"
  if [ -z "$v" ]; then echo "null null null"; else stats <<<"$v" | awk '{ print $1, $4, $5 }'; fi
}

read -r raw_c raw_c10 raw_c90 <<<"$(summary raw 4)"
read -r pk_c pk_c10 pk_c90 <<<"$(summary parakit 4)"
read -r raw_h raw_h10 raw_h90 <<<"$(summary raw 6)"
read -r pk_h pk_h10 pk_h90 <<<"$(summary parakit 6)"
read -r ratio_g ratio_g_min ratio_g_max <<<"$(paired 4)"
read -r ratio_h ratio_h_min ratio_h_max <<<"$(paired 6)"
read -r pk_dom0 _ _ <<<"$(summary parakit 10)"
pk_exits="$(col parakit 7 | tail -n1)"; [ -n "$pk_exits" ] || pk_exits=null
ns_of() { [ "$1" = null ] && echo null || awk -v c="$1" -v g="$tsc_ghz" 'BEGIN { printf "%.1f", c / g }'; }
raw_ns="$(ns_of "$raw_c")"; pk_ns="$(ns_of "$pk_c")"
# The verdict uses the guest-side ratio when nullcall prints cycles, else the host side.
ratio="$ratio_g"; basis="guest rdtsc cycles per call"
[ "$ratio" != null ] || { ratio="$ratio_h"; basis="host ns per exit"; }
verdict="$(awk -v r="$ratio" 'BEGIN { print (r <= 1.10) ? "within" : "over" }')"

cat > "$json" <<JSON
{
  "benchmark": "hypercall",
  "machine": $(machine_json),
  "calls_per_run": $N,
  "rounds": $ROUNDS,
  "guest": "$(basename "$NULLCALL")",
  "tsc_ghz": $tsc_ghz,
  "raw": { "cycles_per_call": { "median": $raw_c, "p10": $raw_c10, "p90": $raw_c90 }, "ns_per_call_median": $raw_ns,
           "host_ns_per_exit": { "median": $raw_h, "p10": $raw_h10, "p90": $raw_h90 } },
  "parakit": { "cycles_per_call": { "median": $pk_c, "p10": $pk_c10, "p90": $pk_c90 }, "ns_per_call_median": $pk_ns,
               "host_ns_per_exit": { "median": $pk_h, "p10": $pk_h10, "p90": $pk_h90 },
               "exits_last_run": $pk_exits, "dom0_us_per_hypercall_median": $pk_dom0 },
  "ratio_guest_side": { "median": $ratio_g, "min": $ratio_g_min, "max": $ratio_g_max },
  "ratio_host_side": { "median": $ratio_h, "min": $ratio_h_min, "max": $ratio_h_max },
  "ratio": $ratio,
  "ratio_basis": "$basis",
  "goal_ratio": 1.10,
  "goal": "$verdict",
  "baseline": "bench/kvm-baseline/rawexit.c: same ring-3 guest, same MMIO-doorbell stub, KVM_CAP_SYNC_REGS, minimum work per exit",
  "commands": ["out/bench/rawexit -q -n $N", "out/bin/parakit run $(basename "$NULLCALL") --stats -- $N"]
}
JSON

awk -F, 'NR > 1 && $4 != "" { print $2, $1, $4 }' "$csv" |
  "$BENCH_DIR/svgplot.sh" "$RESULTS/hypercall.svg" "Null hypercall round trip, $N calls per run" "round" "cycles per call (guest rdtsc)"

printf '\nhypercall round trip, %s calls x %s rounds, alternating (TSC %s GHz)\n' "$N" "$ROUNDS" "$tsc_ghz"
printf '  %-8s %14s %10s %10s %10s %14s %10s %10s\n' impl cycles/call p10 p90 ns/call "host ns/exit" p10 p90
printf '  %-8s %14s %10s %10s %10s %14s %10s %10s\n' raw "$raw_c" "$raw_c10" "$raw_c90" "$raw_ns" "$raw_h" "$raw_h10" "$raw_h90"
printf '  %-8s %14s %10s %10s %10s %14s %10s %10s\n' parakit "$pk_c" "$pk_c10" "$pk_c90" "$pk_ns" "$pk_h" "$pk_h10" "$pk_h90"
printf '  ParaKit/raw, median of paired rounds: guest side %s (%s-%s), host side %s (%s-%s)\n' \
  "$ratio_g" "$ratio_g_min" "$ratio_g_max" "$ratio_h" "$ratio_h_min" "$ratio_h_max"
printf '  goal <= 1.10 (%s): %s %s\n' "$basis" "$ratio" "$verdict"
printf '  parakit --stats: %s exits in the last run; domain-0 handler time %s µs per hypercall\n' "$pk_exits" "$pk_dom0"
printf '  wrote %s, %s and hypercall.svg\n' "$csv" "$json"
