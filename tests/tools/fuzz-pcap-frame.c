/* srtpsdes — libFuzzer target: sdes-pcap's frame and SIP body parsing
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: one byte choosing the link type, then a frame as a capture would
 * hold it (any length, any bytes). Checks that every offset found stays
 * inside the frame, that every a=crypto line found is a prefix-checked
 * line of the input that the crypto parser then accepts or refuses with
 * an error, never anything else, that every SIP string the summary would
 * show is valid UTF-8 without control characters, and that the rewritten
 * SDP holds no a=crypto line and no RTP/SAVP transport. Run by the fuzz build (clang, libFuzzer)
 * and replayed over the seed corpus by every build (fuzz-replay.c).
 */
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <pcap/dlt.h>

#include "pcap-frame.h"
#include "sdes-crypto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_cryptos (const guint8 *p, gsize n)
{
  g_autoptr (GPtrArray) lines = sdes_pcap_sdp_cryptos (p, n);

  for (guint i = 0; lines && i < lines->len; i++) {
    const gchar *line = g_ptr_array_index (lines, i);
    g_autoptr (GError) error = NULL;
    g_autoptr (SdesCryptoAttr) attr = NULL;

    g_assert_true (g_str_has_prefix (line, "a=crypto:"));
    g_assert_null (strchr (line, '\n'));
    attr = sdes_crypto_attr_parse (line, &error);
    g_assert_true ((attr == NULL) != (error == NULL));
  }
}

static void
check_sip_text (const gchar *text)
{
  if (text == NULL)
    return;
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const gchar *c = text; *c; c++)
    g_assert_true ((guchar) *c >= 0x20 && *c != 0x7f);
}

static void
check_sip (const guint8 *p, gsize n)
{
  SdesPcapSip sip;
  g_autoptr (GByteArray) plain = NULL;

  if (sdes_pcap_sip_parse (p, n, &sip)) {
    g_assert_true ((sip.method != NULL) == (sip.status == 0));
    check_sip_text (sip.method);
    check_sip_text (sip.uri);
    check_sip_text (sip.reason);
    check_sip_text (sip.call_id);
    check_sip_text (sip.warning);
  }
  sdes_pcap_sip_clear (&sip);
  plain = sdes_pcap_sip_strip_sdes (p, n);
  if (plain != NULL) {
    g_autoptr (GPtrArray) lines = sdes_pcap_sdp_cryptos (plain->data, plain->len);

    /* At most the Content-Length digits grow (a length that was wrong). */
    g_assert_cmpuint (plain->len, <=, n + 10);
    g_assert_nonnull (lines);
    g_assert_cmpuint (lines->len, ==, 0);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const int types[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_RAW,
    DLT_LOOP, DLT_IEEE802_11 };
  SdesPcapUdp udp;
  const guint8 *frame;
  guint len;

  if (size < 1 || size > 70000)
    return 0;
  frame = data + 1;
  len = (guint) (size - 1);
  if (sdes_pcap_find_udp (types[data[0] % G_N_ELEMENTS (types)], frame, len, &udp)) {
    const guint8 *payload = frame + udp.payload_offset;

    g_assert_cmpuint (udp.ip_offset, <, udp.payload_offset);
    g_assert_cmpuint ((guint64) udp.payload_offset + udp.payload_len, <=, len);
    g_assert_nonnull (memchr (udp.src, '\0', sizeof udp.src));
    g_assert_nonnull (memchr (udp.dst, '\0', sizeof udp.dst));
    if (sdes_pcap_looks_like_sip (payload, udp.payload_len)) {
      check_cryptos (payload, udp.payload_len);
      check_sip (payload, udp.payload_len);
    }
    sdes_pcap_looks_like_rtp (payload, udp.payload_len);
  }
  /* The SIP path on its own, so that the fuzzer reaches it without first
   * finding valid headers. */
  if (sdes_pcap_looks_like_sip (frame, len)) {
    check_cryptos (frame, len);
    check_sip (frame, len);
  }
  return 0;
}
