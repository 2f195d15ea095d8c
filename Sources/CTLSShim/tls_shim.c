#include "tls_shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct mq_tls {
    SSL_CTX *context;
    SSL *ssl;
    int fd;
};

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/// The first queued OpenSSL error, or `fallback`, into `error`.
static void describe(char *error, size_t size, const char *what, const char *fallback) {
    unsigned long code = ERR_get_error();
    char reason[256];
    if (code != 0) {
        ERR_error_string_n(code, reason, sizeof reason);
    } else {
        snprintf(reason, sizeof reason, "%s", fallback);
    }
    snprintf(error, size, "%s: %s", what, reason);
    ERR_clear_error();
}

/// Waits for the socket as OpenSSL asked (SSL_ERROR_WANT_READ or _WRITE).
/// 1 ready, 0 timed out, -1 error.
static int wait_for(int fd, int want, long long deadline) {
    struct pollfd p = { .fd = fd, .events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN };
    for (;;) {
        long long left = deadline - now_ms();
        if (left < 0) left = 0;
        int rc = poll(&p, 1, (int)left);
        if (rc > 0) return 1;
        if (rc == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

static int is_ip(const char *host) {
    unsigned char address[16];
    return inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
}

mq_tls *mq_tls_connect(int fd, const mq_tls_options *options, int timeout_ms, char *error, size_t error_size) {
    mq_tls *tls = calloc(1, sizeof *tls);
    if (!tls) { snprintf(error, error_size, "out of memory"); return NULL; }
    tls->fd = fd;
    /* Non-blocking, so every step waits in poll() with the deadline and a
       server that never answers the handshake cannot hang us. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    tls->context = SSL_CTX_new(TLS_client_method());
    if (!tls->context) { describe(error, error_size, "cannot create a TLS context", "unknown"); goto fail; }
    SSL_CTX_set_min_proto_version(tls->context, TLS1_2_VERSION);

    if (options->insecure) {
        SSL_CTX_set_verify(tls->context, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(tls->context, SSL_VERIFY_PEER, NULL);
        if (options->ca_file || options->ca_dir) {
            if (SSL_CTX_load_verify_locations(tls->context, options->ca_file, options->ca_dir) != 1) {
                describe(error, error_size, "cannot load the CA certificates", "unreadable file");
                goto fail;
            }
        } else if (SSL_CTX_set_default_verify_paths(tls->context) != 1) {
            describe(error, error_size, "cannot load the system CA certificates", "unknown");
            goto fail;
        }
    }
    if (options->cert_file) {
        if (SSL_CTX_use_certificate_chain_file(tls->context, options->cert_file) != 1) {
            describe(error, error_size, "cannot load the client certificate", "unreadable file");
            goto fail;
        }
        const char *key = options->key_file ? options->key_file : options->cert_file;
        if (SSL_CTX_use_PrivateKey_file(tls->context, key, SSL_FILETYPE_PEM) != 1) {
            describe(error, error_size, "cannot load the client key", "unreadable file");
            goto fail;
        }
        if (SSL_CTX_check_private_key(tls->context) != 1) {
            describe(error, error_size, "the client key does not match its certificate", "mismatch");
            goto fail;
        }
    }

    tls->ssl = SSL_new(tls->context);
    if (!tls->ssl || SSL_set_fd(tls->ssl, fd) != 1) {
        describe(error, error_size, "cannot start TLS", "unknown");
        goto fail;
    }
    if (options->server_name && !is_ip(options->server_name)) {
        SSL_set_tlsext_host_name(tls->ssl, options->server_name);
    }
    if (!options->insecure && options->verify_host) {
        int ok = is_ip(options->verify_host)
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls->ssl), options->verify_host)
            : SSL_set1_host(tls->ssl, options->verify_host);
        if (ok != 1) { describe(error, error_size, "cannot set the host name to verify", "unknown"); goto fail; }
    }

    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int rc = SSL_connect(tls->ssl);
        if (rc == 1) return tls;
        int why = SSL_get_error(tls->ssl, rc);
        if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
            int ready = wait_for(fd, why, deadline);
            if (ready == 1) continue;
            snprintf(error, error_size, ready == 0 ? "TLS handshake timed out (is the server speaking TLS?)"
                                                  : "TLS handshake failed: %s", strerror(errno));
            goto fail;
        }
        long verify = SSL_get_verify_result(tls->ssl);
        if (verify != X509_V_OK) {
            snprintf(error, error_size, "the server's certificate was refused: %s",
                     X509_verify_cert_error_string(verify));
            ERR_clear_error();
        } else if (why == SSL_ERROR_SYSCALL || why == SSL_ERROR_ZERO_RETURN) {
            describe(error, error_size, "TLS handshake failed",
                     "the server closed the connection (is it speaking TLS? does it want a client certificate?)");
        } else {
            describe(error, error_size, "TLS handshake failed", "unknown");
        }
        goto fail;
    }

fail:
    mq_tls_free(tls);
    return NULL;
}

long mq_tls_write(mq_tls *tls, const void *bytes, size_t count, int timeout_ms, char *error, size_t error_size) {
    long long deadline = now_ms() + timeout_ms;
    size_t done = 0;
    while (done < count) {
        size_t written = 0;
        int rc = SSL_write_ex(tls->ssl, (const char *)bytes + done, count - done, &written);
        if (rc == 1) { done += written; continue; }
        int why = SSL_get_error(tls->ssl, rc);
        if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
            int ready = wait_for(tls->fd, why, deadline);
            if (ready == 1) continue;
            if (ready == 0) return MQ_TLS_TIMEOUT;
        }
        describe(error, error_size, "TLS write failed", why == SSL_ERROR_SYSCALL ? strerror(errno) : "unknown");
        return MQ_TLS_ERROR;
    }
    return (long)done;
}

long mq_tls_read(mq_tls *tls, void *buffer, size_t capacity, int timeout_ms, char *error, size_t error_size) {
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        size_t count = 0;
        int rc = SSL_read_ex(tls->ssl, buffer, capacity, &count);
        if (rc == 1) return (long)count;
        int why = SSL_get_error(tls->ssl, rc);
        if (why == SSL_ERROR_ZERO_RETURN) return 0;
        if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) {
            int ready = wait_for(tls->fd, why, deadline);
            if (ready == 1) continue;
            if (ready == 0) return MQ_TLS_TIMEOUT;
        }
        if (why == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
            /* EOF without close_notify: the peer went away. */
            ERR_clear_error();
            return 0;
        }
        describe(error, error_size, "TLS read failed", why == SSL_ERROR_SYSCALL ? strerror(errno) : "unknown");
        return MQ_TLS_ERROR;
    }
}

void mq_tls_free(mq_tls *tls) {
    if (!tls) return;
    if (tls->ssl) {
        if (SSL_is_init_finished(tls->ssl)) SSL_shutdown(tls->ssl);
        SSL_free(tls->ssl);
    }
    ERR_clear_error();
    if (tls->context) SSL_CTX_free(tls->context);
    free(tls);
}
