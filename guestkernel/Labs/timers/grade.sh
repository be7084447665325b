#!/usr/bin/env bash
# Grader of lab "timers" (README.md): runs the lab guest once and checks what fired when, and
# how domain 0 saw the guest wait (SCHEDOP_block and timer expiries, from --stats).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

fired() { sed -n 's/^timers: fired \([A-Za-z0-9]*\) .*/\1/p' "$WORK/run.out"; }

finishes() {
    status_is run 0 || return 1
    has_line run '^timers: done in [0-9]+ us, fired=13 ticks=8 pending=0$' || { grep 'done in' "$WORK/run.out"; return 1; }
}

in_order() {
    local got; got="$(fired | grep -E '^[A-D]$' | tr '\n' ' ')"
    [ "$got" = "A B D C " ] && return 0
    echo "one-shots fired as: '$got', expected 'A B D C ' (15, 30, 30 added after B, 45 ms)"
    return 1
}

never_early() {
    local early
    early="$(awk '/^timers: fired / { split($4, d, "="); split($5, a, "="); if (a[2] + 0 < d[2] + 0) print }' "$WORK/run.out")"
    [ -n "$(fired)" ] || { echo "no timer fired"; return 1; }
    [ -z "$early" ] && return 0
    echo "fired before the deadline:"; echo "$early" | head -n 3
    return 1
}

on_time() {
    local late
    late="$(awk '/^timers: fired / && $3 != "late" { split($4, d, "="); split($5, a, "="); if (a[2] - d[2] > 50000) print }' "$WORK/run.out")"
    [ -n "$(fired)" ] || { echo "no timer fired"; return 1; }
    [ -z "$late" ] && return 0
    echo "more than 50 ms after the deadline:"; echo "$late" | head -n 3
    return 1
}

cancelled() {
    fired | grep -qx X && { echo "timer X was cancelled but fired"; return 1; }
    has_line run 'Cancel returned' && { grep 'Cancel returned' "$WORK/run.out"; return 1; }
    return 0
}

late_and_added() {
    fired | grep -qx late || { echo "the timer added late (deadline already passed) never fired"; return 1; }
    [ "$(fired | grep -c '^tick')" = 8 ] || { echo "$(fired | grep -c '^tick') of 8 ticks fired (each tick adds the next from its callback)"; return 1; }
}

sleeps() {
    local blocks fires
    blocks="$(stat run lab-timers blocks)"; fires="$(stat run lab-timers timer_fires)"
    [ "${blocks:-0}" -ge 6 ] && [ "${fires:-0}" -ge 6 ] && return 0
    echo "domain 0 counted blocks=${blocks:-?} timer_fires=${fires:-?}; a loop that sleeps between deadlines blocks (and is woken by its timer) at least 6 times here"
    return 1
}

if build_lab; then
    run_guest run --name lab-timers --
    check "the loop runs every timer and returns" 10 finishes
    check "one-shots fire in deadline order, ties in order added" 10 in_order
    check "no timer fires before its deadline" 10 never_early
    check "timers fire within 50 ms of their deadline" 5 on_time
    check "a cancelled timer never fires" 5 cancelled
    check "timers added from callbacks, and late ones, fire" 5 late_and_added
    check "the vCPU sleeps (SCHEDOP_block + timer), not spins" 10 sleeps
else
    not_run "the lab guest builds" 55 "see the compiler's messages above"
fi
finish
