# The two commands: `make run` boots the system in QEMU, `make test` runs
# every test.  Both install what they need from Debian first.
#
#   make run [SYSTEM=path.yaml]   build and boot a system (default system.yaml; Ctrl-A X leaves QEMU)
#   make test                     every test; ends "N passed, N failed"
#   make test-component NAME=x    one component's tests through the harness (test-components: all)
#   make bench                    instruction counts under -icount, written to build/bench.json
#   make debug [SYSTEM=...]       QEMU halted with a gdb stub, and gdb with the symbols loaded
#   make graph [SYSTEM=...]       the system as a Graphviz picture

include tools/mk/common.mk

SYSTEM ?= system.yaml
SYS_NAME = $(basename $(notdir $(SYSTEM)))
SYS_OUT = $(BUILD)/systems/$(SYS_NAME)
SYSTEM_MAKE = $(MAKE) --no-print-directory -f tools/mk/system.mk BUILD=$(BUILD)

.PHONY: all deps run image test bench debug graph clean test-host test-kernel test-codegen test-spin test-system \
        test-component test-components
.DEFAULT_GOAL := all

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

# ---- root-task images: the kernel test suite and the benchmark ----------------------------

$(eval $(call roottask,kerneltest,tests/kernel))
$(eval $(call roottask,bench,tools/bench))

$(BUILD)/images/%.archive: $(BUILD)/%.elf tools/mkarchive.py
	@mkdir -p $(dir $@)
	$(Q)$(CROSS)strip -o $(BUILD)/images/$*.stripped $<
	@$(say) ARCHIVE $@
	$(Q)$(PYTHON) tools/mkarchive.py $@ $*=$(BUILD)/images/$*.stripped

$(eval $(call image,$(BUILD)/images/kerneltest,$(BUILD)/images/kerneltest.archive))
$(eval $(call image,$(BUILD)/images/bench,$(BUILD)/images/bench.archive))

# ---- tests ---------------------------------------------------------------------------------

COMPONENTS_WITH_TESTS = $(notdir $(patsubst %/,%,$(dir $(wildcard tests/components/*/test.yaml))))

test: deps
	@rm -rf $(BUILD)/results
	@$(MAKE) -k --no-print-directory test-host test-codegen test-spin test-kernel test-system test-components \
	    test-random; \
	 $(PYTHON) tools/test-summary.py $(BUILD)/results host codegen spin kernel $(addprefix system-,$(SYSTEM_TESTS)) \
	     $(addprefix component-,$(COMPONENTS_WITH_TESTS)) random

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
# The ring (libsel/include/sel/ring.h) with its cold half, and two threads for the stress case.
$(BUILD)/host/test_ring: tests/host/test_ring.c libsel/src/ring.c $(HOST_HEADERS)
$(BUILD)/host/test_ring: HOST_LIBS = -pthread
$(BUILD)/host/%:
	@mkdir -p $(dir $@)
	@$(say) HOSTCC $@
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka $(HOST_LIBS)

test-host: $(HOST_TESTS)
	@mkdir -p $(BUILD)/results
	@$(PYTHON) tools/run-host-tests.py $(BUILD)/results/host.txt $(HOST_TESTS)

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
	@tools/run-system-tests.sh $(BUILD) "$(SYSTEM_MAKE)" $(QEMU) $(QEMU_FLAGS)

# One component's tests: codegen builds a system of the component and a test driver playing its peers.
test-component:
	@test -n "$(NAME)" || { echo "make test-component NAME=<component> (components with tests: $(COMPONENTS_WITH_TESTS))"; exit 2; }
	@test -f tests/components/$(NAME)/test.yaml || { echo "no tests for component '$(NAME)': tests/components/$(NAME)/test.yaml is missing (components with tests: $(COMPONENTS_WITH_TESTS))"; exit 2; }
	@mkdir -p $(BUILD)/results $(BUILD)/logs
	@$(SYSTEM_MAKE) CODEGEN_ARGS="--test-component $(NAME)" SYS_OUT=$(BUILD)/tests/components/$(NAME) image
	@tools/run-component-test.sh $(NAME) $(BUILD) $(QEMU) $(QEMU_FLAGS)

test-components:
	@for c in $(COMPONENTS_WITH_TESTS); do $(MAKE) --no-print-directory test-component NAME=$$c || true; done

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

# ---- measurement and debugging -------------------------------------------------------------

# sleep=off: when every hart waits, QEMU jumps its clock to the next timer instead of letting it follow
# the host's, so cross-hart figures repeat exactly (one-hart figures are the same either way).
bench: deps $(BUILD)/images/bench.bin
	@mkdir -p $(BUILD)/logs
	@$(PYTHON) tools/bench.py --log $(BUILD)/logs/bench.log --json $(BUILD)/bench.json -- \
	    $(QEMU) $(QEMU_FLAGS) -icount shift=0,sleep=off -kernel $(BUILD)/images/bench.bin
	@$(PYTHON) tools/bench-system.py --json $(BUILD)/bench.json --build $(BUILD)/bench-clean -- \
	    $(QEMU) $(QEMU_FLAGS)

debug: deps image
	@tools/debug.sh $(SYS_OUT)/image.elf $(SYS_OUT)/loader.elf \
	    $(foreach c,$(shell sed -n 's/^SYS_COMPONENTS := //p' $(SYS_OUT)/generated.mk),$(SYS_OUT)/components/$(c).elf) \
	    -- $(QEMU) $(QEMU_FLAGS) -kernel $(SYS_OUT)/image.bin

clean:
	rm -rf $(BUILD)
