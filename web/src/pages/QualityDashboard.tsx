/*
 * Quality.tsx - the services manager's quality dashboard (/quality/dashboard?range=
 * &company_id=), from GET /reports/quality (docs/QUALITY.md defines every
 * number): SLA compliance by month, first-contact resolution and reopen
 * rate with their trend, the open backlog by age and priority, and SLA
 * compliance per client. The period is the last 3, 6 or 12 calendar months
 * (UTC, as the report counts them), optionally for one client.
 *
 * Each monthly series of the report (<name>_by_month) is one <Chart>: a
 * new series (satisfaction, QA scores) is one more card with one more.
 */
import type { ComponentChildren } from "preact";
import { Chart } from "../components/chart";
import { CompanyPicker } from "../components/pickers";
import { Card, ErrorState, Loading, PageHeader } from "../components/ui";
import { api } from "../lib/api";
import { bp } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { navigate, useLocation } from "../lib/router";
import { AGES, PRIORITIES, PRIORITY_COLORS } from "../lib/backlog";
import { monthLabel } from "./sales/model";
import "../styles/quality-dashboard.css";

interface SlaCounts {
  resolution_total: number;
  resolution_met: number;
  resolution_breached: number;
  resolution_compliance_bp: number | null;
  response_total: number;
  response_met: number;
  response_breached: number;
  response_compliance_bp: number | null;
}

interface Rate {
  resolved: number;
  rate_bp: number | null;
}

interface FirstContact extends Rate {
  first_contact: number;
}

interface Reopens extends Rate {
  reopened: number;
}

interface Csat {
  answered: number;
  satisfied: number;
  rating_points: number;
  csat_bp: number | null;
  /** hundredths: 433 is 4.33 */
  average_rating: number | null;
}

interface QaScores {
  reviewed: number;
  score_points: number;
  /** hundredths of a point: 7550 is 75.5 */
  average_score: number | null;
}

type Month<T> = T & { month: string };

interface BacklogCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  total: number;
}

export interface QualityReport {
  from: string;
  to: string;
  time_zone: string;
  company: { id: number; name: string } | null;
  generated_at: string;
  sla: SlaCounts;
  sla_by_month: Month<SlaCounts>[];
  sla_by_client: (SlaCounts & { company_id: number; company_name: string })[];
  first_contact_resolution: FirstContact;
  first_contact_resolution_by_month: Month<FirstContact>[];
  reopen_rate: Reopens;
  reopen_rate_by_month: Month<Reopens>[];
  csat: Csat;
  csat_by_month: Month<Csat>[];
  qa_scores: QaScores;
  qa_scores_by_month: Month<QaScores>[];
  backlog_by_age: {
    as_of: string;
    buckets: (BacklogCounts & { bucket: string; min_days: number; max_days: number | null })[];
    totals: BacklogCounts;
  };
}

const RANGES = [
  { value: "3", label: "Last 3 months" },
  { value: "6", label: "Last 6 months" },
  { value: "12", label: "Last 12 months" },
];

const COLORS = {
  resolution: "#2451d6",
  response: "#0ea5e9",
  fcr: "#16733c",
  reopen: "#c4231c",
  csat: "#7c3aed",
  qa: "#0f766e",
};

/** The last n calendar months in UTC, [first day, first day of next month), as the report takes them. */
function period(months: number): { from: string; to: string } {
  const now = new Date();
  const day = (y: number, m: number) => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  return { from: day(now.getUTCFullYear(), now.getUTCMonth() - (months - 1)), to: day(now.getUTCFullYear(), now.getUTCMonth() + 1) };
}

const count = (v: number | null) => (v === null ? "—" : v.toLocaleString());

export function QualityDashboardPage() {
  useTitle("Quality dashboard");
  const loc = useLocation();
  const params = new URLSearchParams(loc.search);
  const range = RANGES.some((r) => r.value === params.get("range")) ? (params.get("range") as string) : "12";
  const company = Number(params.get("company_id")) || null;
  const report = useLoad((s) => api.get<QualityReport>("/reports/quality", { ...period(Number(range)), company_id: company ?? undefined }, s), [range, company]);
  const go = (r: string, c: number | null) => navigate(`/quality/dashboard?range=${r}${c ? `&company_id=${c}` : ""}`, { replace: true });

  return (
    <div class="quality-page">
      <PageHeader
        title="Quality dashboard"
        subtitle="SLA compliance, first-contact resolution, reopens, client satisfaction, review scores and the open backlog. Months are UTC."
        actions={
          <div class="quality-filters">
            <div class="filter-select">
              <label class="sr-only" for="quality-range">
                Period
              </label>
              <select id="quality-range" class="input select filter-input" value={range} onChange={(e) => go((e.currentTarget as HTMLSelectElement).value, company)}>
                {RANGES.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
            </div>
            <div class="quality-client">
              <CompanyPicker label="Client" hideLabel placeholder="All clients" value={company} onValue={(id) => go(range, id)} id="quality-client" />
            </div>
          </div>
        }
      />
      {report.error ? <ErrorState message={report.error} onRetry={report.reload} /> : !report.data ? <Loading rows={6} /> : <Dashboard r={report.data} />}
    </div>
  );
}

function Figure({ label, value, sub, tone }: { label: string; value: string; sub: ComponentChildren; tone?: string }) {
  return (
    <div class={`stat stat-${tone ?? "neutral"}`}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
      <span class="small muted">{sub}</span>
    </div>
  );
}

/* below 90 % met is worth a look; below 75 % a problem */
function tone(v: number | null): string | undefined {
  if (v === null) return undefined;
  return v < 7500 ? "red" : v < 9000 ? "amber" : undefined;
}

function Dashboard({ r }: { r: QualityReport }) {
  const months = r.sla_by_month.map((m) => m.month);
  const fcr = r.first_contact_resolution;
  const reopen = r.reopen_rate;
  return (
    <div class="report-stack">
      <div class="stats" aria-label="The period at a glance">
        <Figure label="Resolution SLA met" value={bp(r.sla.resolution_compliance_bp)} sub={`${r.sla.resolution_met} of ${r.sla.resolution_total} resolved`} tone={tone(r.sla.resolution_compliance_bp)} />
        <Figure label="Response SLA met" value={bp(r.sla.response_compliance_bp)} sub={`${r.sla.response_met} of ${r.sla.response_total} answered in time`} tone={tone(r.sla.response_compliance_bp)} />
        <Figure label="First-contact resolution" value={bp(fcr.rate_bp)} sub={`${fcr.first_contact} of ${fcr.resolved} resolved`} />
        <Figure label="Reopen rate" value={bp(reopen.rate_bp)} sub={`${reopen.reopened} of ${reopen.resolved} resolutions`} />
        <Figure label="Satisfied clients (CSAT)" value={bp(r.csat.csat_bp)} sub={`${r.csat.satisfied} of ${r.csat.answered} rated 4 or 5${r.csat.average_rating === null ? "" : `, average ${(r.csat.average_rating / 100).toFixed(2)}`}`} />
        <Figure label="Quality review score" value={r.qa_scores.average_score === null ? "–" : (r.qa_scores.average_score / 100).toFixed(1)} sub={`${r.qa_scores.reviewed} reviews done`} />
        <Figure label="Open backlog" value={count(r.backlog_by_age.totals.total)} sub={`${r.backlog_by_age.buckets.find((b) => b.bucket === "gt_30d")?.total ?? 0} older than 30 days`} />
      </div>

      <Card title="SLA compliance by month" class="report-card">
        <Chart
          label="SLA compliance by month"
          kind="line"
          categoryHead="Month"
          categories={months}
          categoryLabel={monthLabel}
          series={[
            { label: "Resolution met", color: COLORS.resolution, values: r.sla_by_month.map((m) => m.resolution_compliance_bp) },
            { label: "Response met", color: COLORS.response, values: r.sla_by_month.map((m) => m.response_compliance_bp) },
          ]}
          format={bp}
          scale={0.01}
          yRange={[0, 100]}
          unit="%"
        />
        <p class="small muted">Tickets with an SLA target by the month they were resolved; a month without any has no point.</p>
      </Card>

      <div class="report-grid-2">
        <Card title="First-contact resolution" class="report-card">
          <RateTrend
            label="First-contact resolution by month"
            months={months}
            values={r.first_contact_resolution_by_month.map((m) => m.rate_bp)}
            color={COLORS.fcr}
            note="Resolved without waiting for the client or parts, escalating, reopening, or more than one public reply."
          />
        </Card>
        <Card title="Reopen rate" class="report-card">
          <RateTrend label="Reopen rate by month" months={months} values={r.reopen_rate_by_month.map((m) => m.rate_bp)} color={COLORS.reopen} note="Resolutions of the month that a later change reopened." />
        </Card>
      </div>

      <div class="report-grid-2">
        <Card title="Client satisfaction" class="report-card">
          <RateTrend
            label="CSAT by month"
            months={months}
            values={r.csat_by_month.map((m) => m.csat_bp)}
            color={COLORS.csat}
            note="Share of the month's survey answers rated 4 or 5 (of 5)."
          />
        </Card>
        <Card title="Quality review scores" class="report-card">
          <Chart
            label="Average quality review score by month"
            kind="line"
            categoryHead="Month"
            categories={months}
            categoryLabel={monthLabel}
            series={[{ label: "Average score", color: COLORS.qa, values: r.qa_scores_by_month.map((m) => m.average_score) }]}
            format={(v) => (v === null ? "–" : (v / 100).toFixed(1))}
            scale={0.01}
            yRange={[0, 100]}
            height={150}
          />
          <p class="small muted">Reviews completed in the month, scored 0–100 against their checklist.</p>
        </Card>
      </div>

      <Card title="Open backlog by age" class="report-card">
        <Chart
          label="Open backlog by age and priority"
          kind="stacked"
          categoryHead="Age"
          categories={r.backlog_by_age.buckets.map((b) => b.bucket)}
          categoryLabel={(b) => AGES[b] ?? b}
          series={PRIORITIES.map((p) => ({ label: p[0].toUpperCase() + p.slice(1), color: PRIORITY_COLORS[p], values: r.backlog_by_age.buckets.map((b) => b[p]) }))}
        />
      </Card>

      <Card title="SLA by client" pad={false} class="report-card">
        <ClientTable rows={r.sla_by_client} />
      </Card>
    </div>
  );
}

function RateTrend({ label, months, values, color, note }: { label: string; months: string[]; values: (number | null)[]; color: string; note: string }) {
  return (
    <>
      <Chart label={label} kind="line" categoryHead="Month" categories={months} categoryLabel={monthLabel} series={[{ label: "Rate", color, values }]} format={bp} scale={0.01} yRange={[0, 100]} unit="%" height={150} />
      <p class="small muted">{note}</p>
    </>
  );
}

function ClientTable({ rows }: { rows: QualityReport["sla_by_client"] }) {
  if (!rows.length) return <p class="muted small quality-none">No ticket with an SLA target was resolved in this period.</p>;
  return (
    <div class="table-wrap">
      <table class="table quality-clients" aria-label="SLA by client">
        <thead>
          <tr>
            <th scope="col">Client</th>
            <th scope="col" class="num">
              Resolved with SLA
            </th>
            <th scope="col" class="num">
              Met
            </th>
            <th scope="col" class="num">
              Breached
            </th>
            <th scope="col" class="num">
              Resolution met
            </th>
            <th scope="col" class="num">
              Response met
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.company_id}>
              <th scope="row">
                <a href={`/clients/${c.company_id}`}>{c.company_name}</a>
              </th>
              <td class="num">{c.resolution_total}</td>
              <td class="num">{c.resolution_met}</td>
              <td class={`num ${c.resolution_breached ? "text-danger" : ""}`}>{c.resolution_breached}</td>
              <td class="num">{bp(c.resolution_compliance_bp)}</td>
              <td class="num">{bp(c.response_compliance_bp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
