/*
 * password_policy.c - which passwords people may choose. A password must
 * have at least 10 characters once spaces at either end and invisible
 * characters (zero-width spaces, joiners, fillers) are left out, and
 * zxcvbn (libzxcvbn, with the user's own e-mail and name as its user
 * dictionary) must rate it at least score 3: 10^8 guesses, what a slow
 * hash makes an offline attack too costly for. A password that contains
 * the user's e-mail address, its local part or the user's name is refused
 * however long. Every message says what is wrong and what to do instead.
 */
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include <zxcvbn.h>

#define MIN_CHARS 10
#define MAX_BYTES 512
/* zxcvbn's score 3 starts at 10^8 guesses; the C port gives bits (log2 of guesses) */
#define MIN_LOG10_GUESSES 8.0
#define LOG10_2 0.30102999566398120

#define ADVICE "; use a longer phrase of unrelated words"

/* Shown as nothing: spaces, format and control characters, fillers. */
static bool invisible(UChar32 c)
{
	if (c < 0)
		return false;	/* a byte that is no UTF-8: visible enough */
	if (u_isUWhiteSpace(c) || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
		return true;
	int8_t type = u_charType(c);
	return type == U_FORMAT_CHAR || type == U_CONTROL_CHAR || c == 0x2800 /* braille blank */;
}

/*
 * Whether hay contains needle (ASCII case folded). Needles shorter than 4
 * never match ("bob" may be in a good passphrase); zxcvbn still weighs them.
 */
static bool contains(const char *hay, const char *needle, size_t len)
{
	if (len < 4)
		return false;
	for (const char *p = hay; strlen(p) >= len; p++)
		if (strncasecmp(p, needle, len) == 0)
			return true;
	return false;
}

/* The message for the kind of match that covers most of a weak password. */
static const char *weak_because(const ZxcMatch_t *info)
{
	int longest = 0, kind = BRUTE_MATCH;
	for (const ZxcMatch_t *m = info; m; m = m->Next)
		if (m->Length > longest) {
			longest = m->Length;
			kind = (int)m->Type & (MULTIPLE_MATCH - 1);
		}
	switch (kind) {
	case DICTIONARY_MATCH:
	case DICT_LEET_MATCH:
		return "too easy to guess: it is a common password or word" ADVICE;
	case USER_MATCH:
	case USER_LEET_MATCH:
		return "too easy to guess: it is made of your name or e-mail address" ADVICE;
	case REPEATS_MATCH:
		return "too easy to guess: it repeats characters or words" ADVICE;
	case SEQUENCE_MATCH:
		return "too easy to guess: it is a sequence like 123456 or abcdef" ADVICE;
	case SPATIAL_MATCH:
		return "too easy to guess: it is a pattern of neighbouring keys" ADVICE;
	case DATE_MATCH:
	case YEAR_MATCH:
		return "too easy to guess: it is mostly a date or a year" ADVICE;
	default:
		return "too easy to guess: it follows a simple pattern" ADVICE;
	}
}

const char *auth_password_problem(const char *password, const char *email, const char *name)
{
	size_t n = strlen(password);
	if (n > MAX_BYTES)
		return "must be at most 512 bytes";
	/* what is seen: the characters between the first and last visible one, fillers left out */
	char seen[MAX_BYTES + 1];
	size_t len = 0, end = 0, chars = 0, kept_chars = 0;
	int32_t i = 0;
	while (i < (int32_t)n) {
		int32_t at = i;
		UChar32 c;
		U8_NEXT(password, i, (int32_t)n, c);
		if (invisible(c) && !(c >= 0 && u_isUWhiteSpace(c) && chars))
			continue;	/* leading spaces and every filler */
		memcpy(seen + len, password + at, (size_t)(i - at));
		len += (size_t)(i - at);
		chars++;
		if (!invisible(c)) {
			kept_chars = chars;	/* trailing spaces come off */
			end = len;
		}
	}
	seen[end] = '\0';
	if (!kept_chars)
		return "must not be only spaces or invisible characters";
	if (kept_chars < MIN_CHARS)
		return "must be at least 10 characters, not counting spaces at either end or "
		       "invisible characters";

	char local[256] = "";
	if (email) {
		snprintf(local, sizeof(local), "%s", email);
		char *at = strchr(local, '@');
		if (at)
			*at = '\0';
	}
	if ((email && contains(seen, email, strlen(email))) ||
	    contains(seen, local, strlen(local)) || (name && contains(seen, name, strlen(name))))
		return "too easy to guess: it contains your name or e-mail address" ADVICE;

	/* the user's own words, for zxcvbn to rate as guessed first */
	char words[512];
	const char *dict[24];
	size_t nd = 0;
	snprintf(words, sizeof(words), "%s %s", email ? email : "", name ? name : "");
	if (*local)
		dict[nd++] = local;
	if (email && *email)
		dict[nd++] = email;
	for (char *save = NULL, *w = strtok_r(words, " @.-_+", &save);
	     w && nd < sizeof(dict) / sizeof(dict[0]) - 1; w = strtok_r(NULL, " @.-_+", &save))
		if (strlen(w) >= 3)
			dict[nd++] = w;
	dict[nd] = NULL;
	ZxcMatch_t *info = NULL;
	double bits = ZxcvbnMatch(seen, dict, &info);
	const char *problem = bits * LOG10_2 < MIN_LOG10_GUESSES ? weak_because(info) : NULL;
	ZxcvbnFreeInfo(info);
	return problem;
}
