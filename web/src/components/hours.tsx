/*
 * hours.tsx - a calendar's week of working hours: the summary a list shows
 * ("Mon–Fri 08:00–17:00"), and the grid that edits it (a day open or not,
 * from and to), used by Settings → Calendars and the firm profile's
 * coverage hours.
 */
import type { Calendar, CalendarHour } from "../lib/types";
import { Checkbox } from "./ui";

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** One day of the grid: open or not, and its hours (kept while closed). */
export interface DayHours {
  open: boolean;
  start: string;
  end: string;
}

/** Monday (1) to Sunday (7). */
export type WeekHours = Record<number, DayHours>;

/** The grid's week from a calendar's hours; without one, days in openDays open from start to end. */
export function weekOf(hours: CalendarHour[] | null, openDays: number[] = [1, 2, 3, 4, 5], start = "08:00", end = "17:00"): WeekHours {
  const w: WeekHours = {};
  for (let d = 1; d <= 7; d++) {
    const h = hours?.find((x) => x.weekday === d);
    w[d] = h ? { open: true, start: h.start, end: h.end } : { open: !hours && openDays.includes(d), start, end };
  }
  return w;
}

/** The API's hours from the grid: the open days only. */
export function hoursOf(w: WeekHours): CalendarHour[] {
  return Object.entries(w)
    .filter(([, h]) => h.open)
    .map(([d, h]) => ({ weekday: Number(d), start: h.start, end: h.end }));
}

/** "Mon–Fri", "Mon–Wed, Fri": weekdays (1 = Monday) with runs of three or more joined. */
function daySpan(days: number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    const name = (d: number) => WEEKDAYS[d - 1].slice(0, 3);
    if (j - i >= 2) parts.push(`${name(sorted[i])}–${name(sorted[j])}`);
    else for (let k = i; k <= j; k++) parts.push(name(sorted[k]));
    i = j + 1;
  }
  return parts.join(", ");
}

/**
 * A week's hours spelled out: "Mon–Fri 08:00–18:00", "Mon–Fri 08:00–17:00,
 * Sat 09:00–13:00"; "24×7" when every minute counts.
 */
export function hoursSummary(c: Pick<Calendar, "always_open" | "hours">): string {
  if (c.always_open) return "24×7";
  if (!c.hours.length) return "No hours";
  const byRange = new Map<string, number[]>();
  for (const h of [...c.hours].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start))) {
    const range = `${h.start}–${h.end}`;
    byRange.set(range, [...(byRange.get(range) ?? []), h.weekday]);
  }
  return [...byRange].map(([range, days]) => `${daySpan(days)} ${range}`).join(", ");
}

/** The week's grid; idPrefix keeps two grids on one page apart. */
export function HoursGrid({ week, onWeek, idPrefix = "h" }: { week: WeekHours; onWeek: (w: WeekHours) => void; idPrefix?: string }) {
  return (
    <div class="hours-grid">
      {WEEKDAYS.map((name, i) => {
        const d = i + 1;
        const h = week[d];
        const set = (patch: Partial<DayHours>) => onWeek({ ...week, [d]: { ...h, ...patch } });
        return (
          <div class="hours-row" key={d}>
            <Checkbox label={name} checked={h.open} onValue={(x) => set({ open: x })} />
            <label class="sr-only" for={`${idPrefix}-${d}-start`}>
              {name} opens
            </label>
            <input id={`${idPrefix}-${d}-start`} type="time" class="input" value={h.start} disabled={!h.open} onInput={(e) => set({ start: (e.currentTarget as HTMLInputElement).value })} />
            <span class="muted">to</span>
            <label class="sr-only" for={`${idPrefix}-${d}-end`}>
              {name} closes
            </label>
            <input id={`${idPrefix}-${d}-end`} type="time" class="input" value={h.end} disabled={!h.open} onInput={(e) => set({ end: (e.currentTarget as HTMLInputElement).value })} />
          </div>
        );
      })}
    </div>
  );
}
