#!/usr/bin/env bash
# Density: N domains that block (the `blocker` app), for N in NS (default 1 10 100 500).
# GUEST=asm runs tests/guests/block.S instead: rawdensity's own guest (print, then block), so the
# comparison is domain 0 against the C VMM alone, without the C# unikernel's pages.
#
# For each N it starts `parakit create` with N generated xl.cfg-style files, and, as the
# baseline in the same run, out/bench/rawdensity (bench/kvm-baseline/rawdensity.c: N minimal
# ParaKit-shaped KVM VMs in C whose vCPU threads sleep on an eventfd). Both are measured the
# same way, from outside, so neither has to report anything:
#   creation   time from launch until the process holds N vCPU fds (/proc/PID/fd), until N
#              guests have said on the console that they block (BLOCKED_PATTERN), and until
#              the process then goes quiet (< 20 ms of CPU in 0.5 s)
#   memory     RSS (anon, file, shmem) of the process, divided by N; PSS (smaps_rollup: a page
#              mapped by k domains counts 1/k in each, so pages domains share through a boot
#              template count once: the "real" cost, as smem reports it); the guest RAM it maps
#              (memfd mappings in /proc/PID/maps); MemAvailable before and after, which also
#              sees the kernel's per-VM memory (system-wide: noisy on a shared machine)
#   stop       SIGINT, then the time until the process exits (SIGKILL after STOP_TIMEOUT)
# The vCPU-fd count is sampled every ~10 ms into density-timeline.csv (creation curve).
#
# Usage: bench/density.sh                 (NS="1 10 100 500" MEM=4 MiB per parakit domain)
#        NS="1 10" MEM=8 bench/density.sh
#        GUEST=asm bench/density.sh        (the minimal guest in both)
# Writes bench/results/density.csv, density-timeline.csv, density.json and three SVG plots.
set -euo pipefail
source "$(dirname "$0")/common.sh"

NS="${NS:-1 10 100 500}"
MEM="${MEM:-4}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
BLOCKED_PATTERN="${BLOCKED_PATTERN:-blocking}"  # what each guest prints before it blocks

require_kvm
require_parakit
env --default-signal=INT true 2>/dev/null || die "env --default-signal (GNU coreutils 8.31 or later) is needed to deliver SIGINT to background domains"
case "${GUEST:-blocker}" in
  blocker) BLOCKER="$(require_guest blocker)" ;;
  asm) "$ROOT/tests/guests/build.sh" block; BLOCKER="$ROOT/out/tests/guests/block.elf" ;;
  *) die "GUEST=$GUEST: expected blocker (the C# app, the default) or asm (tests/guests/block.S)" ;;
esac
RAWDENSITY="$(build_tool rawdensity)"

csv="$RESULTS/density.csv"
timeline="$RESULTS/density-timeline.csv"
json="$RESULTS/density.json"
work="$(mktemp -d "${TMPDIR:-/tmp}/parakit-density.XXXXXX")"
CUR_PID=""
# Never leave domains behind: kill the one under measurement if the script stops early.
trap '[ -z "$CUR_PID" ] || kill -KILL "$CUR_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "impl,n,created_ms,blocked_ms,settled_ms,create_per_domain_us,rss_kb,rss_per_domain_kb,anon_kb,file_kb,shmem_kb,guest_ram_mapped_kb,guest_ram_per_domain_kb,threads,memavail_drop_kb,memavail_drop_per_domain_kb,stop_ms,stop,status,pss_kb,pss_per_domain_kb" > "$csv"
echo "impl,n,t_ms,vcpus" > "$timeline"
notes=()

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
vcpu_fds() { find "/proc/$1/fd" -lname 'anon_inode:kvm-vcpu*' -printf . 2>/dev/null | wc -c; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
memavail_kb() { awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo; }
# Sum of the sizes of the process's memfd mappings (guest RAM), in KiB.
memfd_mapped_kb() {
  local total=0 range rest s e
  while read -r range rest; do
    s="${range%-*}"; e="${range#*-}"
    total=$(( total + (16#$e - 16#$s) / 1024 ))
  done < <(grep 'memfd:' "/proc/$1/maps" 2>/dev/null || true)
  echo "$total"
}

# measure IMPL N CMD...: run one density experiment and append its row to the CSV.
measure() {
  local impl="$1" n="$2"; shift 2
  local log="$work/$impl-$n.log" limit avail0 t0 pid count=0 created="" blocked="" settled="" last_ticks ticks quiet_since
  limit=$(( 60 + n / 2 ))  # seconds allowed to create and settle N domains
  avail0="$(memavail_kb)"
  t0=$(date +%s%N)
  # A script's background job starts with SIGINT ignored, and a process that starts with a
  # signal ignored keeps it ignored: give it back its default so the SIGINT below is heard.
  env --default-signal=INT "$@" > "$log" 2>&1 &
  pid=$!
  CUR_PID=$pid

  # Creation: wait for N vCPU fds.
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" && rc=0 || rc=$?
      notes+=("$impl N=$n: the process exited (status $rc) with $count of $n vCPUs created: $(tail -n 3 "$log" | tr '\n"' ' ')")
      echo "$impl,$n,,,,,,,,,,,,,,,,,failed,," >> "$csv"
      note "$impl N=$n failed: $(tail -n 3 "$log")"
      return 1
    fi
    count="$(vcpu_fds "$pid")"
    echo "$impl,$n,$(ms_since "$t0"),$count" >> "$timeline"
    [ "$count" -lt "$n" ] || { created="$(ms_since "$t0")"; break; }
    if [ "$(ms_since "$t0")" -gt $(( limit * 1000 )) ]; then
      notes+=("$impl N=$n: only $count of $n vCPUs after ${limit}s")
      break
    fi
    sleep 0.01
  done

  # Blocked: every guest has said so on the console (blocker prints "... blocking forever"
  # before its first SCHEDOP_block; rawdensity prints "BLOCKED" once all have). Bounded, since
  # another guest may print nothing.
  if [ -n "$created" ]; then
    local said wait_until=$(( $(date +%s%N) + (5 + n / 50) * 1000000000 ))
    while [ "$(date +%s%N)" -lt "$wait_until" ]; do
      if [ "$impl" = raw ]; then said=$(grep -c '^BLOCKED' "$log" || true); [ "$said" -ge 1 ] && said=$n
      else said=$(grep -c "$BLOCKED_PATTERN" "$log" || true); fi
      [ "$said" -lt "$n" ] || { blocked="$(ms_since "$t0")"; break; }
      sleep 0.01
    done
  fi

  # Settling: every guest blocked, so the process stops using CPU.
  if [ -n "$created" ]; then
    last_ticks="$(cpu_ticks "$pid")"; quiet_since=$(date +%s%N)
    while :; do
      sleep 0.1
      kill -0 "$pid" 2>/dev/null || break
      ticks="$(cpu_ticks "$pid")"
      if [ $(( ticks - last_ticks )) -gt 2 ]; then
        last_ticks="$ticks"; quiet_since=$(date +%s%N)
      elif [ $(( ($(date +%s%N) - quiet_since) / 1000000 )) -ge 500 ]; then
        settled=$(( (quiet_since - t0) / 1000000 )); break
      fi
      if [ "$(ms_since "$t0")" -gt $(( limit * 1000 )) ]; then
        notes+=("$impl N=$n: still using CPU ${limit}s after launch (guests not all blocked?)")
        break
      fi
    done
  fi

  local rss pss anon file shmem threads mapped avail1 drop
  if kill -0 "$pid" 2>/dev/null; then
    rss="$(status_kb "$pid" VmRSS)"; pss="$(pss_kb "$pid")"; anon="$(status_kb "$pid" RssAnon)"
    file="$(status_kb "$pid" RssFile)"; shmem="$(status_kb "$pid" RssShmem)"
    threads="$(status_kb "$pid" Threads)"; mapped="$(memfd_mapped_kb "$pid")"
    avail1="$(memavail_kb)"; drop=$(( avail0 - avail1 ))
  else
    notes+=("$impl N=$n: the process exited before it could be measured: $(tail -n 3 "$log" | tr '\n"' ' ')")
    echo "$impl,$n,$created,$blocked,,,,,,,,,,,,,,exited,," >> "$csv"
    return 1
  fi

  # Stop cleanly: SIGINT, then wait.
  local ts stop="clean" stop_ms rc=0
  ts=$(date +%s%N)
  kill -INT "$pid"
  while kill -0 "$pid" 2>/dev/null && [ $(( ($(date +%s%N) - ts) / 1000000000 )) -lt "$STOP_TIMEOUT" ]; do sleep 0.01; done
  if kill -0 "$pid" 2>/dev/null; then
    stop="killed"; kill -KILL "$pid" 2>/dev/null || true
    notes+=("$impl N=$n: did not exit within ${STOP_TIMEOUT}s of SIGINT; killed")
  fi
  wait "$pid" || rc=$?
  CUR_PID=""
  stop_ms=$(( ($(date +%s%N) - ts) / 1000000 ))
  [ "$stop" = killed ] || [ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || stop="status-$rc"

  local status="ok"
  [ -n "$created" ] || status="incomplete"
  [ -n "$settled" ] || [ "$status" != ok ] || status="unsettled"
  awk -v impl="$impl" -v n="$n" -v c="$created" -v b="$blocked" -v s="$settled" -v rss="$rss" -v a="$anon" \
      -v f="$file" -v sh="$shmem" -v m="$mapped" -v t="$threads" -v d="$drop" -v st="$stop_ms" \
      -v stop="$stop" -v status="$status" -v pss="$pss" 'BEGIN {
    printf "%s,%d,%s,%s,%s,%s,%d,%.1f,%d,%d,%d,%d,%.1f,%d,%d,%.1f,%d,%s,%s,%d,%.1f\n", impl, n, c, b, s,
      (c == "" ? "" : sprintf("%.1f", c * 1000 / n)), rss, rss / n, a, f, sh, m, m / n, t, d, d / n, st, stop, status, pss, pss / n }' >> "$csv"
  note "$(tail -n1 "$csv")"
  cp "$log" "$RESULTS/density-$impl-$n.log"
}

for n in $NS; do
  note "density: N=$n"
  measure raw "$n" "$RAWDENSITY" -n "$n" || true
  cfgs=()
  for i in $(seq 1 "$n"); do
    cfg="$work/blocker-$i.cfg"
    printf 'name = "blocker-%d"\nkernel = "%s"\nmemory = %d\nextra = ""\n' "$i" "$BLOCKER" "$MEM" > "$cfg"
    cfgs+=("$cfg")
  done
  measure parakit "$n" "$PARAKIT" create "${cfgs[@]}" || true
  rm -f "$work"/blocker-*.cfg
done

# Marginal cost of one more domain, against the smallest N of the same implementation:
# (value(N) - value(N0)) / (N - N0). This removes the process's own fixed cost.
awk -F, -v OFS=, 'NR == 1 { print $0, "marginal_create_us", "marginal_rss_kb", "marginal_memavail_kb", "marginal_pss_kb"; next }
  $19 != "ok" && $19 != "unsettled" { print $0, "", "", "", ""; next }
  !($1 in n0) { n0[$1] = $2; c0[$1] = $3; r0[$1] = $7; d0[$1] = $15; p0[$1] = $20; print $0, "", "", "", ""; next }
  { k = $2 - n0[$1]
    print $0, sprintf("%.1f", ($3 - c0[$1]) * 1000 / k), sprintf("%.1f", ($7 - r0[$1]) / k), sprintf("%.1f", ($15 - d0[$1]) / k), sprintf("%.1f", ($20 - p0[$1]) / k) }' \
  "$csv" > "$csv.tmp" && mv "$csv.tmp" "$csv"

notes_json="$(printf '%s\n' "${notes[@]+"${notes[@]}"}" | awk 'NF { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "%s\"%s\"", (n++ ? ", " : ""), $0 }')"
rows_json="$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i; next }
  { printf "%s    {", (NR > 2 ? ",\n" : "")
    for (i = 1; i <= NF; i++) {
      v = $i; if (v == "") v = "null"; else if (v !~ /^-?[0-9.]+$/) v = "\"" v "\""
      printf "%s\"%s\": %s", (i > 1 ? ", " : ""), h[i], v }
    printf "}" }' "$csv")"
cat > "$json" <<JSON
{
  "benchmark": "density",
  "machine": $(machine_json),
  "parakit_memory_mib_per_domain": $MEM,
  "raw_memory_mib_per_domain": 2,
  "parakit_guest": "$BLOCKER",
  "rows": [
$rows_json
  ],
  "notes": [$notes_json],
  "commands": ["out/bench/rawdensity -n N", "out/bin/parakit create blocker-1.cfg ... blocker-N.cfg  (memory = $MEM)"]
}
JSON

# Plots (SVG): per-domain creation time and memory against N, and the creation curve at the
# largest N.
plot="$BENCH_DIR/svgplot.sh"
awk -F, 'NR > 1 && $6 != "" { print $1, $2, $6 / 1000 }' "$csv" |
  "$plot" "$RESULTS/density-create.svg" "Creation time per domain (to N vCPUs)" "domains (N)" "ms per domain" logx
awk -F, 'NR > 1 && $8 != "" { print $1 "-RSS", $2, $8; print $1 "-PSS", $2, $21; print $1 "-kernel", $2, $16 }' "$csv" |
  "$plot" "$RESULTS/density-memory.svg" "Memory per domain (RSS; PSS; MemAvailable drop)" "domains (N)" "KiB per domain" logx
nmax="$(awk -F, 'NR > 1 { if ($2 > m) m = $2 } END { print m + 0 }' "$timeline")"
awk -F, -v n="$nmax" 'NR > 1 && $2 == n { print $1, $3, $4 }' "$timeline" |
  "$plot" "$RESULTS/density-timeline.svg" "Creation curve, N=$nmax" "ms since launch" "vCPUs created"

printf '\ndensity: N blocked domains (parakit memory = %s MiB each; raw = 2 MiB each)\n' "$MEM"
printf '  %-8s %5s %8s %8s %8s %9s %9s %9s %9s %9s %9s %9s %9s %7s\n' impl N created blocked settled us/dom "+us/dom" RSSkB/dom "+RSSkB" PSSkB/dom "+PSSkB" guestkB/d "+kernkB" stop
awk -F, 'NR > 1 { printf "  %-8s %5s %8s %8s %8s %9s %9s %9s %9s %9s %9s %9s %9s %7s\n", $1, $2, $3, $4, $5, $6, $22, $8, $23, $21, $25, $13, $24, ($19 == "ok" ? $18 : $19) }' "$csv"
echo "  created/blocked/settled: ms from launch to N vCPUs / to N guests saying they block /"
echo "  to the process going quiet (0.1 s resolution)"
echo "  +x: marginal cost of one more domain over the smallest N; PSS: RSS with each shared page"
echo "  divided among the domains mapping it (boot templates); +kernkB: drop in MemAvailable"
echo "  (system-wide, so noisy on a shared machine; it includes the kernel's per-VM memory)"
for m in "${notes[@]+"${notes[@]}"}"; do echo "  note: $m"; done
printf '  wrote %s, %s, %s and density-{create,memory,timeline}.svg\n' "$csv" "$timeline" "$json"
