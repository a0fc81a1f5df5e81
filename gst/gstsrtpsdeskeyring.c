/* srtpsdes — the keyring: what both elements keep about their keys
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The properties both elements have (crypto, replay-window-size,
 * last-error, stats), refusing a key, and the keys given for one SSRC
 * (add-crypto-for-ssrc, remove-ssrc). Never logs key material. */

#include "gstsrtpsdeskeyring.h"

#include "crypto-input.h"

GST_DEBUG_CATEGORY_EXTERN (gst_srtp_sdes_debug);
#define GST_CAT_DEFAULT gst_srtp_sdes_debug

/* Installs crypto, replay-window-size, last-error and stats on @klass. The
 * blurbs (gst-inspect's documentation) are said once here; @crypto_reading
 * says what reading 'crypto' gives and @stats_fields names the stats
 * fields of the element's own. */
/* Installs crypto, replay-window-size, last-error and stats on @klass. The
 * blurbs (gst-inspect's documentation) are said once here; @crypto_reading
 * says what reading 'crypto' gives and @stats_fields names the stats
 * fields of the element's own. */
void
gst_srtp_sdes_keyring_install_properties (GObjectClass *klass,
                                          const gchar *stats_name,
                                          const gchar *crypto_reading,
                                          const gchar *stats_fields)
{
  /* The param specs copy these two blurbs (no G_PARAM_STATIC_BLURB). */
  const GParamFlags flags = G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK;
  g_autofree gchar *crypto_blurb = g_strdup_printf ("RFC 4568 a=crypto value "
      "(\"1 AES_CM_128_HMAC_SHA1_80 inline:...\"), or @FILE to read it from a file (keeps "
      "the key out of ps). %s Settable while PLAYING (live rekey, the "
      "ROC continues). Unsupported values (F8, KDR>0, FEC_KEY, suites libsrtp2 lacks) are "
      "refused, the old key stays and 'last-error' says why; refused before the element "
      "starts, they make the start fail", crypto_reading);
  g_autofree gchar *stats_blurb = g_strdup_printf ("Per-SSRC counters: %s {%sinvalid-drops, "
      "streams: array of {ssrc, rtcp, packets, bytes, auth-failures, replay-drops, "
      "unknown-key-drops, limit-drops, invalid-drops, roc-guesses, roc-guess-hits, srtcp-tag32, "
      "roc, suite, tag}}; never key bytes",
      stats_name, stats_fields);

  g_object_class_install_property (klass, GST_SRTP_SDES_PROP_CRYPTO,
      g_param_spec_string ("crypto", "Crypto", crypto_blurb, NULL,
          G_PARAM_READWRITE | flags | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass, GST_SRTP_SDES_PROP_REPLAY_WINDOW_SIZE,
      g_param_spec_uint ("replay-window-size", "Replay window size",
          "Replay window size in packets when the a=crypto value has no WSH "
          "(Cisco Table 47 default 64)", 64, GST_SRTP_SDES_MAX_WINDOW,
          GST_SRTP_SDES_DEFAULT_WINDOW,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (klass, GST_SRTP_SDES_PROP_LAST_ERROR,
      g_param_spec_string ("last-error", "Last error",
          "Why the last a=crypto value (or caps key) was refused (no key material), "
          "or NULL", NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (klass, GST_SRTP_SDES_PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics", stats_blurb, GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | flags));
}

/* Installs the action signals add-crypto-for-ssrc (gboolean (guint ssrc,
 * const gchar *crypto)) and remove-ssrc (gboolean (guint ssrc)) with the
 * element's class handlers, which call gst_srtp_sdes_keyring_add_for_ssrc()
 * and gst_srtp_sdes_keyring_remove_ssrc(). */
void
gst_srtp_sdes_keyring_install_signals (GObjectClass *klass, GCallback add_crypto_for_ssrc,
                                       GCallback remove_ssrc)
{
  g_signal_new_class_handler ("add-crypto-for-ssrc", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, add_crypto_for_ssrc, NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, G_TYPE_UINT, G_TYPE_STRING);
  g_signal_new_class_handler ("remove-ssrc", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, remove_ssrc, NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 1, G_TYPE_UINT);
}

void
gst_srtp_sdes_keyring_init (GstSrtpSdesKeyring *ring, const GstSrtpSdesKeyringFuncs *funcs,
                            GstElement *element)
{
  ring->funcs = funcs;
  ring->element = element;
  ring->replay_window_size = GST_SRTP_SDES_DEFAULT_WINDOW;
  ring->ssrc_keys = g_hash_table_new_full (NULL, NULL, NULL,
      (GDestroyNotify) gst_srtp_sdes_key_unref);
}

void
gst_srtp_sdes_keyring_clear (GstSrtpSdesKeyring *ring)
{
  g_hash_table_unref (ring->ssrc_keys);
  g_free (ring->last_error);
  g_clear_error (&ring->config_error);
}

static GstStructure *
keyring_stats (GstSrtpSdesKeyring *ring)
{
  GValue streams = G_VALUE_INIT;
  GstStructure *s = gst_structure_new_empty (ring->funcs->stats_name);
  guint64 invalid;

  g_value_init (&streams, GST_TYPE_ARRAY);
  invalid = ring->funcs->append_stats (ring->element, &streams);
  if (ring->funcs->add_stats != NULL)
    ring->funcs->add_stats (ring->element, s);
  gst_structure_set (s, "invalid-drops", G_TYPE_UINT64, invalid, NULL);
  gst_structure_take_value (s, "streams", &streams);
  return s;
}

/* %NULL or "" sets no key (the encoder then makes one). A refused value
 * keeps the old key; refused before the element streams, it also keeps the
 * element from starting (gst_srtp_sdes_keyring_may_start()). */
/* "@FILE": the a=crypto value is read from FILE (its one value; blank lines
 * and # comments are skipped), so that a gst-launch-1.0 line does not show
 * the key to every user of the machine in ps. The text is wiped when freed. */
static GPtrArray *
keyring_read_crypto_file (const gchar *text, GError **error)
{
  g_autoptr (GPtrArray) values = sdes_crypto_input_read (text, error);

  if (values == NULL)
    return NULL;
  if (values->len != 1) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s: one a=crypto value expected, found %u", text + 1, values->len);
    return NULL;
  }
  return g_steal_pointer (&values);
}

static void
keyring_set_crypto (GstSrtpSdesKeyring *ring, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) from_file = NULL;
  GstSrtpSdesKey *key = NULL;

  if (text != NULL && text[0] == '@') {
    from_file = keyring_read_crypto_file (text, &error);
    text = from_file ? g_ptr_array_index (from_file, 0) : NULL;
  }
  if (error == NULL && text != NULL && *text != '\0')
    key = gst_srtp_sdes_key_new (text, &error);
  if (error != NULL) {
    gst_srtp_sdes_keyring_refuse (ring, "crypto", error);
    GST_OBJECT_LOCK (ring->element);
    if (GST_STATE (ring->element) < GST_STATE_PAUSED) {
      g_clear_error (&ring->config_error);
      ring->config_error = g_steal_pointer (&error);
    }
    GST_OBJECT_UNLOCK (ring->element);
    return;
  }
  if (key != NULL)
    GST_INFO_OBJECT (ring->element, "new key %s", key->redacted);
  GST_OBJECT_LOCK (ring->element);
  g_clear_error (&ring->config_error);
  GST_OBJECT_UNLOCK (ring->element);
  ring->funcs->set_crypto (ring->element, key);
}

/* FALSE, after posting an error message with the refusal's GError (its
 * text names the problem, never the key), when @transition starts the
 * element (NULL to READY, READY to PAUSED) while the 'crypto' value it was
 * given before was refused. No lock held. */
gboolean
gst_srtp_sdes_keyring_may_start (GstSrtpSdesKeyring *ring, GstStateChange transition)
{
  GError *error = NULL;

  if (transition != GST_STATE_CHANGE_NULL_TO_READY &&
      transition != GST_STATE_CHANGE_READY_TO_PAUSED)
    return TRUE;
  GST_OBJECT_LOCK (ring->element);
  if (ring->config_error != NULL)
    error = g_error_copy (ring->config_error);
  GST_OBJECT_UNLOCK (ring->element);
  if (error == NULL)
    return TRUE;
  /* GST_ELEMENT_ERROR, but with the refusal's own domain and code. */
  gst_element_message_full (ring->element, GST_MESSAGE_ERROR, error->domain, error->code,
      g_strdup (error->message),
      g_strdup ("the 'crypto' value was refused; the element does not start with "
          "another key than the one it was given"), __FILE__, GST_FUNCTION, __LINE__);
  g_error_free (error);
  return FALSE;
}

void
gst_srtp_sdes_keyring_set_property (GstSrtpSdesKeyring *ring, guint prop_id,
                                    const GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
    case GST_SRTP_SDES_PROP_CRYPTO:
      keyring_set_crypto (ring, g_value_get_string (value));
      break;
    case GST_SRTP_SDES_PROP_REPLAY_WINDOW_SIZE:
      GST_OBJECT_LOCK (ring->element);
      ring->replay_window_size = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (ring->element);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (ring->element, prop_id, pspec);
      break;
  }
}

void
gst_srtp_sdes_keyring_get_property (GstSrtpSdesKeyring *ring, guint prop_id,
                                    GValue *value, GParamSpec *pspec)
{
  switch (prop_id) {
    case GST_SRTP_SDES_PROP_CRYPTO:
      g_value_take_string (value, ring->funcs->dup_crypto (ring->element));
      break;
    case GST_SRTP_SDES_PROP_REPLAY_WINDOW_SIZE:
      GST_OBJECT_LOCK (ring->element);
      g_value_set_uint (value, ring->replay_window_size);
      GST_OBJECT_UNLOCK (ring->element);
      break;
    case GST_SRTP_SDES_PROP_LAST_ERROR:
      GST_OBJECT_LOCK (ring->element);
      g_value_set_string (value, ring->last_error);
      GST_OBJECT_UNLOCK (ring->element);
      break;
    case GST_SRTP_SDES_PROP_STATS:
      g_value_take_boxed (value, keyring_stats (ring));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (ring->element, prop_id, pspec);
      break;
  }
}

/* Records a refused key in last-error and posts a warning whose GError is
 * @error: the message text never holds key bytes (the crypto library and
 * the glue guarantee it). Must be called with no lock held. */
void
gst_srtp_sdes_keyring_refuse (GstSrtpSdesKeyring *ring, const gchar *what,
                              const GError *error)
{
  GstElement *element = ring->element;

  GST_WARNING_OBJECT (element, "refusing %s: %s", what, error->message);
  GST_OBJECT_LOCK (element);
  g_free (ring->last_error);
  ring->last_error = g_strdup (error->message);
  GST_OBJECT_UNLOCK (element);
  gst_element_message_full (element, GST_MESSAGE_WARNING, error->domain, error->code,
      g_strdup (error->message),
      g_strdup_printf ("%s refused; the previous key stays in force", what),
      __FILE__, GST_FUNCTION, __LINE__);
}

/* An a=crypto value as a key, or %NULL after refusing it (%NULL @text
 * too). No lock held. */
GstSrtpSdesKey *
gst_srtp_sdes_keyring_parse (GstSrtpSdesKeyring *ring, const gchar *what, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  GstSrtpSdesKey *key = NULL;

  if (text == NULL)
    g_set_error_literal (&error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_SYNTAX,
        "no a=crypto value");
  else
    key = gst_srtp_sdes_key_new (text, &error);
  if (key == NULL)
    gst_srtp_sdes_keyring_refuse (ring, what, error);
  return key;
}

/* add-crypto-for-ssrc of both elements. Calling it again with the same key
 * keeps the SSRC's session (and ROC) as it is. No lock held. */
gboolean
gst_srtp_sdes_keyring_add_for_ssrc (GstSrtpSdesKeyring *ring, guint32 ssrc,
                                    const gchar *text)
{
  GstSrtpSdesKey *key = gst_srtp_sdes_keyring_parse (ring, "add-crypto-for-ssrc", text);
  GstSrtpSdesKey *old;

  if (key == NULL)
    return FALSE;
  GST_INFO_OBJECT (ring->element, "key %s for SSRC %08x", key->redacted, ssrc);
  GST_OBJECT_LOCK (ring->element);
  old = g_hash_table_lookup (ring->ssrc_keys, GUINT_TO_POINTER (ssrc));
  if (old != NULL && gst_srtp_sdes_key_same (old, key)) {
    gst_srtp_sdes_key_unref (key);
  } else {
    g_hash_table_replace (ring->ssrc_keys, GUINT_TO_POINTER (ssrc), key);
    g_atomic_int_inc (&ring->pin_gen);
  }
  g_clear_pointer (&ring->last_error, g_free);
  GST_OBJECT_UNLOCK (ring->element);
  return TRUE;
}

/* Drops the key given for @ssrc. No pin_gen change: a fresh per-SSRC state
 * looks its key up anyway, and thousands of other SSRCs need not look
 * theirs up again. No lock held. */
gboolean
gst_srtp_sdes_keyring_remove_ssrc (GstSrtpSdesKeyring *ring, guint32 ssrc)
{
  gboolean known;

  GST_OBJECT_LOCK (ring->element);
  known = g_hash_table_remove (ring->ssrc_keys, GUINT_TO_POINTER (ssrc));
  GST_OBJECT_UNLOCK (ring->element);
  return known;
}
