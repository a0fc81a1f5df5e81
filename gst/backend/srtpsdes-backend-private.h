/* srtpsdes — OpenSSL-backed crypto for libsrtp2 (internal)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <srtp2/cipher.h>
#include <srtp2/auth.h>

G_BEGIN_DECLS

/* The replacement types. Each one's test_data holds RFC known answers;
 * libsrtp2 runs them, and the stock type's, in srtp_replace_*_type(). */
G_GNUC_INTERNAL extern const srtp_cipher_type_t srtpsdes_ossl_aes_icm_128;
G_GNUC_INTERNAL extern const srtp_cipher_type_t srtpsdes_ossl_aes_icm_192;
G_GNUC_INTERNAL extern const srtp_cipher_type_t srtpsdes_ossl_aes_icm_256;
G_GNUC_INTERNAL extern const srtp_cipher_type_t srtpsdes_ossl_aes_gcm_128;
G_GNUC_INTERNAL extern const srtp_cipher_type_t srtpsdes_ossl_aes_gcm_256;
G_GNUC_INTERNAL extern const srtp_auth_type_t srtpsdes_ossl_hmac_sha1;

/* Live OpenSSL-backed contexts (ciphers plus auths), so tests can tell
 * which implementation a libsrtp2 session got. Counted at alloc/dealloc,
 * never per packet. */
G_GNUC_INTERNAL void srtpsdes_backend_context_created (void);
G_GNUC_INTERNAL void srtpsdes_backend_context_freed (void);
G_GNUC_INTERNAL gint srtpsdes_backend_count_live_contexts (void);

G_END_DECLS
