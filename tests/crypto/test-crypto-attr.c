/* srtpsdes — tests for the RFC 4568 a=crypto attribute: parse, format,
 * redaction, generation
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "sdes-crypto.h"

#define LIFETIME_2_20 G_GUINT64_CONSTANT (1048576)
#define LIFETIME_2_31 G_GUINT64_CONSTANT (2147483648)
#define LIFETIME_2_48 G_GUINT64_CONSTANT (281474976710656)

/* Key texts. Those from documents are used verbatim; the rest are base64 of
 * ASCII sentences of the right length, so a failure shows readable bytes. */
#define K_CISCO_OFFER "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHawJSoj"
#define K_CISCO_ANSWER "NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj"
#define K_RFC_S4 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define K_RFC_OFFER "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define K_RFC_F8_1 "MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm"
#define K_RFC_F8_2 "QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5"
#define K_YEALINK_1 "NzFINTUwZDk2OGVIOTc3YzNkYTkwZWVkMTM1YWFj"
#define K_YEALINK_2 "NzkyM2FjNzQ2ZDgxYjg0MzQwMGVmMGUxMzdmNWFm"
#define K_YEALINK_3 "NDIiMWIzZGE1ZTAwZjA5ZGFhNjQ5YmEANTMzYzA0"
#define K_YEALINK_ANSWER "NGY4OGViMDYzZjQzYTNiOTNkOWRiYzRIMjM0Yzcz"
#define K_AES192 "QUVTLTE5MiBtYXN0ZXIga2V5IGFuZCBzYWx0IDAxMjM0NTY3ODk="
#define K_AES192_NOPAD "QUVTLTE5MiBtYXN0ZXIga2V5IGFuZCBzYWx0IDAxMjM0NTY3ODk"
#define K_AES256 "QUVTLTI1NiBtYXN0ZXIga2V5IHBsdXMgbWFzdGVyIHNhbHQgMDEyMzQ1Njc4OQ=="
#define K_AES256_NOPAD "QUVTLTI1NiBtYXN0ZXIga2V5IHBsdXMgbWFzdGVyIHNhbHQgMDEyMzQ1Njc4OQ"
#define K_GCM128 "R0NNLTEyOCBrZXkgYW5kIHNhbHQgMDEyMzQ1Ng=="
#define K_GCM256 "R0NNLTI1NiBtYXN0ZXIga2V5IGFuZCBtYXN0ZXIgc2FsdCAwMTIzNDU2Nzg="
#define K_GCM256_NOPAD "R0NNLTI1NiBtYXN0ZXIga2V5IGFuZCBtYXN0ZXIgc2FsdCAwMTIzNDU2Nzg"
#define K_29 "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMc="
#define K_31 "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1Q=="
#define K_42 "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dzj6vH4/wYNFBsi"
#define K_30 "AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO"

#define AES80 "AES_CM_128_HMAC_SHA1_80"

/* ------------------------------------------------------------------------- */
/* Helpers                                                                    */
/* ------------------------------------------------------------------------- */

/* Fails when any 8-character run of any key text that follows "inline:" in
 * @line shows up in @text: error messages and redacted output must not leak
 * even part of a key. */
static void
assert_no_key_text (const gchar *text, const gchar *line)
{
  const gchar *p = line;

  g_assert_nonnull (text);
  while ((p = strcasestr (p, "inline:")) != NULL) {
    gsize n;

    p += strlen ("inline:");
    n = strcspn (p, "|; \r\n");
    for (gsize i = 0; i + 8 <= n; i++) {
      g_autofree gchar *window = g_strndup (p + i, 8);

      if (strstr (text, window) != NULL)
        g_error ("key text '%s' leaked into '%s'", window, text);
    }
    p += n;
  }
}

/* Same, for the key material of a parsed/generated attribute. */
static void
assert_attr_keys_absent (const gchar *text, const SdesCryptoAttr *attr)
{
  for (guint k = 0; k < attr->n_keys + attr->n_fec_keys; k++) {
    const SdesKeyParam *kp = k < attr->n_keys ? &attr->keys[k] : &attr->fec_keys[k - attr->n_keys];
    g_autofree gchar *b64 = g_base64_encode (kp->key_salt, kp->key_salt_len);
    g_autofree gchar *as_line = g_strconcat ("inline:", b64, NULL);

    assert_no_key_text (text, as_line);
  }
}

typedef struct {
  const gchar *b64; /* padded key||salt text */
  guint64 lifetime;
  guint lifetime_exp;
  guint64 mki_value;
  guint mki_length;
} ExpectedKey;

static void
assert_key_param (const SdesKeyParam *kp, const ExpectedKey *e)
{
  gsize len = 0;
  g_autofree guchar *raw = g_base64_decode (e->b64, &len);

  g_assert_cmpmem (kp->key_salt, kp->key_salt_len, raw, len);
  g_assert_cmpuint (kp->lifetime, ==, e->lifetime);
  g_assert_cmpuint (kp->lifetime_exp, ==, e->lifetime_exp);
  g_assert_cmpuint (kp->mki_value, ==, e->mki_value);
  g_assert_cmpuint (kp->mki_length, ==, e->mki_length);
}

/* format → parse → equal, and format is a fixed point. */
static void
assert_round_trips (const SdesCryptoAttr *attr)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = sdes_crypto_attr_format (attr);
  g_autoptr(SdesCryptoAttr) again = sdes_crypto_attr_parse (text, &error);
  g_autofree gchar *text2 = NULL;
  g_autofree gchar *redacted = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_true (sdes_crypto_attr_equal (attr, again));
  g_assert_true (sdes_crypto_attr_equal (again, attr));
  g_assert_true (sdes_crypto_attr_same_keys (attr, again));
  text2 = sdes_crypto_attr_format (again);
  g_assert_cmpstr (text2, ==, text);

  redacted = sdes_crypto_attr_format_redacted (again);
  g_assert_nonnull (strstr (redacted, "inline:<redacted>"));
  assert_attr_keys_absent (redacted, again);
}

/* ------------------------------------------------------------------------- */
/* Valid lines: documents' examples and every suite                           */
/* ------------------------------------------------------------------------- */

typedef struct {
  const gchar *path;
  const gchar *input;
  /* format() result: NULL when it equals @input without "a=crypto:" */
  const gchar *canonical;
  guint32 tag;
  SdesCryptoSuite suite;
  /* NULL: do not check (case-folded input, spelling is the table's) */
  const gchar *suite_name;
  guint n_keys;
  ExpectedKey keys[2];
  gint kdr_plus_1; /* KDR + 1, 0 when not given */
  gboolean unencrypted_srtp;
  gboolean unencrypted_srtcp;
  gboolean unauthenticated_srtp;
  SdesFecOrder fec_order;
  guint n_fec_keys;
  ExpectedKey fec_keys[1];
  guint64 wsh;
  const gchar *extensions[3];
} ValidCase;

#define KEY(b64, lt, exp, mki, mkilen) { b64, lt, exp, mki, mkilen }

static const ValidCase valid_cases[] = {
  /* Cisco "SIP Support for SRTP", "SDP Negotiation": the document breaks
   * each a=crypto over two lines; on the wire it is one line with one SP. */
  { .path = "cisco-offer",
    .input = "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" K_CISCO_OFFER "|2^20|1:32",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, .suite_name = "AES_CM_128_HMAC_SHA1_32",
    .n_keys = 1, .keys = { KEY (K_CISCO_OFFER, LIFETIME_2_20, 20, 1, 32) } },
  { .path = "cisco-answer",
    .input = "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" K_CISCO_ANSWER "|2^20|1:32",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, .suite_name = "AES_CM_128_HMAC_SHA1_32",
    .n_keys = 1, .keys = { KEY (K_CISCO_ANSWER, LIFETIME_2_20, 20, 1, 32) } },
  /* RFC 4568 §4 */
  { .path = "rfc4568-s4",
    .input = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_S4 "|2^20|1:32",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_S4, LIFETIME_2_20, 20, 1, 32) } },
  /* RFC 4568 §5.1, offer (without and with FEC_ORDER) and answer */
  { .path = "rfc4568-s5.1-offer",
    .input = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^20|1:4",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, LIFETIME_2_20, 20, 1, 4) } },
  { .path = "rfc4568-s5.1-offer-fec-order",
    .input = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^20|1:4 FEC_ORDER=FEC_SRTP",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, LIFETIME_2_20, 20, 1, 4) },
    .fec_order = SDES_FEC_ORDER_FEC_SRTP },
  /* RFC 4568 §5.1, second offered attribute: two master keys told apart by MKI */
  { .path = "rfc4568-s5.1-multi-key-f8",
    .input = "a=crypto:2 F8_128_HMAC_SHA1_80 inline:" K_RFC_F8_1 "|2^20|1:4;inline:" K_RFC_F8_2
             "|2^20|2:4 FEC_ORDER=FEC_SRTP",
    .tag = 2, .suite = SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80, .suite_name = "F8_128_HMAC_SHA1_80",
    .n_keys = 2, .keys = { KEY (K_RFC_F8_1, LIFETIME_2_20, 20, 1, 4), KEY (K_RFC_F8_2, LIFETIME_2_20, 20, 2, 4) },
    .fec_order = SDES_FEC_ORDER_FEC_SRTP },
  { .path = "rfc4568-s5.1-answer",
    .input = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_S4 "|2^20|1:4",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_S4, LIFETIME_2_20, 20, 1, 4) } },
  /* RFC 4568 §6.3.6 FEC_KEY (the Sofia-SIP torture SDP's line, with a legal WSH) */
  { .path = "fec-key",
    .input = "2 AES_CM_128_HMAC_SHA1_32 inline:" K_RFC_F8_2 "|2^20 FEC_KEY=inline:" K_RFC_F8_1 "|2^20|2:4 WSH=64",
    .tag = 2, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, .suite_name = "AES_CM_128_HMAC_SHA1_32",
    .n_keys = 1, .keys = { KEY (K_RFC_F8_2, LIFETIME_2_20, 20, 0, 0) },
    .n_fec_keys = 1, .fec_keys = { KEY (K_RFC_F8_1, LIFETIME_2_20, 20, 2, 4) }, .wsh = 64 },
  /* RFC 4568 §6.1: MKI without lifetime; decimal lifetime */
  { .path = "mki-without-lifetime-and-decimal-lifetime",
    .input = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_F8_2 "|2:18;inline:" K_RFC_F8_1
             "|21|3:18 KDR=23 UNENCRYPTED_SRTP FEC_ORDER=SRTP_FEC",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 2, .keys = { KEY (K_RFC_F8_2, 0, 0, 2, 18), KEY (K_RFC_F8_1, 21, 0, 3, 18) },
    .kdr_plus_1 = 24, .unencrypted_srtp = TRUE, .fec_order = SDES_FEC_ORDER_SRTP_FEC },
  /* Every session parameter at once, canonical order; "-" params kept */
  { .path = "all-session-params",
    .input = "7 AES_256_CM_HMAC_SHA1_32 inline:" K_AES256 "|2^31|7:1 KDR=0 UNENCRYPTED_SRTP UNENCRYPTED_SRTCP "
             "UNAUTHENTICATED_SRTP FEC_ORDER=FEC_SRTP FEC_KEY=inline:" K_AES256 " WSH=128 -FOO -BAR=baz",
    .tag = 7, .suite = SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_32, .suite_name = "AES_256_CM_HMAC_SHA1_32",
    .n_keys = 1, .keys = { KEY (K_AES256, LIFETIME_2_31, 31, 7, 1) },
    .kdr_plus_1 = 1, .unencrypted_srtp = TRUE, .unencrypted_srtcp = TRUE, .unauthenticated_srtp = TRUE,
    .fec_order = SDES_FEC_ORDER_FEC_SRTP, .n_fec_keys = 1, .fec_keys = { KEY (K_AES256, 0, 0, 0, 0) },
    .wsh = 128, .extensions = { "-FOO", "-BAR=baz", NULL } },
  /* Session params in another order are accepted; format() writes the canonical order */
  { .path = "session-params-any-order",
    .input = "3 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER " -X WSH=64 UNENCRYPTED_SRTCP KDR=24",
    .canonical = "3 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER " KDR=24 UNENCRYPTED_SRTCP WSH=64 -X",
    .tag = 3, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, 0, 0) },
    .kdr_plus_1 = 25, .unencrypted_srtcp = TRUE, .wsh = 64, .extensions = { "-X", NULL } },
  /* RFC 4568 §6.3.7: unknown session parameter with "-" is ignorable */
  { .path = "dash-extension-kept",
    .input = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER " -FOO",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, 0, 0) }, .extensions = { "-FOO", NULL } },
  /* Yealink "SRTP&TLS" ("Secure Real-Time Transport Protocol", the sample
   * INVITE): the suites it lists, with the keys as printed where they are
   * intact; line 3's "in line:" is repaired here and tested as printed
   * among the malformed lines. */
  { .path = "yealink-offer-1",
    .input = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K_YEALINK_1,
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_YEALINK_1, 0, 0, 0, 0) } },
  { .path = "yealink-offer-2-joined",
    .input = "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" K_YEALINK_2,
    .tag = 2, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32, .suite_name = "AES_CM_128_HMAC_SHA1_32",
    .n_keys = 1, .keys = { KEY (K_YEALINK_2, 0, 0, 0, 0) } },
  { .path = "yealink-offer-3-repaired",
    .input = "a=crypto:3 F8_128_HMAC_SHA1_80 inline:" K_YEALINK_3,
    .tag = 3, .suite = SDES_CRYPTO_SUITE_F8_128_HMAC_SHA1_80, .suite_name = "F8_128_HMAC_SHA1_80",
    .n_keys = 1, .keys = { KEY (K_YEALINK_3, 0, 0, 0, 0) } },
  { .path = "yealink-answer",
    .input = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K_YEALINK_ANSWER,
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_YEALINK_ANSWER, 0, 0, 0, 0) } },
  /* RFC 6188 and RFC 7714 suites, right key||salt lengths (38, 46, 28, 44) */
  { .path = "aes-192-80",
    .input = "4 AES_192_CM_HMAC_SHA1_80 inline:" K_AES192 "|2^48",
    .tag = 4, .suite = SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80, .suite_name = "AES_192_CM_HMAC_SHA1_80",
    .n_keys = 1, .keys = { KEY (K_AES192, LIFETIME_2_48, 48, 0, 0) } },
  { .path = "aes-192-32",
    .input = "5 AES_192_CM_HMAC_SHA1_32 inline:" K_AES192,
    .tag = 5, .suite = SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32, .suite_name = "AES_192_CM_HMAC_SHA1_32",
    .n_keys = 1, .keys = { KEY (K_AES192, 0, 0, 0, 0) } },
  { .path = "aes-256-80",
    .input = "6 AES_256_CM_HMAC_SHA1_80 inline:" K_AES256 "|281474976710656|255:1",
    .tag = 6, .suite = SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, .suite_name = "AES_256_CM_HMAC_SHA1_80",
    .n_keys = 1, .keys = { KEY (K_AES256, LIFETIME_2_48, 0, 255, 1) } },
  { .path = "aead-aes-128-gcm",
    .input = "8 AEAD_AES_128_GCM inline:" K_GCM128,
    .tag = 8, .suite = SDES_CRYPTO_SUITE_AEAD_AES_128_GCM, .suite_name = "AEAD_AES_128_GCM",
    .n_keys = 1, .keys = { KEY (K_GCM128, 0, 0, 0, 0) } },
  { .path = "aead-aes-256-gcm",
    .input = "9 AEAD_AES_256_GCM inline:" K_GCM256 "|2^31",
    .tag = 9, .suite = SDES_CRYPTO_SUITE_AEAD_AES_256_GCM, .suite_name = "AEAD_AES_256_GCM",
    .n_keys = 1, .keys = { KEY (K_GCM256, LIFETIME_2_31, 31, 0, 0) } },
  /* sipwise/rtpengine#1197, baresip/baresip#1233: unpadded base64 is
   * accepted, format() pads it. */
  { .path = "unpadded-base64-gcm-256",
    .input = "9 AEAD_AES_256_GCM inline:" K_GCM256_NOPAD,
    .canonical = "9 AEAD_AES_256_GCM inline:" K_GCM256,
    .tag = 9, .suite = SDES_CRYPTO_SUITE_AEAD_AES_256_GCM, .suite_name = "AEAD_AES_256_GCM",
    .n_keys = 1, .keys = { KEY (K_GCM256, 0, 0, 0, 0) } },
  { .path = "unpadded-base64-aes-256",
    .input = "1 AES_256_CM_HMAC_SHA1_80 inline:" K_AES256_NOPAD "|2^20",
    .canonical = "1 AES_256_CM_HMAC_SHA1_80 inline:" K_AES256 "|2^20",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, .suite_name = "AES_256_CM_HMAC_SHA1_80",
    .n_keys = 1, .keys = { KEY (K_AES256, LIFETIME_2_20, 20, 0, 0) } },
  { .path = "unpadded-base64-aes-192",
    .input = "1 AES_192_CM_HMAC_SHA1_80 inline:" K_AES192_NOPAD,
    .canonical = "1 AES_192_CM_HMAC_SHA1_80 inline:" K_AES192,
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_80, .suite_name = "AES_192_CM_HMAC_SHA1_80",
    .n_keys = 1, .keys = { KEY (K_AES192, 0, 0, 0, 0) } },
  /* sipwise/rtpengine#736, #703: legacy names map to RFC 6188, and the
   * spelling is kept so an answer echoes the offer. */
  { .path = "legacy-alias-aes-cm-256",
    .input = "1 AES_CM_256_HMAC_SHA1_80 inline:" K_AES256,
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80, .suite_name = "AES_CM_256_HMAC_SHA1_80",
    .n_keys = 1, .keys = { KEY (K_AES256, 0, 0, 0, 0) } },
  { .path = "legacy-alias-aes-cm-192",
    .input = "2 AES_CM_192_HMAC_SHA1_32 inline:" K_AES192,
    .tag = 2, .suite = SDES_CRYPTO_SUITE_AES_192_CM_HMAC_SHA1_32, .suite_name = "AES_CM_192_HMAC_SHA1_32",
    .n_keys = 1, .keys = { KEY (K_AES192, 0, 0, 0, 0) } },
  { .path = "legacy-alias-aes-128-cm",
    .input = "3 AES_128_CM_HMAC_SHA1_80 inline:" K_RFC_OFFER,
    .tag = 3, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = "AES_128_CM_HMAC_SHA1_80",
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, 0, 0) } },
  /* baresip/baresip#229 (tag 0 between baresip and Asterisk): tag 0 is
   * accepted on input */
  { .path = "tag-zero-accepted",
    .input = "0 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER,
    .tag = 0, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, 0, 0) } },
  /* RFC 4568 §9.1: tag = 1*9DIGIT */
  { .path = "tag-nine-digits",
    .input = "999999999 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER,
    .tag = 999999999, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, 0, 0) } },
  /* Lines copied from SDP keep their line end */
  { .path = "trailing-crlf",
    .input = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^20|1:4\r\n",
    .canonical = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^20|1:4",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, LIFETIME_2_20, 20, 1, 4) } },
  { .path = "trailing-lf",
    .input = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER " KDR=1\n",
    .canonical = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER " KDR=1",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, 0, 0) }, .kdr_plus_1 = 2 },
  /* RFC 4568 §9.1 ABNF: literal strings are case-insensitive */
  { .path = "case-insensitive-names",
    .input = "1 aes_cm_128_hmac_sha1_80 INLINE:" K_RFC_OFFER "|2^20|1:4 kdr=3 unencrypted_srtcp fec_order=srtp_fec Wsh=100",
    .canonical = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^20|1:4 KDR=3 UNENCRYPTED_SRTCP FEC_ORDER=SRTP_FEC WSH=100",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = NULL,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, LIFETIME_2_20, 20, 1, 4) },
    .kdr_plus_1 = 4, .unencrypted_srtcp = TRUE, .fec_order = SDES_FEC_ORDER_SRTP_FEC, .wsh = 100 },
  /* sipwise/rtpengine#966: Microsoft Direct Routing sends |2^31 */
  { .path = "lifetime-2-31",
    .input = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^31",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, LIFETIME_2_31, 31, 0, 0) } },
  /* RFC 4568 §9.1: fields are separated by 1*WSP (SP or HTAB) */
  { .path = "doubled-space-and-tab-between-fields",
    .input = "1  AES_CM_128_HMAC_SHA1_80\tinline:" K_RFC_OFFER "|2^20|1:4 \t KDR=1",
    .canonical = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^20|1:4 KDR=1",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, LIFETIME_2_20, 20, 1, 4) }, .kdr_plus_1 = 2 },
  /* Not in the §9.1 grammar, but tolerated like the trailing CRLF: text
   * pasted from SDP often carries stray blanks */
  { .path = "leading-and-trailing-whitespace-tolerated",
    .input = " \t1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER " \t",
    .canonical = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER,
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, 0, 0) } },
  /* RFC 4568 §6.1: MKI length up to 128 bytes; values up to 2^64-1 (header) */
  { .path = "mki-128-bytes-max-value",
    .input = "1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|18446744073709551615:128",
    .tag = 1, .suite = SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, .suite_name = AES80,
    .n_keys = 1, .keys = { KEY (K_RFC_OFFER, 0, 0, G_MAXUINT64, 128) } },
};

static void
test_parse_valid (gconstpointer data)
{
  const ValidCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = NULL;
  g_autofree gchar *formatted = NULL;
  g_autofree gchar *expected = NULL;
  g_autofree gchar *redacted = NULL;

  attr = sdes_crypto_attr_parse (c->input, &error);
  g_assert_no_error (error);
  g_assert_nonnull (attr);

  g_assert_cmpuint (attr->tag, ==, c->tag);
  g_assert_cmpint (attr->suite, ==, c->suite);
  if (c->suite_name != NULL)
    g_assert_cmpstr (attr->suite_name, ==, c->suite_name);
  else
    g_assert_cmpstr (attr->suite_name, ==, sdes_crypto_suite_to_string (c->suite));
  g_assert_cmpuint (attr->n_keys, ==, c->n_keys);
  for (guint i = 0; i < c->n_keys; i++)
    assert_key_param (&attr->keys[i], &c->keys[i]);
  g_assert_cmpint (attr->kdr, ==, c->kdr_plus_1 - 1);
  g_assert_cmpint (!!attr->unencrypted_srtp, ==, !!c->unencrypted_srtp);
  g_assert_cmpint (!!attr->unencrypted_srtcp, ==, !!c->unencrypted_srtcp);
  g_assert_cmpint (!!attr->unauthenticated_srtp, ==, !!c->unauthenticated_srtp);
  g_assert_cmpint (attr->fec_order, ==, c->fec_order);
  g_assert_cmpuint (attr->n_fec_keys, ==, c->n_fec_keys);
  for (guint i = 0; i < c->n_fec_keys; i++)
    assert_key_param (&attr->fec_keys[i], &c->fec_keys[i]);
  g_assert_cmpuint (attr->wsh, ==, c->wsh);
  if (c->extensions[0] == NULL) {
    g_assert_null (attr->extensions);
  } else {
    g_assert_nonnull (attr->extensions);
    g_assert_cmpuint (g_strv_length (attr->extensions), ==, g_strv_length ((gchar **) c->extensions));
    for (guint i = 0; c->extensions[i] != NULL; i++)
      g_assert_cmpstr (attr->extensions[i], ==, c->extensions[i]);
  }

  /* format() is the exact inverse for canonical input */
  if (c->canonical != NULL)
    expected = g_strdup (c->canonical);
  else if (g_str_has_prefix (c->input, "a=crypto:"))
    expected = g_strdup (c->input + strlen ("a=crypto:"));
  else
    expected = g_strdup (c->input);
  formatted = sdes_crypto_attr_format (attr);
  g_assert_cmpstr (formatted, ==, expected);

  assert_round_trips (attr);

  redacted = sdes_crypto_attr_format_redacted (attr);
  assert_no_key_text (redacted, c->input);
  assert_attr_keys_absent (redacted, attr);
}

/* RFC 4568 §6.1: 16 master keys (libsrtp2's limit) with 1-byte MKIs */
static void
test_parse_sixteen_key_params (void)
{
  g_autoptr(GString) line = g_string_new ("1 AES_CM_128_HMAC_SHA1_80 ");
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = NULL;
  g_autofree gchar *formatted = NULL;

  for (guint i = 1; i <= SDES_CRYPTO_MAX_KEYS; i++)
    g_string_append_printf (line, "%sinline:%s|2^20|%u:1", i > 1 ? ";" : "", i % 2 ? K_RFC_F8_1 : K_RFC_F8_2, i);
  attr = sdes_crypto_attr_parse (line->str, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (attr->n_keys, ==, SDES_CRYPTO_MAX_KEYS);
  for (guint i = 0; i < SDES_CRYPTO_MAX_KEYS; i++) {
    ExpectedKey e = KEY ((i + 1) % 2 ? K_RFC_F8_1 : K_RFC_F8_2, LIFETIME_2_20, 20, i + 1, 1);

    assert_key_param (&attr->keys[i], &e);
  }
  formatted = sdes_crypto_attr_format (attr);
  g_assert_cmpstr (formatted, ==, line->str);
}

/* ------------------------------------------------------------------------- */
/* Malformed lines                                                            */
/* ------------------------------------------------------------------------- */

typedef struct {
  const gchar *path;
  const gchar *line;
  SdesCryptoError code;
  guint column; /* 0: only check that some column is named */
} MalformedCase;

#define P128 "1 " AES80 " inline:" K_RFC_OFFER

static const MalformedCase malformed_cases[] = {
  /* structure (RFC 4568 §9.1) */
  { "empty", "", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  { "prefix-only", "a=crypto:", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  { "tag-only", "1", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  { "missing-key-params", "1 " AES80, SDES_CRYPTO_ERROR_SYNTAX, 0 },
  /* Cisco "SIP Support for SRTP", "SDP Negotiation", as printed, before
   * joining the line: key-params on the next line */
  { "cisco-line-without-key-params-as-printed", "a=crypto:1 AES_CM_128_HMAC_SHA1_32", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  /* Yealink "SRTP&TLS", sample line 2 as printed: split after the suite */
  { "yealink-line-split-after-suite-as-printed", "a=crypto:2 AES_CM_128_HMAC_SHA1_32", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  /* Yealink "SRTP&TLS", sample line 3 as printed: "in line: KEY" — the
   * key-method is "in" (RFC 4568 §9.1 key-method-ext), which is not "inline" */
  { "yealink-in-line-key-method-as-printed", "a=crypto:3 F8_128_HMAC_SHA1_80 in line: " K_YEALINK_3,
    SDES_CRYPTO_ERROR_BAD_KEY_METHOD, 32 },
  { "control-character", "1 AES_CM_128\001HMAC_SHA1_80 inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_SYNTAX, 0 },
  { "binary-bytes", P128 " \x01\x02\x7f\x1b[0m", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  { "crlf-in-middle", P128 "\r\nKDR=1", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  { "trailing-garbage-in-key-info", P128 "|2^20|1:4|junk", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  { "empty-key-param-after-semicolon", P128 "|1:4;", SDES_CRYPTO_ERROR_SYNTAX, 0 },
  /* tag: 1*9DIGIT */
  { "tag-with-letters", "x1 " AES80 " inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_BAD_TAG, 1 },
  { "tag-digits-then-letter", "1a " AES80 " inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_BAD_TAG, 1 },
  { "tag-of-ten-digits", "1234567890 " AES80 " inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_BAD_TAG, 1 },
  { "tag-negative", "-1 " AES80 " inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_BAD_TAG, 1 },
  { "tag-with-prefix-column", "a=crypto:x " AES80 " inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_BAD_TAG, 10 },
  /* suite */
  { "unknown-suite", "1 AES_CM_129_HMAC_SHA1_80 inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_UNKNOWN_SUITE, 3 },
  { "unknown-suite-with-prefix-column", "a=crypto:1 FOO inline:" K_RFC_OFFER, SDES_CRYPTO_ERROR_UNKNOWN_SUITE, 12 },
  /* signalwire/freeswitch#1251: _GCM_8 is not the 16-byte-tag suite */
  { "aead-aes-256-gcm-8-not-in-table", "1 AEAD_AES_256_GCM_8 inline:" K_GCM256, SDES_CRYPTO_ERROR_UNKNOWN_SUITE, 3 },
  /* key-method */
  { "key-method-inlin", "1 " AES80 " inlin:" K_RFC_OFFER, SDES_CRYPTO_ERROR_BAD_KEY_METHOD, 27 },
  { "key-method-uri", "1 " AES80 " uri:" K_RFC_OFFER, SDES_CRYPTO_ERROR_BAD_KEY_METHOD, 27 },
  /* base64 */
  { "bad-base64-character", "1 " AES80 " inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVub!Vz", SDES_CRYPTO_ERROR_BAD_BASE64, 0 },
  { "base64-padding-in-middle", "1 " AES80 " inline:WVNf=X19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", SDES_CRYPTO_ERROR_BAD_BASE64, 0 },
  { "base64-impossible-length", "1 " AES80 " inline:" K_RFC_OFFER "A", SDES_CRYPTO_ERROR_BAD_BASE64, 0 },
  /* key||salt length (RFC 4568 §6.2, RFC 6188, RFC 7714) */
  { "key-too-short-aes-128", "1 " AES80 " inline:" K_29, SDES_CRYPTO_ERROR_KEY_LENGTH, 0 },
  { "key-too-long-aes-128", "1 " AES80 " inline:" K_31, SDES_CRYPTO_ERROR_KEY_LENGTH, 0 },
  { "key-30-bytes-on-aes-256", "1 AES_256_CM_HMAC_SHA1_80 inline:" K_30, SDES_CRYPTO_ERROR_KEY_LENGTH, 0 },
  { "key-46-bytes-on-aes-192", "1 AES_192_CM_HMAC_SHA1_80 inline:" K_AES256, SDES_CRYPTO_ERROR_KEY_LENGTH, 0 },
  { "key-30-bytes-on-gcm-128", "1 AEAD_AES_128_GCM inline:" K_30, SDES_CRYPTO_ERROR_KEY_LENGTH, 0 },
  /* sipwise/rtpengine#1197: GCM-256 key||salt is 44 bytes, not 42 */
  { "key-42-bytes-on-gcm-256", "1 AEAD_AES_256_GCM inline:" K_42, SDES_CRYPTO_ERROR_KEY_LENGTH, 0 },
  { "fec-key-wrong-length", P128 " FEC_KEY=inline:" K_29, SDES_CRYPTO_ERROR_KEY_LENGTH, 0 },
  /* lifetime (RFC 4568 §6.1; Cisco Table 47: at most 2^48) */
  { "lifetime-zero", P128 "|0", SDES_CRYPTO_ERROR_BAD_LIFETIME, 0 },
  { "lifetime-2-abc", P128 "|2^abc", SDES_CRYPTO_ERROR_BAD_LIFETIME, 0 },
  { "lifetime-2-caret-only", P128 "|2^", SDES_CRYPTO_ERROR_BAD_LIFETIME, 0 },
  { "lifetime-3-caret-20", P128 "|3^20", SDES_CRYPTO_ERROR_BAD_LIFETIME, 0 },
  { "lifetime-letters", P128 "|abc", SDES_CRYPTO_ERROR_BAD_LIFETIME, 0 },
  { "lifetime-plus-sign", P128 "|+5", SDES_CRYPTO_ERROR_BAD_LIFETIME, 0 },
  { "lifetime-2-49", P128 "|2^49", SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE, 0 },
  { "lifetime-2-1000", P128 "|2^1000", SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE, 0 },
  { "lifetime-decimal-above-2-48", P128 "|281474976710657", SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE, 0 },
  { "lifetime-decimal-above-2-64", P128 "|99999999999999999999999", SDES_CRYPTO_ERROR_LIFETIME_TOO_LARGE, 0 },
  /* MKI (RFC 4568 §6.1: length 1..128 bytes) */
  { "mki-length-zero", P128 "|2^20|1:0", SDES_CRYPTO_ERROR_MKI_LENGTH, 0 },
  { "mki-length-129", P128 "|2^20|1:129", SDES_CRYPTO_ERROR_MKI_LENGTH, 0 },
  { "mki-value-does-not-fit-length", P128 "|256:1", SDES_CRYPTO_ERROR_BAD_MKI, 0 },
  { "mki-value-above-2-64", P128 "|18446744073709551616:128", SDES_CRYPTO_ERROR_BAD_MKI, 0 },
  { "mki-missing-length", P128 "|2^20|1:", SDES_CRYPTO_ERROR_BAD_MKI, 0 },
  { "mki-missing-value", P128 "|2^20|:4", SDES_CRYPTO_ERROR_BAD_MKI, 0 },
  { "mki-letters", P128 "|2^20|a:4", SDES_CRYPTO_ERROR_BAD_MKI, 0 },
  /* several key-params (RFC 4568 §6.1), each needing its own MKI: a peer
   * that accepts MKIs without implementing them decrypts noise
   * (asterisk/asterisk#825) */
  { "duplicate-mki", P128 "|1:4;inline:" K_RFC_F8_1 "|1:4", SDES_CRYPTO_ERROR_DUPLICATE_MKI, 0 },
  { "two-key-params-without-mki", P128 ";inline:" K_RFC_F8_1, SDES_CRYPTO_ERROR_MISSING_MKI, 0 },
  { "second-key-param-without-mki", P128 "|1:4;inline:" K_RFC_F8_1, SDES_CRYPTO_ERROR_MISSING_MKI, 0 },
  { "mismatched-mki-lengths", P128 "|1:4;inline:" K_RFC_F8_1 "|2:2", SDES_CRYPTO_ERROR_MKI_LENGTH_MISMATCH, 0 },
  /* the Sofia-SIP torture SDP's line: MKI lengths 18 and 4 */
  { "sofia-torture-mki-mismatch", "1 " AES80 " inline:" K_RFC_F8_2 "|2:18;inline:" K_RFC_F8_2
    "|21|3:4 KDR=23 FEC_ORDER=SRTP_FEC UNENCRYPTED_SRTP", SDES_CRYPTO_ERROR_MKI_LENGTH_MISMATCH, 0 },
  /* session params (RFC 4568 §6.3) */
  { "kdr-25", P128 " KDR=25", SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, 0 },
  { "kdr-x", P128 " KDR=x", SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, 0 },
  { "kdr-empty", P128 " KDR=", SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, 0 },
  { "wsh-10", P128 " WSH=10", SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, 0 },
  /* the Sofia-SIP torture SDP's WSH=60: below RFC 3711's minimum of 64 */
  { "wsh-60", "2 AES_CM_128_HMAC_SHA1_32 inline:" K_RFC_F8_2 "|2^20 FEC_KEY=inline:" K_RFC_F8_2 "|2^20|2:4 WSH=60",
    SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, 0 },
  { "fec-order-bogus", P128 " FEC_ORDER=BOGUS", SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, 0 },
  { "unencrypted-srtp-with-value", P128 " UNENCRYPTED_SRTP=1", SDES_CRYPTO_ERROR_BAD_SESSION_PARAM, 0 },
  { "fec-key-bad-method", P128 " FEC_KEY=uri:" K_RFC_F8_1, SDES_CRYPTO_ERROR_BAD_KEY_METHOD, 0 },
  { "duplicate-unencrypted-srtp", P128 " UNENCRYPTED_SRTP UNENCRYPTED_SRTP", SDES_CRYPTO_ERROR_DUPLICATE_SESSION_PARAM, 0 },
  { "duplicate-kdr", P128 " KDR=1 KDR=2", SDES_CRYPTO_ERROR_DUPLICATE_SESSION_PARAM, 0 },
  /* RFC 4568 §6.3.7: unknown mandatory parameter → attribute invalid */
  { "unknown-mandatory-param-foo", P128 " FOO", SDES_CRYPTO_ERROR_UNKNOWN_SESSION_PARAM, 0 },
  { "trailing-garbage-word", P128 "|2^20|1:4 garbage", SDES_CRYPTO_ERROR_UNKNOWN_SESSION_PARAM, 0 },
};

static void
test_parse_rejects (gconstpointer data)
{
  const MalformedCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = NULL;

  attr = sdes_crypto_attr_parse (c->line, &error);
  g_assert_null (attr);
  g_assert_error (error, SDES_CRYPTO_ERROR, (gint) c->code);
  g_test_message ("message: %s", error->message);

  /* the message names the field and where, never the key */
  assert_no_key_text (error->message, c->line);
  if (c->line[0] != '\0' && strcmp (c->line, "a=crypto:") != 0)
    g_assert_nonnull (strcasestr (error->message, "column"));
  if (c->column != 0) {
    g_autofree gchar *where = g_strdup_printf ("column %u", c->column);

    g_assert_nonnull (strcasestr (error->message, where));
  }
}

/* RFC 4568 §6.1 allows many master keys; libsrtp2 takes at most 16. */
static void
test_parse_rejects_seventeen_key_params (void)
{
  g_autoptr(GString) line = g_string_new ("1 AES_CM_128_HMAC_SHA1_80 ");
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = NULL;

  for (guint i = 1; i <= SDES_CRYPTO_MAX_KEYS + 1; i++)
    g_string_append_printf (line, "%sinline:%s|%u:1", i > 1 ? ";" : "", K_RFC_F8_1, i);
  attr = sdes_crypto_attr_parse (line->str, &error);
  g_assert_null (attr);
  g_assert_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_TOO_MANY_KEYS);
  assert_no_key_text (error->message, line->str);
}

/* A very long line (20000 session params) is refused cleanly, whatever the
 * code: no crash, no truncation into something valid. */
static void
test_parse_rejects_huge_line (void)
{
  g_autoptr(GString) line = g_string_new (P128);
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = NULL;

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (line, " UNENCRYPTED_SRTP -X%u", i);
  attr = sdes_crypto_attr_parse (line->str, &error);
  g_assert_null (attr);
  g_assert_nonnull (error);
  g_assert_true (error->domain == SDES_CRYPTO_ERROR);
  assert_no_key_text (error->message, line->str);
}

/* ------------------------------------------------------------------------- */
/* Randomised round trip                                                      */
/* ------------------------------------------------------------------------- */

static guint64
rand_u64 (void)
{
  return ((guint64) g_test_rand_int () << 32) ^ (guint32) g_test_rand_int ();
}

static guint64
rand_mki_value (guint mki_length)
{
  if (mki_length >= 8)
    return rand_u64 ();
  return rand_u64 () & ((G_GUINT64_CONSTANT (1) << (8 * mki_length)) - 1);
}

static guint64
rand_lifetime (void)
{
  switch (g_test_rand_int_range (0, 4)) {
  case 0:
    return 0;
  case 1: /* 2^n */
    return G_GUINT64_CONSTANT (1) << g_test_rand_int_range (1, 49);
  case 2: /* any decimal up to the maximum, including 2^48 itself */
    return 2 + rand_u64 () % (LIFETIME_2_48 - 1);
  default:
    return 2 + (guint64) g_test_rand_int_range (0, 100000);
  }
}

/* Key bytes come from the library (sdes_crypto_attr_generate); only the
 * choice of parameters is from the seedable test RNG. */
static SdesCryptoAttr *
random_attr (SdesCryptoSuite suite)
{
  g_autoptr(GError) error = NULL;
  SdesCryptoAttr *attr;
  guint32 tag = (guint32) g_test_rand_int_range (1, (gint32) SDES_CRYPTO_MAX_TAG) + (g_test_rand_bit () ? 1 : 0);
  guint64 lifetime = rand_lifetime ();
  guint mki_length = g_test_rand_bit () ? 0 : (guint) g_test_rand_int_range (1, 129);
  guint64 mki_value = mki_length ? rand_mki_value (mki_length) : 0;
  guint n_keys = mki_length ? (guint) g_test_rand_int_range (1, SDES_CRYPTO_MAX_KEYS + 1) : 1;
  const SdesCryptoSuiteInfo *info = sdes_crypto_suite_get_info (suite);

  /* room for the next MKI values when we add keys: they must fit and differ */
  if (mki_length > 0 && mki_length < 8) {
    guint64 max = (G_GUINT64_CONSTANT (1) << (8 * mki_length)) - 1;

    if (mki_value > max - SDES_CRYPTO_MAX_KEYS)
      mki_value = max - SDES_CRYPTO_MAX_KEYS;
  } else if (mki_length >= 8 && mki_value > G_MAXUINT64 - SDES_CRYPTO_MAX_KEYS) {
    mki_value = G_MAXUINT64 - SDES_CRYPTO_MAX_KEYS;
  }

  attr = sdes_crypto_attr_generate (suite, tag, lifetime, mki_length, mki_value, &error);
  g_assert_no_error (error);
  g_assert_nonnull (attr);
  g_assert_cmpuint (attr->n_keys, ==, 1);
  g_assert_cmpuint (attr->tag, ==, tag);
  g_assert_cmpint (attr->suite, ==, suite);
  g_assert_cmpstr (attr->suite_name, ==, info->name);
  g_assert_cmpuint (attr->keys[0].key_salt_len, ==, info->key_len + info->salt_len);
  g_assert_cmpuint (attr->keys[0].lifetime, ==, lifetime);
  g_assert_cmpuint (attr->keys[0].mki_length, ==, mki_length);
  g_assert_cmpuint (attr->keys[0].mki_value, ==, mki_value);

  /* more master keys: each from its own generate() call, next MKI value */
  for (guint i = 1; i < n_keys; i++) {
    g_autoptr(SdesCryptoAttr) more = sdes_crypto_attr_generate (suite, tag, rand_lifetime (), mki_length,
                                                                mki_value + i, &error);

    g_assert_no_error (error);
    attr->keys[i] = more->keys[0];
  }
  attr->n_keys = n_keys;

  if (g_test_rand_bit ())
    attr->kdr = g_test_rand_int_range (0, 25);
  attr->unencrypted_srtp = g_test_rand_bit ();
  attr->unencrypted_srtcp = g_test_rand_bit ();
  attr->unauthenticated_srtp = !info->aead && g_test_rand_bit ();
  attr->fec_order = (SdesFecOrder) g_test_rand_int_range (0, 3);
  if (g_test_rand_bit ())
    attr->wsh = 64 + (guint64) g_test_rand_int_range (0, 1 << 20);
  switch (g_test_rand_int_range (0, 3)) {
  case 1: {
    g_autoptr(SdesCryptoAttr) fec = sdes_crypto_attr_generate (suite, tag, rand_lifetime (), 0, 0, &error);

    g_assert_no_error (error);
    attr->fec_keys[0] = fec->keys[0];
    attr->n_fec_keys = 1;
    break;
  }
  case 2:
    for (guint i = 0; i < 2; i++) {
      g_autoptr(SdesCryptoAttr) fec = sdes_crypto_attr_generate (suite, tag, 0, 2, i + 1, &error);

      g_assert_no_error (error);
      attr->fec_keys[i] = fec->keys[0];
    }
    attr->n_fec_keys = 2;
    break;
  default:
    break;
  }
  if (g_test_rand_bit ()) {
    const gchar *const ext[] = { "-X-VENDOR", "-FOO=bar", NULL };

    attr->extensions = g_strdupv ((gchar **) ext);
  }
  return attr;
}

static void
test_roundtrip_random (gconstpointer data)
{
  SdesCryptoSuite suite = GPOINTER_TO_INT (data);
  guint iterations = g_test_slow () ? 400 : 40;

  for (guint i = 0; i < iterations; i++) {
    g_autoptr(SdesCryptoAttr) attr = random_attr (suite);
    g_autoptr(SdesCryptoAttr) copy = sdes_crypto_attr_copy (attr);
    g_autofree gchar *text = sdes_crypto_attr_format (attr);

    if (g_test_verbose ()) {
      g_autofree gchar *safe = sdes_crypto_attr_format_redacted (attr);

      g_test_message ("%s", safe);
    }
    assert_round_trips (attr);
    /* the "a=crypto:" form parses to the same attribute */
    {
      g_autofree gchar *with_prefix = g_strconcat ("a=crypto:", text, "\r\n", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(SdesCryptoAttr) again = sdes_crypto_attr_parse (with_prefix, &error);

      g_assert_no_error (error);
      g_assert_true (sdes_crypto_attr_equal (attr, again));
    }
    g_assert_true (sdes_crypto_attr_equal (attr, copy));
  }
}

/* ------------------------------------------------------------------------- */
/* Redaction                                                                  */
/* ------------------------------------------------------------------------- */

static void
test_redacted_format_exact (void)
{
  static const struct {
    const gchar *line;
    const gchar *redacted;
  } cases[] = {
    { "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" K_CISCO_OFFER "|2^20|1:32",
      "1 AES_CM_128_HMAC_SHA1_32 inline:<redacted>|2^20|1:32" },
    { "2 F8_128_HMAC_SHA1_80 inline:" K_RFC_F8_1 "|2^20|1:4;inline:" K_RFC_F8_2 "|2^20|2:4 FEC_ORDER=FEC_SRTP",
      "2 F8_128_HMAC_SHA1_80 inline:<redacted>|2^20|1:4;inline:<redacted>|2^20|2:4 FEC_ORDER=FEC_SRTP" },
    { "2 AES_CM_128_HMAC_SHA1_32 inline:" K_RFC_F8_2 "|2^20 FEC_KEY=inline:" K_RFC_F8_1 "|2^20|2:4 WSH=64",
      "2 AES_CM_128_HMAC_SHA1_32 inline:<redacted>|2^20 FEC_KEY=inline:<redacted>|2^20|2:4 WSH=64" },
    { "9 AEAD_AES_256_GCM inline:" K_GCM256_NOPAD " -FOO", "9 AEAD_AES_256_GCM inline:<redacted> -FOO" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(SdesCryptoAttr) attr = sdes_crypto_attr_parse (cases[i].line, &error);
    g_autofree gchar *redacted = NULL;

    g_assert_no_error (error);
    redacted = sdes_crypto_attr_format_redacted (attr);
    g_assert_cmpstr (redacted, ==, cases[i].redacted);
    assert_no_key_text (redacted, cases[i].line);
  }
}

/* Found by fuzz-crypto-attr: an ignorable "-" parameter (RFC 4568 §6.3.7) can
 * carry key text too (a vendor's "-FEC_KEY=inline:..."); the redacted form
 * must not echo it. format() keeps it verbatim. */
static void
test_redacted_format_redacts_keys_in_extensions (void)
{
  const gchar *line = "1 " AES80 " inline:" K_RFC_OFFER " -FEC_KEY=inline:" K_RFC_F8_1 " -X=inline:" K_RFC_OFFER;
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = sdes_crypto_attr_parse (line, &error);
  g_autofree gchar *formatted = NULL;
  g_autofree gchar *redacted = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (attr->extensions), ==, 2);
  formatted = sdes_crypto_attr_format (attr);
  g_assert_cmpstr (formatted, ==, line);
  redacted = sdes_crypto_attr_format_redacted (attr);
  assert_no_key_text (redacted, line);
  /* Optional parameters are opaque: only their names survive redaction. */
  g_assert_cmpstr (redacted, ==, "1 " AES80 " inline:<redacted> -FEC_KEY=<redacted> -X=<redacted>");
}

/* Found by libFuzzer: key text hidden after a second ':' in an optional
 * parameter escaped an inline:-based redactor. */
/* Found by libFuzzer: redact_text() on SDP whose optional parameter repeats
 * the key behind a mangled "inline" must still hide it; a=crypto values are
 * redacted as a whole, and unparsable ones keep only tag and suite. */
static void
test_redact_text_whole_crypto_values (void)
{
  const gchar *sdp = "m=audio 5004 RTP/SAVP 0\r\n"
      "a=crypto:1 " AES80 " inline:" K_RFC_OFFER " -X=inlineline:" K_RFC_OFFER "\r\n"
      "a=crypto:2 " AES80 " garbage" K_RFC_OFFER "\r\n"
      "1 " AES80 " inline:" K_RFC_OFFER " -Y=:" K_RFC_OFFER "\n";
  g_autofree gchar *red = sdes_crypto_redact_text (sdp);

  g_assert_null (strstr (red, K_RFC_OFFER));
  g_assert_cmpstr (red, ==, "m=audio 5004 RTP/SAVP 0\r\n"
      "a=crypto:1 " AES80 " inline:<redacted> -X=<redacted>\r\n"
      "a=crypto:2 " AES80 " <redacted>\r\n"
      "1 " AES80 " inline:<redacted> -Y=<redacted>\n");
}

static void
test_redacted_format_hides_extension_values (void)
{
  const gchar *line = "1 " AES80 " inline:" K_RFC_OFFER " -X=inline:WVNf:" K_RFC_OFFER " -Y";
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = sdes_crypto_attr_parse (line, &error);
  g_autofree gchar *redacted = NULL;

  g_assert_no_error (error);
  redacted = sdes_crypto_attr_format_redacted (attr);
  assert_no_key_text (redacted, line);
  g_assert_cmpstr (redacted, ==, "1 " AES80 " inline:<redacted> -X=<redacted> -Y");
}

#define SDP_HEAD \
  "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n" \
  "Content-Type: application/sdp\r\n" \
  "\r\n" \
  "v=0\r\n" \
  "o=- 1 1 IN IP4 127.0.0.1\r\n" \
  "s=-\r\n" \
  "c=IN IP4 127.0.0.1\r\n" \
  "t=0 0\r\n" \
  "m=audio 5004 RTP/SAVP 0\r\n"

static void
test_redact_text_sdp (void)
{
  /* Several a=crypto lines: multi-key, FEC_KEY, padded/unpadded, and a key
   * that ends the text. */
  const gchar *sdp =
    SDP_HEAD
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" K_RFC_OFFER "|2^20|1:4 FEC_ORDER=FEC_SRTP\r\n"
    "a=crypto:2 F8_128_HMAC_SHA1_80 inline:" K_RFC_F8_1 "|2^20|1:4;inline:" K_RFC_F8_2 "|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" K_CISCO_ANSWER "|2^20 FEC_KEY=inline:" K_CISCO_OFFER "|2^20|2:4 WSH=64\r\n"
    "a=crypto:4 AEAD_AES_256_GCM inline:" K_GCM256 "\r\n"
    "a=crypto:5 AES_256_CM_HMAC_SHA1_80 inline:" K_AES256 " -FOO\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 5006 RTP/SAVP 96\r\n"
    "a=crypto:1 AEAD_AES_256_GCM inline:" K_GCM256_NOPAD;
  const gchar *expected =
    SDP_HEAD
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>|2^20|1:4 FEC_ORDER=FEC_SRTP\r\n"
    "a=crypto:2 F8_128_HMAC_SHA1_80 inline:<redacted>|2^20|1:4;inline:<redacted>|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:<redacted>|2^20 FEC_KEY=inline:<redacted>|2^20|2:4 WSH=64\r\n"
    "a=crypto:4 AEAD_AES_256_GCM inline:<redacted>\r\n"
    "a=crypto:5 AES_256_CM_HMAC_SHA1_80 inline:<redacted> -FOO\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 5006 RTP/SAVP 96\r\n"
    "a=crypto:1 AEAD_AES_256_GCM inline:<redacted>";
  g_autofree gchar *redacted = sdes_crypto_redact_text (sdp);

  g_assert_cmpstr (redacted, ==, expected);
  assert_no_key_text (redacted, sdp);
}

static void
test_redact_text_is_case_insensitive (void)
{
  /* the parser accepts "INLINE:" (RFC 4568 §9.1 ABNF), so must the redactor */
  const gchar *text = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 INLINE:" K_RFC_OFFER "|2^20|1:4\r\n";
  g_autofree gchar *redacted = sdes_crypto_redact_text (text);

  assert_no_key_text (redacted, text);
  g_assert_nonnull (strstr (redacted, "|2^20|1:4\r\n"));
}

static void
test_redact_text_without_keys_is_unchanged (void)
{
  const gchar *texts[] = { "", "v=0\r\nm=audio 5004 RTP/AVP 0\r\n", "no keys here, inline text only" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autofree gchar *redacted = sdes_crypto_redact_text (texts[i]);

    g_assert_cmpstr (redacted, ==, texts[i]);
  }
}

/* ------------------------------------------------------------------------- */
/* Generation                                                                 */
/* ------------------------------------------------------------------------- */

static void
test_generate_keys_differ (void)
{
  for (guint s = 0; s < SDES_CRYPTO_SUITE_N; s++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(SdesCryptoAttr) a = sdes_crypto_attr_generate (s, 1, 0, 0, 0, &error);
    g_autoptr(SdesCryptoAttr) b = sdes_crypto_attr_generate (s, 1, 0, 0, 0, &error);
    const SdesCryptoSuiteInfo *info = sdes_crypto_suite_get_info (s);
    static const guint8 zero[SDES_CRYPTO_MAX_KEY_SALT_LEN] = { 0 };

    g_assert_no_error (error);
    g_assert_cmpuint (a->keys[0].key_salt_len, ==, info->key_len + info->salt_len);
    g_assert_cmpint (memcmp (a->keys[0].key_salt, b->keys[0].key_salt, a->keys[0].key_salt_len), !=, 0);
    g_assert_cmpint (memcmp (a->keys[0].key_salt, zero, a->keys[0].key_salt_len), !=, 0);
    g_assert_false (sdes_crypto_attr_equal (a, b));
    g_assert_false (sdes_crypto_attr_same_keys (a, b));
    /* the generated defaults: nothing but tag, suite and key */
    g_assert_cmpint (a->kdr, ==, -1);
    g_assert_false (a->unencrypted_srtp);
    g_assert_false (a->unencrypted_srtcp);
    g_assert_false (a->unauthenticated_srtp);
    g_assert_cmpint (a->fec_order, ==, SDES_FEC_ORDER_NONE);
    g_assert_cmpuint (a->n_fec_keys, ==, 0);
    g_assert_cmpuint (a->wsh, ==, 0);
    g_assert_null (a->extensions);
  }
}

static void
test_generate_writes_lifetime_as_given (void)
{
  static const struct {
    guint64 lifetime;
    guint exp;
    const gchar *text;
  } cases[] = {
    { LIFETIME_2_20, 20, "|2^20" },
    { LIFETIME_2_31, 31, "|2^31" },
    { LIFETIME_2_48, 48, "|2^48" },
    { 1000, 0, "|1000" },
    /* 1 = 2^0, but lifetime_exp 0 means decimal: it must come out as "1" */
    { 1, 0, "|1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(SdesCryptoAttr) attr =
      sdes_crypto_attr_generate (SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1, cases[i].lifetime, 4, 1, &error);
    g_autofree gchar *text = NULL;
    g_autofree gchar *tail = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (attr->keys[0].lifetime, ==, cases[i].lifetime);
    g_assert_cmpuint (attr->keys[0].lifetime_exp, ==, cases[i].exp);
    text = sdes_crypto_attr_format (attr);
    tail = g_strconcat (cases[i].text, "|1:4", NULL);
    g_assert_true (g_str_has_suffix (text, tail));
    assert_round_trips (attr);
  }
}

static void
test_generate_rejects_invalid_arguments (void)
{
  static const struct {
    const gchar *what;
    SdesCryptoSuite suite;
    guint32 tag;
    guint64 lifetime;
    guint mki_length;
    guint64 mki_value;
  } cases[] = {
    { "tag 0", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0, 0, 0, 0 },
    { "tag 1000000000", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, SDES_CRYPTO_MAX_TAG + 1, 0, 0, 0 },
    { "tag G_MAXUINT32", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, G_MAXUINT32, 0, 0, 0 },
    { "lifetime 2^48 + 1", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1, LIFETIME_2_48 + 1, 0, 0 },
    { "lifetime 2^49", SDES_CRYPTO_SUITE_AEAD_AES_256_GCM, 1, LIFETIME_2_48 * 2, 0, 0 },
    { "mki length 129", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1, 0, 129, 1 },
    { "mki value 256 in 1 byte", SDES_CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 1, 0, 1, 256 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(SdesCryptoAttr) attr = NULL;

    g_test_message ("%s", cases[i].what);
    attr = sdes_crypto_attr_generate (cases[i].suite, cases[i].tag, cases[i].lifetime, cases[i].mki_length,
                                      cases[i].mki_value, &error);
    g_assert_null (attr);
    g_assert_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_generate_rejects_unknown_suite_value (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = sdes_crypto_attr_generate (SDES_CRYPTO_SUITE_N, 1, 0, 0, 0, &error);

  g_assert_null (attr);
  g_assert_error (error, SDES_CRYPTO_ERROR, SDES_CRYPTO_ERROR_INVALID_ARGUMENT);
}

static void
test_generate_accepts_limits (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) attr = sdes_crypto_attr_generate (SDES_CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
                                                              SDES_CRYPTO_MAX_TAG, LIFETIME_2_48, 128, G_MAXUINT64,
                                                              &error);
  g_autofree gchar *text = NULL;

  g_assert_no_error (error);
  text = sdes_crypto_attr_format (attr);
  g_assert_true (g_str_has_prefix (text, "999999999 AES_256_CM_HMAC_SHA1_80 inline:"));
  g_assert_true (g_str_has_suffix (text, "|2^48|18446744073709551615:128"));
  assert_round_trips (attr);
}

/* What an answerer does (Cisco "SIP Support for SRTP", "SRTP Offer and
 * Answer Exchange": same tag and suite, its own key): only key bytes
 * change. */
static void
test_regenerate_keys_changes_only_keys (void)
{
  g_autoptr(GError) error = NULL;
  const gchar *offer = "2 F8_128_HMAC_SHA1_80 inline:" K_RFC_F8_1 "|2^20|1:4;inline:" K_RFC_F8_2
                       "|2^20|2:4 KDR=3 UNENCRYPTED_SRTCP FEC_ORDER=FEC_SRTP WSH=128 -FOO";
  g_autoptr(SdesCryptoAttr) attr = sdes_crypto_attr_parse (offer, &error);
  g_autoptr(SdesCryptoAttr) before = NULL;
  g_autofree gchar *redacted_before = NULL;
  g_autofree gchar *redacted_after = NULL;
  g_autofree gchar *text_after = NULL;

  g_assert_no_error (error);
  before = sdes_crypto_attr_copy (attr);
  redacted_before = sdes_crypto_attr_format_redacted (attr);

  g_assert_true (sdes_crypto_attr_regenerate_keys (attr, &error));
  g_assert_no_error (error);

  redacted_after = sdes_crypto_attr_format_redacted (attr);
  g_assert_cmpstr (redacted_after, ==, redacted_before);
  g_assert_cmpuint (attr->n_keys, ==, before->n_keys);
  for (guint i = 0; i < attr->n_keys; i++) {
    g_assert_cmpuint (attr->keys[i].key_salt_len, ==, before->keys[i].key_salt_len);
    g_assert_cmpint (memcmp (attr->keys[i].key_salt, before->keys[i].key_salt, attr->keys[i].key_salt_len), !=, 0);
    g_assert_cmpuint (attr->keys[i].lifetime, ==, before->keys[i].lifetime);
    g_assert_cmpuint (attr->keys[i].lifetime_exp, ==, before->keys[i].lifetime_exp);
    g_assert_cmpuint (attr->keys[i].mki_value, ==, before->keys[i].mki_value);
    g_assert_cmpuint (attr->keys[i].mki_length, ==, before->keys[i].mki_length);
  }
  g_assert_cmpuint (attr->tag, ==, before->tag);
  g_assert_cmpint (attr->suite, ==, before->suite);
  g_assert_cmpstr (attr->suite_name, ==, before->suite_name);
  g_assert_false (sdes_crypto_attr_equal (attr, before));
  g_assert_false (sdes_crypto_attr_same_keys (attr, before));

  text_after = sdes_crypto_attr_format (attr);
  assert_no_key_text (text_after, offer);
  assert_round_trips (attr);
}

static void
test_copy_is_deep_and_equal (void)
{
  g_autoptr(GError) error = NULL;
  const gchar *line = "7 AES_256_CM_HMAC_SHA1_32 inline:" K_AES256 "|2^31|7:1 KDR=0 FEC_KEY=inline:" K_AES256 " -FOO -BAR=baz";
  SdesCryptoAttr *attr = sdes_crypto_attr_parse (line, &error);
  g_autoptr(SdesCryptoAttr) copy = NULL;
  g_autoptr(SdesCryptoAttr) boxed = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *copy_text = NULL;

  g_assert_no_error (error);
  copy = sdes_crypto_attr_copy (attr);
  g_assert_true (copy != attr);
  g_assert_true (sdes_crypto_attr_equal (attr, copy));
  g_assert_true (sdes_crypto_attr_same_keys (attr, copy));
  g_assert_nonnull (copy->extensions);
  g_assert_true (copy->extensions != attr->extensions);
  g_assert_true (copy->extensions[0] != attr->extensions[0]);

  boxed = g_boxed_copy (SDES_TYPE_CRYPTO_ATTR, attr);
  g_assert_true (sdes_crypto_attr_equal (attr, boxed));

  text = sdes_crypto_attr_format (attr);
  /* the copy outlives the original (ASan/valgrind catch a shallow copy) */
  sdes_crypto_attr_free (attr);
  copy_text = sdes_crypto_attr_format (copy);
  g_assert_cmpstr (copy_text, ==, text);
  g_assert_cmpstr (copy->extensions[1], ==, "-BAR=baz");
}

/* same_keys compares suite + key material + MKIs, not the rest */
static void
test_same_keys_ignores_session_params (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SdesCryptoAttr) a = sdes_crypto_attr_parse ("1 " AES80 " inline:" K_RFC_OFFER "|2^20|1:4", &error);
  g_autoptr(SdesCryptoAttr) b = sdes_crypto_attr_parse ("5 " AES80 " inline:" K_RFC_OFFER "|2^20|1:4 KDR=2", &error);
  g_autoptr(SdesCryptoAttr) other_mki = sdes_crypto_attr_parse ("1 " AES80 " inline:" K_RFC_OFFER "|2^20|2:4", &error);
  g_autoptr(SdesCryptoAttr) other_key = sdes_crypto_attr_parse ("1 " AES80 " inline:" K_RFC_S4 "|2^20|1:4", &error);
  g_autoptr(SdesCryptoAttr) other_suite =
    sdes_crypto_attr_parse ("1 AES_CM_128_HMAC_SHA1_32 inline:" K_RFC_OFFER "|2^20|1:4", &error);

  g_assert_no_error (error);
  g_assert_false (sdes_crypto_attr_equal (a, b));
  g_assert_true (sdes_crypto_attr_same_keys (a, b));
  g_assert_false (sdes_crypto_attr_same_keys (a, other_mki));
  g_assert_false (sdes_crypto_attr_same_keys (a, other_key));
  g_assert_false (sdes_crypto_attr_same_keys (a, other_suite));
}

static void
test_error_quark_is_registered (void)
{
  g_assert_cmpstr (g_quark_to_string (SDES_CRYPTO_ERROR), !=, NULL);
  g_assert_cmpuint (SDES_CRYPTO_ERROR, !=, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (valid_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/crypto/parse/accepts-%s", valid_cases[i].path);

    g_test_add_data_func (path, &valid_cases[i], test_parse_valid);
  }
  g_test_add_func ("/crypto/parse/accepts-sixteen-key-params", test_parse_sixteen_key_params);

  for (guint i = 0; i < G_N_ELEMENTS (malformed_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/crypto/parse/rejects-%s", malformed_cases[i].path);

    g_test_add_data_func (path, &malformed_cases[i], test_parse_rejects);
  }
  g_test_add_func ("/crypto/parse/rejects-seventeen-key-params", test_parse_rejects_seventeen_key_params);
  g_test_add_func ("/crypto/parse/rejects-huge-line", test_parse_rejects_huge_line);

  for (guint s = 0; s < SDES_CRYPTO_SUITE_N; s++) {
    g_autofree gchar *path = g_strdup_printf ("/crypto/roundtrip/random/%s", sdes_crypto_suite_to_string (s));

    g_test_add_data_func (path, GINT_TO_POINTER (s), test_roundtrip_random);
  }

  g_test_add_func ("/crypto/redact/format-redacted-exact", test_redacted_format_exact);
  g_test_add_func ("/crypto/redact/format-redacted-redacts-keys-in-extensions",
                   test_redacted_format_redacts_keys_in_extensions);
  g_test_add_func ("/crypto/redact/format-redacted-hides-extension-values",
                   test_redacted_format_hides_extension_values);
  g_test_add_func ("/crypto/redact/text-redacts-whole-crypto-values",
                   test_redact_text_whole_crypto_values);
  g_test_add_func ("/crypto/redact/text-sdp-keeps-everything-but-keys", test_redact_text_sdp);
  g_test_add_func ("/crypto/redact/text-is-case-insensitive", test_redact_text_is_case_insensitive);
  g_test_add_func ("/crypto/redact/text-without-keys-is-unchanged", test_redact_text_without_keys_is_unchanged);

  g_test_add_func ("/crypto/generate/keys-differ", test_generate_keys_differ);
  g_test_add_func ("/crypto/generate/writes-lifetime-as-given", test_generate_writes_lifetime_as_given);
  g_test_add_func ("/crypto/generate/rejects-invalid-arguments", test_generate_rejects_invalid_arguments);
  g_test_add_func ("/crypto/generate/rejects-unknown-suite-value", test_generate_rejects_unknown_suite_value);
  g_test_add_func ("/crypto/generate/accepts-limits", test_generate_accepts_limits);
  g_test_add_func ("/crypto/generate/regenerate-keys-changes-only-keys", test_regenerate_keys_changes_only_keys);
  g_test_add_func ("/crypto/attr/copy-is-deep-and-equal", test_copy_is_deep_and_equal);
  g_test_add_func ("/crypto/attr/same-keys-ignores-session-params", test_same_keys_ignores_session_params);
  g_test_add_func ("/crypto/attr/error-quark-is-registered", test_error_quark_is_registered);

  return g_test_run ();
}
