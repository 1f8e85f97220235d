/* The virtio_net cases (../virtio_net/test_virtio_net.c), with the device's interrupts as tokens (test.yaml). */
#include "../virtio_net/test_virtio_net.c"
