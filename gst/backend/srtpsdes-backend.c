/* srtpsdes — OpenSSL-backed crypto for libsrtp2: registration
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "srtpsdes-backend.h"
#include "srtpsdes-backend-private.h"

#include <srtp2/srtp.h>

/* The process-wide outcome of the one registration. */
typedef struct {
  gboolean active;
  gboolean gcm_active;
  gboolean failed;
  SrtpSdesBackendError code;
  gchar *message;
} BackendState;

static BackendState backend_state;
static gint live_contexts;

G_DEFINE_QUARK (srtpsdes-backend-error-quark, srtpsdes_backend_error)

static const srtp_cipher_type_t *const icm_types[] = {
  &srtpsdes_ossl_aes_icm_128,
  &srtpsdes_ossl_aes_icm_192,
  &srtpsdes_ossl_aes_icm_256,
};

static const srtp_cipher_type_t *const gcm_types[] = {
  &srtpsdes_ossl_aes_gcm_128,
  &srtpsdes_ossl_aes_gcm_256,
};

/* Our own known answers first: if one fails nothing is replaced, so a broken
 * OpenSSL never leaves the process with a mix of implementations. */
static gboolean
self_test_all (const srtp_cipher_type_t *const *ciphers, guint n_ciphers,
    const srtp_auth_type_t *auth, GError **error)
{
  guint i;

  for (i = 0; i < n_ciphers; i++) {
    srtp_err_status_t status = srtp_cipher_type_self_test (ciphers[i]);

    if (status != srtp_err_status_ok) {
      g_set_error (error, SRTPSDES_BACKEND_ERROR,
          SRTPSDES_BACKEND_ERROR_SELF_TEST,
          "%s failed its known-answer test (libsrtp2 status %d)",
          ciphers[i]->description, (int) status);
      return FALSE;
    }
  }
  if (auth != NULL) {
    srtp_err_status_t status = srtp_auth_type_self_test (auth);

    if (status != srtp_err_status_ok) {
      g_set_error (error, SRTPSDES_BACKEND_ERROR,
          SRTPSDES_BACKEND_ERROR_SELF_TEST,
          "%s failed its known-answer test (libsrtp2 status %d)",
          auth->description, (int) status);
      return FALSE;
    }
  }
  return TRUE;
}

static void
set_replace_error (GError **error, const char *description,
    srtp_err_status_t status)
{
  /* srtp_replace_*_type() runs the stock type's vectors on ours; a failure
   * there is a known-answer failure too. */
  g_set_error (error, SRTPSDES_BACKEND_ERROR,
      status == srtp_err_status_algo_fail ? SRTPSDES_BACKEND_ERROR_SELF_TEST
      : SRTPSDES_BACKEND_ERROR_REPLACE,
      "libsrtp2 refused %s (libsrtp2 status %d)", description, (int) status);
}

static gboolean
replace_ciphers (const srtp_cipher_type_t *const *ciphers, guint n_ciphers,
    GError **error)
{
  guint i;

  for (i = 0; i < n_ciphers; i++) {
    srtp_err_status_t status =
        srtp_replace_cipher_type (ciphers[i], ciphers[i]->id);

    if (status != srtp_err_status_ok) {
      set_replace_error (error, ciphers[i]->description, status);
      return FALSE;
    }
  }
  return TRUE;
}

static void
record_failure (GError *error)
{
  backend_state.failed = TRUE;
  backend_state.code = error->code;
  backend_state.message = g_strdup (error->message);
}

static void
do_install (void)
{
  g_autoptr (GError) error = NULL;
  const char *choice = g_getenv ("SRTPSDES_CRYPTO_BACKEND");
  srtp_err_status_t status;

  /* The replacement must land in an initialised crypto kernel: one
   * initialised later would refuse to load its stock types over ours. A
   * repeated srtp_init() re-runs the kernel self-tests and then fails with
   * srtp_err_status_bad_param only because its debug module is already
   * loaded, so that status means "was initialised". */
  status = srtp_init ();
  if (status != srtp_err_status_ok && status != srtp_err_status_bad_param) {
    g_set_error (&error, SRTPSDES_BACKEND_ERROR,
        SRTPSDES_BACKEND_ERROR_SRTP_INIT, "srtp_init() failed (status %d)",
        (int) status);
    g_warning ("srtpsdes crypto backend not installed: %s", error->message);
    record_failure (error);
    return;
  }

  if (g_strcmp0 (choice, "stock") == 0) {
    g_message ("SRTPSDES_CRYPTO_BACKEND=stock: keeping libsrtp2's own crypto");
    return;
  }
  if (choice != NULL && g_strcmp0 (choice, "openssl") != 0)
    g_warning ("SRTPSDES_CRYPTO_BACKEND=%s is neither 'stock' nor 'openssl'; "
        "using 'openssl'", choice);

  if (!self_test_all (icm_types, G_N_ELEMENTS (icm_types),
          &srtpsdes_ossl_hmac_sha1, &error)) {
    g_warning ("srtpsdes crypto backend not installed, libsrtp2's own crypto "
        "stays in use: %s", error->message);
    record_failure (error);
    return;
  }

  if (!replace_ciphers (icm_types, G_N_ELEMENTS (icm_types), &error)) {
    g_warning ("srtpsdes crypto backend only partly installed: %s",
        error->message);
    record_failure (error);
    return;
  }
  status = srtp_replace_auth_type (&srtpsdes_ossl_hmac_sha1, SRTP_HMAC_SHA1);
  if (status != srtp_err_status_ok) {
    set_replace_error (&error, srtpsdes_ossl_hmac_sha1.description, status);
    g_warning ("srtpsdes crypto backend only partly installed: %s",
        error->message);
    record_failure (error);
    return;
  }
  backend_state.active = TRUE;

  /* AES-GCM is optional: a failure keeps libsrtp2's GCM and is only logged. */
  if (self_test_all (gcm_types, G_N_ELEMENTS (gcm_types), NULL, &error)
      && replace_ciphers (gcm_types, G_N_ELEMENTS (gcm_types), &error))
    backend_state.gcm_active = TRUE;
  else
    g_warning ("srtpsdes AES-GCM not installed, libsrtp2's own AES-GCM stays "
        "in use: %s", error->message);

  g_debug ("srtpsdes crypto backend installed: AES-CM 128/192/256, HMAC-SHA1, "
      "AES-GCM %s", backend_state.gcm_active ? "128/256" : "left to libsrtp2");
}

void
srtpsdes_backend_context_created (void)
{
  g_atomic_int_inc (&live_contexts);
}

void
srtpsdes_backend_context_freed (void)
{
  g_atomic_int_dec_and_test (&live_contexts);
}

gint
srtpsdes_backend_count_live_contexts (void)
{
  return g_atomic_int_get (&live_contexts);
}

static gpointer
install_once (gpointer data)
{
  do_install ();
  return NULL;
}

/**
 * srtpsdes_backend_install:
 * @error: (nullable): return location for a #GError, or %NULL
 *
 * Registers the OpenSSL implementations of libsrtp2's AES-ICM 128/192/256
 * cipher types, its HMAC-SHA1 auth type and its AES-GCM 128/256 cipher types,
 * process-wide. Only the first call does the work (thread-safe); later calls
 * return the same result. Calls srtp_init() first, which is harmless if the
 * caller already did.
 *
 * Each type must pass its own RFC known-answer tests (RFC 3711 B.2, RFC 6188
 * §7.1, RFC 2202, RFC 7714 §16/§17) and libsrtp2's vectors for the type it
 * replaces; if any AES-CM or HMAC test fails nothing is replaced and libsrtp2's
 * own implementation stays in use. With `SRTPSDES_CRYPTO_BACKEND=stock` in
 * the environment nothing is replaced and %TRUE is returned.
 *
 * Sessions created before the call keep the implementation they were created
 * with.
 *
 * Returns: %TRUE if the backend is installed or was deliberately left out;
 *   %FALSE with @error set (%SRTPSDES_BACKEND_ERROR_SRTP_INIT,
 *   %SRTPSDES_BACKEND_ERROR_SELF_TEST or %SRTPSDES_BACKEND_ERROR_REPLACE) if
 *   it could not be installed. libsrtp2 remains usable either way.
 *
 * Since: 0.1
 */
gboolean
srtpsdes_backend_install (GError **error)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, install_once, NULL);
  if (backend_state.failed) {
    g_set_error_literal (error, SRTPSDES_BACKEND_ERROR, backend_state.code,
        backend_state.message);
    return FALSE;
  }
  return TRUE;
}

/**
 * srtpsdes_backend_is_active:
 *
 * Returns: %TRUE if srtpsdes_backend_install() replaced libsrtp2's AES-CM and
 *   HMAC-SHA1 types in this process.
 *
 * Since: 0.1
 */
gboolean
srtpsdes_backend_is_active (void)
{
  return backend_state.active;
}

/**
 * srtpsdes_backend_gcm_is_active:
 *
 * Returns: %TRUE if srtpsdes_backend_install() also replaced libsrtp2's
 *   AES-GCM types in this process.
 *
 * Since: 0.1
 */
gboolean
srtpsdes_backend_gcm_is_active (void)
{
  return backend_state.gcm_active;
}
