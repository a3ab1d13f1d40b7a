/*
 * CompanySales.tsx - the "Sales" tab of a company's page: its deals, its
 * quotes (current revisions) and its latest activities, with buttons to
 * start a deal, a quote or an activity for it.
 */
import { useState } from "preact/hooks";
import { Button, Empty, ErrorState, LinkButton, Loading, toast } from "../../components/ui";
import { api, listAll } from "../../lib/api";
import { date, money } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import { can } from "../../lib/session";
import { ActivityList } from "./Activities";
import { type Activity, type Opportunity, type Quote } from "./model";
import { ActivityDialog, OpportunityDialog, QuoteStatusBadge, StageBadge } from "./parts";

export function CompanySales({ companyId }: { companyId: number }) {
  const opps = useLoad(() => listAll<Opportunity>("/opportunities", { company_id: companyId, sort: "-created_at" }, 200), [companyId]);
  const quotes = useLoad(() => listAll<Quote>("/quotes", { company_id: companyId, status: "draft,sent,accepted,declined,expired", sort: "-created_at" }, 200), [companyId]);
  const acts = useLoad((signal) => api.list<Activity>("/activities", { company_id: companyId, sort: "-due_at", limit: 10 }, signal).then((p) => p.data), [companyId]);
  const [dialog, setDialog] = useState<"" | "opp" | "act" | Opportunity>("");
  const [editAct, setEditAct] = useState<Activity | null>(null);

  return (
    <div class="stack company-sales">
      <section aria-labelledby="cs-opps">
        <div class="row-between">
          <h3 id="cs-opps" class="section-title">Deals</h3>
          {can("opportunities.edit") && (
            <Button size="sm" variant="subtle" onClick={() => setDialog("opp")}>
              New opportunity
            </Button>
          )}
        </div>
        {opps.error ? (
          <ErrorState message={opps.error} onRetry={opps.reload} />
        ) : !opps.data ? (
          <Loading rows={2} />
        ) : opps.data.length === 0 ? (
          <p class="muted small">No deals with this company yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="table table-compact" aria-label="Deals">
              <tbody>
                {opps.data.map((o) => (
                  <tr key={o.id}>
                    <td>
                      <button type="button" class="link-btn" onClick={() => setDialog(o)}>
                        {o.title}
                      </button>
                    </td>
                    <td>
                      <StageBadge stage={o.stage} />
                    </td>
                    <td class="num nowrap">{o.estimated_value !== null ? money(o.estimated_value, o.currency) : ""}</td>
                    <td class="nowrap muted hide-sm">{o.expected_close_on ? `Close ${date(o.expected_close_on)}` : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="cs-quotes">
        <div class="row-between">
          <h3 id="cs-quotes" class="section-title">Quotes</h3>
          {can("quotes.edit") && (
            <LinkButton size="sm" variant="subtle" href={`/quotes/new?company_id=${companyId}`}>
              New quote
            </LinkButton>
          )}
        </div>
        {quotes.error ? (
          <ErrorState message={quotes.error} onRetry={quotes.reload} />
        ) : !quotes.data ? (
          <Loading rows={2} />
        ) : quotes.data.length === 0 ? (
          <p class="muted small">No quotes for this company yet.</p>
        ) : (
          <div class="table-wrap">
            <table class="table table-compact" aria-label="Quotes">
              <tbody>
                {quotes.data.map((q) => (
                  <tr key={q.id}>
                    <td>
                      <a href={`/quotes/${q.id}`}>
                        <span class="ticket-no">
                          {q.number}
                          {(q.revision ?? 1) > 1 ? ` r${q.revision}` : ""}
                        </span>{" "}
                        {q.title}
                      </a>
                    </td>
                    <td>
                      <QuoteStatusBadge status={q.status} />
                    </td>
                    <td class="num nowrap">{money(q.total, q.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="cs-acts">
        <div class="row-between">
          <h3 id="cs-acts" class="section-title">Latest activities</h3>
          <Button size="sm" variant="subtle" onClick={() => setDialog("act")}>
            Log activity
          </Button>
        </div>
        {acts.error ? (
          <ErrorState message={acts.error} onRetry={acts.reload} />
        ) : !acts.data ? (
          <Loading rows={2} />
        ) : acts.data.length === 0 ? (
          <Empty title="No activities yet" icon="○" />
        ) : (
          <ActivityList rows={acts.data} showOwner onEdit={setEditAct} onChanged={(a) => acts.set(acts.data!.map((x) => (x.id === a.id ? a : x)))} />
        )}
      </section>

      {(dialog === "opp" || typeof dialog === "object") && (
        <OpportunityDialog
          record={typeof dialog === "object" ? dialog : null}
          defaults={{ company_id: companyId }}
          onClose={() => setDialog("")}
          onDone={() => {
            toast(typeof dialog === "object" ? "Saved" : "Opportunity created");
            setDialog("");
            opps.reload();
          }}
        />
      )}
      {(dialog === "act" || editAct) && (
        <ActivityDialog
          record={editAct}
          defaults={{ company_id: companyId }}
          onClose={() => {
            setDialog("");
            setEditAct(null);
          }}
          onDone={() => {
            toast(editAct ? "Activity saved" : "Activity created");
            setDialog("");
            setEditAct(null);
            acts.reload();
          }}
        />
      )}
    </div>
  );
}
