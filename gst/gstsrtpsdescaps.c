/* srtpsdes — caps: stock srtpenc/srtpdec caps keys and caps renaming
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Stock srtpdec takes its key from caps fields (srtp-key, srtp-cipher, ...):
 * this turns them into an a=crypto key, and renames caps between the clear
 * and the secure side without ever passing those fields on. */

#include "gstsrtpsdescaps.h"

#include <string.h>

/* Stock srtpdec caps fields -> the suite they describe. */
static gboolean
caps_to_suite (const gchar *cipher, const gchar *auth, gsize key_len,
               SdesCryptoSuite *suite, gboolean *unencrypted, gboolean *unauthenticated)
{
  gboolean aes256 = FALSE, tag32 = FALSE;

  *unencrypted = g_strcmp0 (cipher, "null") == 0;
  *unauthenticated = g_strcmp0 (auth, "null") == 0;

  if (g_strcmp0 (cipher, "aes-128-gcm") == 0) {
    *suite = SDES_CRYPTO_SUITE_AEAD_AES_128_GCM;
    *unauthenticated = FALSE;
    return TRUE;
  }
  if (g_strcmp0 (cipher, "aes-256-gcm") == 0) {
    *suite = SDES_CRYPTO_SUITE_AEAD_AES_256_GCM;
    *unauthenticated = FALSE;
    return TRUE;
  }
  if (g_strcmp0 (cipher, "aes-256-icm") == 0)
    aes256 = TRUE;
  else if (*unencrypted)
    aes256 = key_len == 46;
  else if (g_strcmp0 (cipher, "aes-128-icm") != 0)
    return FALSE;

  if (g_strcmp0 (auth, "hmac-sha1-32") == 0)
    tag32 = TRUE;
  else if (!*unauthenticated && g_strcmp0 (auth, "hmac-sha1-80") != 0)
    return FALSE;
  if (*unencrypted && *unauthenticated)
    return FALSE;

  if (aes256)
    *suite = tag32 ? SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32 :
        SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80;
  else
    *suite = tag32 ? SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32 :
        SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
  return TRUE;
}

/* The value and length of an MKI given as a buffer in caps field @field;
 * @len_first: the length every MKI must have (0: any of 1..128). */
static gboolean
caps_mki (GstBuffer *mki, const gchar *field, gsize len_first, guint64 *value, gsize *len,
          GError **error)
{
  GstMapInfo map;

  *value = 0;
  *len = gst_buffer_get_size (mki);
  if (*len == 0 || *len > 128 || (len_first > 0 && *len != len_first) ||
      !gst_buffer_map (mki, &map, GST_MAP_READ)) {
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
        "caps field %s: MKIs are 1..128 bytes, all of one length", field);
    return FALSE;
  }
  /* a=crypto writes the MKI as a decimal number: longer MKIs must be
   * zero-padded on the left (as RFC 3711 §3.1 sends them). */
  for (gsize b = 0; b < *len; b++) {
    if (b + 8 < *len && map.data[b] != 0) {
      gst_buffer_unmap (mki, &map);
      g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
          "caps field %s: an MKI value wider than 64 bits cannot be written "
          "in a=crypto", field);
      return FALSE;
    }
    *value = (*value << 8) | map.data[b];
  }
  gst_buffer_unmap (mki, &map);
  return TRUE;
}

/**
 * gst_srtp_sdes_key_new_from_caps:
 * @s: caps structure with the stock srtpdec fields srtp-key, srtp-cipher,
 *   srtp-auth, srtcp-cipher, srtcp-auth
 * @error: a #GError
 *
 * Compatibility with stock srtpdec users: the key given as a GstBuffer in
 * caps is turned into an a=crypto value and goes through the same parser
 * and checks as every other key.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL with @error set.
 */
GstSrtpSdesKey *
gst_srtp_sdes_key_new_from_caps (const GstStructure *s, GError **error)
{
  const GValue *v = gst_structure_get_value (s, "srtp-key");
  const gchar *srtp_cipher = gst_structure_get_string (s, "srtp-cipher");
  const gchar *srtp_auth = gst_structure_get_string (s, "srtp-auth");
  const gchar *srtcp_cipher = gst_structure_get_string (s, "srtcp-cipher");
  const gchar *srtcp_auth = gst_structure_get_string (s, "srtcp-auth");
  GstBuffer *buf;
  GstMapInfo map;
  SdesCryptoSuite suite, rtcp_suite;
  gboolean unenc, unauth, rtcp_unenc, rtcp_unauth;
  g_autofree gchar *b64 = NULL;
  GString *text;
  gsize mki_len_first = 0;
  GstSrtpSdesKey *key = NULL;

  if (v == NULL || !GST_VALUE_HOLDS_BUFFER (v) || srtp_cipher == NULL ||
      srtp_auth == NULL) {
    g_set_error_literal (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
        "caps need srtp-key, srtp-cipher and srtp-auth");
    return NULL;
  }
  buf = gst_value_get_buffer (v);
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_set_error_literal (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
        "cannot read srtp-key");
    return NULL;
  }
  if (!caps_to_suite (srtp_cipher, srtp_auth, map.size, &suite, &unenc, &unauth) ||
      !caps_to_suite (srtcp_cipher ? srtcp_cipher : srtp_cipher,
          srtcp_auth ? srtcp_auth : srtp_auth, map.size, &rtcp_suite,
          &rtcp_unenc, &rtcp_unauth) || rtcp_unauth) {
    gst_buffer_unmap (buf, &map);
    g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
        "no SDES suite for srtp-cipher=%s srtp-auth=%s srtcp-cipher=%s srtcp-auth=%s",
        srtp_cipher, srtp_auth, srtcp_cipher ? srtcp_cipher : "(same)",
        srtcp_auth ? srtcp_auth : "(same)");
    return NULL;
  }
  gst_buffer_unmap (buf, &map);

  /* Stock srtpdec: "mki" gives the first key an MKI, then "srtp-key2" +
   * "mki2" ... "srtp-key15" + "mki15" add keys (RFC 3711 §8.1: one MKI per
   * master key). In a=crypto they are key-params "inline:<key>|<mki>:<len>"
   * separated by ";" (RFC 4568 §9.2). */
  /* Sized once for 16 key-params (about 100 bytes each): a reallocation
   * would leave key text behind in freed memory. */
  text = g_string_sized_new (4096);
  g_string_append_printf (text, "1 %s ", sdes_crypto_suite_to_string (suite));
  for (guint i = 0; i < SDES_CRYPTO_MAX_KEYS; i++) {
    g_autofree gchar *key_field = i == 0 ? g_strdup ("srtp-key") :
        g_strdup_printf ("srtp-key%u", i + 1);
    g_autofree gchar *mki_field = i == 0 ? g_strdup ("mki") : g_strdup_printf ("mki%u", i + 1);
    const GValue *kv = gst_structure_get_value (s, key_field);
    const GValue *mv = gst_structure_get_value (s, mki_field);
    guint64 mki_value = 0;
    gsize mki_len = 0;

    if (i > 0 && (mki_len_first == 0 || kv == NULL || mv == NULL))
      break;
    if (kv == NULL || !GST_VALUE_HOLDS_BUFFER (kv) ||
        (mv != NULL && !GST_VALUE_HOLDS_BUFFER (mv)) ||
        !gst_buffer_map (gst_value_get_buffer (kv), &map, GST_MAP_READ)) {
      g_set_error (error, GST_SRTP_SDES_ERROR, GST_SRTP_SDES_ERROR_BAD_CAPS,
          "caps field %s or %s is not a buffer", key_field, mki_field);
      goto done;
    }
    b64 = g_base64_encode (map.data, map.size);
    gst_buffer_unmap (gst_value_get_buffer (kv), &map);
    if (mv != NULL) {
      if (!caps_mki (gst_value_get_buffer (mv), mki_field, i > 0 ? mki_len_first : 0,
              &mki_value, &mki_len, error))
        goto done;
      if (i == 0)
        mki_len_first = mki_len;
    }
    g_string_append_printf (text, "%sinline:%s", i > 0 ? ";" : "", b64);
    if (mki_len > 0)
      g_string_append_printf (text, "|%" G_GUINT64_FORMAT ":%" G_GSIZE_FORMAT, mki_value,
          mki_len);
    sdes_crypto_wipe (b64, strlen (b64));
    g_clear_pointer (&b64, g_free);
  }
  g_string_append_printf (text, "%s%s%s", unenc ? " UNENCRYPTED_SRTP" : "",
      rtcp_unenc ? " UNENCRYPTED_SRTCP" : "", unauth ? " UNAUTHENTICATED_SRTP" : "");
  key = gst_srtp_sdes_key_new (text->str, error);

done:
  if (b64)
    sdes_crypto_wipe (b64, strlen (b64));
  sdes_crypto_wipe (text->str, text->len);
  g_string_free (text, TRUE);
  return key;
}

static gboolean
strip_key_fields (GQuark field, GValue *value, gpointer user_data)
{
  const gchar *name = g_quark_to_string (field);

  /* Stock srtpenc/srtpdec key fields never leave the element. */
  return !(g_str_has_prefix (name, "srtp-") || g_str_has_prefix (name, "srtcp-") ||
      g_str_has_prefix (name, "mki") || g_str_equal (name, "roc"));
}

/**
 * gst_srtp_sdes_transform_caps:
 * @caps: (transfer none): caps
 * @to_secure: %TRUE for x-rtp -> x-srtp, %FALSE for x-srtp -> x-rtp
 *
 * Returns: (transfer full): @caps renamed, without srtp-* key fields.
 */
GstCaps *
gst_srtp_sdes_transform_caps (GstCaps *caps, gboolean to_secure)
{
  GstCaps *out;

  if (gst_caps_is_any (caps))
    return gst_caps_new_any ();
  out = gst_caps_copy (caps);
  for (guint i = 0; i < gst_caps_get_size (out); i++) {
    GstStructure *s = gst_caps_get_structure (out, i);
    const gchar *name = gst_structure_get_name (s);
    gboolean rtcp = g_str_has_suffix (name, "rtcp");

    if (to_secure)
      gst_structure_set_name (s, rtcp ? "application/x-srtcp" : "application/x-srtp");
    else
      gst_structure_set_name (s, rtcp ? "application/x-rtcp" : "application/x-rtp");
    gst_structure_filter_and_map_in_place (s, strip_key_fields, NULL);
  }
  return out;
}

gboolean
gst_srtp_sdes_query_caps (GstPad *pad, GstPad *otherpad, GstQuery *query,
                          gboolean to_secure)
{
  GstCaps *filter = NULL, *peer_filter = NULL, *peer, *result, *templ;

  gst_query_parse_caps (query, &filter);
  if (filter)
    peer_filter = gst_srtp_sdes_transform_caps (filter, !to_secure);
  peer = otherpad ? gst_pad_peer_query_caps (otherpad, peer_filter) : gst_caps_new_any ();
  if (peer_filter)
    gst_caps_unref (peer_filter);
  result = gst_srtp_sdes_transform_caps (peer, to_secure);
  gst_caps_unref (peer);
  templ = gst_pad_get_pad_template_caps (pad);
  peer = gst_caps_intersect_full (templ, result, GST_CAPS_INTERSECT_FIRST);
  gst_caps_unref (templ);
  gst_caps_unref (result);
  if (filter) {
    result = gst_caps_intersect_full (filter, peer, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref (peer);
    peer = result;
  }
  gst_query_set_caps_result (query, peer);
  gst_caps_unref (peer);
  return TRUE;
}
