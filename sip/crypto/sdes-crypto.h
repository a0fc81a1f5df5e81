/* srtpsdes — RFC 4568 SDP Security Descriptions: the a=crypto attribute
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:sdes-crypto
 * @title: SdesCryptoAttr
 * @short_description: parse, format and generate RFC 4568 a=crypto attributes
 *
 * The crypto-attribute library is the only place in srtpsdes that knows the
 * RFC 4568 §9 grammar and the SRTP crypto-suite table. Both the GStreamer
 * elements (which take keys as the a=crypto value a user copies from SDP)
 * and the SIP negotiation engine use it.
 *
 * |[<!-- language="C" -->
 * g_autoptr(GError) error = NULL;
 * g_autoptr(SdesCryptoAttr) attr =
 *     sdes_crypto_attr_parse ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
 *                             "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32",
 *                             &error);
 * if (attr == NULL)
 *   g_printerr ("bad a=crypto: %s\n", error->message);   // never contains key bytes
 * g_autofree gchar *safe = sdes_crypto_attr_format_redacted (attr);
 * g_message ("remote crypto: %s", safe);   // "1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>|2^20|1:32"
 * ]|
 *
 * Key material lives only inside #SdesCryptoAttr, which is wiped with
 * OPENSSL_cleanse() when freed. No function of this library logs anything; the
 * only functions that return key bytes are sdes_crypto_attr_format() and the
 * key fields themselves. Error messages name the failing field and its column
 * (1-based, counted in the text as given) and never echo key text.
 *
 * Since: 0.1
 */

#pragma once

#include <glib.h>
#include <glib-object.h>

G_BEGIN_DECLS

/**
 * SDES_CRYPTO_ERROR:
 *
 * Error domain for a=crypto parsing and key generation. Errors in this domain
 * are from the #SdesCryptoError enumeration.
 *
 * Since: 0.1
 */
#define SDES_CRYPTO_ERROR (sdes_crypto_error_quark ())
GQuark sdes_crypto_error_quark (void);

/**
 * SdesCryptoError:
 * @SDES_CRYPTO_ERROR_SYNTAX: structure of the line is wrong: empty, a missing
 *   field, an empty key-param, more than key|lifetime|MKI in a key-info,
 *   control or non-ASCII characters. Fields may be separated by any run of
 *   spaces/tabs (RFC 4568 §9.1 1*WSP) and leading/trailing whitespace and a
 *   trailing CR/LF are tolerated.
 * @SDES_CRYPTO_ERROR_BAD_TAG: tag is not 1–9 decimal digits.
 * @SDES_CRYPTO_ERROR_UNKNOWN_SUITE: crypto-suite name is not in the suite table.
 * @SDES_CRYPTO_ERROR_BAD_KEY_METHOD: key-method is not `inline`.
 * @SDES_CRYPTO_ERROR_BAD_BASE64: key||salt is not valid base64.
 * @SDES_CRYPTO_ERROR_KEY_LENGTH: decoded key||salt has the wrong length for the suite.
 * @SDES_CRYPTO_ERROR_BAD_LIFETIME: lifetime is not a decimal number or `2^n`,
 *   or is zero.
 * @SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE: lifetime exceeds the suite's maximum
 *   (2^48 SRTP packets for every suite in the table).
 * @SDES_CRYPTO_ERROR_BAD_MKI: MKI is not `value:length` in decimal, or the value
 *   does not fit in length bytes (values above 2^64-1 are not supported).
 * @SDES_CRYPTO_ERROR_MKI_LENGTH: MKI length outside 1..128 bytes.
 * @SDES_CRYPTO_ERROR_DUPLICATE_MKI: two key-params carry the same MKI value.
 * @SDES_CRYPTO_ERROR_MISSING_MKI: several key-params, but not every one has an MKI.
 * @SDES_CRYPTO_ERROR_MKI_LENGTH_MISMATCH: key-params carry MKIs of different lengths.
 * @SDES_CRYPTO_ERROR_TOO_MANY_KEYS: more than %SDES_CRYPTO_MAX_KEYS key-params.
 * @SDES_CRYPTO_ERROR_BAD_SESSION_PARAM: a known session parameter has a bad value
 *   (e.g. `KDR=25`, `WSH=10`, `FEC_ORDER=X`).
 * @SDES_CRYPTO_ERROR_DUPLICATE_SESSION_PARAM: a session parameter appears twice.
 * @SDES_CRYPTO_ERROR_UNKNOWN_SESSION_PARAM: an unknown session parameter that is
 *   not prefixed with "-" (RFC 4568 §6.3.7: the attribute is invalid).
 * @SDES_CRYPTO_ERROR_INVALID_ARGUMENT: a generation request with impossible
 *   arguments (tag 0 or above 999999999, lifetime above the maximum, ...).
 * @SDES_CRYPTO_ERROR_RANDOM: the CSPRNG (OpenSSL RAND_bytes) failed.
 *
 * Specific failure codes of the a=crypto parser and key generator.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_CRYPTO_ERROR_SYNTAX,
  SDES_CRYPTO_ERROR_BAD_TAG,
  SDES_CRYPTO_ERROR_UNKNOWN_SUITE,
  SDES_CRYPTO_ERROR_BAD_KEY_METHOD,
  SDES_CRYPTO_ERROR_BAD_BASE64,
  SDES_CRYPTO_ERROR_KEY_LENGTH,
  SDES_CRYPTO_ERROR_BAD_LIFETIME,
  SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE,
  SDES_CRYPTO_ERROR_BAD_MKI,
  SDES_CRYPTO_ERROR_MKI_LENGTH,
  SDES_CRYPTO_ERROR_DUPLICATE_MKI,
  SDES_CRYPTO_ERROR_MISSING_MKI,
  SDES_CRYPTO_ERROR_MKI_LENGTH_MISMATCH,
  SDES_CRYPTO_ERROR_TOO_MANY_KEYS,
  SDES_CRYPTO_ERROR_BAD_SESSION_PARAM,
  SDES_CRYPTO_ERROR_DUPLICATE_SESSION_PARAM,
  SDES_CRYPTO_ERROR_UNKNOWN_SESSION_PARAM,
  SDES_CRYPTO_ERROR_INVALID_ARGUMENT,
  SDES_CRYPTO_ERROR_RANDOM,
} SdesCryptoError;

GType sdes_crypto_error_get_type (void);
#define SDES_TYPE_CRYPTO_ERROR (sdes_crypto_error_get_type ())

/* ------------------------------------------------------------------------- */
/* Suites                                                                     */
/* ------------------------------------------------------------------------- */

/**
 * SdesCryptoSuite:
 * @SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80: RFC 4568, AES-128 counter mode, 80-bit tag.
 * @SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32: RFC 4568, AES-128 counter mode, 32-bit
 *   SRTP tag (SRTCP keeps 80 bits).
 * @SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80: RFC 4568, AES-128 f8 mode, 80-bit tag.
 * @SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80: RFC 6188.
 * @SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32: RFC 6188.
 * @SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80: RFC 6188.
 * @SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32: RFC 6188.
 * @SDES_CRYPTO_SUITE_AEAD_AES_128_GCM: RFC 7714, 16-byte tag.
 * @SDES_CRYPTO_SUITE_AEAD_AES_256_GCM: RFC 7714, 16-byte tag.
 * @SDES_CRYPTO_SUITE_N: number of suites (not a suite).
 *
 * The SRTP crypto suites srtpsdes knows. Whether a given consumer can *use*
 * one (libsrtp2 has no f8, for instance) is that consumer's decision; the
 * parser accepts all of them.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
  SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
  SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80,
  SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80,
  SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32,
  SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
  SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32,
  SDES_CRYPTO_SUITE_AEAD_AES_128_GCM,
  SDES_CRYPTO_SUITE_AEAD_AES_256_GCM,
  SDES_CRYPTO_SUITE_N, /*< skip >*/
} SdesCryptoSuite;

/**
 * SdesCryptoSuiteInfo:
 * @suite: the suite.
 * @name: the RFC name, as registered with IANA.
 * @key_len: master key length in bytes.
 * @salt_len: master salt length in bytes.
 * @srtp_auth_tag_len: SRTP authentication tag length in bytes.
 * @srtcp_auth_tag_len: SRTCP authentication tag length in bytes.
 * @aead: %TRUE for AEAD (GCM) suites.
 * @max_srtp_lifetime: maximum master-key lifetime in SRTP packets (2^48).
 * @max_srtcp_lifetime: maximum master-key lifetime in SRTCP packets (2^31).
 * @reference: the RFC that defines the suite ("RFC 4568", ...).
 *
 * One row of the suite table. The table is the single place where suite
 * parameters are defined in srtpsdes.
 *
 * Since: 0.1
 */
typedef struct {
  SdesCryptoSuite suite;
  const gchar *name;
  guint key_len;
  guint salt_len;
  guint srtp_auth_tag_len;
  guint srtcp_auth_tag_len;
  gboolean aead;
  guint64 max_srtp_lifetime;
  guint64 max_srtcp_lifetime;
  const gchar *reference;
} SdesCryptoSuiteInfo;

/**
 * SDES_CRYPTO_MAX_KEY_SALT_LEN:
 *
 * Largest key||salt of any suite, in bytes (AES-256: 32 + 14).
 *
 * Since: 0.1
 */
#define SDES_CRYPTO_MAX_KEY_SALT_LEN 46

/**
 * SDES_CRYPTO_MAX_KEYS:
 *
 * Most key-params accepted in one attribute (libsrtp2's limit on master keys).
 *
 * Since: 0.1
 */
#define SDES_CRYPTO_MAX_KEYS 16

/**
 * SDES_CRYPTO_MAX_TAG:
 *
 * Largest tag: RFC 4568 §9.1 allows 1*9DIGIT.
 *
 * Since: 0.1
 */
#define SDES_CRYPTO_MAX_TAG 999999999u

const SdesCryptoSuiteInfo *sdes_crypto_suite_get_info (SdesCryptoSuite suite);
gboolean sdes_crypto_suite_from_name (const gchar *name, SdesCryptoSuite *suite);
const gchar *sdes_crypto_suite_to_string (SdesCryptoSuite suite);
GType sdes_crypto_suite_get_type (void);
#define SDES_TYPE_CRYPTO_SUITE (sdes_crypto_suite_get_type ())

/* ------------------------------------------------------------------------- */
/* The attribute                                                              */
/* ------------------------------------------------------------------------- */

/**
 * SdesKeyParam:
 * @key_salt: master key followed by master salt (key_len + salt_len bytes).
 * @key_salt_len: number of valid bytes in @key_salt.
 * @lifetime: master key lifetime in packets, 0 when the line gave none.
 * @lifetime_exp: when the lifetime was written as `2^n`, n; else 0. The
 *   formatter writes `2^n` when this is non-zero, so `2^20` round-trips.
 * @mki_value: MKI value (0 when @mki_length is 0).
 * @mki_length: MKI length in bytes (1..128), 0 when no MKI was given.
 *
 * One `inline:` key-param of RFC 4568 §9.1.
 *
 * Since: 0.1
 */
typedef struct {
  guint8 key_salt[SDES_CRYPTO_MAX_KEY_SALT_LEN];
  guint key_salt_len;
  guint64 lifetime;
  guint lifetime_exp;
  guint64 mki_value;
  guint mki_length;
} SdesKeyParam;

/**
 * SdesFecOrder:
 * @SDES_FEC_ORDER_NONE: FEC_ORDER not given (RFC 4568 default: FEC_SRTP).
 * @SDES_FEC_ORDER_FEC_SRTP: FEC applied before SRTP processing on the sender.
 * @SDES_FEC_ORDER_SRTP_FEC: FEC applied after SRTP processing on the sender.
 *
 * RFC 4568 §6.3.4 FEC_ORDER session parameter.
 *
 * Since: 0.1
 */
typedef enum {
  SDES_FEC_ORDER_NONE,
  SDES_FEC_ORDER_FEC_SRTP,
  SDES_FEC_ORDER_SRTP_FEC,
} SdesFecOrder;

/**
 * SdesCryptoAttr:
 * @tag: the tag, 0..999999999 (0 is accepted on input for interop: some
 *   stacks send it, baresip/baresip#229; never generated).
 * @suite: the crypto suite.
 * @suite_name: the suite name exactly as the line spelled it (an RFC name
 *   or a legacy alias such as `AES_CM_256_HMAC_SHA1_80`); static string.
 *   The formatter writes this name, so an answer echoes the offer's spelling.
 * @n_keys: number of key-params, 1..%SDES_CRYPTO_MAX_KEYS.
 * @keys: the key-params.
 * @kdr: KDR exponent 0..24, or -1 when not given.
 * @unencrypted_srtp: UNENCRYPTED_SRTP given.
 * @unencrypted_srtcp: UNENCRYPTED_SRTCP given.
 * @unauthenticated_srtp: UNAUTHENTICATED_SRTP given.
 * @fec_order: FEC_ORDER, or %SDES_FEC_ORDER_NONE.
 * @n_fec_keys: number of FEC_KEY key-params (0 when not given).
 * @fec_keys: FEC_KEY key-params (key material: wiped like @keys).
 * @wsh: WSH window size hint (>= 64), or 0 when not given.
 * @extensions: (nullable) (array zero-terminated=1): optional session
 *   parameters with a leading "-" that this library does not know, verbatim
 *   and in order; %NULL when there are none. RFC 4568 §6.3.7 lets them be ignored.
 *
 * A parsed (or generated) a=crypto attribute. Allocate with
 * sdes_crypto_attr_parse() or sdes_crypto_attr_generate(); the struct is
 * freed and wiped by sdes_crypto_attr_free(). Fields may be read directly;
 * code that changes them must keep the invariants the parser checks.
 *
 * Since: 0.1
 */
typedef struct {
  guint32 tag;
  SdesCryptoSuite suite;
  const gchar *suite_name;
  guint n_keys;
  SdesKeyParam keys[SDES_CRYPTO_MAX_KEYS];
  gint kdr;
  gboolean unencrypted_srtp;
  gboolean unencrypted_srtcp;
  gboolean unauthenticated_srtp;
  SdesFecOrder fec_order;
  guint n_fec_keys;
  SdesKeyParam fec_keys[SDES_CRYPTO_MAX_KEYS];
  guint64 wsh;
  gchar **extensions;
} SdesCryptoAttr;

GType sdes_crypto_attr_get_type (void);
#define SDES_TYPE_CRYPTO_ATTR (sdes_crypto_attr_get_type ())

SdesCryptoAttr *sdes_crypto_attr_parse (const gchar *text, GError **error);
gchar *sdes_crypto_attr_format (const SdesCryptoAttr *attr);
gchar *sdes_crypto_attr_format_redacted (const SdesCryptoAttr *attr);
SdesCryptoAttr *sdes_crypto_attr_generate (SdesCryptoSuite suite,
                                           guint32 tag,
                                           guint64 lifetime,
                                           guint mki_length,
                                           guint64 mki_value,
                                           GError **error);
gboolean sdes_crypto_attr_regenerate_keys (SdesCryptoAttr *attr, GError **error);
SdesCryptoAttr *sdes_crypto_attr_copy (const SdesCryptoAttr *attr);
gboolean sdes_crypto_attr_equal (const SdesCryptoAttr *a, const SdesCryptoAttr *b);
gboolean sdes_crypto_attr_same_keys (const SdesCryptoAttr *a, const SdesCryptoAttr *b);
void sdes_crypto_attr_free (SdesCryptoAttr *attr);

gchar *sdes_crypto_redact_text (const gchar *text);
gchar *sdes_crypto_redact_extension (const gchar *extension);
void sdes_crypto_wipe (gpointer data, gsize len);
void sdes_crypto_free_secret (gchar *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdesCryptoAttr, sdes_crypto_attr_free)

/**
 * SdesSecretText:
 *
 * A NUL-terminated string that holds key material (an SDP body with
 * a=crypto lines, an a=crypto value). Declared as
 * `g_autoptr(SdesSecretText) sdp = ...`, it is wiped with
 * sdes_crypto_wipe() and freed when it goes out of scope, on every path.
 */
typedef gchar SdesSecretText;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdesSecretText, sdes_crypto_free_secret)

G_END_DECLS
