/*
 * spool.h - text too large to hold: appended to a buffer that moves to an
 * unlinked temporary file each time it passes a threshold, so writing
 * thousands of records costs the threshold's memory, not the text's.
 *
 * The writer appends to s->b with the buf functions and calls spool_flush
 * between pieces; at the end spool_finish says where the text is: still
 * in s->b (it never passed the threshold) or in the file, whose
 * descriptor spool_take_fd hands over. The file is made in $TMPDIR (else /tmp) and
 * has no name, so nothing is left behind whatever happens to the process.
 * A failed spool (out of memory, the file not writable, past
 * SPOOL_MAX bytes) stays failed, as a buf does, until spool_reset.
 */
#ifndef SERVIO_CORE_SPOOL_H
#define SERVIO_CORE_SPOOL_H

#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define SPOOL_MAX (4ull * 1024 * 1024 * 1024)

struct spool {
	struct buf b;		/* the text not in the file yet */
	size_t threshold;	/* b moves to the file past this many bytes; 0: never */
	int fd;			/* -1 until the text first passes the threshold */
	uint64_t written;	/* bytes in the file */
	bool failed;
};

void spool_init(struct spool *s, size_t threshold);
/* Frees the buffer and closes the file (unless spool_finish handed it over). */
void spool_release(struct spool *s);
/* Empty again (the file cut to nothing), failed cleared: a retry starts over. */
void spool_reset(struct spool *s);
/*
 * Moves the buffer's text to the file when it is past the threshold.
 * 0, or -1 when the spool has failed (the reason logged).
 */
int spool_flush(struct spool *s);
/* The text's length so far, in the file and the buffer. */
uint64_t spool_size(const struct spool *s);
/*
 * Writing is done: what the buffer holds joins the file when there is
 * one, so the text is in one place. 0: all of it in s->b; 1: all of it in
 * the file; -1: the spool failed. Until spool_take_fd, spool_reset still
 * starts over (a transaction whose commit failed is run again).
 */
int spool_finish(struct spool *s);
/*
 * Hands over the finished file, at offset 0, for the caller to close,
 * with its length in *size; -1 when the text is not in a file.
 */
int spool_take_fd(struct spool *s, uint64_t *size);

#endif
