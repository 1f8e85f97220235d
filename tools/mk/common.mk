# Shared by the top-level Makefile and tools/mk/system.mk: the toolchain,
# flags, the kernel's objects, libsel, and how a bootable image is made.

include tools/mk/trace.mk
BUILD      ?= build
# Commands are printed only with V=1.
ifeq ($(V),1)
Q :=
say := true
else
Q := @
say := printf '  %-8s %s\n'
endif
CROSS      := riscv64-unknown-elf-
CC         := $(CROSS)gcc
OBJCOPY    := $(CROSS)objcopy
HOST_CC    := gcc
QEMU       := qemu-system-riscv64
FIRMWARE   := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
SMP        ?= 2
MEMORY     ?= 256M
# QEMU's virt machine; modern virtio-mmio (version 2) for every virtio device, as the drivers expect.
# A system's harts, memory, disk and network follow, from its `machine:` (codegen writes them, one argument
# per line, to the system's qemu-args: tools/mk/system.mk); the root-task images get $(SMP) and $(MEMORY).
QEMU_BASE_FLAGS = -machine virt -nographic -bios $(FIRMWARE) -global virtio-mmio.force-legacy=false
qemu_flags  = $(QEMU_BASE_FLAGS) -smp $(1) -m $(2)
QEMU_FLAGS  = $(call qemu_flags,$(SMP),$(MEMORY))
# SMP=n on make's command line boots a system on n harts whatever its machine says (for one-hart figures).
SMP_OVERRIDE = $(if $(filter command line,$(origin SMP)),-smp $(SMP))
# Where the system described by file $(1) is built: build/systems/ and the file's path in the project
# (build/systems/system.yaml/, build/systems/examples/fault.yaml/), so two files of one name never share
# a folder, and no folder lies inside another (a file is not a folder); a file outside the project is
# built under build/outside/ and its absolute path.
system_out  = $(if $(filter $(CURDIR)/%,$(abspath $(1))),$(BUILD)/systems/$(patsubst $(CURDIR)/%,%,$(abspath $(1))),$(BUILD)/outside$(abspath $(1)))
# These tools use only the standard library, so any python3 will do; codegen finds its own.
PYTHON     := python3
CODEGEN    := codegen/codegen

ARCH_FLAGS := -march=rv64imac -misa-spec=2.2 -mabi=lp64
WARNINGS   := -Wall -Wextra -Werror -Wno-unused-parameter
KERNEL_CFLAGS := $(ARCH_FLAGS) -mcmodel=medany -std=c11 -O2 -g -ffreestanding -fno-stack-protector \
                 -fno-pic $(WARNINGS) -Ikernel/include -Ilibsel/include -MMD -MP $(KERNEL_TRACE_CFLAGS)
KERNEL_LDFLAGS := $(ARCH_FLAGS) -nostdlib -static -T kernel/arch/riscv/kernel.ld -Wl,--build-id=none \
                  -Wl,--no-warn-rwx-segments
USER_CFLAGS := $(ARCH_FLAGS) -mcmodel=medany --specs=picolibc.specs -std=c11 -O2 -g $(WARNINGS) -Ilibsel/include \
               -ffunction-sections -fdata-sections -MMD -MP $(USER_TRACE_CFLAGS)
USER_LDFLAGS := $(ARCH_FLAGS) --specs=picolibc.specs -nostartfiles -T libsel/user.ld -Wl,--gc-sections \
                -Wl,--build-id=none -Wl,--no-warn-rwx-segments
COMPONENT_CFLAGS := $(USER_CFLAGS)
COMPONENT_LDFLAGS := $(ARCH_FLAGS) --specs=picolibc.specs -nostartfiles -Llibsel -Wl,--gc-sections \
                     -Wl,--build-id=none -Wl,--no-warn-rwx-segments

KERNEL_SRCS := $(wildcard kernel/arch/riscv/head.S kernel/arch/riscv/entry.S kernel/arch/riscv/*.c \
                          kernel/core/*.c kernel/object/*.c)
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))
LIBSEL_SRCS := $(wildcard libsel/src/*.c libsel/src/*.S)
LIBSEL      := $(BUILD)/libsel.a
# Start-up code: root tasks and components each have their own.
ROOTTASK_RT := $(patsubst %,$(BUILD)/%.o,$(wildcard libsel/roottask/*.c libsel/roottask/*.S))
COMPONENT_RT := $(patsubst %,$(BUILD)/%.o,$(wildcard libsel/component/*.c libsel/component/*.S))

$(BUILD)/kernel/%.c.o: kernel/%.c
	@mkdir -p $(dir $@)
	@$(say) CC $<
	$(Q)$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/kernel/%.S.o: kernel/%.S
	@mkdir -p $(dir $@)
	@$(say) CC $<
	$(Q)$(CC) $(KERNEL_CFLAGS) -c -o $@ $<

$(BUILD)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@$(say) CC $<
	$(Q)$(CC) $(USER_CFLAGS) -c -o $@ $<

$(BUILD)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@$(say) CC $<
	$(Q)$(CC) $(USER_CFLAGS) -c -o $@ $<

$(LIBSEL): $(patsubst %,$(BUILD)/%.o,$(LIBSEL_SRCS))
	@rm -f $@
	@$(say) AR $@
	$(Q)$(CROSS)ar rcs $@ $^

# A root task from the C files of one folder: $(1) name, $(2) folder, $(3) extra objects.
define roottask
$(BUILD)/$(1).elf: $(patsubst %,$(BUILD)/%.o,$(wildcard $(2)/*.c)) $(3) $(ROOTTASK_RT) $(LIBSEL) libsel/user.ld
	@$(say) LD $$@
	$(Q)$(CC) $(USER_LDFLAGS) -o $$@ $$(filter %.o,$$^) -Wl,--start-group $(LIBSEL) -lc -Wl,--end-group
endef

# An image: the kernel linked with a boot archive; $(1) image path without extension, $(2) archive.
define image
$(1).elf: $(KERNEL_OBJS) $(2) kernel/arch/riscv/kernel.ld kernel/arch/riscv/archive.S
	$(Q)$(CC) $(KERNEL_CFLAGS) -c -o $(1).archive.o kernel/arch/riscv/archive.S -DARCHIVE_FILE='"$(2)"'
	@$(say) LD $$@
	$(Q)$(CC) $(KERNEL_LDFLAGS) -o $$@ $(KERNEL_OBJS) $(1).archive.o
$(1).bin: $(1).elf
	@$(say) IMAGE $$@
	$(Q)$(OBJCOPY) -O binary $$< $$@
endef

# Keep every intermediate file (object files of pattern-built programs included).
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
