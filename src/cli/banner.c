/*
 * banner.c - a framed box on standard output, for the few lines a person
 * must not miss among a program's log (the first admin's password, where
 * the server listens).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Display width of UTF-8 text: code points, which serves the text we frame. */
static size_t width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void line(const char *label, const char *value, size_t inner)
{
	char text[512];
	snprintf(text, sizeof(text), "%s%s", label, value);
	printf("│ %s%*s │\n", text, (int)(inner - width(text)), "");
}

void cli_banner(const char *title, const char *email, const char *password, const char *note)
{
	const char *rows[4][2] = { { "", title }, { "e-mail:   ", email },
				   { "password: ", password }, { "", note } };
	size_t inner = 0;
	for (int i = 0; i < 4; i++)
		if (rows[i][1]) {
			size_t w = width(rows[i][0]) + width(rows[i][1]);
			inner = w > inner ? w : inner;
		}
	printf("┌");
	for (size_t i = 0; i < inner + 2; i++)
		printf("─");
	printf("┐\n");
	for (int i = 0; i < 4; i++) {
		if (!rows[i][1])
			continue;
		if (i == 3 || (i == 1 && rows[0][1]))
			line("", "", inner);	/* a blank line before the sign-in and the note */
		line(rows[i][0], rows[i][1], inner);
	}
	printf("└");
	for (size_t i = 0; i < inner + 2; i++)
		printf("─");
	printf("┘\n");
	fflush(stdout);
}
