#!/usr/bin/env bash
# Grader of lab "hypercall" (README.md): rebuilds domain 0 (out/bin/parakit, incremental) when
# hypervisor/ changed, then runs the lab guest with a random domain name and checks what lab_op
# returned and what domain 0 counted (--stats).
set -uo pipefail
if [ -z "${PARAKIT:-}" ]; then
    # The student's change is in hypervisor/ too: bring out/bin/parakit up to date first.
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
    if ! make -s -C "$root" out/bin/parakit > /tmp/parakit-grade-hv.$$.log 2>&1; then
        echo "hypercall: domain 0 did not build:"
        grep -E 'error|rror CS' /tmp/parakit-grade-hv.$$.log | head -n 20 | sed 's/^/      /'
        rm -f /tmp/parakit-grade-hv.$$.log
        echo "hypercall: score 0/50"
        exit 1
    fi
    rm -f /tmp/parakit-grade-hv.$$.log
fi
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
NAME="lab-hc-$RANDOM$RANDOM"

said() { sed -n "s/^hypercall: $1//p" "$WORK/run.out"; }

echoes() {
    [ "$(said 'echo 42 -> ')" = 42 ] && [ "$(said 'echo 0xFEDCBA9876543210 -> ')" = 0xFEDCBA9876543210 ] && return 0
    echo "echo 42 gave '$(said 'echo 42 -> ')', echo 0xFEDCBA9876543210 gave '$(said 'echo 0xFEDCBA9876543210 -> ')'"
    return 1
}

counts() {
    local c a b total
    c="$(said 'count ')"; a="${c%% then *}"; b="${c##* then }"
    total="$(grep -oE '[0-9]+ hypercalls,' "$WORK/run.err" | head -n 1 | grep -oE '^[0-9]+')"
    if [[ "$a" =~ ^[0-9]+$ ]] && [[ "$b" =~ ^[0-9]+$ ]] && [ "$b" -eq $((a + 1)) ] && [ "$a" -ge 3 ] && [ "${total:-0}" -gt "$b" ]; then
        return 0
    fi
    echo "two calls in a row answered '$a' then '$b' (expected n, then n + 1: the first call itself); domain 0's total at the end: ${total:-?}"
    return 1
}

names() {
    grep -qx "hypercall: name '$NAME'" "$WORK/run.out" && return 0
    echo "the domain is named '$NAME'; lab_op(DomainName) gave $(said "name '" | sed "s/^/'/")"
    return 1
}

refuses() {
    local small bad
    small="$(said 'name into 2 bytes -> ')"; bad="$(said 'name into a bad pointer -> ')"
    status_is run 0 || return 1
    [ "$small" = -28 ] && [ "$bad" = -14 ] && return 0
    echo "a 2-byte buffer gave '$small' (expected -28, ENOSPC); a pointer outside the guest gave '$bad' (expected -14, EFAULT)"
    return 1
}

unknown() {
    [ "$(said 'unknown command -> ')" = -22 ] && return 0
    echo "command 77 gave '$(said 'unknown command -> ')' (expected -22, EINVAL)"
    return 1
}

counted() {
    local n; n="$(stat run "$NAME" lab_op)"
    [ "$n" = 8 ] && return 0
    echo "domain 0 counted lab_op=${n:-0}; the driver makes 8 lab_op calls (one hypercall per wrapper call)"
    return 1
}

if build_lab; then
    run_guest run --name "$NAME" --
    check "echo returns its argument (all 64 bits)" 10 echoes
    check "HypercallCount counts this domain's hypercalls" 10 counts
    check "DomainName copies the domain's name into the guest" 10 names
    check "bad buffers get ENOSPC/EFAULT, domain 0 and guest live on" 10 refuses
    check "an unknown command gets EINVAL" 5 unknown
    check "one hypercall per wrapper call (domain 0's lab_op count)" 5 counted
else
    not_run "the lab guest builds" 50 "see the compiler's messages above"
fi
finish
