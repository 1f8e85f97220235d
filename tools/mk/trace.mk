# Tracing builds (docs/trace.md), included first by tools/mk/common.mk so both makes see it.
#
# TRACE=1 compiles the kernel's trace points (kernel/include/kernel/trace.h) and libsel's
# (libsel/include/sel/trace.h) in, and builds under build/trace, so that a tracing build and a plain
# one never share an object file.  `make run TRACE=1` then boots the system through tools/trace/trace,
# which records the trace when QEMU is stopped (Ctrl-A X, or the stop condition of `make trace`) and
# writes the timeline, the picture and the profile to $(TRACE_OUTPUTS).
ifeq ($(TRACE),1)
BUILD ?= build/trace
KERNEL_TRACE_CFLAGS := -DKERNEL_TRACE
USER_TRACE_CFLAGS := -DSEL_TRACE_ENABLED
TRACE_OUTPUTS ?= build
# TRACE_STOP: the runner's stop condition (make trace sets it; empty: when QEMU is left with Ctrl-A X).
TRACE_RUN = $(PYTHON) tools/trace/trace record --system-out $(SYS_OUT) --outputs $(TRACE_OUTPUTS) $(TRACE_STOP) --
endif
