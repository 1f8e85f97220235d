/*
 * The shell through the harness: the driver types lines (answering the
 * shell's read requests) and plays the services the commands ask; the
 * shell's output is on the console, which `check` reads from the host.
 */
#include "../harness.h"

#include <string.h>

static volatile unsigned counts, components, harts, serials, timers, nets;

/* ---- the services, with numbers check looks for ---- */

uint32_t system_count(void) { counts++; return 2; }
uint32_t system_harts(void) { return 1; }

bool system_component(uint32_t index, system_info_component_t *info)
{
    components++;
    if (index >= 2)
        return false;
    memset(info, 0, sizeof(*info));
    strcpy((char *)info->name, index == 0 ? "alpha" : "beta");
    info->state = index == 0 ? SYSTEM_INFO_STATE_RUNNING : SYSTEM_INFO_STATE_STOPPED;
    info->priority = index == 0 ? 150 : 90;
    info->hart = (uint8_t)index;
    info->threads = 1;
    info->instructions = index == 0 ? 123456789 : 42;
    info->faults = index;
    return true;
}

bool system_hart(uint32_t index, system_info_hart_t *info)
{
    harts++;
    *info = (system_info_hart_t){ .idle = 777, .kernel = 55, .at = 999999 };
    return index == 0;
}

void serial_status(serial_info_counters_t *c)
{
    serials++;
    memset(c, 0, sizeof(*c));
    c->tx_bytes = 31337;
    c->rx_dropped = 3;
}

uint64_t timer_now(void) { return 1700000000123456789ull; }

void timer_status(timer_counters_t *c)
{
    timers++;
    memset(c, 0, sizeof(*c));
    c->fired = 4242;
}

void net_status(bool reset, netinfo_config_t *config, netinfo_counters_t *c)
{
    nets++;
    memset(config, 0, sizeof(*config));
    memset(c, 0, sizeof(*c));
    static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    memcpy(config->mac, mac, 6);
    config->link_up = true;
    config->mtu = 1500;
    c->rx_frames = 8080;
}

/* ---- typing ---- */

/* Types text (in as many reads as it takes), then waits until the shell asks for more: it has run it. */
static void type(const char *text)
{
    size_t n = strlen(text), done = 0;
    while (done < n) {
        console_input_read_t req;
        uint64_t tag;
        while (!input_request(&req, &tag))
            input_wait();
        CHECK(req.room >= 1 && req.room <= 56);
        console_input_typed_t t = { .status = CONSOLE_INPUT_INPUT_STATUS_OK };
        while (t.length < req.room && done < n)
            t.text[t.length++] = (uint8_t)text[done++];
        CHECK(input_complete(&t, tag));
        input_flush();
    }
    while (!input_poll())
        input_wait();
}

TEST(help_lists_the_commands)
{
    type("help\r");   /* check: each command with its summary */
}

TEST(ps_asks_the_loader)
{
    unsigned before = components;
    type("ps\r");
    CHECK_EQ(counts, 1);
    CHECK_EQ(components - before, 2);
    CHECK(harts >= 1);
}

TEST(each_driver_has_a_command)
{
    type("serial\r");
    CHECK_EQ(serials, 1);
    type("timer\r");
    CHECK_EQ(timers, 1);
    type("net\r");
    CHECK_EQ(nets, 1);
    type("blk\r");
}

TEST(editing_a_line)
{
    /* A typo, a backspace, an arrow key's escape sequence: the line is "ps". */
    type("pz\x7fs\x1b[A\r");
    CHECK_EQ(counts, 2);
    /* Ctrl-U drops what was typed; Ctrl-C starts afresh. */
    type("serial\x15ps\r");
    CHECK_EQ(counts, 3);
    CHECK_EQ(serials, 1);
    type("timer\x03");
    CHECK_EQ(timers, 1);
}

TEST(mistakes_are_named)
{
    type("frobnicate now\r");     /* check: "frobnicate: no such command" */
    static char long_line[200];
    memset(long_line, 'x', 150);
    strcpy(long_line + 150, "\r");
    type(long_line);              /* check: "longer than 120 bytes" */
    type("\r");                   /* an empty line runs nothing */
}
