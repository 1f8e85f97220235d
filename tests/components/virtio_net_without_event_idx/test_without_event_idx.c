/*
 * components/virtio_net given a device without VIRTIO_RING_F_EVENT_IDX:
 * it refuses the device (check finds its reason on the console) and keeps
 * answering, every loan with no_device, never with silence.
 */
#include "../harness.h"

TEST(no_device_no_link)
{
    netinfo_config_t config;
    netinfo_counters_t c;
    net_status(false, &config, &c);
    CHECK(!config.link_up);
}

static void check_no_device(bool receive)
{
    netframe_loan_t loan = { 0, receive ? 2048 : 60 };
    CHECK(receive ? rx_submit(&loan, 42) : tx_submit(&loan, 42));
    receive ? rx_flush() : tx_flush();
    netframe_done_t d;
    uint64_t tag;
    bool got = false;
    for (int i = 0; i < 1000000 && !got; i++)
        got = receive ? rx_completion(&d, &tag) : tx_completion(&d, &tag);
    CHECK(got);
    CHECK_EQ(tag, 42);
    CHECK_EQ(d.status, NETFRAME_STATUS_NO_DEVICE);
    CHECK_EQ(d.offset, 0);
    CHECK_EQ(d.length, 0);
}

TEST(receive_loans_come_back_no_device)
{
    check_no_device(true);
}

TEST(transmit_loans_come_back_no_device)
{
    check_no_device(false);
}
