#!/usr/bin/env bash
# Shared helpers for the hypervisor benchmark scripts (hypercall.sh, boot.sh, density.sh):
# where things live, clear errors when a piece is missing, building the C baselines, and
# summary statistics. Sourced, not run.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
PARAKIT="${PARAKIT:-$ROOT/out/bin/parakit}"
GUESTS_DIR="${GUESTS_DIR:-$ROOT/out/guests}"
RESULTS="${RESULTS:-$BENCH_DIR/results}"
TOOLS="$ROOT/out/bench"
mkdir -p "$RESULTS" "$TOOLS"

die() { echo "error: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

require_kvm() {
  [ -e /dev/kvm ] || die "/dev/kvm is missing: these benchmarks need KVM"
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || die "/dev/kvm is not readable and writable by $(id -un) (run as root or join the kvm group)"
}

require_parakit() {
  [ -x "$PARAKIT" ] || die "$PARAKIT is missing: build it with 'make out/bin/parakit' (or 'make build')"
}

# require_guest NAME: prints the image path of guest app NAME.
require_guest() {
  local img="$GUESTS_DIR/$1.elf"
  [ -f "$img" ] || die "$img is missing: build it with 'make guest APP=$1'"
  echo "$img"
}

# build_tool NAME: compiles bench/kvm-baseline/NAME.c into out/bench/NAME when it is stale.
build_tool() {
  local src="$BENCH_DIR/kvm-baseline/$1.c" bin="$TOOLS/$1"
  command -v "${CC:-gcc}" >/dev/null || die "${CC:-gcc} is needed to build the $1 baseline (apt-get install gcc)"
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    "${CC:-gcc}" -O2 -Wall -Wextra -Werror -o "$bin" "$src" -lpthread || die "building $src failed"
  fi
  echo "$bin"
}

# field KEY LINE: the value of KEY=value in a "RESULT k=v ..." line.
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n1; }

# stats: reads numbers (one per line) on stdin, prints "median p10 p90 min max mean n"
# (nearest-rank percentiles).
stats() {
  sort -g | awk '{ v[NR] = $1; s += $1 }
    function pct(p,  k) { k = int(p * NR + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR; return v[k] }
    END {
      if (NR == 0) { print "nan nan nan nan nan nan 0"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.6g %.6g %.6g %.6g %.6g %.6g %d\n", med, pct(0.10), pct(0.90), v[1], v[NR], s / NR, NR
    }'
}

# A one-line description of where and when the numbers were taken, for the JSON files.
machine_json() {
  local cpu kvmmod
  cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
  kvmmod="unknown"
  [ -d /sys/module/kvm_pvm ] && kvmmod="kvm_pvm"
  [ -d /sys/module/kvm_intel ] && kvmmod="kvm_intel"
  [ -d /sys/module/kvm_amd ] && kvmmod="kvm_amd"
  printf '{"date":"%s","host":"%s","kernel":"%s","cpu":"%s","cpus":%s,"kvm":"%s","commit":"%s"}' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" "$(uname -r)" "${cpu//\"/}" "$(nproc)" "$kvmmod" \
    "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
}
