/* srtpsdes — packet buffers: room for the SRTP trailer without a malloc
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "gstsrtpsdesbuffer.h"

GST_DEBUG_CATEGORY_EXTERN (gst_srtp_sdes_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_debug

/**
 * gst_srtp_sdes_packet_pool:
 *
 * One process-wide pool of MTU + maximum trailer buffers for
 * packets that arrive without room for the SRTP trailer, so that those
 * need no malloc of their own either. Shared by every element: a
 * GstBufferPool owns a GstPoll (file descriptors), so one pool per pad
 * would run out of descriptors with thousands of streams. Buffers are
 * allocated on demand and recycled when downstream drops them.
 *
 * Returns: (transfer none): the active pool of
 *   %GST_SRTP_SDES_POOL_BUFFER_SIZE buffers, or %NULL if it cannot be
 *   activated (then every such packet gets a buffer of its own).
 */
GstBufferPool *
gst_srtp_sdes_packet_pool (void)
{
  static GstBufferPool *pool;

  if (g_once_init_enter (&pool)) {
    GstBufferPool *p = gst_buffer_pool_new ();
    GstStructure *config = gst_buffer_pool_get_config (p);

    gst_buffer_pool_config_set_params (config, NULL, GST_SRTP_SDES_POOL_BUFFER_SIZE, 0, 0);
    if (!gst_buffer_pool_set_config (p, config) || !gst_buffer_pool_set_active (p, TRUE))
      GST_WARNING ("cannot activate the packet pool; falling back to allocations");
    /* Lives as long as the process, like the plugin. */
    GST_OBJECT_FLAG_SET (p, GST_OBJECT_FLAG_MAY_BE_LEAKED);
    g_once_init_leave (&pool, p);
  }
  return gst_buffer_pool_is_active (pool) ? pool : NULL;
}

/**
 * gst_srtp_sdes_buffer_make_room:
 * @buf: (transfer full): a packet
 * @extra: bytes to append
 * @pool: (nullable): where to take a buffer from when @buf has no room
 *
 * Grows @buf by @extra bytes in place when it is writable and has one
 * memory block we own alone with room behind the data: the common case
 * (udpsrc and most payloaders allocate MTU-sized blocks). Otherwise the
 * packet is copied once into a buffer of @pool (when it fits) or, for
 * oversized packets, a buffer of its own (metadata kept).
 *
 * Returns: (transfer full): a writable buffer of size + @extra bytes in
 *   one memory block that it owns alone.
 */
GstBuffer *
gst_srtp_sdes_buffer_make_room (GstBuffer *buf, gsize extra, GstBufferPool *pool)
{
  gsize size = gst_buffer_get_size (buf);
  GstBuffer *out = NULL;
  GstMemory *mem;
  GstMapInfo map;

  if (G_LIKELY (gst_buffer_is_writable (buf) && gst_buffer_n_memory (buf) == 1)) {
    mem = gst_buffer_peek_memory (buf, 0);
    if (G_LIKELY (!GST_MEMORY_IS_READONLY (mem) &&
            gst_mini_object_is_writable (GST_MINI_OBJECT_CAST (mem)) &&
            mem->maxsize - mem->offset >= size + extra)) {
      /* Cheaper than gst_buffer_set_size(), which walks every memory. */
      if (extra > 0)
        gst_memory_resize (mem, 0, size + extra);
      return buf;
    }
  }

  if (pool != NULL && size + extra <= GST_SRTP_SDES_POOL_BUFFER_SIZE &&
      gst_buffer_pool_acquire_buffer (pool, &out, NULL) == GST_FLOW_OK) {
    mem = gst_buffer_peek_memory (out, 0);
    gst_memory_resize (mem, 0, size + extra);
  } else {
    out = gst_buffer_new_allocate (NULL, size + extra, NULL);
    mem = gst_buffer_peek_memory (out, 0);
  }
  gst_buffer_copy_into (out, buf, GST_BUFFER_COPY_METADATA, 0, -1);
  if (gst_memory_map (mem, &map, GST_MAP_WRITE)) {
    gst_buffer_extract (buf, 0, map.data, size);
    gst_memory_unmap (mem, &map);
  }
  gst_buffer_unref (buf);
  return out;
}

/**
 * gst_srtp_sdes_buffer_set_packet_size:
 * @buf: a buffer returned by gst_srtp_sdes_buffer_make_room()
 * @size: the packet's final size
 *
 * Sets the size of the single memory block of @buf directly (no walk over
 * the buffer's memories per packet).
 */
void
gst_srtp_sdes_buffer_set_packet_size (GstBuffer *buf, gsize size)
{
  GstMemory *mem = gst_buffer_peek_memory (buf, 0);

  if (G_LIKELY (gst_buffer_n_memory (buf) == 1)) {
    if (mem->size != size)
      gst_memory_resize (mem, 0, size);
  } else {
    gst_buffer_set_size (buf, size);
  }
}
