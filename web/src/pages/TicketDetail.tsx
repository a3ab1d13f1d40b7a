/*
 * TicketDetail.tsx - one service order: its fields, status changes limited
 * to the allowed transitions, notes, the e-mail thread, attachments, time, parts, checklist, SLA clock with
 * its explanation, escalation, assignment from ranked candidates, history.
 */
import { useState } from "preact/hooks";
import { PriorityBadge, SlaBadge, StatusBadge } from "../components/badges";
import { AssetName, CompanyName, ContactName, SiteName, TicketLink, UserName } from "../components/names";
import { Alert, Badge, Button, Card, DefList, Dialog, ErrorState, Loading, Menu, PageHeader, TabPanel, Tabs, toast } from "../components/ui";
import { api, ApiError, errorMessage, listAll } from "../lib/api";
import { dateTime, label, minutes, relative, time } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { remember, useRecord } from "../lib/lookup";
import { can, type Me } from "../lib/session";
import { CHANNEL_LABELS, isOpen, KIND_LABELS, STATUS_LABELS, TRANSITIONS, transitionLabel } from "../lib/tickets";
import type { Appointment, Attachment, ChecklistItem, Contract, Ticket } from "../lib/types";
import { AppointmentDialog } from "./Dispatch";
import { AttachmentsCard } from "./ticket/Attachments";
import { ChecklistPanel } from "./ticket/Checklist";
import { AlertCard } from "./ticket/Alert";
import { SurveyCard } from "./quality/Surveys";
import { AssignDialog, EditDialog, EscalateDialog, MergeDialog, ResolveDialog } from "./ticket/Dialogs";
import { EmailPanel } from "./ticket/Email";
import { HistoryPanel } from "./ticket/History";
import { KbCard } from "./ticket/Kb";
import { NotesPanel } from "./ticket/Notes";
import { SlaPanel } from "./ticket/Sla";
import { PartsPanel, TimePanel } from "./ticket/Work";

type Open = null | "resolve" | "assign" | "escalate" | "edit" | "cancel" | "merge";

function ContractName({ id }: { id: number | null }) {
  const c = useRecord<Contract>("contracts", can("contracts.view") ? id : null);
  if (!id) return <span class="muted">None (default SLA)</span>;
  return <>{c ? c.name : `Contract ${id}`}</>;
}

/* a visit's status as the ticket's visits say it */
const VISIT_STATUS: Record<string, string> = {
  proposed: "proposed, to agree with the client",
  scheduled: "scheduled",
  confirmed: "confirmed",
  in_progress: "on site",
  done: "done",
  cancelled: "cancelled",
};

/** The ticket's appointments (with when the technician was on site), and booking one for it. */
function VisitsCard({ ticket }: { ticket: Ticket }) {
  const visits = useLoad(() => listAll<Appointment>("/appointments", { ticket_id: ticket.id, sort: "starts_at" }, 200), [ticket.id]);
  const [booking, setBooking] = useState(false);
  const canBook = can("appointments.edit") && isOpen(ticket);
  return (
    <Card
      title="Visits"
      actions={
        canBook && (
          <Button size="sm" variant="subtle" onClick={() => setBooking(true)}>
            Schedule a visit
          </Button>
        )
      }
    >
      {visits.error ? (
        <ErrorState message={visits.error} onRetry={visits.reload} />
      ) : !visits.data ? (
        <Loading rows={1} />
      ) : visits.data.length === 0 ? (
        <p class="muted small">No visits booked.</p>
      ) : (
        <ul class="visits">
          {visits.data.map((a) => (
            <li key={a.id} class={a.status === "cancelled" ? "is-cancelled" : ""}>
              <span class="visit-when">
                {dateTime(a.starts_at)} – {time(a.ends_at)}
              </span>
              <span class="small muted">
                <UserName id={a.user_id} empty="—" /> · {VISIT_STATUS[a.status] ?? a.status}
              </span>
              {a.checked_in_at && (
                <span class="small muted">
                  On site from {time(a.checked_in_at)}
                  {a.checked_out_at ? ` to ${time(a.checked_out_at)}` : ", not checked out yet"}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {booking && (
        <AppointmentDialog
          userId={ticket.assignee_id}
          day={new Date(Date.now() + 86400000)}
          ticketId={ticket.id}
          title={ticket.subject.slice(0, 200)}
          readOnly={false}
          onClose={() => setBooking(false)}
          onDone={(msg) => {
            setBooking(false);
            visits.reload();
            toast(msg);
          }}
        />
      )}
    </Card>
  );
}

export function TicketDetail({ id, user }: { id: number; user: Me }) {
  const t = useLoad((signal) => api.get<Ticket>(`/tickets/${id}`, undefined, signal), [id]);
  const checklist = useLoad(() => listAll<ChecklistItem>(`/tickets/${id}/checklist`, { sort: "position" }, 500), [id]);
  const files = useLoad(() => listAll<Attachment>(`/tickets/${id}/attachments`, { sort: "created_at" }, 500), [id]);
  const [open, setOpen] = useState<Open>(null);
  const [tab, setTab] = useState("notes");
  const [busy, setBusy] = useState(false);
  const ticket = t.data;
  useTitle(ticket ? `${ticket.number} ${ticket.subject}` : "Service order");

  if (t.error) return <ErrorState message={t.error} onRetry={t.reload} />;
  if (!ticket) return <Loading rows={8} label="Loading the service order…" />;

  function done(updated: Ticket, message?: string) {
    remember("tickets", updated);
    t.set(updated);
    setOpen(null);
    if (message) toast(message);
  }

  async function patch(body: Record<string, unknown>, message: string) {
    setBusy(true);
    try {
      const updated = await api.patch<Ticket>(`/tickets/${ticket!.id}`, body, ticket!.version);
      done(updated, message);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        t.reload();
        toast("Someone else changed this service order in the meantime; it is reloaded. Please try again.", "error");
      } else {
        toast(e instanceof ApiError && e.fields.status ? e.fields.status : errorMessage(e), "error");
      }
    } finally {
      setBusy(false);
    }
  }

  function changeStatus(to: string) {
    if (to === "resolved") return setOpen("resolve");
    if (to === "cancelled") return setOpen("cancel");
    void patch({ status: to }, `Status: ${STATUS_LABELS[to]}`);
  }

  const canEdit = can("tickets.edit", user.role);
  const closed = ticket.status === "closed";
  const moves = TRANSITIONS[ticket.status] ?? [];
  const primaryMove = ticket.status === "new" || ticket.status === "assigned" ? "in_progress" : ["in_progress", "waiting_customer", "waiting_parts", "escalated"].includes(ticket.status) ? "resolved" : ticket.status === "resolved" ? "closed" : "in_progress";

  return (
    <div class="ticket-page">
      <PageHeader
        crumbs={
          <>
            <a href="/tickets">Service orders</a> <span aria-hidden="true">/</span> {ticket.number}
          </>
        }
        title={ticket.subject}
        subtitle={
          <>
            <span class="ticket-no">{ticket.number}</span>
            <StatusBadge status={ticket.status} />
            <PriorityBadge priority={ticket.priority} />
            <SlaBadge ticket={ticket} />
            <span class="muted">
              for <CompanyName id={ticket.company_id} link />
            </span>
          </>
        }
        actions={
          canEdit && (
            <>
              {moves.includes(primaryMove) && (
                <Button variant="primary" onClick={() => changeStatus(primaryMove)} busy={busy}>
                  {transitionLabel(ticket.status, primaryMove).replace("…", "")}
                </Button>
              )}
              <Menu
                label="Status"
                buttonLabel="Change status"
                items={[
                  ...moves
                    .filter((m) => m !== primaryMove)
                    .map((m) => ({ label: `${transitionLabel(ticket.status, m)}`, onSelect: () => changeStatus(m), danger: m === "cancelled" })),
                  ...(can("tickets.merge", user.role) && isOpen(ticket) && !ticket.merged_into_id
                    ? [{ label: "Merge into another (duplicate)…", onSelect: () => setOpen("merge") }]
                    : []),
                ]}
              />
              {!closed && <Button onClick={() => setOpen("assign")}>Assign</Button>}
              {!closed && can("tickets.escalate", user.role) && <Button onClick={() => setOpen("escalate")}>Escalate</Button>}
              {!closed && (
                <Button variant="ghost" onClick={() => setOpen("edit")}>
                  Edit
                </Button>
              )}
            </>
          )
        }
      />

      {closed && <Alert tone="info">This service order is closed. Reopen it to change anything.</Alert>}
      {ticket.merged_into_id && (
        <Alert tone="info" title="A duplicate">
          Merged into <TicketLink id={ticket.merged_into_id} />: its notes, time and parts are there now.
        </Alert>
      )}

      <div class="detail-grid">
        <div class="detail-main">
          <Card title="Description">
            {ticket.description ? <div class="pre">{ticket.description}</div> : <p class="muted">No description.</p>}
            {ticket.resolution && (
              <div class="resolution">
                <h3>Resolution</h3>
                <div class="pre">{ticket.resolution}</div>
                {ticket.resolved_at && <div class="small muted">Resolved {dateTime(ticket.resolved_at)}</div>}
              </div>
            )}
          </Card>

          <AttachmentsCard ticket={ticket} files={files} />

          <section class="card">
            <Tabs
              label="Work on this service order"
              active={tab}
              onChange={setTab}
              tabs={[
                { id: "notes", label: "Notes" },
                { id: "email", label: "E-mail" },
                { id: "time", label: "Time" },
                { id: "parts", label: "Parts" },
                { id: "history", label: "History" },
              ]}
            />
            <TabPanel id={tab} key={ticket.merged_into_id ?? 0}>
              {tab === "notes" && <NotesPanel ticket={ticket} onChange={t.reload} files={files} />}
              {tab === "email" && <EmailPanel ticket={ticket} />}
              {tab === "time" && <TimePanel ticket={ticket} />}
              {tab === "parts" && <PartsPanel ticket={ticket} />}
              {tab === "history" && <HistoryPanel ticket={ticket} />}
            </TabPanel>
          </section>
        </div>

        <aside class="detail-side" aria-label="Service order facts">
          {ticket.channel === "monitoring" && <AlertCard ticket={ticket} />}
          <Card title="SLA">
            <SlaPanel ticket={ticket} />
          </Card>
          <VisitsCard ticket={ticket} />
          <KbCard ticket={ticket} />
          {!!ticket.resolved_at && can("surveys.view", user.role) && <SurveyCard ticketId={ticket.id} version={ticket.version} />}
          <Card title="Checklist" id="checklist">
            <ChecklistPanel ticket={ticket} items={checklist} />
          </Card>
          <Card
            title="Details"
            actions={
              canEdit && !closed && !ticket.assignee_id && user.role === "technician" ? (
                <Button size="sm" variant="subtle" onClick={() => patch({ assignee_id: user.id }, "Assigned to you")}>
                  Take it
                </Button>
              ) : undefined
            }
          >
            <DefList
              items={[
                ["Assignee", <UserName id={ticket.assignee_id} />],
                ["Company", <CompanyName id={ticket.company_id} link />],
                ["Contact", ticket.contact_id ? <ContactName id={ticket.contact_id} /> : null],
                ["Site", ticket.site_id ? <SiteName id={ticket.site_id} /> : null],
                ["Planned work", ticket.planned_minutes ? minutes(ticket.planned_minutes) : null],
                ["Asset", ticket.asset_id ? <AssetName id={ticket.asset_id} /> : null],
                ...(can("contracts.view") ? [["Contract", <ContractName id={ticket.contract_id} />] as [string, preact.ComponentChildren]] : []),
                ["Kind", label(ticket.kind, KIND_LABELS)],
                ["Channel", label(ticket.channel, CHANNEL_LABELS)],
                ["Tier", `Tier ${ticket.tier}`],
                [
                  "Needs",
                  ticket.required_skills.length + ticket.required_certifications.length ? (
                    <span class="row">
                      {ticket.required_skills.map((s) => (
                        <Badge key={s} tone="indigo">{s}</Badge>
                      ))}
                      {ticket.required_certifications.map((s) => (
                        <Badge key={s} tone="violet">cert: {s}</Badge>
                      ))}
                    </span>
                  ) : null,
                ],
                ["External ref.", ticket.external_reference],
                ["Follow-up", ticket.follow_up_at ? <>{dateTime(ticket.follow_up_at)} · <UserName id={ticket.follow_up_user_id} empty="nobody" />{ticket.follow_up_note ? ` — ${ticket.follow_up_note}` : ""}</> : null],
                ["Created", <span title={dateTime(ticket.created_at)}>{relative(ticket.created_at)}</span>],
                ["First response", ticket.first_responded_at ? dateTime(ticket.first_responded_at) : <span class="muted">Not yet</span>],
              ]}
            />
          </Card>
        </aside>
      </div>

      {open === "resolve" && <ResolveDialog ticket={ticket} checklist={checklist.data ?? []} onClose={() => setOpen(null)} onDone={(x) => { done(x, `${x.number} resolved`); checklist.reload(); }} />}
      {open === "assign" && <AssignDialog ticket={ticket} onClose={() => setOpen(null)} onDone={(x) => done(x, x.assignee_id ? "Assigned" : "Unassigned")} />}
      {open === "escalate" && <EscalateDialog ticket={ticket} onClose={() => setOpen(null)} onDone={(x) => done(x, "Escalated")} />}
      {open === "merge" && (
        <MergeDialog
          ticket={ticket}
          onClose={() => setOpen(null)}
          onStale={t.reload}
          onDone={(x, into) => {
            done(x, `${x.number} merged into ${into?.number ?? "the other service order"}`);
            checklist.reload();
          }}
        />
      )}
      {open === "edit" && <EditDialog ticket={ticket} onClose={() => setOpen(null)} onDone={(x) => done(x, "Saved")} />}
      {open === "cancel" && (
        <Dialog
          title={`Cancel ${ticket.number}?`}
          description="A cancelled service order stops its SLA clocks. It can be reopened later."
          onClose={() => setOpen(null)}
          footer={
            <>
              <Button onClick={() => setOpen(null)}>Keep it</Button>
              <Button variant="danger" busy={busy} onClick={() => patch({ status: "cancelled" }, "Cancelled")}>
                Cancel service order
              </Button>
            </>
          }
        >
          <p>Nobody will work on it any more.</p>
        </Dialog>
      )}
    </div>
  );
}
