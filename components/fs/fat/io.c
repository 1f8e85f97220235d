/*
 * Requests to the block device, by volume byte offset, and pipelines that
 * keep up to FAT_PIPE_DEPTH of them in flight for one transfer: adding to
 * a full pipe waits for its oldest request first, so a long transfer runs
 * with the pipe full until its tail.
 */
#include "fat_internal.h"

fat_io_t io_submit(struct fat_volume *vol, uint64_t offset, uint32_t bytes, void *buf, bool write)
{
    if (++vol->in_flight > vol->max_in_flight)
        vol->max_in_flight = vol->in_flight;
    return vol->dev->submit(vol->dev->ctx, vol->part_lba + offset / FAT_SECTOR, bytes / FAT_SECTOR, buf, write);
}

bool io_wait(struct fat_volume *vol, fat_io_t io)
{
    vol->in_flight--;
    return vol->dev->wait(vol->dev->ctx, io);
}

void pipe_init(struct fat_pipe *pipe)
{
    pipe->oldest = pipe->count = 0;
    pipe->failed = false;
}

static void pipe_wait_oldest(struct fat_volume *vol, struct fat_pipe *pipe)
{
    if (!io_wait(vol, pipe->io[pipe->oldest]))
        pipe->failed = true;
    pipe->oldest = (pipe->oldest + 1) % FAT_PIPE_DEPTH;
    pipe->count--;
}

void pipe_add(struct fat_volume *vol, struct fat_pipe *pipe, uint64_t offset, uint32_t bytes, void *buf, bool write)
{
    if (pipe->count == FAT_PIPE_DEPTH)
        pipe_wait_oldest(vol, pipe);
    pipe->io[(pipe->oldest + pipe->count) % FAT_PIPE_DEPTH] = io_submit(vol, offset, bytes, buf, write);
    pipe->count++;
}

int pipe_drain(struct fat_volume *vol, struct fat_pipe *pipe)
{
    while (pipe->count)
        pipe_wait_oldest(vol, pipe);
    return pipe->failed ? FAT_IO : FAT_OK;
}
