# ParaKit front door. `make run` builds what it needs and runs the demo; `make test` runs every test.
# Outputs a user runs live under out/: the CLI at out/bin/parakit, guests at out/guests/NAME.elf.

DOTNET  ?= dotnet
CONFIG  ?= Release
APP     ?= hello
BENCH   ?= *
GUESTS  ?= $(notdir $(wildcard guestkernel/Apps/*))
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

HOST_SOURCES := $(shell find protocols hypervisor -name '*.cs' -o -name '*.csproj' 2>/dev/null) Directory.Build.props Directory.Packages.props

.PHONY: all build guests guest test run bench bench-vm bench-hypercall bench-boot bench-density bench-net bench-trace clean

all: build

build: out/bin/parakit guests

out/bin/parakit: $(HOST_SOURCES)
	$(DOTNET) publish hypervisor/ParaKit.Hypervisor.csproj -c $(CONFIG) -o out/bin -nologo -v:q
	@touch $@

# One unikernel image: guestkernel/Apps/$(APP) + kernel library + runtime -> out/guests/$(APP).elf
guest:
	@guestkernel/build.sh $(APP)

guests:
	@for g in $(GUESTS); do guestkernel/build.sh $$g || exit 1; done

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
	@echo "== a frontend and a backend moving requests through one shared ring page =="
	out/bin/parakit demo ring 1000000

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

# What tracing costs the data plane: the same pktgen -> sink run with --trace off and on, alternating.
bench-trace: out/bin/parakit
	@for g in pktgen sink; do guestkernel/build.sh $$g || exit 1; done
	bench/trace-overhead.sh

bench-density: out/bin/parakit
	@guestkernel/build.sh blocker
	bench/density.sh

clean:
	rm -rf out obj
