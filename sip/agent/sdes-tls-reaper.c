/* srtpsdes — freeing the TLS connection objects Sofia-SIP forgets
 *
 * Copyright (C) 2026 srtpsdes developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Sofia-SIP 1.12.11 as Debian ships it never frees the OpenSSL SSL object
 * of a TLS connection: tport_tls.c tls_free() calls SSL_shutdown() and
 * BIO_free() on the connection's socket BIO, but not SSL_free(). Every TLS
 * connection, accepted or opened, keeps ~30 KB until the process exits,
 * and nta opens one per 2xx retransmission to a caller that closed its
 * connection without ACK (RFC 3261 §13.3.1.4), so such callers can grow an
 * agent's heap at will.
 *
 * What is done here, with OpenSSL's public API only:
 *
 * - Every SSL object created in the process is seen when it is created
 *   (an ex_data index with a new callback, CRYPTO_get_ex_new_index(3)).
 *   It is Sofia's when its SSL_CTX's verify callback lies in
 *   libsofia-sip-ua (dladdr(3); Sofia always sets tls_verify_cb). Only
 *   those are tracked, with the identity of their socket (below). The
 *   free callback of the same index forgets any SSL object
 *   that is freed by someone else (a Sofia that does call SSL_free()).
 *
 * - Sofia is done with a connection's SSL object exactly when it closes
 *   the connection's socket: on every path (tport_close() through the TLS
 *   vtp_shutdown, tport_zap_secondary() through vtp_deinit_secondary)
 *   tls_free() runs before tport_cleanup() closes the socket, in the same
 *   call. So a tracked object whose descriptor no longer names its socket
 *   (fstat(2) fails, or gives another device and inode: closed, or reused
 *   by a newer connection or anything else) belongs to no connection any
 *   more.
 *
 * - Such an object is freed with SSL_free() after giving back the two
 *   references Sofia's tls_free() dropped that were not its own:
 *   - one of its socket BIO: SSL_set_bio(ssl, bio, bio) made the SSL
 *     object own two references to the BIO, and Sofia's BIO_free() dropped
 *     one of them, so SSL_free() (which frees the write and the read BIO)
 *     needs one back. The socket is BIO_NOCLOSE: nothing is closed twice;
 *   - one of the SSL_CTX: tls_init_secondary() copies the master's `type`
 *     into the connection's tls_t, so tls_free() takes every connection
 *     for a master and calls SSL_CTX_free() on the shared context; that
 *     balanced the reference SSL_new() took only because the SSL object
 *     was never freed. Without it the context would be freed while the
 *     listening transport still uses it (seen as a double free under
 *     AddressSanitizer). Should a Sofia keep its reference, the context
 *     is kept one reference too many: never freed, never freed early.
 *
 * - A connection whose TLS handshake has not finished HANDSHAKE_TIMEOUT_US
 *   after the SSL object was made is shut down (shutdown(2) on its socket;
 *   Sofia then sees end of stream and closes it the usual way). Sofia has
 *   no handshake timeout: a peer that accepts a connection and never
 *   answers the ClientHello (or connects and never sends one) held it,
 *   and every message queued on it, for as long as it liked. A socket is
 *   identified by the device and inode fstat(2) gave when its socket BIO
 *   was given the descriptor (BIO_new_socket(): socket BIOs get a BIO
 *   callback from their creation until BIO_set_fd(), an ex_data index on
 *   BIOs forgets them when they are freed), so a descriptor number that
 *   now names another socket is never touched, nor taken for closed.
 *
 * Sweeps may run on any thread: they read only what was recorded when an
 * object was made (its socket's descriptor and identity, taken from the
 * socket BIO Sofia made just before it on the same thread) and the state of
 * the descriptor, never the SSL object, which the thread that runs Sofia
 * may be using. An object is touched only once it is dead, i.e. after
 * Sofia's tls_free() and close(). Objects whose BIOs are not Sofia's shape
 * (one socket BIO for reading and writing) are never freed here. */

#include "sdes-tls-reaper.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

/* Long enough for connect(2)'s SYN retries (1 + 2 + 4 + 8 s) and a
 * handshake on a slow path; a loopback handshake takes milliseconds. */
#define HANDSHAKE_TIMEOUT_US (20 * G_USEC_PER_SEC)

typedef struct
{
  gint64 created;   /* monotonic */
  gboolean has_id;  /* the socket below is known */
  gint fd;          /* its socket BIO's descriptor */
  dev_t dev;        /* and that socket's identity (fstat) */
  ino_t ino;
  gint hs_done;     /* atomic: its first handshake finished */
  gboolean stopped; /* shut down for a stalled handshake */
} Tracked;

static GMutex reaper_lock;
static GHashTable *tracked;        /* SSL* -> Tracked*; under reaper_lock */
static int reaper_idx = -1;        /* our ex_data index: SSL -> Tracked* */

/* The socket BIO that was last given a descriptor on this thread: Sofia
 * makes a connection's SSL object right after it (tls_init_secondary()). */
typedef struct
{
  BIO *bio;
  gint fd;
  dev_t dev;
  ino_t ino;
} SocketId;
static GPrivate last_socket = G_PRIVATE_INIT (g_free);
static gpointer sofia_verify_cb;   /* Sofia's tls_verify_cb once recognised */

static gboolean
ctx_is_sofias (SSL_CTX *ctx)
{
  SSL_verify_cb cb = SSL_CTX_get_verify_callback (ctx);
  Dl_info info;

  if (cb == NULL)
    return FALSE;
  if ((gpointer) cb == g_atomic_pointer_get (&sofia_verify_cb))
    return TRUE;
  if (dladdr ((const void *) cb, &info) == 0 || info.dli_fname == NULL ||
      strstr (info.dli_fname, "libsofia-sip-ua") == NULL)
    return FALSE;
  g_atomic_pointer_set (&sofia_verify_cb, (gpointer) cb);
  return TRUE;
}

/* Handshake steps of a tracked object, on the thread that runs its Sofia. */
static void
ssl_info_cb (const SSL *ssl, int where, int ret)
{
  Tracked *t;

  (void) ret;
  if (!(where & SSL_CB_HANDSHAKE_DONE))
    return;
  t = SSL_get_ex_data (ssl, reaper_idx);
  /* A later renegotiation is not a stalled connection. */
  if (t != NULL)
    g_atomic_int_set (&t->hs_done, TRUE);
}

/* The callback of a socket BIO until it is given its descriptor: what that
 * socket is, while the descriptor surely names it. */
static long
bio_capture_cb (BIO *b, int oper, const char *argp, size_t len, int argi, long argl,
                int ret, size_t *processed)
{
  struct stat st;

  (void) len, (void) argl, (void) processed;
  if (oper & BIO_CB_RETURN)
    return ret;
  if (oper == BIO_CB_CTRL && argi == BIO_C_SET_FD && argp != NULL) {
    gint fd = *(const int *) argp;

    BIO_set_callback_ex (b, NULL);
    if (fstat (fd, &st) == 0 && S_ISSOCK (st.st_mode)) {
      SocketId *id = g_new (SocketId, 1);

      id->bio = b;
      id->fd = fd;
      id->dev = st.st_dev;
      id->ino = st.st_ino;
      g_private_replace (&last_socket, id);
    }
  }
  return 1;
}

static void
bio_new_cb (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  BIO *b = parent;

  (void) ptr, (void) ad, (void) idx, (void) argl, (void) argp;
  if (BIO_method_type (b) == BIO_TYPE_SOCKET)
    BIO_set_callback_ex (b, bio_capture_cb);
}

static void
bio_free_cb (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  SocketId *id = g_private_get (&last_socket);

  (void) ptr, (void) ad, (void) idx, (void) argl, (void) argp;
  if (id != NULL && id->bio == parent)
    g_private_replace (&last_socket, NULL);
}

static void
ssl_new_cb (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  SSL *ssl = parent;
  SSL_CTX *ctx = SSL_get_SSL_CTX (ssl);
  Tracked *t;

  (void) ptr, (void) ad, (void) idx, (void) argl, (void) argp;
  if (ctx == NULL || !ctx_is_sofias (ctx))
    return;
  t = g_new0 (Tracked, 1);
  t->created = g_get_monotonic_time ();
  t->fd = -1;
  {
    SocketId *id = g_private_get (&last_socket);

    if (id != NULL) {
      t->has_id = TRUE;
      t->fd = id->fd;
      t->dev = id->dev;
      t->ino = id->ino;
      g_private_replace (&last_socket, NULL);
    }
  }
  CRYPTO_set_ex_data (ad, idx, t);
  SSL_set_info_callback (ssl, ssl_info_cb);
  g_mutex_lock (&reaper_lock);
  g_hash_table_insert (tracked, ssl, t);
  g_mutex_unlock (&reaper_lock);
}

static void
ssl_free_cb (void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
  (void) ptr, (void) ad, (void) idx, (void) argl, (void) argp;
  g_mutex_lock (&reaper_lock);
  g_hash_table_remove (tracked, parent);
  g_mutex_unlock (&reaper_lock);
}

void
_sdes_tls_reaper_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    g_mutex_lock (&reaper_lock);
    tracked = g_hash_table_new_full (NULL, NULL, NULL, g_free);
    g_mutex_unlock (&reaper_lock);
    if (CRYPTO_get_ex_new_index (CRYPTO_EX_INDEX_BIO, 0, NULL, bio_new_cb, NULL,
                                 bio_free_cb) < 0)
      g_warning ("OpenSSL gave no ex_data index for BIOs: stalled TLS handshakes "
                 "will not be shut down");
    reaper_idx = CRYPTO_get_ex_new_index (CRYPTO_EX_INDEX_SSL, 0, NULL, ssl_new_cb, NULL,
                                          ssl_free_cb);
    if (reaper_idx < 0)
      g_warning ("OpenSSL gave no ex_data index: TLS connection objects Sofia-SIP "
                 "does not free will not be freed either");
    g_once_init_leave (&once, 1);
  }
}

/* Is the SSL object Sofia's shape, one socket BIO for reading and
 * writing? Only called on objects no thread uses any more. */
static gboolean
ssl_has_socket_bio (SSL *ssl)
{
  BIO *rbio = SSL_get_rbio (ssl);

  return rbio != NULL && rbio == SSL_get_wbio (ssl) && BIO_method_type (rbio) == BIO_TYPE_SOCKET;
}

/* Is @t's descriptor still its socket? FALSE once it is closed, or names
 * another socket (a newer connection's, or anything else's). */
static gboolean
fd_is_own_socket (const Tracked *t)
{
  struct stat st;

  return fstat (t->fd, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino;
}

guint
_sdes_tls_reaper_sweep (guint *left)
{
  g_autoptr (GPtrArray) dead = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();
  guint still = 0, stalled = 0;

  g_mutex_lock (&reaper_lock);
  if (tracked == NULL) {
    g_mutex_unlock (&reaper_lock);
    if (left != NULL)
      *left = 0;
    return 0;
  }
  /* Only the Tracked records and the descriptors are read here, never the
   * SSL objects: the thread that runs Sofia may be using them. */
  g_hash_table_iter_init (&iter, tracked);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Tracked *t = value;

    if (!t->has_id) {
      still++;
      continue;
    }
    if (!fd_is_own_socket (t)) {
      g_ptr_array_add (dead, key);
      g_hash_table_iter_remove (&iter);
      continue;
    }
    still++;
    if (!t->stopped && !g_atomic_int_get (&t->hs_done) &&
        now - t->created > HANDSHAKE_TIMEOUT_US) {
      /* Sofia reads end of stream on it and closes it; a later sweep
       * frees the object. */
      shutdown (t->fd, SHUT_RDWR);
      t->stopped = TRUE;
      stalled++;
    }
  }
  g_mutex_unlock (&reaper_lock);

  /* Outside the lock: SSL_free() calls ssl_free_cb. */
  for (guint i = 0; i < dead->len; i++) {
    SSL *ssl = g_ptr_array_index (dead, i);

    if (!ssl_has_socket_bio (ssl)) {
      g_warning ("a TLS connection object of Sofia-SIP is not of the expected shape; "
                 "it is left allocated");
      continue;
    }
    BIO_up_ref (SSL_get_rbio (ssl));
    SSL_CTX_up_ref (SSL_get_SSL_CTX (ssl));
    SSL_free (ssl);
  }
  if (dead->len > 0 || stalled > 0)
    g_debug ("freed %u TLS connection objects Sofia-SIP left behind (%u still in use); "
             "shut down %u connections whose handshake stalled", dead->len, still, stalled);
  if (left != NULL)
    *left = still;
  return dead->len;
}
