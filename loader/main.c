/*
 * The root task that `make run` boots.  For now it shows the kernel at work:
 * it reports what the boot info hands it, starts a server thread in an
 * address space of its own, calls it over an endpoint and hears back from
 * it on a notification, then powers the machine off.  (The system loader
 * that instantiates system.yaml grows here.)
 */
#include <sel/alloc.h>
#include <sel/thread.h>
#include <stdio.h>

static sel_cptr_t endpoint, notification, server_signal;

/* Doubles every number it is sent, then signals once it has served three calls. */
static void server(void *arg)
{
    (void)arg;
    sel_word_t badge, x = 0;
    sel_msginfo_t info = sel_recv_mrs(endpoint, &badge, &x, NULL, NULL, NULL);
    for (int served = 1;; served++) {
        sel_word_t reply = 2 * x;
        if (served == 3)
            sel_signal(server_signal);
        info = sel_reply_recv_mrs(endpoint, sel_msginfo_new(0, 0, 0, 1), &badge, &reply, NULL, NULL, NULL);
        x = reply;
        (void)info;
    }
}

int main(void)
{
    const sel_bootinfo_t *bi = sel_get_bootinfo();
    sel_word_t ram = 0, device = 0;
    for (sel_word_t i = 0; i < bi->num_untypeds; i++) {
        if (bi->untyped_list[i].is_device)
            device++;
        else
            ram += 1ull << bi->untyped_list[i].size_bits;
    }
    printf("root task: running on hart %lu of %lu, %lu KiB of untyped RAM in %lu caps, %lu device untypeds\n",
           (unsigned long)bi->boot_hart, (unsigned long)bi->num_harts, (unsigned long)(ram / 1024),
           (unsigned long)(bi->num_untypeds - device), (unsigned long)device);

    sel_allocator_t alloc;
    sel_alloc_init(&alloc, bi);
    endpoint = sel_alloc_object(&alloc, SEL_ENDPOINT_OBJECT, 0);
    notification = sel_alloc_object(&alloc, SEL_NOTIFICATION_OBJECT, 0);
    /* The server signals through a badged copy, so we can tell who signalled. */
    server_signal = sel_alloc_slot(&alloc);
    sel_error_t err = sel_cnode_mint(SEL_CAP_INIT_CNODE, server_signal, 64, SEL_CAP_INIT_CNODE, notification, 64,
                                     SEL_CAN_WRITE, 0x5e);
    sel_thread_t thread;
    if (!err)
        err = sel_thread_create(&alloc, &thread, true, 100, 0, server, NULL);
    if (err || !endpoint || !notification) {
        printf("root task: cannot start the server: %s\n", sel_error_name(err));
        return 1;
    }
    sel_debug_name_thread(thread.tcb, "server");
    sel_thread_start(&thread);

    for (sel_word_t x = 1; x <= 3; x++) {
        sel_word_t v = x * 10;
        sel_call_mrs(endpoint, sel_msginfo_new(0, 0, 0, 1), &v, NULL, NULL, NULL);
        printf("root task: called the server (another address space) with %lu, it answered %lu\n",
               (unsigned long)(x * 10), (unsigned long)v);
    }
    sel_word_t bits = sel_wait(notification);
    printf("root task: the server signalled through its badged cap (badge 0x%lx)\n", (unsigned long)bits);
    printf("root task: done, powering off\n");
    return 0;
}
