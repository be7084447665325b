#!/usr/bin/env bash
# Grader of lab "xenbus" (README.md): backend (domain 1) and frontend (domain 2) in one
# `parakit create --stats`; checks the states each end saw, the data path through the
# published ring-ref and event-channel, the feature negotiation and the close-down.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
MAX_REQUESTS=80

connected() {
    lines x front | grep -q '^front: connected: .* my state=4 backend state=4$' \
        && lines x back | grep -q '^back: connected: .* my state=4$' && return 0
    echo "front: $(lines x front | grep -o 'connected:.*' || lines x front | tail -n 1)"
    echo "back: $(lines x back | grep -o 'connected:.*' || lines x back | tail -n 1)"
    return 1
}

data_path() {
    local fr br
    fr="$(lines x front | sed -n 's/^front: connected: ring-ref=\([0-9]*\) .*/\1/p')"
    br="$(lines x back | sed -n 's/^back: connected: ring-ref=\([0-9]*\) .*/\1/p')"
    [ -n "$fr" ] && [ "$fr" = "$br" ] || { echo "the frontend granted ring-ref ${fr:-?}, the backend read ${br:-?}"; return 1; }
    lines x front | grep -qiE '^front: echo: hello xenbus$' && lines x back | grep -q 'answered the request (copy status 0)' && return 0
    echo "no echo came back through the ring page and event channel: $(lines x front | tail -n 1)"
    return 1
}

feature() {
    lines x front | grep -q '^front: echo: HELLO XENBUS$' && lines x back | grep -q 'upper=1' && return 0
    echo "the backend offers feature-upper; the frontend should request it (request-upper), the backend then answers upper case: $(lines x front | grep -o 'echo:.*' || echo 'no echo')"
    return 1
}

closes() {
    status_is x 0 || return 1
    lines x front | grep -q '^front: closed: my state=6 backend state seen=6$' \
        && lines x back | grep -q '^back: closed=1 my state=6 port state=0$' && return 0
    echo "front: $(lines x front | grep -o 'closed:.*' || echo 'did not close')"
    echo "back: $(lines x back | grep -o 'closed=.*' || echo 'did not close')"
    return 1
}

watches() {
    local f b
    f="$(lines x front | sed -n 's/^front: store requests=//p')"; b="$(lines x back | sed -n 's/^back: store requests=//p')"
    [ -n "$f" ] && [ -n "$b" ] && [ "$f" -le $MAX_REQUESTS ] && [ "$b" -le $MAX_REQUESTS ] && return 0
    echo "store requests: frontend ${f:-?}, backend ${b:-?} (at most $MAX_REQUESTS each: wait for a state with a watch, Xenbus.WaitForState, not by reading it again and again)"
    return 1
}

if build_lab; then
    create_domains x "$(make_cfg back "role=back")" "$(make_cfg front "role=front")"
    check "both ends reach Connected" 10 connected
    check "ring-ref and event-channel reach the backend (echo works)" 10 data_path
    check "feature negotiation: feature-upper / request-upper" 5 feature
    check "orderly close: Closing, then Closed on both ends" 10 closes
    check "waits with watches, not by re-reading the store" 5 watches
else
    not_run "the lab guest builds" 40 "see the compiler's messages above"
fi
finish
