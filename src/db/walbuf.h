/*
 * walbuf.h - the SQLite VFS that writes a commit's WAL frames in one write
 * (walbuf.c). The SQLite driver makes it the default VFS once, before its
 * first connection.
 */
#ifndef SERVIO_DB_WALBUF_H
#define SERVIO_DB_WALBUF_H

/* SQLITE_OK, or SQLite's error: the default VFS stays the default. */
int walbuf_register(void);

/* Writes SQLite made into the WAL that were gathered, and writes that
 * reached the file (gathered ones together, or through), since start. */
void walbuf_counts(long long *gathered, long long *written);

#endif
