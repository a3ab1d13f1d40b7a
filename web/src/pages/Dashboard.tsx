/*
 * Dashboard.tsx - the start of the day: my open service orders by SLA
 * urgency, today's appointments, overdue follow-ups; for managers the
 * team's SLA risk and the unassigned queue.
 */
import type { ComponentChildren } from "preact";
import { PriorityBadge, SlaBadge, StatusBadge } from "../components/badges";
import { CompanyName, UserName } from "../components/names";
import { Card, Empty, ErrorState, LinkButton, Loading, PageHeader } from "../components/ui";
import { api, listAll, type ListPage } from "../lib/api";
import { addDays, dateTime, iso, isoNow, relative, startOfDay, timeRange } from "../lib/format";
import { useLoad, useTitle, type Loaded } from "../lib/hooks";
import { slaPolicies } from "../lib/lookup";
import { can, type Me } from "../lib/session";
import { byUrgency, OPEN_STATUSES, slaState, type Urgency } from "../lib/tickets";
import type { Appointment, Ticket } from "../lib/types";

function greeting(name: string): string {
  const h = new Date().getHours();
  const first = name.split(" ")[0];
  return `${h < 12 ? "Good morning" : h < 18 ? "Good afternoon" : "Good evening"}, ${first}`;
}

function Stat({ label, value, tone, href }: { label: string; value: ComponentChildren; tone?: string; href?: string }) {
  const body = (
    <>
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
    <Card title="Team SLA risk" actions={<a href="/tickets?sort=resolution_due_at" class="small">All by due time</a>} pad={false}>
      {state.error ? (
        <ErrorState message={state.error} onRetry={state.reload} />
      ) : !state.data ? (
        <Loading rows={3} />
      ) : risk.length === 0 ? (
        <Empty title="No service order at risk" icon="✓">
          Nothing breached or close to its due time in the next hours.
        </Empty>
      ) : (
        <TicketRows tickets={risk.slice(0, 10)} showAssignee />
      )}
    </Card>
  );
}

export function Dashboard({ user }: { user: Me }) {
  useTitle("Dashboard");
  const manager = can("settings.view", user.role);
  const policies = slaPolicies.use();
  const pause = (t: Ticket) => policies?.find((p) => p.id === t.sla_policy_id)?.pause_statuses;

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
        ? api.list<Ticket>("/tickets", { status: OPEN_STATUSES.join(","), resolution_due_at_before: isoNow(8 * 60), sort: "resolution_due_at", limit: 100 })
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

  return (
    <div>
      <PageHeader title="Dashboard" subtitle={greeting(user.name) + " — here is what needs you today."} />

      <div class="stats" aria-label="At a glance">
        <Stat label="My open service orders" value={mine.data ? myList.length : "…"} href="/tickets?assignee_id=me" />
        <Stat label="Breached" value={mine.data ? count(myList, "breached", pause) : "…"} tone={mine.data && count(myList, "breached", pause) ? "red" : "neutral"} />
        <Stat label="At risk" value={mine.data ? count(myList, "at_risk", pause) : "…"} tone={mine.data && count(myList, "at_risk", pause) ? "amber" : "neutral"} />
        <Stat label="Appointments today" value={appts.data ? appts.data.data.length : "…"} />
        <Stat label="Overdue follow-ups" value={followUps.data ? followUps.data.data.length : "…"} tone={followUps.data?.data.length ? "amber" : "neutral"} />
      </div>

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
