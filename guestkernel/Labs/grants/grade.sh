#!/usr/bin/env bash
# Grader of lab "grants" (README.md): owner (domain 1) and worker (domain 2) in one
# `parakit create --stats`; checks their output and domain 0's grant-copy and hypercall counts.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

finishes() {
    status_is g 0 || { lines g owner | tail -n 2; lines g worker | tail -n 2; return 1; }
    lines g worker | grep -q '^worker: fetched 16 pages, 16 copies ok, 0 bad bytes$' \
        || { echo "worker: $(lines g worker | grep -o 'fetched.*' || echo 'fetched nothing')"; return 1; }
    lines g owner | grep -q '^owner: checksum ok$' || { echo "$(lines g owner | grep checksum || echo 'owner: no checksum')"; return 1; }
}

batched() {
    local calls copies
    calls="$(stat g worker grant_table_op)"; copies="$(stat g worker copies)"
    # Two FetchAll of 16 pages, two Puts, plus the table set-up: 34 copies in about 6 calls.
    [ "${copies:-0}" -ge 34 ] && [ "${calls:-99}" -le 8 ] && return 0
    echo "domain 0 counted ${copies:-?} grant copies in ${calls:-?} grant_table_op hypercalls by the worker; 16 pages in one GNTTABOP_copy each time (at most 8 calls in all)"
    return 1
}

read_only() {
    local st failed
    st="$(lines g worker | sed -n 's/^worker: write into a read-only grant: status=\(-\?[0-9]*\)$/\1/p')"
    failed="$(stat g worker failed_copies)"
    [ "$st" = -8 ] && [ "${failed:-0}" -ge 1 ] && return 0
    echo "the worker's write into a data page gave status=${st:-?} (expected -8, GNTST_permission_denied); domain 0 counted ${failed:-?} failed copies"
    return 1
}

revoked() {
    local after
    after="$(lines g worker | sed -n 's/^worker: after revoke: \([0-9]*\) of 16.*/\1/p')"
    lines g owner | grep -q '^owner: revoked 16 of 16$' && [ "$after" = 0 ] && return 0
    echo "$(lines g owner | grep -o 'revoked [0-9]* of 16' || echo 'owner revoked nothing'); worker copies after revoke: ${after:-?} of 16 succeeded (expected 0)"
    return 1
}

clean() {
    lines g owner | grep -q '^owner: grants in use at the end: 0 (result page revoked: 1)$' && return 0
    echo "$(lines g owner | grep -o 'grants in use.*' || echo 'the owner did not get to the end')"
    return 1
}

if build_lab; then
    create_domains g "$(make_cfg owner "role=owner peer=2")" "$(make_cfg worker "role=worker peer=1")"
    check "the worker copies 16 pages, the owner gets the checksum" 10 finishes
    check "16 pages in one GNTTABOP_copy (domain 0's count)" 10 batched
    check "data pages are read-only to the worker" 10 read_only
    check "revoked grants can no longer be copied" 10 revoked
    check "every grant ends: the owner's table is empty" 5 clean
else
    not_run "the lab guest builds" 45 "see the compiler's messages above"
fi
finish
