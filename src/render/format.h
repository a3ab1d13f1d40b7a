/*
 * format.h - reading a document's JSON and writing its values for people:
 * the helpers the quote and invoice PDFs share.
 *
 * A document is printed from the JSON the API returns, and what is absent,
 * null or of the wrong type is simply left out, so the readers below
 * answer "there is none" rather than fail. The writers never fail either:
 * each fills a caller's array, always NUL-terminated, cut if too small.
 * Nothing here allocates; JSON values are borrowed.
 */
#ifndef SERVIO_RENDER_FORMAT_H
#define SERVIO_RENDER_FORMAT_H

#include "core/money.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* obj[key] when it is a non-empty string (borrowed from obj), else NULL. */
const char *fmt_json_str(const json_t *obj, const char *key);

/* Writes *out and returns true when obj[key] is a JSON integer. */
bool fmt_json_int(const json_t *obj, const char *key, int64_t *out);

/*
 * A quantity as thousandths (1.5 -> 1500) from a JSON integer or real.
 * Writes *out and returns true, or false for another type or a value out
 * of range.
 */
bool fmt_json_quantity(const json_t *v, int64_t *out);

/* Thousandths without trailing zeros: 1500 -> "1.5", 2000 -> "2", 1234 -> "1.234". */
void fmt_quantity(int64_t thousandths, char *out, size_t n);

/* Basis points as a percentage: 825 -> "8.25 %", 1000 -> "10 %", 1050 -> "10.5 %". */
void fmt_bp(int64_t bp, char *out, size_t n);

/* money_format, without the trailing blank it leaves when there is no currency. */
void fmt_money(int64_t minor, const char *currency, char out[MONEY_TEXT_LEN]);

/*
 * The date a string starts with: "2026-11-22T14:05:00Z" and "2026-11-22"
 * -> "2026-11-22". Returns false, out unspecified, when s is NULL or does
 * not start with a valid date.
 */
bool fmt_date(const char *s, char out[11]);

/*
 * An enum value for people: its label in map (rows of { value, label },
 * ended by a { NULL, NULL } row; map may be NULL), else the value with
 * blanks for underscores and a capital: "in_progress" -> "In progress".
 */
void fmt_label(const char *v, const char *const map[][2], char *out, size_t n);

#endif
