/*
 * Reads sector 0 of the machine's disk (a FAT32 image tools/mkdisk made of
 * ../disk) and says what it holds, then asks the network driver for its
 * MAC address and link.  ../../devices.expect checks the lines.
 */
#include <component.h>
#include <stdio.h>
#include <string.h>

int run(void)
{
    blk_request_t info = { .op = BLK_OP_INFO };
    blk_response_t r;
    uint64_t tag;
    blk_submit(&info, 1);
    while (!blk_completion(&r, &tag))
        blk_wait();
    printf("disk: %llu sectors\n", (unsigned long long)r.capacity);
    blk_request_t read = { .op = BLK_OP_READ, .length = 512, .sector = 0, .offset = 0 };
    blk_submit(&read, 2);
    while (!blk_completion(&r, &tag))
        blk_wait();
    const uint8_t *sector = blk_data;
    char fs_type[9] = { 0 };
    memcpy(fs_type, sector + 82, 8);
    printf("boot sector: status %d, signature %02x%02x, file system '%s'\n", (int)r.status, sector[510],
           sector[511], fs_type);
    netinfo_config_t config;
    netinfo_counters_t counters;
    net_status(false, &config, &counters);
    printf("network: MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s\n", config.mac[0], config.mac[1], config.mac[2],
           config.mac[3], config.mac[4], config.mac[5], config.link_up ? "up" : "down");
    return 0;
}
