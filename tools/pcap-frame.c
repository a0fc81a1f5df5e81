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

static gboolean
is_base64 (gchar c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=';
}

/**
 * sdes_pcap_sip_text:
 *
 * @len bytes of SIP text made fit for a terminal line and a JSON string:
 * at most %SDES_PCAP_SIP_TEXT_MAX bytes of it, invalid UTF-8 replaced,
 * control characters as '?', and the base64 after any "inline:" (a
 * Warning may quote the a=crypto line it refuses) as "<redacted>".
 *
 * Returns: (transfer full): the text.
 */
gchar *
sdes_pcap_sip_text (const gchar *text, gsize len)
{
  gsize n = MIN (len, SDES_PCAP_SIP_TEXT_MAX);
  g_autofree gchar *valid = NULL;
  GString *s = g_string_new (NULL);
  const gchar *end;

  /* Cut where the copy would stop anyway, so a NUL cannot hide the rest
   * from the redaction below. */
  if (memchr (text, '\0', n) != NULL)
    n = strlen (text);
  valid = g_utf8_make_valid (text, (gssize) n);
  end = valid + strlen (valid);
  for (const gchar *c = valid; c < end;) {
    if (end - c >= 7 && g_ascii_strncasecmp (c, "inline:", 7) == 0) {
      g_string_append_len (s, c, 7);
      g_string_append (s, "<redacted>");
      for (c += 7; c < end && is_base64 (*c); c++)
        ;
      continue;
    }
    g_string_append_c (s, ((guchar) *c < 0x20 || *c == 0x7f) ? '?' : *c);
    c++;
  }
  sdes_crypto_wipe (valid, strlen (valid));
  return g_string_free (s, FALSE);
}

/* The header part of a SIP message: up to the empty line, or all of it. */
static gsize
sip_head_len (const gchar *t, gsize n)
{
  for (gsize i = 0; i + 3 < n; i++)
    if (memcmp (t + i, "\r\n\r\n", 4) == 0)
      return i;
  return n;
}

/* The value of the header line @line (length @len) if its name is @name
 * or @compact (RFC 3261 §7.3.3), else NULL. */
static const gchar *
header_value (const gchar *line, gsize len, const gchar *name, const gchar *compact,
    gsize *value_len)
{
  const gchar *colon = memchr (line, ':', len);
  gsize name_len;

  if (colon == NULL)
    return NULL;
  name_len = (gsize) (colon - line);
  while (name_len > 0 && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
    name_len--;
  if (!((name_len == strlen (name) && g_ascii_strncasecmp (line, name, name_len) == 0) ||
          (compact && name_len == strlen (compact) &&
              g_ascii_strncasecmp (line, compact, name_len) == 0)))
    return NULL;
  colon++;
  while (colon < line + len && (*colon == ' ' || *colon == '\t'))
    colon++;
  *value_len = (gsize) (line + len - colon);
  return colon;
}

/**
 * sdes_pcap_sip_parse:
 *
 * The start line (RFC 3261 §7.1, §7.2), Call-ID and Warning (§20.43) of a
 * SIP message, each through sdes_pcap_sip_text(). Clear @sip with
 * sdes_pcap_sip_clear().
 *
 * Returns: %TRUE for a request line with a method and a Request-URI or a
 *   status line with a three-digit code.
 */
gboolean
sdes_pcap_sip_parse (const guint8 *p, gsize n, SdesPcapSip *sip)
{
  const gchar *t = (const gchar *) p;
  gsize head = sip_head_len (t, MIN (n, MAX_SIP_SCAN));
  const gchar *eol = memchr (t, '\n', head);
  gsize first = eol ? (gsize) (eol - t) : head;
  GString *warning = NULL;

  memset (sip, 0, sizeof *sip);
  if (first > 0 && t[first - 1] == '\r')
    first--;
  if (first >= 12 && memcmp (t, "SIP/2.0 ", 8) == 0) {
    /* RFC 3261 §7.2, §21: 100 to 699. */
    if (t[8] < '1' || t[8] > '6' || !g_ascii_isdigit (t[9]) || !g_ascii_isdigit (t[10]) ||
        t[11] != ' ')
      return FALSE;
    sip->status = (guint) ((t[8] - '0') * 100 + (t[9] - '0') * 10 + (t[10] - '0'));
    sip->reason = sdes_pcap_sip_text (t + 12, first - 12);
  } else {
    const gchar *sp1 = memchr (t, ' ', first), *sp2;

    if (sp1 == NULL || sp1 == t)
      return FALSE;
    sp2 = memchr (sp1 + 1, ' ', first - (gsize) (sp1 + 1 - t));
    if (sp2 == NULL || sp2 == sp1 + 1)
      return FALSE;
    sip->method = sdes_pcap_sip_text (t, (gsize) (sp1 - t));
    sip->uri = sdes_pcap_sip_text (sp1 + 1, (gsize) (sp2 - sp1 - 1));
  }

  for (const gchar *l = eol ? eol + 1 : t + head; l < t + head;) {
    const gchar *next = memchr (l, '\n', (gsize) (t + head - l));
    gsize len = next ? (gsize) (next - l) : (gsize) (t + head - l), vlen = 0;
    const gchar *v;

    if (len > 0 && l[len - 1] == '\r')
      len--;
    if (sip->call_id == NULL && (v = header_value (l, len, "Call-ID", "i", &vlen)) != NULL) {
      sip->call_id = sdes_pcap_sip_text (v, vlen);
    } else if ((v = header_value (l, len, "Warning", NULL, &vlen)) != NULL) {
      if (warning == NULL)
        warning = g_string_new (NULL);
      else
        g_string_append (warning, ", ");
      g_string_append_len (warning, v, (gssize) vlen);
    }
    if (next == NULL)
      break;
    l = next + 1;
  }
  if (warning != NULL) {
    sip->warning = sdes_pcap_sip_text (warning->str, warning->len);
    g_string_free (warning, TRUE);
  }
  return TRUE;
}

void
sdes_pcap_sip_clear (SdesPcapSip *sip)
{
  g_clear_pointer (&sip->method, g_free);
  g_clear_pointer (&sip->uri, g_free);
  g_clear_pointer (&sip->reason, g_free);
  g_clear_pointer (&sip->call_id, g_free);
  g_clear_pointer (&sip->warning, g_free);
}

/* The transport of an m= line without the S (RFC 3711 §12, RFC 5124 §6):
 * "m=audio 4000 RTP/SAVP 0" -> "m=audio 4000 RTP/AVP 0". */
static gboolean
append_m_line (GString *out, const gchar *l, gsize len)
{
  static const struct {
    const gchar *from, *to;
  } protos[] = { { " RTP/SAVPF", " RTP/AVPF" }, { " RTP/SAVP", " RTP/AVP" } };
  const gchar *sp = memchr (l, ' ', len);

  /* The transport is the third field: after "m=<media> <port>". */
  if (sp != NULL)
    sp = memchr (sp + 1, ' ', len - (gsize) (sp + 1 - l));
  for (guint i = 0; sp != NULL && i < G_N_ELEMENTS (protos); i++) {
    gsize k = strlen (protos[i].from), rest = len - (gsize) (sp - l);

    if (rest >= k && memcmp (sp, protos[i].from, k) == 0 && (rest == k || sp[k] == ' ')) {
      g_string_append_len (out, l, sp - l);
      g_string_append (out, protos[i].to);
      g_string_append_len (out, sp + k, (gssize) (rest - k));
      return TRUE;
    }
  }
  g_string_append_len (out, l, (gssize) len);
  return FALSE;
}

/**
 * sdes_pcap_sip_strip_sdes:
 *
 * The SIP message with its SDP body (as sdes_pcap_sdp_cryptos() finds
 * it) made to describe the plaintext that sdes-pcap writes: RTP/SAVP and
 * RTP/SAVPF m= lines become RTP/AVP and RTP/AVPF, every a=crypto line is
 * dropped, and Content-Length (or "l") is lowered by the bytes removed.
 * Everything else is kept byte for byte.
 *
 * Returns: (transfer full) (nullable): the new message, or %NULL when
 *   there is nothing to change (no SDP body, no SRTP in it, a NUL byte).
 */
GByteArray *
sdes_pcap_sip_strip_sdes (const guint8 *p, gsize n)
{
  const gchar *t = (const gchar *) p;
  gsize head, body_len, removed, cl_len = 0;
  const gchar *body, *cl = NULL;
  GString *sdp;
  GByteArray *out;
  gboolean changed = FALSE;
  guint64 old_cl = 0;

  if (n > MAX_SIP_SCAN || memchr (p, '\0', n) != NULL)
    return NULL;
  head = sip_head_len (t, n);
  if (head + 4 > n || n - head - 4 < 3 || memcmp (t + head + 4, "v=0", 3) != 0)
    return NULL;
  body = t + head + 4;
  body_len = n - head - 4;

  sdp = g_string_sized_new (body_len);
  for (const gchar *l = body; l < body + body_len;) {
    const gchar *next = memchr (l, '\n', (gsize) (body + body_len - l));
    gsize len = next ? (gsize) (next + 1 - l) : (gsize) (body + body_len - l);
    gsize text = len;

    while (text > 0 && (l[text - 1] == '\n' || l[text - 1] == '\r'))
      text--;
    if (text >= 9 && memcmp (l, "a=crypto:", 9) == 0) {
      changed = TRUE;
    } else if (text >= 2 && memcmp (l, "m=", 2) == 0) {
      changed |= append_m_line (sdp, l, text);
      g_string_append_len (sdp, l + text, (gssize) (len - text));
    } else {
      g_string_append_len (sdp, l, (gssize) len);
    }
    l += len;
  }
  if (!changed) {
    sdes_crypto_wipe (sdp->str, sdp->len);
    g_string_free (sdp, TRUE);
    return NULL;
  }
  removed = body_len - sdp->len;

  for (const gchar *l = t; l < t + head;) {
    const gchar *next = memchr (l, '\n', (gsize) (t + head - l));
    gsize len = next ? (gsize) (next - l) : (gsize) (t + head - l), vlen = 0;
    const gchar *v;

    if (len > 0 && l[len - 1] == '\r')
      len--;
    if (l != t && (v = header_value (l, len, "Content-Length", "l", &vlen)) != NULL) {
      for (cl_len = 0; cl_len < vlen && g_ascii_isdigit (v[cl_len]); cl_len++)
        ;
      if (cl_len > 0 && cl_len < 10) {
        gchar num[10] = { 0 };

        memcpy (num, v, cl_len);
        if (g_ascii_string_to_unsigned (num, 10, 0, G_MAXUINT32, &old_cl, NULL))
          cl = v;
      }
      break;
    }
    if (next == NULL)
      break;
    l = next + 1;
  }

  out = g_byte_array_sized_new ((guint) n);
  if (cl != NULL) {
    /* A Content-Length that disagreed with the datagram keeps its error. */
    g_autofree gchar *digits = g_strdup_printf ("%" G_GUINT64_FORMAT,
        old_cl >= removed ? old_cl - removed : (guint64) sdp->len);

    g_byte_array_append (out, p, (guint) (cl - t));
    g_byte_array_append (out, (const guint8 *) digits, (guint) strlen (digits));
    g_byte_array_append (out, (const guint8 *) cl + cl_len, (guint) (body - cl - cl_len));
  } else {
    g_byte_array_append (out, p, (guint) (body - t));
  }
  g_byte_array_append (out, (const guint8 *) sdp->str, (guint) sdp->len);
  sdes_crypto_wipe (sdp->str, sdp->len);
  g_string_free (sdp, TRUE);
  return out;
}
