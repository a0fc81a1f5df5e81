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

/* What the summary shows of a SIP message: every string is valid UTF-8
 * without control characters, at most SDES_PCAP_SIP_TEXT_MAX bytes, with
 * any key after "inline:" redacted. */
#define SDES_PCAP_SIP_TEXT_MAX 256

typedef struct {
  gchar *method;  /* request: method and Request-URI; NULL for a response */
  gchar *uri;
  guint status;   /* response: status code and reason phrase; 0 for a request */
  gchar *reason;
  gchar *call_id; /* nullable, like warning */
  gchar *warning; /* every Warning header value, joined by ", " */
} SdesPcapSip;

gboolean sdes_pcap_find_udp (int linktype, const guint8 *frame, guint len, SdesPcapUdp *udp);
gboolean sdes_pcap_looks_like_sip (const guint8 *payload, gsize len);
gboolean sdes_pcap_looks_like_rtp (const guint8 *payload, gsize len);
GPtrArray *sdes_pcap_sdp_cryptos (const guint8 *payload, gsize len);
gboolean sdes_pcap_sip_parse (const guint8 *payload, gsize len, SdesPcapSip *sip);
void sdes_pcap_sip_clear (SdesPcapSip *sip);
gchar *sdes_pcap_sip_text (const gchar *text, gsize len);
GByteArray *sdes_pcap_sip_strip_sdes (const guint8 *payload, gsize len);

G_END_DECLS
