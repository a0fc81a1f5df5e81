/* srtpsdes — packet buffers: room for the SRTP trailer without a malloc
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Packet classification: RFC 5761 §4, RTCP packet types 192..223 share the
 * RTP port when rtcp-mux is used. */
static inline gboolean
gst_srtp_sdes_packet_is_rtcp (const guint8 *data, gsize len)
{
  return len >= 8 && (data[0] & 0xc0) == 0x80 && data[1] >= 192 && data[1] <= 223;
}

/* Pool buffers hold an MTU-sized packet (1500) plus the longest
 * trailer: SRTCP E flag + index (4), a 16-byte tag and a 128-byte MKI
 * (RFC 4568 §6.1 allows MKIs of up to 128 bytes). Bigger packets get a
 * buffer of their own. */
#define GST_SRTP_SDES_POOL_BUFFER_SIZE (1500 + 4 + 16 + 128)

GstBufferPool *gst_srtp_sdes_packet_pool (void);
GstBuffer *gst_srtp_sdes_buffer_make_room (GstBuffer *buf, gsize extra, GstBufferPool *pool);
void gst_srtp_sdes_buffer_set_packet_size (GstBuffer *buf, gsize size);

G_END_DECLS
