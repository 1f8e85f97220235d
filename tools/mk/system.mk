# Builds (and runs) one system: its components, its loader and its image.
#   make -f tools/mk/system.mk SYSTEM=system.yaml image|run|debug|qemu-args
#   make -f tools/mk/system.mk CODEGEN_ARGS="--test-component NAME" SYS_OUT=... image
# codegen writes $(SYS_OUT)/generated.mk with the rules for the components;
# make builds it first (it is an included makefile) and restarts.

include tools/mk/common.mk

SYSTEM ?= system.yaml
SYS_OUT ?= $(call system_out,$(SYSTEM))
CODEGEN_ARGS ?= $(SYSTEM)
CODEGEN_INPUTS := $(filter-out --%,$(CODEGEN_ARGS)) \
                  $(shell find components idl tests/components -name '*.yaml' 2>/dev/null) \
                  $(wildcard codegen/codegen codegen/selgen/*.py codegen/templates/*.j2 codegen/templates/kinds/*.j2 \
                            codegen/schema/*.json)

$(SYS_OUT)/generated.mk: $(filter %.yaml %.py %.j2 %.json codegen/codegen,$(CODEGEN_INPUTS))
	@mkdir -p $(SYS_OUT)
	@$(say) CODEGEN $(SYS_OUT)
	$(Q)$(CODEGEN) $(CODEGEN_ARGS) --out $(SYS_OUT)
	@touch $@

include $(SYS_OUT)/generated.mk

LOADER_OBJS := $(patsubst %.c,$(BUILD)/%.c.o,$(wildcard loader/*.c)) $(SYS_OUT)/spec.o $(SYS_LOADER_OBJS)

$(BUILD)/loader/%.c.o: loader/%.c
	@mkdir -p $(dir $@)
	@$(say) CC $<
	$(Q)$(CC) $(USER_CFLAGS) -Iloader -c -o $@ $<

$(SYS_OUT)/spec.o: $(SYS_OUT)/spec.c loader/spec.h
	@$(say) CC $<
	$(Q)$(CC) $(USER_CFLAGS) -Iloader -c -o $@ $<

$(SYS_OUT)/loader.elf: $(LOADER_OBJS) $(ROOTTASK_RT) $(LIBSEL) libsel/user.ld
	@$(say) LD $@
	$(Q)$(CC) $(USER_LDFLAGS) -o $@ $(LOADER_OBJS) $(ROOTTASK_RT) -Wl,--start-group $(LIBSEL) -lc -Wl,--end-group

# The archive: the loader first, then each component; components keep their symbols for fault reports.
$(SYS_OUT)/image.archive: $(SYS_OUT)/loader.elf $(SYS_ELFS) tools/mkarchive.py
	$(Q)$(CROSS)strip -o $(SYS_OUT)/loader.stripped $(SYS_OUT)/loader.elf
	@for c in $(SYS_COMPONENTS); do $(CROSS)strip --strip-debug -o $(SYS_OUT)/components/$$c.stripped \
	    $(SYS_OUT)/components/$$c.elf || exit 1; done
	@$(say) ARCHIVE $@
	$(Q)$(PYTHON) tools/mkarchive.py $@ loader=$(SYS_OUT)/loader.stripped \
	    $(foreach c,$(SYS_COMPONENTS),$(c)=$(SYS_OUT)/components/$(c).stripped)

$(eval $(call image,$(SYS_OUT)/image,$(SYS_OUT)/image.archive))

# The machine the system describes: its `machine:` (harts, memory, disk, network), as codegen wrote it.
SYS_QEMU_FLAGS = $(QEMU_BASE_FLAGS) $(shell cat $(SYS_OUT)/qemu-args) $(SMP_OVERRIDE)

.PHONY: image run debug qemu-args
# The image, and the machine's disk if codegen says to make one (SYS_DISK, in generated.mk).
image: $(SYS_OUT)/image.bin $(SYS_DISK)

# With TRACE=1, QEMU runs under tools/trace/trace, which records the trace (tools/mk/trace.mk).
run: $(SYS_OUT)/image.bin $(SYS_DISK)
	$(TRACE_RUN) $(QEMU) $(SYS_QEMU_FLAGS) -kernel $<

# The arguments after $(QEMU) that boot the system, on one line (for tools/run-system-tests.sh, bench-system.py).
qemu-args: $(SYS_OUT)/image.bin $(SYS_DISK)
	@echo $(SYS_QEMU_FLAGS) -kernel $<

# GDB_COMMANDS=file runs a gdb command file once gdb is attached; GDB_PORT=n picks the stub's port.
debug: $(SYS_OUT)/image.bin $(SYS_DISK)
	@tools/debug.sh --console $(BUILD)/logs/debug-console.log $(if $(GDB_PORT),--port $(GDB_PORT)) \
	    $(if $(GDB_COMMANDS),--commands $(GDB_COMMANDS)) $(SYS_OUT)/image.elf $(SYS_OUT)/loader.elf $(SYS_ELFS) \
	    -- $(QEMU) $(SYS_QEMU_FLAGS) -kernel $<
