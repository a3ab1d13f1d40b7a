/*
 * blob.h - the content-addressed file store under the data directory.
 *
 * Attachments (and raw inbound mail) are kept as files named by the
 * SHA-256 of their bytes: <data dir>/attachments/ab/cdef… (the first two
 * hex digits are a directory, so no directory grows past 256 names per
 * level). The database keeps only the hash.
 *
 * Invariants: a file at its name holds exactly the bytes whose hash is its
 * name. It is written to a temporary file in <root>/tmp, fsynced, then
 * linked to its name and the directory fsynced, so a crash leaves either
 * nothing or the whole file; a name that exists is never written again
 * (the same content stored twice is one file). Files are never removed by
 * the server: an archived attachment keeps its bytes.
 *
 * blob_set_root is called once at start, before any thread; the other
 * functions are then safe from every thread.
 */
#ifndef SERVIO_CORE_BLOB_H
#define SERVIO_CORE_BLOB_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The store's directory under a data directory. */
#define BLOB_DIR_NAME "attachments"

/*
 * Sets the store to <data_dir>/attachments (created on the first write).
 * Returns 0, or -1 when the path is too long.
 */
int blob_set_root(const char *data_dir);
/* The store's directory ("" before blob_set_root). */
const char *blob_root(void);

/* Whether s is 64 lowercase hex digits. */
bool blob_hash_valid(const char *s);
/* The SHA-256 of data as 64 lowercase hex digits. */
void blob_hash(const void *data, size_t len, char sha256_hex[65]);

/*
 * Stores data and writes its hash to sha256_hex. Returns RC_OK (also when
 * the content was there already), or RC_ERROR (logged: no root, disk full).
 */
int blob_put(const void *data, size_t len, char sha256_hex[65]);

/*
 * Reads a stored blob into out (appended; out's cap applies). Returns RC_OK,
 * RC_NOT_FOUND when there is no such blob (or the hash is malformed), or
 * RC_ERROR (logged).
 */
int blob_read(const char *sha256_hex, struct buf *out);

/*
 * Opens a stored blob for reading: RC_OK with *fd (the caller closes it)
 * and *size, RC_NOT_FOUND, or RC_ERROR (logged).
 */
int blob_open(const char *sha256_hex, int *fd, uint64_t *size);

/*
 * Copies every blob of the store into dest (a new or empty directory, made
 * with the same layout), each file fsynced. For backups: taken after the
 * database's copy, it holds every file the copied rows name (a blob is
 * stored before its row commits). Adds to *files and *bytes. Returns 0, or
 * -1 with a message in err.
 */
int blob_copy_all(const char *dest, uint64_t *files, uint64_t *bytes, char *err, size_t errlen);

/*
 * The path of a blob under root (any store directory, e.g. a backup's),
 * into out. Returns 0, or -1 when it does not fit or the hash is malformed.
 */
int blob_path_in(const char *root, const char *sha256_hex, char *out, size_t n);

#endif
