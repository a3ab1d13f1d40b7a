/*
 * Reports.tsx - the business behind the invoices (/billing/reports?range=):
 * profitability (invoiced revenue less credit notes, labour at cost rates
 * and parts at cost) by month as a chart and per client and per contract
 * as tables; revenue by contract kind and month (stacked bars); the
 * utilisation of each technician (billable minutes over the working
 * minutes of their calendar); and the burn of every block of hours. Each
 * part shows only to the roles its route allows. The charts are hand-made
 * SVG, hidden from screen readers; their numbers are in tables beside
 * them. Money is never converted: charts show the firm's currency, the
 * tables every currency.
 */
import type { ComponentChildren } from "preact";
import { useMemo } from "preact/hooks";
import { CompanyName } from "../../components/names";
import { Card, Empty, ErrorState, Loading, PageHeader } from "../../components/ui";
import { api } from "../../lib/api";
import { bp, minorDigits, money } from "../../lib/format";
import { useLoad, useTitle } from "../../lib/hooks";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { monthLabel } from "../sales/model";
import { RANGES } from "../sales/Reports";
import { CONTRACT_KIND_LABELS, hm, monthLong, type BlockBurnReport, type ProfitabilityReport, type ProfitRow, type RevenueByKindReport, type UtilisationReport } from "./model";
import { BlockBar, ContractLink, useBillingSettings } from "./parts";

const p2 = (n: number) => String(n).padStart(2, "0");

/** The report period of a range: [from, to) as the reports take it (to left out: up to now). */
function rangeDates(r: string): { from?: string; to?: string } {
  const now = new Date();
  const ymd = (d: Date) => `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
  if (r === "all") return {};
  if (r === "ytd") return { from: `${now.getFullYear()}-01-01` };
  const months = Number(r) || 12;
  return { from: ymd(new Date(now.getFullYear(), now.getMonth() - (months - 1), 1)) };
}

/** The months from the first of `from` (or the data's first) to this one, "YYYY-MM". */
function monthsOf(from: string | undefined, seen: string[]): string[] {
  const now = new Date();
  const last = `${now.getFullYear()}-${p2(now.getMonth() + 1)}`;
  const first = from ? from.slice(0, 7) : seen.length ? [...seen].sort()[0] : last;
  const out: string[] = [];
  let [y, m] = first.split("-").map(Number);
  for (let i = 0; i < 60; i++) {
    const k = `${y}-${p2(m)}`;
    if (k > last) break;
    out.push(k);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out.slice(-24);
}

const compactCache = new Map<string, Intl.NumberFormat>();
function compact(minor: number, currency: string): string {
  let f = compactCache.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 });
    } catch {
      f = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
    }
    compactCache.set(currency, f);
  }
  return f.format(minor / 10 ** minorDigits(currency));
}

export function BillingReportsPage({ user }: { user: Me }) {
  useTitle("Billing reports");
  const loc = useLocation();
  const range = useMemo(() => {
    const r = new URLSearchParams(loc.search).get("range") ?? "12";
    return RANGES.some((x) => x.value === r) ? r : "12";
  }, [loc.search]);
  const q = rangeDates(range);
  const settings = useBillingSettings();
  const currency = settings?.currency ?? "USD";
  const show = {
    profit: can("reports.profitability", user.role),
    revenue: can("reports.revenue", user.role),
    util: can("reports.utilisation", user.role),
    burn: can("reports.block_burn", user.role),
  };
  const profit = useLoad((s) => (show.profit ? api.get<ProfitabilityReport>("/reports/profitability", q, s) : Promise.resolve(null)), [range]);
  const revenue = useLoad((s) => (show.revenue ? api.get<RevenueByKindReport>("/reports/revenue-by-kind", q, s) : Promise.resolve(null)), [range]);
  const util = useLoad((s) => (show.util ? api.get<UtilisationReport>("/reports/utilisation", q, s) : Promise.resolve(null)), [range]);
  const burn = useLoad((s) => (show.burn ? api.get<BlockBurnReport>("/reports/block-burn", q, s) : Promise.resolve(null)), [range]);

  const state = <T,>(l: { data?: T | null; error: string | null; reload: () => void }, body: (d: T) => ComponentChildren) =>
    l.error ? <ErrorState message={l.error} onRetry={l.reload} /> : l.data === undefined ? <Loading rows={4} /> : l.data === null ? null : body(l.data);

  return (
    <div class="billing-reports">
      <PageHeader
        title="Billing reports"
        subtitle="Revenue, cost and profit; revenue by contract kind; utilisation; block hours burnt."
        actions={
          <div class="filter-select">
            <label class="sr-only" for="billing-range">
              Period
            </label>
            <select id="billing-range" class="input select filter-input" value={range} onChange={(e) => navigate("/billing/reports?range=" + (e.currentTarget as HTMLSelectElement).value, { replace: true })}>
              {RANGES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </div>
        }
      />
      <div class="report-stack">
        {show.profit && (
          <Card title="Profitability by month" class="report-card">
            {state(profit, (d) => (
              <ProfitChart report={d} months={monthsOf(q.from, d.months.map((m) => m.month ?? ""))} currency={currency} />
            ))}
          </Card>
        )}
        {show.profit && (
          <>
            <Card title="Profitability per client" pad={false} class="report-card">
              {state(profit, (d) => (
                <ProfitTable rows={d.clients} label="Profitability per client" first={(r) => <CompanyName id={r.company_id} link />} firstHead="Client" />
              ))}
            </Card>
            <Card title="Profitability per contract" pad={false} class="report-card">
              {state(profit, (d) => (
                <ProfitTable
                  rows={d.contracts}
                  label="Profitability per contract"
                  firstHead="Contract"
                  first={(r) =>
                    r.contract_id ? (
                      <>
                        <ContractLink id={r.contract_id} />
                        <div class="cell-sub">
                          <CompanyName id={r.company_id} />
                        </div>
                      </>
                    ) : (
                      <>
                        <span class="muted">No contract</span>
                        <div class="cell-sub">
                          <CompanyName id={r.company_id} />
                        </div>
                      </>
                    )
                  }
                />
              ))}
            </Card>
          </>
        )}
        {show.revenue && (
          <Card title="Revenue by contract kind" class="report-card">
            {state(revenue, (d) => (
              <RevenueChart report={d} months={monthsOf(q.from, d.rows.map((r) => r.month))} currency={currency} />
            ))}
          </Card>
        )}
        <div class="report-grid-2">
          {show.util && (
            <Card title="Utilisation per technician" class="report-card">
              {state(util, (d) => (
                <Utilisation report={d} />
              ))}
            </Card>
          )}
          {show.burn && (
            <Card title="Block hours burnt" class="report-card">
              {state(burn, (d) => (
                <BlockBurn report={d} />
              ))}
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}

/* A bar chart by month ------------------------------------------------------------------------ */

interface Series {
  key: string;
  label: string;
  cls: string;
}

/**
 * Bars per month: side by side, or stacked. value(month, series) in minor
 * units. Decoration only (aria-hidden): the numbers are in a table.
 */
function MonthBars({ months, series, value, stacked, currency }: { months: string[]; series: Series[]; value: (m: string, s: string) => number; stacked?: boolean; currency: string }) {
  const W = 680;
  const H = 220;
  const top = 16;
  const bottom = 24;
  const left = 58;
  const plotH = H - top - bottom;
  const step = (W - left) / Math.max(1, months.length);
  const per = stacked ? 1 : series.length;
  const bw = Math.min(22, (step * 0.7) / per);
  const max = Math.max(
    1,
    ...months.map((m) => (stacked ? series.reduce((a, s) => a + Math.max(0, value(m, s.key)), 0) : Math.max(0, ...series.map((s) => value(m, s.key))))),
  );
  const y = (v: number) => top + plotH - (Math.max(0, v) / max) * plotH;
  const every = Math.ceil(months.length / 12);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} class="chart-svg" aria-hidden="true" focusable="false">
      {[0, 0.5, 1].map((g) => (
        <g key={g}>
          <line x1={left} x2={W} y1={y(max * g)} y2={y(max * g)} class="chart-grid" />
          <text x={left - 6} y={y(max * g) + 4} class="chart-axis" text-anchor="end">
            {compact(max * g, currency)}
          </text>
        </g>
      ))}
      {months.map((m, i) => {
        const x0 = left + i * step + (step - bw * per) / 2;
        let acc = 0;
        return (
          <g key={m}>
            <title>{`${monthLong(m)}: ${series.map((s) => `${s.label} ${money(value(m, s.key), currency)}`).join(", ")}`}</title>
            {series.map((s, k) => {
              const v = Math.max(0, value(m, s.key));
              if (stacked) {
                const yTop = y(acc + v);
                const h = y(acc) - yTop;
                acc += v;
                return v > 0 ? <rect key={s.key} x={x0} y={yTop} width={bw} height={Math.max(1, h)} class={s.cls} /> : null;
              }
              return v > 0 ? <rect key={s.key} x={x0 + k * bw} y={y(v)} width={bw - 2} height={Math.max(1, y(0) - y(v))} rx="2" class={s.cls} /> : null;
            })}
            {i % every === 0 && (
              <text x={left + i * step + step / 2} y={H - 6} class="chart-axis" text-anchor="middle">
                {monthLabel(m)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

function Legend({ series }: { series: Series[] }) {
  return (
    <ul class="chart-legend" aria-hidden="true">
      {series.map((s) => (
        <li key={s.key}>
          <span class={`chart-key ${s.cls}`} />
          {s.label}
        </li>
      ))}
    </ul>
  );
}

/* Profitability ------------------------------------------------------------------------------ */

function net(r: ProfitRow): number {
  return r.revenue - r.credited;
}

function cost(r: ProfitRow): number {
  return r.labour_cost + r.parts_cost;
}

function ProfitChart({ report, months, currency }: { report: ProfitabilityReport; months: string[]; currency: string }) {
  const byMonth = new Map<string, { revenue: number; cost: number; profit: number }>();
  for (const r of report.months) {
    if (r.currency !== currency || !r.month) continue;
    const b = byMonth.get(r.month) ?? { revenue: 0, cost: 0, profit: 0 };
    b.revenue += net(r);
    b.cost += cost(r);
    b.profit += r.profit;
    byMonth.set(r.month, b);
  }
  if (!report.months.length) return <p class="muted small">Nothing invoiced or worked in this period.</p>;
  const series: Series[] = [
    { key: "revenue", label: "Revenue (less credit notes)", cls: "bar-revenue" },
    { key: "cost", label: "Cost (labour and parts)", cls: "bar-cost" },
  ];
  const v = (m: string, s: string) => (byMonth.get(m) as Record<string, number> | undefined)?.[s] ?? 0;
  const others = [...new Set(report.months.map((r) => r.currency))].filter((c) => c !== currency);
  return (
    <figure class="chart">
      <Legend series={series} />
      <MonthBars months={months} series={series} value={v} currency={currency} />
      <figcaption class="small muted">
        In {currency}, by the month of service: the month an invoice bills, and the month work was done.{others.length ? ` Amounts in ${others.join(", ")} are in the tables below.` : ""}
      </figcaption>
      <details class="chart-numbers">
        <summary>The numbers</summary>
        <div class="table-wrap">
          <table class="table table-compact" aria-label="Profitability by month">
            <thead>
              <tr>
                <th scope="col">Month</th>
                <th scope="col" class="num">
                  Revenue
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
                <th scope="col" class="num">
                  Profit
                </th>
              </tr>
            </thead>
            <tbody>
              {months.map((m) => (
                <tr key={m}>
                  <th scope="row">{monthLong(m)}</th>
                  <td class="num">{money(v(m, "revenue"), currency)}</td>
                  <td class="num">{money(v(m, "cost"), currency)}</td>
                  <td class={`num ${v(m, "profit") < 0 ? "text-danger" : ""}`}>{money(v(m, "profit"), currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

function ProfitTable({ rows, label, first, firstHead }: { rows: ProfitRow[]; label: string; first: (r: ProfitRow) => ComponentChildren; firstHead: string }) {
  if (!rows.length) return <p class="muted small card-body">Nothing in this period.</p>;
  const sorted = [...rows].sort((a, b) => b.profit - a.profit);
  return (
    <div class="table-wrap">
      <table class="table profit-table" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">{firstHead}</th>
            <th scope="col" class="num">
              Revenue
            </th>
            <th scope="col" class="num hide-sm">
              Labour
            </th>
            <th scope="col" class="num hide-sm">
              Parts
            </th>
            <th scope="col" class="num">
              Profit
            </th>
            <th scope="col" class="num">
              Margin
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((r, i) => (
            <tr key={i}>
              <td>{first(r)}</td>
              <td class="num nowrap">
                {money(net(r), r.currency)}
                {r.credited > 0 && <div class="cell-sub">{money(r.credited, r.currency)} credited</div>}
              </td>
              <td class="num nowrap hide-sm">{money(r.labour_cost, r.currency)}</td>
              <td class="num nowrap hide-sm">{money(r.parts_cost, r.currency)}</td>
              <td class={`num nowrap ${r.profit < 0 ? "text-danger" : ""}`}>
                <strong>{money(r.profit, r.currency)}</strong>
              </td>
              <td class="num nowrap muted">{net(r) > 0 ? bp(Math.round((r.profit * 10000) / net(r))) : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/* Revenue by kind ------------------------------------------------------------------------------ */

const KIND_SERIES: Series[] = [
  { key: "managed", label: CONTRACT_KIND_LABELS.managed, cls: "bar-managed" },
  { key: "block_hours", label: CONTRACT_KIND_LABELS.block_hours, cls: "bar-block" },
  { key: "time_materials", label: CONTRACT_KIND_LABELS.time_materials, cls: "bar-tm" },
  { key: "none", label: CONTRACT_KIND_LABELS.none, cls: "bar-none" },
];

function RevenueChart({ report, months, currency }: { report: RevenueByKindReport; months: string[]; currency: string }) {
  if (!report.rows.length) return <p class="muted small">No invoice was issued in this period.</p>;
  const cell = new Map<string, number>();
  for (const r of report.rows) if (r.currency === currency) cell.set(`${r.month}|${r.kind}`, (cell.get(`${r.month}|${r.kind}`) ?? 0) + r.revenue);
  const v = (m: string, k: string) => cell.get(`${m}|${k}`) ?? 0;
  const totals = KIND_SERIES.map((s) => ({ ...s, total: months.reduce((a, m) => a + v(m, s.key), 0) }));
  return (
    <figure class="chart">
      <Legend series={KIND_SERIES} />
      <MonthBars months={months} series={KIND_SERIES} value={v} stacked currency={currency} />
      <figcaption class="small muted">
        Invoiced revenue in {currency} by the month issued: {totals.filter((t) => t.total).map((t) => `${t.label} ${money(t.total, currency)}`).join(" · ") || "none"}.
      </figcaption>
      <details class="chart-numbers">
        <summary>The numbers</summary>
        <div class="table-wrap">
          <table class="table table-compact" aria-label="Revenue by contract kind and month">
            <thead>
              <tr>
                <th scope="col">Month</th>
                <th scope="col">Kind</th>
                <th scope="col" class="num">
                  Lines
                </th>
                <th scope="col" class="num">
                  Revenue
                </th>
              </tr>
            </thead>
            <tbody>
              {report.rows.map((r, i) => (
                <tr key={i}>
                  <th scope="row">{monthLong(r.month)}</th>
                  <td>{CONTRACT_KIND_LABELS[r.kind] ?? r.kind}</td>
                  <td class="num">{r.lines}</td>
                  <td class="num nowrap">{money(r.revenue, r.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/* Utilisation ------------------------------------------------------------------------------------- */

function Utilisation({ report }: { report: UtilisationReport }) {
  if (!report.technicians.length) return <p class="muted small">No active technicians.</p>;
  return (
    <div class="stack-sm">
      <ul class="util-bars" aria-label="Utilisation per technician">
        {report.technicians.map((t) => {
          const pct = t.utilisation_bp === null ? null : t.utilisation_bp / 100;
          return (
            <li key={t.user_id} class={`util-bar ${pct !== null && pct >= 100 ? "is-over" : ""}`}>
              <span class="util-name">{t.name}</span>
              <span class="util-track" aria-hidden="true">
                <span class="util-fill" style={{ width: `${Math.min(100, pct ?? 0)}%` }} />
              </span>
              <span class="util-value num">{pct === null ? "—" : bp(t.utilisation_bp)}</span>
              <span class="util-detail small muted">
                {hm(t.billable_minutes)} h billable of {hm(t.worked_minutes)} h logged; {hm(t.working_minutes)} h working time
              </span>
            </li>
          );
        })}
      </ul>
      <p class="small muted">Billable minutes over the working minutes of each technician's calendar, {report.from} to {report.to} (not included).</p>
    </div>
  );
}

/* Block burn ------------------------------------------------------------------------------------- */

function BlockBurn({ report }: { report: BlockBurnReport }) {
  if (!report.contracts.length) return <Empty title="No block-hours contracts" icon="◔" />;
  return (
    <ul class="burn-list" aria-label="Block hours per contract">
      {report.contracts.map((c) => {
        const max = Math.max(1, ...c.months.map((m) => m.minutes));
        return (
          <li key={c.contract_id} class="burn-item">
            <div class="row-between">
              <span>
                <a href={`/contracts/${c.contract_id}`} class="cell-title">
                  {c.name}
                </a>{" "}
                <span class="small muted">
                  <CompanyName id={c.company_id} />
                </span>
              </span>
            </div>
            <BlockBar block={c.block_minutes} used={c.used_minutes} compact />
            {c.months.length > 0 && (
              <ol class="burn-months" aria-label={`Hours drawn by month, ${c.name}`}>
                {c.months.map((m) => (
                  <li key={m.month}>
                    <span class="burn-month-bar" aria-hidden="true">
                      <span style={{ height: `${Math.max(4, (m.minutes / max) * 100)}%` }} />
                    </span>
                    <span class="small">
                      {monthLabel(m.month)} <strong>{hm(m.minutes)}</strong>
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </li>
        );
      })}
    </ul>
  );
}
