/* srtpsdes — libFuzzer target: SRTP and SRTCP packets into srtpsdesdec
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Input: one flags byte, then packets as <16-bit big-endian length><bytes>.
 *   bit 0: RTCP pads instead of RTP
 *   bit 1: the packets are plaintext, protected by srtpsdesenc first (so the
 *          decoder sees packets that authenticate and its deep paths run);
 *          their sequence numbers are made consecutive from the first one
 *   bits 2-3: suite (AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM,
 *          AES_256_CM_HMAC_SHA1_80)
 *   bit 4: the key line carries an MKI (1:4)
 * Invariants: no crash, no leak, no more packets out than in; in the
 * protect-first mode every packet the encoder protected comes out of the
 * decoder byte for byte (RFC 3711 round trip).
 */

#include <stdint.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/check/gstharness.h>

#define MAX_PACKETS 64

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const struct {
  const gchar *suite;
  guint key_len;
} suites[] = {
  { "AES_CM_128_HMAC_SHA1_80", 30 },
  { "AES_CM_128_HMAC_SHA1_32", 30 },
  { "AEAD_AES_128_GCM", 28 },
  { "AES_256_CM_HMAC_SHA1_80", 46 },
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  GstElement *e;

  g_setenv ("GST_REGISTRY_FORK", "no", TRUE);
  gst_init (NULL, NULL);
  /* Load the plugin before fuzzing starts, so its coverage counters are
   * registered from the first input on. */
  e = gst_element_factory_make ("srtpsdesdec", NULL);
  g_assert_nonnull (e);
  gst_object_unref (e);
  return 0;
}

static gchar *
key_line (guint suite, gboolean mki)
{
  guint8 key[64];
  g_autofree gchar *b64 = NULL;

  for (guint i = 0; i < suites[suite].key_len; i++)
    key[i] = (guint8) (0x5a ^ (13 * i));
  b64 = g_base64_encode (key, suites[suite].key_len);
  return g_strdup_printf ("1 %s inline:%s%s", suites[suite].suite, b64, mki ? "|1:4" : "");
}

static GstHarness *
harness (const gchar *factory, gboolean rtcp, gboolean enc, const gchar *crypto)
{
  GstHarness *h;

  if (enc)
    h = gst_harness_new_with_padnames (factory, rtcp ? "rtcp_sink_0" : "rtp_sink_0",
                                       rtcp ? "rtcp_src_0" : "rtp_src_0");
  else
    h = gst_harness_new_with_padnames (factory, rtcp ? "rtcp_sink" : "rtp_sink",
                                       rtcp ? "rtcp_src" : "rtp_src");
  g_object_set (h->element, "crypto", crypto, NULL);
  if (rtcp)
    gst_harness_set_src_caps_str (h, enc ? "application/x-rtcp" : "application/x-srtcp");
  else
    gst_harness_set_src_caps_str (h, enc
        ? "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0"
        : "application/x-srtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0");
  return h;
}

static gboolean
same_bytes (GstBuffer *a, GstBuffer *b)
{
  GstMapInfo ma, mb;
  gboolean same;

  gst_buffer_map (a, &ma, GST_MAP_READ);
  gst_buffer_map (b, &mb, GST_MAP_READ);
  same = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return same;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gboolean rtcp, protect_first, mki;
  guint suite;
  g_autofree gchar *crypto = NULL;
  GstHarness *enc = NULL, *dec;
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  guint16 seq0 = 0;
  guint pushed = 0, out = 0;
  size_t pos = 1;

  if (size < 1) {
    g_ptr_array_unref (sent);
    return 0;
  }
  rtcp = (data[0] & 1) != 0;
  protect_first = (data[0] & 2) != 0;
  suite = (data[0] >> 2) & 3;
  mki = (data[0] & 0x10) != 0;
  crypto = key_line (suite, mki);
  dec = harness ("srtpsdesdec", rtcp, FALSE, crypto);
  if (protect_first)
    enc = harness ("srtpsdesenc", rtcp, TRUE, crypto);

  while (pos + 2 <= size && pushed < MAX_PACKETS) {
    guint len = ((guint) data[pos] << 8) | data[pos + 1];
    GstBuffer *buf;

    pos += 2;
    len = MIN (len, size - pos);
    /* gst_buffer_new_memdup() refuses 0 bytes; an empty packet is an
     * empty buffer */
    buf = len > 0 ? gst_buffer_new_memdup (data + pos, len) : gst_buffer_new ();
    pos += len;

    if (protect_first) {
      GstBuffer *prot;

      if (!rtcp && len >= 4) {
        GstMapInfo m;
        guint16 seq;

        gst_buffer_map (buf, &m, GST_MAP_WRITE);
        if (pushed == 0)
          seq0 = (guint16) ((m.data[2] << 8) | m.data[3]);
        seq = (guint16) (seq0 + pushed);
        m.data[0] = (guint8) ((m.data[0] & 0x3f) | 0x80);
        m.data[2] = (guint8) (seq >> 8);
        m.data[3] = (guint8) seq;
        gst_buffer_unmap (buf, &m);
      }
      g_ptr_array_add (sent, gst_buffer_ref (buf));
      gst_harness_push (enc, buf);
      prot = gst_harness_try_pull (enc);
      if (prot == NULL) {
        g_ptr_array_remove_index (sent, sent->len - 1);   /* the encoder refused it */
        pushed++;
        continue;
      }
      buf = prot;
    }
    gst_harness_push (dec, buf);
    pushed++;
    {
      GstBuffer *o;

      while ((o = gst_harness_try_pull (dec)) != NULL) {
        out++;
        if (protect_first && !rtcp) {
          /* RFC 3711 round trip: what the encoder protected comes back. */
          g_assert_cmpuint (sent->len, >, 0);
          g_assert_true (same_bytes (o, g_ptr_array_index (sent, sent->len - 1)));
        }
        gst_buffer_unref (o);
      }
    }
    if (protect_first && !rtcp)
      g_assert_cmpuint (out, ==, sent->len);
  }
  g_assert_cmpuint (out, <=, pushed);

  if (enc)
    gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  g_ptr_array_unref (sent);
  return 0;
}
