/*
 * test_multipart.c - the multipart/form-data parser: boundaries from the
 * Content-Type, parts with their names, file names (filename and the
 * RFC 8187 filename*) and types, data holding CRLF and boundary-like text,
 * preambles and epilogues, and every way a body is refused, each with its
 * message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "http/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parsed {
	struct arena arena;
	struct http_part *parts;
	int n;
	const char *err;
};

static int parse(struct parsed *p, const char *body, size_t len, const char *boundary, int max)
{
	arena_init(&p->arena);
	p->err = NULL;
	p->n = http_multipart_parse(body, len, boundary, &p->arena, max, &p->parts, &p->err);
	return p->n;
}

static void done(struct parsed *p)
{
	arena_release(&p->arena);
}

static void part_is(const struct http_part *part, const char *name, const char *filename,
		    const char *type, const char *data)
{
	assert_string_equal(part->name, name);
	if (filename)
		assert_string_equal(part->filename, filename);
	else
		assert_null(part->filename);
	if (type)
		assert_string_equal(part->content_type, type);
	else
		assert_null(part->content_type);
	assert_int_equal(part->len, strlen(data));
	assert_memory_equal(part->data, data, part->len);
}

static void test_boundary(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	const char *b, *err;
	assert_int_equal(http_multipart_boundary("multipart/form-data; boundary=abc", &a, &b, &err),
			 0);
	assert_string_equal(b, "abc");
	assert_int_equal(http_multipart_boundary("Multipart/Form-Data;charset=utf-8;"
						 " boundary=\"a b:c\"", &a, &b, &err), 0);
	assert_string_equal(b, "a b:c");
	assert_int_equal(http_multipart_boundary("multipart/form-data ; boundary=x ;", &a, &b, &err),
			 0);
	assert_string_equal(b, "x");
	char long_ok[120] = "multipart/form-data; boundary=";
	memset(long_ok + strlen(long_ok), 'z', 70);
	assert_int_equal(http_multipart_boundary(long_ok, &a, &b, &err), 0);
	assert_int_equal(strlen(b), 70);

	const char *bad[] = {
		NULL,
		"application/json",
		"multipart/form-dataX; boundary=a",
		"multipart/mixed; boundary=a",
		"multipart/form-data",
		"multipart/form-data; charset=utf-8",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"abc",
		"multipart/form-data; boundary=\"ends in space \"",
		"multipart/form-data; boundary=a{b}",
		"multipart/form-data; boundary=a; boundary=b",
		"multipart/form-data boundary=a",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		assert_int_equal(http_multipart_boundary(bad[i], &a, &b, &err), -1);
		assert_non_null(err);
	}
	char too_long[120] = "multipart/form-data; boundary=";
	memset(too_long + strlen(too_long), 'z', 71);
	assert_int_equal(http_multipart_boundary(too_long, &a, &b, &err), -1);
	arena_release(&a);
}

static void test_one_file(void **state)
{
	(void)state;
	static const char body[] =
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"hello\r\n"
		"--XyZ--\r\n";
	struct parsed p;
	assert_int_equal(parse(&p, body, sizeof(body) - 1, "XyZ", 4), 1);
	part_is(&p.parts[0], "file", "a.txt", "text/plain", "hello");
	done(&p);
}

static void test_fields_and_files(void **state)
{
	(void)state;
	/* a preamble, a field, two files (one empty), data holding CRLF and near-boundaries */
	static const char body[] =
		"This is the preamble.\r\n"
		"--b1 \t\r\n"
		"content-disposition: form-data; name=note_id\r\n"
		"\r\n"
		"42\r\n"
		"--b1\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n"
		"X-Other: ignored\r\n"
		"\r\n"
		"line\r\n--b2\r\n-b1\r\n--b\r\nend\r\n"
		"--b1\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"empty.txt\"\r\n"
		"\r\n"
		"\r\n"
		"--b1--\r\n"
		"epilogue, ignored --b1\r\n";
	struct parsed p;
	assert_int_equal(parse(&p, body, sizeof(body) - 1, "b1", 4), 3);
	part_is(&p.parts[0], "note_id", NULL, NULL, "42");
	part_is(&p.parts[1], "file", "x.bin", NULL, "line\r\n--b2\r\n-b1\r\n--b\r\nend");
	part_is(&p.parts[2], "file", "empty.txt", NULL, "");
	done(&p);
}

static void test_binary_data(void **state)
{
	(void)state;
	char body[512];
	const char head[] = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"z\"\r\n\r\n";
	const unsigned char bin[] = { 0, 1, 2, '\r', '\n', 0xff, 0, '-', '-', 'B' - 1, 0x80 };
	size_t n = 0;
	memcpy(body + n, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memcpy(body + n, bin, sizeof(bin));
	n += sizeof(bin);
	memcpy(body + n, "\r\n--B--", 7);
	n += 7;
	struct parsed p;
	assert_int_equal(parse(&p, body, n, "B", 2), 1);
	assert_int_equal(p.parts[0].len, sizeof(bin));
	assert_memory_equal(p.parts[0].data, bin, sizeof(bin));
	done(&p);
}

static void test_filename_forms(void **state)
{
	(void)state;
	static const char body[] =
		"--q\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"fallback.txt\";"
		" filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nA\r\n"
		"--q\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"say \\\"hi\\\".txt\"\r\n"
		"\r\nB\r\n"
		"--q\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\dir\\\\x.pdf\"\r\n"
		"\r\nC\r\n"
		"--q\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"\xc3\xbc.txt\"\r\n"
		"\r\nD\r\n"
		"--q\r\n"
		"Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\nE\r\n"
		"--q--";
	struct parsed p;
	assert_int_equal(parse(&p, body, sizeof(body) - 1, "q", 8), 5);
	assert_string_equal(p.parts[0].filename, "\xe2\x82\xac rates.txt");
	assert_string_equal(p.parts[1].filename, "say \"hi\".txt");
	assert_string_equal(p.parts[2].filename, "C:\\dir\\x.pdf");
	assert_string_equal(p.parts[3].filename, "\xc3\xbc.txt");
	assert_string_equal(p.parts[4].filename, "");
	done(&p);
}

static void test_no_parts(void **state)
{
	(void)state;
	struct parsed p;
	assert_int_equal(parse(&p, "--a--\r\n", 7, "a", 4), 0);
	done(&p);
}

/* Each body must be refused with a message that contains want. */
static void refused(const char *body, const char *boundary, int max, const char *want)
{
	struct parsed p;
	int n = parse(&p, body, strlen(body), boundary, max);
	if (n != -1 || !p.err || !strstr(p.err, want)) {
		fprintf(stderr, "body %s: got %d, \"%s\", wanted \"%s\"\n", body, n,
			p.err ? p.err : "(no message)", want);
		fail();
	}
	done(&p);
}

#define CD "Content-Disposition: form-data; name=\"f\"\r\n"

static void test_refusals(void **state)
{
	(void)state;
	refused("", "a", 4, "no boundary line");
	refused("hello", "a", 4, "no boundary line");
	refused("--ab\r\n" CD "\r\nx\r\n--ab--", "a", 4, "after the boundary");
	refused("--a\r\n" CD "\r\nx", "a", 4, "ends before the closing boundary");
	refused("--a\r\n" CD "\r\nx\r\n--a", "a", 4, "ends before the closing boundary");
	refused("--a", "a", 4, "ends before the closing boundary");
	refused("--a\n" CD "\r\nx\r\n--a--", "a", 4, "after the boundary");
	refused("--a\r\n" CD "x\r\n--a--", "a", 4, "ends inside a part's headers");
	refused("--a\r\n\r\nx\r\n--a--", "a", 4, "no Content-Disposition");
	refused("--a\r\nContent-Type: text/plain\r\n\r\nx\r\n--a--", "a", 4,
		"no Content-Disposition");
	refused("--a\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--a--", "a", 4,
		"must be form-data");
	refused("--a\r\nContent-Disposition: form-data\r\n\r\nx\r\n--a--", "a", 4, "has no name");
	refused("--a\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\nx\r\n--a--", "a", 4,
		"has no name");
	refused("--a\r\nContent-Disposition: form-data; name=\"f\r\n\r\nx\r\n--a--", "a", 4,
		"not closed");
	refused("--a\r\nContent-Disposition: form-data; name=f; name=g\r\n\r\nx\r\n--a--", "a", 4,
		"repeats");
	refused("--a\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n--a--", "a", 4,
		"no \"=\"");
	refused("--a\r\nContent-Disposition: form-data; name=f x\r\n\r\nx\r\n--a--", "a", 4,
		"not separated");
	refused("--a\r\n" CD CD "\r\nx\r\n--a--", "a", 4, "two Content-Disposition");
	refused("--a\r\n" CD "Content-Type: a\r\nContent-Type: b\r\n\r\nx\r\n--a--", "a", 4,
		"two Content-Type");
	refused("--a\r\n" CD " folded\r\n\r\nx\r\n--a--", "a", 4, "folded");
	refused("--a\r\n" CD "No colon\r\n\r\nx\r\n--a--", "a", 4, "malformed header");
	refused("--a\r\n" CD "Bad Name: x\r\n\r\nx\r\n--a--", "a", 4, "malformed header");
	refused("--a\r\n" CD "X: a\x01z\r\n\r\nx\r\n--a--", "a", 4, "control character");
	refused("--a\r\nContent-Disposition: form-data; name=f; filename*=latin1''x\r\n\r\nx\r\n"
		"--a--", "a", 4, "UTF-8");
	refused("--a\r\nContent-Disposition: form-data; name=f; filename*=x.txt\r\n\r\nx\r\n"
		"--a--", "a", 4, "charset'language'value");
	refused("--a\r\nContent-Disposition: form-data; name=f; filename*=UTF-8''%zz\r\n\r\nx\r\n"
		"--a--", "a", 4, "percent escape");
	refused("--a\r\nContent-Disposition: form-data; name=f; filename*=UTF-8''a%00\r\n\r\nx\r\n"
		"--a--", "a", 4, "percent escape");
	refused("--a\r\n" CD "\r\n1\r\n--a\r\n" CD "\r\n2\r\n--a\r\n" CD "\r\n3\r\n--a--", "a", 2,
		"more than 2 parts");
}

static void test_header_limit(void **state)
{
	(void)state;
	size_t n = MULTIPART_MAX_HEADER + 200;
	char *body = malloc(n + 100);
	assert_non_null(body);
	int k = snprintf(body, n + 100, "--a\r\n" CD "X-Pad: ");
	memset(body + k, 'p', n - (size_t)k);
	memcpy(body + n, "\r\n\r\nx\r\n--a--", sizeof("\r\n\r\nx\r\n--a--"));
	refused(body, "a", 4, "longer than 8192 bytes");
	/* just under the limit is fine */
	k = snprintf(body, n + 100, "--a\r\n" CD "X-Pad: ");
	size_t fill = MULTIPART_MAX_HEADER - strlen(CD) - 7 - 4;
	memset(body + k, 'p', fill);
	memcpy(body + k + fill, "\r\n\r\nx\r\n--a--", sizeof("\r\n\r\nx\r\n--a--"));
	struct parsed p;
	assert_int_equal(parse(&p, body, strlen(body), "a", 4), 1);
	done(&p);
	free(body);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_one_file),
		cmocka_unit_test(test_fields_and_files),
		cmocka_unit_test(test_binary_data),
		cmocka_unit_test(test_filename_forms),
		cmocka_unit_test(test_no_parts),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_header_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
