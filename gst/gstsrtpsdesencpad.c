/* srtpsdes — GstSrtpSdesEncPad: a request sink pad with a key of its own
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The request sink pads of srtpsdesenc carry a key of their own (property
 * "crypto"), so that one encoder protects many streams with many keys (one
 * element instead of one per key). */

#include "gstsrtpsdesencpad.h"

#include "gstsrtpsdesenc.h"
#include "gstsrtpsdeskeyring.h"

GST_DEBUG_CATEGORY_EXTERN (gst_srtp_sdes_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_debug

enum {
  PAD_PROP_0,
  PAD_PROP_CRYPTO,
};

G_DEFINE_TYPE (GstSrtpSdesEncPad, gst_srtp_sdes_enc_pad, GST_TYPE_PAD);

static void
enc_pad_set_crypto (GstSrtpSdesEncPad *pad, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key = NULL, *old;
  GstObject *parent = gst_object_get_parent (GST_OBJECT (pad));

  if (text != NULL && *text != '\0') {
    key = gst_srtp_sdes_key_new (text, &error);
    if (key == NULL) {
      /* Same refusal as the element's: the old key stays. */
      GST_WARNING_OBJECT (pad, "refusing crypto: %s", error->message);
      if (parent != NULL && GST_IS_SRTP_SDES_ENC (parent))
        gst_srtp_sdes_keyring_refuse (gst_srtp_sdes_enc_get_keyring (GST_SRTP_SDES_ENC (parent)),
            "pad crypto", error);
      gst_clear_object (&parent);
      return;
    }
    GST_INFO_OBJECT (pad, "new key %s", key->redacted);
  }

  GST_OBJECT_LOCK (pad);
  old = pad->key;
  pad->key = key;
  g_atomic_int_inc (&pad->key_gen);
  GST_OBJECT_UNLOCK (pad);
  gst_srtp_sdes_key_unref (old);
  if (parent != NULL && GST_IS_SRTP_SDES_ENC (parent)) {
    GstSrtpSdesKeyring *ring = gst_srtp_sdes_enc_get_keyring (GST_SRTP_SDES_ENC (parent));

    GST_OBJECT_LOCK (parent);
    g_clear_pointer (&ring->last_error, g_free);
    GST_OBJECT_UNLOCK (parent);
  }
  gst_clear_object (&parent);
}

static void
gst_srtp_sdes_enc_pad_set_property (GObject *object, guint prop_id,
                                    const GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
    case PAD_PROP_CRYPTO:
      enc_pad_set_crypto (GST_SRTP_SDES_ENC_PAD (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_srtp_sdes_enc_pad_get_property (GObject *object, guint prop_id,
                                    GValue *value, GParamSpec *pspec)
{
  GstSrtpSdesEncPad *pad = GST_SRTP_SDES_ENC_PAD (object);

  switch (prop_id) {
    case PAD_PROP_CRYPTO:
      GST_OBJECT_LOCK (pad);
      /* An explicit read gives the key back, as the element's does. */
      g_value_take_string (value, pad->key ? gst_srtp_sdes_key_format (pad->key) : NULL);
      GST_OBJECT_UNLOCK (pad);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_srtp_sdes_enc_pad_finalize (GObject *object)
{
  GstSrtpSdesEncPad *pad = GST_SRTP_SDES_ENC_PAD (object);

  gst_srtp_sdes_key_unref (pad->key);
  G_OBJECT_CLASS (gst_srtp_sdes_enc_pad_parent_class)->finalize (object);
}

static void
gst_srtp_sdes_enc_pad_class_init (GstSrtpSdesEncPadClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_srtp_sdes_enc_pad_set_property;
  gobject_class->get_property = gst_srtp_sdes_enc_pad_get_property;
  gobject_class->finalize = gst_srtp_sdes_enc_pad_finalize;

  /**
   * GstSrtpSdesEncPad:crypto:
   *
   * An RFC 4568 a=crypto value for this request pad alone (rtp_sink_\%u or
   * rtcp_sink_\%u): packets of this pad are protected with it instead of
   * #GstSrtpSdesEnc:crypto, so one encoder carries many streams with many
   * keys (one rtpbin session or one call leg per pad). %NULL or "" (the
   * default) falls back to the element's key. Settable while PLAYING
   * (live rekey, the ROC of every SSRC continues, RFC 4568 §7.1.4);
   * refused values keep the old key, set #GstSrtpSdesEnc:last-error and
   * post a warning message. Reading returns the full value (the key).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PAD_PROP_CRYPTO,
      g_param_spec_string ("crypto", "Crypto",
          "RFC 4568 a=crypto value for this pad only; NULL (default) uses the "
          "element's 'crypto'. Settable while PLAYING (live rekey, ROC continues); "
          "refused values keep the old key and set the element's 'last-error'",
          NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
}

static void
gst_srtp_sdes_enc_pad_init (GstSrtpSdesEncPad *pad)
{
}
