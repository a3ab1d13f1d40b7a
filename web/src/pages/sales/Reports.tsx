/*
 * Reports.tsx - the sales reports over a period: pipeline value by stage
 * (bars), the quote win rate by month (an SVG bar chart, with the numbers
 * in a table for screen readers) and the revenue won per referral partner
 * and lead source.
 */
import { useState } from "preact/hooks";
import { Card, ErrorState, Loading } from "../../components/ui";
import { api } from "../../lib/api";
import { label, money } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import { monthLabel, STAGE_LABELS, STAGES, type PipelineReport, type ReferralsReport } from "./model";

export const RANGES = [
  { value: "3", label: "Last 3 months" },
  { value: "12", label: "Last 12 months" },
  { value: "ytd", label: "This year" },
  { value: "all", label: "All time" },
];

function rangeDates(r: string): { from?: string; to?: string } {
  const now = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const ymd = (d: Date) => `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  if (r === "all") return {};
  if (r === "ytd") return { from: `${now.getFullYear()}-01-01` };
  const months = Number(r) || 12;
  return { from: ymd(new Date(now.getFullYear(), now.getMonth() - (months - 1), 1)) };
}

export function SalesReports({ range, refresh = 0, onRange }: { range: string; refresh?: number; onRange: (r: string) => void }) {
  const q = rangeDates(range);
  const pipeline = useLoad((signal) => api.get<PipelineReport>("/reports/pipeline", q, signal), [range, refresh]);
  const referrals = useLoad((signal) => api.get<ReferralsReport>("/reports/referrals", q, signal), [range, refresh]);

  return (
    <section class="sales-reports" aria-label="Sales reports">
      <div class="sales-reports-head">
        <h2 class="section-title">Reports</h2>
        <label class="sr-only" for="report-range">
          Period
        </label>
        <select id="report-range" class="input select filter-input" value={range} onChange={(e) => onRange((e.currentTarget as HTMLSelectElement).value)}>
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      <div class="report-grid">
        <Card title="Value by stage" class="report-card">
          {pipeline.error ? <ErrorState message={pipeline.error} onRetry={pipeline.reload} /> : !pipeline.data ? <Loading rows={4} /> : <StageBars report={pipeline.data} />}
        </Card>
        <Card title="Quote win rate by month" class="report-card">
          {pipeline.error ? <ErrorState message={pipeline.error} /> : !pipeline.data ? <Loading rows={4} /> : <WinRateChart rows={pipeline.data.win_rate} />}
        </Card>
        <Card title="Won through referrals" class="report-card">
          {referrals.error ? <ErrorState message={referrals.error} onRetry={referrals.reload} /> : !referrals.data ? <Loading rows={4} /> : <Referrals report={referrals.data} />}
        </Card>
      </div>
    </section>
  );
}

function StageBars({ report }: { report: PipelineReport }) {
  const rows = [...report.stages].sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage));
  if (rows.length === 0) return <p class="muted small">No opportunities were created in this period.</p>;
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <ul class="stage-bars" aria-label="Estimated value of opportunities created in the period, by stage">
      {rows.map((r) => (
        <li key={r.stage + r.currency} class={`stage-bar stage-${r.stage}`}>
          <span class="stage-bar-label">{STAGE_LABELS[r.stage]}</span>
          <span class="stage-bar-track" aria-hidden="true">
            <span class="stage-bar-fill" style={{ width: `${Math.max(2, (r.value / max) * 100)}%` }} />
          </span>
          <span class="stage-bar-value num">
            {money(r.value, r.currency)}
            <span class="muted small"> · {r.count}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}

function WinRateChart({ rows }: { rows: PipelineReport["win_rate"] }) {
  const [hover, setHover] = useState<number | null>(null);
  if (rows.length === 0) return <p class="muted small">No quotes were sent in this period.</p>;
  const data = rows.slice(-12);
  const W = 320;
  const H = 140;
  const top = 14;
  const bottom = 22;
  const left = 30;
  const plotH = H - top - bottom;
  const step = (W - left) / data.length;
  const bw = Math.min(28, step * 0.6);
  const y = (bp: number) => top + plotH - (bp / 10000) * plotH;
  const decided = data.reduce((n, r) => n + r.accepted + r.declined + r.expired, 0);
  const accepted = data.reduce((n, r) => n + r.accepted, 0);
  return (
    <figure class="winrate">
      <svg viewBox={`0 0 ${W} ${H}`} class="winrate-svg" aria-hidden="true" focusable="false">
        {[0, 5000, 10000].map((g) => (
          <g key={g}>
            <line x1={left} x2={W} y1={y(g)} y2={y(g)} class="winrate-grid" />
            <text x={left - 6} y={y(g) + 4} class="winrate-axis" text-anchor="end">
              {g / 100}%
            </text>
          </g>
        ))}
        {data.map((r, i) => {
          const x = left + i * step + (step - bw) / 2;
          const v = r.win_rate_bp;
          return (
            <g key={r.period} onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)}>
              <title>{`${monthLabel(r.period)}: ${v === null ? "nothing decided yet" : v / 100 + " %"} — ${r.sent} sent, ${r.accepted} accepted, ${r.declined} declined, ${r.expired} expired`}</title>
              <rect x={left + i * step} y={top} width={step} height={plotH} class={`winrate-hit ${hover === i ? "is-hover" : ""}`} />
              {v === null ? (
                <rect x={x} y={y(0) - 2} width={bw} height={2} class="winrate-none" />
              ) : (
                <rect x={x} y={y(v)} width={bw} height={Math.max(1, y(0) - y(v))} rx="3" class="winrate-bar" />
              )}
              <text x={x + bw / 2} y={v === null ? y(0) - 6 : y(v) - 4} class="winrate-val" text-anchor="middle">
                {v === null ? "–" : `${Math.round(v / 100)}%`}
              </text>
              <text x={x + bw / 2} y={H - 6} class="winrate-axis" text-anchor="middle">
                {monthLabel(r.period)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption class="small muted">
        {decided ? `${accepted} of ${decided} decided quotes accepted` : "No quote decided yet"} · by the month first sent
      </figcaption>
      <div class="sr-only">
      <table>
        <caption>Quote win rate by month</caption>
        <thead>
          <tr>
            <th scope="col">Month</th>
            <th scope="col">Sent</th>
            <th scope="col">Accepted</th>
            <th scope="col">Declined</th>
            <th scope="col">Expired</th>
            <th scope="col">Win rate</th>
          </tr>
        </thead>
        <tbody>
          {data.map((r) => (
            <tr key={r.period}>
              <th scope="row">{monthLabel(r.period)}</th>
              <td>{r.sent}</td>
              <td>{r.accepted}</td>
              <td>{r.declined}</td>
              <td>{r.expired}</td>
              <td>{r.win_rate_bp === null ? "none decided" : `${r.win_rate_bp / 100} %`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}

function Referrals({ report }: { report: ReferralsReport }) {
  if (report.partners.length === 0 && report.sources.length === 0) return <p class="muted small">Nothing won in this period yet.</p>;
  return (
    <div class="referrals">
      <table class="table table-compact" aria-label="Revenue won per referral partner">
        <thead>
          <tr>
            <th scope="col">Partner</th>
            <th scope="col" class="num">Won</th>
            <th scope="col" class="num">Revenue</th>
          </tr>
        </thead>
        <tbody>
          {report.partners.length === 0 && (
            <tr>
              <td colSpan={3} class="muted small">
                No partner referrals won
              </td>
            </tr>
          )}
          {report.partners.slice(0, 4).map((p) => (
            <tr key={p.partner_id + p.currency}>
              <td>
                <a href={`/clients/${p.partner_id}`}>{p.name}</a>
              </td>
              <td class="num">{p.won}</td>
              <td class="num nowrap">{money(p.revenue, p.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="table table-compact" aria-label="Revenue won per lead source">
        <thead>
          <tr>
            <th scope="col">Lead source</th>
            <th scope="col" class="num">Won</th>
            <th scope="col" class="num">Revenue</th>
          </tr>
        </thead>
        <tbody>
          {report.sources.slice(0, 4).map((s) => (
            <tr key={s.source + s.currency}>
              <td>{label(s.source)}</td>
              <td class="num">{s.won}</td>
              <td class="num nowrap">{money(s.revenue, s.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
