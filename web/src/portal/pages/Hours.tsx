/*
 * Hours.tsx - "Hours left": the company's active block-hour contracts
 * with the minutes still in each block (of how many, carried-over minutes
 * included), as a bar; other active contracts are listed by name and
 * period.
 */
import { Empty, ErrorState, Loading } from "../../components/ui";
import { date, label, minutes } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import { papi } from "../api";
import type { PortalContract } from "../types";
import { PageHead, usePortalTitle } from "../ui";

/** Hours and minutes, never rounded to days: "12 h 30 min". */
function hours(m: number): string {
  const neg = m < 0;
  const a = Math.abs(Math.round(m));
  const h = Math.floor(a / 60);
  const r = a % 60;
  const s = h ? (r ? `${h} h ${r} min` : `${h} h`) : minutes(a);
  return neg ? `−${s}` : s;
}

export function HoursPage() {
  usePortalTitle("Hours left");
  const c = useLoad((signal) => papi.list<PortalContract>("/contracts", undefined, signal).then((r) => r.data), []);
  if (c.error) return <ErrorState message={c.error} onRetry={c.reload} />;
  if (!c.data) return <Loading rows={3} label="Loading your contracts…" />;
  const blocks = c.data.filter((k) => k.kind === "block_hours");
  const others = c.data.filter((k) => k.kind !== "block_hours");
  return (
    <>
      <PageHead title="Hours left" />
      {blocks.length === 0 ? (
        <Empty title="No block of hours" icon="○">
          Prepaid blocks of support hours and what is left of them appear here.
        </Empty>
      ) : (
        <ul class="portal-cards" aria-label="Blocks of hours">
          {blocks.map((k) => {
            const left = k.block?.remaining_minutes ?? 0;
            const total = (k.block?.block_minutes ?? k.block_minutes ?? 0) + (k.block?.carried_minutes ?? k.carried_minutes ?? 0);
            const pct = total > 0 ? Math.max(0, Math.min(100, (left / total) * 100)) : 0;
            return (
              <li key={k.id} class="portal-card portal-hours">
                <span class="portal-card-top">
                  <span class="portal-card-title">{k.name}</span>
                  <span class="muted small">{label(k.status)}</span>
                </span>
                <span class="portal-hours-left">
                  <strong>{hours(left)}</strong> left{total > 0 ? ` of ${hours(total)}` : ""}
                </span>
                {total > 0 && (
                  <span class="portal-meter" role="meter" aria-label={`${k.name}: hours left`} aria-valuemin={0} aria-valuemax={total} aria-valuenow={Math.max(0, left)} aria-valuetext={`${hours(left)} of ${hours(total)}`}>
                    <span class={`portal-meter-bar ${pct < 20 ? "is-low" : ""}`} style={{ width: `${pct}%` }} />
                  </span>
                )}
                {(k.block?.overage_minutes ?? 0) > 0 && <span class="portal-card-meta">{hours(k.block!.overage_minutes!)} beyond the block, billed at the overage rate</span>}
                <span class="portal-card-meta">
                  From {date(k.starts_on)}
                  {k.ends_on ? ` to ${date(k.ends_on)}` : ""}
                  {k.block?.lapses_on ? ` · unused hours lapse on ${date(k.block.lapses_on)}` : ""}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {others.length > 0 && (
        <>
          <h2 class="portal-h2">Other contracts</h2>
          <ul class="portal-plain" aria-label="Other contracts">
            {others.map((k) => (
              <li key={k.id}>
                {k.name}{" "}
                <span class="muted small">
                  from {date(k.starts_on)}
                  {k.ends_on ? ` to ${date(k.ends_on)}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
