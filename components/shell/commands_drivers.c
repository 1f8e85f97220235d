/* One command per driver, showing its counters (each driver's README says what they count). */
#include "shell.h"

#define FIELD(name, value) printf("  %-18s %llu\n", name, (unsigned long long)(value))

SHELL_COMMAND(serial, "serial", "the serial's counters")
{
    if (!serial_connected()) {
        shell_not_connected("serial", "serial", "{kind: rpc, from: shell.serial, to: serial.info}");
        return;
    }
    serial_info_counters_t c;
    serial_status(&c);
    FIELD("tx_bytes", c.tx_bytes);
    FIELD("tx_interrupts", c.tx_interrupts);
    FIELD("tx_queued", c.tx_queued);
    FIELD("lines", c.lines);
    FIELD("lines_broken", c.lines_broken);
    FIELD("kernel_bytes", c.kernel_bytes);
    FIELD("kernel_lost", c.kernel_lost);
    FIELD("clients", c.clients);
    FIELD("client_dropped", c.client_dropped);
    FIELD("sanitized", c.sanitized);
    FIELD("rx_bytes", c.rx_bytes);
    FIELD("rx_interrupts", c.rx_interrupts);
    FIELD("rx_dropped", c.rx_dropped);
}

SHELL_COMMAND(timer, "timer", "the timer's clock and counters")
{
    if (!timer_connected()) {
        shell_not_connected("timer", "timer", "{kind: rpc, from: shell.timer, to: timer.clock}");
        return;
    }
    uint64_t now = timer_now();
    timer_counters_t c;
    timer_status(&c);
    printf("  %-18s %llu.%09llu s (Unix time)\n", "now", (unsigned long long)(now / 1000000000u),
           (unsigned long long)(now % 1000000000u));
    FIELD("interrupts", c.interrupts);
    FIELD("alarms_set", c.alarms_set);
    FIELD("armed", c.armed);
    FIELD("fired", c.fired);
    FIELD("missed", c.missed);
    FIELD("cancelled", c.cancelled);
    FIELD("rejected", c.rejected);
    FIELD("clients", c.clients);
    FIELD("max_lateness_ns", c.max_lateness_ns);
}

SHELL_COMMAND(net, "net", "virtio_net's address, link and counters")
{
    if (!net_connected()) {
        shell_not_connected("net", "net", "{kind: rpc, from: shell.net, to: net.net}");
        return;
    }
    netinfo_config_t config;
    netinfo_counters_t c;
    net_status(false, &config, &c);
    printf("  %-18s %02x:%02x:%02x:%02x:%02x:%02x, link %s, mtu %lu\n", "mac", config.mac[0], config.mac[1],
           config.mac[2], config.mac[3], config.mac[4], config.mac[5], config.link_up ? "up" : "down",
           (unsigned long)config.mtu);
    FIELD("rx_frames", c.rx_frames);
    FIELD("rx_bytes", c.rx_bytes);
    FIELD("rx_dropped", c.rx_dropped);
    FIELD("rx_copied", c.rx_copied);
    FIELD("tx_frames", c.tx_frames);
    FIELD("tx_bytes", c.tx_bytes);
    FIELD("rejected", c.rejected);
    FIELD("busy", c.busy);
    FIELD("interrupts", c.interrupts);
    FIELD("notifies", c.notifies);
    FIELD("link_changes", c.link_changes);
}

SHELL_COMMAND(blk, "blk", "virtio_blk's counters (not yet: the driver does not expose them)")
{
    printf("blk: virtio_blk has no counters to ask for yet (its blk ring answers info: capacity and limits)\n");
}
