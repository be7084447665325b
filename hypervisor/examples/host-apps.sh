#!/usr/bin/env bash
# The host reaches two unikernels on a Linux bridge with its own tools, all inside a network
# namespace made here and removed on exit (even on failure or Ctrl-C): bridge br0 (10.99.0.1/24),
# parakit with httpd-br0.cfg (10.99.0.2) and iperf3d-br0.cfg (10.99.0.3); then `ping`, `curl` of
# the page and of /stats, and a 2-second `iperf3 -c` each way; then both guests are shut down
# through the XenStore (control/shutdown, as `xl shutdown` does) and print their done lines.
# Usage (as root, from the repository root, after `make`): hypervisor/examples/host-apps.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in ip ping curl iperf3; do
  command -v "$tool" >/dev/null || { echo "host-apps.sh: needs $tool (apt-get install iproute2 iputils-ping curl iperf3)" >&2; exit 1; }
done
ns="pkapps$$"
dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  ip netns delete "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export PARAKIT_XENSTORE_SOCKET="$dir/xenstored.sock" PARAKIT_CONTROL_SOCKET="$dir/control.sock"
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add 10.99.0.1/24 dev br0
ip -n "$ns" link set br0 up
ip netns exec "$ns" out/bin/parakit create hypervisor/examples/httpd-br0.cfg hypervisor/examples/iperf3d-br0.cfg &
pid=$!
for _ in $(seq 150); do
  ip -n "$ns" link show vif2.0 2>/dev/null | grep -q "master br0" && break
  sleep 0.1
done
in_ns() { echo "\$ $*"; ip netns exec "$ns" "$@"; }
echo "== the unikernels' vifs are TAPs in br0 (network namespace $ns) =="
in_ns bridge link
echo "== the host pings httpd's unikernel =="
in_ns ping -c 5 -i 0.2 -W 2 10.99.0.2
echo "== curl of its page and of its network counters =="
in_ns curl -sS --retry 3 --retry-connrefused --max-time 10 http://10.99.0.2/
in_ns curl -sS --max-time 10 http://10.99.0.2/stats | head -c 300; echo " ..."
echo "== iperf3 for 2 s: host -> unikernel, then unikernel -> host (-R) =="
in_ns iperf3 -c 10.99.0.3 -t 2
in_ns iperf3 -c 10.99.0.3 -t 2 -R
echo "== shut both down (control/shutdown) =="
out/bin/parakit xenstore write /local/domain/1/control/shutdown poweroff
out/bin/parakit xenstore write /local/domain/2/control/shutdown poweroff
wait "$pid"
pid=
