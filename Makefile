# ParaKit front door. `make run` builds what it needs and runs the demo; `make test` runs every test.
# Outputs a user runs live under out/: the CLI at out/bin/parakit, guests at out/guests/NAME.elf.

DOTNET  ?= dotnet
CONFIG  ?= Release
APP     ?= hello
BENCH   ?= *
LAB     ?=
GUESTS  ?= $(notdir $(wildcard guestkernel/Apps/*))
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

HOST_SOURCES := $(shell find protocols hypervisor -name '*.cs' -o -name '*.csproj' 2>/dev/null) Directory.Build.props Directory.Packages.props
# What every guest image is built from besides its own app folder: the runtime, the kernel
# library, drivers, network code, protocols and the toolchain. An image is rebuilt only when
# one of these or a file of its app changed (build.sh itself recompiles only what is stale).
GUEST_LIB_SOURCES := $(shell find guestkernel/Runtime guestkernel/Kernel guestkernel/Drivers guestkernel/Net protocols guestkernel/Toolchain \
    \( -name obj -o -name bin \) -prune -o -type f \( -name '*.cs' -o -name '*.S' -o -name '*.ld' -o -name '*.sh' \) -print 2>/dev/null) guestkernel/build.sh
GUEST_IMAGES := $(GUESTS:%=out/guests/%.elf)

.PHONY: all build guests guest test run grade bench bench-vm bench-hypercall bench-boot bench-density bench-net bench-pvfv bench-tcp bench-trace clean

all: build

build: out/bin/parakit out/bin/nettrace/parakit-nettrace guests

out/bin/parakit: $(HOST_SOURCES)
	$(DOTNET) publish hypervisor/ParaKit.Hypervisor.csproj -c $(CONFIG) -o out/bin -nologo -v:q
	@touch $@

# The .nettrace reader `parakit trace analyze FILE.nettrace` runs (TraceEvent; JIT, not NativeAOT).
out/bin/nettrace/parakit-nettrace: $(shell find hypervisor/NetTrace -name '*.cs' -o -name '*.csproj' 2>/dev/null) Directory.Build.props Directory.Packages.props
	$(DOTNET) publish hypervisor/NetTrace/ParaKit.NetTrace.csproj -c $(CONFIG) -o out/bin/nettrace -nologo -v:q
	@touch $@

# One unikernel image: guestkernel/Apps/$(APP) + kernel library + runtime -> out/guests/$(APP).elf
# (DEBUG=1 adds the app's line table, for file:line in crash reports)
guest:
	@guestkernel/build.sh $(APP)

guests: $(GUEST_IMAGES)

.SECONDEXPANSION:
out/guests/%.elf: $(GUEST_LIB_SOURCES) $$(shell find guestkernel/Apps/$$* -name '*.cs' 2>/dev/null)
	@guestkernel/build.sh $*

test: build
	$(DOTNET) test tests/ParaKit.Tests/ParaKit.Tests.csproj -c $(CONFIG) -nologo

# The main demo: one unikernel with its console attached; four domains under one hypervisor
# (hypervisor/examples/*.cfg), one of which crashes on purpose (`parakit create` then exits 70,
# the expected outcome here, so only other statuses fail the target); two domains talking
# through event channels and grant copies; a xenbus handshake through the XenStore; two
# unikernels exchanging frames over netfront/netback and an in-process switch; the shared-ring demo.
run: build
	out/bin/parakit run out/guests/hello.elf -- hello from make run
	@echo
	@echo "== four domains in one hypervisor (crash.cfg faults on purpose; the others carry on) =="
	out/bin/parakit create hypervisor/examples/hello.cfg hypervisor/examples/timer.cfg \
	    hypervisor/examples/protocheck.cfg hypervisor/examples/crash.cfg; \
	    status=$$?; [ $$status -eq 70 ] || { echo "make run: expected status 70 (one crashed domain), got $$status" >&2; exit 1; }
	@echo
	@echo "== two unikernels bounce events over an interdomain channel and copy pages through grants =="
	out/bin/parakit create hypervisor/examples/pingpong-a.cfg hypervisor/examples/pingpong-b.cfg
	@echo
	@echo "== a backend and a frontend domain run the xenbus handshake through the XenStore =="
	out/bin/parakit create hypervisor/examples/xenbus-back.cfg hypervisor/examples/xenbus-front.cfg
	@echo
	@echo "== two unikernels exchange traffic through netfront, netback and a switch (capture: out/run/sw0.pcap) =="
	out/bin/parakit create --pcap out/run hypervisor/examples/net-sink.cfg hypervisor/examples/net-pktgen.cfg
	@echo
	@echo "== the same pktgen behind an emulated Intel e1000 (full virtualization) sends to the paravirtual sink =="
	out/bin/parakit create hypervisor/examples/net-sink.cfg hypervisor/examples/fv-pktgen.cfg
	@echo
	@echo "== the host pings, curls and iperf3s two unikernels on a Linux bridge (in a network namespace of its own) =="
	hypervisor/examples/host-apps.sh
	@echo
	@echo "== a frontend and a backend moving requests through one shared ring page =="
	out/bin/parakit demo ring 1000000

# The labs' graders (guestkernel/Labs/README.md): `make grade LAB=timers` grades one lab, `make
# grade` every lab in course order; a score per check and a total. Domain 0 is rebuilt first
# (lab hypercall changes it).
grade: out/bin/parakit
	@guestkernel/Labs/grade.sh $(LAB)

bench:
	$(DOTNET) run -c Release --project bench/ParaKit.Bench -- --filter '$(BENCH)'

# Whole-VM experiments against their raw-KVM baselines (bench/README.md); results in bench/results/.
bench-vm: bench-hypercall bench-boot bench-density

bench-hypercall: out/bin/parakit
	@guestkernel/build.sh nullcall
	bench/hypercall.sh

bench-boot: out/bin/parakit
	@guestkernel/build.sh hello
	bench/boot.sh

# The data plane: pktgen -> sink through netfront/netback and a switch, l2ping, with baselines.
bench-net: out/bin/parakit
	@for g in pktgen sink l2ping pingpong; do guestkernel/build.sh $$g || exit 1; done
	bench/net.sh

# Paravirtual against full virtualization: the same apps over netfront and over the emulated e1000.
bench-pvfv: out/bin/parakit
	@for g in pktgen sink l2ping nullcall; do guestkernel/build.sh $$g || exit 1; done
	bench/pvfv.sh

# TCP through the guest stack: iperf3 both ways, tcpgen guest to guest, ab and ping against
# httpd, next to iperf3/lighttpd over a veth pair (bench/README.md); bench/results/tcp.json.
bench-tcp: out/bin/parakit
	@for g in httpd iperf3d tcpgen; do guestkernel/build.sh $$g || exit 1; done
	bench/tcp.sh

# What tracing costs the data plane: the same pktgen -> sink run with --trace off and on, alternating.
bench-trace: out/bin/parakit
	@for g in pktgen sink; do guestkernel/build.sh $$g || exit 1; done
	bench/trace-overhead.sh

bench-density: out/bin/parakit
	@guestkernel/build.sh blocker
	bench/density.sh

clean:
	rm -rf out obj
