/*
 * MyDay.tsx - a technician's day on their phone: today's visits in order,
 * each with its service order, the site's address (a map link) and the
 * contact's phone numbers (tap to call), and Check in / Check out. The
 * check-out logs the time on site on the order (the server makes the
 * time entry); when the technician has no default work type the card asks
 * for one.
 */
import { useState } from "preact/hooks";
import { PriorityBadge } from "../components/badges";
import { Alert, Badge, Button, Empty, ErrorState, Loading, PageHeader, SelectField, toast } from "../components/ui";
import { api, ApiError, errorMessage, listAll } from "../lib/api";
import { minutes } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useRecord, workTypes } from "../lib/lookup";
import type { Me } from "../lib/session";
import type { Appointment, Company, Contact, Site, Ticket } from "../lib/types";
import { addDay, browserZone, dayName, knownZone, zoneDay, zonedTime, zoneTime } from "../lib/zone";

const STATUS_LABEL: Record<string, string> = { proposed: "Proposed", scheduled: "Scheduled", confirmed: "Confirmed", in_progress: "On site", done: "Done", cancelled: "Cancelled" };
const STATUS_TONE: Record<string, string> = { proposed: "gray", scheduled: "blue", confirmed: "green-soft", in_progress: "amber", done: "gray", cancelled: "gray" };

function address(s: Site): string {
  const city = [s.postal_code, s.city].filter(Boolean).join(" ");
  return [s.address_line1, s.address_line2, city, s.region, s.country].filter(Boolean).join(", ");
}

function Phone({ label, number }: { label: string; number: string | null | undefined }) {
  if (!number) return null;
  return (
    <a href={`tel:${number.replace(/[^+\d]/g, "")}`} class="myday-phone" aria-label={`Call ${label} ${number}`}>
      {number}
    </a>
  );
}

function VisitItem({ a, tz, onChanged }: { a: Appointment; tz: string; onChanged: () => void }) {
  const t = useRecord<Ticket>("tickets", a.ticket_id);
  const company = useRecord<Company>("companies", t?.company_id ?? null);
  const site = useRecord<Site>("sites", a.site_id ?? t?.site_id ?? null);
  const contact = useRecord<Contact>("contacts", t?.contact_id ?? null);
  const types = workTypes.use();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [askType, setAskType] = useState(false);
  const [typeId, setTypeId] = useState("");

  async function act(verb: "check-in" | "check-out") {
    setBusy(true);
    setProblem(null);
    try {
      const body: Record<string, unknown> = {};
      if (verb === "check-out" && typeId) body.work_type_id = Number(typeId);
      const v = await api.post<Appointment>(`/appointments/${a.id}/${verb}`, body);
      if (verb === "check-in") toast(`Checked in at ${zoneTime(v.checked_in_at!, tz)}`);
      else {
        const m = Math.max(1, Math.ceil((new Date(v.checked_out_at!).getTime() - new Date(v.checked_in_at!).getTime()) / 60000));
        toast(`Checked out: ${minutes(m)} logged on ${t?.number ?? "the order"}`);
      }
      setAskType(false);
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.fields.work_type_id) {
        setAskType(true);
        setProblem(`Work type ${e.fields.work_type_id}`);
      } else setProblem(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  const onSite = !!a.checked_in_at && !a.checked_out_at;
  const canCheckIn = !a.checked_in_at && a.ticket_id && a.status !== "cancelled" && a.status !== "done";
  const addr = site ? address(site) : "";
  const worked = a.checked_in_at && a.checked_out_at ? Math.max(1, Math.ceil((new Date(a.checked_out_at).getTime() - new Date(a.checked_in_at).getTime()) / 60000)) : null;
  return (
    <li class={`myday-visit is-${a.status}`} aria-label={`${zoneTime(a.starts_at, tz)} ${t?.number ?? ""} ${a.title ?? ""}`}>
      <div class="myday-when">
        <span>
          {zoneTime(a.starts_at, tz)}–{zoneTime(a.ends_at, tz)}
        </span>
        <Badge tone={STATUS_TONE[a.status] ?? "neutral"}>{STATUS_LABEL[a.status] ?? a.status}</Badge>
        {t && <PriorityBadge priority={t.priority} />}
      </div>
      <h2 class="myday-subject">
        {t ? (
          <>
            <a href={`/tickets/${t.id}`}>{t.number}</a> {t.subject}
          </>
        ) : a.ticket_id ? (
          "…"
        ) : (
          a.title ?? "Visit"
        )}
      </h2>
      <dl class="myday-facts">
        {company && (
          <>
            <dt>Client</dt>
            <dd>{company.name}</dd>
          </>
        )}
        <dt>Address</dt>
        <dd>
          {site ? (
            addr ? (
              <>
                {site.name}: {addr}{" "}
                <a href={`https://www.openstreetmap.org/search?query=${encodeURIComponent(addr)}`} target="_blank" rel="noopener noreferrer">
                  Map
                </a>
              </>
            ) : (
              site.name
            )
          ) : (
            <span class="muted">No site on the order</span>
          )}
        </dd>
        <dt>Contact</dt>
        <dd>
          {contact ? (
            <>
              {contact.first_name} {contact.last_name} <Phone label={`${contact.first_name} ${contact.last_name}`} number={contact.phone} /> <Phone label={`${contact.first_name} ${contact.last_name} mobile`} number={contact.mobile} />
            </>
          ) : site?.phone ? (
            <>
              {site.name} <Phone label={site.name} number={site.phone} />
            </>
          ) : (
            <span class="muted">No contact on the order</span>
          )}
        </dd>
        {a.checked_in_at && (
          <>
            <dt>On site</dt>
            <dd>
              Checked in {zoneTime(a.checked_in_at, tz)}
              {a.checked_out_at && (
                <>
                  , out {zoneTime(a.checked_out_at, tz)} · {minutes(worked!)} logged
                </>
              )}
            </dd>
          </>
        )}
        {a.notes && (
          <>
            <dt>Notes</dt>
            <dd>{a.notes}</dd>
          </>
        )}
      </dl>
      {problem && <Alert>{problem}</Alert>}
      <div class="myday-actions">
        {askType && onSite && (
          <SelectField label="Work type" value={typeId} onValue={setTypeId} placeholder="Choose…" options={(types ?? []).filter((w) => !w.archived_at).map((w) => ({ value: String(w.id), label: w.name }))} />
        )}
        {canCheckIn && (
          <Button variant="primary" busy={busy} onClick={() => act("check-in")}>
            Check in
          </Button>
        )}
        {onSite && (
          <Button variant="primary" busy={busy} disabled={askType && !typeId} onClick={() => act("check-out")}>
            Check out
          </Button>
        )}
      </div>
    </li>
  );
}

export function MyDayPage({ user }: { user: Me }) {
  useTitle("My day");
  const firm = useLoad(() => api.get<{ timezone?: string }>("/settings").catch(() => ({ timezone: undefined })), []);
  const tz = knownZone(firm.data?.timezone) ? firm.data!.timezone! : browserZone();
  const [ymd, setYmd] = useState<string | null>(null);
  const day = ymd ?? zoneDay(Date.now(), tz);
  const from = zonedTime(day, 0, 0, tz);
  const to = zonedTime(addDay(day, 1), 0, 0, tz);
  const visits = useLoad(
    () => (firm.data ? listAll<Appointment>("/appointments", { user_id: user.id, starts_at_before: new Date(to).toISOString(), ends_at_after: new Date(from).toISOString(), sort: "starts_at" }, 500) : Promise.resolve(null)),
    [from, !!firm.data],
  );
  const today = day === zoneDay(Date.now(), tz);
  return (
    <div>
      <PageHeader
        title="My day"
        subtitle={`${dayName(day)} · times in ${tz}`}
        actions={
          <>
            <Button onClick={() => setYmd(addDay(day, -1))} aria-label="Previous day">
              ‹
            </Button>
            <Button onClick={() => setYmd(null)} disabled={today}>
              Today
            </Button>
            <Button onClick={() => setYmd(addDay(day, 1))} aria-label="Next day">
              ›
            </Button>
          </>
        }
      />
      {visits.error ? (
        <ErrorState message={visits.error} onRetry={visits.reload} />
      ) : !visits.data ? (
        <Loading rows={3} label="Loading your visits…" />
      ) : visits.data.length === 0 ? (
        <Empty title={today ? "No visits today" : "No visits this day"}>Visits the dispatcher books for you show here.</Empty>
      ) : (
        <ol class="myday-list" aria-label="Visits">
          {visits.data.map((a) => (
            <VisitItem key={a.id} a={a} tz={tz} onChanged={visits.reload} />
          ))}
        </ol>
      )}
    </div>
  );
}
