/*
 * The trap path: entry.S saves the user registers and calls handle_trap,
 * which takes the big lock, handles the interrupt, syscall or fault, and
 * leaves through kernel_exit, which picks the next thread and returns to it.
 */
#include <kernel/irq.h>
#include <kernel/kernel.h>
#include <kernel/lock.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/trace.h>
#include <kernel/vspace.h>
#include <kernel/endpoint.h>
#include <kernel/notification.h>
#include <kernel/user_interrupt.h>
#include "asm.h"
#include "csr.h"
#include "plic.h"
#include "sbi.h"
#include "switch.h"

_Static_assert(offsetof(struct user_context, regs) == CTX_REG(0), "entry.S saves regs[] at CTX_REG");
_Static_assert(offsetof(struct user_context, kernel_sp) == CTX_KERNEL_SP, "entry.S finds kernel_sp at CTX_KERNEL_SP");
_Static_assert(offsetof(struct user_context, hart) == CTX_HART, "entry.S finds hart at CTX_HART");
_Static_assert(offsetof(struct tcb, ctx) == 0, "sscratch points at both the TCB and its context");

static word_t tick_interval;

void timer_start(struct hart *h)
{
    tick_interval = platform.timebase_frequency / TICKS_PER_SECOND;
    h->next_tick = csr_read(time) + tick_interval;
    sbi_set_timer(h->next_tick);
}

word_t timer_now(void) { return csr_read(time); }

/* Sets the next tick (clearing the pending timer interrupt). */
void timer_rearm(struct hart *h)
{
    word_t now = csr_read(time);
    do
        h->next_tick += tick_interval;
    while (h->next_tick <= now);
    sbi_set_timer(h->next_tick);
}

static void handle_interrupt(struct hart *h, word_t code)
{
    TRACE_INTERRUPT(h, code);
    switch (code) {
    case IRQ_S_SOFT:
        /* Another hart queued a thread for us or wants us to stop one (see sched.c). */
        csr_clear(sip, SIP_SSIP);
        h->reschedule = true;
        arch_follow_fastpath_setting(h);
        break;
    case IRQ_S_TIMER:
        timer_rearm(h);
        if (h->index == boot_hart_index) {
            notification_fire_alarms(timer_now());
            console_tick(timer_now());   /* the kernel's own lines, for the console's reader */
        }
        sched_tick(h);
        break;
    case IRQ_S_EXT:
        if (h->plic_context < 0)
            break;
        for (unsigned irq; (irq = plic_claim(h->plic_context)) != 0;)
            irq_handle(irq);
        break;
    }
}

static void wait_for_interrupt(struct hart *h);

#define INSN_WFI 0x10500073u

/*
 * wfi in user mode (which traps: the hardware only lets the kernel halt) is
 * the N extension's way for a thread to wait for user interrupts: the hart
 * halts until an interrupt arrives, and the thread stays the running one,
 * so a token reaches it the fastest way.  Any interrupt ends the wait, as
 * the instruction allows; pending user interrupts (enabled or not, as
 * pending-and-enabled-in-uie would need a read of its CSRs) end it at once.
 */
static void user_wfi(struct hart *h, struct tcb *t)
{
    t->ctx.regs[REG_PC] += 4;
    if (user_interrupt_pending(t))
        return;   /* kernel_exit delivers them, or they are masked: either way, no waiting */
    wait_for_interrupt(h);
}

static void handle_exception(struct hart *h, struct tcb *t, word_t cause)
{
    word_t pc = t->ctx.regs[REG_PC], stval = csr_read(stval);
    if (cause == EXC_ILLEGAL_INSTRUCTION && stval == INSN_WFI) {
        user_wfi(h, t);
        return;
    }
    switch (cause) {
    case EXC_INST_PAGE_FAULT:
    case EXC_LOAD_PAGE_FAULT:
    case EXC_STORE_PAGE_FAULT:
    case EXC_INST_ACCESS:
    case EXC_LOAD_ACCESS:
    case EXC_STORE_ACCESS:
        t->fault = SEL_FAULT_VM;
        t->fault_msg[SEL_VM_FAULT_PC] = pc;
        t->fault_msg[SEL_VM_FAULT_ADDR] = stval;
        t->fault_msg[SEL_VM_FAULT_PREFETCH] = cause == EXC_INST_PAGE_FAULT || cause == EXC_INST_ACCESS;
        t->fault_msg[SEL_VM_FAULT_FSR] = cause;
        break;
    default:
        t->fault = SEL_FAULT_USER_EXCEPTION;
        t->fault_msg[SEL_USER_EXCEPTION_PC] = pc;
        t->fault_msg[SEL_USER_EXCEPTION_SP] = t->ctx.regs[REG_SP];
        t->fault_msg[SEL_USER_EXCEPTION_CAUSE] = cause;
        t->fault_msg[SEL_USER_EXCEPTION_VALUE] = stval;
        break;
    }
    fault_deliver(t);
}

void handle_trap(struct user_context *ctx, word_t scause)
{
    struct hart *h = this_hart();
    kernel_lock(h);
    handle_trap_locked(h, (struct tcb *)ctx, scause);
}

void handle_trap_locked(struct hart *h, struct tcb *t, word_t scause)
{
    TRACE_KERNEL_ENTER(h, t, scause);
    h->kernel_entries++;
    if (scause & SCAUSE_INTERRUPT) {
        h->interrupt_entries++;
        handle_interrupt(h, scause & ~SCAUSE_INTERRUPT);
    } else if (h->current == t) {
        /* (If another hart stalled t while we waited for the lock, t restarts the instruction later.) */
        if (scause == EXC_ECALL_U)
            handle_syscall(t);
        else
            handle_exception(h, t, scause);
    }
    kernel_exit(h);
}

/* Nothing to run: leave the last address space (it may be destroyed meanwhile) and wait. */
/* Not inlined: it would make kernel_exit save registers on every exit. */
static __attribute__((noinline)) void idle_wait(struct hart *h)
{
    if (h->satp != kernel_satp) {
        csr_write(satp, kernel_satp);
        h->satp = kernel_satp;
    }
    wait_for_interrupt(h);
}

/* Waits with the lock released until an interrupt arrives, then handles it. */
static void wait_for_interrupt(struct hart *h)
{
    /* The wait is idle time (DebugCpuTime); its end is read before the lock, which may make us spin. */
    TRACE_IDLE_ENTER(h);
    account_switch(h, NULL);
    h->idling = true;
    kernel_unlock();
    word_t pending;
    do {
        wfi();
        pending = csr_read(sip) & csr_read(sie);
    } while (!pending);
    word_t woke = csr_read(instret);
    kernel_lock(h);
    h->idle_instructions += woke - h->charged_since;
    h->charged_since = woke;
    h->idling = false;
    TRACE_IDLE_EXIT(h);
    pending = csr_read(sip) & csr_read(sie);
    if (pending & SIP_SSIP)
        handle_interrupt(h, IRQ_S_SOFT);
    if (pending & BIT(IRQ_S_TIMER))
        handle_interrupt(h, IRQ_S_TIMER);
    if (pending & BIT(IRQ_S_EXT))
        handle_interrupt(h, IRQ_S_EXT);
}

void kernel_exit(struct hart *h)
{
    for (;;) {
        schedule(h);
        struct tcb *next = h->current;
        if (next) {
            if (unlikely(user_interrupt_pending(next)))
                user_interrupt_deliver(next);
            switch_to_user(h, next);
        }
        idle_wait(h);
    }
}

bool fastpath_enabled = true;

void arch_follow_fastpath_setting(struct hart *h)
{
    extern char trap_entry[], trap_entry_without_fastpath[];
    if (h->fastpath_on == fastpath_enabled)
        return;
    csr_write(stvec, fastpath_enabled ? (word_t)trap_entry : (word_t)trap_entry_without_fastpath);
    h->fastpath_on = fastpath_enabled;
}

/* A trap while in the kernel is a kernel bug: say where, and stop the machine. */
NORETURN void kernel_trap(word_t scause, word_t sepc, word_t stval)
{
    console_redirect(false);   /* straight to the UART: nobody will read it from a stopped machine */
    printk("\nkernel: BUG: trap in the kernel on hart %u: scause 0x%lx sepc 0x%lx stval 0x%lx\n",
           this_hart()->index, scause, sepc, stval);
    machine_poweroff(100);
}
