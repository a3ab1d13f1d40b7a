/*
 * format.ts - how times, durations, money and enum values read on screen.
 * Times are shown in the browser's time zone; the API speaks UTC.
 */

const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});
const dateFmt = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });

export function dateTime(iso?: string | null): string {
  return iso ? dateTimeFmt.format(new Date(iso)) : "—";
}

export function date(iso?: string | null): string {
  if (!iso) return "—";
  // a plain date is a calendar day, not a UTC midnight
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(iso + "T12:00:00") : new Date(iso);
  return dateFmt.format(d);
}

export function time(iso?: string | null): string {
  return iso ? timeFmt.format(new Date(iso)) : "—";
}

const rangeFmt = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

/** "9:00 – 11:00 AM": a compact range of two times. */
export function timeRange(a: string, b: string): string {
  return rangeFmt.formatRange(new Date(a), new Date(b));
}

export function day(d: Date): string {
  return dayFmt.format(d);
}

/** 95 -> "1 h 35 min"; 1000 -> "16 h"; 2900 -> "2 d 8 h": less precise as it grows. */
export function minutes(total: number): string {
  const m = Math.round(Math.abs(total));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const r = m % 60;
  if (h < 10) return r ? `${h} h ${r} min` : `${h} h`;
  if (h < 48) return `${Math.round(m / 60)} h`;
  const d = Math.floor(h / 24);
  const hh = h % 24;
  return hh ? `${d} d ${hh} h` : `${d} d`;
}

/** "in 2 h 5 min" / "3 min ago" */
export function relative(iso?: string | null, now = Date.now()): string {
  if (!iso) return "—";
  const diff = (new Date(iso).getTime() - now) / 60000;
  if (Math.abs(diff) < 1) return "now";
  return diff > 0 ? `in ${minutes(diff)}` : `${minutes(-diff)} ago`;
}

const digitsCache = new Map<string, number>();

/** Minor units of a currency: 2 for USD, 0 for JPY, 3 for KWD. */
export function minorDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

/** Integer minor units -> "$1,234.50" in the record's currency. */
export function money(minor: number | null | undefined, currency = "USD"): string {
  if (minor === null || minor === undefined) return "—";
  const d = minorDigits(currency);
  try {
    return new Intl.NumberFormat(undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: d,
      maximumFractionDigits: d,
    }).format(minor / 10 ** d);
  } catch {
    return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
  }
}

/** "12.50" typed by a person -> 1250 minor units, or null. */
export function parseMoney(text: string, currency = "USD"): number | null {
  const t = text.replace(/[^\d.-]/g, "");
  if (!t || isNaN(Number(t))) return null;
  return Math.round(Number(t) * 10 ** minorDigits(currency));
}

export function bp(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : `${(v / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })} %`;
}

/** "waiting_customer" -> "Waiting customer" (or a nicer label when given). */
export function label(value: string | null | undefined, labels?: Record<string, string>): string {
  if (!value) return "—";
  if (labels && labels[value]) return labels[value];
  const s = value.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/);
  return ((parts[0]?.[0] ?? "") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

/** A Date as the value of <input type="datetime-local"> (local time). */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** <input type="datetime-local"> value -> RFC 3339 UTC as the API wants it. */
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function isoNow(offsetMinutes = 0): string {
  return new Date(Date.now() + offsetMinutes * 60000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

export function addDays(d: Date, n: number): Date {
  const r = new Date(d);
  r.setDate(r.getDate() + n);
  return r;
}

export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
