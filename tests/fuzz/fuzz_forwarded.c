/*
 * fuzz_forwarded.c - libFuzzer harness for what a proxy (or someone posing
 * as one) sends about the client: SERVIO_TRUSTED_PROXIES lists and
 * X-Forwarded-For values.
 *
 * The input is split at its first NUL: before it, a trusted-proxy list;
 * after it, an X-Forwarded-For value. Beyond "does not crash" it checks:
 * a parsed list has no more entries than allowed and every prefix fits its
 * address; the client is the peer when the peer is not trusted; and the
 * client is always the peer or an address written in the header.
 */
#include "http/http.h"
#include "http/internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 2);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = text[size + 1] = '\0';
	const char *list = text;
	const char *xff = text + strlen(text) + 1;
	if (xff > text + size)
		xff = "";

	struct http_net nets[HTTP_MAX_TRUSTED];
	size_t n = 0;
	char err[256];
	if (http_nets_parse(list, nets, HTTP_MAX_TRUSTED, &n, err, sizeof(err)) == 0) {
		if (n > HTTP_MAX_TRUSTED)
			abort();
		for (size_t i = 0; i < n; i++)
			if (nets[i].bits > 128)
				abort();
	} else {
		n = 0;
		if (!err[0])
			abort();	/* a refusal says why */
	}

	struct http_addr peers[2];
	if (!http_addr_from_text("127.0.0.1", &peers[0]) ||
	    !http_addr_from_text("2001:db8::1", &peers[1]))
		abort();
	for (int p = 0; p < 2; p++) {
		struct http_addr c = http_client_behind(nets, n, &peers[p], xff);
		bool trusted = http_nets_contain(nets, n, &peers[p]);
		bool is_peer = memcmp(c.bytes, peers[p].bytes, 16) == 0;
		if (!trusted && !is_peer)
			abort();
		if (!is_peer) {
			/* it came from the header: its text form is there, or an equal form */
			char shown[INET6_ADDRSTRLEN];
			http_addr_text(&c, shown, sizeof(shown));
			struct http_addr again;
			if (!http_addr_from_text(shown, &again) || memcmp(again.bytes, c.bytes, 16))
				abort();
		}
	}
	free(text);
	return 0;
}
