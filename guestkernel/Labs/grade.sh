#!/usr/bin/env bash
# Runs the lab graders: guestkernel/Labs/grade.sh [LAB...] (`make grade [LAB=name]`), every lab
# in course order when none is named. Each lab's grade.sh builds the lab's guest, runs it under
# a time limit and prints one line per check and a score; this adds up the scores. Exits 0 only
# when every check of every lab passed.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
COURSE=(hypercall timers pingpong grants xenbus)

labs=("$@")
[ ${#labs[@]} -eq 0 ] && labs=("${COURSE[@]}")
for lab in "${labs[@]}"; do
    if [ ! -f "$HERE/$lab/grade.sh" ]; then
        echo "error: no lab named '$lab'; the labs are: ${COURSE[*]} (make grade LAB=name)" >&2
        exit 2
    fi
done

score=0 possible=0 failed=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for lab in "${labs[@]}"; do
    echo "== lab $lab (guestkernel/Labs/$lab/README.md)"
    bash "$HERE/$lab/grade.sh" 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
    line="$(grep -E "^$lab: score [0-9]+/[0-9]+$" "$log" | tail -n 1)"
    if [ -z "$line" ]; then
        echo "$lab: the grader ended without a score" >&2
        failed=1
        continue
    fi
    s="${line##* }"
    score=$((score + ${s%/*}))
    possible=$((possible + ${s#*/}))
done
[ ${#labs[@]} -gt 1 ] && echo "== total: $score/$possible"
exit $failed
