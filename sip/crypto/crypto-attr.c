/* srtpsdes — RFC 4568 a=crypto attribute: parse, format, redact, wipe
 *
 * Generation, copy, comparison and freeing are in crypto-attr-keys.c.
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "crypto-attr-private.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

/* From crypto-suite.c: case-insensitive lookup of a name or alias. */
const gchar *sdes_crypto_suite_lookup (const gchar *name, gsize len, SdesCryptoSuite *suite);

/**
 * sdes_crypto_error_quark:
 *
 * The error domain of the a=crypto library (#SDES_CRYPTO_ERROR).
 *
 * Returns: the #GQuark of the domain.
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (sdes-crypto-error-quark, sdes_crypto_error)

G_DEFINE_ENUM_TYPE (SdesCryptoError, sdes_crypto_error,
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_SYNTAX, "syntax"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_BAD_TAG, "bad-tag"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_UNKNOWN_SUITE, "unknown-suite"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_BAD_KEY_METHOD, "bad-key-method"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_BAD_BASE64, "bad-base64"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_KEY_LENGTH, "key-length"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_BAD_LIFETIME, "bad-lifetime"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE, "lifetime-too-large"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_BAD_MKI, "bad-mki"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_MKI_LENGTH, "mki-length"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_DUPLICATE_MKI, "duplicate-mki"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_MISSING_MKI, "missing-mki"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_MKI_LENGTH_MISMATCH, "mki-length-mismatch"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_TOO_MANY_KEYS, "too-many-keys"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, "bad-session-param"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_DUPLICATE_SESSION_PARAM, "duplicate-session-param"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_UNKNOWN_SESSION_PARAM, "unknown-session-param"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_INVALID_ARGUMENT, "invalid-argument"),
    G_DEFINE_ENUM_VALUE (SDES_CRYPTO_ERROR_RANDOM, "random"))

G_DEFINE_BOXED_TYPE (SdesCryptoAttr, sdes_crypto_attr, sdes_crypto_attr_copy, sdes_crypto_attr_free)

/* RFC 4568 §6.1: base64 of 46 bytes (the largest key||salt) is 64 characters. */
#define MAX_KEY_B64 64
/* RFC 4568 §6.3.1: KDR is 0..24 (rate 2^n). */
#define MAX_KDR 24
/* RFC 4568 §6.3.6: the window size hint is at least 64. */
#define MIN_WSH 64

/**
 * sdes_crypto_wipe:
 * @data: (nullable): memory to clear
 * @len: its length
 *
 * Clears memory that held key material in a way the compiler cannot elide
 * (OPENSSL_cleanse).
 *
 * Since: 0.1
 */
void
sdes_crypto_wipe (gpointer data, gsize len)
{
  if (data != NULL && len > 0)
    OPENSSL_cleanse (data, len);
}

/**
 * sdes_crypto_free_secret:
 * @text: (nullable) (transfer full): a string that may hold key material
 *   (a formatted a=crypto value, an SDP body, a password)
 *
 * Wipes @text, then frees it.
 *
 * Since: 0.1
 */
void
sdes_crypto_free_secret (gchar *text)
{
  if (text == NULL)
    return;
  sdes_crypto_wipe (text, strlen (text));
  g_free (text);
}

/* ------------------------------------------------------------------------- */
/* Parsing                                                                    */
/* ------------------------------------------------------------------------- */

typedef struct {
  const gchar *start;   /* the text as given, for column numbers */
} Parser;

/* A token: [p, p + len) inside the parsed text. */
typedef struct {
  const gchar *p;
  gsize len;
} Span;

static guint
column (const Parser *ps, const gchar *at)
{
  return (guint) (at - ps->start) + 1;
}

/* Every message names the field and the 1-based column; none echoes input
 * text, because a misplaced field may well be the key. */
G_GNUC_PRINTF (4, 5) static gboolean
fail (GError **error, SdesCryptoError code, guint col, const gchar *fmt, ...)
{
  va_list ap;
  g_autofree gchar *what = NULL;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, SDES_CRYPTO_ERROR, code, "a=crypto: %s at column %u", what, col);
  return FALSE;
}

static gboolean
span_equal (Span s, const gchar *lit)
{
  gsize n = strlen (lit);
  return s.len == n && g_ascii_strncasecmp (s.p, lit, n) == 0;
}

static gboolean
span_has_prefix (Span s, const gchar *lit)
{
  gsize n = strlen (lit);
  return s.len >= n && g_ascii_strncasecmp (s.p, lit, n) == 0;
}

static gboolean
all_digits (Span s)
{
  if (s.len == 0)
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    if (!g_ascii_isdigit (s.p[i]))
      return FALSE;
  return TRUE;
}

/* Decimal digits to guint64; FALSE on overflow. Caller checked all_digits. */
static gboolean
span_to_u64 (Span s, guint64 *out)
{
  guint64 v = 0;
  for (gsize i = 0; i < s.len; i++) {
    guint d = (guint) (s.p[i] - '0');
    if (v > (G_MAXUINT64 - d) / 10)
      return FALSE;
    v = v * 10 + d;
  }
  *out = v;
  return TRUE;
}

static gboolean
is_b64_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* Decodes base64 (padded or not: sipwise/rtpengine#1197,
 * baresip/baresip#1233) into @out without any heap copy of the key.
 * Returns the decoded length, or -1 for bad base64, or -2 when the text is
 * longer than any key||salt could be. */
static gssize
decode_key_b64 (Span s, guint8 *out, gsize out_size)
{
  gchar buf[MAX_KEY_B64 + 4];
  gsize n = s.len, pad = 0;
  gint state = 0;
  guint save = 0;
  gsize written;

  while (n > 0 && s.p[n - 1] == '=') {
    n--;
    pad++;
  }
  if (n == 0 || pad > 2)
    return -1;
  for (gsize i = 0; i < n; i++)
    if (!is_b64_char (s.p[i]))
      return -1;
  /* Padding, when present, must complete the last quantum exactly. */
  if (pad > 0 && (n + pad) % 4 != 0)
    return -1;
  if (n % 4 == 1)
    return -1;
  if (n > MAX_KEY_B64)
    return -2;

  memcpy (buf, s.p, n);
  while (n % 4 != 0)
    buf[n++] = '=';
  g_assert (n / 4 * 3 <= out_size + 2);
  {
    guint8 tmp[(MAX_KEY_B64 + 4) / 4 * 3];
    written = g_base64_decode_step (buf, n, tmp, &state, &save);
    if (written > out_size) {
      sdes_crypto_wipe (tmp, sizeof tmp);
      sdes_crypto_wipe (buf, sizeof buf);
      return -2;
    }
    memcpy (out, tmp, written);
    sdes_crypto_wipe (tmp, sizeof tmp);
  }
  sdes_crypto_wipe (buf, sizeof buf);
  return (gssize) written;
}

/* lifetime = ["2^"] 1*(DIGIT)   (RFC 4568 §9.1) */
static gboolean
parse_lifetime (Parser *ps, Span s, const SdesCryptoSuiteInfo *info,
                SdesKeyParam *kp, GError **error)
{
  guint col = column (ps, s.p);

  if (span_has_prefix (s, "2^")) {
    Span e = { s.p + 2, s.len - 2 };
    guint64 n;

    if (!all_digits (e))
      return fail (error, SDES_CRYPTO_ERROR_BAD_LIFETIME, col,
                   "lifetime exponent is not a decimal number");
    if (!span_to_u64 (e, &n) || n > 63
        || (G_GUINT64_CONSTANT (1) << n) > info->max_srtp_lifetime)
      return fail (error, SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE, col,
                   "lifetime above the %s maximum of 2^48 packets", info->name);
    kp->lifetime = G_GUINT64_CONSTANT (1) << n;
    /* 2^0 is simply 1: keep the exponent form only where it carries meaning. */
    kp->lifetime_exp = (guint) n;
    return TRUE;
  }

  if (!all_digits (s))
    return fail (error, SDES_CRYPTO_ERROR_BAD_LIFETIME, col,
                 "lifetime is neither a decimal number nor 2^n");
  if (!span_to_u64 (s, &kp->lifetime) || kp->lifetime > info->max_srtp_lifetime)
    return fail (error, SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE, col,
                 "lifetime above the %s maximum of 2^48 packets", info->name);
  if (kp->lifetime == 0)
    return fail (error, SDES_CRYPTO_ERROR_BAD_LIFETIME, col, "lifetime is zero");
  kp->lifetime_exp = 0;
  return TRUE;
}

/* mki = mki-value ":" mki-length   (RFC 4568 §9.1) */
static gboolean
parse_mki (Parser *ps, Span s, SdesKeyParam *kp, GError **error)
{
  guint col = column (ps, s.p);
  const gchar *colon = memchr (s.p, ':', s.len);
  Span v, l;
  guint64 len;

  if (colon == NULL)
    return fail (error, SDES_CRYPTO_ERROR_BAD_MKI, col, "MKI is not value:length");
  v = (Span) { s.p, (gsize) (colon - s.p) };
  l = (Span) { colon + 1, s.len - v.len - 1 };
  if (!all_digits (v) || !all_digits (l))
    return fail (error, SDES_CRYPTO_ERROR_BAD_MKI, col,
                 "MKI value and length must be decimal numbers");
  if (!span_to_u64 (l, &len) || len < 1 || len > MAX_MKI_LENGTH)
    return fail (error, SDES_CRYPTO_ERROR_MKI_LENGTH, column (ps, l.p),
                 "MKI length must be 1..%u bytes", MAX_MKI_LENGTH);
  if (!span_to_u64 (v, &kp->mki_value))
    return fail (error, SDES_CRYPTO_ERROR_BAD_MKI, col,
                 "MKI values above 2^64-1 are not supported");
  if (len < 8 && kp->mki_value >= (G_GUINT64_CONSTANT (1) << (8 * len)))
    return fail (error, SDES_CRYPTO_ERROR_BAD_MKI, col,
                 "MKI value does not fit in %u byte(s)", (guint) len);
  kp->mki_length = (guint) len;
  return TRUE;
}

/* key-param = key-method ":" key-info; key-info = key-salt ["|" lifetime] ["|" mki] */
static gboolean
parse_key_param (Parser *ps, Span s, const SdesCryptoSuiteInfo *info,
                 SdesKeyParam *kp, GError **error)
{
  Span parts[3];
  guint n_parts = 0;
  const gchar *p, *end, *colon;
  gssize dec;

  if (s.len == 0)
    return fail (error, SDES_CRYPTO_ERROR_SYNTAX, column (ps, s.p), "empty key-param");
  colon = memchr (s.p, ':', s.len);
  if (colon == NULL || !span_equal ((Span) { s.p, (gsize) (colon - s.p) }, "inline"))
    return fail (error, SDES_CRYPTO_ERROR_BAD_KEY_METHOD, column (ps, s.p),
                 "key-method must be \"inline:\" (RFC 4568 sec. 6.1)");

  p = colon + 1;
  end = s.p + s.len;
  while (TRUE) {
    const gchar *bar = memchr (p, '|', (gsize) (end - p));
    const gchar *stop = bar ? bar : end;
    if (n_parts == G_N_ELEMENTS (parts))
      return fail (error, SDES_CRYPTO_ERROR_SYNTAX, column (ps, p - 1),
                   "key-info has more than key, lifetime and MKI");
    parts[n_parts++] = (Span) { p, (gsize) (stop - p) };
    if (bar == NULL)
      break;
    p = bar + 1;
  }

  memset (kp, 0, sizeof *kp);
  dec = decode_key_b64 (parts[0], kp->key_salt, sizeof kp->key_salt);
  if (dec == -1)
    return fail (error, SDES_CRYPTO_ERROR_BAD_BASE64, column (ps, parts[0].p),
                 "key||salt is not valid base64");
  /* A wrong-length key stays in the attribute until sdes_crypto_attr_free()
   * wipes the whole struct. */
  if (dec == -2 || (guint) dec != info->key_len + info->salt_len) {
    return fail (error, SDES_CRYPTO_ERROR_KEY_LENGTH, column (ps, parts[0].p),
                 "%s needs a %u-byte key||salt, got %s%" G_GSSIZE_FORMAT " bytes",
                 info->name, info->key_len + info->salt_len,
                 dec == -2 ? "more than " : "",
                 dec == -2 ? (gssize) SDES_CRYPTO_MAX_KEY_SALT_LEN : dec);
  }
  kp->key_salt_len = (guint) dec;

  if (n_parts == 3) {
    if (parts[1].len == 0)
      return fail (error, SDES_CRYPTO_ERROR_BAD_LIFETIME, column (ps, parts[1].p),
                   "empty lifetime");
    if (!parse_lifetime (ps, parts[1], info, kp, error)
        || !parse_mki (ps, parts[2], kp, error))
      return FALSE;
  } else if (n_parts == 2) {
    /* Either lifetime or MKI: only an MKI contains ':' (RFC 4568 §9.1). */
    if (parts[1].len == 0)
      return fail (error, SDES_CRYPTO_ERROR_BAD_LIFETIME, column (ps, parts[1].p),
                   "empty lifetime");
    if (memchr (parts[1].p, ':', parts[1].len) != NULL) {
      if (!parse_mki (ps, parts[1], kp, error))
        return FALSE;
    } else if (!parse_lifetime (ps, parts[1], info, kp, error)) {
      return FALSE;
    }
  }
  return TRUE;
}

/* key-params = key-param *(";" key-param), with the RFC 4568 §6.1 MKI rules:
 * several keys need an MKI each, all of one length, all distinct. */
static gboolean
parse_key_params (Parser *ps, Span s, const SdesCryptoSuiteInfo *info,
                  SdesKeyParam *keys, guint *n_keys, GError **error)
{
  const gchar *p = s.p, *end = s.p + s.len;
  guint n = 0;

  while (TRUE) {
    const gchar *semi = memchr (p, ';', (gsize) (end - p));
    const gchar *stop = semi ? semi : end;
    if (n == SDES_CRYPTO_MAX_KEYS)
      return fail (error, SDES_CRYPTO_ERROR_TOO_MANY_KEYS, column (ps, p),
                   "more than %u key-params", SDES_CRYPTO_MAX_KEYS);
    if (!parse_key_param (ps, (Span) { p, (gsize) (stop - p) }, info, &keys[n], error))
      return FALSE;
    n++;
    if (semi == NULL)
      break;
    p = semi + 1;
  }
  *n_keys = n;

  if (n > 1) {
    for (guint i = 0; i < n; i++) {
      if (keys[i].mki_length == 0)
        return fail (error, SDES_CRYPTO_ERROR_MISSING_MKI, column (ps, s.p),
                     "key-param %u of %u has no MKI; several keys need one each", i + 1, n);
      if (keys[i].mki_length != keys[0].mki_length)
        return fail (error, SDES_CRYPTO_ERROR_MKI_LENGTH_MISMATCH, column (ps, s.p),
                     "key-param %u has a %u-byte MKI, key-param 1 a %u-byte one",
                     i + 1, keys[i].mki_length, keys[0].mki_length);
      for (guint j = 0; j < i; j++)
        if (keys[i].mki_value == keys[j].mki_value)
          return fail (error, SDES_CRYPTO_ERROR_DUPLICATE_MKI, column (ps, s.p),
                       "key-params %u and %u share one MKI value", j + 1, i + 1);
    }
  }
  return TRUE;
}

enum {
  SEEN_KDR = 1 << 0,
  SEEN_UNENC_SRTP = 1 << 1,
  SEEN_UNENC_SRTCP = 1 << 2,
  SEEN_UNAUTH_SRTP = 1 << 3,
  SEEN_FEC_ORDER = 1 << 4,
  SEEN_FEC_KEY = 1 << 5,
  SEEN_WSH = 1 << 6,
};

static gboolean
mark_seen (Parser *ps, Span s, guint *seen, guint bit, GError **error)
{
  if (*seen & bit)
    return fail (error, SDES_CRYPTO_ERROR_DUPLICATE_SESSION_PARAM, column (ps, s.p),
                 "session parameter given twice");
  *seen |= bit;
  return TRUE;
}

/* RFC 4568 §6.3 session parameters. */
static gboolean
parse_session_param (Parser *ps, Span s, const SdesCryptoSuiteInfo *info,
                     SdesCryptoAttr *attr, guint *seen, GPtrArray *extensions,
                     GError **error)
{
  guint col = column (ps, s.p);
  guint64 v;

  if (span_has_prefix (s, "KDR=")) {
    Span n = { s.p + 4, s.len - 4 };
    if (!mark_seen (ps, s, seen, SEEN_KDR, error))
      return FALSE;
    if (!all_digits (n) || n.len > 2 || !span_to_u64 (n, &v) || v > MAX_KDR)
      return fail (error, SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, col,
                   "KDR must be 0..%u (RFC 4568 sec. 6.3.1)", MAX_KDR);
    attr->kdr = (gint) v;
  } else if (span_equal (s, "UNENCRYPTED_SRTP")) {
    if (!mark_seen (ps, s, seen, SEEN_UNENC_SRTP, error))
      return FALSE;
    attr->unencrypted_srtp = TRUE;
  } else if (span_equal (s, "UNENCRYPTED_SRTCP")) {
    if (!mark_seen (ps, s, seen, SEEN_UNENC_SRTCP, error))
      return FALSE;
    attr->unencrypted_srtcp = TRUE;
  } else if (span_equal (s, "UNAUTHENTICATED_SRTP")) {
    if (!mark_seen (ps, s, seen, SEEN_UNAUTH_SRTP, error))
      return FALSE;
    attr->unauthenticated_srtp = TRUE;
  } else if (span_has_prefix (s, "FEC_ORDER=")) {
    Span o = { s.p + 10, s.len - 10 };
    if (!mark_seen (ps, s, seen, SEEN_FEC_ORDER, error))
      return FALSE;
    if (span_equal (o, "FEC_SRTP"))
      attr->fec_order = SDES_FEC_ORDER_FEC_SRTP;
    else if (span_equal (o, "SRTP_FEC"))
      attr->fec_order = SDES_FEC_ORDER_SRTP_FEC;
    else
      return fail (error, SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, col,
                   "FEC_ORDER must be FEC_SRTP or SRTP_FEC (RFC 4568 sec. 6.3.4)");
  } else if (span_has_prefix (s, "FEC_KEY=")) {
    Span k = { s.p + 8, s.len - 8 };
    if (!mark_seen (ps, s, seen, SEEN_FEC_KEY, error))
      return FALSE;
    if (!parse_key_params (ps, k, info, attr->fec_keys, &attr->n_fec_keys, error))
      return FALSE;
  } else if (span_has_prefix (s, "WSH=")) {
    Span n = { s.p + 4, s.len - 4 };
    if (!mark_seen (ps, s, seen, SEEN_WSH, error))
      return FALSE;
    if (!all_digits (n) || !span_to_u64 (n, &v) || v < MIN_WSH || v > G_MAXUINT32)
      return fail (error, SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, col,
                   "WSH must be a window size of at least %u (RFC 4568 sec. 6.3.6)", MIN_WSH);
    attr->wsh = v;
  } else if (s.len > 1 && s.p[0] == '-') {
    /* RFC 4568 §6.3.7: a "-" prefix marks an optional parameter that MAY be
     * ignored. Keep it so a relay can pass it on. */
    g_ptr_array_add (extensions, g_strndup (s.p, s.len));
  } else {
    const gchar *eq = memchr (s.p, '=', s.len);
    Span name = { s.p, eq ? (gsize) (eq - s.p) : s.len };
    static const gchar *known[] = { "KDR", "UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP",
      "UNAUTHENTICATED_SRTP", "FEC_ORDER", "FEC_KEY", "WSH" };
    for (guint i = 0; i < G_N_ELEMENTS (known); i++)
      if (span_equal (name, known[i]))
        return fail (error, SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, col,
                     "malformed %s session parameter", known[i]);
    /* RFC 4568 §6.3.7: an unknown parameter without "-" is mandatory, and the
     * attribute carrying it MUST be considered invalid. */
    return fail (error, SDES_CRYPTO_ERROR_UNKNOWN_SESSION_PARAM, col,
                 "unknown mandatory session parameter (RFC 4568 sec. 6.3.7)");
  }
  return TRUE;
}

static gboolean
is_wsp (gchar c)
{
  return c == ' ' || c == '\t';
}

static gboolean
parse_into (Parser *ps, const gchar *text, SdesCryptoAttr *attr, GError **error)
{
  const gchar *p = text, *end = text + strlen (text);
  Span tok[3 + 64];
  guint n_tok = 0;
  const SdesCryptoSuiteInfo *info;
  g_autoptr (GPtrArray) extensions = g_ptr_array_new_with_free_func (g_free);
  guint64 tag;
  guint seen = 0;

  /* The attribute as it appears on an SDP line, or just its value. */
  if (g_str_has_prefix (p, "a=crypto:"))
    p += strlen ("a=crypto:");
  /* A line copied with its line ending. */
  if (end > p && end[-1] == '\n')
    end--;
  if (end > p && end[-1] == '\r')
    end--;

  for (const gchar *q = p; q < end; q++) {
    guchar c = (guchar) *q;
    if ((c < 0x20 && c != '\t') || c >= 0x7f)
      return fail (error, SDES_CRYPTO_ERROR_SYNTAX, column (ps, q),
                   "control or non-ASCII character");
  }

  /* RFC 4568 §9.1 separates fields by 1*WSP; leading and trailing
   * whitespace is tolerated on input. */
  while (p < end) {
    const gchar *s;
    while (p < end && is_wsp (*p))
      p++;
    if (p == end)
      break;
    s = p;
    while (p < end && !is_wsp (*p))
      p++;
    if (n_tok == G_N_ELEMENTS (tok))
      return fail (error, SDES_CRYPTO_ERROR_SYNTAX, column (ps, s),
                   "too many session parameters");
    tok[n_tok++] = (Span) { s, (gsize) (p - s) };
  }

  if (n_tok == 0)
    return fail (error, SDES_CRYPTO_ERROR_SYNTAX, column (ps, p), "empty attribute");

  if (!all_digits (tok[0]) || tok[0].len > 9 || !span_to_u64 (tok[0], &tag))
    return fail (error, SDES_CRYPTO_ERROR_BAD_TAG, column (ps, tok[0].p),
                 "tag must be 1 to 9 decimal digits (RFC 4568 sec. 9.1)");
  /* Tag 0 is outside RFC 4568's intent but sent by some stacks; accepted on
   * input (baresip/baresip#229), never generated. */
  attr->tag = (guint32) tag;

  if (n_tok < 2)
    return fail (error, SDES_CRYPTO_ERROR_SYNTAX, column (ps, end), "missing crypto-suite");
  attr->suite_name = sdes_crypto_suite_lookup (tok[1].p, tok[1].len, &attr->suite);
  if (attr->suite_name == NULL)
    return fail (error, SDES_CRYPTO_ERROR_UNKNOWN_SUITE, column (ps, tok[1].p),
                 "unknown crypto-suite");
  info = sdes_crypto_suite_get_info (attr->suite);

  if (n_tok < 3)
    return fail (error, SDES_CRYPTO_ERROR_SYNTAX, column (ps, end), "missing key-params");
  if (!parse_key_params (ps, tok[2], info, attr->keys, &attr->n_keys, error))
    return FALSE;

  for (guint i = 3; i < n_tok; i++)
    if (!parse_session_param (ps, tok[i], info, attr, &seen, extensions, error))
      return FALSE;

  if (extensions->len > 0) {
    g_ptr_array_add (extensions, NULL);
    attr->extensions = (gchar **) g_ptr_array_steal (extensions, NULL);
  }
  return TRUE;
}

/**
 * sdes_crypto_attr_parse:
 * @text: an a=crypto value, with or without the leading `a=crypto:`
 * @error: return location for a #SDES_CRYPTO_ERROR
 *
 * Parses the RFC 4568 §9.1 grammar. The error, if any, says what is wrong
 * and at which column; it never contains key text.
 *
 * Returns: (transfer full) (nullable): the attribute, or %NULL with @error set.
 *
 * Since: 0.1
 */
SdesCryptoAttr *
sdes_crypto_attr_parse (const gchar *text, GError **error)
{
  g_autoptr (SdesCryptoAttr) attr = NULL;
  Parser ps;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ps.start = text;
  attr = g_new0 (SdesCryptoAttr, 1);
  attr->kdr = -1;
  if (!parse_into (&ps, text, attr, error))
    return NULL;
  return g_steal_pointer (&attr);
}

/* ------------------------------------------------------------------------- */
/* Formatting                                                                 */
/* ------------------------------------------------------------------------- */

static void
append_key_params (GString *out, const SdesKeyParam *keys, guint n, gboolean redact)
{
  for (guint i = 0; i < n; i++) {
    const SdesKeyParam *kp = &keys[i];

    if (i > 0)
      g_string_append_c (out, ';');
    g_string_append (out, "inline:");
    if (redact) {
      g_string_append (out, "<redacted>");
    } else {
      /* Encode into the preallocated string directly: no intermediate heap
       * copy of the key. */
      gsize room = (kp->key_salt_len / 3 + 1) * 4 + 4;
      gsize at = out->len, w;
      gint state = 0, save = 0;
      g_assert (out->allocated_len > out->len + room);
      w = g_base64_encode_step (kp->key_salt, kp->key_salt_len, FALSE,
                                out->str + at, &state, &save);
      w += g_base64_encode_close (FALSE, out->str + at + w, &state, &save);
      out->len = at + w;
      out->str[out->len] = '\0';
    }
    if (kp->lifetime != 0) {
      if (kp->lifetime_exp != 0)
        g_string_append_printf (out, "|2^%u", kp->lifetime_exp);
      else
        g_string_append_printf (out, "|%" G_GUINT64_FORMAT, kp->lifetime);
    }
    if (kp->mki_length != 0)
      g_string_append_printf (out, "|%" G_GUINT64_FORMAT ":%u", kp->mki_value, kp->mki_length);
  }
}

/**
 * sdes_crypto_redact_extension:
 * @extension: an optional session parameter such as `-FOO=value`
 *
 * Makes an unknown session parameter safe to log: a peer may put key material
 * anywhere in it.
 *
 * Returns: (transfer full): its log-safe form: the name (at most 24
 *   characters of `[-A-Za-z0-9_]`), with anything after it replaced by
 *   `<redacted>` (`-FOO=<redacted>`); a longer name becomes `-<redacted>`.
 *
 * Since: 0.1
 */
gchar *
sdes_crypto_redact_extension (const gchar *extension)
{
  gsize name = 0;

  g_return_val_if_fail (extension != NULL, NULL);
  /* Keep a plausible parameter name only: short, [-A-Za-z0-9_]. A long run
   * of such characters could be key text itself. */
  while (extension[name] && (g_ascii_isalnum (extension[name]) || extension[name] == '_'
                             || extension[name] == '-'))
    name++;
  if (name > 24)
    return g_strdup ("-<redacted>");
  if (extension[name] == '\0')
    return g_strdup (extension);
  return g_strdup_printf ("%.*s%s<redacted>", (int) name, extension,
                          extension[name] == '=' ? "=" : "");
}

static gchar *
format_attr (const SdesCryptoAttr *attr, gboolean redact)
{
  gsize bound = 256 + (attr->n_keys + attr->n_fec_keys) * 128;
  g_auto (GStrv) redacted_ext = NULL;
  gchar **ext = attr->extensions;
  GString *out;

  /* An optional "-" parameter is opaque to us (RFC 4568 §6.3.7 lets us
   * ignore it) and may carry key material in any form, so the redacted form
   * keeps only its name. */
  if (redact && ext != NULL) {
    guint n = g_strv_length (ext);
    redacted_ext = g_new0 (gchar *, n + 1);
    for (guint i = 0; i < n; i++)
      redacted_ext[i] = sdes_crypto_redact_extension (ext[i]);
    ext = redacted_ext;
  }
  for (gchar **e = ext; e && *e; e++)
    bound += strlen (*e) + 1;
  /* Sized once so the buffer holding the key is never reallocated, which
   * would leave an unwiped copy in freed memory. */
  out = g_string_sized_new (bound);

  g_string_append_printf (out, "%u %s ", attr->tag,
                          attr->suite_name ? attr->suite_name
                                           : sdes_crypto_suite_to_string (attr->suite));
  append_key_params (out, attr->keys, attr->n_keys, redact);
  if (attr->kdr >= 0)
    g_string_append_printf (out, " KDR=%d", attr->kdr);
  if (attr->unencrypted_srtp)
    g_string_append (out, " UNENCRYPTED_SRTP");
  if (attr->unencrypted_srtcp)
    g_string_append (out, " UNENCRYPTED_SRTCP");
  if (attr->unauthenticated_srtp)
    g_string_append (out, " UNAUTHENTICATED_SRTP");
  if (attr->fec_order == SDES_FEC_ORDER_FEC_SRTP)
    g_string_append (out, " FEC_ORDER=FEC_SRTP");
  else if (attr->fec_order == SDES_FEC_ORDER_SRTP_FEC)
    g_string_append (out, " FEC_ORDER=SRTP_FEC");
  if (attr->n_fec_keys > 0) {
    g_string_append (out, " FEC_KEY=");
    append_key_params (out, attr->fec_keys, attr->n_fec_keys, redact);
  }
  if (attr->wsh != 0)
    g_string_append_printf (out, " WSH=%" G_GUINT64_FORMAT, attr->wsh);
  for (gchar **e = ext; e && *e; e++) {
    g_string_append_c (out, ' ');
    g_string_append (out, *e);
  }
  g_assert (out->len < bound);
  return g_string_free (out, FALSE);
}

/**
 * sdes_crypto_attr_format:
 * @attr: an attribute
 *
 * Formats @attr as the a=crypto value (without `a=crypto:`), the exact
 * inverse of sdes_crypto_attr_parse() for canonical input: single spaces,
 * padded base64, session parameters in RFC 4568 §6.3 order. The result holds
 * key material: wipe it (sdes_crypto_wipe()) before freeing if it lives long,
 * and never log it — use sdes_crypto_attr_format_redacted() for that.
 *
 * Returns: (transfer full): the value.
 *
 * Since: 0.1
 */
gchar *
sdes_crypto_attr_format (const SdesCryptoAttr *attr)
{
  g_return_val_if_fail (attr != NULL, NULL);
  return format_attr (attr, FALSE);
}

/**
 * sdes_crypto_attr_format_redacted:
 * @attr: an attribute
 *
 * Like sdes_crypto_attr_format() with every key replaced by
 * `inline:<redacted>`: safe for logs, errors and user interfaces.
 *
 * Returns: (transfer full): the redacted value.
 *
 * Since: 0.1
 */
gchar *
sdes_crypto_attr_format_redacted (const SdesCryptoAttr *attr)
{
  g_return_val_if_fail (attr != NULL, NULL);
  return format_attr (attr, TRUE);
}

/* The inline: rule: everything after `inline:` up to the end of the
 * key-info field (whitespace, `|` or `;`), not only base64 characters, so a
 * malformed key does not leak either. */
static void
redact_inline (GString *out, const gchar *p, const gchar *end)
{
  while (p < end) {
    if (end - p >= 7 && g_ascii_strncasecmp (p, "inline:", 7) == 0) {
      g_string_append_len (out, p, 7);
      p += 7;
      g_string_append (out, "<redacted>");
      while (p < end && !strchr (" \t\r\n|;", *p))
        p++;
    } else {
      g_string_append_c (out, *p++);
    }
  }
}

/* Appends the log-safe form of an a=crypto value [p, end): the redacted
 * canonical form when it parses; otherwise tag and suite-looking tokens and
 * "<redacted>" — an unparsable value may hide key text anywhere. */
static gboolean
redact_value (GString *out, const gchar *p, const gchar *end, gboolean must)
{
  gchar *copy = g_strndup (p, (gsize) (end - p));
  SdesCryptoAttr *attr = sdes_crypto_attr_parse (copy, NULL);
  gboolean done = FALSE;

  if (attr != NULL) {
    g_autofree gchar *safe = sdes_crypto_attr_format_redacted (attr);
    g_string_append (out, safe);
    if (end > p && end[-1] == '\r')
      g_string_append_c (out, '\r');
    sdes_crypto_attr_free (attr);
    done = TRUE;
  } else if (must) {
    const gchar *q = p;
    for (guint field = 0; field < 2 && q < end; field++) {
      const gchar *t = q;
      while (q < end && (g_ascii_isalnum (*q) || *q == '_'))
        q++;
      if (q == t || (q < end && *q != ' '))
        break;
      g_string_append_len (out, t, q - t + 1);
      q++;
    }
    g_string_append (out, "<redacted>");
    if (end > p && end[-1] == '\r')
      g_string_append_c (out, '\r');
    done = TRUE;
  }
  sdes_crypto_wipe (copy, (gsize) (end - p));
  g_free (copy);
  return done;
}

/**
 * sdes_crypto_redact_text:
 * @text: any text (an SDP body, a SIP message, a log line)
 *
 * Removes key material from @text, line by line:
 * - the value of every `a=crypto:` attribute is replaced by its redacted
 *   canonical form (or, when it does not parse, by tag, suite and
 *   `<redacted>`), so keys hidden in malformed or optional parameters go too;
 * - a line that is itself an a=crypto value gets the same treatment;
 * - elsewhere, everything after `inline:` up to whitespace, `|` or `;` is
 *   replaced by `<redacted>` (lifetime and MKI stay).
 * Matching is case-insensitive. Idempotent.
 *
 * Returns: (transfer full): the redacted copy.
 *
 * Since: 0.1
 */
gchar *
sdes_crypto_redact_text (const gchar *text)
{
  GString *out;
  const gchar *line;

  g_return_val_if_fail (text != NULL, NULL);
  out = g_string_sized_new (strlen (text) + 32);
  line = text;
  while (*line) {
    const gchar *nl = strchr (line, '\n');
    const gchar *end = nl ? nl : line + strlen (line);
    const gchar *attr = NULL;

    for (const gchar *q = line; end - q >= 9; q++)
      if (g_ascii_strncasecmp (q, "a=crypto:", 9) == 0) {
        attr = q;
        break;
      }
    /* An SDP a=crypto line; else a line that is an a=crypto value as a
     * whole (its optional parameters may contain "a=crypto:" themselves);
     * else an attribute inside other text, whose prefix still gets the
     * inline: rule. */
    if (attr == line) {
      g_string_append (out, "a=crypto:");
      redact_value (out, line + 9, end, TRUE);
    } else if (redact_value (out, line, end, FALSE)) {
      /* done */
    } else if (attr != NULL) {
      redact_inline (out, line, attr + 9);
      redact_value (out, attr + 9, end, TRUE);
    } else {
      redact_inline (out, line, end);
    }
    if (nl == NULL)
      break;
    g_string_append_c (out, '\n');
    line = nl + 1;
  }
  return g_string_free (out, FALSE);
}
