# The two commands: `make run` boots the system in QEMU, `make test` runs
# every test.  Both install what they need from Debian first.
#
#   make run        build and boot (Ctrl-A X leaves QEMU)
#   make test       kernel tests in QEMU and host unit tests; ends "N passed, N failed"
#   make bench      instruction counts under -icount, written to build/bench.json
#   make debug      QEMU halted with a gdb stub, and gdb with the symbols loaded

BUILD      := build
CROSS      := riscv64-unknown-elf-
CC         := $(CROSS)gcc
OBJCOPY    := $(CROSS)objcopy
HOST_CC    := gcc
QEMU       := qemu-system-riscv64
FIRMWARE   := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
SMP        ?= 2
MEMORY     ?= 256M
QEMU_FLAGS := -machine virt -smp $(SMP) -m $(MEMORY) -nographic -bios $(FIRMWARE)
# Python tools here use only the standard library, so any python3 will do.
PYTHON     := python3

ARCH_FLAGS := -march=rv64imac -misa-spec=2.2 -mabi=lp64
WARNINGS   := -Wall -Wextra -Werror -Wno-unused-parameter
KERNEL_CFLAGS := $(ARCH_FLAGS) -mcmodel=medany -std=c11 -O2 -g -ffreestanding -fno-stack-protector \
                 -fno-pic -fno-omit-frame-pointer $(WARNINGS) -Ikernel/include -Ilibsel/include -MMD -MP
KERNEL_LDFLAGS := $(ARCH_FLAGS) -nostdlib -static -T kernel/arch/riscv/kernel.ld -Wl,--build-id=none \
                  -Wl,--no-warn-rwx-segments
USER_CFLAGS := $(ARCH_FLAGS) --specs=picolibc.specs -std=c11 -O2 -g $(WARNINGS) -Ilibsel/include \
               -ffunction-sections -fdata-sections -MMD -MP
USER_LDFLAGS := $(ARCH_FLAGS) --specs=picolibc.specs -nostartfiles -T libsel/user.ld -Wl,--gc-sections \
                -Wl,--build-id=none -Wl,--no-warn-rwx-segments

KERNEL_SRCS := $(wildcard kernel/arch/riscv/head.S kernel/arch/riscv/entry.S kernel/arch/riscv/*.c \
                          kernel/core/*.c kernel/object/*.c)
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))
LIBSEL_SRCS := $(wildcard libsel/src/*.c libsel/src/*.S)
LIBSEL      := $(BUILD)/libsel.a

.PHONY: all deps run test bench debug clean test-host test-kernel
.DEFAULT_GOAL := all

all: deps $(BUILD)/images/loader.bin $(BUILD)/images/kerneltest.bin

deps:
	@tools/install-deps.sh

# ---- compiling -----------------------------------------------------------------

$(BUILD)/kernel/%.c.o: kernel/%.c
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/kernel/%.S.o: kernel/%.S
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(LIBSEL): $(patsubst %,$(BUILD)/%.o,$(LIBSEL_SRCS))
	@rm -f $@
	$(CROSS)ar rcs $@ $^

# A user program from the C files of one folder: $(1) name, $(2) folder.
define program
$(BUILD)/$(1).elf: $(patsubst %,$(BUILD)/%.o,$(wildcard $(2)/*.c)) $(LIBSEL) libsel/user.ld
	$(CC) $(USER_LDFLAGS) -o $$@ $$(filter %.o,$$^) -Wl,--start-group $(LIBSEL) -lc -Wl,--end-group
endef
$(eval $(call program,loader,loader))
$(eval $(call program,kerneltest,tests/kernel))
$(eval $(call program,bench,tools/bench))

# ---- bootable images: the kernel with a boot archive holding one root task -----

$(BUILD)/images/%.archive: $(BUILD)/%.elf tools/mkarchive.py
	@mkdir -p $(dir $@)
	$(CROSS)strip -o $(BUILD)/images/$*.stripped $<
	$(PYTHON) tools/mkarchive.py $@ $*=$(BUILD)/images/$*.stripped

$(BUILD)/images/%.elf: $(KERNEL_OBJS) $(BUILD)/images/%.archive kernel/arch/riscv/kernel.ld kernel/arch/riscv/archive.S
	$(CC) $(KERNEL_CFLAGS) -c -o $(BUILD)/images/$*.archive.o kernel/arch/riscv/archive.S \
	    -DARCHIVE_FILE='"$(BUILD)/images/$*.archive"'
	$(CC) $(KERNEL_LDFLAGS) -o $@ $(KERNEL_OBJS) $(BUILD)/images/$*.archive.o

$(BUILD)/images/%.bin: $(BUILD)/images/%.elf
	$(OBJCOPY) -O binary $< $@

# Keep every intermediate file (object files of pattern-built programs included).
.SECONDARY:

# ---- the two commands ------------------------------------------------------------

run: deps $(BUILD)/images/loader.bin
	$(QEMU) $(QEMU_FLAGS) -kernel $(BUILD)/images/loader.bin

test: deps
	@rm -rf $(BUILD)/results
	@$(MAKE) -k --no-print-directory test-host test-kernel; \
	 $(PYTHON) tools/test-summary.py $(BUILD)/results host kernel

# ---- tests -------------------------------------------------------------------------

HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
HOST_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Ikernel/include -Ilibsel/include \
               -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# cap.c links on the host with stubs for the object code it calls (tests/host/kernel_stubs.c).
HOST_CAP_SRCS := kernel/core/cap.c kernel/core/cdt.c tests/host/kernel_stubs.c
$(BUILD)/host/test_cdt: tests/host/test_cdt.c $(HOST_CAP_SRCS)
$(BUILD)/host/test_cap: tests/host/test_cap.c $(HOST_CAP_SRCS)
$(BUILD)/host/test_untyped: tests/host/test_untyped.c
$(BUILD)/host/test_prio_bitmap: tests/host/test_prio_bitmap.c
$(HOST_TESTS): $(wildcard kernel/include/kernel/*.h libsel/include/sel/*.h tests/host/*.h)
$(BUILD)/host/%:
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka

test-host: $(HOST_TESTS)
	@mkdir -p $(BUILD)/results
	@$(PYTHON) tools/run-host-tests.py $(BUILD)/results/host.txt $(HOST_TESTS)

test-kernel: $(BUILD)/images/kerneltest.bin
	@mkdir -p $(BUILD)/results $(BUILD)/logs
	@$(PYTHON) tools/qemu-test.py --name kernel --timeout 300 --log $(BUILD)/logs/kernel.log \
	    --results $(BUILD)/results/kernel.txt -- $(QEMU) $(QEMU_FLAGS) -kernel $<

# ---- measurement and debugging ----------------------------------------------------

bench: deps $(BUILD)/images/bench.bin
	@mkdir -p $(BUILD)/logs
	@$(PYTHON) tools/bench.py --log $(BUILD)/logs/bench.log --json $(BUILD)/bench.json -- \
	    $(QEMU) $(QEMU_FLAGS) -icount shift=0 -kernel $(BUILD)/images/bench.bin

debug: deps $(BUILD)/images/loader.bin
	@tools/debug.sh $(BUILD)/images/loader.elf $(BUILD)/loader.elf -- $(QEMU) $(QEMU_FLAGS) \
	    -kernel $(BUILD)/images/loader.bin

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
