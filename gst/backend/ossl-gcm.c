/* srtpsdes — AES-GCM (RFC 7714) for libsrtp2 on OpenSSL
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libsrtp2 drives an AEAD type as: alloc (key length includes the 12-byte
 * salt, which libsrtp2 itself folds into the IV), init (set key), then per
 * packet set_iv (12-byte IV and the direction), set_aad (one or more times),
 * and encrypt + get_tag, or decrypt over ciphertext-and-tag. The OpenSSL
 * context is created at the first init; set_iv only re-arms it.
 */
#include "srtpsdes-backend-private.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define GCM_IV_LEN 12
#define GCM_FULL_TAG 16

typedef struct {
  srtp_cipher_t cipher;  /* what libsrtp2 holds; state points below */
  EVP_CIPHER_CTX *ctx;   /* allocated at the first init */
  int aes_key_len;
  int tag_len;           /* 8 or 16 (RFC 7714 §14.2 allows both) */
  srtp_cipher_direction_t direction;
} GcmContext;

static srtp_err_status_t
gcm_alloc (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  const srtp_cipher_type_t *type;
  GcmContext *ctx;

  if (cp == NULL)
    return srtp_err_status_bad_param;
  *cp = NULL;
  switch (key_len) {
    case SRTP_AES_GCM_128_KEY_LEN_WSALT:
      type = &srtpsdes_ossl_aes_gcm_128;
      break;
    case SRTP_AES_GCM_256_KEY_LEN_WSALT:
      type = &srtpsdes_ossl_aes_gcm_256;
      break;
    default:
      return srtp_err_status_bad_param;
  }
  if (tag_len != 8 && tag_len != GCM_FULL_TAG)
    return srtp_err_status_bad_param;

  ctx = g_try_new0 (GcmContext, 1);
  if (ctx == NULL)
    return srtp_err_status_alloc_fail;
  ctx->cipher.type = type;
  ctx->cipher.state = ctx;
  ctx->cipher.key_len = key_len;
  ctx->cipher.algorithm = type->id;
  ctx->aes_key_len = key_len - SRTP_AEAD_SALT_LEN;
  ctx->tag_len = tag_len;
  *cp = &ctx->cipher;
  srtpsdes_backend_context_created ();
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_dealloc (srtp_cipher_pointer_t cp)
{
  GcmContext *ctx;

  if (cp == NULL)
    return srtp_err_status_bad_param;
  ctx = cp->state;
  /* EVP_CIPHER_CTX_free() cleanses the key schedule and GHASH key. */
  EVP_CIPHER_CTX_free (ctx->ctx);
  OPENSSL_cleanse (ctx, sizeof (*ctx));
  g_free (ctx);
  srtpsdes_backend_context_freed ();
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_init (void *state, const uint8_t *key)
{
  GcmContext *ctx = state;
  const EVP_CIPHER *evp =
      ctx->aes_key_len == 16 ? EVP_aes_128_gcm () : EVP_aes_256_gcm ();

  if (ctx->ctx == NULL) {
    ctx->ctx = EVP_CIPHER_CTX_new ();
    if (ctx->ctx == NULL)
      return srtp_err_status_alloc_fail;
  }
  /* Only the AES key: libsrtp2 XORs the salt into the IV (RFC 7714 §8.1). */
  if (EVP_CipherInit_ex (ctx->ctx, evp, NULL, key, NULL, 1) != 1)
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_set_iv (void *state, uint8_t *iv, srtp_cipher_direction_t direction)
{
  GcmContext *ctx = state;

  if (direction != srtp_direction_encrypt && direction != srtp_direction_decrypt)
    return srtp_err_status_bad_param;
  ctx->direction = direction;
  /* The default GCM IV length is 12, as RFC 7714 §8.1 needs. */
  if (EVP_CipherInit_ex (ctx->ctx, NULL, NULL, NULL, iv,
          direction == srtp_direction_encrypt) != 1)
    return srtp_err_status_init_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_set_aad (void *state, const uint8_t *aad, uint32_t aad_len)
{
  GcmContext *ctx = state;
  int out_len = 0;

  if (aad_len == 0)
    return srtp_err_status_ok;
  if (EVP_CipherUpdate (ctx->ctx, NULL, &out_len, aad, (int) aad_len) != 1)
    return srtp_err_status_algo_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_encrypt (void *state, uint8_t *buf, unsigned int *octets)
{
  GcmContext *ctx = state;
  int out_len = 0;

  if (ctx->direction != srtp_direction_encrypt)
    return srtp_err_status_bad_param;
  if (*octets == 0)
    return srtp_err_status_ok;
  if (EVP_CipherUpdate (ctx->ctx, buf, &out_len, buf, (int) *octets) != 1)
    return srtp_err_status_algo_fail;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_get_tag (void *state, uint8_t *buf, uint32_t *len)
{
  GcmContext *ctx = state;
  guint8 tag[GCM_FULL_TAG];
  int out_len = 0;

  if (EVP_CipherFinal_ex (ctx->ctx, NULL, &out_len) != 1
      || EVP_CIPHER_CTX_ctrl (ctx->ctx, EVP_CTRL_AEAD_GET_TAG, GCM_FULL_TAG,
          tag) != 1)
    return srtp_err_status_algo_fail;
  /* RFC 7714 §14.2: the 8-octet tag is the truncated 16-octet one. */
  memcpy (buf, tag, ctx->tag_len);
  *len = ctx->tag_len;
  return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_decrypt (void *state, uint8_t *buf, unsigned int *octets)
{
  GcmContext *ctx = state;
  unsigned int data_len;
  int out_len = 0;

  if (ctx->direction != srtp_direction_decrypt)
    return srtp_err_status_bad_param;
  if (*octets < (unsigned int) ctx->tag_len)
    return srtp_err_status_bad_param;
  data_len = *octets - ctx->tag_len;

  if (EVP_CIPHER_CTX_ctrl (ctx->ctx, EVP_CTRL_AEAD_SET_TAG, ctx->tag_len,
          buf + data_len) != 1)
    return srtp_err_status_algo_fail;
  if (data_len > 0
      && EVP_CipherUpdate (ctx->ctx, buf, &out_len, buf, (int) data_len) != 1)
    return srtp_err_status_algo_fail;
  if (EVP_CipherFinal_ex (ctx->ctx, NULL, &out_len) != 1)
    return srtp_err_status_auth_fail;
  *octets = data_len;
  return srtp_err_status_ok;
}

/* RFC 7714 §16.1.1 / §16.2.1: session key and salt, the IV derived from
 * them (SSRC 5501a0b2, ROC 0, SEQ f17b), the RTP header as AAD, "Gallia est
 * omnis divisa in partes tres" as plaintext, ciphertext and 16-octet tag. */
static const guint8 rfc7714_key_128[28] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
  0x51, 0x75, 0x69, 0x64, 0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f,
};
static const guint8 rfc7714_key_256[44] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
  0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
  0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
  0x51, 0x75, 0x69, 0x64, 0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f,
};
static guint8 rfc7714_iv[16] = {
  0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, 0x72, 0x6f, 0x20, 0x71, 0x84, 0x14,
};
static const guint8 rfc7714_aad[12] = {
  0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2,
};
#define RFC7714_PLAINTEXT "Gallia est omnis divisa in partes tres"
static const guint8 rfc7714_ct_128[38 + 16] = {
  0xf2, 0x4d, 0xe3, 0xa3, 0xfb, 0x34, 0xde, 0x6c, 0xac, 0xba, 0x86, 0x1c,
  0x9d, 0x7e, 0x4b, 0xca, 0xbe, 0x63, 0x3b, 0xd5, 0x0d, 0x29, 0x4e, 0x6f,
  0x42, 0xa5, 0xf4, 0x7a, 0x51, 0xc7, 0xd1, 0x9b, 0x36, 0xde, 0x3a, 0xdf,
  0x88, 0x33,
  0x89, 0x9d, 0x7f, 0x27, 0xbe, 0xb1, 0x6a, 0x91, 0x52, 0xcf, 0x76, 0x5e,
  0xe4, 0x39, 0x0c, 0xce,
};
static const guint8 rfc7714_ct_256[38 + 16] = {
  0x32, 0xb1, 0xde, 0x78, 0xa8, 0x22, 0xfe, 0x12, 0xef, 0x9f, 0x78, 0xfa,
  0x33, 0x2e, 0x33, 0xaa, 0xb1, 0x80, 0x12, 0x38, 0x9a, 0x58, 0xe2, 0xf3,
  0xb5, 0x0b, 0x2a, 0x02, 0x76, 0xff, 0xae, 0x0f, 0x1b, 0xa6, 0x37, 0x99,
  0xb8, 0x7b,
  0x7a, 0xa3, 0xdb, 0x36, 0xdf, 0xff, 0xd6, 0xb0, 0xf9, 0xbb, 0x78, 0x78,
  0xd7, 0xa7, 0x6c, 0x13,
};

/* The 8-octet tag variants are the same vectors, truncated (§14.2). */
static const srtp_cipher_test_case_t gcm_128_case_8 = {
  28, rfc7714_key_128, rfc7714_iv, 38, (const guint8 *) RFC7714_PLAINTEXT,
  38 + 8, rfc7714_ct_128, 12, rfc7714_aad, 8, NULL,
};
static const srtp_cipher_test_case_t gcm_128_case = {
  28, rfc7714_key_128, rfc7714_iv, 38, (const guint8 *) RFC7714_PLAINTEXT,
  38 + 16, rfc7714_ct_128, 12, rfc7714_aad, 16, &gcm_128_case_8,
};
static const srtp_cipher_test_case_t gcm_256_case_8 = {
  44, rfc7714_key_256, rfc7714_iv, 38, (const guint8 *) RFC7714_PLAINTEXT,
  38 + 8, rfc7714_ct_256, 12, rfc7714_aad, 8, NULL,
};
static const srtp_cipher_test_case_t gcm_256_case = {
  44, rfc7714_key_256, rfc7714_iv, 38, (const guint8 *) RFC7714_PLAINTEXT,
  38 + 16, rfc7714_ct_256, 12, rfc7714_aad, 16, &gcm_256_case_8,
};

const srtp_cipher_type_t srtpsdes_ossl_aes_gcm_128 = {
  gcm_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt,
  gcm_set_iv, gcm_get_tag, "AES-128 GCM (srtpsdes, OpenSSL)",
  &gcm_128_case, SRTP_AES_GCM_128,
};

const srtp_cipher_type_t srtpsdes_ossl_aes_gcm_256 = {
  gcm_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt,
  gcm_set_iv, gcm_get_tag, "AES-256 GCM (srtpsdes, OpenSSL)",
  &gcm_256_case, SRTP_AES_GCM_256,
};
