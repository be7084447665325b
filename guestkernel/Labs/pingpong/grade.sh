#!/usr/bin/env bash
# Grader of lab "pingpong" (README.md): two domains of one `parakit create --stats`; checks what
# each printed and what domain 0 counted for each (events sent, SCHEDOP_block calls).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ROUNDS=200

finishes() {
    status_is pp 0 || { lines pp ping | tail -n 2; lines pp pong | tail -n 2; return 1; }
    [ "$(state pp ping)" = "poweroff(0)" ] && [ "$(state pp pong)" = "poweroff(0)" ] \
        || { echo "ping ended $(state pp ping), pong ended $(state pp pong)"; return 1; }
    lines pp ping | grep -q "^ping: round trips: $ROUNDS," || { echo "ping did not finish $ROUNDS round trips"; return 1; }
}

exactly_once() {
    local p q
    p="$(lines pp ping | grep -o 'received=[0-9]* stray=[0-9]*')"
    q="$(lines pp pong | grep -o 'received=[0-9]* stray=[0-9]*')"
    [ "$p" = "received=$((ROUNDS + 1)) stray=0" ] && [ "$q" = "received=$ROUNDS stray=0" ] && return 0
    echo "ping saw '${p:-nothing}' (expected received=$((ROUNDS + 1)): hello + $ROUNDS echoes), pong saw '${q:-nothing}' (expected received=$ROUNDS)"
    return 1
}

one_send_each() {
    local p q
    # Sends to domain 0 (the XenStore's port: Rendezvous) are not messages to the peer.
    p=$(( $(stat pp ping sent) - $(stat pp ping to_domain0) )); q=$(( $(stat pp pong sent) - $(stat pp pong to_domain0) ))
    [ "$p" = "$ROUNDS" ] && [ "$q" = "$((ROUNDS + 1))" ] && return 0
    echo "domain 0 counted sends to the peer: ping ${p:-?} (expected $ROUNDS), pong ${q:-?} (expected $((ROUNDS + 1)))"
    return 1
}

both_block() {
    local p q
    p="$(stat pp ping blocks)"; q="$(stat pp pong blocks)"
    [ "${p:-0}" -ge $((ROUNDS / 2)) ] && [ "${q:-0}" -ge $((ROUNDS / 2)) ] && return 0
    echo "domain 0 counted SCHEDOP_block: ping ${p:-?}, pong ${q:-?}; a side waiting for its peer should block (at least $((ROUNDS / 2)) each), not spin"
    return 1
}

closes() {
    lines pp ping | grep -q '^ping: after Close port [0-9]* has state=0$' && return 0
    echo "after Close, EVTCHNOP_status said: $(lines pp ping | grep -o 'after Close.*' || echo 'nothing') (expected state=0, closed)"
    return 1
}

if build_lab; then
    create_domains pp "$(make_cfg ping "role=ping peer=2 rounds=$ROUNDS")" "$(make_cfg pong "role=pong peer=1 rounds=$ROUNDS")"
    check "both domains finish $ROUNDS round trips" 10 finishes
    check "every notification arrives exactly once" 10 exactly_once
    check "one EVTCHNOP_send per message (domain 0's count)" 10 one_send_each
    check "both sides wait in SCHEDOP_block" 10 both_block
    check "Close releases the port" 5 closes
else
    not_run "the lab guest builds" 45 "see the compiler's messages above"
fi
finish
