/* srtpsdes — the parsing half of sdes-pcap: link/IP/UDP headers, SIP bodies
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pcap-frame.h"

#include <pcap/dlt.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sdes-crypto.h"

/* SIP bodies above this are not scanned (RFC 3261 §18.1.1: UDP messages
 * stay well below it). */
#define MAX_SIP_SCAN 65535

static guint16
be16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

/**
 * sdes_pcap_find_udp:
 *
 * Finds the UDP payload of a frame for the link types tshark and tcpdump
 * write: Ethernet (802.1Q/802.1ad tags), Linux cooked v1/v2, BSD
 * loopback, raw IP. IPv4 fragments and IPv6 extension headers are not
 * followed. Every length is checked against @len.
 *
 * Returns: %TRUE and @udp filled for an unfragmented UDP datagram.
 */
gboolean
sdes_pcap_find_udp (int linktype, const guint8 *f, guint len, SdesPcapUdp *udp)
{
  guint off, etype, udp_len;
  const guint8 *ip;
  gchar a[INET6_ADDRSTRLEN] = { 0 }, b[INET6_ADDRSTRLEN] = { 0 };

  switch (linktype) {
    case DLT_EN10MB:
      if (len < 14)
        return FALSE;
      etype = be16 (f + 12);
      off = 14;
      while ((etype == 0x8100 || etype == 0x88a8) && len >= off + 4) {
        etype = be16 (f + off + 2);
        off += 4;
      }
      break;
    case DLT_LINUX_SLL:
      if (len < 16)
        return FALSE;
      etype = be16 (f + 14);
      off = 16;
      break;
    case DLT_LINUX_SLL2:
      if (len < 20)
        return FALSE;
      etype = be16 (f);
      off = 20;
      break;
    case DLT_NULL:
    case DLT_LOOP:
      if (len <= 4)
        return FALSE;
      off = 4;
      etype = (f[4] >> 4) == 6 ? 0x86dd : 0x0800;
      break;
    case DLT_RAW:
      if (len == 0)
        return FALSE;
      off = 0;
      etype = (f[0] >> 4) == 6 ? 0x86dd : 0x0800;
      break;
    default:
      return FALSE;
  }
  ip = f + off;
  if (etype == 0x0800) {
    guint ihl, total;

    if (len < off + 20 || (ip[0] >> 4) != 4 || ip[9] != 17)
      return FALSE;
    ihl = (ip[0] & 0x0f) * 4u;
    total = be16 (ip + 2);
    /* A fragment (MF set or an offset) is not ours to reassemble. */
    if (ihl < 20 || (be16 (ip + 6) & 0x3fff) != 0 || total < ihl + 8 || off + total > len)
      return FALSE;
    inet_ntop (AF_INET, ip + 12, a, sizeof a);
    inet_ntop (AF_INET, ip + 16, b, sizeof b);
    udp->ip_offset = off;
    udp->payload_offset = off + ihl + 8;
    udp->ipv6 = FALSE;
  } else if (etype == 0x86dd) {
    if (len < off + 48 || (ip[0] >> 4) != 6 || ip[6] != 17 || be16 (ip + 4) < 8 ||
        off + 40 + be16 (ip + 4) > len)
      return FALSE;
    inet_ntop (AF_INET6, ip + 8, a, sizeof a);
    inet_ntop (AF_INET6, ip + 24, b, sizeof b);
    udp->ip_offset = off;
    udp->payload_offset = off + 48;
    udp->ipv6 = TRUE;
  } else {
    return FALSE;
  }
  udp_len = be16 (f + udp->payload_offset - 4);
  if (udp_len < 8 || udp->payload_offset - 8 + udp_len > len)
    return FALSE;
  udp->payload_len = udp_len - 8;
  g_snprintf (udp->src, sizeof udp->src, "%s %u", a, be16 (f + udp->payload_offset - 8));
  g_snprintf (udp->dst, sizeof udp->dst, "%s %u", b, be16 (f + udp->payload_offset - 6));
  return TRUE;
}

/**
 * sdes_pcap_looks_like_sip:
 *
 * A SIP request line ("INVITE sip:... SIP/2.0") or status line
 * ("SIP/2.0 200 OK") within the first 1024 bytes.
 */
gboolean
sdes_pcap_looks_like_sip (const guint8 *p, gsize n)
{
  const guint8 *eol = memchr (p, '\n', MIN (n, 1024));
  gsize line;

  if (eol == NULL)
    return FALSE;
  line = (gsize) (eol - p);
  if (line >= 8 && memcmp (p, "SIP/2.0 ", 8) == 0)
    return TRUE;
  return line > 9 && g_strstr_len ((const gchar *) p, (gssize) line, " SIP/2.0") != NULL;
}

/**
 * sdes_pcap_looks_like_rtp:
 *
 * RTP or RTCP version 2 (RFC 3550; RFC 5761 §4 tells them apart later):
 * not STUN, DTLS or ZRTP, whose first two bits differ.
 */
gboolean
sdes_pcap_looks_like_rtp (const guint8 *p, gsize n)
{
  return n >= 12 && (p[0] & 0xc0) == 0x80;
}

/**
 * sdes_pcap_sdp_cryptos:
 *
 * The a=crypto lines ("a=crypto:..." as written, without CR) of the SDP
 * body of a SIP message: everything after the first empty line, if it
 * starts with "v=0". Offers list several lines; each is a candidate key.
 *
 * Returns: (transfer full) (nullable): the lines (key material: the array
 *   wipes them when freed), or %NULL when there is no SDP body.
 */
GPtrArray *
sdes_pcap_sdp_cryptos (const guint8 *p, gsize n)
{
  g_autofree gchar *text = g_strndup ((const gchar *) p, MIN (n, MAX_SIP_SCAN));
  const gchar *body = strstr (text, "\r\n\r\n");
  GPtrArray *lines = NULL;

  if (body != NULL && g_str_has_prefix (body + 4, "v=0")) {
    lines = g_ptr_array_new_with_free_func ((GDestroyNotify) sdes_crypto_free_secret);
    for (const gchar *l = body + 4; *l != '\0';) {
      const gchar *end = strchr (l, '\n');
      gsize len = end ? (gsize) (end - l) : strlen (l);

      if (len > 0 && l[len - 1] == '\r')
        len--;
      if (len > 9 && strncmp (l, "a=crypto:", 9) == 0)
        g_ptr_array_add (lines, g_strndup (l, len));
      if (end == NULL)
        break;
      l = end + 1;
    }
  }
  sdes_crypto_wipe (text, strlen (text));
  return lines;
}
