/* srtpsdes — tests of the srtpsdesenc / srtpsdesdec elements
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* GstHarness tests with exact assertions on bytes and counters. Known
 * answers come from libsrtp2 itself (srtp_protect in this process) and from
 * the stock gst-plugins-bad srtpenc/srtpdec. */

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <srtp2/srtp.h>

#include "sdes-crypto.h"

#define RTP_CAPS "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0"
#define SRTP_CAPS "application/x-srtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0"
#define SSRC 0x11223344u
#define PAYLOAD_LEN 160

typedef struct {
  const gchar *name;
  guint key_salt_len;
  guint srtp_tag_len;
  /* stock srtpenc/srtpdec names, NULL when stock has no such suite */
  const gchar *stock_cipher;
  const gchar *stock_auth;
  const gchar *stock_rtcp_auth;
} TestSuite;

static const TestSuite suites[] = {
  { "AES_CM_128_HMAC_SHA1_80", 30, 10, "aes-128-icm", "hmac-sha1-80", "hmac-sha1-80" },
  { "AES_CM_128_HMAC_SHA1_32", 30, 4, "aes-128-icm", "hmac-sha1-32", "hmac-sha1-80" },
  /* AES_192_*: refused, see test_srtpsdes_refuses_what_libsrtp_cannot_do. */
  { "AES_256_CM_HMAC_SHA1_80", 46, 10, "aes-256-icm", "hmac-sha1-80", "hmac-sha1-80" },
  { "AES_256_CM_HMAC_SHA1_32", 46, 4, "aes-256-icm", "hmac-sha1-32", "hmac-sha1-80" },
  { "AEAD_AES_128_GCM", 28, 16, "aes-128-gcm", "null", "null" },
  { "AEAD_AES_256_GCM", 44, 16, "aes-256-gcm", "null", "null" },
};

/* ------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* ------------------------------------------------------------------------- */

static void
fill_key (guint8 *key, guint len, guint8 seed)
{
  for (guint i = 0; i < len; i++)
    key[i] = (guint8) (seed + 7 * i);
}

static gchar *
key_b64 (guint len, guint8 seed)
{
  guint8 key[64];

  fill_key (key, len, seed);
  return g_base64_encode (key, len);
}

/* "1 <suite> inline:<key from seed><extra>" */
static gchar *
key_line (const gchar *suite, guint len, guint8 seed, const gchar *extra)
{
  g_autofree gchar *b64 = key_b64 (len, seed);

  return g_strdup_printf ("1 %s inline:%s%s", suite, b64, extra ? extra : "");
}

static GstBuffer *
create_rtp_buffer (guint32 ssrc, guint16 seq, guint payload_len)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (payload_len, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, (guint32) seq * 160);
  gst_rtp_buffer_set_payload_type (&rtp, 0);
  payload = gst_rtp_buffer_get_payload (&rtp);
  for (guint i = 0; i < payload_len; i++)
    payload[i] = (guint8) (seq + i);
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

/* A minimal RTCP receiver report (RFC 3550 §6.4.2, no report blocks). */
static GstBuffer *
create_rtcp_buffer (guint32 ssrc)
{
  guint8 data[8] = { 0x80, 201, 0, 1 };

  GST_WRITE_UINT32_BE (data + 4, ssrc);
  return gst_buffer_new_memdup (data, sizeof (data));
}

static void
assert_buffer_equals (GstBuffer *buf, GstBuffer *expected)
{
  GstMapInfo a, b;

  fail_unless (gst_buffer_map (buf, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (expected, &b, GST_MAP_READ));
  fail_unless_equals_uint64 (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0, "packet bytes differ");
  gst_buffer_unmap (buf, &a);
  gst_buffer_unmap (expected, &b);
}

static GstHarness *
enc_harness (const gchar *crypto)
{
  GstHarness *h = gst_harness_new_with_padnames ("srtpsdesenc", "rtp_sink_0", "rtp_src_0");

  if (crypto)
    g_object_set (h->element, "crypto", crypto, NULL);
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  return h;
}

static GstHarness *
dec_harness (const gchar *crypto)
{
  GstHarness *h = gst_harness_new_with_padnames ("srtpsdesdec", "rtp_sink", "rtp_src");

  if (crypto)
    g_object_set (h->element, "crypto", crypto, NULL);
  gst_harness_set_src_caps_str (h, SRTP_CAPS);
  return h;
}

static GstBus *
attach_bus (GstHarness *h)
{
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  return bus;
}

/* Counts (and drops) queued element messages named @name. */
static guint
count_messages (GstBus *bus, const gchar *name)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, name))
      n++;
    gst_message_unref (msg);
  }
  return n;
}

/* Counter @field of the stats entry for @ssrc (RTP or RTCP). */
static guint64
stat (GstElement *element, guint32 ssrc, gboolean rtcp, const gchar *field)
{
  GstStructure *stats = NULL;
  const GValue *streams;
  guint64 result = G_MAXUINT64;

  g_object_get (element, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  streams = gst_structure_get_value (stats, "streams");
  for (guint i = 0; i < gst_value_array_get_size (streams); i++) {
    const GstStructure *s = gst_value_get_structure (gst_value_array_get_value (streams, i));
    guint v_ssrc;
    gboolean v_rtcp;

    fail_unless (gst_structure_get_uint (s, "ssrc", &v_ssrc));
    fail_unless (gst_structure_get_boolean (s, "rtcp", &v_rtcp));
    if (v_ssrc == ssrc && v_rtcp == rtcp) {
      if (g_str_equal (field, "roc") || g_str_equal (field, "tag")) {
        guint v;

        fail_unless (gst_structure_get_uint (s, field, &v));
        result = v;
      } else {
        fail_unless (gst_structure_get_uint64 (s, field, &result));
      }
    }
  }
  gst_structure_free (stats);
  return result;
}

/* Pushes @n packets from @seq through enc -> dec and checks every payload. */
static void
roundtrip (GstHarness *enc, GstHarness *dec, guint32 ssrc, guint16 seq, guint n)
{
  for (guint i = 0; i < n; i++) {
    GstBuffer *in = create_rtp_buffer (ssrc, (guint16) (seq + i), PAYLOAD_LEN);
    GstBuffer *expected = gst_buffer_copy_deep (in);
    GstBuffer *out;

    fail_unless_equals_int (gst_harness_push (enc, in), GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (dec, gst_harness_pull (enc)), GST_FLOW_OK);
    out = gst_harness_pull (dec);
    assert_buffer_equals (out, expected);
    gst_buffer_unref (out);
    gst_buffer_unref (expected);
  }
}

/* What plain libsrtp2 srtp_protect makes of @pkt with @key (AES_CM_128_HMAC_SHA1_80). */
static GstBuffer *
libsrtp_protect (guint8 *key, GstBuffer *pkt)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  guint8 data[1500 + SRTP_MAX_TRAILER_LEN];
  gint len = (gint) gst_buffer_get_size (pkt);

  memset (&policy, 0, sizeof (policy));
  srtp_crypto_policy_set_rtp_default (&policy.rtp);
  srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = key;
  policy.window_size = 128;
  fail_unless_equals_int (srtp_create (&session, &policy), srtp_err_status_ok);
  gst_buffer_extract (pkt, 0, data, len);
  fail_unless_equals_int (srtp_protect (session, data, &len), srtp_err_status_ok);
  srtp_dealloc (session);
  return gst_buffer_new_memdup (data, len);
}

/* ------------------------------------------------------------------------- */
/* Known answers and interop                                                  */
/* ------------------------------------------------------------------------- */

GST_START_TEST (test_srtpsdesenc_matches_libsrtp_known_answer)
{
  guint8 key[30];
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 1, NULL);
  GstHarness *h = enc_harness (line);
  GstBuffer *in = create_rtp_buffer (SSRC, 1000, PAYLOAD_LEN);
  GstBuffer *expected, *out;

  fill_key (key, 30, 1);
  expected = libsrtp_protect (key, in);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (gst_buffer_get_size (out), 12 + PAYLOAD_LEN + 10);
  assert_buffer_equals (out, expected);
  gst_buffer_unref (out);
  gst_buffer_unref (expected);
  gst_harness_teardown (h);
}
GST_END_TEST;

static GstCaps *
stock_caps (const TestSuite *suite, guint8 seed, guint32 ssrc)
{
  guint8 key[64];
  GstBuffer *kb;
  GstCaps *caps = gst_caps_from_string (SRTP_CAPS);

  fill_key (key, suite->key_salt_len, seed);
  kb = gst_buffer_new_memdup (key, suite->key_salt_len);
  gst_caps_set_simple (caps, "ssrc", G_TYPE_UINT, ssrc,
      "srtp-key", GST_TYPE_BUFFER, kb,
      "srtp-cipher", G_TYPE_STRING, suite->stock_cipher,
      "srtp-auth", G_TYPE_STRING, suite->stock_auth,
      "srtcp-cipher", G_TYPE_STRING, suite->stock_cipher,
      "srtcp-auth", G_TYPE_STRING, suite->stock_rtcp_auth, NULL);
  gst_buffer_unref (kb);
  return caps;
}

static GstHarness *
stock_enc_harness (const TestSuite *suite, guint8 seed)
{
  GstElement *stock = gst_element_factory_make ("srtpenc", NULL);
  GstHarness *h;
  guint8 key[64];
  GstBuffer *kb;

  fail_unless (stock != NULL, "stock srtpenc (gst-plugins-bad) missing");
  fill_key (key, suite->key_salt_len, seed);
  kb = gst_buffer_new_memdup (key, suite->key_salt_len);
  gst_util_set_object_arg (G_OBJECT (stock), "rtp-cipher", suite->stock_cipher);
  gst_util_set_object_arg (G_OBJECT (stock), "rtcp-cipher", suite->stock_cipher);
  gst_util_set_object_arg (G_OBJECT (stock), "rtp-auth", suite->stock_auth);
  gst_util_set_object_arg (G_OBJECT (stock), "rtcp-auth", suite->stock_rtcp_auth);
  g_object_set (stock, "key", kb, NULL);
  gst_buffer_unref (kb);
  /* Stock srtpenc refuses READY without a key: configure, then harness. */
  h = gst_harness_new_with_element (stock, "rtp_sink_0", "rtp_src_0");
  gst_object_unref (stock);
  gst_harness_set_src_caps_str (h, RTP_CAPS);
  return h;
}

/* Ours -> stock srtpdec and stock srtpenc -> ours, byte-identical SRTP. */
GST_START_TEST (test_srtpsdes_interop_with_stock_srtpenc_srtpdec)
{
  for (guint s = 0; s < G_N_ELEMENTS (suites); s++) {
    const TestSuite *suite = &suites[s];
    g_autofree gchar *line = NULL;
    GstHarness *ours_enc, *ours_dec, *stock_enc, *stock_dec;

    if (suite->stock_cipher == NULL)
      continue;
    line = key_line (suite->name, suite->key_salt_len, 3, NULL);
    ours_enc = enc_harness (line);
    ours_dec = dec_harness (line);
    stock_enc = stock_enc_harness (suite, 3);
    stock_dec = gst_harness_new_with_padnames ("srtpdec", "rtp_sink", "rtp_src");
    gst_harness_set_src_caps (stock_dec, stock_caps (suite, 3, SSRC));

    for (guint i = 0; i < 5; i++) {
      GstBuffer *in = create_rtp_buffer (SSRC, (guint16) (2000 + i), PAYLOAD_LEN);
      GstBuffer *ours, *stock, *out;

      fail_unless_equals_int (gst_harness_push (ours_enc, gst_buffer_copy_deep (in)), GST_FLOW_OK);
      fail_unless_equals_int (gst_harness_push (stock_enc, gst_buffer_copy_deep (in)), GST_FLOW_OK);
      ours = gst_harness_pull (ours_enc);
      stock = gst_harness_pull (stock_enc);
      /* Same key, same packet: the same SRTP bytes. */
      assert_buffer_equals (ours, stock);
      fail_unless_equals_uint64 (gst_buffer_get_size (ours),
          12 + PAYLOAD_LEN + suite->srtp_tag_len);

      fail_unless_equals_int (gst_harness_push (stock_dec, ours), GST_FLOW_OK);
      out = gst_harness_pull (stock_dec);
      assert_buffer_equals (out, in);
      gst_buffer_unref (out);

      fail_unless_equals_int (gst_harness_push (ours_dec, stock), GST_FLOW_OK);
      out = gst_harness_pull (ours_dec);
      assert_buffer_equals (out, in);
      gst_buffer_unref (out);
      gst_buffer_unref (in);
    }
    gst_harness_teardown (ours_enc);
    gst_harness_teardown (ours_dec);
    gst_harness_teardown (stock_enc);
    gst_harness_teardown (stock_dec);
  }
}
GST_END_TEST;

GST_START_TEST (test_srtpsdes_roundtrip_every_suite)
{
  for (guint s = 0; s < G_N_ELEMENTS (suites); s++) {
    g_autofree gchar *line = key_line (suites[s].name, suites[s].key_salt_len, 5, NULL);
    GstHarness *enc = enc_harness (line);
    GstHarness *dec = dec_harness (line);
    gchar *last_error = NULL;

    g_object_get (enc->element, "last-error", &last_error, NULL);
    fail_unless (last_error == NULL, "%s refused: %s", suites[s].name, last_error);
    roundtrip (enc, dec, SSRC, 100, 20);
    fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 20);
    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
  }
}
GST_END_TEST;

GST_START_TEST (test_srtpsdes_rtcp_pads_roundtrip)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_32", 30, 9, NULL);
  GstHarness *enc = gst_harness_new_with_padnames ("srtpsdesenc", "rtcp_sink_0", "rtcp_src_0");
  GstHarness *dec = gst_harness_new_with_padnames ("srtpsdesdec", "rtcp_sink", "rtcp_src");
  GstBuffer *out, *in = create_rtcp_buffer (SSRC);

  g_object_set (enc->element, "crypto", line, NULL);
  g_object_set (dec->element, "crypto", line, NULL);
  gst_harness_set_src_caps_str (enc, "application/x-rtcp");
  gst_harness_set_src_caps_str (dec, "application/x-srtcp");
  fail_unless_equals_int (gst_harness_push (enc, gst_buffer_ref (in)), GST_FLOW_OK);
  out = gst_harness_pull (enc);
  /* RFC 3711 §3.4: E flag + 31-bit index, then the 80-bit SRTCP tag (the
   * _32 suites shorten only the SRTP tag, RFC 4568 §6.2). */
  fail_unless_equals_uint64 (gst_buffer_get_size (out), 8 + 4 + 10);
  fail_unless_equals_int (gst_harness_push (dec, out), GST_FLOW_OK);
  out = gst_harness_pull (dec);
  assert_buffer_equals (out, in);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* RFC 5761 (rtcp-mux; rtpengine#126, jambonz/sbc-inbound PR#246): RTCP on the
 * RTP port is protected as SRTCP. */
GST_START_TEST (test_srtpsdes_rtcp_mux_on_rtp_pad)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 11, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBuffer *out, *in = create_rtcp_buffer (SSRC);
  GstMapInfo map;

  fail_unless_equals_int (gst_harness_push (enc, gst_buffer_ref (in)), GST_FLOW_OK);
  out = gst_harness_pull (enc);
  fail_unless_equals_uint64 (gst_buffer_get_size (out), 8 + 4 + 10);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
  fail_unless (map.data[8] & 0x80, "SRTCP E flag not set");
  gst_buffer_unmap (out, &map);
  fail_unless_equals_int (gst_harness_push (dec, out), GST_FLOW_OK);
  out = gst_harness_pull (dec);
  assert_buffer_equals (out, in);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "packets"), 1);
  /* RTP on the same pad still works. */
  roundtrip (enc, dec, SSRC, 7, 3);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* What plain libsrtp2 makes of the SRTCP packet @pkt under
 * AES_CM_128_HMAC_SHA1_32 with the SRTCP tag 32 bits long too: the
 * unprotected packet, or NULL when it does not authenticate that way. */
static GstBuffer *
libsrtp_unprotect_rtcp_tag32 (const guint8 *key, GstBuffer *pkt)
{
  srtp_policy_t policy;
  srtp_t session = NULL;
  guint8 data[1500 + SRTP_MAX_TRAILER_LEN];
  gint len = (gint) gst_buffer_get_size (pkt);
  srtp_err_status_t err;

  memset (&policy, 0, sizeof (policy));
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtcp);
  policy.ssrc.type = ssrc_any_inbound;
  policy.key = (guint8 *) key;
  policy.window_size = 128;
  fail_unless_equals_int (srtp_create (&session, &policy), srtp_err_status_ok);
  gst_buffer_extract (pkt, 0, data, len);
  err = srtp_unprotect_rtcp (session, data, &len);
  srtp_dealloc (session);
  return err == srtp_err_status_ok ? gst_buffer_new_memdup (data, len) : NULL;
}

static GstBuffer *
protect_rtcp (GstHarness *enc, GstBuffer *in)
{
  fail_unless_equals_int (gst_harness_push (enc, gst_buffer_ref (in)), GST_FLOW_OK);
  return gst_harness_pull (enc);
}

/* Pushes @srtcp to @dec; TRUE when the decoder passed it on as @expected. */
static gboolean
decode_rtcp (GstHarness *dec, GstBuffer *srtcp, GstBuffer *expected)
{
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (dec, srtcp), GST_FLOW_OK);
  out = gst_harness_try_pull (dec);
  if (out == NULL)
    return FALSE;
  assert_buffer_equals (out, expected);
  gst_buffer_unref (out);
  return TRUE;
}

/* RFC 3711 §4.2 / RFC 4568 §6.2 give SRTCP an 80-bit tag under every
 * AES_CM suite; liblinphone 5.1 sends a 32-bit one under the _32 suites.
 * srtpsdesenc srtcp-tag-32 sends that form (plain libsrtp2 with a 32-bit
 * SRTCP policy reads it), srtpsdesdec accepts it and counts it, tries it
 * first once an SSRC uses it, and still refuses forged and replayed
 * packets. */
GST_START_TEST (test_srtpsdes_srtcp_tag32_accepted_and_counted)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_32", 30, 41, NULL);
  GstHarness *enc = gst_harness_new_with_padnames ("srtpsdesenc", "rtcp_sink_0", "rtcp_src_0");
  GstHarness *rfc = gst_harness_new_with_padnames ("srtpsdesenc", "rtcp_sink_0", "rtcp_src_0");
  GstHarness *dec = gst_harness_new_with_padnames ("srtpsdesdec", "rtcp_sink", "rtcp_src");
  GstBuffer *in = create_rtcp_buffer (SSRC), *srtcp, *clear, *replay;
  guint8 key[30];
  GstMapInfo map;

  fill_key (key, sizeof (key), 41);
  g_object_set (enc->element, "crypto", line, "srtcp-tag-32", TRUE, NULL);
  g_object_set (rfc->element, "crypto", line, NULL);
  g_object_set (dec->element, "crypto", line, NULL);
  gst_harness_set_src_caps_str (enc, "application/x-rtcp");
  gst_harness_set_src_caps_str (rfc, "application/x-rtcp");
  gst_harness_set_src_caps_str (dec, "application/x-srtcp");

  /* E flag + index, then a 4-byte tag, as plain libsrtp2 reads it. */
  srtcp = protect_rtcp (enc, in);
  fail_unless_equals_uint64 (gst_buffer_get_size (srtcp), 8 + 4 + 4);
  clear = libsrtp_unprotect_rtcp_tag32 (key, srtcp);
  fail_unless (clear != NULL, "not SRTCP with a 32-bit tag");
  assert_buffer_equals (clear, in);
  gst_buffer_unref (clear);
  fail_unless_equals_uint64 (stat (enc->element, SSRC, TRUE, "srtcp-tag32"), 1);

  /* Accepted and counted, twice. */
  replay = gst_buffer_copy_deep (srtcp);
  fail_unless (decode_rtcp (dec, srtcp, in));
  fail_unless (decode_rtcp (dec, protect_rtcp (enc, in), in));
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "packets"), 2);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "srtcp-tag32"), 2);

  /* Replayed: refused as a replay, which only the 32-bit form can say of
   * it (the 80-bit form fails its HMAC), so that form was tried first. */
  fail_if (decode_rtcp (dec, replay, in));
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "replay-drops"), 1);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "auth-failures"), 0);

  /* Forged: a flipped header bit, and a guessed tag. */
  srtcp = gst_buffer_make_writable (protect_rtcp (enc, in));
  fail_unless (gst_buffer_map (srtcp, &map, GST_MAP_WRITE));
  map.data[3] ^= 0x01; /* the length field: authenticated, not encrypted */
  gst_buffer_unmap (srtcp, &map);
  fail_if (decode_rtcp (dec, srtcp, in));
  srtcp = gst_buffer_make_writable (protect_rtcp (enc, in));
  fail_unless (gst_buffer_map (srtcp, &map, GST_MAP_WRITE));
  memset (map.data + map.size - 4, 0x5a, 4);
  gst_buffer_unmap (srtcp, &map);
  fail_if (decode_rtcp (dec, srtcp, in));
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "auth-failures"), 2);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "packets"), 2);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "srtcp-tag32"), 2);

  /* The RFC form still authenticates, and is not counted as 32-bit. */
  srtcp = protect_rtcp (rfc, in);
  fail_unless_equals_uint64 (gst_buffer_get_size (srtcp), 8 + 4 + 10);
  fail_unless (libsrtp_unprotect_rtcp_tag32 (key, srtcp) == NULL);
  fail_unless (decode_rtcp (dec, srtcp, in));
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "packets"), 3);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "srtcp-tag32"), 2);
  fail_unless_equals_uint64 (stat (rfc->element, SSRC, TRUE, "srtcp-tag32"), 0);
  /* ...and then the 32-bit form again. */
  fail_unless (decode_rtcp (dec, protect_rtcp (enc, in), in));
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "srtcp-tag32"), 3);

  gst_buffer_unref (in);
  gst_harness_teardown (enc);
  gst_harness_teardown (rfc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* srtcp-tag-32 changes only a _32 suite's SRTCP: RTCP muxed on an RTP
 * pad (RFC 5761) gets the 32-bit tag too, an _80 suite keeps 80 bits. */
GST_START_TEST (test_srtpsdesenc_srtcp_tag32_only_under_32_suites)
{
  const gchar *names[] = { "AES_CM_128_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_80" };
  const guint tag_len[] = { 4, 10 };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree gchar *line = key_line (names[i], 30, 43, NULL);
    GstHarness *enc = enc_harness (line);
    GstHarness *dec = dec_harness (line);
    GstBuffer *in = create_rtcp_buffer (SSRC), *srtcp;

    g_object_set (enc->element, "srtcp-tag-32", TRUE, NULL);
    srtcp = protect_rtcp (enc, in);
    fail_unless_equals_uint64 (gst_buffer_get_size (srtcp), 8 + 4 + tag_len[i]);
    fail_unless (decode_rtcp (dec, srtcp, in));
    fail_unless_equals_uint64 (stat (enc->element, SSRC, TRUE, "srtcp-tag32"), i == 0);
    fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "srtcp-tag32"), i == 0);
    /* SRTP keeps the suite's tag. */
    roundtrip (enc, dec, SSRC, 1, 2);
    gst_buffer_unref (in);
    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
  }
}
GST_END_TEST;

/* RFC 3711 §3.4: SRTCP carries E+index, the MKI, then the tag, which
 * stays 80 bits under a _32 suite (RFC 4568 §6.2). libsrtp2 before the
 * fix of cisco/libsrtp#733 looks for the MKI of an incoming SRTCP packet
 * one SRTP tag (32 bits) back from the end, inside the 80-bit tag, and
 * refuses the packet as "unknown MKI". Every SRTCP packet of a _32 suite
 * with an MKI must come back, on RTCP pads and muxed on an RTP pad
 * (RFC 5761), in the 80-bit and in the 32-bit tag form. */
GST_START_TEST (test_srtpsdes_srtcp_with_mki_under_32_suite)
{
  const gchar *suite_names[] = { "AES_CM_128_HMAC_SHA1_32", "AES_256_CM_HMAC_SHA1_32" };
  const guint key_lens[] = { 30, 46 };

  for (guint i = 0; i < 2 * 2 * 2; i++) {
    gboolean mux = i & 1, tag32 = (i >> 1) & 1;
    guint s = i >> 2;
    g_autofree gchar *line = key_line (suite_names[s], key_lens[s], 51, "|1:4");
    GstHarness *enc = mux ? enc_harness (line) :
        gst_harness_new_with_padnames ("srtpsdesenc", "rtcp_sink_0", "rtcp_src_0");
    GstHarness *dec = mux ? dec_harness (line) :
        gst_harness_new_with_padnames ("srtpsdesdec", "rtcp_sink", "rtcp_src");
    GstBuffer *in = create_rtcp_buffer (SSRC), *srtcp;
    guint tag_len = tag32 ? 4 : 10;
    GstMapInfo map;

    if (!mux) {
      g_object_set (enc->element, "crypto", line, NULL);
      g_object_set (dec->element, "crypto", line, NULL);
      gst_harness_set_src_caps_str (enc, "application/x-rtcp");
      gst_harness_set_src_caps_str (dec, "application/x-srtcp");
    }
    g_object_set (enc->element, "srtcp-tag-32", tag32, NULL);
    for (guint n = 0; n < 3; n++) {
      srtcp = protect_rtcp (enc, in);
      fail_unless_equals_uint64 (gst_buffer_get_size (srtcp), 8 + 4 + 4 + tag_len);
      fail_unless (gst_buffer_map (srtcp, &map, GST_MAP_READ));
      fail_unless_equals_uint64 (GST_READ_UINT32_BE (map.data + 8), 0x80000000u | (n + 1));
      fail_unless_equals_uint64 (GST_READ_UINT32_BE (map.data + 12), 1);
      gst_buffer_unmap (srtcp, &map);
      fail_unless (decode_rtcp (dec, srtcp, in), "%s, %s, %u-bit tag: SRTCP packet %u refused",
          suite_names[s], mux ? "rtcp-mux" : "RTCP pads", tag_len * 8, n);
    }
    fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "packets"), 3);
    fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "srtcp-tag32"), tag32 ? 3 : 0);
    fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "unknown-key-drops"), 0);
    fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "auth-failures"), 0);
    gst_buffer_unref (in);
    gst_harness_teardown (enc);
    gst_harness_teardown (dec);
  }
}
GST_END_TEST;

/* RFC 4568 §6.3.2: UNAUTHENTICATED_SRTP takes the tag off SRTP only;
 * SRTCP keeps its 80-bit tag after the MKI (RFC 3711 §3.4), which the
 * decoder must find although SRTP has no tag at all. */
GST_START_TEST (test_srtpsdes_srtcp_with_mki_unauthenticated_srtp)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 53,
      "|1:4 UNAUTHENTICATED_SRTP");
  GstHarness *enc = gst_harness_new_with_padnames ("srtpsdesenc", "rtcp_sink_0", "rtcp_src_0");
  GstHarness *dec = gst_harness_new_with_padnames ("srtpsdesdec", "rtcp_sink", "rtcp_src");
  GstBuffer *in = create_rtcp_buffer (SSRC), *srtcp;

  g_object_set (enc->element, "crypto", line, NULL);
  g_object_set (dec->element, "crypto", line, NULL);
  gst_harness_set_src_caps_str (enc, "application/x-rtcp");
  gst_harness_set_src_caps_str (dec, "application/x-srtcp");
  srtcp = protect_rtcp (enc, in);
  fail_unless_equals_uint64 (gst_buffer_get_size (srtcp), 8 + 4 + 4 + 10);
  fail_unless (decode_rtcp (dec, srtcp, in), "SRTCP packet refused");
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "packets"), 1);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "unknown-key-drops"), 0);
  gst_buffer_unref (in);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* RFC 7983 §7 / RFC 5389 §6: a STUN binding request on the media port
 * (liblinphone sends them as keep-alives) is dropped and counted as
 * stun-drops, not invalid-drops; 20 bytes that start like STUN but lack the
 * magic cookie stay invalid. */
GST_START_TEST (test_srtpsdesdec_stun_counted_apart_from_invalid)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 45, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstHarness *rtcp = gst_harness_new_with_padnames ("srtpsdesdec", "rtcp_sink", "rtcp_src");
  /* Binding request, no attributes: type 0x0001, length 0, cookie, id. */
  guint8 stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  guint8 junk[20];
  GstStructure *stats = NULL;
  guint64 n_stun = 0, n_invalid = 0;

  memcpy (junk, stun, sizeof (junk));
  junk[7] ^= 0x01;
  gst_harness_set_src_caps_str (rtcp, "application/x-srtcp");
  roundtrip (enc, dec, SSRC, 1, 1);
  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_new_memdup (stun, 20)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_new_memdup (stun, 20)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (rtcp, gst_buffer_new_memdup (stun, 20)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_new_memdup (junk, 20)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_int (gst_harness_buffers_in_queue (rtcp), 0);

  g_object_get (dec->element, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "stun-drops", &n_stun));
  fail_unless (gst_structure_get_uint64 (stats, "invalid-drops", &n_invalid));
  gst_structure_free (stats);
  fail_unless_equals_uint64 (n_stun, 2);
  fail_unless_equals_uint64 (n_invalid, 1);
  g_object_get (rtcp->element, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "stun-drops", &n_stun));
  gst_structure_free (stats);
  fail_unless_equals_uint64 (n_stun, 1);
  /* The stream goes on. */
  roundtrip (enc, dec, SSRC, 2, 2);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 3);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
  gst_harness_teardown (rtcp);
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Refused configurations                                                     */
/* ------------------------------------------------------------------------- */

GST_START_TEST (test_srtpsdes_refuses_what_libsrtp_cannot_do)
{
  struct {
    const gchar *suite;
    guint len;
    const gchar *extra;
    const gchar *expect;
  } cases[] = {
    { "F8_128_HMAC_SHA1_80", 30, NULL, "F8_128_HMAC_SHA1_80" },
    /* libsrtp2 2.5's AES-192 key derivation is not RFC 6188's (tests/backend). */
    { "AES_192_CM_HMAC_SHA1_80", 38, NULL, "RFC 6188" },
    { "AES_192_CM_HMAC_SHA1_32", 38, NULL, "AES_192_CM_HMAC_SHA1_32" },
    { "AES_CM_128_HMAC_SHA1_80", 30, " KDR=1", "KDR" },
    { "AES_CM_128_HMAC_SHA1_80", 30, " FEC_KEY=inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", "FEC_KEY" },
  };
  g_autofree gchar *good = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 13, NULL);
  GstHarness *enc = enc_harness (good);
  GstHarness *dec = dec_harness (good);
  GstBus *enc_bus = attach_bus (enc), *dec_bus = attach_bus (dec);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *bad = key_line (cases[i].suite, cases[i].len, 14, cases[i].extra);
    g_autofree gchar *key = key_b64 (cases[i].len, 14);
    gchar *crypto = NULL, *err = NULL;
    gboolean added = TRUE;
    GstMessage *msg;
    GError *gerr = NULL;

    g_object_set (enc->element, "crypto", bad, NULL);
    g_object_get (enc->element, "crypto", &crypto, "last-error", &err, NULL);
    fail_unless_equals_string (crypto, good); /* the old key stays */
    fail_unless (err != NULL && strstr (err, cases[i].expect), "last-error: %s", err);
    fail_unless (strstr (err, key) == NULL);
    g_free (crypto);
    g_free (err);

    msg = gst_bus_pop_filtered (enc_bus, GST_MESSAGE_WARNING);
    fail_unless (msg != NULL, "no warning message for %s", bad);
    gst_message_parse_warning (msg, &gerr, NULL);
    fail_unless (strstr (gerr->message, cases[i].expect));
    fail_unless (strstr (gerr->message, key) == NULL);
    g_error_free (gerr);
    gst_message_unref (msg);

    g_signal_emit_by_name (dec->element, "add-crypto", bad, &added);
    fail_unless (!added);
    g_object_get (dec->element, "last-error", &err, NULL);
    fail_unless (err != NULL && strstr (err, cases[i].expect));
    g_free (err);
    msg = gst_bus_pop_filtered (dec_bus, GST_MESSAGE_WARNING);
    fail_unless (msg != NULL);
    gst_message_unref (msg);
  }
  /* Both still work with the old key. */
  roundtrip (enc, dec, SSRC, 1, 3);
  gst_element_set_bus (enc->element, NULL);
  gst_element_set_bus (dec->element, NULL);
  gst_object_unref (enc_bus);
  gst_object_unref (dec_bus);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Keys: MKI, session params, lifetime                                        */
/* ------------------------------------------------------------------------- */

/* RFC 3711 §3.1 MKI implemented, not accepted-and-ignored (asterisk#825). */
GST_START_TEST (test_srtpsdes_mki_two_keys_and_switch)
{
  g_autofree gchar *k1 = key_b64 (30, 20);
  g_autofree gchar *k2 = key_b64 (30, 40);
  g_autofree gchar *line = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:4;inline:%s|2^20|2:4",
      k1, k2);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);

  for (guint i = 0; i < 6; i++) {
    GstBuffer *in = create_rtp_buffer (SSRC, (guint16) (10 + i), PAYLOAD_LEN);
    GstBuffer *srtp, *out;
    GstMapInfo map;
    guint expect_mki = i < 3 ? 1 : 2;

    if (i == 3)
      g_object_set (enc->element, "mki-index", 1, NULL);
    fail_unless_equals_int (gst_harness_push (enc, gst_buffer_ref (in)), GST_FLOW_OK);
    srtp = gst_harness_pull (enc);
    /* RFC 3711 §3.1: payload | MKI (4) | tag (10) */
    fail_unless (gst_buffer_map (srtp, &map, GST_MAP_READ));
    fail_unless_equals_uint64 (map.size, 12 + PAYLOAD_LEN + 4 + 10);
    fail_unless_equals_int (GST_READ_UINT32_BE (map.data + map.size - 14), expect_mki);
    gst_buffer_unmap (srtp, &map);
    fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
    out = gst_harness_pull (dec);
    assert_buffer_equals (out, in);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
  }
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* RFC 4568 §6.3.2 (rtpengine#85, #153): UNENCRYPTED_SRTP keeps the payload clear
 * but still authenticated. */
GST_START_TEST (test_srtpsdes_unencrypted_srtp_is_clear_but_authenticated)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 21, " UNENCRYPTED_SRTP");
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBuffer *in = create_rtp_buffer (SSRC, 5, PAYLOAD_LEN);
  GstBuffer *srtp, *tampered, *out;
  GstMapInfo a, b;

  fail_unless_equals_int (gst_harness_push (enc, gst_buffer_ref (in)), GST_FLOW_OK);
  srtp = gst_harness_pull (enc);
  fail_unless_equals_uint64 (gst_buffer_get_size (srtp), 12 + PAYLOAD_LEN + 10);
  fail_unless (gst_buffer_map (srtp, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (in, &b, GST_MAP_READ));
  fail_unless (memcmp (a.data, b.data, b.size) == 0, "payload not in clear");
  gst_buffer_unmap (in, &b);

  tampered = gst_buffer_new_memdup (a.data, a.size);
  gst_buffer_unmap (srtp, &a);
  fail_unless (gst_buffer_map (tampered, &a, GST_MAP_WRITE));
  a.data[20] ^= 1;
  gst_buffer_unmap (tampered, &a);

  fail_unless_equals_int (gst_harness_push (dec, tampered), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 1);
  out = gst_harness_pull (dec);
  assert_buffer_equals (out, in);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "unknown-key-drops"), 1);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdes_tampered_packet_dropped_and_counted)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 22, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBus *bus = attach_bus (dec);
  GstBuffer *srtp;
  GstMapInfo map;

  roundtrip (enc, dec, SSRC, 1, 2);
  fail_unless_equals_int (gst_harness_push (enc, create_rtp_buffer (SSRC, 3, PAYLOAD_LEN)),
      GST_FLOW_OK);
  srtp = gst_buffer_make_writable (gst_harness_pull (enc));
  fail_unless (gst_buffer_map (srtp, &map, GST_MAP_WRITE));
  map.data[30] ^= 0x40;
  gst_buffer_unmap (srtp, &map);
  fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "auth-failures"), 1);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 2);
  fail_unless_equals_int (count_messages (bus, "srtpsdes-auth-failure"), 1);
  /* The stream goes on. */
  roundtrip (enc, dec, SSRC, 4, 2);
  gst_element_set_bus (dec->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdes_replay_dropped_and_counted)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 23, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBuffer *srtp;

  fail_unless_equals_int (gst_harness_push (enc, create_rtp_buffer (SSRC, 1, PAYLOAD_LEN)),
      GST_FLOW_OK);
  srtp = gst_harness_pull (enc);
  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_copy_deep (srtp)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 1);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "replay-drops"), 1);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 1);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* RFC 3711 §9.2: soft-limit message before the lifetime, refusal at it. */
GST_START_TEST (test_srtpsdesenc_key_lifetime_soft_and_hard_limit)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 24, "|16");
  g_autofree gchar *fresh = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 25, NULL);
  GstHarness *enc = enc_harness (line);
  GstBus *bus = attach_bus (enc);
  GstMessage *msg;
  guint soft = 0, hard = 0;

  for (guint i = 0; i < 20; i++)
    fail_unless_equals_int (gst_harness_push (enc, create_rtp_buffer (SSRC, (guint16) i,
                PAYLOAD_LEN)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (enc), 16);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    guint64 limit;

    if (gst_structure_has_name (s, "srtpsdes-key-soft-limit"))
      soft++;
    if (gst_structure_has_name (s, "srtpsdes-key-hard-limit")) {
      hard++;
      fail_unless (gst_structure_get_uint64 (s, "limit", &limit));
      fail_unless_equals_uint64 (limit, 16);
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (soft, 1);
  fail_unless_equals_int (hard, 1);
  fail_unless_equals_uint64 (stat (enc->element, SSRC, FALSE, "limit-drops"), 4);
  /* A new key revives the stream. */
  g_object_set (enc->element, "crypto", fresh, NULL);
  fail_unless_equals_int (gst_harness_push (enc, create_rtp_buffer (SSRC, 20, PAYLOAD_LEN)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (enc), 17);
  gst_element_set_bus (enc->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (enc);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesenc_generates_key_when_none_set)
{
  GstHarness *enc = gst_harness_new_with_padnames ("srtpsdesenc", "rtp_sink_0", "rtp_src_0");
  GstHarness *dec;
  gchar *crypto = NULL;
  g_autoptr (SdesCryptoAttr) attr = NULL;
  g_autoptr (GError) error = NULL;

  gst_harness_set_src_caps_str (enc, RTP_CAPS);
  g_object_get (enc->element, "crypto", &crypto, NULL);
  fail_unless (crypto != NULL);
  attr = sdes_crypto_attr_parse (crypto, &error);
  fail_unless (attr != NULL);
  fail_unless_equals_int (attr->suite, SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80);
  fail_unless_equals_int (attr->tag, 1);
  dec = dec_harness (crypto);
  roundtrip (enc, dec, SSRC, 1, 3);
  g_free (crypto);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Decoder keys: forking, clear, rekey, caps, request-key                     */
/* ------------------------------------------------------------------------- */

/* Forked early media, one key per fork, both decrypt (pjsip#600,
 * baresip#229). */
GST_START_TEST (test_srtpsdesdec_two_keys_forking_both_decrypt)
{
  g_autofree gchar *a = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 30, NULL);
  g_autofree gchar *kb = key_b64 (46, 31);
  g_autofree gchar *b = g_strdup_printf ("2 AES_256_CM_HMAC_SHA1_32 inline:%s", kb);
  GstHarness *enc_a = enc_harness (a);
  GstHarness *enc_b = enc_harness (b);
  GstHarness *dec = dec_harness (NULL);
  gboolean ok = FALSE;

  g_signal_emit_by_name (dec->element, "add-crypto", a, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (dec->element, "add-crypto", b, &ok);
  fail_unless (ok);
  for (guint i = 0; i < 4; i++) {
    roundtrip (enc_a, dec, 0xaaaa0001, (guint16) (100 + i), 1);
    roundtrip (enc_b, dec, 0xbbbb0002, (guint16) (900 + i), 1);
  }
  fail_unless_equals_uint64 (stat (dec->element, 0xaaaa0001, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (dec->element, 0xbbbb0002, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (dec->element, 0xaaaa0001, FALSE, "tag"), 1);
  fail_unless_equals_uint64 (stat (dec->element, 0xbbbb0002, FALSE, "tag"), 2);
  gst_harness_teardown (enc_a);
  gst_harness_teardown (enc_b);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesdec_clear_crypto_drops_as_unknown_key)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 32, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);

  roundtrip (enc, dec, SSRC, 1, 2);
  g_signal_emit_by_name (dec->element, "clear-crypto");
  for (guint i = 0; i < 3; i++) {
    fail_unless_equals_int (gst_harness_push (enc, create_rtp_buffer (SSRC, (guint16) (3 + i),
                PAYLOAD_LEN)), GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_push (dec, gst_harness_pull (enc)), GST_FLOW_OK);
  }
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "unknown-key-drops"), 3);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 2);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* RFC 3711 §3.3.1 (rtpengine PR#107, pjsip PR#2846; stock srtpdec resets the
 * ROC after a rekey): a live
 * rekey after a sequence-number wrap loses and duplicates nothing. Old-key
 * packets still in flight after the decoder got the new key are accepted. */
GST_START_TEST (test_srtpsdes_live_rekey_after_seq_wrap_peers_2_1)
{
  g_autofree gchar *old_key = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 40, NULL);
  g_autofree gchar *new_key = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 41, NULL);
  GstHarness *enc = enc_harness (old_key);
  GstHarness *dec = dec_harness (old_key);
  GstBuffer *plain[80], *srtp[80];
  const guint16 first_seq = 65515; /* wraps after 21 packets */

  for (guint i = 0; i < 80; i++) {
    GstBuffer *in = create_rtp_buffer (SSRC, (guint16) (first_seq + i), PAYLOAD_LEN);

    if (i == 40) /* rekey the sender after the wrap (ROC 1) */
      g_object_set (enc->element, "crypto", new_key, NULL);
    plain[i] = gst_buffer_copy_deep (in);
    fail_unless_equals_int (gst_harness_push (enc, in), GST_FLOW_OK);
    srtp[i] = gst_harness_pull (enc);
  }
  for (guint i = 0; i < 80; i++) {
    GstBuffer *out;

    if (i == 30) /* the receiver learns the new key while old packets are in flight */
      g_object_set (dec->element, "crypto", new_key, NULL);
    fail_unless_equals_int (gst_harness_push (dec, srtp[i]), GST_FLOW_OK);
    out = gst_harness_try_pull (dec);
    fail_unless (out != NULL, "packet %u (seq %u) lost", i, (guint16) (first_seq + i));
    assert_buffer_equals (out, plain[i]);
    gst_buffer_unref (out);
    gst_buffer_unref (plain[i]);
  }
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 80);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "roc"), 1);
  fail_unless_equals_uint64 (stat (enc->element, SSRC, FALSE, "roc"), 1);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* RFC 3711 §3.3.1 (rtpengine PR#107): a rekey right at the wrap (last old-key packet seq 65535,
 * first new-key packet seq 4 with ROC 1) keeps the ROC on both sides. */
GST_START_TEST (test_srtpsdes_rekey_at_wrap_keeps_roc_peers_2_1)
{
  const TestSuite *suite = &suites[0];
  g_autofree gchar *k1 = key_line (suite->name, 30, 50, NULL);
  g_autofree gchar *k2 = key_line (suite->name, 30, 51, NULL);
  GstHarness *enc = enc_harness (k1);
  GstHarness *dec = dec_harness (k1);

  roundtrip (enc, dec, SSRC, 65526, 10);
  g_object_set (enc->element, "crypto", k2, NULL);
  g_object_set (dec->element, "crypto", k2, NULL);
  roundtrip (enc, dec, SSRC, 4, 10);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "roc"), 1);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesdec_key_from_stock_caps)
{
  const TestSuite *suite = &suites[0];
  g_autofree gchar *line = key_line (suite->name, 30, 60, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = gst_harness_new_with_padnames ("srtpsdesdec", "rtp_sink", "rtp_src");

  gst_harness_set_src_caps (dec, stock_caps (suite, 60, SSRC));
  roundtrip (enc, dec, SSRC, 1, 3);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* Stock srtpdec caps with MKIs: "mki" for srtp-key, "srtp-key2" + "mki2"
 * for a second master key; packets of either key decrypt. */
GST_START_TEST (test_srtpsdesdec_key_from_stock_caps_with_mkis)
{
  g_autofree gchar *k1 = key_b64 (30, 61);
  g_autofree gchar *k2 = key_b64 (30, 62);
  g_autofree gchar *line = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s|1:4;inline:%s|258:4",
      k1, k2);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = gst_harness_new_with_padnames ("srtpsdesdec", "rtp_sink", "rtp_src");
  GstCaps *caps = stock_caps (&suites[0], 61, SSRC);
  const guint8 mki1[4] = { 0, 0, 0, 1 }, mki2[4] = { 0, 0, 1, 2 };
  guint8 key2[30];
  GstBuffer *b;

  fill_key (key2, 30, 62);
  b = gst_buffer_new_memdup (mki1, 4);
  gst_caps_set_simple (caps, "mki", GST_TYPE_BUFFER, b, NULL);
  gst_buffer_unref (b);
  b = gst_buffer_new_memdup (mki2, 4);
  gst_caps_set_simple (caps, "mki2", GST_TYPE_BUFFER, b, NULL);
  gst_buffer_unref (b);
  b = gst_buffer_new_memdup (key2, 30);
  gst_caps_set_simple (caps, "srtp-key2", GST_TYPE_BUFFER, b, NULL);
  gst_buffer_unref (b);
  gst_harness_set_src_caps (dec, caps);

  roundtrip (enc, dec, SSRC, 1, 2);
  g_object_set (enc->element, "mki-index", 1, NULL);
  roundtrip (enc, dec, SSRC, 3, 2);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 4);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* Stock srtpdec caps field "roc": a receiver joining a stream whose
 * sender is past a sequence-number wrap (RFC 3711 §3.3.1). */
GST_START_TEST (test_srtpsdesdec_roc_from_stock_caps)
{
  guint8 key[30];
  srtp_policy_t policy;
  srtp_t session = NULL;
  guint8 data[12 + PAYLOAD_LEN + SRTP_MAX_TRAILER_LEN];
  GstBuffer *plain = create_rtp_buffer (SSRC, 5, PAYLOAD_LEN);
  gint len = (gint) gst_buffer_get_size (plain);
  GstHarness *dec;
  GstCaps *caps;
  GstBuffer *out;

  /* The sender is at ROC 3. */
  fill_key (key, 30, 63);
  memset (&policy, 0, sizeof (policy));
  srtp_crypto_policy_set_rtp_default (&policy.rtp);
  srtp_crypto_policy_set_rtcp_default (&policy.rtcp);
  policy.ssrc.type = ssrc_specific;
  policy.ssrc.value = SSRC;
  policy.key = key;
  policy.window_size = 128;
  fail_unless_equals_int (srtp_create (&session, &policy), srtp_err_status_ok);
  fail_unless_equals_int (srtp_set_stream_roc (session, SSRC, 3), srtp_err_status_ok);
  gst_buffer_extract (plain, 0, data, len);
  fail_unless_equals_int (srtp_protect (session, data, &len), srtp_err_status_ok);
  srtp_dealloc (session);

  /* Without the ROC the packet cannot authenticate... */
  dec = gst_harness_new_with_padnames ("srtpsdesdec", "rtp_sink", "rtp_src");
  gst_harness_set_src_caps (dec, stock_caps (&suites[0], 63, SSRC));
  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_new_memdup (data, len)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (dec), 0);
  gst_harness_teardown (dec);

  /* ...with "roc" in the caps it does. */
  dec = gst_harness_new_with_padnames ("srtpsdesdec", "rtp_sink", "rtp_src");
  caps = stock_caps (&suites[0], 63, SSRC);
  gst_caps_set_simple (caps, "roc", G_TYPE_UINT, 3, NULL);
  gst_harness_set_src_caps (dec, caps);
  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_new_memdup (data, len)),
      GST_FLOW_OK);
  out = gst_harness_pull (dec);
  assert_buffer_equals (out, plain);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "roc"), 3);
  gst_buffer_unref (out);
  gst_buffer_unref (plain);
  gst_harness_teardown (dec);
}
GST_END_TEST;

static GstCaps *
on_request_key (GstElement *dec, guint ssrc, gpointer user_data)
{
  guint *calls = user_data;
  GstStructure *stats = NULL;

  (*calls)++;
  /* Stock srtpdec holds its object lock here; reading a property must not
   * deadlock with ours. */
  g_object_get (dec, "stats", &stats, NULL);
  gst_structure_free (stats);
  fail_unless_equals_int (ssrc, SSRC);
  return stock_caps (&suites[0], 61, ssrc);
}

GST_START_TEST (test_srtpsdesdec_request_key_emitted_without_lock)
{
  g_autofree gchar *line = key_line (suites[0].name, 30, 61, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (NULL);
  guint calls = 0;

  g_signal_connect (dec->element, "request-key", G_CALLBACK (on_request_key), &calls);
  roundtrip (enc, dec, SSRC, 1, 3);
  fail_unless_equals_int (calls, 1);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* What the application sees                                                  */
/* ------------------------------------------------------------------------- */

GST_START_TEST (test_srtpsdesdec_stats_contents)
{
  g_autofree gchar *key = key_b64 (30, 70);
  g_autofree gchar *line = g_strdup_printf ("7 AES_CM_128_HMAC_SHA1_32 inline:%s", key);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstStructure *stats = NULL;
  g_autofree gchar *text = NULL;
  const GstStructure *s;
  const gchar *suite;

  roundtrip (enc, dec, SSRC, 65534, 4);
  g_object_get (dec->element, "stats", &stats, NULL);
  text = gst_structure_to_string (stats);
  fail_unless (strstr (text, key) == NULL, "key in stats");
  s = gst_value_get_structure (gst_value_array_get_value (
          gst_structure_get_value (stats, "streams"), 0));
  suite = gst_structure_get_string (s, "suite");
  fail_unless_equals_string (suite, "AES_CM_128_HMAC_SHA1_32");
  gst_structure_free (stats);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "bytes"), 4 * (12 + PAYLOAD_LEN));
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "roc"), 1);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "tag"), 7);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "auth-failures"), 0);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "replay-drops"), 0);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "unknown-key-drops"), 0);
  fail_unless_equals_uint64 (stat (enc->element, SSRC, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (enc->element, SSRC, FALSE, "roc"), 1);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesdec_secure_message_once)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 71, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBus *bus = attach_bus (dec);
  GstMessage *msg;
  guint n = 0, ssrc = 0;

  roundtrip (enc, dec, SSRC, 1, 5);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    if (gst_message_has_name (msg, "srtpsdes-secure")) {
      n++;
      fail_unless (gst_structure_get_uint (gst_message_get_structure (msg), "ssrc", &ssrc));
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (n, 1);
  fail_unless_equals_int (ssrc, SSRC);
  gst_element_set_bus (dec->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* Bad input never crashes: random, truncated and garbage packets are all
 * dropped and counted, the valid stream is unaffected. */
GST_START_TEST (test_srtpsdesdec_random_packets_dropped_and_counted)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 72, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GRand *rand = g_rand_new_with_seed (4568);
  guint n = g_getenv ("VALGRIND_LAUNCHER") ? 2000 : 100000;
  GstStructure *stats = NULL;
  guint64 invalid = 0, dropped = 0;
  const GValue *streams;

  roundtrip (enc, dec, SSRC, 1, 2);
  for (guint i = 0; i < n; i++) {
    guint len = g_rand_int_range (rand, 0, 300);
    guint8 data[300];

    for (guint j = 0; j < len; j++)
      data[j] = (guint8) g_rand_int (rand);
    if (len >= 12 && (i & 1)) {
      data[0] = 0x80; /* half of them look like RTP: they reach libsrtp2 */
      if (i & 2)
        GST_WRITE_UINT32_BE (data + 8, SSRC); /* and claim the valid SSRC */
    }
    fail_unless_equals_int (gst_harness_push (dec, len ? gst_buffer_new_memdup (data, len) :
            gst_buffer_new ()), GST_FLOW_OK);
  }
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  g_object_get (dec->element, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint64 (stats, "invalid-drops", &invalid));
  streams = gst_structure_get_value (stats, "streams");
  for (guint i = 0; i < gst_value_array_get_size (streams); i++) {
    const GstStructure *s = gst_value_get_structure (gst_value_array_get_value (streams, i));
    guint64 a = 0, u = 0, r = 0, v = 0;

    gst_structure_get (s, "auth-failures", G_TYPE_UINT64, &a, "unknown-key-drops",
        G_TYPE_UINT64, &u, "replay-drops", G_TYPE_UINT64, &r, "invalid-drops",
        G_TYPE_UINT64, &v, NULL);
    dropped += a + u + r + v;
  }
  gst_structure_free (stats);
  fail_unless_equals_uint64 (invalid + dropped, n);
  roundtrip (enc, dec, SSRC, 3, 2);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 4);
  g_rand_free (rand);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdes_buffer_list)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 73, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *plain[8];

  for (guint i = 0; i < 8; i++) {
    GstBuffer *b = create_rtp_buffer (SSRC, (guint16) (50 + i), PAYLOAD_LEN);

    plain[i] = gst_buffer_copy_deep (b);
    gst_buffer_list_add (list, b);
  }
  fail_unless_equals_int (gst_pad_push_list (enc->srcpad, list), GST_FLOW_OK);
  list = gst_buffer_list_new ();
  for (guint i = 0; i < 8; i++)
    gst_buffer_list_add (list, gst_harness_pull (enc));
  fail_unless_equals_int (gst_pad_push_list (dec->srcpad, list), GST_FLOW_OK);
  for (guint i = 0; i < 8; i++) {
    GstBuffer *out = gst_harness_pull (dec);

    assert_buffer_equals (out, plain[i]);
    gst_buffer_unref (out);
    gst_buffer_unref (plain[i]);
  }
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Hot path: in place, pool for packets without room, batches                */
/* ------------------------------------------------------------------------- */

/* @packet (consumed) in a block with exactly @room spare bytes behind it,
 * as udpsrc delivers packets in MTU-sized blocks. */
static GstBuffer *
buffer_with_room (GstBuffer *packet, gsize room)
{
  gsize size = gst_buffer_get_size (packet);
  guint8 *block = g_malloc (size + room);

  gst_buffer_extract (packet, 0, block, size);
  gst_buffer_unref (packet);
  return gst_buffer_new_wrapped_full (0, block, size + room, 0, size, block, g_free);
}

static GstBuffer *
create_rtp_buffer_with_room (guint32 ssrc, guint16 seq, guint payload_len, gsize room)
{
  return buffer_with_room (create_rtp_buffer (ssrc, seq, payload_len), room);
}

static const guint8 *
buffer_data (GstBuffer *buf)
{
  GstMapInfo map;
  const guint8 *data;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  data = map.data;
  gst_buffer_unmap (buf, &map);
  return data;
}

GST_START_TEST (test_srtpsdes_protects_and_unprotects_in_place)
{
  guint8 key[30];
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 91, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  /* Exactly the room the RTP trailer needs (10-byte tag). */
  GstBuffer *in = create_rtp_buffer_with_room (SSRC, 7000, PAYLOAD_LEN, 10);
  GstBuffer *plain = gst_buffer_copy_deep (in);
  GstBuffer *expected, *srtp, *out;
  const guint8 *data = buffer_data (in);

  fill_key (key, 30, 91);
  expected = libsrtp_protect (key, in);
  fail_unless_equals_int (gst_harness_push (enc, in), GST_FLOW_OK);
  srtp = gst_harness_pull (enc);
  /* Same block: the trailer went into the room behind the packet. */
  fail_unless (buffer_data (srtp) == data, "encoder copied a packet that had room");
  fail_unless (srtp->pool == NULL);
  assert_buffer_equals (srtp, expected);

  fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
  out = gst_harness_pull (dec);
  fail_unless (buffer_data (out) == data, "decoder copied a writable packet");
  assert_buffer_equals (out, plain);
  gst_buffer_unref (out);
  gst_buffer_unref (plain);
  gst_buffer_unref (expected);

  /* RFC 5761 RTCP on the RTP pad with the same 10 bytes of room: SRTCP
   * needs 14 (E flag + index + tag), so it moves to a pool buffer. */
  {
    GstBuffer *rr = create_rtcp_buffer (SSRC);
    GstBuffer *rr_room = buffer_with_room (gst_buffer_copy_deep (rr), 10);

    fail_unless_equals_int (gst_harness_push (enc, rr_room), GST_FLOW_OK);
    srtp = gst_harness_pull (enc);
    fail_unless (srtp->pool != NULL);
    fail_unless_equals_uint64 (gst_buffer_get_size (srtp), 8 + 4 + 10);
    fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
    out = gst_harness_pull (dec);
    assert_buffer_equals (out, rr);
    gst_buffer_unref (out);
    gst_buffer_unref (rr);
  }
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesenc_packet_without_room_uses_pool_buffer)
{
  guint8 key[30];
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 92, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);

  fill_key (key, 30, 92);
  for (guint i = 0; i < 3; i++) {
    /* Exactly sized (no room), then read-only memory (e.g. a file source). */
    GstBuffer *tight = create_rtp_buffer (SSRC, (guint16) (100 + i), PAYLOAD_LEN);
    gsize size = gst_buffer_get_size (tight);
    guint8 *bytes = g_malloc (size);
    GstBuffer *in, *expected, *srtp, *out;

    gst_buffer_extract (tight, 0, bytes, size);
    if (i == 2) {
      in = gst_buffer_new_wrapped_full (GST_MEMORY_FLAG_READONLY, bytes, size, 0, size,
          NULL, NULL);
      gst_buffer_unref (tight);
    } else {
      in = tight;
    }
    expected = libsrtp_protect (key, in);
    GST_BUFFER_PTS (in) = i * 20 * GST_MSECOND;
    fail_unless_equals_int (gst_harness_push (enc, in), GST_FLOW_OK);
    srtp = gst_harness_pull (enc);
    fail_unless (srtp->pool != NULL, "packet %u: no pool buffer", i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (srtp), i * 20 * GST_MSECOND);
    assert_buffer_equals (srtp, expected);
    fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
    out = gst_harness_pull (dec);
    fail_unless_equals_uint64 (gst_buffer_get_size (out), size);
    fail_unless (gst_buffer_memcmp (out, 0, bytes, size) == 0);
    gst_buffer_unref (out);
    gst_buffer_unref (expected);
    g_free (bytes);
  }
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesenc_oversized_packet_gets_own_buffer)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 93, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  /* Bigger than the pool's MTU-sized buffers (jumbo frames, loopback). */
  GstBuffer *in = create_rtp_buffer (SSRC, 9, 4000);
  GstBuffer *plain = gst_buffer_copy_deep (in);
  GstBuffer *srtp, *out;

  fail_unless_equals_int (gst_harness_push (enc, in), GST_FLOW_OK);
  srtp = gst_harness_pull (enc);
  fail_unless (srtp->pool == NULL);
  fail_unless_equals_uint64 (gst_buffer_get_size (srtp), 12 + 4000 + 10);
  fail_unless_equals_int (gst_harness_push (dec, srtp), GST_FLOW_OK);
  out = gst_harness_pull (dec);
  assert_buffer_equals (out, plain);
  gst_buffer_unref (out);
  gst_buffer_unref (plain);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

GST_START_TEST (test_srtpsdesdec_shared_packet_left_untouched)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 94, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBuffer *plain = create_rtp_buffer (SSRC, 300, PAYLOAD_LEN);
  GstBuffer *srtp, *srtp_copy, *out;

  fail_unless_equals_int (gst_harness_push (enc, gst_buffer_copy_deep (plain)), GST_FLOW_OK);
  srtp = gst_harness_pull (enc);
  srtp_copy = gst_buffer_copy_deep (srtp);
  /* A second reference (as after a tee): the decoder must not decrypt the
   * other holder's packet. */
  fail_unless_equals_int (gst_harness_push (dec, gst_buffer_ref (srtp)), GST_FLOW_OK);
  out = gst_harness_pull (dec);
  assert_buffer_equals (out, plain);
  assert_buffer_equals (srtp, srtp_copy);
  gst_buffer_unref (out);
  gst_buffer_unref (srtp);
  gst_buffer_unref (srtp_copy);
  gst_buffer_unref (plain);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* One list, two SSRCs alternating and RTCP muxed in: each packet finds its
 * own per-SSRC state (the one-entry cache must not mix them up). */
GST_START_TEST (test_srtpsdes_buffer_list_two_ssrcs_and_rtcp_mux)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 95, NULL);
  GstHarness *enc = enc_harness (line);
  GstHarness *dec = dec_harness (line);
  GstBufferList *list = gst_buffer_list_new ();
  GstBuffer *plain[9];

  for (guint i = 0; i < 9; i++) {
    GstBuffer *b = i == 4 ? create_rtcp_buffer (SSRC) :
        create_rtp_buffer (i % 2 ? SSRC + 1 : SSRC, (guint16) (65530 + i / 2), PAYLOAD_LEN);

    plain[i] = gst_buffer_copy_deep (b);
    gst_buffer_list_add (list, b);
  }
  fail_unless_equals_int (gst_pad_push_list (enc->srcpad, list), GST_FLOW_OK);
  list = gst_buffer_list_new ();
  for (guint i = 0; i < 9; i++)
    gst_buffer_list_add (list, gst_harness_pull (enc));
  fail_unless_equals_int (gst_pad_push_list (dec->srcpad, list), GST_FLOW_OK);
  for (guint i = 0; i < 9; i++) {
    GstBuffer *out = gst_harness_pull (dec);

    assert_buffer_equals (out, plain[i]);
    gst_buffer_unref (out);
    gst_buffer_unref (plain[i]);
  }
  fail_unless_equals_uint64 (stat (enc->element, SSRC, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (enc->element, SSRC + 1, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (enc->element, SSRC, TRUE, "packets"), 1);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (dec->element, SSRC + 1, FALSE, "packets"), 4);
  fail_unless_equals_uint64 (stat (dec->element, SSRC, TRUE, "packets"), 1);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Keys never in debug output                                                 */
/* ------------------------------------------------------------------------- */

static GMutex log_lock;
static GString *log_text;

static void
capture_log (GstDebugCategory *category, GstDebugLevel level, const gchar *file,
             const gchar *function, gint line, GObject *object,
             GstDebugMessage *message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  g_mutex_lock (&log_lock);
  g_string_append_printf (log_text, "%s %s\n", gst_debug_category_get_name (category),
      text ? text : "");
  g_mutex_unlock (&log_lock);
}

GST_START_TEST (test_srtpsdes_debug_log_never_contains_key)
{
  g_autofree gchar *key = key_b64 (30, 80);
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 80, "|2^20|1:4");
  g_autofree gchar *f8 = key_line ("F8_128_HMAC_SHA1_80", 30, 80, NULL);
  g_autofree gchar *kdr = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 80, " KDR=3");
  g_autofree gchar *short_key = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%.30s", key);
  GstHarness *enc, *dec, *dec2;
  GstBuffer *srtp;
  GstMapInfo map;
  gboolean ok;

  log_text = g_string_new (NULL);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_from_string ("*srtpsdes*:9", TRUE);
  gst_debug_add_log_function (capture_log, NULL, NULL);
  gst_debug_remove_log_function (gst_debug_log_default);

  enc = enc_harness (line);
  dec = dec_harness (line);
  g_object_set (enc->element, "crypto", f8, NULL);
  g_object_set (enc->element, "crypto", kdr, NULL);
  g_object_set (enc->element, "crypto", short_key, NULL);
  g_signal_emit_by_name (dec->element, "add-crypto", f8, &ok);
  roundtrip (enc, dec, SSRC, 1, 5);
  fail_unless_equals_int (gst_harness_push (enc, create_rtp_buffer (SSRC, 9, PAYLOAD_LEN)),
      GST_FLOW_OK);
  srtp = gst_buffer_make_writable (gst_harness_pull (enc));
  fail_unless (gst_buffer_map (srtp, &map, GST_MAP_WRITE));
  map.data[20] ^= 1;
  gst_buffer_unmap (srtp, &map);
  gst_harness_push (dec, srtp);
  dec2 = gst_harness_new_with_padnames ("srtpsdesdec", "rtp_sink", "rtp_src");
  gst_harness_set_src_caps (dec2, stock_caps (&suites[0], 80, SSRC));
  gst_harness_teardown (dec2);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);

  gst_debug_remove_log_function (capture_log);
  gst_debug_add_log_function (gst_debug_log_default, NULL, NULL);
  gst_debug_set_threshold_from_string ("*srtpsdes*:0", TRUE);

  fail_unless (strstr (log_text->str, "inline:<redacted>") != NULL,
      "debug output was not captured");
  fail_unless (strstr (log_text->str, key) == NULL, "key base64 in debug output");
  fail_unless (strstr (log_text->str, "inline:") == NULL ||
      !g_regex_match_simple ("inline:[A-Za-z0-9+/]{8}", log_text->str, 0, 0),
      "inline key text in debug output");
  g_string_free (log_text, TRUE);
  log_text = NULL;
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* rtpbin                                                                     */
/* ------------------------------------------------------------------------- */

/* rtpbin looks up rtp_sink_%u / rtp_src_%u by name: as with the stock
 * srtpenc, the handler requests the session's pads before returning. */
static GstElement *
on_request_encoder (GstElement *rtpbin, guint session, GstElement *enc)
{
  g_autofree gchar *name = g_strdup_printf ("rtp_sink_%u", session);
  GstPad *pad = gst_element_get_static_pad (enc, name);

  if (pad == NULL)
    pad = gst_element_request_pad_simple (enc, name);
  fail_unless (pad != NULL);
  gst_object_unref (pad);
  return gst_object_ref (enc);
}

static GstElement *
on_request_decoder (GstElement *rtpbin, guint session, GstElement *dec)
{
  return gst_object_ref (dec);
}

static void
on_recv_pad_added (GstElement *rtpbin, GstPad *pad, GstElement *depay)
{
  GstPad *sink;

  if (!g_str_has_prefix (GST_PAD_NAME (pad), "recv_rtp_src_"))
    return;
  sink = gst_element_get_static_pad (depay, "sink");
  fail_unless_equals_int (gst_pad_link (pad, sink), GST_PAD_LINK_OK);
  gst_object_unref (sink);
}

static void
on_handoff (GstElement *sink, GstBuffer *buf, GstPad *pad, gint *count)
{
  g_atomic_int_inc (count);
}

GST_START_TEST (test_srtpsdes_in_rtpbin_request_encoder_decoder)
{
  g_autofree gchar *line = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 90, NULL);
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("audiotestsrc", NULL);
  GstElement *enc_audio = gst_element_factory_make ("mulawenc", NULL);
  GstElement *pay = gst_element_factory_make ("rtppcmupay", NULL);
  GstElement *send_bin = gst_element_factory_make ("rtpbin", "send");
  GstElement *recv_bin = gst_element_factory_make ("rtpbin", "recv");
  GstElement *depay = gst_element_factory_make ("rtppcmudepay", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstElement *enc = gst_element_factory_make ("srtpsdesenc", NULL);
  GstElement *dec = gst_element_factory_make ("srtpsdesdec", NULL);
  GstPad *p, *q;
  GstBus *bus;
  GstMessage *msg;
  gint count = 0;

  fail_unless (src && enc_audio && pay && send_bin && recv_bin && depay && sink && enc && dec);
  g_object_set (src, "num-buffers", 50, NULL);
  /* The jitterbuffer only outputs in PLAYING: the sink must not wait for preroll. */
  g_object_set (sink, "signal-handoffs", TRUE, "sync", FALSE, "async", FALSE, NULL);
  g_object_set (recv_bin, "latency", 0, NULL);
  g_object_set (enc, "crypto", line, NULL);
  g_object_set (dec, "crypto", line, NULL);
  g_signal_connect (send_bin, "request-rtp-encoder", G_CALLBACK (on_request_encoder), enc);
  g_signal_connect (recv_bin, "request-rtp-decoder", G_CALLBACK (on_request_decoder), dec);
  g_signal_connect (recv_bin, "pad-added", G_CALLBACK (on_recv_pad_added), depay);
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), &count);

  gst_bin_add_many (GST_BIN (pipeline), src, enc_audio, pay, send_bin, recv_bin, depay,
      sink, NULL);
  fail_unless (gst_element_link_many (src, enc_audio, pay, NULL));
  fail_unless (gst_element_link (depay, sink));
  p = gst_element_get_static_pad (pay, "src");
  q = gst_element_request_pad_simple (send_bin, "send_rtp_sink_0");
  fail_unless_equals_int (gst_pad_link (p, q), GST_PAD_LINK_OK);
  gst_object_unref (p);
  gst_object_unref (q);
  p = gst_element_get_static_pad (send_bin, "send_rtp_src_0");
  q = gst_element_request_pad_simple (recv_bin, "recv_rtp_sink_0");
  fail_unless (p != NULL && q != NULL);
  fail_unless_equals_int (gst_pad_link (p, q), GST_PAD_LINK_OK);
  gst_object_unref (p);
  gst_object_unref (q);

  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "rtpbin pipeline did not finish in 20 s");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_int (g_atomic_int_get (&count), 50);
  {
    GstStructure *stats = NULL;
    const GstStructure *s;
    guint64 packets = 0;

    g_object_get (dec, "stats", &stats, NULL);
    s = gst_value_get_structure (gst_value_array_get_value (
            gst_structure_get_value (stats, "streams"), 0));
    fail_unless (gst_structure_get_uint64 (s, "packets", &packets));
    fail_unless_equals_uint64 (packets, 50);
    gst_structure_free (stats);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  gst_object_unref (enc);
  gst_object_unref (dec);
}
GST_END_TEST;

/* ------------------------------------------------------------------------- */
/* Many streams in few elements                                               */
/* ------------------------------------------------------------------------- */

/* Protects packet @seq of @ssrc with @h and returns the SRTP packet. */
static GstBuffer *
protect_one (GstHarness *h, guint32 ssrc, guint16 seq)
{
  fail_unless_equals_int (gst_harness_push (h, create_rtp_buffer (ssrc, seq, PAYLOAD_LEN)),
      GST_FLOW_OK);
  return gst_harness_pull (h);
}

/* Per-pad keys: one encoder with three request pads (two with a key of
 * their own, one without) protects byte for byte what three single-key
 * encoders do; a pad without a key uses the element's 'crypto'. */
GST_START_TEST (test_srtpsdesenc_per_pad_keys_match_single_key_encoders)
{
  g_autofree gchar *a = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 90, NULL);
  g_autofree gchar *b = key_line ("AES_256_CM_HMAC_SHA1_32", 46, 91, NULL);
  g_autofree gchar *c = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 92, NULL);
  g_autofree gchar *f8 = key_line ("F8_128_HMAC_SHA1_80", 30, 93, NULL);
  GstHarness *ref_a = enc_harness (a);
  GstHarness *ref_b = enc_harness (b);
  GstHarness *ref_c = enc_harness (c);
  GstHarness *h0 = enc_harness (c);
  GstHarness *h1 = gst_harness_new_with_element (h0->element, "rtp_sink_1", "rtp_src_1");
  GstHarness *h2 = gst_harness_new_with_element (h0->element, "rtp_sink_2", "rtp_src_2");
  GstPad *pad0 = gst_element_get_static_pad (h0->element, "rtp_sink_0");
  GstPad *pad1 = gst_element_get_static_pad (h0->element, "rtp_sink_1");
  GstPad *pad2 = gst_element_get_static_pad (h0->element, "rtp_sink_2");
  g_autofree gchar *read_a = NULL;
  g_autofree gchar *read_2 = NULL;
  g_autofree gchar *err = NULL;

  gst_harness_set_src_caps_str (h1, RTP_CAPS);
  gst_harness_set_src_caps_str (h2, RTP_CAPS);
  fail_unless (G_TYPE_CHECK_INSTANCE_TYPE (pad0, g_type_from_name ("GstSrtpSdesEncPad")));
  g_object_set (pad0, "crypto", a, NULL);
  g_object_set (pad1, "crypto", b, NULL);
  g_object_get (pad0, "crypto", &read_a, NULL);
  g_object_get (pad2, "crypto", &read_2, NULL);
  fail_unless_equals_string (read_a, a);
  fail_unless (read_2 == NULL);

  for (guint i = 0; i < 5; i++) {
    guint16 seq = (guint16) (65533 + i); /* across a wrap */
    GstBuffer *got, *want;

    got = protect_one (h0, 0xa0000001, seq);
    want = protect_one (ref_a, 0xa0000001, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
    got = protect_one (h1, 0xb0000002, seq);
    want = protect_one (ref_b, 0xb0000002, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
    got = protect_one (h2, 0xc0000003, seq);
    want = protect_one (ref_c, 0xc0000003, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
  }

  /* A refused pad value keeps the pad's key and says why on the element. */
  g_object_set (pad0, "crypto", f8, NULL);
  g_object_get (h0->element, "last-error", &err, NULL);
  fail_unless (err != NULL && strstr (err, "F8_128_HMAC_SHA1_80"), "last-error: %s", err);
  g_clear_pointer (&read_a, g_free);
  g_object_get (pad0, "crypto", &read_a, NULL);
  fail_unless_equals_string (read_a, a);

  /* Element-level crypto still rekeys pads without a key of their own and
   * leaves pad keys alone; clearing a pad's key falls back to it. The ROC
   * continues (RFC 4568 §7.1.4), as in the reference encoders. */
  g_object_set (h0->element, "crypto", b, NULL);
  g_object_set (ref_c->element, "crypto", b, NULL);
  g_object_set (pad0, "crypto", NULL, NULL);
  g_object_set (ref_a->element, "crypto", b, NULL);
  for (guint i = 5; i < 7; i++) {
    guint16 seq = (guint16) (65533 + i);
    GstBuffer *got, *want;

    got = protect_one (h0, 0xa0000001, seq);
    want = protect_one (ref_a, 0xa0000001, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
    got = protect_one (h2, 0xc0000003, seq);
    want = protect_one (ref_c, 0xc0000003, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
    got = protect_one (h1, 0xb0000002, seq);
    want = protect_one (ref_b, 0xb0000002, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
  }
  fail_unless_equals_uint64 (stat (h0->element, 0xa0000001, FALSE, "packets"), 7);
  fail_unless_equals_uint64 (stat (h0->element, 0xa0000001, FALSE, "roc"), 1);

  gst_object_unref (pad0);
  gst_object_unref (pad1);
  gst_object_unref (pad2);
  gst_harness_teardown (h2);
  gst_harness_teardown (h1);
  gst_harness_teardown (h0);
  gst_harness_teardown (ref_a);
  gst_harness_teardown (ref_b);
  gst_harness_teardown (ref_c);
}
GST_END_TEST;

/* Encoder add-crypto-for-ssrc: one pad carries three SSRCs, two with keys
 * of their own; a buffer list mixing them is protected byte for byte as
 * three single-key encoders do, also across a wrap and a per-SSRC rekey
 * (ROC continues, RFC 3711 §3.3.1). */
GST_START_TEST (test_srtpsdesenc_add_crypto_for_ssrc_one_pad_many_keys)
{
  g_autofree gchar *a = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 110, NULL);
  g_autofree gchar *a2 = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 111, NULL);
  g_autofree gchar *b = key_line ("AES_256_CM_HMAC_SHA1_32", 46, 112, NULL);
  g_autofree gchar *c = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 113, NULL);
  const guint32 ssrcs[3] = { 0xa0000001, 0xb0000002, 0xc0000003 };
  GstHarness *refs[3] = { enc_harness (a), enc_harness (b), enc_harness (c) };
  GstHarness *h = enc_harness (c);
  gboolean ok = FALSE;

  g_signal_emit_by_name (h->element, "add-crypto-for-ssrc", ssrcs[0], a, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (h->element, "add-crypto-for-ssrc", ssrcs[1], b, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (h->element, "add-crypto-for-ssrc", ssrcs[2], "1 bogus", &ok);
  fail_if (ok);

  for (guint round = 0; round < 3; round++) {
    GstBufferList *list = gst_buffer_list_new ();
    GstBuffer *got;

    if (round == 2) {
      /* Per-SSRC rekey of A, as an element-level rekey of its reference. */
      g_signal_emit_by_name (h->element, "add-crypto-for-ssrc", ssrcs[0], a2, &ok);
      fail_unless (ok);
      g_object_set (refs[0]->element, "crypto", a2, NULL);
    }
    for (guint i = 0; i < 3; i++) {
      for (guint k = 0; k < 3; k++)
        gst_buffer_list_add (list, create_rtp_buffer (ssrcs[k],
                (guint16) (65532 + round * 3 + i), PAYLOAD_LEN));
    }
    fail_unless_equals_int (gst_pad_push_list (h->srcpad, list), GST_FLOW_OK);
    for (guint i = 0; i < 3; i++) {
      for (guint k = 0; k < 3; k++) {
        GstBuffer *want = protect_one (refs[k], ssrcs[k], (guint16) (65532 + round * 3 + i));

        got = gst_harness_pull (h);
        fail_unless (got != NULL);
        assert_buffer_equals (got, want);
        gst_buffer_unref (got);
        gst_buffer_unref (want);
      }
    }
  }
  /* Single buffers take the same path. */
  for (guint k = 0; k < 3; k++) {
    GstBuffer *got = protect_one (h, ssrcs[k], 9);
    GstBuffer *want = protect_one (refs[k], ssrcs[k], 9);

    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
  }
  fail_unless_equals_uint64 (stat (h->element, ssrcs[0], FALSE, "roc"), 1);
  fail_unless_equals_uint64 (stat (h->element, ssrcs[0], FALSE, "packets"), 10);
  fail_unless_equals_uint64 (stat (h->element, ssrcs[1], FALSE, "tag"), 1);

  gst_harness_teardown (h);
  for (guint k = 0; k < 3; k++)
    gst_harness_teardown (refs[k]);
}
GST_END_TEST;

/* add-crypto-for-ssrc: a bound SSRC decrypts with its own key and never
 * by trying the other keys (a packet of it under a trial key is dropped
 * and counted as an auth failure); other SSRCs still bind by trial; a new
 * key for the SSRC takes over at once with the ROC continuing (RFC 3711
 * §3.3.1); clear-crypto removes the bindings. */
GST_START_TEST (test_srtpsdesdec_add_crypto_for_ssrc_binds_without_trial)
{
  g_autofree gchar *a = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 100, NULL);
  g_autofree gchar *a2 = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 101, NULL);
  g_autofree gchar *kb = key_b64 (46, 102);
  g_autofree gchar *b = g_strdup_printf ("2 AES_256_CM_HMAC_SHA1_32 inline:%s", kb);
  g_autofree gchar *c = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 103, NULL);
  GstHarness *enc_a = enc_harness (a);
  GstHarness *enc_b = enc_harness (b);
  GstHarness *enc_c = enc_harness (c);
  GstHarness *dec = dec_harness (NULL);
  GstBus *bus = attach_bus (dec);
  GstStructure *stats = NULL;
  guint n_ssrc_keys = 0, n_keys = 0;
  gboolean ok = FALSE;

  g_signal_emit_by_name (dec->element, "add-crypto-for-ssrc", 0xa0000001u, a, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (dec->element, "add-crypto-for-ssrc", 0xb0000002u, b, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (dec->element, "add-crypto", c, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (dec->element, "add-crypto-for-ssrc", 0xa0000001u, "1 bogus", &ok);
  fail_if (ok);
  g_object_get (dec->element, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "ssrc-keys", &n_ssrc_keys));
  fail_unless (gst_structure_get_uint (stats, "keys", &n_keys));
  fail_unless_equals_int (n_ssrc_keys, 2);
  fail_unless_equals_int (n_keys, 1);
  gst_structure_free (stats);

  /* Across a sequence-number wrap for SSRC A. */
  roundtrip (enc_a, dec, 0xa0000001, 65533, 5);
  roundtrip (enc_b, dec, 0xb0000002, 10, 3);
  roundtrip (enc_c, dec, 0xc0000003, 20, 3);
  fail_unless_equals_uint64 (stat (dec->element, 0xa0000001, FALSE, "tag"), 1);
  fail_unless_equals_uint64 (stat (dec->element, 0xb0000002, FALSE, "tag"), 2);
  fail_unless_equals_uint64 (stat (dec->element, 0xa0000001, FALSE, "roc"), 1);
  count_messages (bus, "srtpsdes-secure");

  /* SSRC A under trial key C: trial would accept it, the binding does not. */
  fail_unless_equals_int (gst_harness_push (dec, protect_one (enc_c, 0xa0000001, 3)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_uint64 (stat (dec->element, 0xa0000001, FALSE, "auth-failures"), 1);
  fail_unless_equals_uint64 (stat (dec->element, 0xa0000001, FALSE, "packets"), 5);
  fail_unless_equals_int (count_messages (bus, "srtpsdes-auth-failure"), 1);
  /* A key bound to SSRC A is never tried for another SSRC. */
  fail_unless_equals_int (gst_harness_push (dec, protect_one (enc_a, 0xd0000004, 1)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_uint64 (stat (dec->element, 0xd0000004, FALSE, "unknown-key-drops"), 1);

  /* Rekey of SSRC A: new key at once, the ROC continues. */
  g_object_set (enc_a->element, "crypto", a2, NULL);
  g_signal_emit_by_name (dec->element, "add-crypto-for-ssrc", 0xa0000001u, a2, &ok);
  fail_unless (ok);
  roundtrip (enc_a, dec, 0xa0000001, 4, 3);
  fail_unless_equals_uint64 (stat (dec->element, 0xa0000001, FALSE, "packets"), 8);
  fail_unless_equals_uint64 (stat (dec->element, 0xa0000001, FALSE, "roc"), 1);
  roundtrip (enc_b, dec, 0xb0000002, 13, 1);

  /* clear-crypto: the bindings go too. */
  g_signal_emit_by_name (dec->element, "clear-crypto");
  fail_unless_equals_int (gst_harness_push (dec, protect_one (enc_a, 0xa0000001, 7)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_uint64 (stat (dec->element, 0xa0000001, FALSE, "unknown-key-drops"), 1);

  gst_element_set_bus (dec->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (enc_a);
  gst_harness_teardown (enc_b);
  gst_harness_teardown (enc_c);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* remove-ssrc on the encoder: the SSRC's own key, state and stats entry go;
 * its next packet is a new SSRC under the pad's key (byte for byte what a
 * fresh encoder with that key makes), other SSRCs carry on untouched. */
GST_START_TEST (test_srtpsdesenc_remove_ssrc_falls_back_to_pad_key)
{
  g_autofree gchar *a = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 120, NULL);
  g_autofree gchar *b = key_line ("AES_256_CM_HMAC_SHA1_32", 46, 121, NULL);
  g_autofree gchar *c = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 122, NULL);
  const guint32 gone = 0xa0000001, other = 0xb0000002;
  GstHarness *ref_a = enc_harness (a);
  GstHarness *ref_b = enc_harness (b);
  GstHarness *ref_b_fresh = enc_harness (b);
  GstHarness *h = enc_harness (c);
  GstPad *pad = gst_element_get_static_pad (h->element, "rtp_sink_0");
  GstBuffer *got, *want;
  gboolean ok = FALSE;

  /* The pad's key wins over the element's. */
  g_object_set (pad, "crypto", b, NULL);
  g_signal_emit_by_name (h->element, "add-crypto-for-ssrc", gone, a, &ok);
  fail_unless (ok);
  for (guint16 seq = 1; seq <= 3; seq++) {
    got = protect_one (h, gone, seq);
    want = protect_one (ref_a, gone, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
    got = protect_one (h, other, seq);
    want = protect_one (ref_b, other, seq);
    assert_buffer_equals (got, want);
    gst_buffer_unref (got);
    gst_buffer_unref (want);
  }
  fail_unless_equals_uint64 (stat (h->element, gone, FALSE, "packets"), 3);

  g_signal_emit_by_name (h->element, "remove-ssrc", gone, &ok);
  fail_unless (ok);
  fail_unless_equals_uint64 (stat (h->element, gone, FALSE, "packets"), G_MAXUINT64);
  fail_unless_equals_uint64 (stat (h->element, other, FALSE, "packets"), 3);
  /* Nothing left to forget. */
  g_signal_emit_by_name (h->element, "remove-ssrc", gone, &ok);
  fail_if (ok);

  /* A new SSRC under the pad's key: ROC and libsrtp2 stream start afresh. */
  got = protect_one (h, gone, 4);
  want = protect_one (ref_b_fresh, gone, 4);
  assert_buffer_equals (got, want);
  gst_buffer_unref (got);
  gst_buffer_unref (want);
  got = protect_one (h, other, 4);
  want = protect_one (ref_b, other, 4);
  assert_buffer_equals (got, want);
  gst_buffer_unref (got);
  gst_buffer_unref (want);
  fail_unless_equals_uint64 (stat (h->element, gone, FALSE, "packets"), 1);
  fail_unless_equals_uint64 (stat (h->element, gone, FALSE, "tag"), 1);
  fail_unless_equals_uint64 (stat (h->element, other, FALSE, "packets"), 4);

  gst_object_unref (pad);
  gst_harness_teardown (h);
  gst_harness_teardown (ref_a);
  gst_harness_teardown (ref_b);
  gst_harness_teardown (ref_b_fresh);
}
GST_END_TEST;

/* remove-ssrc on the decoder: the binding, libsrtp2 state and stats entry
 * go; the SSRC's next packet is unknown-key (its old key is not tried any
 * more) until a key for any SSRC authenticates it, which re-announces it
 * as secure. */
GST_START_TEST (test_srtpsdesdec_remove_ssrc_forgets_binding)
{
  g_autofree gchar *a = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 125, NULL);
  g_autofree gchar *c = key_line ("AES_CM_128_HMAC_SHA1_80", 30, 126, NULL);
  const guint32 gone = 0xa0000001, other = 0xc0000003;
  GstHarness *enc_a = enc_harness (a);
  GstHarness *enc_c = enc_harness (c);
  GstHarness *dec = dec_harness (NULL);
  GstBus *bus = attach_bus (dec);
  GstStructure *stats = NULL;
  guint n_ssrc_keys = 99;
  gboolean ok = FALSE;

  g_signal_emit_by_name (dec->element, "add-crypto-for-ssrc", gone, a, &ok);
  fail_unless (ok);
  g_signal_emit_by_name (dec->element, "add-crypto", c, &ok);
  fail_unless (ok);
  roundtrip (enc_a, dec, gone, 100, 3);
  roundtrip (enc_c, dec, other, 200, 2);
  fail_unless_equals_int (count_messages (bus, "srtpsdes-secure"), 2);

  g_signal_emit_by_name (dec->element, "remove-ssrc", gone, &ok);
  fail_unless (ok);
  g_object_get (dec->element, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, "ssrc-keys", &n_ssrc_keys));
  fail_unless_equals_int (n_ssrc_keys, 0);
  gst_structure_free (stats);
  fail_unless_equals_uint64 (stat (dec->element, gone, FALSE, "packets"), G_MAXUINT64);
  fail_unless_equals_uint64 (stat (dec->element, other, FALSE, "packets"), 2);
  g_signal_emit_by_name (dec->element, "remove-ssrc", gone, &ok);
  fail_if (ok);

  /* Key A is gone with the binding: unknown, not an auth failure. */
  fail_unless_equals_int (gst_harness_push (dec, protect_one (enc_a, gone, 103)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (dec), 0);
  fail_unless_equals_uint64 (stat (dec->element, gone, FALSE, "unknown-key-drops"), 1);
  fail_unless_equals_uint64 (stat (dec->element, gone, FALSE, "auth-failures"), 0);
  fail_unless_equals_uint64 (stat (dec->element, gone, FALSE, "packets"), 0);
  fail_unless_equals_int (count_messages (bus, "srtpsdes-auth-failure"), 1);
  /* The other SSRC keeps its binding and replay state. */
  roundtrip (enc_c, dec, other, 202, 1);

  /* A trial key authenticates it as a new SSRC. */
  g_signal_emit_by_name (dec->element, "add-crypto", a, &ok);
  fail_unless (ok);
  roundtrip (enc_a, dec, gone, 104, 2);
  fail_unless_equals_uint64 (stat (dec->element, gone, FALSE, "packets"), 2);
  fail_unless_equals_uint64 (stat (dec->element, gone, FALSE, "unknown-key-drops"), 1);
  fail_unless_equals_int (count_messages (bus, "srtpsdes-secure"), 1);

  gst_element_set_bus (dec->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (enc_a);
  gst_harness_teardown (enc_c);
  gst_harness_teardown (dec);
}
GST_END_TEST;

/* What gst-inspect-1.0 prints comes from these: the encoder's request sink
 * pad templates carry GstSrtpSdesEncPad with a documented, writable,
 * PLAYING-mutable "crypto"; the decoder has the action signal
 * add-crypto-for-ssrc (guint, gchararray) -> gboolean. */
GST_START_TEST (test_srtpsdes_new_api_is_introspectable)
{
  GstElementFactory *f = gst_element_factory_find ("srtpsdesenc");
  GstElement *enc = gst_element_factory_make ("srtpsdesenc", NULL);
  GstElement *dec = gst_element_factory_make ("srtpsdesdec", NULL);
  const gchar *templates[] = { "rtp_sink_%u", "rtcp_sink_%u" };
  GSignalQuery q;

  fail_unless (f != NULL && enc != NULL && dec != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (templates); i++) {
    GstPadTemplate *t = gst_element_get_pad_template (enc, templates[i]);
    GType gtype;
    GObjectClass *klass;
    GParamSpec *spec;

    fail_unless (t != NULL);
    g_object_get (t, "gtype", &gtype, NULL);
    fail_unless_equals_string (g_type_name (gtype), "GstSrtpSdesEncPad");
    klass = g_type_class_ref (gtype);
    spec = g_object_class_find_property (klass, "crypto");
    fail_unless (spec != NULL);
    fail_unless (G_IS_PARAM_SPEC_STRING (spec));
    fail_unless ((spec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE);
    fail_unless (spec->flags & GST_PARAM_MUTABLE_PLAYING);
    fail_unless (strstr (g_param_spec_get_blurb (spec), "element's 'crypto'") != NULL);
    g_type_class_unref (klass);
  }

  for (guint i = 0; i < 2; i++) {
    g_signal_query (g_signal_lookup ("add-crypto-for-ssrc",
            G_OBJECT_TYPE (i == 0 ? enc : dec)), &q);
    fail_unless (q.signal_id != 0);
    fail_unless (q.signal_flags & G_SIGNAL_ACTION);
    fail_unless_equals_int (q.return_type, G_TYPE_BOOLEAN);
    fail_unless_equals_int (q.n_params, 2);
    fail_unless_equals_int (q.param_types[0], G_TYPE_UINT);
    fail_unless_equals_int (q.param_types[1] & ~G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_STRING);
  }
  /* remove-ssrc (guint) -> gboolean on both. */
  for (guint i = 0; i < 2; i++) {
    g_signal_query (g_signal_lookup ("remove-ssrc", G_OBJECT_TYPE (i == 0 ? enc : dec)), &q);
    fail_unless (q.signal_id != 0);
    fail_unless (q.signal_flags & G_SIGNAL_ACTION);
    fail_unless_equals_int (q.return_type, G_TYPE_BOOLEAN);
    fail_unless_equals_int (q.n_params, 1);
    fail_unless_equals_int (q.param_types[0], G_TYPE_UINT);
  }

  gst_object_unref (f);
  gst_object_unref (enc);
  gst_object_unref (dec);
}
GST_END_TEST;

/* LeakSanitizer matches the system-library frames of tests/lsan.supp (e.g.
 * _dl_init of plugins the registry scan opens) only on full stacks; the
 * fast unwinder stops inside GLib, which has no frame pointers. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

static Suite *
srtpsdes_suite (void)
{
  Suite *s = suite_create ("srtpsdes");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_srtpsdesenc_matches_libsrtp_known_answer);
  tcase_add_test (tc, test_srtpsdes_interop_with_stock_srtpenc_srtpdec);
  tcase_add_test (tc, test_srtpsdes_roundtrip_every_suite);
  tcase_add_test (tc, test_srtpsdes_rtcp_pads_roundtrip);
  tcase_add_test (tc, test_srtpsdes_rtcp_mux_on_rtp_pad);
  tcase_add_test (tc, test_srtpsdes_srtcp_tag32_accepted_and_counted);
  tcase_add_test (tc, test_srtpsdesenc_srtcp_tag32_only_under_32_suites);
  tcase_add_test (tc, test_srtpsdes_srtcp_with_mki_under_32_suite);
  tcase_add_test (tc, test_srtpsdes_srtcp_with_mki_unauthenticated_srtp);
  tcase_add_test (tc, test_srtpsdesdec_stun_counted_apart_from_invalid);
  tcase_add_test (tc, test_srtpsdes_refuses_what_libsrtp_cannot_do);
  tcase_add_test (tc, test_srtpsdes_mki_two_keys_and_switch);
  tcase_add_test (tc, test_srtpsdes_unencrypted_srtp_is_clear_but_authenticated);
  tcase_add_test (tc, test_srtpsdes_tampered_packet_dropped_and_counted);
  tcase_add_test (tc, test_srtpsdes_replay_dropped_and_counted);
  tcase_add_test (tc, test_srtpsdesenc_key_lifetime_soft_and_hard_limit);
  tcase_add_test (tc, test_srtpsdesenc_generates_key_when_none_set);
  tcase_add_test (tc, test_srtpsdesdec_two_keys_forking_both_decrypt);
  tcase_add_test (tc, test_srtpsdesdec_clear_crypto_drops_as_unknown_key);
  tcase_add_test (tc, test_srtpsdes_live_rekey_after_seq_wrap_peers_2_1);
  tcase_add_test (tc, test_srtpsdes_rekey_at_wrap_keeps_roc_peers_2_1);
  tcase_add_test (tc, test_srtpsdesdec_key_from_stock_caps);
  tcase_add_test (tc, test_srtpsdesdec_key_from_stock_caps_with_mkis);
  tcase_add_test (tc, test_srtpsdesdec_roc_from_stock_caps);
  tcase_add_test (tc, test_srtpsdesdec_request_key_emitted_without_lock);
  tcase_add_test (tc, test_srtpsdesdec_stats_contents);
  tcase_add_test (tc, test_srtpsdesdec_secure_message_once);
  tcase_add_test (tc, test_srtpsdesdec_random_packets_dropped_and_counted);
  tcase_add_test (tc, test_srtpsdes_buffer_list);
  tcase_add_test (tc, test_srtpsdes_protects_and_unprotects_in_place);
  tcase_add_test (tc, test_srtpsdesenc_packet_without_room_uses_pool_buffer);
  tcase_add_test (tc, test_srtpsdesenc_oversized_packet_gets_own_buffer);
  tcase_add_test (tc, test_srtpsdesdec_shared_packet_left_untouched);
  tcase_add_test (tc, test_srtpsdes_buffer_list_two_ssrcs_and_rtcp_mux);
  tcase_add_test (tc, test_srtpsdes_debug_log_never_contains_key);
  tcase_add_test (tc, test_srtpsdes_in_rtpbin_request_encoder_decoder);
  tcase_add_test (tc, test_srtpsdesenc_per_pad_keys_match_single_key_encoders);
  tcase_add_test (tc, test_srtpsdesdec_add_crypto_for_ssrc_binds_without_trial);
  tcase_add_test (tc, test_srtpsdesenc_add_crypto_for_ssrc_one_pad_many_keys);
  tcase_add_test (tc, test_srtpsdesenc_remove_ssrc_falls_back_to_pad_key);
  tcase_add_test (tc, test_srtpsdesdec_remove_ssrc_forgets_binding);
  tcase_add_test (tc, test_srtpsdes_new_api_is_introspectable);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;
  SRunner *sr;
  int n_failed;

  /* One process: sanitizers and valgrind see every test. */
  g_setenv ("CK_FORK", "no", TRUE);
  gst_check_init (&argc, &argv);
  /* Plugins loaded by the registry scan may have initialised libsrtp2. */
  (void) srtp_init ();
  s = srtpsdes_suite ();
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  n_failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return n_failed == 0 ? 0 : 1;
}
