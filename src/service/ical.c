/*
 * ical.c - recurrence of preventive work and the technicians' calendar
 * feed (see ical.h for the rules callers rely on).
 *
 * Recurrence is libical's icalrecur_iterator, run on floating local dates:
 * the iterator only says which days, and this file puts the start's time of
 * day on each and turns it into UTC itself. libical 3.0's own conversion
 * gets the DST edges wrong for our purpose (a time in the spring gap comes
 * out an hour early, a repeated autumn time as the second one, and after a
 * gap the iterator keeps the shifted hour for a day), and on floating
 * dates it needs no zone inside the iterator at all. libical still
 * supplies the zone data (UTC to local, which is unambiguous).
 *
 * The rule check is ours and strict, because libical 3.0.16 accepts what it
 * then expands wrongly: BYDAY positions with WEEKLY (a Tuesday for "1MO"),
 * BYSETPOS with WEEKLY (ignored), BYMONTHDAY with YEARLY and no BYMONTH
 * (only the start's month), a negative BYMONTHDAY with DAILY (nothing),
 * BYWEEKNO (wrong weeks), leap months (month 4101). Those are refused with
 * a message that says what to write instead.
 *
 * The feed is written by hand: it needs no libical state (so no lock), its
 * folding is ours to get right, and the tests parse it back with libical.
 */
#include "service/ical.h"

#include "core/timeutil.h"

#include <libical/ical.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define YEAR_MIN	1970
#define YEAR_MAX	2500
#define DAY		86400
/* Iterator calls in one search: above COUNT_MAX plus the days of the horizon. */
#define MAX_STEPS	(ICAL_COUNT_MAX + (ICAL_HORIZON_YEARS + 1) * 366 + 64)
#define TZ_NAME_MAX	64

static pthread_once_t ical_once = PTHREAD_ONCE_INIT;
/* Held around every call into libical (see ical.h, "Threads"). */
static pthread_mutex_t ical_lock = PTHREAD_MUTEX_INITIALIZER;

static void ical_setup(void)
{
	icalerror_set_errors_are_fatal(0);
	(void)icaltimezone_get_utc_timezone();
	(void)icaltimezone_get_builtin_timezones();
}

void ical_init(void)
{
	pthread_once(&ical_once, ical_setup);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- the rule check ---- */

enum freq { F_DAILY, F_WEEKLY, F_MONTHLY, F_YEARLY, F__MAX };

static const char *const freq_names[] = { "DAILY", "WEEKLY", "MONTHLY", "YEARLY" };
_Static_assert(sizeof(freq_names) / sizeof(freq_names[0]) == F__MAX, "one name per freq");

enum part { P_FREQ, P_INTERVAL, P_COUNT, P_UNTIL, P_BYDAY, P_BYMONTHDAY, P_BYYEARDAY,
	    P_BYMONTH, P_BYSETPOS, P_WKST, P__MAX };

static const char *const part_names[] = { "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY",
					  "BYMONTHDAY", "BYYEARDAY", "BYMONTH", "BYSETPOS",
					  "WKST" };
_Static_assert(sizeof(part_names) / sizeof(part_names[0]) == P__MAX, "one name per part");

/* Parts of RFC 5545 we refuse, and why. */
static const struct {
	const char *name, *why;
} refused_parts[] = {
	{ "BYHOUR", "BYHOUR is not allowed: the time of day comes from the start" },
	{ "BYMINUTE", "BYMINUTE is not allowed: the time of day comes from the start" },
	{ "BYSECOND", "BYSECOND is not allowed: the time of day comes from the start" },
	{ "BYWEEKNO", "BYWEEKNO is not supported" },
	{ "RSCALE", "RSCALE is not supported" },
	{ "SKIP", "SKIP is not supported" },
};

static const char *const weekdays[] = { "MO", "TU", "WE", "TH", "FR", "SA", "SU" };

/* A rule split into parts: value spans into the upper-cased copy. */
struct rule {
	char text[ICAL_RRULE_MAX + 1];
	const char *value[P__MAX];
	size_t vlen[P__MAX];
	enum freq freq;
	bool neg_monthday;
};

/* A whole number with an optional sign, at most 6 digits, within [lo, hi]. */
static bool span_int(const char *s, size_t n, bool sign, long lo, long hi, long *out)
{
	long v = 0, neg = 1;
	if (n && sign && (*s == '+' || *s == '-')) {
		neg = *s == '-' ? -1 : 1;
		s++;
		n--;
	}
	if (n == 0 || n > 6)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	v *= neg;
	if (v < lo || v > hi)
		return false;
	if (out)
		*out = v;
	return true;
}

static bool span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int weekday_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (span_is(s, n, weekdays[i]))
			return i;
	return -1;
}

/*
 * Walks a comma-separated list, calling item() on each element; refuses
 * empty elements and more than max of them (libical's arrays are fixed).
 */
static int each_item(struct rule *r, enum part p, size_t max,
		     int (*item)(struct rule *r, const char *s, size_t n, char *err, size_t errlen),
		     char *err, size_t errlen)
{
	const char *s = r->value[p], *end = s + r->vlen[p];
	size_t count = 0;
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *stop = comma ? comma : end;
		if (stop == s)
			return fail(err, errlen, "%s has an empty value", part_names[p]);
		if (++count > max)
			return fail(err, errlen, "%s has more than %zu values", part_names[p], max);
		if (item(r, s, (size_t)(stop - s), err, errlen))
			return -1;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int item_byday(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	if (n < 2 || weekday_index(s + n - 2, 2) < 0)
		return fail(err, errlen, "BYDAY: \"%.*s\" is not a weekday (MO to SU, \"1MO\", \"-1FR\")",
			    (int)(n > 16 ? 16 : n), s);
	if (n == 2)
		return 0;
	long limit = r->freq == F_MONTHLY ? 5 : 53;
	if (r->freq != F_MONTHLY && r->freq != F_YEARLY)
		return fail(err, errlen, "BYDAY: a position (\"%.*s\") needs FREQ=MONTHLY or YEARLY",
			    (int)(n > 16 ? 16 : n), s);
	long pos;
	if (!span_int(s, n - 2, true, -limit, limit, &pos) || pos == 0)
		return fail(err, errlen, "BYDAY: the position in \"%.*s\" must be 1 to %ld or -1 to -%ld",
			    (int)(n > 16 ? 16 : n), s, limit, limit);
	return 0;
}

static int item_bymonthday(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	long v;
	if (!span_int(s, n, true, -31, 31, &v) || v == 0)
		return fail(err, errlen, "BYMONTHDAY must be 1 to 31 or -1 to -31");
	if (v < 0)
		r->neg_monthday = true;
	return 0;
}

static int item_byyearday(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	long v;
	if (!span_int(s, n, true, -366, 366, &v) || v == 0)
		return fail(err, errlen, "BYYEARDAY must be 1 to 366 or -1 to -366");
	return 0;
}

static int item_bymonth(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	if (!span_int(s, n, false, 1, 12, NULL))
		return fail(err, errlen, "BYMONTH must be 1 to 12");
	return 0;
}

static int item_bysetpos(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	long v;
	if (!span_int(s, n, true, -366, 366, &v) || v == 0)
		return fail(err, errlen, "BYSETPOS must be 1 to 366 or -1 to -366");
	return 0;
}

/* "YYYYMMDD", "YYYYMMDDTHHMMSS" or the same with "Z". */
static bool until_ok(const char *s, size_t n)
{
	if (n != 8 && n != 15 && n != 16)
		return false;
	if (n == 16 && s[15] != 'Z')
		return false;
	if (n > 8 && s[8] != 'T')
		return false;
	for (size_t i = 0; i < n && i < 15; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return false;
	char date[11] = { s[0], s[1], s[2], s[3], '-', s[4], s[5], '-', s[6], s[7], '\0' };
	long y;
	if (!date_valid(date) || !span_int(s, 4, false, YEAR_MIN, YEAR_MAX, &y))
		return false;
	if (n > 8 && (!span_int(s + 9, 2, false, 0, 23, NULL) ||
		      !span_int(s + 11, 2, false, 0, 59, NULL) ||
		      !span_int(s + 13, 2, false, 0, 59, NULL)))
		return false;
	return true;
}

/* Splits and checks the rule; no libical. Fills r on success. */
static int rule_parse(const char *rrule, struct rule *r, char *err, size_t errlen)
{
	memset(r->value, 0, sizeof(r->value));
	memset(r->vlen, 0, sizeof(r->vlen));
	r->neg_monthday = false;
	if (!rrule || !*rrule)
		return fail(err, errlen, "rule is empty");
	size_t len = strnlen(rrule, ICAL_RRULE_MAX + 1);
	if (len > ICAL_RRULE_MAX)
		return fail(err, errlen, "rule is longer than %d characters", ICAL_RRULE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rrule[i];
		if (c == '\r' || c == '\n')
			return fail(err, errlen, "rule contains a line break");
		if (c < 0x20 || c == 0x7f)
			return fail(err, errlen, "rule contains a control character");
		if (c >= 0x80)
			return fail(err, errlen, "rule contains a character that is not ASCII");
		if (c == ' ')
			return fail(err, errlen, "rule contains a space");
		/* names and values are case-insensitive (RFC 5545); libical gets capitals */
		r->text[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
	}
	r->text[len] = '\0';
	if (strncmp(r->text, "RRULE:", 6) == 0)
		return fail(err, errlen, "write the rule without \"RRULE:\"");

	const char *s = r->text, *end = r->text + len;
	for (;;) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *stop = semi ? semi : end;
		if (stop == s)
			return fail(err, errlen, "rule has an empty part (two ';' or one at an end)");
		const char *eq = memchr(s, '=', (size_t)(stop - s));
		size_t nlen = (size_t)((eq ? eq : stop) - s);
		int shown = (int)(nlen > 20 ? 20 : nlen);
		if (!eq)
			return fail(err, errlen, "rule part \"%.*s\" has no value", shown, s);
		int p = -1;
		for (int i = 0; i < P__MAX; i++)
			if (span_is(s, nlen, part_names[i]))
				p = i;
		if (p < 0) {
			for (size_t i = 0; i < sizeof(refused_parts) / sizeof(refused_parts[0]); i++)
				if (span_is(s, nlen, refused_parts[i].name))
					return fail(err, errlen, "%s", refused_parts[i].why);
			return fail(err, errlen, "unknown rule part \"%.*s\"", shown, s);
		}
		if (r->value[p])
			return fail(err, errlen, "%s is given twice", part_names[p]);
		r->value[p] = eq + 1;
		r->vlen[p] = (size_t)(stop - eq - 1);
		if (r->vlen[p] == 0)
			return fail(err, errlen, "%s has an empty value", part_names[p]);
		if (!semi)
			break;
		s = semi + 1;
	}

	if (!r->value[P_FREQ])
		return fail(err, errlen, "FREQ is missing");
	const char *fv = r->value[P_FREQ];
	size_t fn = r->vlen[P_FREQ];
	if (span_is(fv, fn, "SECONDLY") || span_is(fv, fn, "MINUTELY") || span_is(fv, fn, "HOURLY"))
		return fail(err, errlen, "FREQ=%.*s is too frequent: the shortest is DAILY", (int)fn, fv);
	int freq = -1;
	for (int i = 0; i < F__MAX; i++)
		if (span_is(fv, fn, freq_names[i]))
			freq = i;
	if (freq < 0)
		return fail(err, errlen, "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY");
	r->freq = (enum freq)freq;

	if (r->value[P_INTERVAL] &&
	    !span_int(r->value[P_INTERVAL], r->vlen[P_INTERVAL], false, 1, 1000, NULL))
		return fail(err, errlen, "INTERVAL must be a whole number from 1 to 1000");
	if (r->value[P_COUNT] &&
	    !span_int(r->value[P_COUNT], r->vlen[P_COUNT], false, 1, ICAL_COUNT_MAX, NULL))
		return fail(err, errlen, "COUNT must be a whole number from 1 to %d", ICAL_COUNT_MAX);
	if (r->value[P_COUNT] && r->value[P_UNTIL])
		return fail(err, errlen, "COUNT and UNTIL cannot both be given");
	if (r->value[P_UNTIL] && !until_ok(r->value[P_UNTIL], r->vlen[P_UNTIL]))
		return fail(err, errlen,
			    "UNTIL must be a date or time from 1970 to 2500 like 20271231 or 20271231T170000Z");
	if (r->value[P_WKST] && weekday_index(r->value[P_WKST], r->vlen[P_WKST]) < 0)
		return fail(err, errlen, "WKST must be a weekday (MO to SU)");

	if (r->value[P_BYDAY] &&
	    each_item(r, P_BYDAY, ICAL_BY_DAY_SIZE - 1, item_byday, err, errlen))
		return -1;
	if (r->value[P_BYMONTHDAY] &&
	    each_item(r, P_BYMONTHDAY, ICAL_BY_MONTHDAY_SIZE - 1, item_bymonthday, err, errlen))
		return -1;
	if (r->value[P_BYYEARDAY] &&
	    each_item(r, P_BYYEARDAY, ICAL_BY_YEARDAY_SIZE - 1, item_byyearday, err, errlen))
		return -1;
	if (r->value[P_BYMONTH] && each_item(r, P_BYMONTH, 12, item_bymonth, err, errlen))
		return -1;
	if (r->value[P_BYSETPOS] &&
	    each_item(r, P_BYSETPOS, ICAL_BY_SETPOS_SIZE - 1, item_bysetpos, err, errlen))
		return -1;

	/* combinations RFC 5545 forbids, or libical 3.0 expands wrongly */
	if (r->value[P_BYMONTHDAY] && r->freq == F_WEEKLY)
		return fail(err, errlen, "BYMONTHDAY cannot be used with FREQ=WEEKLY");
	if (r->neg_monthday && r->freq == F_DAILY)
		return fail(err, errlen, "a negative BYMONTHDAY needs FREQ=MONTHLY or YEARLY");
	if (r->value[P_BYMONTHDAY] && r->freq == F_YEARLY && !r->value[P_BYMONTH])
		return fail(err, errlen,
			    "BYMONTHDAY with FREQ=YEARLY needs BYMONTH (or use FREQ=MONTHLY)");
	if (r->value[P_BYYEARDAY] && r->freq != F_YEARLY)
		return fail(err, errlen, "BYYEARDAY needs FREQ=YEARLY");
	if (r->value[P_BYSETPOS]) {
		if (r->freq != F_MONTHLY && r->freq != F_YEARLY)
			return fail(err, errlen, "BYSETPOS needs FREQ=MONTHLY or YEARLY");
		if (!r->value[P_BYDAY] && !r->value[P_BYMONTHDAY] && !r->value[P_BYYEARDAY] &&
		    !r->value[P_BYMONTH])
			return fail(err, errlen, "BYSETPOS needs another BY part to choose from");
	}
	return 0;
}

/* A fixed start to ask libical whether it can expand a rule at all. */
static struct icaltimetype reference_start(void)
{
	struct icaltimetype t = icaltime_null_time();
	t.year = 2001;
	t.month = 1;
	t.day = 1;
	t.hour = 9;
	return t;
}

/* Parses with libical; the caller holds ical_lock. */
static int rule_libical(const struct rule *r, struct icalrecurrencetype *out, char *err,
			size_t errlen)
{
	icalerror_clear_errno();
	struct icalrecurrencetype rt = icalrecurrencetype_from_string(r->text);
	if (rt.freq == ICAL_NO_RECURRENCE)
		return fail(err, errlen, "rule is not valid");
	if (rt.rscale) {	/* refused above; never leak it */
		icalmemory_free_buffer(rt.rscale);
		return fail(err, errlen, "RSCALE is not supported");
	}
	*out = rt;
	return 0;
}

int ical_rrule_check(const char *rrule, char *err, size_t errlen)
{
	struct rule r;
	if (rule_parse(rrule, &r, err, errlen))
		return -1;
	ical_init();
	pthread_mutex_lock(&ical_lock);
	struct icalrecurrencetype rt;
	int rc = rule_libical(&r, &rt, err, errlen);
	if (rc == 0) {
		icalrecur_iterator *it = icalrecur_iterator_new(rt, reference_start());
		if (it)
			icalrecur_iterator_free(it);
		else
			rc = fail(err, errlen, "rule has no occurrences");
	}
	pthread_mutex_unlock(&ical_lock);
	return rc;
}

/* ---- the start and the zone ---- */

struct start {
	int year, month, day, hour, minute;
};

static int start_parse(const char *s, struct start *st, char *err, size_t errlen)
{
	if (!s || strlen(s) != 16 || s[10] != 'T' || s[13] != ':')
		return fail(err, errlen, "start must look like 2026-12-07T09:00");
	char date[11];
	memcpy(date, s, 10);
	date[10] = '\0';
	long y, h, mi;
	if (!date_valid(date) || !span_int(s, 4, false, 0, 9999, &y))
		return fail(err, errlen, "start is not a real date");
	if (y < YEAR_MIN || y > YEAR_MAX)
		return fail(err, errlen, "start must be in the years %d to %d", YEAR_MIN, YEAR_MAX);
	if (!span_int(s + 11, 2, false, 0, 23, &h) || !span_int(s + 14, 2, false, 0, 59, &mi))
		return fail(err, errlen, "start has no valid time of day (00:00 to 23:59)");
	st->year = (int)y;
	st->month = (s[5] - '0') * 10 + (s[6] - '0');
	st->day = (s[8] - '0') * 10 + (s[9] - '0');
	st->hour = (int)h;
	st->minute = (int)mi;
	return 0;
}

/* The shape of a zone name; libical is not handed paths like "../x". */
static bool tz_name_ok(const char *s)
{
	size_t n = s ? strnlen(s, TZ_NAME_MAX + 1) : 0;
	if (n == 0 || n > TZ_NAME_MAX || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//") ||
	    strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '+' ||
		      *p == '/'))
			return false;
	return true;
}

/* The caller holds ical_lock. NULL when the system has no such zone. */
static icaltimezone *zone_get(const char *tz)
{
	if (strcmp(tz, "UTC") == 0)
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(tz);
}

int ical_start_check(const char *dtstart_local, const char *tz, char *err, size_t errlen)
{
	struct start st;
	if (start_parse(dtstart_local, &st, err, errlen))
		return -1;
	if (!tz_name_ok(tz))
		return fail(err, errlen, "time zone must be an IANA name like Europe/Berlin");
	ical_init();
	pthread_mutex_lock(&ical_lock);
	icaltimezone *z = zone_get(tz);
	pthread_mutex_unlock(&ical_lock);
	if (!z)
		return fail(err, errlen, "unknown time zone \"%s\"", tz);
	return 0;
}

/* ---- local time and UTC (the caller holds ical_lock) ---- */

/* Seconds since 1970-01-01T00:00 of a wall-clock time, as if it were UTC. */
static int64_t local_secs(int y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * DAY + h * 3600 + mi * 60 + s;
}

static int64_t utc_to_local(icaltimezone *z, int64_t t)
{
	struct icaltimetype lt = icaltime_from_timet_with_zone((time_t)t, 0, z);
	return local_secs(lt.year, lt.month, lt.day, lt.hour, lt.minute, lt.second);
}

/*
 * The UTC instant of wall-clock time l. Zones change offset at most once
 * in a couple of days, so the offsets a day before and a day after are the
 * only candidates: a time both give is ambiguous (take the earlier
 * instant), one neither gives is in a gap (take the offset before it).
 */
static int64_t local_to_utc(icaltimezone *z, int64_t l)
{
	int64_t before = utc_to_local(z, l - DAY) - (l - DAY);
	int64_t after = utc_to_local(z, l + DAY) - (l + DAY);
	if (before == after)
		return l - before;
	int64_t t1 = l - before, t2 = l - after;
	bool ok1 = utc_to_local(z, t1) == l, ok2 = utc_to_local(z, t2) == l;
	if (ok1 && ok2)
		return t1 < t2 ? t1 : t2;
	if (ok2)
		return t2;
	return t1;
}

/* A floating icaltimetype (no zone) from local seconds. */
static struct icaltimetype floating(int64_t l)
{
	return icaltime_from_timet_with_zone((time_t)l, 0, NULL);
}

/* ---- expansion ---- */

/* 2500-12-31T23:59:59 as local seconds and as UTC (any zone: +-1 day). */
#define LOCAL_MAX	(days_from_civil(YEAR_MAX, 12, 31) * DAY + DAY - 1)

/*
 * Writes the occurrences t with from <= t < to (at most max) to out and
 * their number to *n. Returns 0 or -1 (bad input; libical misbehaving).
 */
static int expand(const char *rrule, const char *dtstart_local, const char *tz, int64_t from,
		  int64_t to, int64_t *out, size_t max, size_t *n)
{
	struct rule r;
	struct start st;
	*n = 0;
	if (rule_parse(rrule, &r, NULL, 0) || start_parse(dtstart_local, &st, NULL, 0) ||
	    !tz_name_ok(tz))
		return -1;
	if (max == 0 || from >= to || from > LOCAL_MAX + DAY)
		return 0;
	ical_init();
	pthread_mutex_lock(&ical_lock);
	int rc = -1;
	icalrecur_iterator *it = NULL;
	icaltimezone *z = zone_get(tz);
	struct icalrecurrencetype rt;
	if (!z || rule_libical(&r, &rt, NULL, 0))
		goto out;

	const int64_t tod = st.hour * 3600 + st.minute * 60;
	const int64_t start_l = local_secs(st.year, st.month, st.day, st.hour, st.minute, 0);
	const int64_t start_utc = local_to_utc(z, start_l);
	if (to <= start_utc - DAY) {
		rc = 0;		/* every occurrence is after the start's day */
		goto out;
	}
	/* from, in local seconds; never before the start (and so in range) */
	int64_t from_l = from > start_utc ? utc_to_local(z, from) : start_l;

	/* UNTIL: a date is that whole local day; a time without Z is local */
	bool until_utc_set = false;
	int64_t until_l = INT64_MAX, until_utc = INT64_MAX;
	if (!icaltime_is_null_time(rt.until)) {
		struct icaltimetype u = rt.until;
		int64_t ul = local_secs(u.year, u.month, u.day, u.hour, u.minute, u.second);
		if (u.is_date) {
			until_l = ul + DAY - 1;
		} else if (icaltime_is_utc(u)) {
			until_utc_set = true;
			until_utc = ul;
			until_l = utc_to_local(z, ul) + DAY;	/* only a bound for libical */
		} else {
			until_l = ul;
		}
	}

	/* libical stops at rt.until: the horizon, UNTIL or the end of to */
	int64_t horizon = (from_l > start_l ? from_l : start_l) +
			  (int64_t)ICAL_HORIZON_YEARS * 36524 * DAY / 100;
	if (to <= LOCAL_MAX + DAY && utc_to_local(z, to) + DAY < horizon)
		horizon = utc_to_local(z, to) + DAY;
	if (until_l < horizon)
		horizon = until_l;
	if (horizon > LOCAL_MAX)
		horizon = LOCAL_MAX;
	rt.until = floating(horizon);

	it = icalrecur_iterator_new(rt, floating(start_l));
	if (!it) {
		rc = 0;		/* libical sees nothing to expand: no occurrences */
		goto out;
	}
	/* skip ahead (not with COUNT: that counts from the start) */
	int64_t skip_to = from_l - 2 * DAY;
	skip_to -= ((skip_to % DAY) + DAY) % DAY;
	skip_to += tod;
	if (rt.count == 0 && skip_to > start_l)
		icalrecur_iterator_set_start(it, floating(skip_to));

	int64_t prev = INT64_MIN;
	for (long steps = 0;; steps++) {
		if (steps >= MAX_STEPS)
			goto out;
		struct icaltimetype o = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(o))
			break;
		if (o.year < YEAR_MIN || o.year > YEAR_MAX || o.month < 1 || o.month > 12 ||
		    o.day < 1 || o.day > icaltime_days_in_month(o.month, o.year))
			goto out;	/* libical made up a date */
		/* the day from libical, the time of day from the start */
		int64_t l = local_secs(o.year, o.month, o.day, 0, 0, 0) + tod;
		if (l <= prev)
			continue;
		prev = l;
		if (l > until_l || l > horizon)
			break;
		if (l < from_l - 2 * DAY)
			continue;	/* surely before from, whatever the offset */
		int64_t t = local_to_utc(z, l);
		if (until_utc_set && t > until_utc)
			break;
		if (t < from)
			continue;
		if (t >= to)
			break;
		out[(*n)++] = t;
		if (*n == max)
			break;
	}
	rc = 0;
out:
	if (it)
		icalrecur_iterator_free(it);
	pthread_mutex_unlock(&ical_lock);
	if (rc)
		*n = 0;
	return rc;
}

int ical_next(const char *rrule, const char *dtstart_local, const char *tz, int64_t after_utc,
	      int64_t *next_utc)
{
	if (after_utc == INT64_MAX)
		return 0;
	int64_t t;
	size_t n;
	if (expand(rrule, dtstart_local, tz, after_utc + 1, INT64_MAX, &t, 1, &n))
		return -1;
	if (n == 0)
		return 0;
	*next_utc = t;
	return 1;
}

int ical_occurrences(const char *rrule, const char *dtstart_local, const char *tz,
		     int64_t from_utc, int64_t to_utc, int64_t *out, size_t max)
{
	size_t n;
	if (max > INT32_MAX)
		max = INT32_MAX;
	if (expand(rrule, dtstart_local, tz, from_utc, to_utc, out, max, &n))
		return -1;
	return (int)n;
}

/* ---- the feed ---- */

static const char *const status_names[] = { "CONFIRMED", "TENTATIVE", "CANCELLED" };
_Static_assert(sizeof(status_names) / sizeof(status_names[0]) == ICAL_FEED__MAX,
	       "one name per status");

#define LINE_MAX_OCTETS 75

/* Years 1970 to 9999. */
#define FEED_TIME_MAX INT64_C(253402300799)

struct feed {
	struct buf *out;
	struct buf line;	/* the content line being built, unfolded */
	bool bad;
};

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned c = p[0], cp;
	size_t n;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;	/* also stops at the NUL */
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* A TEXT value (RFC 5545 3.3.11): escaped, controls dropped, UTF-8 repaired. */
static void add_text(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c == '\r' || c == '\n') {
			buf_add(b, "\\n", 2);
			p += c == '\r' && p[1] == '\n' ? 2 : 1;
		} else if (c == '\\' || c == ';' || c == ',') {
			buf_addch(b, '\\');
			buf_addch(b, (char)c);
			p++;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			p++;
		} else if (c < 0x80) {
			buf_addch(b, (char)c);
			p++;
		} else {
			size_t n = utf8_seq(p);
			if (n) {
				buf_add(b, p, n);
				p += n;
			} else {
				buf_add(b, "\xEF\xBF\xBD", 3);
				p++;
			}
		}
	}
}

/*
 * Appends line folded (RFC 5545 3.1): at most 75 octets a line, CRLF and a
 * space before each continuation, never splitting a UTF-8 sequence or a
 * backslash escape.
 */
static void fold(struct buf *out, const char *s, size_t len)
{
	size_t limit = LINE_MAX_OCTETS;
	while (len > limit) {
		size_t cut = limit;
		while (cut > 1 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		size_t slashes = 0;
		while (slashes < cut && s[cut - 1 - slashes] == '\\')
			slashes++;
		if (slashes % 2)
			cut--;	/* s[cut - 1] starts an escape: keep the pair together */
		buf_add(out, s, cut);
		buf_add(out, "\r\n ", 3);
		s += cut;
		len -= cut;
		limit = LINE_MAX_OCTETS - 1;
	}
	buf_add(out, s, len);
	buf_add(out, "\r\n", 2);
}

static void line_begin(struct feed *f, const char *name)
{
	buf_reset(&f->line);
	buf_addstr(&f->line, name);
	buf_addch(&f->line, ':');
}

static void line_end(struct feed *f)
{
	if (f->line.failed) {
		f->bad = true;
		return;
	}
	fold(f->out, buf_str(&f->line), f->line.len);
}

static void emit(struct feed *f, const char *name, const char *value)
{
	line_begin(f, name);
	buf_addstr(&f->line, value);
	line_end(f);
}

static void emit_text(struct feed *f, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	line_begin(f, name);
	add_text(&f->line, value);
	line_end(f);
}

/* "20261122T140500Z" */
static void emit_time(struct feed *f, const char *name, int64_t t)
{
	if (t < 0 || t > FEED_TIME_MAX) {
		f->bad = true;
		return;
	}
	char s[TIME_RFC3339_LEN];
	time_format(t, s);
	char v[] = { s[0], s[1], s[2], s[3], s[5], s[6], s[8], s[9], 'T',
		     s[11], s[12], s[14], s[15], s[17], s[18], 'Z', '\0' };
	emit(f, name, v);
}

static bool kind_ok(const char *s)
{
	size_t n = strnlen(s, 33);
	if (n == 0 || n > 32)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

static bool url_ok(const char *s)
{
	size_t n = strnlen(s, 4097);
	if (n > 4096)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

static void emit_event(struct feed *f, const struct ical_event *e, int64_t dtstamp)
{
	const char *kind = e->kind ? e->kind : "event";
	if (!kind_ok(kind) || (e->url && !url_ok(e->url)) || e->version < 0 ||
	    (unsigned)e->status >= ICAL_FEED__MAX) {
		f->bad = true;
		return;
	}
	char v[96];
	emit(f, "BEGIN", "VEVENT");
	snprintf(v, sizeof(v), "%s-%lld@servio", kind, (long long)e->id);
	emit(f, "UID", v);
	emit_time(f, "DTSTAMP", dtstamp);
	emit_time(f, "DTSTART", e->starts_at);
	if (e->ends_at > e->starts_at)
		emit_time(f, "DTEND", e->ends_at);
	emit_text(f, "SUMMARY", e->summary);
	emit_text(f, "LOCATION", e->location);
	emit_text(f, "DESCRIPTION", e->description);
	if (e->url && *e->url)
		emit(f, "URL", e->url);
	emit(f, "STATUS", status_names[e->status]);
	snprintf(v, sizeof(v), "%d", e->version);
	emit(f, "SEQUENCE", v);
	emit_time(f, "LAST-MODIFIED", e->updated_at);
	emit(f, "END", "VEVENT");
}

int ical_feed_render(struct buf *out, const char *calendar_name, const struct ical_event *events,
		     size_t n, int64_t dtstamp)
{
	struct feed f = { .out = out, .bad = false };
	buf_init(&f.line, out->max);
	emit(&f, "BEGIN", "VCALENDAR");
	emit(&f, "VERSION", "2.0");
	emit(&f, "PRODID", "-//Servio//Servio//EN");
	emit(&f, "CALSCALE", "GREGORIAN");
	emit(&f, "METHOD", "PUBLISH");
	emit_text(&f, "X-WR-CALNAME", calendar_name);
	/* how often subscribers should look again (Outlook, Apple; RFC 7986) */
	emit(&f, "REFRESH-INTERVAL;VALUE=DURATION", "PT1H");
	emit(&f, "X-PUBLISHED-TTL", "PT1H");
	for (size_t i = 0; i < n && !f.bad; i++)
		emit_event(&f, &events[i], dtstamp);
	emit(&f, "END", "VCALENDAR");
	buf_release(&f.line);
	return f.bad || out->failed ? -1 : 0;
}
