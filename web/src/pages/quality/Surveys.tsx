/*
 * Surveys.tsx - satisfaction (/surveys): every survey the resolved
 * service orders sent, with the rating, the client's comment, the ticket,
 * the client and the technician; filters (answered or not, rating, client,
 * technician) in the URL and cursor pages. Below, for those who may read
 * it, the CSAT report over a period by technician, client or month, with
 * the response rate. A technician sees the surveys of their own tickets.
 */
import { useMemo, useState } from "preact/hooks";
import { CompanyName, TicketLink, UserName } from "../../components/names";
import { CompanyPicker } from "../../components/pickers";
import { Badge, Card, CopyField, Empty, ErrorState, ListFoot, Loading, PageHeader } from "../../components/ui";
import { api } from "../../lib/api";
import { dateTime } from "../../lib/format";
import { useLoad, usePaged, useTitle } from "../../lib/hooks";
import type { Survey } from "../../lib/records.gen";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { RANGES } from "../sales/Reports";

export interface CsatFigures {
  surveys_sent: number;
  answered: number;
  response_rate_bp: number | null;
  average_rating: number | null;
  csat_bp: number | null;
}

export interface CsatReport {
  group: "technician" | "client" | "month";
  from: string | null;
  to: string | null;
  rows: (CsatFigures & { key: number | string | null; label: string })[];
  total: CsatFigures;
}

interface Filters {
  answered: string;
  rating: string;
  company: number | null;
  technician: string;
}

const VIEWS = [
  { value: "", label: "All" },
  { value: "true", label: "Answered" },
  { value: "false", label: "Waiting" },
  { value: "low", label: "Rated 1–2" },
];

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const answered = p.get("rating") === "1,2" ? "low" : (p.get("answered") ?? "");
  return {
    answered: VIEWS.some((v) => v.value === answered) ? answered : "",
    rating: p.get("rating") && p.get("rating") !== "1,2" ? p.get("rating")! : "",
    company: p.get("company_id") ? Number(p.get("company_id")) : null,
    technician: p.get("technician_id") ?? "",
  };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  if (f.answered === "low") p.set("rating", "1,2");
  else if (f.answered) p.set("answered", f.answered);
  if (f.rating && f.answered !== "low") p.set("rating", f.rating);
  if (f.company) p.set("company_id", String(f.company));
  if (f.technician) p.set("technician_id", f.technician);
  return p.toString() ? "?" + p : "";
}

export function Stars({ rating }: { rating: number | null }) {
  if (rating === null) return <Badge tone="neutral">Not answered</Badge>;
  return (
    <span class={`stars ${rating <= 2 ? "is-low" : rating >= 4 ? "is-high" : ""}`} title={`${rating} of 5`}>
      <span aria-hidden="true">{"★".repeat(rating) + "☆".repeat(5 - rating)}</span>
      <span class="sr-only">{rating} of 5</span>
    </span>
  );
}

export function SurveysPage({ user }: { user: Me }) {
  useTitle("Surveys");
  const loc = useLocation();
  const f = useMemo(() => readFilters(loc.search), [loc.search]);
  const query = {
    answered: f.answered === "low" ? undefined : f.answered || undefined,
    rating: f.answered === "low" ? "1,2" : f.rating || undefined,
    company_id: f.company ?? undefined,
    technician_id: f.technician || undefined,
  };
  const list = usePaged<Survey>("/surveys", query, [loc.search]);
  const [open, setOpen] = useState<number | null>(null);

  function update(part: Partial<Filters>) {
    navigate("/surveys" + writeFilters({ ...f, ...part }), { replace: true });
  }
  const filtered = !!(f.answered || f.rating || f.company || f.technician);

  return (
    <div>
      <PageHeader
        title="Surveys"
        subtitle={user.role === "technician" ? "What clients said about the service orders you resolved." : "What clients said after each resolved service order."}
      />
      <div class="list-toolbar">
        <div class="chips" role="group" aria-label="Answer">
          {VIEWS.map((v) => (
            <button key={v.value} type="button" class={`chip ${f.answered === v.value ? "is-active" : ""}`} aria-pressed={f.answered === v.value} onClick={() => update({ answered: v.value, rating: "" })}>
              {v.label}
            </button>
          ))}
        </div>
      </div>
      <section class="card list-card">
        <div class="filters" role="group" aria-label="Filters">
          <div class="filter-company">
            <CompanyPicker label="Client" hideLabel value={f.company} onValue={(id) => update({ company: id })} placeholder="Any client" />
          </div>
          <div class="filter-select">
            <label for="survey-rating" class="sr-only">
              Rating
            </label>
            <select id="survey-rating" class="input select filter-input" value={f.answered === "low" ? "" : f.rating} disabled={f.answered === "low"} onChange={(e) => update({ rating: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">Any rating</option>
              {[5, 4, 3, 2, 1].map((r) => (
                <option key={r} value={String(r)}>
                  {r} of 5
                </option>
              ))}
            </select>
          </div>
          {f.technician && (
            <span class="chip is-active">
              <UserName id={Number(f.technician)} />
              <button type="button" class="chip-x" aria-label="Clear the technician filter" onClick={() => update({ technician: "" })}>
                ✕
              </button>
            </span>
          )}
        </div>
        {list.error ? (
          <ErrorState message={list.error} onRetry={list.reload} />
        ) : !list.rows ? (
          <Loading rows={6} label="Loading surveys…" />
        ) : list.rows.length === 0 ? (
          <Empty title={filtered ? "No surveys match" : "No surveys yet"} icon="★">
            {filtered ? "Try another filter." : "Resolving a service order sends its contact a survey."}
          </Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="table surveys-table" aria-label="Surveys">
                <thead>
                  <tr>
                    <th scope="col">Rating</th>
                    <th scope="col">Comment</th>
                    <th scope="col">Service order</th>
                    <th scope="col">Client</th>
                    <th scope="col" class="hide-sm">
                      Technician
                    </th>
                    <th scope="col" class="hide-sm">
                      Answered
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.rows.map((s) => (
                    <>
                      <tr key={s.id} class={`clickable ${s.rating !== null && s.rating <= 2 ? "is-low-rating" : ""}`} onClick={(e) => !(e.target as HTMLElement).closest("a,button") && setOpen(open === s.id ? null : s.id)}>
                        <td data-label="Rating">
                          <Stars rating={s.rating} />
                        </td>
                        <td data-label="Comment" class="survey-comment-cell">
                          {s.comment ? <span class="clamp-2">{s.comment}</span> : <span class="muted">—</span>}
                        </td>
                        <td data-label="Service order">
                          <TicketLink id={s.ticket_id} />
                        </td>
                        <td data-label="Client">
                          <CompanyName id={s.company_id} link />
                        </td>
                        <td class="hide-sm">
                          {s.technician_id ? (
                            <a href={`/surveys?technician_id=${s.technician_id}`}>
                              <UserName id={s.technician_id} />
                            </a>
                          ) : (
                            <span class="muted">Nobody</span>
                          )}
                        </td>
                        <td class="hide-sm nowrap">{s.answered_at ? dateTime(s.answered_at) : <span class="muted">Sent {dateTime(s.sent_at)}</span>}</td>
                      </tr>
                      {open === s.id && (
                        <tr key={`${s.id}-link`} class="survey-link-row">
                          <td colSpan={6}>
                            <CopyField label="The client's link" value={s.url ?? ""} hint="Pass it on another way (chat, SMS) if the mail did not reach them." />
                          </td>
                        </tr>
                      )}
                    </>
                  ))}
                </tbody>
              </table>
            </div>
            <ListFoot count={list.rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
          </>
        )}
      </section>
      {can("reports.csat", user.role) && <CsatCard />}
    </div>
  );
}

const GROUPS = [
  { value: "technician", label: "By technician" },
  { value: "client", label: "By client" },
  { value: "month", label: "By month" },
];

function pct(bp: number | null): string {
  return bp === null ? "—" : `${Math.round(bp / 10) / 10} %`;
}

function avg(x100: number | null): string {
  return x100 === null ? "—" : (x100 / 100).toFixed(2);
}

function rangeFrom(r: string): string | undefined {
  const now = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  if (r === "all") return undefined;
  if (r === "ytd") return `${now.getFullYear()}-01-01`;
  const d = new Date(now.getFullYear(), now.getMonth() - ((Number(r) || 12) - 1), 1);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-01`;
}

function CsatCard() {
  const [group, setGroup] = useState("technician");
  const [range, setRange] = useState("12");
  const from = rangeFrom(range);
  const report = useLoad((signal) => api.get<CsatReport>("/reports/csat", { group, from }, signal), [group, range]);
  return (
    <Card
      title="Customer satisfaction (CSAT)"
      class="csat-card"
      actions={
        <div class="csat-controls">
          <label class="sr-only" for="csat-group">
            Group
          </label>
          <select id="csat-group" class="input select filter-input" value={group} onChange={(e) => setGroup((e.currentTarget as HTMLSelectElement).value)}>
            {GROUPS.map((g) => (
              <option key={g.value} value={g.value}>
                {g.label}
              </option>
            ))}
          </select>
          <label class="sr-only" for="csat-range">
            Period
          </label>
          <select id="csat-range" class="input select filter-input" value={range} onChange={(e) => setRange((e.currentTarget as HTMLSelectElement).value)}>
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
      }
    >
      {report.error ? (
        <ErrorState message={report.error} onRetry={report.reload} />
      ) : !report.data ? (
        <Loading rows={4} />
      ) : report.data.rows.length === 0 ? (
        <p class="muted small">No surveys were sent in this period.</p>
      ) : (
        <div class="table-wrap">
          <table class="table table-compact csat-table" aria-label={`Customer satisfaction ${GROUPS.find((g) => g.value === group)?.label.toLowerCase()}`}>
            <thead>
              <tr>
                <th scope="col">{group === "technician" ? "Technician" : group === "client" ? "Client" : "Month"}</th>
                <th scope="col" class="num">
                  Sent
                </th>
                <th scope="col" class="num">
                  Answered
                </th>
                <th scope="col" class="num">
                  Response rate
                </th>
                <th scope="col" class="num">
                  Average
                </th>
                <th scope="col" class="num" title="Share of answers rated 4 or 5">
                  CSAT
                </th>
              </tr>
            </thead>
            <tbody>
              {report.data.rows.map((r) => (
                <tr key={String(r.key)}>
                  <td>
                    {group === "client" && r.key ? (
                      <a href={`/surveys?company_id=${r.key}`}>{r.label}</a>
                    ) : group === "technician" && r.key ? (
                      <a href={`/surveys?technician_id=${r.key}`}>{r.label}</a>
                    ) : (
                      r.label
                    )}
                  </td>
                  <td class="num">{r.surveys_sent}</td>
                  <td class="num">{r.answered}</td>
                  <td class="num">{pct(r.response_rate_bp)}</td>
                  <td class="num">{avg(r.average_rating)}</td>
                  <td class="num">
                    <span class={`csat ${r.csat_bp !== null && r.csat_bp < 7000 ? "is-low" : ""}`}>{pct(r.csat_bp)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td>All</td>
                <td class="num">{report.data.total.surveys_sent}</td>
                <td class="num">{report.data.total.answered}</td>
                <td class="num">{pct(report.data.total.response_rate_bp)}</td>
                <td class="num">{avg(report.data.total.average_rating)}</td>
                <td class="num">{pct(report.data.total.csat_bp)}</td>
              </tr>
            </tfoot>
          </table>
          <p class="small muted">Surveys count in the period they were sent (the order resolved). CSAT is the share of answers rated 4 or 5.</p>
        </div>
      )}
    </Card>
  );
}

/** The ticket's survey on its detail page: the rating, the comment and the link. */
export function SurveyCard({ ticketId, version }: { ticketId: number; version: number }) {
  const rows = useLoad((signal) => api.list<Survey>("/surveys", { ticket_id: ticketId, limit: 1 }, signal), [ticketId, version]);
  if (rows.error || !rows.data) return null;
  const s = rows.data.data[0];
  if (!s) return null;
  return (
    <Card title="Satisfaction survey" id="survey" class="survey-card">
      <div class="row">
        <Stars rating={s.rating} />
        {s.answered_at && <span class="small muted">{dateTime(s.answered_at)}</span>}
      </div>
      {s.comment && <blockquote class="survey-comment">{s.comment}</blockquote>}
      {!s.answered && <p class="small muted">Sent {dateTime(s.sent_at)}; not answered yet.</p>}
      {s.url && <CopyField label="The client's link" value={s.url} />}
    </Card>
  );
}
