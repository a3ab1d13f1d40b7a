/*
 * terms.h - a quote's terms in the words a client reads: the hours of
 * coverage spelled out from a calendar ("Mon–Fri 08:00–17:00", "around the
 * clock") and the promised response time in the working time it counts
 * ("within 4 working hours"). The quote stores the sentences when it is
 * written or sent, so the PDF, the link and the portal say the same thing,
 * and a later change of the calendar does not rewrite a sent promise.
 */
#ifndef SERVIO_QUOTES_TERMS_H
#define SERVIO_QUOTES_TERMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for either sentence. */
#define QUOTE_TERMS_LEN 400

/*
 * The weekly hours of a calendar in words: hours is the calendars table's
 * array of {"weekday": 1..7, "start": "HH:MM", "end": "HH:MM"} (only read).
 * Weekdays with the same ranges in a row collapse ("Mon–Fri 08:00–17:00");
 * touching ranges join; groups are separated by "; " ("Mon–Fri
 * 08:00–17:00; Sat 09:00–12:00"). always_open, or every day 00:00–24:00,
 * is "around the clock". Writes "" for no hours or unreadable ones.
 * Always NUL-terminates out (n > 0).
 */
void quote_hours_text(const json_t *hours, bool always_open, char *out, size_t n);

/*
 * The response promise: "within 4 working hours", "within 1 working hour",
 * "within 30 working minutes", "within 90 working minutes" (not whole
 * hours); on an always-open calendar every hour counts, so "within 4
 * hours". minutes <= 0 writes "". Always NUL-terminates out (n > 0).
 */
void quote_response_text(int64_t minutes, bool always_open, char *out, size_t n);

/*
 * The qualifications text as a client reads it: lines that only say a
 * technician has "no current certifications" (written by older versions)
 * are left out. Returns in, or a copy without those lines in out (n bytes,
 * at least strlen(in) + 1), or NULL when nothing is left.
 */
const char *quote_qualifications_text(const char *in, char *out, size_t n);

#endif
