/* srtpsdes — AES-ICM (RFC 3711 §4.1.1 "AES-CM") for libsrtp2 on OpenSSL
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libsrtp2 drives a cipher as: alloc (key length includes the 14-byte salt),
 * init (set key), then per packet set_iv (the 16-byte block of SSRC and
 * packet index, salt not yet applied) and one or more encrypt calls that
 * continue the same keystream. srtp_kdf uses the same type on an all-zero
 * buffer to derive session keys (RFC 3711 §4.3.3).
 *
 * The keystream is made by encrypting the counter blocks with one AES-ECB
 * call per packet: it is pipelined by AES-NI like CTR mode, but unlike
 * re-initialising an EVP CTR context for every packet it costs nothing per
 * IV. The counter semantics are libsrtp2's: only the low 16 bits count
 * blocks, and a request that would run past 0xffff fails with
 * srtp_err_status_terminus instead of carrying into the salted bits.
 */
#include "srtpsdes-backend-private.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define ICM_SALT_LEN 14
#define ICM_BLOCK 16
/* Keystream is produced in chunks of this many blocks (1 KiB on the stack);
 * a 1500-byte packet needs two. */
#define ICM_CHUNK_BLOCKS 64

typedef struct {
  srtp_cipher_t cipher;        /* what libsrtp2 holds; state points below */
  EVP_CIPHER_CTX *ecb;         /* key schedule; allocated at the first init */
  int aes_key_len;
  guint8 offset[ICM_BLOCK];    /* RFC 3711 §4.1.1: salt * 2^16 */
  guint8 counter[ICM_BLOCK];   /* next counter block */
  guint8 keystream[ICM_BLOCK]; /* last block, for a stream cut mid-block */
  guint keystream_left;
} IcmContext;

static const EVP_CIPHER *
icm_ecb_for_key_len (int aes_key_len)
{
  switch (aes_key_len) {
    case 16: return EVP_aes_128_ecb ();
    case 24: return EVP_aes_192_ecb ();
    case 32: return EVP_aes_256_ecb ();
    default: return NULL;
  }
}

/* Like libsrtp2's own OpenSSL and NSS backends, every AES-ICM type accepts
 * all three key lengths and the length picks the type. */
static srtp_err_status_t
icm_alloc (srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
  const srtp_cipher_type_t *type;
  IcmContext *ctx;

  if (cp == NULL)
    return srtp_err_status_bad_param;
  *cp = NULL;
  switch (key_len) {
    case SRTP_AES_ICM_128_KEY_LEN_WSALT:
      type = &srtpsdes_ossl_aes_icm_128;
      break;
    case SRTP_AES_ICM_192_KEY_LEN_WSALT:
      type = &srtpsdes_ossl_aes_icm_192;
      break;
    case SRTP_AES_ICM_256_KEY_LEN_WSALT:
      type = &srtpsdes_ossl_aes_icm_256;
      break;
    default:
      return srtp_err_status_bad_param;
  }

  ctx = g_try_new0 (IcmContext, 1);
  if (ctx == NULL)
    return srtp_err_status_alloc_fail;

  ctx->cipher.type = type;
  ctx->cipher.state = ctx;
  ctx->cipher.key_len = key_len;
  ctx->cipher.algorithm = type->id;
  ctx->aes_key_len = key_len - ICM_SALT_LEN;
  *cp = &ctx->cipher;
  srtpsdes_backend_context_created ();
  return srtp_err_status_ok;
}

static srtp_err_status_t
icm_dealloc (srtp_cipher_pointer_t cp)
{
  IcmContext *ctx;

  if (cp == NULL)
    return srtp_err_status_bad_param;
  ctx = cp->state;
  /* EVP_CIPHER_CTX_free() cleanses the key schedule; the salt, counter and
   * keystream tail are wiped with the rest of the struct. */
  EVP_CIPHER_CTX_free (ctx->ecb);
  OPENSSL_cleanse (ctx, sizeof (*ctx));
  g_free (ctx);
  srtpsdes_backend_context_freed ();
  return srtp_err_status_ok;
}

static srtp_err_status_t
icm_init (void *state, const uint8_t *key)
{
  IcmContext *ctx = state;

  if (ctx->ecb == NULL) {
    ctx->ecb = EVP_CIPHER_CTX_new ();
    if (ctx->ecb == NULL)
      return srtp_err_status_alloc_fail;
  }
  if (EVP_EncryptInit_ex (ctx->ecb, icm_ecb_for_key_len (ctx->aes_key_len),
          NULL, key, NULL) != 1)
    return srtp_err_status_init_fail;
  EVP_CIPHER_CTX_set_padding (ctx->ecb, 0);

  /* RFC 3711 §4.1.1: the 112-bit salt sits in the top bits, the low 16 bits
   * are the block counter. */
  memcpy (ctx->offset, key + ctx->aes_key_len, ICM_SALT_LEN);
  ctx->offset[14] = ctx->offset[15] = 0;
  memcpy (ctx->counter, ctx->offset, ICM_BLOCK);
  ctx->keystream_left = 0;
  return srtp_err_status_ok;
}

static srtp_err_status_t
icm_set_iv (void *state, uint8_t *iv, srtp_cipher_direction_t direction)
{
  IcmContext *ctx = state;
  guint i;

  for (i = 0; i < ICM_BLOCK; i++)
    ctx->counter[i] = ctx->offset[i] ^ iv[i];
  ctx->keystream_left = 0;
  return srtp_err_status_ok;
}

static inline void
icm_xor (guint8 *data, const guint8 *keystream, gsize len)
{
  gsize i = 0;

  for (; i + 8 <= len; i += 8) {
    guint64 d, k;

    memcpy (&d, data + i, 8);
    memcpy (&k, keystream + i, 8);
    d ^= k;
    memcpy (data + i, &d, 8);
  }
  for (; i < len; i++)
    data[i] ^= keystream[i];
}

static srtp_err_status_t
icm_encrypt (void *state, uint8_t *buf, unsigned int *octets)
{
  IcmContext *ctx = state;
  guint8 blocks[ICM_CHUNK_BLOCKS * ICM_BLOCK];
  gsize remaining = *octets;
  guint counter, needed;

  /* Finish the block a previous call stopped in. */
  while (remaining > 0 && ctx->keystream_left > 0) {
    *buf++ ^= ctx->keystream[ICM_BLOCK - ctx->keystream_left];
    ctx->keystream_left--;
    remaining--;
  }
  if (remaining == 0)
    return srtp_err_status_ok;

  counter = ((guint) ctx->counter[14] << 8) | ctx->counter[15];
  needed = (remaining + ICM_BLOCK - 1) / ICM_BLOCK;
  if (needed + counter > 0xffff)
    return srtp_err_status_terminus;

  while (remaining > 0) {
    guint n = MIN (needed, ICM_CHUNK_BLOCKS);
    gsize used = MIN (remaining, (gsize) n * ICM_BLOCK);
    int out_len = 0;
    guint b;

    for (b = 0; b < n; b++, counter++) {
      guint8 *block = blocks + b * ICM_BLOCK;

      memcpy (block, ctx->counter, 14);
      block[14] = counter >> 8;
      block[15] = counter & 0xff;
    }
    if (EVP_EncryptUpdate (ctx->ecb, blocks, &out_len, blocks,
            (int) (n * ICM_BLOCK)) != 1 || out_len != (int) (n * ICM_BLOCK))
      return srtp_err_status_cipher_fail;

    icm_xor (buf, blocks, used);
    if (used < (gsize) n * ICM_BLOCK) {
      /* Keep the tail of the last block for the next call. */
      memcpy (ctx->keystream, blocks + (n - 1) * ICM_BLOCK, ICM_BLOCK);
      ctx->keystream_left = n * ICM_BLOCK - used;
    }
    buf += used;
    remaining -= used;
    needed -= n;
  }

  ctx->counter[14] = counter >> 8;
  ctx->counter[15] = counter & 0xff;
  return srtp_err_status_ok;
}

/* RFC 3711 Appendix B.2: AES-CM keystream at counter 0000..0002 and, in the
 * second case, FEFF..FF01 (the IV's low 16 bits are the start block). */
static const guint8 b2_key[30] = {
  0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
  0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
  0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static guint8 b2_iv_zero[16];
static guint8 b2_iv_feff[16] = {
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff,
};
static const guint8 zeros_48[48];
static const guint8 b2_keystream_0000[48] = {
  0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
  0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
  0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
  0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
  0x41, 0xe9, 0x5b, 0x3b, 0xb0, 0xa2, 0xe8, 0xdd,
  0x47, 0x79, 0x01, 0xe4, 0xfc, 0xa8, 0x94, 0xc0,
};
static const guint8 b2_keystream_feff[48] = {
  0xec, 0x8c, 0xdf, 0x73, 0x98, 0x60, 0x7c, 0xb0,
  0xf2, 0xd2, 0x16, 0x75, 0xea, 0x9e, 0xa1, 0xe4,
  0x36, 0x2b, 0x7c, 0x3c, 0x67, 0x73, 0x51, 0x63,
  0x18, 0xa0, 0x77, 0xd7, 0xfc, 0x50, 0x73, 0xae,
  0x6a, 0x2c, 0xc3, 0x78, 0x78, 0x89, 0x37, 0x4f,
  0xbe, 0xb4, 0xc8, 0x1b, 0x17, 0xba, 0x6c, 0x44,
};

static const srtp_cipher_test_case_t icm_128_b2_feff = {
  30, b2_key, b2_iv_feff, 48, zeros_48, 48, b2_keystream_feff,
  0, NULL, 0, NULL,
};
static const srtp_cipher_test_case_t icm_128_b2 = {
  30, b2_key, b2_iv_zero, 48, zeros_48, 48, b2_keystream_0000,
  0, NULL, 0, &icm_128_b2_feff,
};

/* AES-192-CM: the known answer libsrtp2 ships for this type (no RFC gives a
 * 192-bit keystream); libsrtp2 also runs its own copy in replace. */
static const guint8 icm_192_key[38] = {
  0xea, 0xb2, 0x34, 0x76, 0x4e, 0x51, 0x7b, 0x2d,
  0x3d, 0x16, 0x0d, 0x58, 0x7d, 0x8c, 0x86, 0x21,
  0x97, 0x40, 0xf6, 0x5f, 0x99, 0xb6, 0xbc, 0xf7,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
  0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const guint8 icm_192_keystream[32] = {
  0x35, 0x09, 0x6c, 0xba, 0x46, 0x10, 0x02, 0x8d,
  0xc1, 0xb5, 0x75, 0x03, 0x80, 0x4c, 0xe3, 0x7c,
  0x5d, 0xe9, 0x86, 0x29, 0x1d, 0xcc, 0xe1, 0x61,
  0xd5, 0x16, 0x5e, 0xc4, 0x56, 0x8f, 0x5c, 0x9a,
};
static const srtp_cipher_test_case_t icm_192_case = {
  38, icm_192_key, b2_iv_zero, 32, zeros_48, 32, icm_192_keystream,
  0, NULL, 0, NULL,
};

/* RFC 6188 §7.1: AES-256-CM keystream. */
static const guint8 rfc6188_key[46] = {
  0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70,
  0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
  0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82,
  0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
  0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
  0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const guint8 rfc6188_keystream[32] = {
  0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25,
  0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
  0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6,
  0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
};
static const srtp_cipher_test_case_t icm_256_case = {
  46, rfc6188_key, b2_iv_zero, 32, zeros_48, 32, rfc6188_keystream,
  0, NULL, 0, NULL,
};

const srtp_cipher_type_t srtpsdes_ossl_aes_icm_128 = {
  icm_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt,
  icm_set_iv, NULL, "AES-128 counter mode (srtpsdes, OpenSSL)",
  &icm_128_b2, SRTP_AES_ICM_128,
};

const srtp_cipher_type_t srtpsdes_ossl_aes_icm_192 = {
  icm_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt,
  icm_set_iv, NULL, "AES-192 counter mode (srtpsdes, OpenSSL)",
  &icm_192_case, SRTP_AES_ICM_192,
};

const srtp_cipher_type_t srtpsdes_ossl_aes_icm_256 = {
  icm_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt,
  icm_set_iv, NULL, "AES-256 counter mode (srtpsdes, OpenSSL)",
  &icm_256_case, SRTP_AES_ICM_256,
};
