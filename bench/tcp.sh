#!/usr/bin/env bash
# TCP through the guest's own stack, next to a Linux baseline from the same run. Everything runs
# in network namespaces made here (removed on exit, even on failure):
#   guest side: namespace A with bridge br0 (10.99.0.1); httpd (10.99.0.2) and iperf3d (10.99.0.3)
#     are unikernels whose vifs are TAPs in br0. iperf3 -c for host -> guest and -R for
#     guest -> host, `ab -k` against httpd's page, ping of httpd. The same iperf3d behind an
#     emulated e1000 (10.99.0.4, full virtualization, issue 10) runs the same two iperf3 tests.
#   guest to guest: two tcpgen unikernels on an in-process switch (no iperf3 client runs in a
#     guest; tcpgen's receiver counts the bytes from the first one to the FIN).
#   baseline: namespaces B and C joined by a veth pair (10.98.0.1 / 10.98.0.2), iperf3 -s and
#     lighttpd serving the same page in C; the same iperf3, ab and ping from B.
# All TCP at a 1500-byte MTU. Needs root, KVM, iperf3, curl, ab (apache2-utils) and lighttpd.
#
# Usage: bench/tcp.sh             (SECONDS_PER=5, AB_REQUESTS=20000, AB_CONCURRENCY=16, PINGS=200)
# Writes bench/results/tcp.json with the keys of issue 9 (plus "fv_iperf_host_to_guest_gbps" and
# "fv_iperf_guest_to_host_gbps": iperf3d over the e1000), plus tcp.log with every tool's output.
set -euo pipefail
source "$(dirname "$0")/common.sh"

SECONDS_PER="${SECONDS_PER:-5}"
AB_REQUESTS="${AB_REQUESTS:-20000}"
AB_CONCURRENCY="${AB_CONCURRENCY:-16}"
PINGS="${PINGS:-200}"
require_kvm
require_parakit
for tool in ip iperf3 ab lighttpd ping curl python3; do
  command -v "$tool" >/dev/null || die "bench/tcp.sh needs $tool (apt-get install iproute2 iperf3 apache2-utils lighttpd iputils-ping curl python3)"
done
HTTPD="$(require_guest httpd)"
IPERF3D="$(require_guest iperf3d)"
TCPGEN="$(require_guest tcpgen)"

tmp="$(mktemp -d)"
nsa="pkbencha$$"; nsb="pkbenchb$$"; nsc="pkbenchc$$"
pid=; lpid=; ipid=
cleanup() {
  for p in "$pid" "$lpid" "$ipid"; do
    if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  for n in "$nsa" "$nsb" "$nsc"; do ip netns delete "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log="$RESULTS/tcp.log"; json="$RESULTS/tcp.json"
: > "$log"
run() { echo "\$ $*" >> "$log"; "$@" 2>&1 | tee -a "$log"; }

# iperf3 -J: received bits per second (the receiver's count, as iperf3 prints it last).
gbps_of() { python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'; }
# ab: "Requests per second:    12345.67 [#/sec] (mean)"
rps_of() { awk '/^Requests per second:/ { printf "%.0f", $4 }'; }
# ping: "rtt min/avg/max/mdev = 0.031/0.045/0.090/0.010 ms" -> average in microseconds
rtt_of() { awk -F'[/ ]' '/^rtt/ { printf "%.1f", $8 * 1000 }'; }
failed_of() { awk '/^Failed requests:/ { print $3 }'; }

# ---- the page both servers serve: httpd's own bytes, fetched from it below ----
export PARAKIT_XENSTORE_SOCKET="$tmp/xenstored.sock" PARAKIT_CONTROL_SOCKET="$tmp/control.sock"
ip netns add "$nsa"; ip -n "$nsa" link set lo up
ip -n "$nsa" link add br0 type bridge
ip -n "$nsa" addr add 10.99.0.1/24 dev br0; ip -n "$nsa" link set br0 up
cat > "$tmp/web.cfg" <<EOF
name = "web"
kernel = "$HTTPD"
memory = 64
vif = [ 'mac=00:16:3e:00:00:02,bridge=br0,ip=10.99.0.2/24' ]
EOF
cat > "$tmp/perf.cfg" <<EOF
name = "perf"
kernel = "$IPERF3D"
memory = 64
vif = [ 'mac=00:16:3e:00:00:03,bridge=br0,ip=10.99.0.3/24' ]
EOF
cat > "$tmp/perf-fv.cfg" <<EOF
name = "perf-fv"
kernel = "$IPERF3D"
memory = 64
vif = [ 'model=e1000,mac=00:16:3e:00:00:04,bridge=br0' ]
extra = "ip=10.99.0.4/24"
EOF
ip netns exec "$nsa" "$PARAKIT" create "$tmp/web.cfg" "$tmp/perf.cfg" "$tmp/perf-fv.cfg" > "$tmp/guests.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
  ip -n "$nsa" link show vif3.0 2>/dev/null | grep -q "master br0" && break
  sleep 0.1
done
ip netns exec "$nsa" curl -sS --retry 5 --retry-connrefused --max-time 10 -o "$tmp/index.html" http://10.99.0.2/
ip netns exec "$nsa" ping -c 3 -W 2 10.99.0.3 > /dev/null
ip netns exec "$nsa" ping -c 3 -W 2 10.99.0.4 > /dev/null

note "guest: iperf3 host -> guest, ${SECONDS_PER}s"
h2g=$(ip netns exec "$nsa" iperf3 -c 10.99.0.3 -t "$SECONDS_PER" -J | tee -a "$log" | gbps_of)
note "guest: iperf3 guest -> host (-R), ${SECONDS_PER}s"
g2h=$(ip netns exec "$nsa" iperf3 -c 10.99.0.3 -t "$SECONDS_PER" -R -J | tee -a "$log" | gbps_of)
note "FV guest (e1000): iperf3 host -> guest, then -R, ${SECONDS_PER}s each"
fv_h2g=$(ip netns exec "$nsa" iperf3 -c 10.99.0.4 -t "$SECONDS_PER" -J | tee -a "$log" | gbps_of)
fv_g2h=$(ip netns exec "$nsa" iperf3 -c 10.99.0.4 -t "$SECONDS_PER" -R -J | tee -a "$log" | gbps_of)
note "guest: ab -k -n $AB_REQUESTS -c $AB_CONCURRENCY against httpd"
abg=$(run ip netns exec "$nsa" ab -q -k -n "$AB_REQUESTS" -c "$AB_CONCURRENCY" http://10.99.0.2/)
http_rps=$(rps_of <<<"$abg"); http_failed=$(failed_of <<<"$abg")
note "guest: ping x$PINGS"
ping_rtt=$(run ip netns exec "$nsa" ping -q -c "$PINGS" -i 0.01 10.99.0.2 | rtt_of)
"$PARAKIT" xenstore write /local/domain/1/control/shutdown poweroff
"$PARAKIT" xenstore write /local/domain/2/control/shutdown poweroff
"$PARAKIT" xenstore write /local/domain/3/control/shutdown poweroff
wait "$pid" || true
pid=
cat "$tmp/guests.log" >> "$log"

note "guest to guest: tcpgen over an in-process switch, ${SECONDS_PER}s"
cat > "$tmp/rx.cfg" <<EOF
name = "rx"
kernel = "$TCPGEN"
memory = 64
vif = [ 'mac=00:16:3e:00:01:01,bridge=sw0' ]
extra = "ip=10.0.0.1/24 listen"
EOF
cat > "$tmp/tx.cfg" <<EOF
name = "tx"
kernel = "$TCPGEN"
memory = 64
vif = [ 'mac=00:16:3e:00:01:02,bridge=sw0' ]
extra = "ip=10.0.0.2/24 dst=10.0.0.1 seconds=$SECONDS_PER"
EOF
g2g_out=$(run "$PARAKIT" create "$tmp/rx.cfg" "$tmp/tx.cfg")
g2g=$(field gbps "$(grep 'rx *| tcpgen: done' <<<"$g2g_out")")

note "baseline: the same tools between two namespaces over a veth pair"
ip netns add "$nsb"; ip netns add "$nsc"
ip -n "$nsb" link set lo up; ip -n "$nsc" link set lo up
ip link add "vb$$" netns "$nsb" type veth peer name "vc$$" netns "$nsc"
ip -n "$nsb" addr add 10.98.0.1/24 dev "vb$$"; ip -n "$nsb" link set "vb$$" up mtu 1500
ip -n "$nsc" addr add 10.98.0.2/24 dev "vc$$"; ip -n "$nsc" link set "vc$$" up mtu 1500
mkdir -p "$tmp/www"; cp "$tmp/index.html" "$tmp/www/index.html"
cat > "$tmp/lighttpd.conf" <<EOF
server.document-root = "$tmp/www"
server.port = 80
server.bind = "10.98.0.2"
server.pid-file = "$tmp/lighttpd.pid"
server.errorlog = "$tmp/lighttpd.err"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
EOF
ip netns exec "$nsc" lighttpd -D -f "$tmp/lighttpd.conf" &
lpid=$!
ip netns exec "$nsc" iperf3 -s -B 10.98.0.2 > /dev/null 2>&1 &
ipid=$!
for _ in $(seq 50); do
  ip netns exec "$nsb" curl -s -o /dev/null --max-time 1 http://10.98.0.2/ && ip netns exec "$nsb" bash -c ': < /dev/tcp/10.98.0.2/5201' 2>/dev/null && break
  sleep 0.1
done
veth=$(ip netns exec "$nsb" iperf3 -c 10.98.0.2 -t "$SECONDS_PER" -J | tee -a "$log" | gbps_of)
veth_r=$(ip netns exec "$nsb" iperf3 -c 10.98.0.2 -t "$SECONDS_PER" -R -J | tee -a "$log" | gbps_of)
abv=$(run ip netns exec "$nsb" ab -q -k -n "$AB_REQUESTS" -c "$AB_CONCURRENCY" http://10.98.0.2/)
veth_rps=$(rps_of <<<"$abv")
veth_rtt=$(run ip netns exec "$nsb" ping -q -c "$PINGS" -i 0.01 10.98.0.2 | rtt_of)

cat > "$json" <<EOF
{
  "iperf_host_to_guest_gbps": $h2g,
  "iperf_guest_to_host_gbps": $g2h,
  "iperf_guest_to_guest_gbps": ${g2g:-null},
  "fv_iperf_host_to_guest_gbps": ${fv_h2g:-null},
  "fv_iperf_guest_to_host_gbps": ${fv_g2h:-null},
  "veth_gbps": $veth,
  "http_rps": ${http_rps:-null},
  "veth_http_rps": ${veth_rps:-null},
  "ping_rtt_us": ${ping_rtt:-null},
  "veth_ping_rtt_us": ${veth_rtt:-null}
}
EOF
note "veth -R (not a key of tcp.json): $veth_r Gbit/s; httpd ab failed requests: ${http_failed:-?}"
cat "$json"
