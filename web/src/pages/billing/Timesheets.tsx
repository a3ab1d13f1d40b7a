/*
 * Timesheets.tsx - a manager approves a technician's week
 * (/timesheets?user_id=&week=): the week's time day by day, each entry
 * with its kind (ticket work, travel, admin, training), what it was on,
 * whether it bills, and its state: not approved, approved (by whom, when)
 * or invoiced. "Approve week" approves every entry of the week not yet
 * invoiced (POST /time-entries/approve-week); an approval is taken back
 * per entry or for the week until the time is invoiced.
 *
 * The server counts a week Monday to Sunday in UTC, so this screen does
 * too: the days and times shown are UTC, and the entries shown are the
 * entries "Approve week" approves.
 */
import { useMemo, useState } from "preact/hooks";
import { TicketLink, UserName } from "../../components/names";
import { UserSelect } from "../../components/pickers";
import { Alert, Badge, Button, Card, Empty, ErrorState, Loading, PageHeader, TextField, toast } from "../../components/ui";
import { api, errorMessage, listAll, request } from "../../lib/api";
import { dateTime } from "../../lib/format";
import { useLoad, useTitle } from "../../lib/hooks";
import { workTypes } from "../../lib/lookup";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { addDays, hm, isDate, mondayOf, TIME_KIND_LABELS, TIME_KIND_TONE, ymd, type TimeEntry, type WeekApproval } from "./model";
import { useBillingSettings } from "./parts";

const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
const shortFmt = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

const utcDate = (d: string) => new Date(d + "T12:00:00Z");

function defaultWeek(): string {
  return mondayOf(addDays(ymd(new Date()), -7));
}

export function TimesheetsPage({ user }: { user: Me }) {
  useTitle("Timesheets");
  const loc = useLocation();
  const { who, week } = useMemo(() => {
    const p = new URLSearchParams(loc.search);
    const w = p.get("week");
    return { who: p.get("user_id") ? Number(p.get("user_id")) : null, week: isDate(w) ? mondayOf(w) : defaultWeek() };
  }, [loc.search]);
  const settings = useBillingSettings();
  const wts = workTypes.use();
  const [busy, setBusy] = useState<string>("");
  const [error, setError] = useState<string | null>(null);
  const entries = useLoad(
    () =>
      who
        ? listAll<TimeEntry>(
            "/time-entries",
            { user_id: who, started_at_after: `${addDays(week, -1)}T23:59:59Z`, started_at_before: `${addDays(week, 7)}T00:00:00Z`, sort: "started_at" },
            2000,
          )
        : Promise.resolve([]),
    [who, week],
  );
  const mayApprove = can("time.approve", user.role);

  function go(part: { who?: number | null; week?: string }) {
    const p = new URLSearchParams();
    const u = part.who !== undefined ? part.who : who;
    if (u) p.set("user_id", String(u));
    p.set("week", part.week ?? week);
    navigate("/timesheets?" + p, { replace: true });
  }

  async function act(key: string, fn: () => Promise<string>) {
    setBusy(key);
    setError(null);
    try {
      toast(await fn());
      entries.reload();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy("");
    }
  }

  const approveWeek = (undo: boolean) =>
    act(undo ? "unweek" : "week", async () => {
      const r = await api.post<WeekApproval>("/time-entries/approve-week", { user_id: who, week_of: week, undo });
      const n = r.entries.length;
      return undo ? `Approval taken back from ${n} ${n === 1 ? "entry" : "entries"}` : n ? `${n} ${n === 1 ? "entry" : "entries"} approved` : "Nothing left to approve this week";
    });

  const one = (e: TimeEntry, undo: boolean) =>
    act(`e${e.id}`, async () => {
      await request<TimeEntry>("POST", `/time-entries/${e.id}/${undo ? "unapprove" : "approve"}`, { body: {}, version: e.version });
      return undo ? "Approval taken back" : "Entry approved";
    });

  const list = entries.data ?? [];
  const days = Array.from({ length: 7 }, (_, i) => addDays(week, i));
  const total = list.reduce((a, e) => a + e.minutes, 0);
  const billable = list.filter((e) => e.billable).reduce((a, e) => a + e.minutes, 0);
  const approved = list.filter((e) => e.approved_at);
  const invoiced = list.filter((e) => e.invoice_id);
  const open = list.filter((e) => !e.approved_at && !e.invoice_id);
  const takeBack = list.filter((e) => e.approved_at && !e.invoice_id);
  const wtName = (id: number | null) => (id ? (wts?.find((w) => w.id === id)?.name ?? `Work type ${id}`) : null);

  return (
    <div class="timesheets-page">
      <PageHeader title="Timesheets" subtitle="A technician's week, day by day: check it, then approve it." />
      <Card class="ts-controls">
        <div class="ts-form">
          <div class="ts-who">
            <UserSelect label="Technician" value={who} onValue={(id) => go({ who: id })} placeholder="Choose…" filter={(u) => u.role === "technician" || u.role === "manager" || u.role === "admin"} />
          </div>
          <div class="ts-week">
            <TextField label="Week of" type="date" value={week} onValue={(v) => isDate(v) && go({ week: mondayOf(v) })} />
          </div>
          <div class="row ts-nav">
            <Button size="sm" onClick={() => go({ week: addDays(week, -7) })} aria-label="Previous week">
              ← Previous
            </Button>
            <Button size="sm" onClick={() => go({ week: addDays(week, 7) })} aria-label="Next week">
              Next →
            </Button>
          </div>
        </div>
        <p class="small muted ts-range">
          Monday {shortFmt.format(utcDate(week))} to Sunday {shortFmt.format(utcDate(addDays(week, 6)))} (UTC).{" "}
          {settings && (settings.time_approval ? "Only approved time is billed." : "Time bills without approval; an approved entry no longer changes.")}
        </p>
      </Card>

      {error && <Alert>{error}</Alert>}

      {!who ? (
        <Card>
          <Empty title="Choose a technician" icon="◷">
            Their time of the week shows here, day by day.
          </Empty>
        </Card>
      ) : entries.error ? (
        <ErrorState message={entries.error} onRetry={entries.reload} />
      ) : !entries.data ? (
        <Loading rows={6} label="Loading the week…" />
      ) : (
        <>
          <div class="ts-summary">
            <dl class="ts-stats" aria-label="The week in numbers">
              <div>
                <dt>Logged</dt>
                <dd>{hm(total)} h</dd>
              </div>
              <div>
                <dt>Billable</dt>
                <dd>{hm(billable)} h</dd>
              </div>
              <div>
                <dt>Approved</dt>
                <dd>
                  {approved.length} of {list.length}
                </dd>
              </div>
              <div>
                <dt>Invoiced</dt>
                <dd>{invoiced.length}</dd>
              </div>
            </dl>
            {mayApprove && (
              <div class="row ts-actions">
                {takeBack.length > 0 && (
                  <Button busy={busy === "unweek"} disabled={!!busy} onClick={() => approveWeek(true)}>
                    Undo the week's approval
                  </Button>
                )}
                <Button variant="primary" busy={busy === "week"} disabled={!!busy || open.length === 0} onClick={() => approveWeek(false)}>
                  {open.length ? `Approve week (${open.length})` : "Week approved"}
                </Button>
              </div>
            )}
          </div>
          {list.length === 0 ? (
            <Card>
              <Empty title="No time this week" icon="◷">
                <UserName id={who} empty="—" /> logged no time from {shortFmt.format(utcDate(week))} to {shortFmt.format(utcDate(addDays(week, 6)))}.
              </Empty>
            </Card>
          ) : (
            <div class="ts-days">
              {days.map((d) => {
                const rows = list.filter((e) => e.started_at.slice(0, 10) === d);
                const sum = rows.reduce((a, e) => a + e.minutes, 0);
                return (
                  <section key={d} class={`card ts-day ${rows.length ? "" : "is-empty"}`} aria-label={dayFmt.format(utcDate(d))}>
                    <header class="card-head">
                      <h2 class="card-title">{dayFmt.format(utcDate(d))}</h2>
                      <span class="card-actions small muted">{rows.length ? `${hm(sum)} h` : "No time"}</span>
                    </header>
                    {rows.length > 0 && (
                      <div class="table-wrap">
                        <table class="table ts-table" aria-label={`Time on ${dayFmt.format(utcDate(d))}`}>
                          <thead>
                            <tr>
                              <th scope="col">Start</th>
                              <th scope="col">Kind</th>
                              <th scope="col">On</th>
                              <th scope="col" class="num">
                                Time
                              </th>
                              <th scope="col">State</th>
                              {mayApprove && (
                                <th scope="col">
                                  <span class="sr-only">Actions</span>
                                </th>
                              )}
                            </tr>
                          </thead>
                          <tbody>
                            {rows.map((e) => (
                              <tr key={e.id} data-entry={e.id}>
                                <td class="nowrap">{timeFmt.format(new Date(e.started_at))}</td>
                                <td>
                                  <Badge tone={TIME_KIND_TONE[e.kind]}>{TIME_KIND_LABELS[e.kind]}</Badge>
                                </td>
                                <td>
                                  {e.ticket_id ? <TicketLink id={e.ticket_id} /> : <span class="muted">Not on a service order</span>}
                                  <div class="cell-sub">
                                    {[wtName(e.work_type_id), e.billable ? "billable" : "not billable", e.notes].filter(Boolean).join(" · ")}
                                  </div>
                                </td>
                                <td class="num nowrap">{hm(e.minutes)}</td>
                                <td>
                                  {e.invoice_id ? (
                                    <Badge tone="green">Invoiced</Badge>
                                  ) : e.approved_at ? (
                                    <span title={dateTime(e.approved_at)}>
                                      <Badge tone="green-soft">Approved</Badge>
                                      <span class="cell-sub">
                                        by <UserName id={e.approved_by_id} empty="—" />
                                      </span>
                                    </span>
                                  ) : (
                                    <Badge tone="amber">Not approved</Badge>
                                  )}
                                </td>
                                {mayApprove && (
                                  <td class="right nowrap">
                                    {e.invoice_id ? (
                                      <span class="small muted" title="Invoiced time keeps its approval">
                                        <a href={`/invoices/${e.invoice_id}`}>On invoice</a>
                                      </span>
                                    ) : e.approved_at ? (
                                      <Button size="sm" variant="ghost" busy={busy === `e${e.id}`} disabled={!!busy} onClick={() => one(e, true)} aria-label={`Undo the approval of ${hm(e.minutes)} h at ${timeFmt.format(new Date(e.started_at))}`}>
                                        Undo approval
                                      </Button>
                                    ) : (
                                      <Button size="sm" busy={busy === `e${e.id}`} disabled={!!busy} onClick={() => one(e, false)} aria-label={`Approve ${hm(e.minutes)} h at ${timeFmt.format(new Date(e.started_at))}`}>
                                        Approve
                                      </Button>
                                    )}
                                  </td>
                                )}
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                    )}
                  </section>
                );
              })}
            </div>
          )}
        </>
      )}
    </div>
  );
}
