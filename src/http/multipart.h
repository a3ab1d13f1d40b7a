/*
 * multipart.h - multipart/form-data bodies (RFC 7578 over RFC 2046), the
 * way browsers and curl upload files.
 *
 * The parser works over a body already read whole (the request's
 * raw_body): it finds the parts between the boundary lines and reads each
 * part's Content-Disposition (name, filename, filename*) and Content-Type.
 * It knows no domain: what a field means, which file types are allowed and
 * how names are cleaned is the caller's business.
 *
 * Strict where it matters for safety and clear errors: CRLF line ends, the
 * closing boundary present, Content-Disposition form-data with a name on
 * every part, bounded header sizes and part counts. Every refusal comes
 * with a message naming the problem, for a 400.
 *
 * Memory: every string and the parts array belong to the arena; a part's
 * data points into the body, which must outlive the parts.
 */
#ifndef SERVIO_HTTP_MULTIPART_H
#define SERVIO_HTTP_MULTIPART_H

#include "core/arena.h"

#include <stddef.h>

#define MULTIPART_MAX_HEADER 8192	/* bytes of one part's header block */

struct http_part {
	const char *name;		/* the form field's name (never NULL) */
	/*
	 * The file's name as sent (filename*, RFC 5987 UTF-8, wins over
	 * filename), or NULL when the part is a plain field. Not cleaned:
	 * it may hold a path, control characters or invalid UTF-8.
	 */
	const char *filename;
	const char *content_type;	/* the part's Content-Type as sent, or NULL */
	const char *data;		/* into the body; not NUL-terminated */
	size_t len;
};

/*
 * The boundary of a Content-Type header value such as
 * "multipart/form-data; boundary=----x". Returns 0 with *boundary (arena),
 * or -1 with *err (a static message) when the type is not
 * multipart/form-data or the boundary is missing or malformed (1..70
 * characters of RFC 2046's set).
 */
int http_multipart_boundary(const char *content_type, struct arena *arena, const char **boundary,
			    const char **err);

/*
 * Splits body into its parts. Returns the number of parts (0..max_parts)
 * with *parts (arena array), or -1 with *err (a static or arena message)
 * when the body is malformed, has more than max_parts parts, or memory
 * runs out (*err says so).
 */
int http_multipart_parse(const char *body, size_t len, const char *boundary,
			 struct arena *arena, int max_parts, struct http_part **parts,
			 const char **err);

#endif
