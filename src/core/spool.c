/*
 * spool.c - text spilled to an unlinked temporary file past a threshold
 * (see spool.h). The file is opened O_TMPFILE where the file system can,
 * else made with mkstemp and unlinked at once.
 */
#define _GNU_SOURCE
#include "spool.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void spool_init(struct spool *s, size_t threshold)
{
	buf_init(&s->b, 0);
	s->threshold = threshold;
	s->fd = -1;
	s->written = 0;
	s->failed = false;
}

void spool_release(struct spool *s)
{
	buf_release(&s->b);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->written = 0;
}

void spool_reset(struct spool *s)
{
	buf_reset(&s->b);
	if (s->fd >= 0 && ftruncate(s->fd, 0) < 0) {
		/* a file that cannot be cut is dropped: the next flush makes another */
		close(s->fd);
		s->fd = -1;
	}
	s->written = 0;
	s->failed = false;
}

static int fail(struct spool *s, const char *what, int err)
{
	if (what)
		log_error("cannot %s a temporary file: %s", what, strerror(err));
	buf_release(&s->b);
	s->failed = true;
	return -1;
}

static int open_file(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC | O_EXCL, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/servio-spool.XXXXXX", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/* Moves the buffer's text to the end of the file (made on the first call). */
static int spill(struct spool *s)
{
	if (s->written + s->b.len > SPOOL_MAX) {
		log_error("a temporary file would pass %llu bytes", (unsigned long long)SPOOL_MAX);
		return fail(s, NULL, 0);
	}
	if (s->fd < 0) {
		s->fd = open_file();
		if (s->fd < 0)
			return fail(s, "create", errno);
	}
	const char *p = s->b.data;
	size_t left = s->b.len;
	while (left) {
		ssize_t w = pwrite(s->fd, p, left, (off_t)s->written);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail(s, "write", w < 0 ? errno : ENOSPC);
		p += w;
		left -= (size_t)w;
		s->written += (uint64_t)w;
	}
	buf_reset(&s->b);
	return 0;
}

int spool_flush(struct spool *s)
{
	if (s->failed || s->b.failed)
		return s->failed ? -1 : fail(s, NULL, 0);
	if (!s->threshold || s->b.len <= s->threshold)
		return 0;
	return spill(s);
}

uint64_t spool_size(const struct spool *s)
{
	return s->written + s->b.len;
}

int spool_finish(struct spool *s)
{
	if (s->failed || s->b.failed)
		return -1;
	if (s->fd < 0)
		return 0;
	return s->b.len && spill(s) < 0 ? -1 : 1;
}

int spool_take_fd(struct spool *s, uint64_t *size)
{
	if (s->failed || s->fd < 0 || s->b.len)
		return -1;
	int fd = s->fd;
	*size = s->written;
	s->fd = -1;
	s->written = 0;
	return fd;
}
