# Shared by every lab's grade.sh (sourced, not run): build the lab's guest, run it under a
# time limit, and score checks. A check looks at behaviour only: what the guest printed, what
# domain 0 counted (`--stats`), and exit statuses; never at the student's source.
#
# Environment (all optional):
#   PARAKIT        the parakit binary (default out/bin/parakit of this checkout)
#   PARAKIT_FLAGS  extra options for every `parakit run`/`create` (the test suite passes
#                  --no-seccomp when it runs a JIT-built hypervisor; students never need it)
#   GRADE_TIMEOUT  seconds a run may take before it counts as hung (default 20)
#   GRADE_VERBOSE=1  print the guests' output after the checks

LAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PARAKIT="${PARAKIT:-$LAB_ROOT/out/bin/parakit}"
read -r -a PARAKIT_EXTRA <<< "${PARAKIT_FLAGS:-}"
GRADE_TIMEOUT="${GRADE_TIMEOUT:-20}"
LAB="$(basename "$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)")"
LAB_DIR="$LAB_ROOT/guestkernel/Labs/$LAB"
LAB_IMAGE="$LAB_ROOT/out/guests/lab-$LAB.elf"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/parakit-grade-$LAB.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
SCORE=0
POSSIBLE=0

# check NAME POINTS COMMAND...: runs COMMAND; status 0 earns POINTS. What COMMAND prints is
# shown under a failed check (say there what was expected and what was seen).
check() {
    local name="$1" points="$2"; shift 2
    local why
    POSSIBLE=$((POSSIBLE + points))
    if why="$("$@" 2>&1)"; then
        SCORE=$((SCORE + points))
        printf '%-70s OK (%d/%d)\n' "$LAB: $name ..." "$points" "$points"
    else
        printf '%-70s FAIL (0/%d)\n' "$LAB: $name ..." "$points"
        [ -n "$why" ] && printf '%s\n' "$why" | sed 's/^/      /' | head -n 8
    fi
    return 0
}

# not_run NAME POINTS WHY: a check that could not run (the build failed).
not_run() {
    POSSIBLE=$((POSSIBLE + $2))
    printf '%-70s FAIL (0/%d)\n      %s\n' "$LAB: $1 ..." "$2" "$3"
}

# finish: the lab's score line (parsed by guestkernel/Labs/grade.sh); exit 0 only on full marks.
finish() {
    if [ "${GRADE_VERBOSE:-0}" = 1 ]; then
        for f in "$WORK"/*.out; do
            [ -e "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; }
        done
    fi
    echo "$LAB: score $SCORE/$POSSIBLE"
    [ "$SCORE" -eq "$POSSIBLE" ]
    exit $?
}

# build_lab: compiles guestkernel/Labs/LAB/*.cs into out/guests/lab-LAB.elf. On failure prints
# the compiler's messages and returns 1.
build_lab() {
    if ! GUEST_APP_DIR="$LAB_DIR" "$LAB_ROOT/guestkernel/build.sh" "lab-$LAB" > "$WORK/build.log" 2>&1; then
        echo "$LAB: the guest did not build:"
        grep -vE '^  (csc|ilc|ld|as) ' "$WORK/build.log" | head -n 20 | sed 's/^/      /'
        return 1
    fi
}

# run_guest TAG [parakit run options] -- [guest args]: boots the lab image; its console goes to
# $WORK/TAG.out, domain 0's --stats and errors to $WORK/TAG.err, the exit status to $WORK/TAG.status.
run_guest() {
    local tag="$1"; shift
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ "${1:-}" = -- ] && shift
    local status=0
    "$PARAKIT" run --timeout "$GRADE_TIMEOUT" --stats "${PARAKIT_EXTRA[@]}" "${opts[@]}" "$LAB_IMAGE" -- "$@" \
        > "$WORK/$tag.out" 2> "$WORK/$tag.err" || status=$?
    echo "$status" > "$WORK/$tag.status"
}

# make_cfg NAME EXTRA: a domain config booting the lab image with command line EXTRA; prints its path.
make_cfg() {
    local cfg="$WORK/$1.cfg"
    printf 'name = "%s"\nkernel = "%s"\nmemory = 16\nextra = "%s"\non_crash = "preserve"\n' "$1" "$LAB_IMAGE" "$2" > "$cfg"
    echo "$cfg"
}

# create_domains TAG CFG...: `parakit create` of the configs (domain ids 1, 2, ... in order);
# output in $WORK/TAG.out (each line prefixed with "NAME | "), --stats in $WORK/TAG.err.
create_domains() {
    local tag="$1"; shift
    local status=0
    "$PARAKIT" create --timeout "$GRADE_TIMEOUT" --stats "${PARAKIT_EXTRA[@]}" "$@" \
        > "$WORK/$tag.out" 2> "$WORK/$tag.err" || status=$?
    echo "$status" > "$WORK/$tag.status"
}

# --- helpers for checks --------------------------------------------------------------------

# status_is TAG N: the run ended with exit status N.
status_is() {
    local got; got="$(cat "$WORK/$1.status")"
    [ "$got" = "$2" ] && return 0
    case "$got" in
        124) echo "the run was still going after ${GRADE_TIMEOUT} s (hung?)";;
        70) echo "a domain crashed:"; grep -v '^ ' "$WORK/$1.err" | head -n 4;;
        *) echo "exit status $got, expected $2";;
    esac
    tail -n 3 "$WORK/$1.out"
    return 1
}

# has_line TAG REGEX: the guest printed a line matching REGEX (grep -E).
has_line() {
    grep -qE "$2" "$WORK/$1.out" && return 0
    echo "no output line matches /$2/"
    return 1
}

# stat TAG DOMAIN KEY: a counter from domain 0's --stats for DOMAIN (its name), e.g.
# "blocks", "timer_fires", "set_timer_op", "sent" (events), "copies" (grant copies),
# "failed_copies"; empty when absent. Reads `parakit run`'s and `parakit create`'s layouts.
stat() {
    cat "$WORK/$1.out" "$WORK/$1.err" | awk -v dom="$2" -v key="$3" '
        ($1 == dom && $2 ~ /^[0-9]+$/) || $0 ~ ("stats for domain " dom ":$") { mine = 1; next }
        /^[^ ]/ { mine = 0 }
        mine {
            for (i = 1; i <= NF; i++) {
                if ($i ~ ("^" key "=")) { v = $i; sub("^" key "=", "", v); sub(/[(,;].*/, "", v); print v; exit }
                if (key == "copies" && $i == "copies:") { print $(i + 1); exit }
                if (key == "failed_copies" && $i == "failed),") { print $(i - 1); exit }
            }
        }'
}

# state TAG DOMAIN: how `parakit create` saw DOMAIN end, e.g. "poweroff(0)" or "crashed".
state() {
    awk -v dom="$2" '$1 == dom && $2 ~ /^[0-9]+$/ { print $4; exit }' "$WORK/$1.out"
}

# lines TAG DOMAIN: DOMAIN's console lines from a `parakit create` run, without the prefix.
lines() {
    sed -n "s/^$2 *| //p" "$WORK/$1.out"
}
