#!/usr/bin/env bash
# The host pings a unikernel on a Linux bridge, all inside a network namespace made here and
# removed on exit (even on failure or Ctrl-C): netns + bridge br0 (10.99.0.1/24), parakit with
# hypervisor/examples/ping-br0.cfg in it, `bridge link` showing vif1.0 in br0, `ping -c 5`,
# then the responder ends 3 s after the last request and parakit prints its table.
# Usage (as root, from the repository root, after `make`): hypervisor/examples/host-ping.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ns="pkdemo$$"
dir=$(mktemp -d)
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  ip netns delete "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add 10.99.0.1/24 dev br0
ip -n "$ns" link set br0 up
PARAKIT_XENSTORE_SOCKET="$dir/xenstored.sock" PARAKIT_CONTROL_SOCKET="$dir/control.sock" \
  ip netns exec "$ns" out/bin/parakit create hypervisor/examples/ping-br0.cfg &
pid=$!
for _ in $(seq 100); do
  ip -n "$ns" link show vif1.0 2>/dev/null | grep -q "master br0" && break
  sleep 0.1
done
echo "== bridge link (in $ns) =="
ip netns exec "$ns" bridge link
echo "== ping -c 5 10.99.0.2 from the host side of br0 =="
ip netns exec "$ns" ping -c 5 -i 0.2 10.99.0.2
wait "$pid"
pid=
