#ifndef MQCTL_TLS_SHIM_H
#define MQCTL_TLS_SHIM_H

#include <stddef.h>

/// A TLS session over a connected socket (OpenSSL underneath). Swift sees
/// only this opaque handle and plain C calls: OpenSSL's API is partly
/// macros, which Swift cannot call.
typedef struct mq_tls mq_tls;

/// What the client presents and trusts.
typedef struct {
    const char *ca_file;     /* PEM bundle of trusted CAs, or NULL */
    const char *ca_dir;      /* c_rehash'd directory of CAs, or NULL */
    const char *cert_file;   /* client certificate (mutual TLS), or NULL */
    const char *key_file;    /* its private key, or NULL */
    const char *server_name; /* SNI (skipped for IP addresses), or NULL */
    const char *verify_host; /* name or IP the certificate must match */
    int insecure;            /* 1: no certificate or host name check */
} mq_tls_options;

/// Result codes of read and write besides byte counts.
enum { MQ_TLS_ERROR = -1, MQ_TLS_TIMEOUT = -2 };

/// Runs the handshake on `fd` (non-blocking) within `timeout_ms`. NULL on
/// failure, with the reason in `error`.
mq_tls *mq_tls_connect(int fd, const mq_tls_options *options, int timeout_ms, char *error, size_t error_size);

/// Writes all of `bytes`: the count, MQ_TLS_TIMEOUT or MQ_TLS_ERROR.
long mq_tls_write(mq_tls *tls, const void *bytes, size_t count, int timeout_ms, char *error, size_t error_size);

/// Reads what is available, waiting up to `timeout_ms` for something: the
/// count, 0 when the peer closed, MQ_TLS_TIMEOUT or MQ_TLS_ERROR.
long mq_tls_read(mq_tls *tls, void *buffer, size_t capacity, int timeout_ms, char *error, size_t error_size);

/// Sends close_notify (best effort) and frees the session; the socket is
/// the caller's to close.
void mq_tls_free(mq_tls *tls);

#endif
