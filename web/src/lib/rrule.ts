/*
 * rrule.ts - recurrence rules (RFC 5545 RRULE, without "RRULE:") as people
 * say them: a few presets for the schedules service firms use, and a
 * description in words of a rule ("Every month on the first Monday").
 * The server is the judge of a rule (its 422 names what is wrong); a rule
 * this module cannot put in words is shown as it is.
 */

export interface Preset {
  rule: string;
  label: string;
}

export const PRESETS: Preset[] = [
  { rule: "FREQ=DAILY", label: "Every day" },
  { rule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", label: "Every weekday (Monday to Friday)" },
  { rule: "FREQ=WEEKLY", label: "Every week" },
  { rule: "FREQ=WEEKLY;INTERVAL=2", label: "Every 2 weeks" },
  { rule: "FREQ=MONTHLY;BYDAY=1MO", label: "First Monday of each month" },
  { rule: "FREQ=MONTHLY", label: "Every month" },
  { rule: "FREQ=MONTHLY;INTERVAL=3", label: "Every 3 months" },
  { rule: "FREQ=MONTHLY;INTERVAL=6", label: "Every 6 months" },
  { rule: "FREQ=YEARLY", label: "Every year" },
];

/** "freq=monthly; byday=1mo" -> "FREQ=MONTHLY;BYDAY=1MO": the form presets are compared in. */
export function normalize(rule: string): string {
  return rule
    .trim()
    .replace(/^RRULE:/i, "")
    .split(";")
    .map((p) => p.trim().toUpperCase())
    .filter(Boolean)
    .join(";");
}

export function presetOf(rule: string): Preset | undefined {
  const n = normalize(rule);
  return PRESETS.find((p) => p.rule === n);
}

const DAYS: Record<string, string> = { MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday", FR: "Friday", SA: "Saturday", SU: "Sunday" };
const ORD: Record<string, string> = { "1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "-1": "last", "-2": "second-to-last" };
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const UNIT: Record<string, [string, string]> = { DAILY: ["day", "days"], WEEKLY: ["week", "weeks"], MONTHLY: ["month", "months"], YEARLY: ["year", "years"] };

function list(words: string[]): string {
  return words.length <= 1 ? words.join("") : words.slice(0, -1).join(", ") + " and " + words[words.length - 1];
}

function nth(n: number): string {
  if (n === -1) return "the last day";
  const s = n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th";
  return `the ${n}${s}`;
}

/**
 * The rule in words, or null when it uses parts this does not describe.
 * start (YYYY-MM-DDTHH:MM) supplies the day a rule without BY parts repeats on.
 */
export function describe(rule: string, start?: string): string | null {
  const parts: Record<string, string> = {};
  for (const p of normalize(rule).split(";")) {
    const [k, v] = p.split("=");
    if (!k || v === undefined || k in parts) return null;
    parts[k] = v;
  }
  const freq = parts.FREQ;
  if (!freq || !UNIT[freq]) return null;
  const known = ["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"];
  if (Object.keys(parts).some((k) => !known.includes(k))) return null;
  const interval = parts.INTERVAL ? Number(parts.INTERVAL) : 1;
  if (!Number.isInteger(interval) || interval < 1) return null;
  const startDate = start && /^\d{4}-\d{2}-\d{2}/.test(start) ? new Date(start.slice(0, 10) + "T12:00:00") : null;

  const [one, many] = UNIT[freq];
  let text = interval === 1 ? `Every ${one}` : `Every ${interval} ${many}`;

  const byday = parts.BYDAY ? parts.BYDAY.split(",") : [];
  const dayWords: string[] = [];
  for (const d of byday) {
    const m = /^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
    if (!m) return null;
    if (m[1]) {
      const o = ORD[String(Number(m[1]))];
      if (!o) return null;
      dayWords.push(`the ${o} ${DAYS[m[2]]}`);
    } else dayWords.push(DAYS[m[2]]);
  }
  const monthdays = parts.BYMONTHDAY ? parts.BYMONTHDAY.split(",").map(Number) : [];
  if (monthdays.some((n) => !Number.isInteger(n) || n === 0 || n < -31 || n > 31)) return null;
  const months = parts.BYMONTH ? parts.BYMONTH.split(",").map(Number) : [];
  if (months.some((n) => !Number.isInteger(n) || n < 1 || n > 12)) return null;

  const weekdays = ["MO", "TU", "WE", "TH", "FR"];
  if (freq === "WEEKLY" || freq === "DAILY") {
    if (byday.length === 5 && weekdays.every((d) => byday.includes(d)) && interval === 1) text = "Every weekday (Monday to Friday)";
    else if (dayWords.length) text += ` on ${list(dayWords)}`;
    else if (freq === "WEEKLY" && startDate) text += ` on ${startDate.toLocaleDateString("en-US", { weekday: "long" })}`;
  } else if (freq === "MONTHLY") {
    if (dayWords.length) text += ` on ${list(dayWords)}`;
    else if (monthdays.length) text += ` on ${list(monthdays.map(nth))}`;
    else if (startDate) text += ` on ${nth(startDate.getDate())}`;
  } else if (freq === "YEARLY") {
    const inMonths = months.length ? ` of ${list(months.map((m) => MONTHS[m - 1]))}` : "";
    if (dayWords.length) text += ` on ${list(dayWords)}${inMonths}`;
    else if (monthdays.length) text += ` on ${list(monthdays.map(nth))}${inMonths}`;
    else if (months.length) text += ` in ${list(months.map((m) => MONTHS[m - 1]))}`;
    else if (startDate) text += ` on ${startDate.toLocaleDateString("en-US", { month: "long", day: "numeric" })}`;
  }
  if (freq !== "YEARLY" && months.length) text += ` in ${list(months.map((m) => MONTHS[m - 1]))}`;
  if (parts.COUNT) {
    const c = Number(parts.COUNT);
    if (!Number.isInteger(c) || c < 1) return null;
    text += c === 1 ? ", once" : `, ${c} times`;
  }
  if (parts.UNTIL) {
    const m = /^(\d{4})(\d{2})(\d{2})/.exec(parts.UNTIL);
    if (!m) return null;
    text += `, until ${new Date(`${m[1]}-${m[2]}-${m[3]}T12:00:00`).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" })}`;
  }
  return text;
}
