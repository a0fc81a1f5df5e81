/* srtpsdes — the parsing half of sdes-pcap: link/IP/UDP headers, SIP bodies
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No GStreamer and no libpcap calls (only its DLT_* numbers), so that a
 * libFuzzer target can run it on arbitrary frames.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint ip_offset;      /* of the IPv4/IPv6 header in the frame */
  guint payload_offset; /* of the UDP payload */
  guint payload_len;    /* from the UDP length, within the frame */
  gboolean ipv6;
  gchar src[64];        /* "address port" */
  gchar dst[64];
} SdesPcapUdp;

gboolean sdes_pcap_find_udp (int linktype, const guint8 *frame, guint len, SdesPcapUdp *udp);
gboolean sdes_pcap_looks_like_sip (const guint8 *payload, gsize len);
gboolean sdes_pcap_looks_like_rtp (const guint8 *payload, gsize len);
GPtrArray *sdes_pcap_sdp_cryptos (const guint8 *payload, gsize len);

G_END_DECLS
