/* srtpsdes — HMAC-SHA1 (RFC 2104, RFC 3711 §4.2.1) for libsrtp2 on OpenSSL
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libsrtp2 drives an auth type as: alloc, init (set key; the context must be
 * ready to hash right away, its self-test computes without start), then per
 * packet start, update (the packet) and compute (the ROC, then the tag).
 *
 * The SHA-1 states after absorbing key^ipad and key^opad are computed once
 * per session key; a packet costs two struct copies and the SHA-1 blocks of
 * its data. This uses the SHA1_Init/Update/Final API, deprecated in OpenSSL
 * 3.0 but present throughout 3.x, on purpose: it is the only OpenSSL API
 * whose state can be copied without an allocation. EVP_MD_CTX_copy_ex() and
 * EVP_MAC_init() both re-allocate the provider context on every packet and
 * measured 27 % and 48 % slower for a 172-byte packet (docs/backend.md).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "srtpsdes-backend-private.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#define HMAC_BLOCK 64

typedef struct {
  srtp_auth_t auth;   /* what libsrtp2 holds; state points below */
  SHA_CTX inner;      /* SHA-1 state after key ^ ipad */
  SHA_CTX outer;      /* SHA-1 state after key ^ opad */
  SHA_CTX work;       /* the packet being authenticated */
} HmacContext;

static srtp_err_status_t
hmac_alloc (srtp_auth_pointer_t *ap, int key_len, int out_len)
{
  HmacContext *ctx;

  if (ap == NULL)
    return srtp_err_status_bad_param;
  *ap = NULL;
  if (key_len < 0 || out_len < 0 || out_len > SHA_DIGEST_LENGTH)
    return srtp_err_status_bad_param;

  ctx = g_try_new0 (HmacContext, 1);
  if (ctx == NULL)
    return srtp_err_status_alloc_fail;

  ctx->auth.type = &srtpsdes_ossl_hmac_sha1;
  ctx->auth.state = ctx;
  ctx->auth.out_len = out_len;
  ctx->auth.key_len = key_len;
  ctx->auth.prefix_len = 0;
  *ap = &ctx->auth;
  srtpsdes_backend_context_created ();
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_dealloc (srtp_auth_pointer_t ap)
{
  HmacContext *ctx;

  if (ap == NULL)
    return srtp_err_status_bad_param;
  ctx = ap->state;
  /* The three SHA-1 states are key material. */
  OPENSSL_cleanse (ctx, sizeof (*ctx));
  g_free (ctx);
  srtpsdes_backend_context_freed ();
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_init (void *state, const uint8_t *key, int key_len)
{
  HmacContext *ctx = state;
  guint8 block[HMAC_BLOCK] = { 0 };
  guint i;

  if (key_len < 0)
    return srtp_err_status_bad_param;
  /* RFC 2104 §2: a key longer than the block is hashed first. */
  if (key_len > HMAC_BLOCK)
    SHA1 (key, key_len, block);
  else if (key_len > 0)
    memcpy (block, key, key_len);

  for (i = 0; i < HMAC_BLOCK; i++)
    block[i] ^= 0x36;
  SHA1_Init (&ctx->inner);
  SHA1_Update (&ctx->inner, block, HMAC_BLOCK);
  for (i = 0; i < HMAC_BLOCK; i++)
    block[i] ^= 0x36 ^ 0x5c;
  SHA1_Init (&ctx->outer);
  SHA1_Update (&ctx->outer, block, HMAC_BLOCK);
  OPENSSL_cleanse (block, sizeof (block));

  ctx->work = ctx->inner;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_start (void *state)
{
  HmacContext *ctx = state;

  ctx->work = ctx->inner;
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_update (void *state, const uint8_t *buf, int octets)
{
  HmacContext *ctx = state;

  if (octets < 0)
    return srtp_err_status_bad_param;
  SHA1_Update (&ctx->work, buf, octets);
  return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_compute (void *state, const uint8_t *buf, int octets, int tag_len,
    uint8_t *tag)
{
  HmacContext *ctx = state;
  guint8 digest[SHA_DIGEST_LENGTH];

  if (octets < 0 || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH)
    return srtp_err_status_bad_param;
  SHA1_Update (&ctx->work, buf, octets);
  SHA1_Final (digest, &ctx->work);
  ctx->work = ctx->outer;
  SHA1_Update (&ctx->work, digest, SHA_DIGEST_LENGTH);
  SHA1_Final (digest, &ctx->work);
  memcpy (tag, digest, tag_len);
  return srtp_err_status_ok;
}

/* RFC 2202 §3: test cases 1, 2, 4, 6 and 7 (short, ASCII, 25-byte and
 * longer-than-block keys; data longer than a block). */
static const guint8 rfc2202_key_1[20] = {
  0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
  0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const guint8 rfc2202_tag_1[20] = {
  0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
  0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const guint8 rfc2202_tag_2[20] = {
  0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
  0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const guint8 rfc2202_key_4[25] = {
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
  0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
  0x15, 0x16, 0x17, 0x18, 0x19,
};
static const guint8 rfc2202_data_4[50] = {
  0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
  0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
  0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
  0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
  0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd, 0xcd,
};
static const guint8 rfc2202_tag_4[20] = {
  0x4c, 0x90, 0x07, 0xf4, 0x02, 0x62, 0x50, 0xc6, 0xbc, 0x84,
  0x14, 0xf9, 0xbf, 0x50, 0xc8, 0x6c, 0x2d, 0x72, 0x35, 0xda,
};
static const guint8 rfc2202_key_6[80] = {
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
  0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
};
static const guint8 rfc2202_tag_6[20] = {
  0xaa, 0x4a, 0xe5, 0xe1, 0x52, 0x72, 0xd0, 0x0e, 0x95, 0x70,
  0x56, 0x37, 0xce, 0x8a, 0x3b, 0x55, 0xed, 0x40, 0x21, 0x12,
};
static const guint8 rfc2202_tag_7[20] = {
  0xe8, 0xe9, 0x9d, 0x0f, 0x45, 0x23, 0x7d, 0x78, 0x6d, 0x6b,
  0xba, 0xa7, 0x96, 0x5c, 0x78, 0x08, 0xbb, 0xff, 0x1a, 0x91,
};
#define RFC2202_DATA_6 "Test Using Larger Than Block-Size Key - Hash Key First"
#define RFC2202_DATA_7 \
  "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"

static const srtp_auth_test_case_t rfc2202_case_7 = {
  80, rfc2202_key_6, sizeof (RFC2202_DATA_7) - 1,
  (const guint8 *) RFC2202_DATA_7, 20, rfc2202_tag_7, NULL,
};
static const srtp_auth_test_case_t rfc2202_case_6 = {
  80, rfc2202_key_6, sizeof (RFC2202_DATA_6) - 1,
  (const guint8 *) RFC2202_DATA_6, 20, rfc2202_tag_6, &rfc2202_case_7,
};
static const srtp_auth_test_case_t rfc2202_case_4 = {
  25, rfc2202_key_4, 50, rfc2202_data_4, 20, rfc2202_tag_4, &rfc2202_case_6,
};
static const srtp_auth_test_case_t rfc2202_case_2 = {
  4, (const guint8 *) "Jefe", 28,
  (const guint8 *) "what do ya want for nothing?", 20, rfc2202_tag_2,
  &rfc2202_case_4,
};
static const srtp_auth_test_case_t rfc2202_case_1 = {
  20, rfc2202_key_1, 8, (const guint8 *) "Hi There", 20, rfc2202_tag_1,
  &rfc2202_case_2,
};

const srtp_auth_type_t srtpsdes_ossl_hmac_sha1 = {
  hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
  "HMAC-SHA1 (srtpsdes, OpenSSL, precomputed pads)", &rfc2202_case_1,
  SRTP_HMAC_SHA1,
};
