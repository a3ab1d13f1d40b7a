/*
 * netaddr.c - who the client is: the trusted-proxy list, and the address a
 * request came from once the proxies it passed through are peeled off.
 *
 * Behind a reverse proxy every socket peer is the proxy. A proxy the
 * operator names in SERVIO_TRUSTED_PROXIES appends the address it saw to
 * X-Forwarded-For; we read that list from the right, skipping the proxies
 * we trust, and the first address we do not trust is the client. What the
 * client wrote itself sits further left and is never believed. A peer we do
 * not trust is the client, whatever its headers say.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* text → 16 bytes (IPv4 as ::ffff:a.b.c.d, so one comparison serves both) */
static bool addr_parse(const char *s, size_t n, struct http_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	struct in_addr v4;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		out->bytes[10] = out->bytes[11] = 0xff;
		memcpy(out->bytes + 12, &v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, buf, out->bytes) == 1;
}

static bool is_v4(const struct http_addr *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a->bytes, mapped, sizeof(mapped)) == 0;
}

bool http_addr_from_text(const char *text, struct http_addr *out)
{
	return text && addr_parse(text, strlen(text), out);
}

void http_addr_text(const struct http_addr *a, char *out, size_t n)
{
	if (is_v4(a))
		inet_ntop(AF_INET, a->bytes + 12, out, (socklen_t)n);
	else
		inet_ntop(AF_INET6, a->bytes, out, (socklen_t)n);
}

void http_trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

int http_nets_parse(const char *list, struct http_net *out, size_t max, size_t *count,
		    char *err, size_t errlen)
{
	size_t n = 0;
	const char *p = list ? list : "";
	while (*p) {
		const char *item = p;
		size_t len = strcspn(p, ",");
		p += len;
		if (*p == ',')
			p++;
		http_trim(&item, &len);
		if (len == 0)
			continue;
		if (n == max) {
			snprintf(err, errlen, "more than %zu trusted proxies", max);
			return -1;
		}
		const char *slash = memchr(item, '/', len);
		size_t alen = slash ? (size_t)(slash - item) : len;
		struct http_net *net = &out[n];
		if (!addr_parse(item, alen, &net->addr)) {
			snprintf(err, errlen, "\"%.*s\" is not an IPv4 or IPv6 address",
				 (int)(alen > 64 ? 64 : alen), item);
			return -1;
		}
		unsigned max_bits = is_v4(&net->addr) ? 32 : 128;
		unsigned bits = max_bits;
		if (slash) {
			const char *b = slash + 1;
			size_t blen = len - alen - 1;
			bits = 0;
			if (blen == 0 || blen > 3)
				bits = 999;
			for (size_t i = 0; i < blen && bits != 999; i++)
				bits = b[i] >= '0' && b[i] <= '9' ? bits * 10 + (unsigned)(b[i] - '0')
								  : 999;
			if (bits > max_bits) {
				snprintf(err, errlen, "\"%.*s\": the prefix length must be 0 to %u",
					 (int)(len > 64 ? 64 : len), item, max_bits);
				return -1;
			}
		}
		net->bits = is_v4(&net->addr) ? bits + 96 : bits;
		n++;
	}
	*count = n;
	return 0;
}

bool http_nets_contain(const struct http_net *nets, size_t n, const struct http_addr *a)
{
	for (size_t i = 0; i < n; i++) {
		unsigned bits = nets[i].bits, whole = bits / 8, rest = bits % 8;
		if (memcmp(nets[i].addr.bytes, a->bytes, whole) != 0)
			continue;
		if (rest) {
			unsigned char mask = (unsigned char)(0xff << (8 - rest));
			if ((nets[i].addr.bytes[whole] & mask) != (a->bytes[whole] & mask))
				continue;
		}
		return true;
	}
	return false;
}

struct http_addr http_client_behind(const struct http_net *trusted, size_t ntrusted,
				    const struct http_addr *peer, const char *forwarded_for)
{
	struct http_addr client = *peer;
	if (!forwarded_for || !http_nets_contain(trusted, ntrusted, peer))
		return client;
	/* right to left: each hop we trust vouches for the one before it */
	size_t end = strlen(forwarded_for);
	while (end > 0) {
		size_t start = end;
		while (start > 0 && forwarded_for[start - 1] != ',')
			start--;
		const char *item = forwarded_for + start;
		size_t len = end - start;
		http_trim(&item, &len);
		struct http_addr hop;
		if (!addr_parse(item, len, &hop))
			break;	/* garbage: the last hop we could read is the client */
		client = hop;
		if (!http_nets_contain(trusted, ntrusted, &hop))
			break;
		end = start > 0 ? start - 1 : 0;
	}
	return client;
}
