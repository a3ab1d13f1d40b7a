/*
 * Dashboard.tsx - the start of the day: my open service orders by SLA
 * urgency, today's appointments, overdue follow-ups; for managers the
 * team's SLA risk and the unassigned queue; for sales the quotes waiting
 * for the client and drafts, for billing the invoices past due and drafts
 * (DeskCards.tsx).
 *
 * The figures and the three small charts (backlog by age, SLA met per day
 * over 30 days, hours per person this week) come from GET /dashboard,
 * which answers for the team, or for a technician their own work; every
 * figure says whose it is ("Team" or "Mine").
 */
import type { ComponentChildren } from "preact";
import { Chart } from "../components/chart";
import { PriorityBadge, SlaBadge, StatusBadge } from "../components/badges";
import { CompanyName, UserName } from "../components/names";
import { Card, Empty, ErrorState, LinkButton, Loading, PageHeader } from "../components/ui";
import { api, listAll, type ListPage } from "../lib/api";
import { AGES, PRIORITIES, PRIORITY_COLORS } from "../lib/backlog";
import { addDays, bp, dateTime, iso, isoNow, minutes, relative, startOfDay, timeRange } from "../lib/format";
import { useLoad, useTitle, type Loaded } from "../lib/hooks";
import { slaPolicies } from "../lib/lookup";
import { can, type Me } from "../lib/session";
import { byUrgency, OPEN_STATUSES, slaState, type Urgency } from "../lib/tickets";
import type { Appointment, Ticket } from "../lib/types";
import "../styles/manager.css";
import { BillingDesk, SalesDesk } from "./DeskCards";

type Counts = Record<(typeof PRIORITIES)[number] | "total", number>;

/** GET /dashboard (docs/openapi.yaml, Dashboard). */
interface DashboardFigures {
  scope: "team" | "mine";
  user_id: number | null;
  time_zone: string;
  generated_at: string;
  open: number;
  breached: number;
  unassigned: number | null;
  backlog_by_age: { as_of: string; buckets: (Counts & { bucket: string })[]; totals: Counts };
  sla_by_day: { day: string; with_sla: number; met: number; met_bp: number | null }[];
  sla_30_days: { from: string; to: string; with_sla: number; met: number; met_bp: number | null };
  hours_this_week: { from: string; to: string; people: { user_id: number; name: string; minutes: number }[]; total_minutes: number };
}

const SCOPE_LABEL = { team: "Team", mine: "Mine" } as const;
const hours = (v: number | null) => (v === null ? "—" : minutes(v));
/** "2026-03-05" -> "5 Mar" */
const dayLabel = (d: string) => new Date(d + "T12:00:00Z").toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });

function greeting(name: string): string {
  const h = new Date().getHours();
  const first = name.split(" ")[0];
  return `${h < 12 ? "Good morning" : h < 18 ? "Good afternoon" : "Good evening"}, ${first}`;
}

function Stat({ label, value, tone, href, scope }: { label: string; value: ComponentChildren; tone?: string; href?: string; scope: "team" | "mine" }) {
  const body = (
    <>
      <span class={`stat-scope stat-scope-${scope}`}>{SCOPE_LABEL[scope]}</span>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </>
  );
  return href ? (
    <a class={`stat stat-${tone ?? "neutral"}`} href={href}>
      {body}
    </a>
  ) : (
    <div class={`stat stat-${tone ?? "neutral"}`}>{body}</div>
  );
}

function TicketRows({ tickets, showAssignee }: { tickets: Ticket[]; showAssignee?: boolean }) {
  return (
    <ul class="ticket-rows">
      {tickets.map((t) => (
        <li key={t.id}>
          <a href={`/tickets/${t.id}`} class="ticket-row">
            <span class="ticket-row-main">
              <span class="ticket-row-title">
                <span class="ticket-no">{t.number}</span> {t.subject}
              </span>
              <span class="ticket-row-sub">
                <CompanyName id={t.company_id} />
                {showAssignee && (
                  <>
                    {" · "}
                    <UserName id={t.assignee_id} />
                  </>
                )}
              </span>
            </span>
            <span class="ticket-row-badges">
              <PriorityBadge priority={t.priority} />
              <StatusBadge status={t.status} />
              <SlaBadge ticket={t} compact />
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

function count(list: Ticket[], u: Urgency, pause: (t: Ticket) => string[] | undefined): number {
  const now = Date.now();
  return list.filter((t) => slaState(t, now, pause(t)).urgency === u).length;
}

function TeamRisk({ risk, state }: { risk: Ticket[]; state: Loaded<ListPage<Ticket>> }) {
  return (
    <Card title="Team SLA risk" actions={<a href="/tickets?sort=sla_urgency" class="small">All by SLA urgency</a>} pad={false}>
      {state.error ? (
        <ErrorState message={state.error} onRetry={state.reload} />
      ) : !state.data ? (
        <Loading rows={3} />
      ) : risk.length === 0 ? (
        <Empty title="No service order at risk" icon="✓">
          Nothing breached, and no clock past 75 % of its target.
        </Empty>
      ) : (
        <TicketRows tickets={risk.slice(0, 10)} showAssignee />
      )}
    </Card>
  );
}

/** The three small charts, titled with whose figures they are. */
function Charts({ d }: { d: DashboardFigures }) {
  const who = d.scope === "team" ? "Team" : "My";
  const sla = d.sla_30_days;
  const week = d.hours_this_week;
  return (
    <section class="dash-charts" aria-label={`${SCOPE_LABEL[d.scope]}: charts`} data-scope={d.scope}>
      <Card title={`${who} backlog by age`} class="dash-chart">
        <Chart
          label={`${who} open service orders by age`}
          kind="stacked"
          categoryHead="Age"
          categories={d.backlog_by_age.buckets.map((b) => b.bucket)}
          categoryLabel={(b) => AGES[b] ?? b}
          series={PRIORITIES.map((p) => ({ label: p[0].toUpperCase() + p.slice(1), color: PRIORITY_COLORS[p], values: d.backlog_by_age.buckets.map((b) => b[p]) }))}
          height={160}
          axisEvery={2}
        />
        <p class="small muted">{d.backlog_by_age.totals.total} open now, by how long ago they came in.</p>
      </Card>
      <Card title={`${who} SLA met, last 30 days`} class="dash-chart">
        <Chart
          label={`${who} service orders resolved within their SLA, per day`}
          kind="line"
          categoryHead="Day"
          categories={d.sla_by_day.map((x) => x.day)}
          categoryLabel={dayLabel}
          series={[{ label: "SLA met", color: "#16733c", values: d.sla_by_day.map((x) => x.met_bp) }]}
          format={bp}
          scale={0.01}
          yRange={[0, 100]}
          unit="%"
          height={160}
          axisEvery={7}
        />
        <p class="small muted">
          {sla.met_bp === null
            ? "No service order with an SLA was resolved in the last 30 days."
            : `${bp(sla.met_bp)} over 30 days: ${sla.met} of ${sla.with_sla} resolved with an SLA kept both targets. A day with none has no point.`}
        </p>
      </Card>
      <Card title={d.scope === "team" ? "Hours per technician this week" : "My hours this week"} class="dash-chart">
        <Chart
          label={d.scope === "team" ? "Hours logged per technician this week" : "Hours I logged this week"}
          kind="stacked"
          categoryHead="Person"
          categories={week.people.map((p) => String(p.user_id))}
          categoryLabel={(id) => week.people.find((p) => String(p.user_id) === id)?.name ?? id}
          series={[{ label: "Logged", color: "#2451d6", values: week.people.map((p) => p.minutes) }]}
          format={hours}
          scale={1 / 60}
          unit=" h"
          height={160}
        />
        <p class="small muted">
          {minutes(week.total_minutes)} logged from Monday {dayLabel(week.from)} to today ({d.time_zone}).
        </p>
      </Card>
    </section>
  );
}

export function Dashboard({ user }: { user: Me }) {
  useTitle("Dashboard");
  const manager = can("settings.view", user.role);
  const policies = slaPolicies.use();
  const pause = (t: Ticket) => policies?.find((p) => p.id === t.sla_policy_id)?.pause_statuses;

  const figures = useLoad((s) => api.get<DashboardFigures>("/dashboard", undefined, s), [user.id]);
  const mine = useLoad(
    () => listAll<Ticket>("/tickets", { assignee_id: user.id, status: OPEN_STATUSES.join(","), sort: "resolution_due_at" }, 400),
    [user.id],
  );
  const today = startOfDay(new Date());
  const appts = useLoad(
    () =>
      api.list<Appointment>("/appointments", {
        user_id: user.id,
        starts_at_before: iso(addDays(today, 1)),
        ends_at_after: iso(today),
        sort: "starts_at",
        limit: 50,
      }),
    [user.id],
  );
  const followUps = useLoad(
    () => api.list<Ticket>("/tickets", { follow_up_user_id: user.id, follow_up_at_before: isoNow(), sort: "follow_up_at", limit: 20 }),
    [user.id],
  );
  const teamRisk = useLoad(
    () =>
      manager
        ? api.list<Ticket>("/tickets", { status: OPEN_STATUSES.join(","), sort: "sla_urgency", limit: 100 })
        : Promise.resolve({ data: [] as Ticket[], next_cursor: null }),
    [manager],
  );
  // open orders nobody is assigned to, oldest first (the API's assignee_id=none)
  const unassigned = useLoad(
    () =>
      manager
        ? api.list<Ticket>("/tickets", { assignee_id: "none", status: OPEN_STATUSES.join(","), sort: "created_at", limit: 50 })
        : Promise.resolve({ data: [] as Ticket[], next_cursor: null }),
    [manager],
  );

  const myList = mine.data ? [...mine.data].sort((a, b) => byUrgency(a, b)) : [];
  const risk = teamRisk.data ? teamRisk.data.data.filter((t) => ["breached", "at_risk"].includes(slaState(t, Date.now(), pause(t)).urgency)).sort((a, b) => byUrgency(a, b)) : [];
  const queue = unassigned.data?.data ?? [];
  const queueMore = !!unassigned.data?.next_cursor;
  const fig = figures.data;

  return (
    <div>
      <PageHeader title="Dashboard" subtitle={greeting(user.name) + " — here is what needs you today."} />

      <div class="stats stats-auto" aria-label="At a glance">
        {fig && fig.scope === "team" && (
          <>
            <Stat scope="team" label="Open service orders" value={fig.open} href="/tickets" />
            <Stat scope="team" label="Breached" value={fig.breached} tone={fig.breached ? "red" : "neutral"} href="/tickets?sort=sla_urgency" />
            <Stat scope="team" label="Unassigned" value={fig.unassigned ?? 0} tone={fig.unassigned ? "amber" : "neutral"} href="/tickets?assignee_id=none&sort=created_at" />
          </>
        )}
        <Stat scope="mine" label="My open service orders" value={mine.data ? myList.length : "…"} href="/tickets?assignee_id=me" />
        <Stat scope="mine" label="Breached" value={mine.data ? count(myList, "breached", pause) : "…"} tone={mine.data && count(myList, "breached", pause) ? "red" : "neutral"} />
        <Stat scope="mine" label="At risk" value={mine.data ? count(myList, "at_risk", pause) : "…"} tone={mine.data && count(myList, "at_risk", pause) ? "amber" : "neutral"} />
        <Stat scope="mine" label="Appointments today" value={appts.data ? appts.data.data.length : "…"} />
        <Stat scope="mine" label="Overdue follow-ups" value={followUps.data ? followUps.data.data.length : "…"} tone={followUps.data?.data.length ? "amber" : "neutral"} />
      </div>

      {figures.error ? <ErrorState message={figures.error} onRetry={figures.reload} /> : !fig ? <Loading rows={3} label="Loading the charts…" /> : <Charts d={fig} />}

      {(user.role === "sales" || user.role === "billing") && (
        <div class="dash-grid" aria-label={user.role === "sales" ? "My sales" : "Billing"}>
          {user.role === "sales" ? <SalesDesk /> : <BillingDesk />}
        </div>
      )}

      <div class="dash-grid">
        <div class="dash-col">
        <Card title="My open service orders" actions={<a href="/tickets?assignee_id=me" class="small">View all</a>} pad={false}>
          {mine.error ? (
            <ErrorState message={mine.error} onRetry={mine.reload} />
          ) : !mine.data ? (
            <Loading rows={4} />
          ) : myList.length === 0 ? (
            <Empty title="Nothing assigned to you" icon="✓">
              Service orders assigned to you appear here, most urgent first.
            </Empty>
          ) : (
            <TicketRows tickets={myList.slice(0, 12)} />
          )}
        </Card>

        {manager && <TeamRisk risk={risk} state={teamRisk} />}
        </div>
        <div class="dash-col">
        <Card title="Today's appointments" actions={<a href="/dispatch" class="small">Dispatch</a>} pad={false}>
          {appts.error ? (
            <ErrorState message={appts.error} onRetry={appts.reload} />
          ) : !appts.data ? (
            <Loading rows={2} />
          ) : appts.data.data.length === 0 ? (
            <Empty title="No appointments today" icon="◷" />
          ) : (
            <ul class="appt-list">
              {appts.data.data.map((a) => (
                <li key={a.id} class={`appt-item appt-${a.status}`}>
                  <span class="appt-time">{timeRange(a.starts_at, a.ends_at)}</span>
                  <span class="appt-what">
                    {a.ticket_id ? <a href={`/tickets/${a.ticket_id}`}>{a.title ?? "Service visit"}</a> : a.title ?? "Appointment"}
                    <span class="small muted"> · {a.status}</span>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>

        <Card title="Overdue follow-ups" pad={false}>
          {followUps.error ? (
            <ErrorState message={followUps.error} onRetry={followUps.reload} />
          ) : !followUps.data ? (
            <Loading rows={2} />
          ) : followUps.data.data.length === 0 ? (
            <Empty title="No overdue follow-ups" icon="✓" />
          ) : (
            <ul class="ticket-rows">
              {followUps.data.data.map((t) => (
                <li key={t.id}>
                  <a href={`/tickets/${t.id}`} class="ticket-row">
                    <span class="ticket-row-main">
                      <span class="ticket-row-title">
                        <span class="ticket-no">{t.number}</span> {t.subject}
                      </span>
                      <span class="ticket-row-sub">
                        Due {relative(t.follow_up_at)} ({dateTime(t.follow_up_at)}){t.follow_up_note ? ` — ${t.follow_up_note}` : ""}
                      </span>
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          )}
        </Card>

        {manager && (
          <Card title="Unassigned" actions={<a href="/tickets?assignee_id=none&sort=created_at" class="small">Open queue</a>} pad={false}>
            {unassigned.error ? (
              <ErrorState message={unassigned.error} onRetry={unassigned.reload} />
            ) : !unassigned.data ? (
              <Loading rows={3} />
            ) : queue.length === 0 ? (
              <Empty title="Everything is assigned" icon="✓" />
            ) : (
              <>
                <TicketRows tickets={queue.slice(0, 10)} />
                {queue.length > 10 && (
                  <div class="table-foot">
                    <a href="/tickets?assignee_id=none&sort=created_at">
                      {queue.length - 10}
                      {queueMore ? "+" : ""} more waiting
                    </a>
                  </div>
                )}
              </>
            )}
          </Card>
        )}
        </div>
      </div>
      <p class="small muted dash-hint">
        Press <kbd>?</kbd> for keyboard shortcuts. {can("tickets.create", user.role) && <LinkButton href="/tickets/new" size="sm" variant="subtle">New service order</LinkButton>}
      </p>
    </div>
  );
}
