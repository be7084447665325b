#!/usr/bin/env bash
# Reproduces the shape of Manco et al., "My VM is Lighter (and Safer) than your Container"
# (LightVM, SOSP'17): boot time of a minimal unikernel, and creation time and memory per
# domain against the number of domains already running.
#
# Runs bench/boot.sh (hello.elf from fork to first console output and exit, against /bin/true
# and a raw C VMM) and bench/density.sh (N blocked blocker.elf domains created by one
# `parakit create`, against N raw C-VMM domains). Every ParaKit domain gets a XenStore
# connection and its /local/domain/N nodes at creation, as Xen's toolstack does, so the
# creation time against N includes the store's cost (LightVM's point about XenStore).
#
# Usage: papers/lightvm-sosp17/run.sh
#        NS="1 10 100 500 1000" RUNS=30 MEM=4 papers/lightvm-sosp17/run.sh
# Results: bench/results/boot.{csv,json} and bench/results/density*.{csv,json,svg}
# (or $RESULTS when set).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PARAKIT="${PARAKIT:-$ROOT/out/bin/parakit}"
GUESTS_DIR="${GUESTS_DIR:-$ROOT/out/guests}"
export RESULTS="${RESULTS:-$ROOT/bench/results}"
export NS="${NS:-1 10 100 500}"
export RUNS="${RUNS:-20}"

die() { echo "error: $*" >&2; exit 1; }

[ -x "$PARAKIT" ] || die "$PARAKIT is missing: build it with 'make' (or 'make out/bin/parakit')"
for g in hello blocker; do
  [ -f "$GUESTS_DIR/$g.elf" ] || die "$GUESTS_DIR/$g.elf is missing: build it with 'make' (or 'make guest APP=$g')"
done
[ -r /dev/kvm ] && [ -w /dev/kvm ] || die "/dev/kvm must exist and be readable and writable"

echo "# lightvm-sosp17: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## boot time (bench/boot.sh, RUNS=$RUNS)"
"$ROOT/bench/boot.sh"
echo
echo "## creation time and memory against N (bench/density.sh, NS=\"$NS\")"
"$ROOT/bench/density.sh"
echo
echo "# done: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# results in $RESULTS:"
echo "#   boot.json, boot.csv          boot time, median/p10/p90 (µs from fork)"
echo "#   density.json, density.csv    creation ms and memory per domain for each N"
echo "#   density-*.svg                creation curve and memory plots"
