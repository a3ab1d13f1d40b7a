/*
 * test_attachments.c - the rules on a file before it is kept: the name
 * cleaned (paths, control characters, dots, refused extensions, length,
 * UTF-8), the type decided from what was sent, the extension and the first
 * bytes (pretend images and mismatches refused), and the blob store
 * (content-addressed, deduplicated, never overwritten, copied for backups).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/blob.h"
#include "core/buf.h"
#include "core/result.h"
#include "service/attachments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
static const char jpeg[] = "\xff\xd8\xff\xe0\0\x10JFIF";

static void name_is(const char *in, const char *want)
{
	struct arena a;
	arena_init(&a);
	const char *why = NULL;
	const char *got = attachment_clean_name(&a, in, &why);
	if (!want) {
		if (got) {
			fprintf(stderr, "name \"%s\" kept as \"%s\", wanted refused\n",
				in ? in : "(null)", got);
			fail();
		}
		assert_non_null(why);
	} else {
		if (!got || strcmp(got, want) != 0) {
			fprintf(stderr, "name \"%s\": got \"%s\" (%s), wanted \"%s\"\n", in,
				got ? got : "(refused)", why ? why : "", want);
			fail();
		}
	}
	arena_release(&a);
}

static void test_names(void **state)
{
	(void)state;
	name_is("report.pdf", "report.pdf");
	name_is("/etc/passwd", "passwd");
	name_is("../../x.txt", "x.txt");
	name_is("C:\\Users\\me\\scan 1.pdf", "scan 1.pdf");
	name_is("a\tb\nc\x7f.txt", "a_b_c_.txt");
	name_is("what?<is>|this*:\".txt", "what__is__this___.txt");
	name_is("  ..hidden.txt.. ", "hidden.txt");
	name_is("\xc3\x9c" "bersicht.csv", "\xc3\x9c" "bersicht.csv");
	name_is("README", "README");
	name_is(NULL, NULL);
	name_is("", NULL);
	name_is("dir/", NULL);
	name_is("...", NULL);
	name_is("bad\xff.txt", NULL);
	name_is("page.html", NULL);
	name_is("PAGE.HTM", NULL);
	name_is("image.svg", NULL);
	name_is("setup.exe", NULL);
	name_is("run.js", NULL);
	char long_name[300];
	memset(long_name, 'n', 251);
	memcpy(long_name + 251, ".txt", 5);
	name_is(long_name, long_name);	/* 255 bytes */
	memset(long_name, 'n', 252);
	memcpy(long_name + 252, ".txt", 5);
	name_is(long_name, NULL);
}

static void type_is(const char *sent, const char *name, const void *data, size_t len,
		    const char *want)
{
	struct arena a;
	arena_init(&a);
	const char *why = NULL;
	const char *got = attachment_type(&a, sent, name, data, len, &why);
	if (want ? !got || strcmp(got, want) != 0 : got != NULL) {
		fprintf(stderr, "type of %s \"%s\": got %s (%s), wanted %s\n", sent ? sent : "-",
			name, got ? got : "(refused)", why ? why : "", want ? want : "refused");
		fail();
	}
	if (!want)
		assert_non_null(why);
	arena_release(&a);
}

static void test_types(void **state)
{
	(void)state;
	type_is("image/png", "a.png", png, sizeof(png) - 1, "image/png");
	type_is("IMAGE/PNG; x=y", "a.PNG", png, sizeof(png) - 1, "image/png");
	type_is("image/x-png", "a", png, sizeof(png) - 1, "image/png");
	type_is(NULL, "shot.png", png, sizeof(png) - 1, "image/png");
	type_is("application/octet-stream", "p.jpeg", jpeg, sizeof(jpeg) - 1, "image/jpeg");
	type_is("image/jpg", "p.jpg", jpeg, sizeof(jpeg) - 1, "image/jpeg");
	type_is("image/gif", "g.gif", "GIF89a....", 10, "image/gif");
	type_is("image/webp", "w.webp", "RIFF\0\0\0\0WEBPVP8 ", 16, "image/webp");
	type_is("text/plain", "notes", "anything", 8, "text/plain");
	type_is("text/plain", "empty.txt", "", 0, "text/plain");
	type_is("application/vnd.ms-excel", "list.csv", "a,b", 3, "text/csv");
	type_is("application/pdf", "d.pdf", "junk%PDF-1.7", 12, "application/pdf");
	type_is("application/x-zip-compressed", "a.zip", "PK\x03\x04", 4, "application/zip");
	type_is(NULL, "w.docx", "PK\x03\x04", 4,
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document");
	type_is(NULL, "old.doc", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "application/msword");
	type_is("message/rfc822", "mail.eml", "From: a@b\r\n", 11, "message/rfc822");

	/* refused */
	type_is("text/html", "a.txt", "<b>", 3, NULL);
	type_is("image/svg+xml", "a.svg", "<svg/>", 6, NULL);
	type_is("application/octet-stream", "blob.bin", "\0", 1, NULL);
	type_is(NULL, "noext", "x", 1, NULL);
	type_is("image/png", "a.png", "<html>", 6, NULL);		/* pretend image */
	type_is("image/png", "a.png", jpeg, sizeof(jpeg) - 1, NULL);	/* a jpeg said to be png */
	type_is("image/jpeg", "a.png", jpeg, sizeof(jpeg) - 1, NULL);	/* name says png */
	type_is("text/plain", "a.png", "text", 4, NULL);		/* name says image */
	type_is(NULL, "a.gif", png, sizeof(png) - 1, NULL);
	type_is("image/png", "a.png", png, 4, NULL);			/* cut short */
	type_is("application/pdf", "d.pdf", "not a pdf", 9, NULL);
	type_is("application/zip", "a.zip", "zip?", 4, NULL);
	type_is(NULL, "w.xlsx", "text", 4, NULL);
	assert_true(attachment_type_is_image("image/webp"));
	assert_false(attachment_type_is_image("image/svg+xml"));
	assert_false(attachment_type_is_image("text/plain"));
}

static char tmpdir[64];

static void test_blob_store(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/servio-blob-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(blob_set_root(tmpdir), 0);
	char a[65], b[65], c[65];
	assert_int_equal(blob_put("hello", 5, a), RC_OK);
	assert_string_equal(a, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	assert_true(blob_hash_valid(a));
	assert_int_equal(blob_put("hello", 5, b), RC_OK);
	assert_string_equal(a, b);
	assert_int_equal(blob_put("", 0, c), RC_OK);
	char path[512];
	assert_int_equal(blob_path_in(blob_root(), a, path, sizeof(path)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 5);

	struct buf out;
	buf_init(&out, 0);
	assert_int_equal(blob_read(a, &out), RC_OK);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.data, "hello", 5);
	buf_reset(&out);
	assert_int_equal(blob_read(c, &out), RC_OK);
	assert_int_equal(out.len, 0);
	assert_int_equal(blob_read("00", &out), RC_NOT_FOUND);
	assert_int_equal(blob_read("../../../../etc/passwd", &out), RC_NOT_FOUND);
	assert_int_equal(blob_read("0000000000000000000000000000000000000000000000000000000000000000",
				   &out), RC_NOT_FOUND);
	assert_false(blob_hash_valid("2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"));
	buf_release(&out);

	/* a copy for a backup holds every blob, in the same layout */
	char dest[128];
	snprintf(dest, sizeof(dest), "%s/backup.attachments", tmpdir);
	uint64_t files = 0, bytes = 0;
	char err[256];
	assert_int_equal(blob_copy_all(dest, &files, &bytes, err, sizeof(err)), 0);
	assert_int_equal(files, 2);
	assert_int_equal(bytes, 5);
	assert_int_equal(blob_path_in(dest, a, path, sizeof(path)), 0);
	assert_int_equal(stat(path, &st), 0);
	/* a copy never lands on an existing one */
	files = bytes = 0;
	assert_int_equal(blob_copy_all(dest, &files, &bytes, err, sizeof(err)), -1);

	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	alloc_install_json();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_blob_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
