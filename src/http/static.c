/*
 * static.c - the built web UI: GET and HEAD of every path outside /api/
 * that no route claims are files under the web root.
 *
 * The browser UI is a single-page app, so a path whose last segment has no
 * '.' and names no file ("/tickets/42") gets index.html and the UI routes
 * it; a missing "/app.js" is a plain 404. Paths with a ".." segment are
 * refused before the file system sees them, and on Linux openat2 with
 * RESOLVE_BENEATH also keeps symbolic links from leading out of the root.
 * Files go out with sendfile through MHD_create_response_from_fd.
 * index.html must be revalidated (it names the hashed assets of the build);
 * files under /assets/ carry a content hash in their names and are cached
 * for a year.
 */
#include "internal.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

struct mime {
	const char *ext, *type;
};

static const struct mime mimes[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "ico", "image/x-icon" },
	{ "woff2", "font/woff2" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
};

static const char *mime_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash : name, '.');
	if (dot)
		for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
			if (strcasecmp(dot + 1, mimes[i].ext) == 0)
				return mimes[i].type;
	return "application/octet-stream";
}

/* Whether some '/'-separated segment of path is "..". */
static bool has_dotdot(const char *path)
{
	const char *s = path;
	for (;;) {
		size_t len = strcspn(s, "/");
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return true;
		if (!s[len])
			return false;
		s += len + 1;
	}
}

static int open_beneath(int dirfd, const char *rel)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
#if defined(__linux__) && defined(SYS_openat2)
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
	/* an older kernel or a seccomp filter: ".." is refused already */
#endif
	return openat(dirfd, rel, flags);
}

/*
 * Opens rel as a regular file: returns the fd and sets *size, -1 when
 * there is no such file for the client (errno says), -2 on a failure of
 * ours.
 */
static int open_file(int dirfd, const char *rel, uint64_t *size)
{
	int fd = open_beneath(dirfd, rel);
	if (fd < 0) {
		switch (errno) {
		case ENOENT:
		case ENOTDIR:
		case EACCES:
		case ELOOP:
		case EXDEV:
		case ENAMETOOLONG:
		case ENXIO:
			return -1;
		default:
			return -2;
		}
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -2;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

int http_static_serve(struct http_server *srv, struct http_req *req)
{
	const char *path = req->path;
	if (srv->web_root_fd < 0)
		return http_reply_problem(req, 404, "not-found", NULL, "no such path");
	if (has_dotdot(path))
		return http_reply_problem(req, 400, "bad-path", NULL,
					  "a path may not contain a \"..\" segment");

	const char *rel = path;
	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = "index.html";
	uint64_t size = 0;
	int fd = open_file(srv->web_root_fd, rel, &size);
	if (fd == -1) {
		const char *last = strrchr(path, '/');
		if (strchr(last ? last : path, '.'))
			return http_reply_problem(req, 404, "not-found", NULL, "no such file");
		rel = "index.html";
		fd = open_file(srv->web_root_fd, rel, &size);
		if (fd == -1)
			return http_reply_problem(req, 404, "not-found", NULL, "no such path");
	}
	if (fd == -2) {
		log_error("request %s: cannot open \"%s\" in the web root: %s", req->id, rel,
			  strerror(errno));
		return -1;
	}

	http_reply_empty(req, 200);
	req->content_type = mime_type(rel);
	req->file_fd = fd;
	req->file_size = size;
	if (strcmp(rel, "index.html") == 0)
		http_set_header(req, "Cache-Control", "no-cache");
	else if (strncmp(path, "/assets/", 8) == 0)
		http_set_header(req, "Cache-Control", "public, max-age=31536000, immutable");
	return 0;
}
