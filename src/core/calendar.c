/*
 * calendar.c - business time on a work calendar. Each local day is cut
 * into pieces (counted, outside hours, holiday) whose ends ICU turns into
 * real instants; the arithmetic walks those pieces a day at a time, so
 * every DST change, half-hour zone and historical rule is ICU's to know.
 * ICU's conversions are the costly part, so the calendar remembers the
 * days it has cut (the memo, see calendar.h): a direct-mapped table of
 * local dates, grown by doubling up to its bound, so that the sweep's
 * thousands of walks over the same weeks convert each day once.
 */
#include "calendar.h"

#include "alloc.h"
#include "result.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

struct calendar_piece {
	int64_t start, end;
	enum calendar_kind kind;
};

/*
 * A slot of the memo: local date `day` cut into n pieces (0: the slot is
 * empty), kept in memo_pieces at the slot's index times pieces_cap. They
 * cover [start, end), the day's local midnight to the next, exactly.
 */
struct calendar_day {
	int64_t day;
	int64_t start, end;
	size_t n;
};

#define DAY_SECONDS	86400
#define HORIZON_SECONDS	((int64_t)CALENDAR_HORIZON_DAYS * DAY_SECONDS)
#define IDLE_SECONDS	((int64_t)CALENDAR_IDLE_DAYS * DAY_SECONDS)
/* How far calendar_interval_at looks ahead for the add and count loops. */
#define STEP_SECONDS	((int64_t)31 * DAY_SECONDS)

static const char *const kind_names[] = { "counted", "outside_hours", "holiday" };
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == CALENDAR_KIND__MAX,
	       "a name for each calendar kind");

const char *calendar_kind_name(enum calendar_kind kind)
{
	return (unsigned)kind < CALENDAR_KIND__MAX ? kind_names[kind] : "?";
}

/* Rounds up to a whole minute (floor division keeps negatives right). */
static int64_t ceil_minute(int64_t t)
{
	int64_t r = t % 60;
	if (r < 0)
		r += 60;
	return r ? t + (60 - r) : t;
}

static bool in_range(int64_t t)
{
	return t >= CALENDAR_MIN_TIME && t <= CALENDAR_MAX_TIME;
}

/* 1 = Monday .. 7 = Sunday; 1970-01-01 was a Thursday. */
static int weekday_of(int64_t day)
{
	int64_t r = day % 7;
	if (r < 0)
		r += 7;
	return (int)((r + 3) % 7) + 1;
}

/* ---- parsing ---- */

static int two_digits(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int calendar_parse_hhmm(const char *s, int *minute, char *err, size_t errlen)
{
	int h, m;
	if (!s || strlen(s) != 5 || s[2] != ':' || two_digits(s, &h) || two_digits(s + 3, &m) ||
	    h > 24 || m > 59 || (h == 24 && m != 0))
		return fail_with(err, errlen, "time of day must be HH:MM from 00:00 to 24:00");
	*minute = h * 60 + m;
	return 0;
}

int calendar_parse_date(const char *s, int64_t *day, char *err, size_t errlen)
{
	if (!s || !date_valid(s))
		return fail_with(err, errlen, "date must be a real date as YYYY-MM-DD");
	unsigned y = 0;
	for (int i = 0; i < 4; i++)
		y = y * 10 + (unsigned)(s[i] - '0');
	int m = 0, d = 0;	/* date_valid vouched for the digits */
	two_digits(s + 5, &m);
	two_digits(s + 8, &d);
	*day = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

/* ---- making and releasing ---- */

static int cmp_hours(const void *pa, const void *pb)
{
	const struct calendar_hours *a = pa, *b = pb;
	if (a->weekday != b->weekday)
		return a->weekday < b->weekday ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

static int cmp_i64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
	return a < b ? -1 : a > b;
}

/*
 * Ids ICU knows that are not IANA names, so calendar_zone_valid refuses
 * them: the three-letter ids of Java 1.1 (IST is India to ICU but Israel
 * or Ireland to many a reader), and the names IANA dropped long ago. ICU
 * keeps them frozen for compatibility and adds none.
 */
static const char *const not_iana[] = {
	"ACT", "AET", "AGT", "ART", "AST", "BET", "BST", "CAT", "CNT", "CST", "CTT", "EAT", "ECT",
	"IET", "IST", "JST", "MIT", "NET", "NST", "PLT", "PNT", "PRT", "PST", "SST", "VST",
	"Canada/East-Saskatchewan", "US/Pacific-New",
};

/* Printable ASCII without spaces, 1 to CALENDAR_TZ_MAX - 1 bytes. */
static bool zone_name_shaped(const char *name)
{
	size_t n = name ? strnlen(name, CALENDAR_TZ_MAX) : 0;
	if (n == 0 || n >= CALENDAR_TZ_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f)
			return false;
	return true;
}

bool calendar_zone_valid(const char *name)
{
	if (!zone_name_shaped(name) || strncmp(name, "SystemV/", 8) == 0)
		return false;
	for (size_t i = 0; i < sizeof(not_iana) / sizeof(not_iana[0]); i++)
		if (strcmp(name, not_iana[i]) == 0)
			return false;
	UChar id[CALENDAR_TZ_MAX], canon[2 * CALENDAR_TZ_MAX];
	u_uastrncpy(id, name, CALENDAR_TZ_MAX);
	UBool system = 0;
	UErrorCode st = U_ZERO_ERROR;
	int32_t len = ucal_getCanonicalTimeZoneID(id, (int32_t)strlen(name), canon,
						  2 * CALENDAR_TZ_MAX, &system, &st);
	if (U_FAILURE(st) || !system || len <= 0 || len >= 2 * CALENDAR_TZ_MAX)
		return false;	/* custom ids ("GMT+05:00") are not system ids */
	/* the zones that stand for no zone at all */
	char c[2 * CALENDAR_TZ_MAX];
	u_austrncpy(c, canon, (int32_t)sizeof(c) - 1);
	c[len] = '\0';
	return strcmp(c, "Etc/Unknown") != 0 && strcmp(c, "Factory") != 0;
}

/* An ICU calendar on zone tz, or NULL with a message. */
static UCalendar *zone_open(const char *tz, char *err, size_t errlen)
{
	if (!tz || !*tz) {
		fail_with(err, errlen, "time zone is missing");
		return NULL;
	}
	if (!calendar_zone_valid(tz)) {
		if (zone_name_shaped(tz))
			fail_with(err, errlen, "unknown time zone \"%s\"", tz);
		else
			fail_with(err, errlen, "unknown time zone \"%.*s\"", 40, tz);
		return NULL;
	}
	UChar id[CALENDAR_TZ_MAX];
	u_uastrncpy(id, tz, CALENDAR_TZ_MAX);
	UErrorCode st = U_ZERO_ERROR;
	UCalendar *uc = ucal_open(id, (int32_t)strlen(tz), "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st) || !uc) {
		if (uc)
			ucal_close(uc);
		fail_with(err, errlen, "cannot open time zone \"%s\": %s", tz, u_errorName(st));
		return NULL;
	}
	return uc;
}

static int open_zone(struct calendar *cal, const char *tz, char *err, size_t errlen)
{
	UCalendar *uc = zone_open(tz, err, errlen);
	if (!uc)
		return -1;
	/* The first instant the wall clock shows a time or later (see calendar.h). */
	ucal_setAttribute(uc, UCAL_LENIENT, 1);
	ucal_setAttribute(uc, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
	ucal_setAttribute(uc, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
	cal->ucal = uc;
	memcpy(cal->tz, tz, strlen(tz) + 1);
	return 0;
}

/* ---- a zone alone ---- */

int calendar_zone_init(struct calendar_zone *z, const char *tz, char *err, size_t errlen)
{
	z->ucal = zone_open(tz, err, errlen);
	return z->ucal ? 0 : -1;
}

void calendar_zone_release(struct calendar_zone *z)
{
	if (z->ucal)
		ucal_close(z->ucal);
	z->ucal = NULL;
}

int calendar_zone_local(struct calendar_zone *z, int64_t t, int64_t *local)
{
	if (!in_range(t))
		return -1;
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(z->ucal, (UDate)t * 1000.0, &st);
	int32_t zone = ucal_get(z->ucal, UCAL_ZONE_OFFSET, &st);
	int32_t dst = ucal_get(z->ucal, UCAL_DST_OFFSET, &st);
	if (U_FAILURE(st))
		return -1;
	/* zone offsets are whole seconds (ICU keeps them in milliseconds) */
	*local = t + ((int64_t)zone + dst) / 1000;
	return 0;
}

/* t with t + offset(t) = midnight, in three steps (an offset changes at most once a day) */
int calendar_zone_day_start(struct calendar_zone *z, int64_t day, int64_t *t)
{
	int64_t wall = day * 86400, local;
	int64_t guess = wall;
	for (int i = 0; i < 3; i++) {
		if (calendar_zone_local(z, guess, &local) < 0)
			return -1;
		guess = wall - (local - guess);
	}
	*t = guess;
	return 0;
}

static int set_hours(struct calendar *cal, const struct calendar_hours *hours, size_t nhours,
		     char *err, size_t errlen)
{
	for (size_t i = 0; i < nhours; i++) {
		const struct calendar_hours *h = &hours[i];
		if (h->weekday < 1 || h->weekday > 7)
			return fail_with(err, errlen, "hours[%zu]: weekday must be 1 (Monday) to 7 (Sunday)",
					 i);
		if (h->start < 0 || h->end > 1440 || h->start >= h->end)
			return fail_with(err, errlen,
					 "hours[%zu]: start and end must be 00:00 to 24:00, start before end",
					 i);
		for (size_t j = 0; j < i; j++) {
			const struct calendar_hours *o = &hours[j];
			if (o->weekday == h->weekday && h->start < o->end && o->start < h->end)
				return fail_with(err, errlen, "hours[%zu]: overlaps hours[%zu] on weekday %d",
						 i, j, h->weekday);
		}
	}
	if (nhours) {
		cal->hours = xmalloc(nhours * sizeof(*cal->hours));
		if (!cal->hours)
			return fail_with(err, errlen, "out of memory");
		memcpy(cal->hours, hours, nhours * sizeof(*cal->hours));
		qsort(cal->hours, nhours, sizeof(*cal->hours), cmp_hours);
	}
	cal->nhours = nhours;
	size_t most = 0, k = 0;
	for (int w = 1; w <= 7; w++) {
		cal->day_first[w - 1] = k;
		size_t first = k;
		while (k < nhours && cal->hours[k].weekday == w)
			k++;
		if (k - first > most)
			most = k - first;
	}
	cal->day_first[7] = k;
	/* a day is at most: outside, then counted and outside per range */
	cal->pieces_cap = 2 * most + 1;
	/* the memo starts at one day and grows as walks need (memo_grow) */
	cal->memo = xmalloc(sizeof(*cal->memo));
	cal->memo_pieces = xmalloc(cal->pieces_cap * sizeof(*cal->memo_pieces));
	if (!cal->memo || !cal->memo_pieces)
		return fail_with(err, errlen, "out of memory");
	cal->memo[0].n = 0;
	cal->memo_slots = 1;
	cal->memo_max = CALENDAR_MEMO_DAYS;
	return 0;
}

static int set_holidays(struct calendar *cal, const char *const *holidays, size_t n, char *err,
			size_t errlen)
{
	if (!n)
		return 0;
	cal->holidays = xmalloc(n * sizeof(*cal->holidays));
	if (!cal->holidays)
		return fail_with(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (calendar_parse_date(holidays[i], &cal->holidays[i], NULL, 0))
			return fail_with(err, errlen, "holidays[%zu]: \"%.12s\" is not a date as YYYY-MM-DD",
					 i, holidays[i] ? holidays[i] : "");
	}
	qsort(cal->holidays, n, sizeof(*cal->holidays), cmp_i64);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || cal->holidays[k - 1] != cal->holidays[i])
			cal->holidays[k++] = cal->holidays[i];
	cal->nholidays = k;
	return 0;
}

int calendar_init(struct calendar *cal, const char *tz, bool always_open,
		  const struct calendar_hours *hours, size_t nhours,
		  const char *const *holidays, size_t nholidays, char *err, size_t errlen)
{
	memset(cal, 0, sizeof(*cal));
	cal->always_open = always_open;
	if (always_open)
		nhours = 0;
	if (open_zone(cal, tz, err, errlen) || set_hours(cal, hours, nhours, err, errlen) ||
	    set_holidays(cal, holidays, nholidays, err, errlen)) {
		calendar_release(cal);
		return -1;
	}
	return 0;
}

int calendar_init_json(struct calendar *cal, const char *tz, bool always_open,
		       const json_t *hours, const json_t *holidays, char *err, size_t errlen)
{
	memset(cal, 0, sizeof(*cal));
	if ((hours && !json_is_array(hours)) || (holidays && !json_is_array(holidays)))
		return fail_with(err, errlen, "hours and holidays must be arrays");
	size_t nh = json_array_size(hours), nd = json_array_size(holidays);
	struct calendar_hours *h = xmalloc((nh ? nh : 1) * sizeof(*h));
	const char **d = xmalloc((nd ? nd : 1) * sizeof(*d));
	int rc = -1;
	if (!h || !d) {
		fail_with(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nh; i++) {
		const json_t *o = json_array_get(hours, i);
		const json_t *wd = json_object_get(o, "weekday");
		char sub[CALENDAR_ERR_LEN];
		if (!json_is_integer(wd) || json_integer_value(wd) < 1 || json_integer_value(wd) > 7) {
			fail_with(err, errlen, "hours[%zu]: weekday must be 1 (Monday) to 7 (Sunday)", i);
			goto out;
		}
		h[i].weekday = (int)json_integer_value(wd);
		if (calendar_parse_hhmm(json_string_value(json_object_get(o, "start")), &h[i].start,
					sub, sizeof(sub)) ||
		    calendar_parse_hhmm(json_string_value(json_object_get(o, "end")), &h[i].end, sub,
					sizeof(sub))) {
			fail_with(err, errlen, "hours[%zu]: %s", i, sub);
			goto out;
		}
	}
	for (size_t i = 0; i < nd; i++) {
		d[i] = json_string_value(json_array_get(holidays, i));
		if (!d[i]) {
			fail_with(err, errlen, "holidays[%zu]: must be a date as YYYY-MM-DD", i);
			goto out;
		}
	}
	rc = calendar_init(cal, tz, always_open, h, nh, d, nd, err, errlen);
out:
	xfree(h);
	xfree(d);
	return rc;
}

void calendar_release(struct calendar *cal)
{
	if (cal->ucal)
		ucal_close(cal->ucal);
	xfree(cal->hours);
	xfree(cal->holidays);
	xfree(cal->memo);
	xfree(cal->memo_pieces);
	memset(cal, 0, sizeof(*cal));
}

int calendar_memo_limit(struct calendar *cal, size_t days)
{
	if (days == 0)
		return -1;
	size_t max = 1;
	while (max <= days / 2)
		max *= 2;
	cal->memo_max = max;
	/* a smaller table is the first slots of the one there is: slot i keeps its pieces' place */
	if (cal->memo_slots > max)
		cal->memo_slots = max;
	for (size_t i = 0; i < cal->memo_slots; i++)
		cal->memo[i].n = 0;
	cal->cur = NULL;
	return 0;
}

/* ---- days ---- */

static bool is_holiday(const struct calendar *cal, int64_t day)
{
	return cal->nholidays &&
	       bsearch(&day, cal->holidays, cal->nholidays, sizeof(day), cmp_i64) != NULL;
}

/* The first instant at which the wall clock of day shows minute or later. */
static int wall_to_utc(struct calendar *cal, int64_t day, int minute, int64_t *out)
{
	if (minute >= 1440) {
		day++;
		minute -= 1440;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	UErrorCode st = U_ZERO_ERROR;
	ucal_clear(cal->ucal);
	ucal_setDateTime(cal->ucal, (int32_t)y, (int32_t)m - 1, (int32_t)d, minute / 60,
			 minute % 60, 0, &st);
	UDate ms = ucal_getMillis(cal->ucal, &st);
	if (U_FAILURE(st))
		return -1;
	/* whole seconds: ms is an exact multiple of 1000 */
	*out = (int64_t)(ms / 1000.0);
	return 0;
}

static int local_day(struct calendar *cal, int64_t t, int64_t *day)
{
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(cal->ucal, (UDate)t * 1000.0, &st);
	int32_t y = ucal_get(cal->ucal, UCAL_EXTENDED_YEAR, &st);
	int32_t m = ucal_get(cal->ucal, UCAL_MONTH, &st);
	int32_t d = ucal_get(cal->ucal, UCAL_DATE, &st);
	if (U_FAILURE(st))
		return -1;
	*day = days_from_civil(y, (unsigned)m + 1, (unsigned)d);
	return 0;
}

/* ---- the memo ---- */

static struct calendar_day *slot_of(struct calendar *cal, int64_t day)
{
	return &cal->memo[(uint64_t)day & (cal->memo_slots - 1)];
}

static struct calendar_piece *pieces_of(struct calendar *cal, const struct calendar_day *d)
{
	return cal->memo_pieces + (size_t)(d - cal->memo) * cal->pieces_cap;
}

/*
 * Doubles the memo, each remembered day moving to its slot in the larger
 * table (two days in different slots stay apart: day mod 2n differs where
 * day mod n does). Returns 0, or -1 when memory runs out (the memo is then
 * as it was).
 */
static int memo_grow(struct calendar *cal)
{
	size_t n = cal->memo_slots, cap = cal->pieces_cap;
	struct calendar_day *memo = xmalloc(2 * n * sizeof(*memo));
	struct calendar_piece *pieces = xmalloc(2 * n * cap * sizeof(*pieces));
	if (!memo || !pieces) {
		xfree(memo);
		xfree(pieces);
		return -1;
	}
	for (size_t i = 0; i < 2 * n; i++)
		memo[i].n = 0;
	for (size_t i = 0; i < n; i++) {
		const struct calendar_day *d = &cal->memo[i];
		if (!d->n)
			continue;
		size_t j = (uint64_t)d->day & (2 * n - 1);
		memo[j] = *d;
		memcpy(pieces + j * cap, cal->memo_pieces + i * cap, d->n * sizeof(*pieces));
	}
	xfree(cal->memo);
	xfree(cal->memo_pieces);
	cal->memo = memo;
	cal->memo_pieces = pieces;
	cal->memo_slots = 2 * n;
	cal->cur = NULL;
	return 0;
}

static void add_piece(struct calendar_piece *p, size_t *n, size_t cap, int64_t start, int64_t end,
		      enum calendar_kind kind)
{
	if (end <= start)
		return;
	if (*n && p[*n - 1].kind == kind) {
		p[*n - 1].end = end;
		return;
	}
	if (*n >= cap)
		abort();	/* pieces_cap counts the most a day can have */
	p[(*n)++] = (struct calendar_piece){ start, end, kind };
}

/* Cuts local day `day` into pieces p (room for pieces_cap); they cover the day exactly. */
static int cut_day(struct calendar *cal, int64_t day, struct calendar_piece *p, size_t *np)
{
	size_t n = 0, cap = cal->pieces_cap;
	int64_t t0, t1;
	if (wall_to_utc(cal, day, 0, &t0) || wall_to_utc(cal, day, 1440, &t1))
		return -1;
	if (is_holiday(cal, day)) {
		add_piece(p, &n, cap, t0, t1, CALENDAR_HOLIDAY);
	} else if (cal->always_open) {
		add_piece(p, &n, cap, t0, t1, CALENDAR_COUNTED);
	} else {
		int w = weekday_of(day);
		int64_t cur = t0;
		for (size_t i = cal->day_first[w - 1]; i < cal->day_first[w]; i++) {
			int64_t s, e;
			if (wall_to_utc(cal, day, cal->hours[i].start, &s) ||
			    wall_to_utc(cal, day, cal->hours[i].end, &e))
				return -1;
			add_piece(p, &n, cap, cur, s, CALENDAR_OUTSIDE_HOURS);
			add_piece(p, &n, cap, s, e, CALENDAR_COUNTED);
			cur = e > cur ? e : cur;
		}
		add_piece(p, &n, cap, cur, t1, CALENDAR_OUTSIDE_HOURS);
	}
	if (!n)	/* a day of no length: only a broken zone has one */
		return -1;
	*np = n;
	return 0;
}

/*
 * Makes local day `day` the current one (cal->cur), from the memo or cut
 * anew into its slot, which it takes from the day there: the memo doubles
 * first while it is below its bound.
 */
static int load_day(struct calendar *cal, int64_t day)
{
	struct calendar_day *d = slot_of(cal, day);
	if (d->n && d->day == day) {
		cal->cur = d;
		return 0;
	}
	while (d->n && cal->memo_slots < cal->memo_max && memo_grow(cal) == 0) {
		d = slot_of(cal, day);
		if (d->n && d->day == day) {	/* cannot be: it missed in the smaller table */
			cal->cur = d;
			return 0;
		}
	}
	cal->cur = NULL;
	d->n = 0;
	struct calendar_piece *p = pieces_of(cal, d);
	size_t n;
	if (cut_day(cal, day, p, &n))
		return -1;
	cal->days_converted++;
	*d = (struct calendar_day){ day, p[0].start, p[n - 1].end, n };
	cal->cur = d;
	return 0;
}

/* Floor division by a day. */
static int64_t day_floor(int64_t t)
{
	int64_t q = t / DAY_SECONDS;
	return t % DAY_SECONDS < 0 ? q - 1 : q;
}

/* Loads the local day whose pieces hold t. */
static int load_day_of(struct calendar *cal, int64_t t)
{
	if (cal->cur && cal->cur->start <= t && t < cal->cur->end)
		return 0;
	/*
	 * A zone's offset is under a day, so t's local date is its UTC date or
	 * a neighbour: a remembered one that holds t is the answer, no ICU.
	 */
	int64_t utc = day_floor(t);
	for (int64_t day = utc - 1; day <= utc + 1; day++) {
		struct calendar_day *d = slot_of(cal, day);
		if (d->n && d->day == day && d->start <= t && t < d->end) {
			cal->cur = d;
			return 0;
		}
	}
	int64_t day;
	if (local_day(cal, t, &day) || load_day(cal, day))
		return -1;
	/* a repeated hour at midnight can put t in the neighbouring day */
	for (int i = 0; i < 3; i++) {
		if (t >= cal->cur->end)
			day++;
		else if (t < cal->cur->start)
			day--;
		else
			return 0;
		if (load_day(cal, day))
			return -1;
	}
	return -1;
}

int calendar_interval_at(struct calendar *cal, int64_t t, int64_t until,
			 struct calendar_interval *iv, char *err, size_t errlen)
{
	if (!in_range(t) || until <= t)
		return fail_with(err, errlen, "time out of range");
	if (until > CALENDAR_MAX_TIME + 1)
		until = CALENDAR_MAX_TIME + 1;
	if (cal->always_open && !cal->nholidays) {
		*iv = (struct calendar_interval){ t, until, CALENDAR_COUNTED };
		return 0;
	}
	if (load_day_of(cal, t))
		return fail_with(err, errlen, "cannot convert local time in \"%s\"", cal->tz);
	const struct calendar_piece *p = pieces_of(cal, cal->cur);
	size_t i = 0;
	while (p[i].end <= t)
		i++;
	enum calendar_kind kind = p[i].kind;
	int64_t end = p[i].end;
	while (end < until) {
		if (++i == cal->cur->n) {
			if (load_day(cal, cal->cur->day + 1))
				return fail_with(err, errlen, "cannot convert local time in \"%s\"", cal->tz);
			p = pieces_of(cal, cal->cur);
			i = 0;
		}
		if (p[i].kind != kind)
			break;
		end = p[i].end;
	}
	*iv = (struct calendar_interval){ t, end < until ? end : until, kind };
	return 0;
}

/* ---- arithmetic ---- */

int calendar_add_minutes(struct calendar *cal, int64_t start, int64_t minutes, int64_t *due,
			 char *err, size_t errlen)
{
	if (!in_range(start))
		return fail_with(err, errlen, "time out of range");
	if (minutes < 0 || minutes > CALENDAR_MAX_MINUTES)
		return fail_with(err, errlen, "minutes must be 0 to %lld", (long long)CALENDAR_MAX_MINUTES);
	if (!cal->always_open && !cal->nhours)
		return fail_with(err, errlen, "calendar has no working hours");
	int64_t t = ceil_minute(start), rem = minutes * 60, last = t;
	for (;;) {
		if (t - start > HORIZON_SECONDS)
			return fail_with(err, errlen, "due time is more than %d years away",
					 CALENDAR_HORIZON_DAYS / 365);
		struct calendar_interval iv;
		if (calendar_interval_at(cal, t, t + STEP_SECONDS, &iv, err, errlen))
			return -1;
		if (iv.kind == CALENDAR_COUNTED) {
			if (iv.end - t >= rem) {
				*due = t + rem;
				return 0;
			}
			rem -= iv.end - t;
			last = iv.end;
		} else if (iv.end - last > IDLE_SECONDS) {
			return fail_with(err, errlen, "calendar has no working time for %d years",
					 CALENDAR_IDLE_DAYS / 365);
		}
		t = iv.end;
	}
}

int calendar_minutes_between(struct calendar *cal, int64_t a, int64_t b, int64_t *minutes,
			     char *err, size_t errlen)
{
	if (!in_range(a) || !in_range(b))
		return fail_with(err, errlen, "time out of range");
	a = ceil_minute(a);
	b = ceil_minute(b);
	if (b - a > HORIZON_SECONDS)
		return fail_with(err, errlen, "span is more than %d years", CALENDAR_HORIZON_DAYS / 365);
	int64_t secs = 0;
	for (int64_t t = a; t < b;) {
		struct calendar_interval iv;
		if (calendar_interval_at(cal, t, b, &iv, err, errlen))
			return -1;
		if (iv.kind == CALENDAR_COUNTED)
			secs += iv.end - iv.start;
		t = iv.end;
	}
	*minutes = secs / 60;
	return 0;
}

int calendar_walk(struct calendar *cal, int64_t a, int64_t b, calendar_walk_fn fn, void *arg,
		  char *err, size_t errlen)
{
	if (b <= a)
		return 0;
	if (!in_range(a) || !in_range(b))
		return fail_with(err, errlen, "time out of range");
	if (b - a > HORIZON_SECONDS)
		return fail_with(err, errlen, "span is more than %d years", CALENDAR_HORIZON_DAYS / 365);
	struct calendar_interval pending = { 0, 0, CALENDAR_COUNTED };
	bool have = false;
	for (int64_t t = a; t < b;) {
		struct calendar_interval iv;
		/* a look-ahead of a few days keeps each step cheap; pieces are merged below */
		int64_t until = b - t > STEP_SECONDS ? t + STEP_SECONDS : b;
		if (calendar_interval_at(cal, t, until, &iv, err, errlen))
			return -1;
		if (have && pending.kind == iv.kind) {
			pending.end = iv.end;
		} else {
			if (have) {
				int rc = fn(&pending, arg);
				if (rc)
					return rc;
			}
			pending = iv;
			have = true;
		}
		t = iv.end;
	}
	return have ? fn(&pending, arg) : 0;
}
