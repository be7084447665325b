#!/usr/bin/env bash
# Boot time: `parakit run out/guests/hello.elf` from fork to process exit, RUNS times.
#
# Timed by out/bench/spawntime (bench/kvm-baseline/spawntime.c), which also notes when the
# child first writes to stdout: for hello that is the guest's first console output as the host
# sees it. If `parakit run --stats` prints its own timestamps (time to the first guest
# instruction, to the first console output), they are parsed and reported too: either as
# CLOCK_MONOTONIC stamps ("first_instruction_mono_ns=T", "first_console_mono_ns=T",
# "main_mono_ns=T": .NET's Stopwatch.GetTimestamp() on Linux), which are exact against
# spawntime's fork time, or as durations ("first guest instruction 1.2 ms").
# `parakit run hello.elf` runs twice per round: as a user runs it, for the whole run (fork to
# exit, the figure compared with the C VMM), and with --stats, for the stamps (formatting and
# printing the stats costs the --stats run ~0.4 ms of its tail).
# Baselines in the same run, interleaved with the ParaKit runs so they share the noise:
#   /bin/true             the cost of starting and reaping any process
#   rawexit -n 1          a minimal C VMM: create a VM like ours, run to one hypercall, exit
#
# Usage: bench/boot.sh            (RUNS=20)
# Writes bench/results/boot.csv (one row per run) and bench/results/boot.json (median, p10, p90).
set -euo pipefail
source "$(dirname "$0")/common.sh"

RUNS="${RUNS:-20}"
TIMEOUT="${TIMEOUT:-30}"

require_kvm
require_parakit
HELLO="$(require_guest hello)"
SPAWN="$(build_tool spawntime)"
RAWEXIT="$(build_tool rawexit)"

csv="$RESULTS/boot.csv"
json="$RESULTS/boot.json"
log="$RESULTS/boot.log"
# *_ns: since fork. *_after_start_ns: as parakit --stats prints them, since its own Main.
echo "run,impl,exit_ns,first_stdout_ns,main_ns,first_entry_ns,first_console_ns,entry_after_start_ns,console_after_start_ns,domain_run_ns,status" > "$csv"
: > "$log"

# parse_time_ns REGEX TEXT: the first "<key matching REGEX> ... <number><unit>" in TEXT, in ns.
# Accepts "first_instruction_ns=123", "first guest instruction: 1.2 ms", "... 850 us".
parse_time_ns() {
  { grep -oiE "($1)[^0-9]{0,40}[0-9]+(\.[0-9]+)?[ ]*(ns|us|µs|ms|s)?" <<<"$2" || true; } | head -n1 |
    sed -E "s/^.*[^0-9.]([0-9]+(\.[0-9]+)?[ ]*[a-zµ]*)$/\1/I" |
    awk '{ v = $0 + 0; u = $0; gsub(/[0-9. ]/, "", u); u = tolower(u)
           if (u == "ms") v *= 1e6; else if (u == "us" || u == "µs") v *= 1e3; else if (u == "s") v *= 1e9
           printf "%.0f\n", v }'
}
KEY_INSN='first[ _-]*(guest[ _-]*)?(instruction|insn|entry)'
KEY_CONS='first[ _-]*(console[ _-]*)?(output|write|print)'
KEY_RUN='run[ _-]*time'  # the domain's life from first KVM_RUN to its end

# mono_since KEY TEXT START: "KEY_mono_ns=T" in TEXT as ns since START (CLOCK_MONOTONIC).
mono_since() {
  local t
  t="$({ grep -oE "\\b$1_mono_ns=[0-9]+" <<<"$2" || true; } | head -n1 | cut -d= -f2)"
  [ -z "$t" ] || echo $(( t - $3 ))
}

# run_one IMPL I -- CMD...: one timed run, appended to the CSV.
run_one() {
  local impl="$1" i="$2"; shift 3
  local out line status stdout main="" entry="" cons="" entry_rel="" cons_rel="" run="" start
  line="$("$SPAWN" -n 1 -t "$TIMEOUT" -o "$RESULTS/boot-last.out" -- "$@")"
  status="$(field status "$line")"
  stdout="$(field first_stdout_ns "$line")"
  { echo "== $impl run $i: $line"; cat "$RESULTS/boot-last.out"; } >> "$log"
  [ "$status" = 0 ] || die "$impl run $i failed (status $status): $(tail -n5 "$RESULTS/boot-last.out")"
  if [ "$impl" = parakit ]; then
    out="$(cat "$RESULTS/boot-last.out")"
    start="$(field start_mono_ns "$line")"
    entry_rel="$(parse_time_ns "$KEY_INSN" "$out")"
    cons_rel="$(parse_time_ns "$KEY_CONS" "$out")"
    run="$(parse_time_ns "$KEY_RUN" "$out")"
    main="$(mono_since main "$out" "$start")"
    if [ -n "$main" ]; then
      entry="$(mono_since first_instruction "$out" "$start")"
      cons="$(mono_since first_console "$out" "$start")"
    elif [ -n "$cons_rel" ] && [ "$stdout" -ge 0 ]; then
      # The console is written unbuffered, so the first stdout byte arrives when parakit says
      # it wrote it: that pins parakit's own clock to the fork, and gives fork -> Main.
      main=$(( stdout - cons_rel ))
      cons="$stdout"
      [ -z "$entry_rel" ] || entry=$(( main + entry_rel ))
    fi
  fi
  if [ "$impl" = rawexit ]; then
    # rawexit's own set-up time, main() to first KVM_RUN: the baseline for parakit's
    # "first guest entry after start".
    entry_rel="$(field setup_ns "$(grep '^RESULT' "$RESULTS/boot-last.out" || true)")"
  fi
  echo "$i,$impl,$(field exit_ns "$line"),$stdout,$main,$entry,$cons,$entry_rel,$cons_rel,$run,$status" >> "$csv"
}

note "boot: $RUNS runs each of /bin/true, rawexit -n 1, parakit run hello.elf (and with --stats), interleaved"
run_one parakit 0 -- "$PARAKIT" run "$HELLO" --stats >/dev/null  # warm the page cache
sed -i '$d' "$csv"
for i in $(seq 1 "$RUNS"); do
  run_one true "$i" -- /bin/true
  run_one rawexit "$i" -- "$RAWEXIT" -q -n 1
  run_one plain "$i" -- "$PARAKIT" run "$HELLO"
  run_one parakit "$i" -- "$PARAKIT" run "$HELLO" --stats
done
rm -f "$RESULTS/boot-last.out"

# summary IMPL COLUMN: "median p10 p90" in microseconds, or "null null null" without data.
summary() {
  local vals
  vals="$(awk -F, -v impl="$1" -v c="$2" 'NR > 1 && $2 == impl && $c != "" && $c >= 0 { print $c / 1000 }' "$csv")"
  if [ -z "$vals" ]; then echo "null null null"; return; fi
  stats <<<"$vals" | awk '{ print $1, $2, $3 }'
}
obj() { read -r m p10 p90 <<<"$1"; printf '{ "median_us": %s, "p10_us": %s, "p90_us": %s }' "$m" "$p10" "$p90"; }

true_exit="$(summary true 3)"
raw_exit="$(summary rawexit 3)"
raw_setup="$(summary rawexit 8)"
plain_exit="$(summary plain 3)"
plain_stdout="$(summary plain 4)"
pk_exit="$(summary parakit 3)"
pk_stdout="$(summary parakit 4)"
pk_main="$(summary parakit 5)"
pk_entry="$(summary parakit 6)"
pk_cons="$(summary parakit 7)"
pk_entry_rel="$(summary parakit 8)"
pk_cons_rel="$(summary parakit 9)"
pk_run="$(summary parakit 10)"

cat > "$json" <<JSON
{
  "benchmark": "boot",
  "machine": $(machine_json),
  "runs": $RUNS,
  "true_exit": $(obj "$true_exit"),
  "rawexit_exit": $(obj "$raw_exit"),
  "rawexit_setup_after_start": $(obj "$raw_setup"),
  "parakit_plain_exit": $(obj "$plain_exit"),
  "parakit_plain_first_stdout": $(obj "$plain_stdout"),
  "parakit_exit": $(obj "$pk_exit"),
  "parakit_first_stdout": $(obj "$pk_stdout"),
  "parakit_main": $(obj "$pk_main"),
  "parakit_first_guest_entry": $(obj "$pk_entry"),
  "parakit_first_console": $(obj "$pk_cons"),
  "parakit_first_guest_entry_after_start": $(obj "$pk_entry_rel"),
  "parakit_first_console_after_start": $(obj "$pk_cons_rel"),
  "parakit_domain_run": $(obj "$pk_run"),
  "notes": "parakit_plain_*: parakit run without --stats (the whole run as a user runs it); every other parakit_* from the --stats runs. All from fork unless *_after_start (as parakit --stats prints them, from its Main). exit = fork to reaped exit; first_stdout = first byte on the child's stdout (spawntime); main and first_guest_entry are derived from --stats (fork->Main = first stdout byte - first console output after start) unless parakit prints CLOCK_MONOTONIC stamps; null when --stats prints no milestones",
  "commands": ["/bin/true", "out/bench/rawexit -q -n 1", "out/bin/parakit run out/guests/hello.elf", "out/bin/parakit run out/guests/hello.elf --stats"]
}
JSON

row() { read -r m p10 p90 <<<"$2"; printf '  %-44s %10s %10s %10s\n' "$1" "$m" "$p10" "$p90"; }
printf '\nboot time over %s runs (microseconds, from fork)\n' "$RUNS"
printf '  %-44s %10s %10s %10s\n' "" median p10 p90
row "/bin/true: exit" "$true_exit"
row "rawexit -n 1 (C VMM, one hypercall): exit" "$raw_exit"
row "  rawexit, after main(): first guest entry" "$raw_setup"
row "parakit run hello.elf: first stdout byte" "$plain_stdout"
row "parakit run hello.elf: exit" "$plain_exit"
row "parakit run hello.elf --stats: Main entered" "$pk_main"
row "  --stats: first guest entry" "$pk_entry"
row "  --stats: first stdout byte" "$pk_stdout"
row "  --stats: exit" "$pk_exit"
row "  --stats, after Main: first guest entry" "$pk_entry_rel"
row "  --stats, after Main: first console output" "$pk_cons_rel"
row "  --stats: domain run time" "$pk_run"
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "n/a"; else printf "%.2fx", a / b }'; }
printf '  medians against the C VMM: whole run %s, first guest entry after Main %s\n' \
  "$(ratio "$plain_exit" "$raw_exit")" "$(ratio "$pk_entry_rel" "$raw_setup")"
[ "$pk_entry_rel" != "null null null" ] || echo "  (parakit --stats printed no boot milestones: Main and first guest entry unknown)"
printf '  wrote %s and %s\n' "$csv" "$json"
