/*
 * Quality.tsx - random quality reviews, for managers (docs/QUALITY.md):
 * /quality?tab=queue the pending reviews of past weeks by week and
 * technician, with each service order's subject, client and resolution;
 * /quality/:id one review: the service order's summary (notes, time, a link
 * to it) beside the template's checklist with its weights, points per item,
 * notes, and Complete or Skip; ?tab=done the reviews done with their
 * scores; ?tab=report the scores per technician by month.
 * The score shown while answering is the server's formula; the server
 * computes the one kept.
 */
import { useMemo, useState } from "preact/hooks";
import { CompanyName, TicketLink, UserName } from "../components/names";
import { Alert, Badge, Button, Card, DefList, Dialog, Empty, ErrorState, LinkButton, Loading, PageHeader, SelectField, Tabs, TextArea, toast } from "../components/ui";
import { api, errorMessage, listAll } from "../lib/api";
import { date, dateTime, minutes } from "../lib/format";
import { useLoad, useTitle } from "../lib/hooks";
import { useRecord } from "../lib/lookup";
import { navigate, useLocation } from "../lib/router";
import { can, type Me } from "../lib/session";
import type { Note, QaReview, QaTemplate, QaTemplateItem, Ticket, TimeEntry } from "../lib/types";

const TABS = [
  { id: "queue", label: "Queue" },
  { id: "done", label: "Done" },
  { id: "report", label: "Report" },
];

/** round(100 × points ÷ weights), half away from zero: the server's formula. */
export function qaScore(points: number[], weights: number[]): number | null {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const given = points.reduce((a, b) => a + b, 0);
  return Math.floor((200 * given + total) / (2 * total));
}

function scoreTone(score: number | null): string {
  if (score === null) return "neutral";
  return score >= 85 ? "green" : score >= 70 ? "amber" : "red";
}

export function ScoreBadge({ score }: { score: number | null }) {
  return (
    <Badge tone={scoreTone(score)} title="Quality score, 0 to 100">
      {score === null ? "—" : `${score} / 100`}
    </Badge>
  );
}

export function QualityPage({ user }: { user: Me }) {
  const loc = useLocation();
  const tab = new URLSearchParams(loc.search).get("tab") ?? "queue";
  const active = TABS.some((t) => t.id === tab) ? tab : "queue";
  useTitle("Quality reviews");
  return (
    <div>
      <PageHeader
        title="Quality reviews"
        subtitle="Each week a random sample of every technician's finished service orders waits here for review against a checklist."
        actions={can("qa.templates.edit", user.role) ? <a class="link-btn" href="/settings/quality">Sample rate and checklists</a> : undefined}
      />
      <Tabs tabs={TABS} active={active} label="Quality reviews" onChange={(id) => navigate(`/quality?tab=${id}`)} />
      <div role="tabpanel" id={`panel-${active}`} aria-labelledby={`tab-${active}`} class="qa-panel">
        {active === "queue" && <Queue />}
        {active === "done" && <Done />}
        {active === "report" && <Report />}
      </div>
    </div>
  );
}

/* The queue -------------------------------------------------------------------------- */

function Queue() {
  const list = useLoad(() => listAll<QaReview>("/qa-reviews", { status: "pending", sort: "-week_start" }, 1000), []);
  const weeks = useMemo(() => {
    const out: { week: string; reviews: QaReview[] }[] = [];
    for (const r of list.data ?? []) {
      let w = out.find((x) => x.week === r.week_start);
      if (!w) out.push((w = { week: r.week_start, reviews: [] }));
      w.reviews.push(r);
    }
    for (const w of out) w.reviews.sort((a, b) => a.technician_id - b.technician_id || a.id - b.id);
    return out;
  }, [list.data]);
  if (list.error) return <ErrorState message={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading rows={4} />;
  if (!weeks.length)
    return (
      <Empty title="Nothing to review" icon="✓">
        The worker draws each technician's finished service orders once a week has ended.
      </Empty>
    );
  return (
    <div class="stack">
      {weeks.map((w) => (
        <Card key={w.week} title={`Week of ${date(w.week)}`} actions={<span class="muted small">{w.reviews.length} to review</span>} pad={false}>
          <div class="table-wrap">
            <table class="table qa-queue" aria-label={`Reviews for the week of ${date(w.week)}`}>
              <thead>
                <tr>
                  <th scope="col">Technician</th>
                  <th scope="col">Service order</th>
                  <th scope="col">Client</th>
                  <th scope="col">Resolution</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {w.reviews.map((r, i) => (
                  <QueueRow key={r.id} r={r} first={i === 0 || w.reviews[i - 1].technician_id !== r.technician_id} />
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      ))}
    </div>
  );
}

function QueueRow({ r, first }: { r: QaReview; first: boolean }) {
  const t = useRecord<Ticket>("tickets", r.ticket_id);
  return (
    <tr>
      <td class="cell-title">{first ? <UserName id={r.technician_id} /> : <span class="sr-only"><UserName id={r.technician_id} /></span>}</td>
      <td>
        <TicketLink id={r.ticket_id} />
        {r.reviewer_id && (
          <div class="cell-sub">
            Taken by <UserName id={r.reviewer_id} />
          </div>
        )}
      </td>
      <td>{t ? <CompanyName id={t.company_id} /> : "…"}</td>
      <td class="small qa-resolution">{t?.resolution ?? <span class="muted">No resolution note</span>}</td>
      <td class="right">
        <LinkButton size="sm" href={`/quality/${r.id}`} aria-label={`Review ${t?.number ?? "service order " + r.ticket_id}`}>
          Review
        </LinkButton>
      </td>
    </tr>
  );
}

/* One review ------------------------------------------------------------------------- */

interface ReviewData {
  review: QaReview;
  ticket: Ticket;
  notes: Note[];
  time: TimeEntry[];
  templates: QaTemplate[];
}

export function QualityReviewPage({ id, user }: { id: number; user: Me }) {
  useTitle("Quality review");
  const data = useLoad(async (signal) => {
    const review = await api.get<QaReview>(`/qa-reviews/${id}`, undefined, signal);
    const [ticket, notes, time, templates] = await Promise.all([
      api.get<Ticket>(`/tickets/${review.ticket_id}`, undefined, signal),
      listAll<Note>(`/tickets/${review.ticket_id}/notes`, {}, 200),
      listAll<TimeEntry>("/time-entries", { ticket_id: review.ticket_id }, 500),
      listAll<QaTemplate>("/qa-templates", { archived: "all" }, 200),
    ]);
    return { review, ticket, notes, time, templates } satisfies ReviewData;
  }, [id]);
  if (data.error) return <ErrorState message={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading rows={6} />;
  const d = data.data;
  return (
    <div>
      <PageHeader
        crumbs={<a href="/quality">Quality reviews</a>}
        title={
          <>
            Review of <span class="ticket-no">{d.ticket.number}</span> {d.ticket.subject}
          </>
        }
        subtitle={
          <>
            Work of <UserName id={d.review.technician_id} />, week of {date(d.review.week_start)}
            {d.review.draw_id ? " (drawn at random)" : " (chosen by a manager)"}
          </>
        }
      />
      <div class="qa-review">
        <TicketSummary d={d} />
        {d.review.status === "pending" ? <Checklist d={d} user={user} onDone={data.reload} /> : <Outcome d={d} />}
      </div>
    </div>
  );
}

function TicketSummary({ d }: { d: ReviewData }) {
  const t = d.ticket;
  const worked = d.time.filter((e) => !e.archived_at).reduce((a, e) => a + e.minutes, 0);
  return (
    <Card title="The service order" actions={<a href={`/tickets/${t.id}`}>Open {t.number}</a>}>
      <DefList
        items={[
          ["Client", <CompanyName id={t.company_id} link />],
          ["Technician", <UserName id={t.assignee_id} />],
          ["Opened", dateTime(t.created_at)],
          ["Resolved", t.resolved_at ? dateTime(t.resolved_at) : "—"],
          ["Time recorded", `${minutes(worked)} in ${d.time.length} ${d.time.length === 1 ? "entry" : "entries"}`],
        ]}
      />
      <h3 class="qa-h">Resolution</h3>
      <p class="qa-text">{t.resolution ?? <span class="muted">None written.</span>}</p>
      <h3 class="qa-h">Notes ({d.notes.length})</h3>
      {d.notes.length === 0 ? (
        <p class="muted">No notes.</p>
      ) : (
        <ol class="qa-notes">
          {d.notes.map((n) => (
            <li key={n.id}>
              <div class="small muted">
                <UserName id={n.author_id} empty="The client" /> · {dateTime(n.created_at)} · {n.visibility === "public" ? "public" : "internal"}
              </div>
              <div class="qa-text">{n.body}</div>
            </li>
          ))}
        </ol>
      )}
      {d.time.length > 0 && (
        <>
          <h3 class="qa-h">Time entries</h3>
          <ul class="qa-time small">
            {d.time.map((e) => (
              <li key={e.id}>
                {dateTime(e.started_at)} · {minutes(e.minutes)} · {e.notes ?? <span class="muted">no note</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </Card>
  );
}

function Checklist({ d, user, onDone }: { d: ReviewData; user: Me; onDone: () => void }) {
  const live = d.templates.filter((t) => t.active && !t.archived_at);
  const first = d.review.template_id ?? live.find((t) => t.is_default)?.id ?? live[0]?.id ?? null;
  const [templateId, setTemplateId] = useState<number | null>(first);
  const template = d.templates.find((t) => t.id === templateId) ?? null;
  const [points, setPoints] = useState<Record<string, string>>({});
  const [notes, setNotes] = useState(d.review.notes ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [skipping, setSkipping] = useState(false);
  const own = d.review.technician_id === user.id;
  const key = (i: number) => `${templateId}:${i}`;
  const value = (item: QaTemplateItem, i: number) => points[key(i)] ?? String(item.weight);
  const parsed = template?.items.map((item, i) => Number(value(item, i))) ?? [];
  const bad = template?.items.some((item, i) => !/^\d+$/.test(value(item, i)) || parsed[i] > item.weight) ?? true;
  const score = template && !bad ? qaScore(parsed, template.items.map((i) => i.weight)) : null;

  async function complete(e: Event) {
    e.preventDefault();
    if (!template) return;
    setBusy(true);
    setError(null);
    try {
      const done = await api.post<QaReview>(
        `/qa-reviews/${d.review.id}/complete`,
        { template_id: template.id, answers: template.items.map((_, i) => ({ item: i, points: parsed[i] })), notes: notes.trim() || null },
        { version: d.review.version },
      );
      toast(`Review completed: score ${done.score}`);
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Checklist">
      {own && <Alert tone="warning">You worked this service order yourself: another manager reviews it.</Alert>}
      <form onSubmit={complete} class="stack">
        <SelectField
          label="Template"
          value={templateId ? String(templateId) : ""}
          onValue={(v) => setTemplateId(Number(v) || null)}
          options={live.map((t) => ({ value: String(t.id), label: t.name + (t.is_default ? " (default)" : "") }))}
          placeholder="Choose a checklist"
        />
        {template && (
          <table class="table qa-checklist" aria-label="Checklist">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col" class="num">
                  Weight
                </th>
                <th scope="col" class="num">
                  Points
                </th>
              </tr>
            </thead>
            <tbody>
              {template.items.map((item, i) => {
                const v = value(item, i);
                const wrong = !/^\d+$/.test(v) || Number(v) > item.weight;
                return (
                  <tr key={key(i)}>
                    <td>
                      <div class="cell-title">{item.label}</div>
                      {item.guidance && <div class="cell-sub">{item.guidance}</div>}
                    </td>
                    <td class="num">{item.weight}</td>
                    <td class="num">
                      <div class="qa-points">
                        <input
                          class="input"
                          type="number"
                          min={0}
                          max={item.weight}
                          value={v}
                          aria-label={`Points for ${item.label}, 0 to ${item.weight}`}
                          aria-invalid={wrong ? "true" : undefined}
                          onInput={(e) => setPoints({ ...points, [key(i)]: (e.currentTarget as HTMLInputElement).value })}
                        />
                        <button type="button" class="link-btn small" onClick={() => setPoints({ ...points, [key(i)]: "0" })} aria-label={`No points for ${item.label}`}>
                          0
                        </button>
                        <button type="button" class="link-btn small" onClick={() => setPoints({ ...points, [key(i)]: String(item.weight) })} aria-label={`Full points for ${item.label}`}>
                          Full
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
            <tfoot>
              <tr>
                <td>Score</td>
                <td class="num">{template.items.reduce((a, i) => a + i.weight, 0)}</td>
                <td class="num" data-testid="qa-score-preview">
                  {bad ? <span class="field-error">Points from 0 to each weight</span> : <ScoreBadge score={score} />}
                </td>
              </tr>
            </tfoot>
          </table>
        )}
        <TextArea label="Notes for the technician" value={notes} onValue={setNotes} rows={4} placeholder="What was good, what to do differently" />
        {error && <Alert>{error}</Alert>}
        <div class="row">
          <Button type="submit" variant="primary" busy={busy} disabled={!template || bad || own}>
            Complete review
          </Button>
          <Button onClick={() => setSkipping(true)} disabled={own}>
            Skip
          </Button>
        </div>
      </form>
      {skipping && <SkipDialog review={d.review} onClose={() => setSkipping(false)} onDone={onDone} />}
    </Card>
  );
}

function SkipDialog({ review, onClose, onDone }: { review: QaReview; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function skip() {
    setBusy(true);
    try {
      await api.post(`/qa-reviews/${review.id}/skip`, reason.trim() ? { notes: reason.trim() } : {}, { version: review.version });
      toast("Review skipped");
      onClose();
      onDone();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog
      title="Skip this review"
      description="Nothing to judge (a duplicate, a ticket opened by mistake)? Say why; the review leaves the queue."
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" busy={busy} onClick={() => void skip()}>
            Skip review
          </Button>
        </>
      }
    >
      <TextArea label="Why" value={reason} onValue={setReason} rows={3} />
      {error && <Alert>{error}</Alert>}
    </Dialog>
  );
}

function Outcome({ d }: { d: ReviewData }) {
  const r = d.review;
  const items = r.checklist ?? [];
  return (
    <Card title={r.status === "done" ? "Result" : "Skipped"} actions={r.status === "done" ? <ScoreBadge score={r.score} /> : <Badge>Skipped</Badge>}>
      <DefList
        items={[
          ["Reviewer", <UserName id={r.reviewer_id} empty="—" />],
          [r.status === "done" ? "Completed" : "Skipped", dateTime(r.completed_at)],
          ["Score", r.status === "done" ? <strong data-testid="qa-score">{r.score} / 100</strong> : "—"],
        ]}
      />
      {r.status === "done" && (
        <table class="table qa-checklist" aria-label="Answers">
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col" class="num">
                Points
              </th>
            </tr>
          </thead>
          <tbody>
            {(r.answers ?? []).map((a) => (
              <tr key={a.item}>
                <td>
                  {items[a.item]?.label ?? `Item ${a.item + 1}`}
                  {a.comment && <div class="cell-sub">{a.comment}</div>}
                </td>
                <td class="num">
                  {a.points} / {items[a.item]?.weight ?? "?"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.notes && (
        <>
          <h3 class="qa-h">Notes</h3>
          <p class="qa-text">{r.notes}</p>
        </>
      )}
    </Card>
  );
}

/* Done --------------------------------------------------------------------------------- */

function Done() {
  const list = useLoad(() => listAll<QaReview>("/qa-reviews", { status: "done", sort: "-completed_at" }, 500), []);
  if (list.error) return <ErrorState message={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading rows={4} />;
  if (!list.data.length) return <Empty title="No reviews done yet">Completed reviews and their scores appear here.</Empty>;
  return (
    <Card pad={false}>
      <div class="table-wrap">
        <table class="table" aria-label="Reviews done">
          <thead>
            <tr>
              <th scope="col">Week</th>
              <th scope="col">Technician</th>
              <th scope="col">Service order</th>
              <th scope="col">Reviewer</th>
              <th scope="col">Completed</th>
              <th scope="col" class="num">
                Score
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((r) => (
              <tr key={r.id} class="clickable" onClick={() => navigate(`/quality/${r.id}`)}>
                <td class="nowrap">{date(r.week_start)}</td>
                <td>
                  <UserName id={r.technician_id} />
                </td>
                <td>
                  <a href={`/quality/${r.id}`} onClick={(e) => e.stopPropagation()}>
                    <TicketLink id={r.ticket_id} />
                  </a>
                </td>
                <td>
                  <UserName id={r.reviewer_id} empty="—" />
                </td>
                <td class="nowrap">{date(r.completed_at)}</td>
                <td class="num">
                  <ScoreBadge score={r.score} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

/* Report ---------------------------------------------------------------------------------- */

interface QaRow {
  technician_id?: number;
  technician_name?: string;
  period?: string;
  done: number;
  skipped: number;
  pending: number;
  average_score: number | null;
}

function Report() {
  const from = useMemo(() => {
    const d = new Date();
    d.setMonth(d.getMonth() - 5, 1);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-01`;
  }, []);
  const rep = useLoad(async (signal) => {
    const [totals, series] = await Promise.all([
      api.get<{ rows: QaRow[] }>("/reports/qa", { from, group: "technician" }, signal),
      api.get<{ rows: QaRow[] }>("/reports/qa", { from, group: "technician", by: "month" }, signal),
    ]);
    return { totals: totals.rows, series: series.rows };
  }, [from]);
  if (rep.error) return <ErrorState message={rep.error} onRetry={rep.reload} />;
  if (!rep.data) return <Loading rows={4} />;
  const months = [...new Set(rep.data.series.map((r) => r.period!))].sort();
  if (!rep.data.totals.length) return <Empty title="No reviews in the last six months" />;
  const cell = (tech: number, month: string) => rep.data!.series.find((r) => r.technician_id === tech && r.period === month);
  return (
    <Card title={`Scores per technician since ${date(from)}`} pad={false}>
      <div class="table-wrap">
        <table class="table qa-report" aria-label="Quality scores per technician">
          <thead>
            <tr>
              <th scope="col">Technician</th>
              <th scope="col" class="num">
                Done
              </th>
              <th scope="col" class="num">
                Pending
              </th>
              <th scope="col" class="num">
                Average
              </th>
              {months.map((m) => (
                <th scope="col" class="num" key={m}>
                  {new Date(m + "-01T12:00:00Z").toLocaleDateString(undefined, { month: "short", year: "2-digit" })}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rep.data.totals.map((t) => (
              <tr key={t.technician_id}>
                <td class="cell-title">{t.technician_name}</td>
                <td class="num">{t.done}</td>
                <td class="num">{t.pending}</td>
                <td class="num">
                  <ScoreBadge score={t.average_score} />
                </td>
                {months.map((m) => {
                  const c = cell(t.technician_id!, m);
                  return (
                    <td class="num" key={m}>
                      {c && c.average_score !== null ? (
                        <span class="qa-bar" title={`${c.done} done`}>
                          <span class={`qa-bar-fill tone-${scoreTone(c.average_score)}`} style={{ width: `${c.average_score}%` }} aria-hidden="true" />
                          <span class="qa-bar-num">{c.average_score}</span>
                        </span>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
