/* The virtio_blk cases (../virtio_blk/test_virtio_blk.c), with the device's interrupts as tokens (test.yaml). */
#include "../virtio_blk/test_virtio_blk.c"
