/* srtpsdes — RFC 4568 a=crypto attribute: generation (RAND_bytes), copy,
 * comparison and freeing (wiped)
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "crypto-attr-private.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>



static gboolean
fill_random (SdesKeyParam *keys, guint n, const SdesCryptoSuiteInfo *info, GError **error)
{
  for (guint i = 0; i < n; i++) {
    keys[i].key_salt_len = info->key_len + info->salt_len;
    if (RAND_bytes (keys[i].key_salt, (int) keys[i].key_salt_len) != 1) {
      sdes_crypto_wipe (keys[i].key_salt, sizeof keys[i].key_salt);
      g_set_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_RANDOM,
                   "a=crypto: the random generator (OpenSSL RAND_bytes) failed");
      return FALSE;
    }
  }
  return TRUE;
}

/**
 * sdes_crypto_attr_generate:
 * @suite: the crypto suite
 * @tag: the tag, 1..%SDES_CRYPTO_MAX_TAG
 * @lifetime: key lifetime in packets, or 0 for none; a power of two is
 *   written as `2^n`
 * @mki_length: MKI length in bytes (1..128), or 0 for no MKI
 * @mki_value: MKI value (must fit in @mki_length bytes)
 * @error: return location for a #SDES_CRYPTO_ERROR
 *
 * Makes an attribute with one fresh master key and salt from OpenSSL's
 * CSPRNG (RAND_bytes).
 *
 * Returns: (transfer full) (nullable): the attribute, or %NULL with
 *   %SDES_CRYPTO_ERROR_INVALID_ARGUMENT or %SDES_CRYPTO_ERROR_RANDOM.
 *
 * Since: 0.1
 */
SdesCryptoAttr *
sdes_crypto_attr_generate (SdesCryptoSuite suite, guint32 tag, guint64 lifetime,
                           guint mki_length, guint64 mki_value, GError **error)
{
  const SdesCryptoSuiteInfo *info = sdes_crypto_suite_get_info (suite);
  g_autoptr (SdesCryptoAttr) attr = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (info == NULL) {
    g_set_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_INVALID_ARGUMENT,
                 "a=crypto: no suite number %d", (gint) suite);
    return NULL;
  }
  if (tag == 0 || tag > SDES_CRYPTO_MAX_TAG) {
    g_set_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_INVALID_ARGUMENT,
                 "a=crypto: tag %u is outside 1..%u", tag, SDES_CRYPTO_MAX_TAG);
    return NULL;
  }
  if (lifetime > info->max_srtp_lifetime) {
    g_set_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_INVALID_ARGUMENT,
                 "a=crypto: lifetime above the %s maximum of 2^48 packets", info->name);
    return NULL;
  }
  if (mki_length > MAX_MKI_LENGTH
      || (mki_length > 0 && mki_length < 8
          && mki_value >= (G_GUINT64_CONSTANT (1) << (8 * mki_length)))
      || (mki_length == 0 && mki_value != 0)) {
    g_set_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_INVALID_ARGUMENT,
                 "a=crypto: MKI %" G_GUINT64_FORMAT " does not fit a %u-byte MKI (1..%u)",
                 mki_value, mki_length, MAX_MKI_LENGTH);
    return NULL;
  }

  attr = g_new0 (SdesCryptoAttr, 1);
  attr->tag = tag;
  attr->suite = suite;
  attr->suite_name = info->name;
  attr->kdr = -1;
  attr->n_keys = 1;
  attr->keys[0].lifetime = lifetime;
  if (lifetime > 1 && (lifetime & (lifetime - 1)) == 0)
    attr->keys[0].lifetime_exp = (guint) g_bit_nth_lsf (lifetime, -1);
  attr->keys[0].mki_length = mki_length;
  attr->keys[0].mki_value = mki_value;
  if (!fill_random (attr->keys, 1, info, error))
    return NULL;
  return g_steal_pointer (&attr);
}

/**
 * sdes_crypto_attr_regenerate_keys:
 * @attr: an attribute
 * @error: return location for a #SDES_CRYPTO_ERROR
 *
 * Replaces every master key and salt in @attr (including FEC keys) with
 * fresh random bytes; tag, suite, lifetimes, MKIs and session parameters
 * stay. This is what an answerer does with the offer's chosen line
 * (RFC 4568 §7.1.2: same tag and suite, its own key).
 *
 * Returns: %TRUE on success; on %SDES_CRYPTO_ERROR_RANDOM the keys are wiped.
 *
 * Since: 0.1
 */
gboolean
sdes_crypto_attr_regenerate_keys (SdesCryptoAttr *attr, GError **error)
{
  const SdesCryptoSuiteInfo *info;

  g_return_val_if_fail (attr != NULL, FALSE);
  info = sdes_crypto_suite_get_info (attr->suite);
  g_return_val_if_fail (info != NULL, FALSE);
  return fill_random (attr->keys, attr->n_keys, info, error)
      && fill_random (attr->fec_keys, attr->n_fec_keys, info, error);
}

/**
 * sdes_crypto_attr_copy:
 * @attr: an attribute
 *
 * Copies @attr, key material included; free the copy with
 * sdes_crypto_attr_free(), which wipes it.
 *
 * Returns: (transfer full): a deep copy (key material included).
 *
 * Since: 0.1
 */
SdesCryptoAttr *
sdes_crypto_attr_copy (const SdesCryptoAttr *attr)
{
  SdesCryptoAttr *copy;

  g_return_val_if_fail (attr != NULL, NULL);
  copy = g_new (SdesCryptoAttr, 1);
  memcpy (copy, attr, sizeof *copy);
  copy->extensions = g_strdupv (attr->extensions);
  return copy;
}

static gboolean
key_params_equal (const SdesKeyParam *a, const SdesKeyParam *b)
{
  /* Constant time in the key bytes: comparisons must not leak them. */
  return a->key_salt_len == b->key_salt_len
      && CRYPTO_memcmp (a->key_salt, b->key_salt, a->key_salt_len) == 0
      && a->mki_length == b->mki_length && a->mki_value == b->mki_value;
}

/* Keys, MKIs and lifetimes (in their written form) of @n key-params. */
static gboolean
key_param_lists_equal (const SdesKeyParam *a, const SdesKeyParam *b, guint n)
{
  for (guint i = 0; i < n; i++)
    if (!key_params_equal (&a[i], &b[i]) || a[i].lifetime != b[i].lifetime
        || a[i].lifetime_exp != b[i].lifetime_exp)
      return FALSE;
  return TRUE;
}

/**
 * sdes_crypto_attr_same_keys:
 * @a: an attribute
 * @b: another attribute
 *
 * Whether @a and @b would key SRTP identically: same suite, same master
 * keys/salts and MKIs in the same order. Tags, lifetimes and session
 * parameters are not compared. Key bytes are compared in constant time.
 *
 * Returns: %TRUE if the keys are the same.
 *
 * Since: 0.1
 */
gboolean
sdes_crypto_attr_same_keys (const SdesCryptoAttr *a, const SdesCryptoAttr *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  if (a->suite != b->suite || a->n_keys != b->n_keys)
    return FALSE;
  for (guint i = 0; i < a->n_keys; i++)
    if (!key_params_equal (&a->keys[i], &b->keys[i]))
      return FALSE;
  return TRUE;
}

/**
 * sdes_crypto_attr_equal:
 * @a: an attribute
 * @b: another attribute
 *
 * Field-by-field equality, including the suite spelling, lifetimes and
 * their written form, session parameters and extensions.
 *
 * Returns: %TRUE if equal.
 *
 * Since: 0.1
 */
gboolean
sdes_crypto_attr_equal (const SdesCryptoAttr *a, const SdesCryptoAttr *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);
  if (a->tag != b->tag || a->suite != b->suite
      || g_strcmp0 (a->suite_name, b->suite_name) != 0
      || a->n_keys != b->n_keys || a->n_fec_keys != b->n_fec_keys
      || a->kdr != b->kdr || a->unencrypted_srtp != b->unencrypted_srtp
      || a->unencrypted_srtcp != b->unencrypted_srtcp
      || a->unauthenticated_srtp != b->unauthenticated_srtp
      || a->fec_order != b->fec_order || a->wsh != b->wsh)
    return FALSE;
  if (!key_param_lists_equal (a->keys, b->keys, a->n_keys)
      || !key_param_lists_equal (a->fec_keys, b->fec_keys, a->n_fec_keys))
    return FALSE;
  if (a->extensions == NULL || b->extensions == NULL)
    return a->extensions == b->extensions;
  return g_strv_equal ((const gchar * const *) a->extensions,
                       (const gchar * const *) b->extensions);
}

/**
 * sdes_crypto_attr_free:
 * @attr: (nullable): an attribute
 *
 * Wipes all key material in @attr and frees it.
 *
 * Since: 0.1
 */
void
sdes_crypto_attr_free (SdesCryptoAttr *attr)
{
  if (attr == NULL)
    return;
  g_strfreev (attr->extensions);
  sdes_crypto_wipe (attr, sizeof *attr);
  g_free (attr);
}
