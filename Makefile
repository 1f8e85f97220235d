# The two commands: `make run` boots the system in QEMU, `make test` runs
# every test.  Both install what they need from Debian first.
#
#   make run [SYSTEM=path.yaml]   build and boot a system (default system.yaml; Ctrl-A X leaves QEMU)
#   make test                     every test; ends "N passed, N failed"
#   make test-component NAME=x    one component's tests through the harness (test-components: all)
#   make bench                    instruction counts under -icount, written to build/bench.json and README.md
#   make debug [SYSTEM=...]       QEMU halted with a gdb stub, and gdb with the symbols loaded
#                                 (GDB_COMMANDS=file: a gdb command file to run once attached)
#   make graph [SYSTEM=...]       the system as a Graphviz picture
#   make sys-out [SYSTEM=...]     prints the folder the system is built in
#   make trace [SYSTEM=...]       boot it with tracing: build/trace.json, trace.svg and .png, and a profile
#                                 (UNTIL='text' stops at that console line, SECONDS=n after n s; docs/trace.md)
#   make run TRACE=1              the same, until Ctrl-A X

include tools/mk/common.mk

SYSTEM ?= system.yaml
SYS_OUT = $(call system_out,$(SYSTEM))
SYSTEM_MAKE = $(MAKE) --no-print-directory -f tools/mk/system.mk BUILD=$(BUILD)

.PHONY: all deps run image test bench debug graph clean sys-out qemu-args test-host test-kernel test-codegen \
        test-spin test-system test-component test-components test-tools
.DEFAULT_GOAL := all

# A system file or a component that does not exist gets one line saying so, before make tries rules for it.
GOALS = $(or $(MAKECMDGOALS),$(.DEFAULT_GOAL))
ifneq ($(filter all run image debug graph qemu-args trace,$(GOALS)),)
ifneq ($(shell test -f '$(SYSTEM)' && echo yes),yes)
$(error SYSTEM=$(SYSTEM): no such file (systems here: $(wildcard *.yaml examples/*.yaml)))
endif
endif
COMPONENTS_WITH_TESTS = $(notdir $(patsubst %/,%,$(dir $(wildcard tests/components/*/test.yaml))))
ifneq ($(filter test-component,$(GOALS)),)
ifeq ($(NAME),)
$(error make test-component NAME=<component> (components with tests: $(COMPONENTS_WITH_TESTS)))
endif
ifeq ($(wildcard tests/components/$(NAME)/test.yaml),)
$(error no tests for component '$(NAME)': tests/components/$(NAME)/test.yaml is missing (components with tests: $(COMPONENTS_WITH_TESTS)))
endif
endif

all: deps image $(BUILD)/images/kerneltest.bin $(BUILD)/images/bench.bin

deps:
	@tools/install-deps.sh

image: deps
	@$(SYSTEM_MAKE) SYSTEM=$(SYSTEM) SYS_OUT=$(SYS_OUT) image

run: deps
	@$(SYSTEM_MAKE) SYSTEM=$(SYSTEM) SYS_OUT=$(SYS_OUT) run

graph: deps
	@$(say) CODEGEN $(SYS_OUT)
	$(Q)$(CODEGEN) $(SYSTEM) --out $(SYS_OUT) --graph

debug: deps
	@mkdir -p $(BUILD)/logs
	@$(SYSTEM_MAKE) SYSTEM=$(SYSTEM) SYS_OUT=$(SYS_OUT) debug

sys-out:
	@echo $(SYS_OUT)

qemu-args:
	@$(SYSTEM_MAKE) -s SYSTEM=$(SYSTEM) SYS_OUT=$(SYS_OUT) qemu-args

# ---- root-task images: the kernel test suite and the benchmark ----------------------------

# The failure recording is shared with the component test harness (tests/common/failure.c).
$(eval $(call roottask,kerneltest,tests/kernel,$(BUILD)/tests/common/failure.c.o))
$(eval $(call roottask,bench,tools/bench))

$(BUILD)/images/%.archive: $(BUILD)/%.elf tools/mkarchive.py
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)strip -o $(BUILD)/images/$*.stripped $<
	@$(say) ARCHIVE $@
	$(Q)$(PYTHON) tools/mkarchive.py $@ $*=$(BUILD)/images/$*.stripped

$(eval $(call image,$(BUILD)/images/kerneltest,$(BUILD)/images/kerneltest.archive))
$(eval $(call image,$(BUILD)/images/bench,$(BUILD)/images/bench.archive))

# ---- tests ---------------------------------------------------------------------------------

# The tools' own tests (tests/tools) come last and alone: they build and boot systems the suites before
# them have built, and time QEMU's output, so they share neither files nor the CPU with them.
test: deps
	@rm -rf $(BUILD)/results
	@$(MAKE) -k --no-print-directory test-host test-codegen test-spin test-kernel test-system test-components \
	     test-trace; \
	 $(MAKE) --no-print-directory test-tools; \
	 $(PYTHON) tools/test-summary.py $(BUILD)/results host codegen spin kernel $(addprefix system-,$(SYSTEM_TESTS)) \
	     $(addprefix component-,$(COMPONENTS_WITH_TESTS)) trace tools

HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
HOST_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Ikernel/include -Ilibsel/include \
               -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Host tests that exercise capability deletion link the kernel's cap.c and cdt.c with stubs
# for the object-specific functions (tests/host/kernel_stubs.c).
HOST_CAP_SRCS := kernel/core/cap.c kernel/core/cdt.c tests/host/kernel_stubs.c
HOST_HEADERS := $(wildcard kernel/include/kernel/*.h libsel/include/sel/*.h tests/host/*.h)

$(BUILD)/host/test_cdt: tests/host/test_cdt.c $(HOST_CAP_SRCS) $(HOST_HEADERS)
$(BUILD)/host/test_cap: tests/host/test_cap.c $(HOST_CAP_SRCS) $(HOST_HEADERS)
$(BUILD)/host/test_untyped: tests/host/test_untyped.c $(HOST_HEADERS)
$(BUILD)/host/test_prio_bitmap: tests/host/test_prio_bitmap.c $(HOST_HEADERS)
$(BUILD)/host/test_console: tests/host/test_console.c kernel/core/console.c $(HOST_HEADERS)
# The serial's console lines (components/serial/lines.c).
$(BUILD)/host/test_serial_lines: tests/host/test_serial_lines.c components/serial/lines.c components/serial/lines.h
$(BUILD)/host/test_serial_lines: HOST_CFLAGS += -Icomponents/serial
# The ring (libsel/include/sel/ring.h) with its cold half, and two threads for the stress case.
$(BUILD)/host/test_ring: tests/host/test_ring.c libsel/src/ring.c $(HOST_HEADERS)
$(BUILD)/host/test_ring: HOST_LIBS = -pthread
# The FAT core (components/fs/fat) with the host block device and helpers of its tests.
FAT_CORE_SRCS := $(wildcard components/fs/fat/*.c)
FAT_HEADERS := $(wildcard components/fs/fat/*.h tests/host/fat_*.h)
FAT_HOST_TESTS := $(filter $(BUILD)/host/test_fat_%,$(HOST_TESTS))
$(FAT_HOST_TESTS): $(BUILD)/host/%: tests/host/%.c $(FAT_CORE_SRCS) tests/host/fat_disk.c tests/host/fat_util.c \
                                    $(FAT_HEADERS)
$(FAT_HOST_TESTS): HOST_CFLAGS += -Icomponents/fs/fat
# The FAT core builds for the target too (picolibc, freestanding): test-host needs its objects.
FAT_TARGET_OBJS := $(patsubst %,$(BUILD)/fat-target/%.o,$(FAT_CORE_SRCS))
$(BUILD)/fat-target/%.c.o: %.c $(FAT_HEADERS)
	@mkdir -p $(dir $@)
	@$(say) CC $<
	$(Q)$(CC) $(USER_CFLAGS) -ffreestanding -c -o $@ $<
$(BUILD)/host/%:
	@mkdir -p $(dir $@)
	@$(say) HOSTCC $@
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka $(HOST_LIBS)

# ---- lwIP and the net component's libraries (components/net, tools/fetch-lwip) -------------
# lwIP 2.1.3 is Debian's source package, unpacked under $(BUILD)/lwip by tools/fetch-lwip (never
# committed).  It is built twice with our port (components/net/port) and the socket layer
# (components/net/sock): for the target, and for the host tests under ASan and UBSan.
LWIP_DIR := $(BUILD)/lwip
LWIP_SRC := $(LWIP_DIR)/src/src
LWIP_FILES := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c core/netif.c \
              core/pbuf.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c \
              core/udp.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
              core/ipv4/ip4_addr.c netif/ethernet.c
NET_PORT_SRCS := components/net/port/sys_arch.c components/net/port/net_netif.c
NET_SOCK_SRCS := components/net/sock/sock.c
NET_INCLUDES := -Icomponents/net/port -Icomponents/net/sock -I$(LWIP_SRC)/include
NET_HEADERS := $(wildcard components/net/port/*.h components/net/port/arch/*.h components/net/sock/*.h)
# lwIP is not our code: its own warnings are not errors here; ours are.
LWIP_WARNINGS := -Wno-error -Wno-unused-parameter -Wno-address
NET_TARGET_LIBS := $(BUILD)/net/liblwip.a $(BUILD)/net/libnetsock.a
NET_HOST_LIBS := $(BUILD)/net/host/libnetsock.a $(BUILD)/net/host/liblwip.a
# The host tests run both ends of every connection in one stack: twice the PCBs.
NET_HOST_DEFINES := -DMEMP_NUM_TCP_PCB=1024

$(LWIP_DIR)/.fetched: | deps
	@tools/fetch-lwip $(LWIP_DIR)
$(addprefix $(LWIP_SRC)/,$(LWIP_FILES)) $(LWIP_SRC)/include/lwip/opt.h: | $(LWIP_DIR)/.fetched ;

$(BUILD)/net/lwip/%.o: $(LWIP_SRC)/%.c $(NET_HEADERS) | $(LWIP_DIR)/.fetched
	@mkdir -p $(dir $@)
	@$(say) CC lwip/$*.c
	$(Q)$(CC) $(USER_CFLAGS) $(LWIP_WARNINGS) $(NET_INCLUDES) -c -o $@ $<
$(BUILD)/net/obj/%.o: components/net/%.c $(NET_HEADERS) | $(LWIP_DIR)/.fetched
	@mkdir -p $(dir $@)
	@$(say) CC $<
	$(Q)$(CC) $(USER_CFLAGS) $(NET_INCLUDES) -c -o $@ $<
$(BUILD)/net/host/lwip/%.o: $(LWIP_SRC)/%.c $(NET_HEADERS) | $(LWIP_DIR)/.fetched
	@mkdir -p $(dir $@)
	@$(say) HOSTCC lwip/$*.c
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(LWIP_WARNINGS) $(NET_HOST_DEFINES) $(NET_INCLUDES) -MMD -MP -c -o $@ $<
$(BUILD)/net/host/obj/%.o: components/net/%.c $(NET_HEADERS) | $(LWIP_DIR)/.fetched
	@mkdir -p $(dir $@)
	@$(say) HOSTCC $<
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(NET_HOST_DEFINES) $(NET_INCLUDES) -MMD -MP -c -o $@ $<

$(BUILD)/net/liblwip.a: $(patsubst %.c,$(BUILD)/net/lwip/%.o,$(LWIP_FILES)) \
                        $(patsubst components/net/%.c,$(BUILD)/net/obj/%.o,$(NET_PORT_SRCS))
$(BUILD)/net/libnetsock.a: $(patsubst components/net/%.c,$(BUILD)/net/obj/%.o,$(NET_SOCK_SRCS))
$(BUILD)/net/host/liblwip.a: $(patsubst %.c,$(BUILD)/net/host/lwip/%.o,$(LWIP_FILES)) \
                             $(patsubst components/net/%.c,$(BUILD)/net/host/obj/%.o,$(NET_PORT_SRCS) \
                                 components/net/port/clock_host.c)
$(BUILD)/net/host/libnetsock.a: $(patsubst components/net/%.c,$(BUILD)/net/host/obj/%.o,$(NET_SOCK_SRCS))
$(NET_TARGET_LIBS):
	@rm -f $@
	@$(say) AR $@
	$(Q)$(CROSS)ar rcs $@ $^
$(NET_HOST_LIBS):
	@rm -f $@
	@$(say) AR $@
	$(Q)ar rcs $@ $^

all: $(NET_TARGET_LIBS)

# The socket layer's host tests: lwIP interfaces joined by a fake wire inside one process
# (components/net/tests/).
NET_TEST_HELPERS := components/net/tests/net_test.c
NET_STACK_TESTS := $(BUILD)/host/test_net_sock $(BUILD)/host/test_net_netif
NET_HOST_TESTS := $(NET_STACK_TESTS) $(BUILD)/host/test_net_idl
$(NET_STACK_TESTS): $(BUILD)/host/%: components/net/tests/%.c $(NET_TEST_HELPERS) components/net/tests/net_test.h \
                    $(NET_HOST_LIBS) $(NET_HEADERS)
$(NET_HOST_TESTS): HOST_CFLAGS += $(NET_HOST_DEFINES) $(NET_INCLUDES) -Icomponents/net/tests -I$(BUILD)/net/host
$(NET_STACK_TESTS): HOST_LIBS = $(NET_HOST_LIBS)
# test_net_idl compares socket_protocol.h with what codegen declares from idl/socket.yaml.
$(BUILD)/host/test_net_idl: components/net/tests/test_net_idl.c components/net/sock/socket_protocol.h \
                            $(BUILD)/net/host/socket_idl.h
$(BUILD)/net/host/socket_idl.h: idl/socket.yaml components/net/tests/idl_types.py $(wildcard codegen/selgen/*.py)
	@mkdir -p $(dir $@)
	@$(say) IDL $@
	$(Q)$(PYTHON) components/net/tests/idl_types.py idl socket idl_ > $@.tmp && mv $@.tmp $@
HOST_TESTS += $(NET_HOST_TESTS)

test-host: $(HOST_TESTS) $(FAT_TARGET_OBJS)
	@mkdir -p $(BUILD)/results
	@$(PYTHON) tools/run-host-tests.py $(BUILD)/results/host.txt $(HOST_TESTS)

# A longer fuzz run of the FAT core than make test's: make fuzz-fat [FUZZ_ITERATIONS=n] [FUZZ_SEED=n]
.PHONY: fuzz-fat
fuzz-fat: $(BUILD)/host/test_fat_fuzz
	FAT_FUZZ_ITERATIONS=$(or $(FUZZ_ITERATIONS),300000) FAT_FUZZ_SEED=$(or $(FUZZ_SEED),1) $<

test-codegen: deps
	@mkdir -p $(BUILD)/results
	@tools/run-codegen-tests.sh $(BUILD)/results/codegen.txt

# The ring wake-up protocol (docs/rings.md) model-checked with SPIN, and each broken variant caught.
test-spin: deps
	@mkdir -p $(BUILD)/results
	@tests/spin/check.sh $(BUILD)/results/spin.txt $(BUILD)/spin

test-kernel: $(BUILD)/images/kerneltest.bin
	@mkdir -p $(BUILD)/results $(BUILD)/logs
	@$(PYTHON) tools/qemu-test.py --name kernel --timeout 300 --log $(BUILD)/logs/kernel.log \
	    --results $(BUILD)/results/kernel.txt -- $(QEMU) $(QEMU_FLAGS) -kernel $<

# Every system with a tests/system/<name>.expect (the default one, examples/), booted and checked line by line.
SYSTEM_TESTS = $(basename $(notdir $(wildcard tests/system/*.expect)))

test-system:
	@mkdir -p $(BUILD)/results $(BUILD)/logs
	@tools/run-system-tests.sh $(BUILD) "$(SYSTEM_MAKE)" $(QEMU)

# One component's tests: codegen builds a system of the component and a test driver playing its peers.
test-component:
	@mkdir -p $(BUILD)/results $(BUILD)/logs
	@$(SYSTEM_MAKE) CODEGEN_ARGS="--test-component $(NAME)" SYS_OUT=$(BUILD)/tests/components/$(NAME) image
	@tools/run-component-test.sh $(NAME) $(BUILD) $(QEMU) $(QEMU_BASE_FLAGS) \
	    $$(cat $(BUILD)/tests/components/$(NAME)/qemu-args) $(SMP_OVERRIDE)

test-components:
	@for c in $(COMPONENTS_WITH_TESTS); do $(MAKE) --no-print-directory test-component NAME=$$c || true; done

# The tools a user touches (make run, debug, graph, bench's README table, the test runners): tests/tools.
test-tools: deps
	@mkdir -p $(BUILD)/results $(BUILD)/logs
	@$(PYTHON) tests/tools/run.py $(BUILD) $(BUILD)/results/tools.txt

# ---- tracing (docs/trace.md) ---------------------------------------------------------------
# make trace: the system built with tracing (TRACE=1, under $(BUILD)/trace: tools/mk/trace.mk), booted under
# tools/trace/trace until a console line holds UNTIL (without UNTIL: until the console has been quiet for a
# second), SECONDS (30) at most; the outputs go to $(BUILD) (or TRACE_OUTPUTS).
.PHONY: trace test-trace
trace: deps
	@$(MAKE) --no-print-directory TRACE=1 BUILD=$(BUILD)/trace TRACE_OUTPUTS=$(or $(TRACE_OUTPUTS),$(BUILD)) SYSTEM=$(SYSTEM) \
	    TRACE_STOP="$(if $(UNTIL),--until '$(UNTIL)',--quiet 1) --seconds $(or $(SECONDS),30)" run

# Tracing's own tests (tests/trace): the record layout, the converter, tracing builds booted and checked.
test-trace: deps
	@mkdir -p $(BUILD)/results
	@$(PYTHON) tests/trace/run.py $(BUILD) $(BUILD)/results/trace.txt

# ---- random systems (tools/randsys/README.md) ------------------------------------------------
# Generated from seeds, each built, booted and checked (every component reports its connections
# working).  test-random: a fixed set of small ones, in make test; random-systems: more, from SEED
# (default: the clock).  RANDSYS_AVOID=a,b leaves out constructs of known findings
# (tools/randsys/FINDINGS.md); by default everything is generated.
.PHONY: test-random random-systems
RANDOM_TEST_SEED ?= 1
RANDOM_TEST_COUNT ?= 48
COUNT ?= 50
RANDSYS_ARGS = $(if $(RANDSYS_AVOID),--avoid $(RANDSYS_AVOID))

test-random: deps
	@mkdir -p $(BUILD)/results
	@tools/randsys/run --seed $(RANDOM_TEST_SEED) --count $(RANDOM_TEST_COUNT) --scale small \
	    --results $(BUILD)/results/random.txt $(RANDSYS_ARGS)

random-systems: deps
	@tools/randsys/run $(if $(SEED),--seed $(SEED)) --count $(COUNT) $(RANDSYS_ARGS) \
	    --results $(BUILD)/random-systems.txt

# ---- measurement --------------------------------------------------------------------------

# sleep=off: when every hart waits, QEMU jumps its clock to the next timer instead of letting it follow
# the host's, so cross-hart figures repeat exactly (one-hart figures are the same either way).
bench: deps $(BUILD)/images/bench.bin
	@mkdir -p $(BUILD)/logs
	@$(PYTHON) tools/bench.py --log $(BUILD)/logs/bench.log --json $(BUILD)/bench.json -- \
	    $(QEMU) $(QEMU_FLAGS) -icount shift=0,sleep=off -kernel $(BUILD)/images/bench.bin
	@$(PYTHON) tools/trace/bench_check.py --json $(BUILD)/bench.json --build $(BUILD) -- \
	    $(QEMU) $(QEMU_FLAGS) -icount shift=0,sleep=off
	@$(PYTHON) tools/bench-system.py --json $(BUILD)/bench.json --build $(BUILD)/bench-clean --qemu $(QEMU)
	@$(PYTHON) tools/bench_table.py $(BUILD)/bench.json README.md

clean:
	rm -rf $(BUILD)
