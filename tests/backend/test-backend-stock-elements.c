/* srtpsdes — stock srtpenc/srtpdec with the OpenSSL backend installed
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The replacement is process-wide (docs/backend.md), so the stock elements
 * from gst-plugins-bad, which link the same libsrtp2, run on our crypto once
 * srtpsdes_backend_install() has been called. This checks they still produce
 * and accept exactly what libsrtp2's stock crypto does: the reference is a
 * libsrtp2 session created before the installation, which keeps the stock
 * (NSS) types.
 */
#include "srtpsdes-backend.h"
#include "srtpsdes-backend-private.h"

#include <string.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>
#include <srtp2/srtp.h>

#define SSRC 0x1d2c3b4au
#define N_PACKETS 200
/* 200 packets from here cross the sequence-number wrap (ROC 0 -> 1). */
#define FIRST_SEQ 65436

static guint8 master_key[30];
/* Made before the installation, one sender per test (a sender refuses to
 * protect a sequence number twice). */
static srtp_t reference_tx_for_enc;
static srtp_t reference_tx_for_dec;
static srtp_t reference_rx;

static srtp_t
reference_session (srtp_ssrc_type_t direction)
{
  srtp_policy_t policy;
  srtp_t session = NULL;

  memset (&policy, 0, sizeof (policy));
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  policy.ssrc.type = direction;
  policy.key = master_key;
  policy.window_size = 128;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

static void
make_rtp (guint8 *packet, gsize len, guint16 seq)
{
  gsize i;

  packet[0] = 0x80;
  packet[1] = 0x00;
  packet[2] = seq >> 8;
  packet[3] = seq & 0xff;
  packet[4] = 0;
  packet[5] = 0;
  packet[6] = seq >> 8;
  packet[7] = seq & 0xff;
  packet[8] = SSRC >> 24;
  packet[9] = (SSRC >> 16) & 0xff;
  packet[10] = (SSRC >> 8) & 0xff;
  packet[11] = SSRC & 0xff;
  for (i = 12; i < len; i++)
    packet[i] = (guint8) (i + seq);
}

static gboolean
have_stock_elements (void)
{
  g_autoptr (GstElementFactory) enc = gst_element_factory_find ("srtpenc");
  g_autoptr (GstElementFactory) dec = gst_element_factory_find ("srtpdec");

  return enc != NULL && dec != NULL;
}

/* srtpenc refuses to leave NULL without a key, so set it before the harness
 * starts the element. */
static GstHarness *
srtpenc_harness_new (void)
{
  GstElement *enc = gst_element_factory_make ("srtpenc", NULL);
  GstBuffer *key = gst_buffer_new_memdup (master_key, sizeof (master_key));
  GstHarness *h;

  g_assert_nonnull (enc);
  g_object_set (enc, "key", key, NULL);
  gst_buffer_unref (key);
  h = gst_harness_new_with_element (enc, "rtp_sink_0", "rtp_src_0");
  gst_object_unref (enc);
  return h;
}

/* Stock srtpenc, now on our crypto, emits the bytes a stock-crypto libsrtp2
 * session makes, across a ROC wrap. */
static void
test_stock_srtpenc_matches_stock_crypto (void)
{
  GstHarness *h;
  guint16 seq = FIRST_SEQ;
  gint live_before;
  guint n;

  if (!have_stock_elements ()) {
    g_test_skip ("gst-plugins-bad srtpenc/srtpdec not installed");
    return;
  }

  live_before = srtpsdes_backend_count_live_contexts ();
  h = srtpenc_harness_new ();
  gst_harness_set_src_caps_str (h, "application/x-rtp, media=(string)audio, "
      "clock-rate=(int)8000, encoding-name=(string)PCMU, payload=(int)0");

  for (n = 0; n < N_PACKETS; n++, seq++) {
    guint8 plain[172], expected[172 + SRTP_MAX_TRAILER_LEN];
    int expected_len = sizeof (plain);
    GstBuffer *out;
    GstMapInfo map;

    make_rtp (plain, sizeof (plain), seq);
    memcpy (expected, plain, sizeof (plain));
    g_assert_cmpint (srtp_protect (reference_tx_for_enc, expected,
            &expected_len), ==,
        srtp_err_status_ok);

    out = gst_harness_push_and_pull (h,
        gst_buffer_new_memdup (plain, sizeof (plain)));
    g_assert_nonnull (out);
    g_assert_true (gst_buffer_map (out, &map, GST_MAP_READ));
    g_assert_cmpmem (map.data, map.size, expected, expected_len);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }
  /* srtpenc's session was created after the installation: ours. */
  g_assert_cmpint (srtpsdes_backend_count_live_contexts (), >, live_before);
  gst_harness_teardown (h);
}

/* Stock srtpdec, on our crypto, accepts what stock-crypto libsrtp2 made, and
 * drops a packet whose tag was altered. */
static void
test_stock_srtpdec_accepts_stock_crypto (void)
{
  GstHarness *h;
  GstBuffer *key;
  GstCaps *caps;
  guint16 seq = FIRST_SEQ;
  guint n;

  if (!have_stock_elements ()) {
    g_test_skip ("gst-plugins-bad srtpenc/srtpdec not installed");
    return;
  }

  h = gst_harness_new_with_padnames ("srtpdec", "rtp_sink", "rtp_src");
  key = gst_buffer_new_memdup (master_key, sizeof (master_key));
  caps = gst_caps_new_simple ("application/x-srtp",
      "payload", G_TYPE_INT, 0,
      "ssrc", G_TYPE_UINT, SSRC,
      "srtp-key", GST_TYPE_BUFFER, key,
      "srtp-cipher", G_TYPE_STRING, "aes-128-icm",
      "srtp-auth", G_TYPE_STRING, "hmac-sha1-80",
      "srtcp-cipher", G_TYPE_STRING, "aes-128-icm",
      "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", NULL);
  gst_buffer_unref (key);
  gst_harness_set_src_caps (h, caps);

  for (n = 0; n < N_PACKETS; n++, seq++) {
    guint8 plain[172], packet[172 + SRTP_MAX_TRAILER_LEN];
    int len = sizeof (plain);
    GstBuffer *out;
    GstMapInfo map;

    make_rtp (plain, sizeof (plain), seq);
    memcpy (packet, plain, sizeof (plain));
    g_assert_cmpint (srtp_protect (reference_tx_for_dec, packet, &len), ==,
        srtp_err_status_ok);

    out = gst_harness_push_and_pull (h, gst_buffer_new_memdup (packet, len));
    g_assert_nonnull (out);
    g_assert_true (gst_buffer_map (out, &map, GST_MAP_READ));
    g_assert_cmpmem (map.data, map.size, plain, sizeof (plain));
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }

  {
    guint8 plain[172], packet[172 + SRTP_MAX_TRAILER_LEN];
    int len = sizeof (plain);

    make_rtp (plain, sizeof (plain), seq);
    memcpy (packet, plain, sizeof (plain));
    g_assert_cmpint (srtp_protect (reference_tx_for_dec, packet, &len), ==,
        srtp_err_status_ok);
    packet[len - 1] ^= 0x01;
    g_assert_cmpint (gst_harness_push (h, gst_buffer_new_memdup (packet, len)),
        ==, GST_FLOW_OK);
    g_assert_cmpuint (gst_harness_buffers_in_queue (h), ==, 0);
  }
  gst_harness_teardown (h);
}

/* And the reverse: what stock srtpenc makes on our crypto, a stock-crypto
 * libsrtp2 receiver accepts. */
static void
test_stock_crypto_accepts_stock_srtpenc (void)
{
  GstHarness *h;
  guint16 seq = 1000;
  guint n;

  if (!have_stock_elements ()) {
    g_test_skip ("gst-plugins-bad srtpenc/srtpdec not installed");
    return;
  }

  h = srtpenc_harness_new ();
  gst_harness_set_src_caps_str (h, "application/x-rtp, media=(string)audio, "
      "clock-rate=(int)8000, encoding-name=(string)PCMU, payload=(int)0");

  for (n = 0; n < N_PACKETS; n++, seq++) {
    guint8 plain[172], packet[172 + SRTP_MAX_TRAILER_LEN];
    GstBuffer *out;
    int len;

    make_rtp (plain, sizeof (plain), seq);
    out = gst_harness_push_and_pull (h,
        gst_buffer_new_memdup (plain, sizeof (plain)));
    g_assert_nonnull (out);
    len = gst_buffer_get_size (out);
    g_assert_cmpint (len, ==, sizeof (plain) + 10);
    gst_buffer_extract (out, 0, packet, len);
    gst_buffer_unref (out);
    g_assert_cmpint (srtp_unprotect (reference_rx, packet, &len), ==,
        srtp_err_status_ok);
    g_assert_cmpmem (packet, len, plain, sizeof (plain));
  }
  gst_harness_teardown (h);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  GstPlugin *stock_plugin;
  int ret;
  guint i;

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < sizeof (master_key); i++)
    master_key[i] = (guint8) (0xa5 ^ (i * 13));
  /* The references come first, before gst_init(): a registry rebuild loads
   * plugins in this process, and one of them may install the backend. */
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok);
  reference_tx_for_enc = reference_session (ssrc_any_outbound);
  reference_tx_for_dec = reference_session (ssrc_any_outbound);
  reference_rx = reference_session (ssrc_any_inbound);
  g_assert_cmpint (srtpsdes_backend_count_live_contexts (), ==, 0);

  /* Only gst-plugins-bad's srtp plugin is needed: load that one file rather
   * than scanning (and, with GST_REGISTRY_FORK=no, loading into this
   * process) every plugin on the system. */
  g_setenv ("GST_REGISTRY_DISABLE", "yes", TRUE);
  gst_init (&argc, &argv);
  stock_plugin = gst_plugin_load_file (STOCK_SRTP_PLUGIN, NULL);
  g_assert_true (srtpsdes_backend_install (&error));
  g_assert_no_error (error);
  g_assert_true (srtpsdes_backend_is_active ());

  g_test_add_func ("/backend/stock-elements/srtpenc-matches-stock-crypto",
      test_stock_srtpenc_matches_stock_crypto);
  g_test_add_func ("/backend/stock-elements/srtpdec-accepts-stock-crypto",
      test_stock_srtpdec_accepts_stock_crypto);
  g_test_add_func ("/backend/stock-elements/stock-crypto-accepts-srtpenc",
      test_stock_crypto_accepts_stock_srtpenc);
  ret = g_test_run ();

  g_clear_object (&stock_plugin);
  srtp_dealloc (reference_tx_for_enc);
  srtp_dealloc (reference_tx_for_dec);
  srtp_dealloc (reference_rx);
  return ret;
}
