/*
 * blob.c - the content-addressed file store (see blob.h for the layout and
 * its invariants).
 *
 * A new blob goes to a temporary file first, is fsynced, and is then
 * link()ed to its name: link never replaces an existing name, which is what
 * makes "never overwritten" hold even when two requests store the same
 * bytes at once (the loser finds EEXIST and the content is there).
 */
#include "core/blob.h"

#include "core/log.h"
#include "core/result.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path into out (n bytes); -1 (logged) when it does not fit. */
__attribute__((format(printf, 3, 4)))
static int path_printf(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(out, n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= n) {
		log_error("a path is too long for the attachment store (%d bytes)", k);
		return -1;
	}
	return 0;
}

static char root[PATH_MAX];

int blob_set_root(const char *data_dir)
{
	int n = snprintf(root, sizeof(root), "%s/" BLOB_DIR_NAME, data_dir);
	if (n < 0 || (size_t)n >= sizeof(root) - 80) {	/* room for "/ab/cdef…" */
		root[0] = '\0';
		return -1;
	}
	return 0;
}

const char *blob_root(void)
{
	return root;
}

bool blob_hash_valid(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

void blob_hash(const void *data, size_t len, char sha256_hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(sha256_hex, 65, h, sizeof(h));
}

int blob_path_in(const char *dir, const char *sha256_hex, char *out, size_t n)
{
	if (!blob_hash_valid(sha256_hex))
		return -1;
	int w = snprintf(out, n, "%s/%.2s/%s", dir, sha256_hex, sha256_hex + 2);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int make_dir(const char *path)
{
	return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* fsync of a directory, so a name linked into it survives a crash. */
static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int blob_put(const void *data, size_t len, char sha256_hex[65])
{
	char hex[65], path[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX];
	if (!root[0]) {
		log_error("cannot store a file: no data directory was set");
		return RC_ERROR;
	}
	blob_hash(data, len, hex);
	if (blob_path_in(root, hex, path, sizeof(path)) < 0)
		return RC_ERROR;
	if (path_printf(dir, sizeof(dir), "%s/%.2s", root, hex) < 0)
		return RC_ERROR;
	struct stat st;
	if (stat(path, &st) == 0) {
		memcpy(sha256_hex, hex, 65);	/* the same bytes are there: nothing to write */
		return RC_OK;
	}
	if (path_printf(tmp, sizeof(tmp), "%s/tmp", root) < 0)
		return RC_ERROR;
	if (make_dir(root) < 0 || make_dir(tmp) < 0 || make_dir(dir) < 0) {
		log_error("cannot create the attachment directory \"%s\": %s", dir, strerror(errno));
		return RC_ERROR;
	}
	if (path_printf(tmp, sizeof(tmp), "%s/tmp/%.16s.XXXXXX", root, hex) < 0)
		return RC_ERROR;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		log_error("cannot create a file in \"%s/tmp\": %s", root, strerror(errno));
		return RC_ERROR;
	}
	int rc = RC_ERROR;
	if (fchmod(fd, 0640) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		log_error("cannot write \"%s\": %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		log_error("cannot write \"%s\": %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, path) < 0 && errno != EEXIST) {
		log_error("cannot store \"%s\": %s", path, strerror(errno));
		goto out;
	}
	if (sync_dir(dir) < 0) {
		log_error("cannot sync \"%s\": %s", dir, strerror(errno));
		goto out;
	}
	memcpy(sha256_hex, hex, 65);
	rc = RC_OK;
out:
	unlink(tmp);
	return rc;
}

int blob_open(const char *sha256_hex, int *fd, uint64_t *size)
{
	char path[PATH_MAX];
	if (!root[0] || blob_path_in(root, sha256_hex, path, sizeof(path)) < 0)
		return RC_NOT_FOUND;
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0) {
		if (errno == ENOENT)
			return RC_NOT_FOUND;
		log_error("cannot open \"%s\": %s", path, strerror(errno));
		return RC_ERROR;
	}
	struct stat st;
	if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("cannot read \"%s\": not a file", path);
		close(f);
		return RC_ERROR;
	}
	*fd = f;
	*size = (uint64_t)st.st_size;
	return RC_OK;
}

int blob_read(const char *sha256_hex, struct buf *out)
{
	int fd;
	uint64_t size;
	int rc = blob_open(sha256_hex, &fd, &size);
	if (rc != RC_OK)
		return rc;
	char chunk[65536];
	rc = RC_OK;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("cannot read the attachment %s: %s", sha256_hex, strerror(errno));
			rc = RC_ERROR;
			break;
		}
		if (n == 0)
			break;
		if (buf_add(out, chunk, (size_t)n) < 0) {
			log_error("cannot read the attachment %s: out of memory", sha256_hex);
			rc = RC_ERROR;
			break;
		}
	}
	close(fd);
	return rc;
}

/* Copies the file from to a new file to (fsynced); 0, or -1 with errno. */
static int copy_file(const char *from, const char *to, uint64_t *bytes)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (out < 0) {
		int e = errno;
		close(in);
		errno = e;
		return -1;
	}
	char chunk[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		if (write_all(out, (const unsigned char *)chunk, (size_t)n) < 0) {
			rc = -1;
			break;
		}
		*bytes += (uint64_t)n;
	}
	int e = errno;
	if (rc == 0 && fsync(out) < 0)
		rc = -1, e = errno;
	if (close(out) < 0 && rc == 0)
		rc = -1, e = errno;
	close(in);
	errno = e;
	return rc;
}

static bool hex_name(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int blob_copy_all(const char *dest, uint64_t *files, uint64_t *bytes, char *err, size_t errlen)
{
	if (!root[0])
		return fail_with(err, errlen, "no data directory was set");
	DIR *top = opendir(root);
	if (!top) {
		if (errno == ENOENT)
			return 0;	/* nothing stored yet */
		return fail_with(err, errlen, "cannot read \"%s\": %s", root, strerror(errno));
	}
	int rc = 0;
	if (make_dir(dest) < 0) {
		rc = fail_with(err, errlen, "cannot create \"%s\": %s", dest, strerror(errno));
		goto out;
	}
	struct dirent *d;
	while (rc == 0 && (d = readdir(top))) {
		if (!hex_name(d->d_name, 2))
			continue;	/* ".", "..", tmp */
		char from_dir[PATH_MAX], to_dir[PATH_MAX];
		if (path_printf(from_dir, sizeof(from_dir), "%s/%s", root, d->d_name) < 0 ||
		    path_printf(to_dir, sizeof(to_dir), "%s/%s", dest, d->d_name) < 0) {
			rc = fail_with(err, errlen, "a path under \"%s\" is too long", dest);
			break;
		}
		DIR *sub = opendir(from_dir);
		if (!sub || make_dir(to_dir) < 0) {
			rc = fail_with(err, errlen, "cannot copy \"%s\": %s", from_dir,
				       strerror(errno));
			if (sub)
				closedir(sub);
			break;
		}
		struct dirent *f;
		while (rc == 0 && (f = readdir(sub))) {
			if (!hex_name(f->d_name, 62))
				continue;
			char from[PATH_MAX], to[PATH_MAX];
			if (path_printf(from, sizeof(from), "%s/%s", from_dir, f->d_name) < 0 ||
			    path_printf(to, sizeof(to), "%s/%s", to_dir, f->d_name) < 0)
				rc = fail_with(err, errlen, "a path under \"%s\" is too long", dest);
			else if (copy_file(from, to, bytes) < 0)
				rc = fail_with(err, errlen, "cannot copy \"%s\" to \"%s\": %s", from,
					       to, strerror(errno));
			else
				(*files)++;
		}
		closedir(sub);
		if (rc == 0 && sync_dir(to_dir) < 0)
			rc = fail_with(err, errlen, "cannot sync \"%s\": %s", to_dir, strerror(errno));
	}
out:
	closedir(top);
	return rc;
}
