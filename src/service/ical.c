/*
 * ical.c - recurrence of preventive work and the technicians' calendar
 * feed (see ical.h for the rules callers rely on).
 *
 * Recurrence rules are expanded here, not by libical's icalrecur_iterator,
 * because libical 3.0 cannot be bounded: for a rule without occurrences
 * ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6") icalrecur_iterator_new searches up
 * to the year 20000 whatever UNTIL says (libical issue #140), which costs
 * 0.5 to 2.4 s of CPU per call in 3.0.16, and it expands several valid
 * rules wrongly (BYSETPOS with WEEKLY is ignored, a negative BYMONTHDAY
 * with DAILY gives nothing, and across a DST gap it keeps the shifted hour
 * for a day). The subset accepted here (FREQ of a day or more, the time of
 * day from the start, no BYWEEKNO) is small enough to expand period by
 * period with RFC 5545's table, and every loop ends at the horizon. The
 * tests compare the expansion with libical's where libical is right.
 *
 * ICU supplies the zone data, through core/calendar.h like every other
 * zone computation of Servio (and calendar_zone_valid is what FT_TIMEZONE
 * validation takes): UTC to local time, which is unambiguous. Local to UTC
 * is done here so that a time in the spring gap and a repeated autumn time
 * come out as RFC 5545 says. Each expansion opens its own zone, so nothing
 * is shared between threads.
 *
 * The feed is written by hand: its folding is ours to get right, and the
 * tests parse it back with libical.
 */
#include "service/ical.h"

#include "core/calendar.h"
#include "core/result.h"
#include "core/timeutil.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YEAR_MIN	1970
#define YEAR_MAX	2500
#define DAY		86400
#define TZ_NAME_MAX	64
#define YDAYS		367	/* index 1 to 366 */

void ical_init(void)
{
	/* ICU reads its zone data on the first zone opened (a few ms): do that now */
	struct calendar_zone z;
	if (calendar_zone_init(&z, "UTC", NULL, 0) == 0)
		calendar_zone_release(&z);
}

/* ---- calendar arithmetic on days since 1970-01-01 ---- */

struct day {
	int64_t n;		/* days since 1970-01-01 */
	int year, month, mday, wday;	/* wday: 0 = Monday */
	int yday, dim, diy;	/* day of year (1-based), days in month and year */
};

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : dim[m - 1];
}

static int64_t day_number(int y, int m, int d)
{
	return days_from_civil(y, (unsigned)m, (unsigned)d);
}

/* Howard Hinnant's civil_from_days, as in core/timeutil.c (static there). */
static void day_of(int64_t n, struct day *dy)
{
	int64_t z = n + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	dy->n = n;
	dy->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	dy->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	dy->year = (int)((int64_t)yoe + era * 400 + (dy->month <= 2));
	dy->wday = (int)(((n + 3) % 7 + 7) % 7);	/* 1970-01-01 was a Thursday */
	dy->yday = (int)(n - day_number(dy->year, 1, 1)) + 1;
	dy->dim = days_in_month(dy->year, dy->month);
	dy->diy = leap(dy->year) ? 366 : 365;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- the rule ---- */

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

enum until_kind { UNTIL_NONE, UNTIL_LOCAL, UNTIL_UTC };

/*
 * A checked rule. Lists are sets: bit or index v is set when v is listed;
 * "neg" sets hold -v for negative values (counted from the end).
 */
struct rule {
	char text[ICAL_RRULE_MAX + 1];	/* the rule in capitals */
	const char *value[P__MAX];	/* spans into text */
	size_t vlen[P__MAX];
	enum freq freq;
	int interval, count, wkst;	/* wkst: 0 = Monday */
	enum until_kind until_kind;
	int64_t until;		/* local or UTC seconds, inclusive */
	unsigned months;	/* bit m for BYMONTH=m */
	uint32_t mday_pos, mday_neg;	/* bit d for BYMONTHDAY=d / -d */
	uint8_t wday_every;	/* bit w for BYDAY=MO (w = 0) and so on */
	uint64_t wday_pos[7], wday_neg[7];	/* bit n for BYDAY=nMO / -nMO */
	bool byday_positions;
	bool yday_pos[YDAYS], yday_neg[YDAYS];
	bool setpos_pos[YDAYS], setpos_neg[YDAYS];
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

/* Walks a comma-separated list, calling item() on each element. */
static int each_item(struct rule *r, enum part p,
		     int (*item)(struct rule *r, const char *s, size_t n, char *err, size_t errlen),
		     char *err, size_t errlen)
{
	const char *s = r->value[p], *end = s + r->vlen[p];
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *stop = comma ? comma : end;
		if (stop == s)
			return fail_with(err, errlen, "%s has an empty value", part_names[p]);
		if (item(r, s, (size_t)(stop - s), err, errlen))
			return -1;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static int item_byday(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	int shown = (int)(n > 16 ? 16 : n);
	int wd = n >= 2 ? weekday_index(s + n - 2, 2) : -1;
	if (wd < 0)
		return fail_with(err, errlen, "BYDAY: \"%.*s\" is not a weekday (MO to SU, \"1MO\", \"-1FR\")",
				 shown, s);
	if (n == 2) {
		r->wday_every |= (uint8_t)(1u << wd);
		return 0;
	}
	if (r->freq != F_MONTHLY && r->freq != F_YEARLY)
		return fail_with(err, errlen, "BYDAY: a position (\"%.*s\") needs FREQ=MONTHLY or YEARLY",
				 shown, s);
	long limit = r->freq == F_MONTHLY ? 5 : 53, pos;
	if (!span_int(s, n - 2, true, -limit, limit, &pos) || pos == 0)
		return fail_with(err, errlen, "BYDAY: the position in \"%.*s\" must be 1 to %ld or -1 to -%ld",
				 shown, s, limit, limit);
	if (pos > 0)
		r->wday_pos[wd] |= UINT64_C(1) << pos;
	else
		r->wday_neg[wd] |= UINT64_C(1) << -pos;
	r->byday_positions = true;
	return 0;
}

static int item_bymonthday(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	long v;
	if (!span_int(s, n, true, -31, 31, &v) || v == 0)
		return fail_with(err, errlen, "BYMONTHDAY must be 1 to 31 or -1 to -31");
	if (v > 0)
		r->mday_pos |= UINT32_C(1) << v;
	else
		r->mday_neg |= UINT32_C(1) << -v;
	return 0;
}

static int item_byyearday(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	long v;
	if (!span_int(s, n, true, -366, 366, &v) || v == 0)
		return fail_with(err, errlen, "BYYEARDAY must be 1 to 366 or -1 to -366");
	if (v > 0)
		r->yday_pos[v] = true;
	else
		r->yday_neg[-v] = true;
	return 0;
}

static int item_bymonth(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	long v;
	if (!span_int(s, n, false, 1, 12, &v))
		return fail_with(err, errlen, "BYMONTH must be 1 to 12");
	r->months |= 1u << v;
	return 0;
}

static int item_bysetpos(struct rule *r, const char *s, size_t n, char *err, size_t errlen)
{
	long v;
	if (!span_int(s, n, true, -366, 366, &v) || v == 0)
		return fail_with(err, errlen, "BYSETPOS must be 1 to 366 or -1 to -366");
	if (v > 0)
		r->setpos_pos[v] = true;
	else
		r->setpos_neg[-v] = true;
	return 0;
}

/* "YYYYMMDD" (that whole local day), "YYYYMMDDTHHMMSS" (local) or with "Z". */
static bool until_parse(struct rule *r, const char *s, size_t n)
{
	if (n != 8 && n != 15 && n != 16)
		return false;
	if ((n == 16 && s[15] != 'Z') || (n > 8 && s[8] != 'T'))
		return false;
	for (size_t i = 0; i < n && i < 15; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return false;
	char date[11] = { s[0], s[1], s[2], s[3], '-', s[4], s[5], '-', s[6], s[7], '\0' };
	long y, h = 23, mi = 59, se = 59;
	if (!date_valid(date) || !span_int(s, 4, false, YEAR_MIN, YEAR_MAX, &y))
		return false;
	if (n > 8 && (!span_int(s + 9, 2, false, 0, 23, &h) ||
		      !span_int(s + 11, 2, false, 0, 59, &mi) ||
		      !span_int(s + 13, 2, false, 0, 59, &se)))
		return false;
	int m = (s[4] - '0') * 10 + (s[5] - '0'), d = (s[6] - '0') * 10 + (s[7] - '0');
	r->until = day_number((int)y, m, d) * DAY + h * 3600 + mi * 60 + se;
	r->until_kind = n == 16 ? UNTIL_UTC : UNTIL_LOCAL;
	return true;
}

/* Splits and checks the rule into r. */
static int rule_parse(const char *rrule, struct rule *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->interval = 1;
	if (!rrule || !*rrule)
		return fail_with(err, errlen, "rule is empty");
	size_t len = strnlen(rrule, ICAL_RRULE_MAX + 1);
	if (len > ICAL_RRULE_MAX)
		return fail_with(err, errlen, "rule is longer than %d characters", ICAL_RRULE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rrule[i];
		if (c == '\r' || c == '\n')
			return fail_with(err, errlen, "rule contains a line break");
		if (c < 0x20 || c == 0x7f)
			return fail_with(err, errlen, "rule contains a control character");
		if (c >= 0x80)
			return fail_with(err, errlen, "rule contains a character that is not ASCII");
		if (c == ' ')
			return fail_with(err, errlen, "rule contains a space");
		/* names and values are case-insensitive (RFC 5545) */
		r->text[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
	}
	r->text[len] = '\0';
	if (strncmp(r->text, "RRULE:", 6) == 0)
		return fail_with(err, errlen, "write the rule without \"RRULE:\"");

	const char *s = r->text, *end = r->text + len;
	for (;;) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *stop = semi ? semi : end;
		if (stop == s)
			return fail_with(err, errlen, "rule has an empty part (two ';' or one at an end)");
		const char *eq = memchr(s, '=', (size_t)(stop - s));
		size_t nlen = (size_t)((eq ? eq : stop) - s);
		int shown = (int)(nlen > 20 ? 20 : nlen);
		if (!eq)
			return fail_with(err, errlen, "rule part \"%.*s\" has no value", shown, s);
		int p = -1;
		for (int i = 0; i < P__MAX; i++)
			if (span_is(s, nlen, part_names[i]))
				p = i;
		if (p < 0) {
			size_t nrefused = sizeof(refused_parts) / sizeof(refused_parts[0]);
			for (size_t i = 0; i < nrefused; i++)
				if (span_is(s, nlen, refused_parts[i].name))
					return fail_with(err, errlen, "%s", refused_parts[i].why);
			return fail_with(err, errlen, "unknown rule part \"%.*s\"", shown, s);
		}
		if (r->value[p])
			return fail_with(err, errlen, "%s is given twice", part_names[p]);
		r->value[p] = eq + 1;
		r->vlen[p] = (size_t)(stop - eq - 1);
		if (r->vlen[p] == 0)
			return fail_with(err, errlen, "%s has an empty value", part_names[p]);
		if (!semi)
			break;
		s = semi + 1;
	}

	if (!r->value[P_FREQ])
		return fail_with(err, errlen, "FREQ is missing");
	const char *fv = r->value[P_FREQ];
	size_t fn = r->vlen[P_FREQ];
	if (span_is(fv, fn, "SECONDLY") || span_is(fv, fn, "MINUTELY") || span_is(fv, fn, "HOURLY"))
		return fail_with(err, errlen, "FREQ=%.*s is too frequent: the shortest is DAILY", (int)fn, fv);
	int freq = -1;
	for (int i = 0; i < F__MAX; i++)
		if (span_is(fv, fn, freq_names[i]))
			freq = i;
	if (freq < 0)
		return fail_with(err, errlen, "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY");
	r->freq = (enum freq)freq;

	long v;
	if (r->value[P_INTERVAL]) {
		if (!span_int(r->value[P_INTERVAL], r->vlen[P_INTERVAL], false, 1, 1000, &v))
			return fail_with(err, errlen, "INTERVAL must be a whole number from 1 to 1000");
		r->interval = (int)v;
	}
	if (r->value[P_COUNT]) {
		if (!span_int(r->value[P_COUNT], r->vlen[P_COUNT], false, 1, ICAL_COUNT_MAX, &v))
			return fail_with(err, errlen, "COUNT must be a whole number from 1 to %d",
					 ICAL_COUNT_MAX);
		r->count = (int)v;
	}
	if (r->value[P_COUNT] && r->value[P_UNTIL])
		return fail_with(err, errlen, "COUNT and UNTIL cannot both be given");
	if (r->value[P_UNTIL] && !until_parse(r, r->value[P_UNTIL], r->vlen[P_UNTIL]))
		return fail_with(err, errlen,
				 "UNTIL must be a date or time from 1970 to 2500 like 20271231 or 20271231T170000Z");
	if (r->value[P_WKST]) {
		r->wkst = weekday_index(r->value[P_WKST], r->vlen[P_WKST]);
		if (r->wkst < 0)
			return fail_with(err, errlen, "WKST must be a weekday (MO to SU)");
	}
	if ((r->value[P_BYDAY] && each_item(r, P_BYDAY, item_byday, err, errlen)) ||
	    (r->value[P_BYMONTHDAY] && each_item(r, P_BYMONTHDAY, item_bymonthday, err, errlen)) ||
	    (r->value[P_BYYEARDAY] && each_item(r, P_BYYEARDAY, item_byyearday, err, errlen)) ||
	    (r->value[P_BYMONTH] && each_item(r, P_BYMONTH, item_bymonth, err, errlen)) ||
	    (r->value[P_BYSETPOS] && each_item(r, P_BYSETPOS, item_bysetpos, err, errlen)))
		return -1;

	/* combinations RFC 5545 forbids, or leaves to interpretation */
	if (r->value[P_BYMONTHDAY] && r->freq == F_WEEKLY)
		return fail_with(err, errlen, "BYMONTHDAY cannot be used with FREQ=WEEKLY");
	if (r->value[P_BYMONTHDAY] && r->freq == F_YEARLY && !r->value[P_BYMONTH])
		return fail_with(err, errlen,
				 "BYMONTHDAY with FREQ=YEARLY needs BYMONTH (or use FREQ=MONTHLY)");
	if (r->value[P_BYYEARDAY] && r->freq != F_YEARLY)
		return fail_with(err, errlen, "BYYEARDAY needs FREQ=YEARLY");
	if (r->value[P_BYYEARDAY] && (r->value[P_BYMONTH] || r->value[P_BYMONTHDAY]))
		return fail_with(err, errlen, "BYYEARDAY cannot be combined with BYMONTH or BYMONTHDAY");
	if (r->byday_positions && (r->value[P_BYMONTHDAY] || r->value[P_BYYEARDAY]))
		return fail_with(err, errlen,
				 "BYDAY positions (\"1MO\") cannot be combined with BYMONTHDAY or BYYEARDAY");
	if (r->value[P_BYSETPOS]) {
		if (r->freq == F_DAILY)
			return fail_with(err, errlen, "BYSETPOS needs FREQ=WEEKLY, MONTHLY or YEARLY");
		if (!r->value[P_BYDAY] && !r->value[P_BYMONTHDAY] && !r->value[P_BYYEARDAY] &&
		    !r->value[P_BYMONTH])
			return fail_with(err, errlen, "BYSETPOS needs another BY part to choose from");
	}
	return 0;
}

/* True when no BYMONTHDAY exists in any month BYMONTH allows ("BYMONTH=2;BYMONTHDAY=30"). */
static bool monthdays_impossible(const struct rule *r)
{
	if (!r->mday_pos && !r->mday_neg)
		return false;
	for (int m = 1; m <= 12; m++) {
		if (r->months && !(r->months & (1u << m)))
			continue;
		int longest = m == 2 ? 29 : days_in_month(2001, m);
		for (int d = 1; d <= longest; d++)
			if ((r->mday_pos >> d & 1) || (r->mday_neg >> d & 1))
				return false;
	}
	return true;
}

int ical_rrule_check(const char *rrule, char *err, size_t errlen)
{
	struct rule r;
	if (rule_parse(rrule, &r, err, errlen))
		return -1;
	if (monthdays_impossible(&r))
		return fail_with(err, errlen, "rule has no occurrences: no BYMONTHDAY falls in BYMONTH");
	return 0;
}

/* ---- the start and the zone ---- */

struct start {
	int year, month, day, hour, minute;
};

static int start_parse(const char *s, struct start *st, char *err, size_t errlen)
{
	if (!s || strlen(s) != 16 || s[10] != 'T' || s[13] != ':')
		return fail_with(err, errlen, "start must look like 2026-12-07T09:00");
	char date[11];
	memcpy(date, s, 10);
	date[10] = '\0';
	long y, h, mi;
	if (!date_valid(date) || !span_int(s, 4, false, 0, 9999, &y))
		return fail_with(err, errlen, "start is not a real date");
	if (y < YEAR_MIN || y > YEAR_MAX)
		return fail_with(err, errlen, "start must be in the years %d to %d", YEAR_MIN, YEAR_MAX);
	if (!span_int(s + 11, 2, false, 0, 23, &h) || !span_int(s + 14, 2, false, 0, 59, &mi))
		return fail_with(err, errlen, "start has no valid time of day (00:00 to 23:59)");
	st->year = (int)y;
	st->month = (s[5] - '0') * 10 + (s[6] - '0');
	st->day = (s[8] - '0') * 10 + (s[9] - '0');
	st->hour = (int)h;
	st->minute = (int)mi;
	return 0;
}

/*
 * The shape of a zone name, to tell "not a zone name at all" from "a name
 * ICU does not know" in messages.
 */
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

int ical_start_check(const char *dtstart_local, const char *tz, char *err, size_t errlen)
{
	struct start st;
	if (start_parse(dtstart_local, &st, err, errlen))
		return -1;
	if (!tz_name_ok(tz))
		return fail_with(err, errlen, "time zone must be an IANA name like Europe/Berlin");
	if (!calendar_zone_valid(tz))
		return fail_with(err, errlen, "unknown time zone \"%s\"", tz);
	return 0;
}

/* ---- local time and UTC ---- */

/* Local seconds of instant t; expand keeps t within 1970 to 2501, which ICU covers. */
static int64_t utc_to_local(struct calendar_zone *z, int64_t t)
{
	int64_t l;
	if (calendar_zone_local(z, t, &l) < 0)
		abort();	/* t out of CALENDAR_MIN_TIME..CALENDAR_MAX_TIME: a bug here */
	return l;
}

/*
 * The UTC instant of wall-clock time l (local seconds). Zones change
 * offset at most once in a couple of days, so the offsets a day before and
 * a day after are the only candidates: a time both give is ambiguous (take
 * the earlier instant), one neither gives is in a gap (take the offset
 * before it, so 02:30 becomes 03:30 summer time).
 */
static int64_t local_to_utc(struct calendar_zone *z, int64_t l)
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

/* ---- expansion (RFC 5545 3.3.10, for the subset rule_parse accepts) ---- */

/* Is day d in the set the rule's BY parts select within its period? */
static bool day_selected(const struct rule *r, const struct start *st, int start_wday,
			 const struct day *d)
{
	bool has_mday = r->mday_pos || r->mday_neg;
	bool has_yday = r->value[P_BYYEARDAY] != NULL;
	bool has_byday = r->value[P_BYDAY] != NULL;
	if (r->months && !(r->months & (1u << d->month)))
		return false;	/* limits DAILY to YEARLY alike (expands YEARLY) */
	bool mday_ok = (r->mday_pos >> d->mday & 1) || (r->mday_neg >> (d->dim - d->mday + 1) & 1);
	bool yday_ok = r->yday_pos[d->yday] || r->yday_neg[d->diy - d->yday + 1];
	bool every = r->wday_every >> d->wday & 1;
	/* positions count in the month, or in the year for YEARLY without BYMONTH */
	bool in_year = r->freq == F_YEARLY && !r->months;
	int at = in_year ? d->yday : d->mday, len = in_year ? d->diy : d->dim;
	bool positioned = (r->wday_pos[d->wday] >> ((at - 1) / 7 + 1) & 1) ||
			  (r->wday_neg[d->wday] >> ((len - at) / 7 + 1) & 1);

	switch (r->freq) {
	case F_DAILY:
		return (!has_mday || mday_ok) && (!has_byday || every);
	case F_WEEKLY:
		return has_byday ? every : d->wday == start_wday;
	case F_MONTHLY:
		if (has_mday)
			return mday_ok && (!has_byday || every);
		if (has_byday)
			return every || positioned;
		return d->mday == st->day;
	case F_YEARLY:
		if (has_yday)
			return yday_ok && (!has_byday || every);
		if (has_mday)
			return mday_ok && (!has_byday || every);
		if (has_byday)
			return every || positioned;
		if (r->months)
			return d->mday == st->day;
		return d->month == st->month && d->mday == st->day;
	case F__MAX:
		break;
	}
	return false;
}

/* The first and last day of period k (0 = the start's period). */
static void period_days(const struct rule *r, const struct day *s, int64_t k, int64_t *first,
			int64_t *last)
{
	int64_t step = k * r->interval;
	switch (r->freq) {
	case F_DAILY:
		*first = *last = s->n + step;
		return;
	case F_WEEKLY: {
		int64_t week0 = s->n - (s->wday - r->wkst + 7) % 7;
		*first = week0 + 7 * step;
		*last = *first + 6;
		return;
	}
	case F_MONTHLY: {
		int64_t mi = (int64_t)s->year * 12 + (s->month - 1) + step;
		int y = (int)floor_div(mi, 12), m = (int)(mi - (int64_t)y * 12) + 1;
		*first = day_number(y, m, 1);
		*last = *first + days_in_month(y, m) - 1;
		return;
	}
	case F_YEARLY:
	case F__MAX:
		break;
	}
	int y = s->year + (int)step;
	*first = day_number(y, 1, 1);
	*last = day_number(y, 12, 31);
}

/* The index of the last period starting on or before day n (never below 0). */
static int64_t period_at(const struct rule *r, const struct day *s, int64_t n)
{
	struct day d;
	day_of(n, &d);
	int64_t k;
	switch (r->freq) {
	case F_DAILY:
		k = floor_div(n - s->n, r->interval);
		break;
	case F_WEEKLY:
		k = floor_div(n - (s->n - (s->wday - r->wkst + 7) % 7), 7 * (int64_t)r->interval);
		break;
	case F_MONTHLY:
		k = floor_div((int64_t)(d.year - s->year) * 12 + d.month - s->month, r->interval);
		break;
	default:
		k = floor_div(d.year - s->year, r->interval);
		break;
	}
	return k < 0 ? 0 : k;
}

/* 2500-12-31T23:59:59, the last local second we look at. */
#define LOCAL_MAX	(day_number(YEAR_MAX, 12, 31) * DAY + DAY - 1)

/*
 * Writes the occurrences t with from <= t < to (at most max) of rule r
 * from start st in zone z to out, and their number to *n. Bounded:
 * periods are walked from the start (COUNT) or from just before from, up
 * to the horizon, and each period is at most a year of days.
 */
static void expand_in(const struct rule *r, const struct start *st, struct calendar_zone *z,
		      int64_t from, int64_t to, int64_t *out, size_t max, size_t *n)
{
	if (max == 0 || from >= to || from > LOCAL_MAX + DAY)
		return;

	struct day s;
	day_of(day_number(st->year, st->month, st->day), &s);
	const int64_t tod = st->hour * 3600 + st->minute * 60;
	const int64_t start_l = s.n * DAY + tod;
	const int64_t start_utc = local_to_utc(z, start_l);
	if (to <= start_utc - DAY)
		return;	/* every occurrence is on or after the start's day */
	/* from in local seconds, never before the start (and so in range) */
	const int64_t from_l = from > start_utc ? utc_to_local(z, from) : start_l;

	/* nothing is looked for past the horizon, the end of to or UNTIL */
	int64_t horizon = from_l + (int64_t)ICAL_HORIZON_YEARS * 36524 * DAY / 100;
	if (to <= LOCAL_MAX + DAY && utc_to_local(z, to) + DAY < horizon)
		horizon = utc_to_local(z, to) + DAY;
	if (r->until_kind == UNTIL_LOCAL && r->until < horizon)
		horizon = r->until;
	if (r->until_kind == UNTIL_UTC && r->until + DAY < horizon)
		horizon = r->until + DAY;	/* the exact test is in UTC below */
	if (horizon > LOCAL_MAX)
		horizon = LOCAL_MAX;
	const int64_t last_day = floor_div(horizon, DAY);

	/* with COUNT every occurrence from the start counts; else skip ahead */
	int64_t k = r->count ? 0 : period_at(r, &s, floor_div(from_l, DAY) - 2);
	int counted = 0;
	for (;; k++) {
		int64_t first, last;
		period_days(r, &s, k, &first, &last);
		if (first > last_day)
			break;
		int64_t set[YDAYS];
		int size = 0;
		for (int64_t dn = first; dn <= last; dn++) {
			struct day d;
			day_of(dn, &d);
			if (day_selected(r, st, s.wday, &d))
				set[size++] = dn;
		}
		int kept = 0;
		for (int i = 0; i < size; i++)
			if (!r->value[P_BYSETPOS] || r->setpos_pos[i + 1] || r->setpos_neg[size - i])
				set[kept++] = set[i];
		for (int i = 0; i < kept; i++) {
			int64_t l = set[i] * DAY + tod;
			if (l < start_l)
				continue;	/* before the start: not an occurrence */
			if ((r->count && ++counted > r->count) || l > horizon)
				return;
			if (l < from_l - 2 * DAY)
				continue;	/* surely before from, whatever the offset */
			int64_t t = local_to_utc(z, l);
			if ((r->until_kind == UNTIL_UTC && t > r->until) || t >= to)
				return;
			if (t < from)
				continue;
			out[(*n)++] = t;
			if (*n == max)
				return;
		}
	}
}

/* Checks the input, opens the zone and expands (see expand_in); 0, or -1 for bad input. */
static int expand(const char *rrule, const char *dtstart_local, const char *tz, int64_t from,
		  int64_t to, int64_t *out, size_t max, size_t *n)
{
	struct rule r;
	struct start st;
	struct calendar_zone z;
	*n = 0;
	if (rule_parse(rrule, &r, NULL, 0) || start_parse(dtstart_local, &st, NULL, 0) ||
	    calendar_zone_init(&z, tz, NULL, 0))
		return -1;
	expand_in(&r, &st, &z, from, to, out, max, n);
	calendar_zone_release(&z);
	return 0;
}

int ical_next(const char *rrule, const char *dtstart_local, const char *tz, int64_t after_utc,
	      int64_t *next_utc)
{
	int64_t t;
	size_t n;
	if (after_utc == INT64_MAX) {
		/* still say -1 for bad input */
		return expand(rrule, dtstart_local, tz, 0, 0, &t, 1, &n) ? -1 : 0;
	}
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
