/* srtpsdes — OpenSSL-backed crypto for libsrtp2
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SECTION:srtpsdes-backend
 * @title: Crypto backend
 * @short_description: OpenSSL implementations of libsrtp2's AES-CM and HMAC-SHA1
 *
 * Debian's libsrtp2 is built against NSS, which sets up a fresh NSS context
 * for every packet. srtpsdes_backend_install() registers OpenSSL-backed
 * implementations of libsrtp2's AES-ICM (128/192/256) cipher types and its
 * HMAC-SHA1 auth type with srtp_replace_cipher_type() and
 * srtp_replace_auth_type(), keeping all of libsrtp2's protocol logic (key
 * derivation, ROC, replay list, MKI, policies).
 *
 * The replacement is process-wide: every libsrtp2 session created afterwards
 * in the process, including those of the stock srtpenc/srtpdec elements,
 * uses it. Sessions created earlier keep the implementation they were
 * created with. Set the environment variable `SRTPSDES_CRYPTO_BACKEND=stock`
 * to keep libsrtp2's own implementation.
 *
 * ## Example
 * |[<!-- language="C" -->
 * g_autoptr (GError) error = NULL;
 *
 * if (!srtpsdes_backend_install (&error))
 *   g_message ("using libsrtp2's own crypto: %s", error->message);
 * ]|
 */

/**
 * SRTPSDES_BACKEND_ERROR:
 *
 * Error domain of srtpsdes_backend_install(). Errors in this domain are from
 * the #SrtpSdesBackendError enumeration.
 *
 * Since: 0.1
 */
#define SRTPSDES_BACKEND_ERROR (srtpsdes_backend_error_quark ())

/**
 * SrtpSdesBackendError:
 * @SRTPSDES_BACKEND_ERROR_SRTP_INIT: srtp_init() failed, so nothing could be
 *   registered.
 * @SRTPSDES_BACKEND_ERROR_SELF_TEST: an OpenSSL implementation failed a
 *   known-answer test (its own or libsrtp2's); libsrtp2's own implementation
 *   of that type stays in use.
 * @SRTPSDES_BACKEND_ERROR_REPLACE: libsrtp2 refused the replacement; its own
 *   implementation stays in use.
 *
 * Error codes of #SRTPSDES_BACKEND_ERROR.
 *
 * Since: 0.1
 */
typedef enum {
  SRTPSDES_BACKEND_ERROR_SRTP_INIT,
  SRTPSDES_BACKEND_ERROR_SELF_TEST,
  SRTPSDES_BACKEND_ERROR_REPLACE,
} SrtpSdesBackendError;

GQuark   srtpsdes_backend_error_quark (void);

gboolean srtpsdes_backend_install     (GError **error);

gboolean srtpsdes_backend_is_active   (void);

gboolean srtpsdes_backend_gcm_is_active (void);

G_END_DECLS
