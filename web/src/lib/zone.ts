/*
 * zone.ts - calendar days and times of day in a named time zone (the
 * firm's), for screens that plan a day where the work happens rather than
 * where the browser is. Days are "YYYY-MM-DD" strings; instants are
 * milliseconds since the epoch.
 */

const partsCache = new Map<string, Intl.DateTimeFormat>();

function partsFmt(tz: string): Intl.DateTimeFormat {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    partsCache.set(tz, f);
  }
  return f;
}

/** The browser's zone, for when the firm has none. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Whether the browser knows the zone. */
export function knownZone(tz: string | null | undefined): tz is string {
  if (!tz) return false;
  try {
    partsFmt(tz);
    return true;
  } catch {
    return false;
  }
}

interface Parts {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
}

export function zoneParts(t: number, tz: string): Parts {
  const p: Record<string, number> = {};
  for (const x of partsFmt(tz).formatToParts(new Date(t))) if (x.type !== "literal") p[x.type] = Number(x.value);
  return { y: p.year, m: p.month, d: p.day, h: p.hour % 24, mi: p.minute };
}

/** Minutes the zone is ahead of UTC at instant t. */
function offset(t: number, tz: string): number {
  const p = zoneParts(t, tz);
  return Math.round((Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi) - Math.floor(t / 60000) * 60000) / 60000);
}

/** The instant of a wall-clock time in the zone (the later reading in a DST gap). */
export function zonedTime(ymd: string, hour: number, minute: number, tz: string): number {
  const [y, m, d] = ymd.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d, hour, minute);
  let t = guess - offset(guess, tz) * 60000;
  const again = offset(t, tz);
  t = guess - again * 60000;
  return t;
}

/** The zone's calendar day of instant t. */
export function zoneDay(t: number, tz: string): string {
  const p = zoneParts(t, tz);
  return `${p.y}-${String(p.m).padStart(2, "0")}-${String(p.d).padStart(2, "0")}`;
}

export function addDay(ymd: string, n: number): string {
  const [y, m, d] = ymd.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

const dayLabel = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

/** "Tuesday, 10 March 2026" */
export function dayName(ymd: string): string {
  const [y, m, d] = ymd.split("-").map(Number);
  return dayLabel.format(new Date(Date.UTC(y, m - 1, d, 12)));
}

const timeCache = new Map<string, Intl.DateTimeFormat>();

/** "09:30" in the zone, on the 24-hour clock like the board's axis. */
export function zoneTime(t: number | string, tz: string): string {
  let f = timeCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz });
    timeCache.set(tz, f);
  }
  return f.format(new Date(t));
}
