/*
 * Ageing.tsx - what clients owe, by how long it is past due
 * (/billing/ageing?as_of=): the open balance of issued invoices in the
 * buckets current, 1-30, 31-60, 61-90 and over 90 days past due, per
 * client with its invoices a click away, and the totals per currency as a
 * stacked bar (the same numbers are in the table).
 */
import { useMemo, useState } from "preact/hooks";
import { Card, Empty, ErrorState, Loading, PageHeader, TextField } from "../../components/ui";
import { api } from "../../lib/api";
import { date, money } from "../../lib/format";
import { useLoad, useTitle } from "../../lib/hooks";
import { navigate, useLocation } from "../../lib/router";
import { AGE_BUCKETS, isDate, ymd, type AgeAmounts, type AgeingReport } from "./model";

export function AgeingPage() {
  useTitle("AR ageing");
  const loc = useLocation();
  const asOf = useMemo(() => {
    const v = new URLSearchParams(loc.search).get("as_of");
    return isDate(v) ? v : "";
  }, [loc.search]);
  const [day, setDay] = useState(asOf || ymd(new Date()));
  const report = useLoad((signal) => api.get<AgeingReport>("/reports/ar-ageing", asOf ? { as_of: asOf } : undefined, signal), [asOf]);
  const [open, setOpen] = useState<Set<string>>(new Set());

  function toggle(k: string) {
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });
  }

  const r = report.data;
  return (
    <div class="ageing-page">
      <PageHeader
        title="AR ageing"
        subtitle="What clients owe on issued invoices, by how long it is past due."
        actions={
          <div class="ageing-asof">
            <TextField
              label="As of"
              type="date"
              value={day}
              onValue={(v) => {
                setDay(v);
                if (isDate(v)) navigate("/billing/ageing" + (v === ymd(new Date()) ? "" : `?as_of=${v}`), { replace: true });
              }}
            />
          </div>
        }
      />
      {report.error ? (
        <ErrorState message={report.error} onRetry={report.reload} />
      ) : !r ? (
        <Loading rows={6} label="Loading the ageing…" />
      ) : r.companies.length === 0 ? (
        <Card>
          <Empty title="Nothing is owed" icon="✓">
            No issued invoice has a balance as of {date(r.as_of)}.
          </Empty>
        </Card>
      ) : (
        <>
          <div class="ageing-totals">
            {r.totals.map((t) => (
              <Card key={t.currency} title={`Owed in ${t.currency}: ${money(t.total, t.currency)}`} class="ageing-total-card">
                <AgeBar amounts={t} />
              </Card>
            ))}
          </div>
          <Card title={`By client, as of ${date(r.as_of)}`} pad={false}>
            <div class="table-wrap">
              <table class="table ageing-table" aria-label="Ageing by client">
                <thead>
                  <tr>
                    <th scope="col">Client</th>
                    {AGE_BUCKETS.map((b) => (
                      <th key={b.key} scope="col" class="num">
                        {b.label}
                      </th>
                    ))}
                    <th scope="col" class="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {r.companies.map((c) => {
                    const k = `${c.company_id}-${c.currency}`;
                    const isOpen = open.has(k);
                    return [
                      <tr key={k} class="ageing-row">
                        <th scope="row">
                          <button type="button" class="link-btn ageing-toggle" aria-expanded={isOpen} aria-controls={`age-${k}`} onClick={() => toggle(k)}>
                            <span aria-hidden="true" class="caret">
                              {isOpen ? "▾" : "▸"}
                            </span>{" "}
                            {c.name}
                          </button>
                          <div class="cell-sub">
                            {c.invoices.length} {c.invoices.length === 1 ? "invoice" : "invoices"} · <a href={`/clients/${c.company_id}`}>client</a>
                          </div>
                        </th>
                        {AGE_BUCKETS.map((b) => (
                          <td key={b.key} class={`num nowrap ${c[b.key] ? `age-${b.key}` : "muted"}`}>
                            {c[b.key] ? money(c[b.key], c.currency) : "—"}
                          </td>
                        ))}
                        <td class="num nowrap">
                          <strong>{money(c.total, c.currency)}</strong>
                        </td>
                      </tr>,
                      isOpen && (
                        <tr key={k + "-inv"} id={`age-${k}`} class="ageing-invoices">
                          <td colSpan={AGE_BUCKETS.length + 2}>
                            <table class="table table-compact" aria-label={`Open invoices of ${c.name}`}>
                              <thead>
                                <tr>
                                  <th scope="col">Invoice</th>
                                  <th scope="col">Due</th>
                                  <th scope="col" class="num">
                                    Days past due
                                  </th>
                                  <th scope="col" class="num">
                                    Balance
                                  </th>
                                </tr>
                              </thead>
                              <tbody>
                                {c.invoices.map((i) => (
                                  <tr key={i.id}>
                                    <td>
                                      <a href={`/invoices/${i.id}`}>{i.number}</a>
                                    </td>
                                    <td class="nowrap">{date(i.due_on)}</td>
                                    <td class={`num ${i.days_past_due ? "text-danger" : "muted"}`}>{i.days_past_due || "—"}</td>
                                    <td class="num nowrap">{money(i.balance, c.currency)}</td>
                                  </tr>
                                ))}
                              </tbody>
                            </table>
                          </td>
                        </tr>
                      ),
                    ];
                  })}
                </tbody>
                <tfoot>
                  {r.totals.map((t) => (
                    <tr key={t.currency} class="ageing-foot">
                      <th scope="row">Total {r.totals.length > 1 ? t.currency : ""}</th>
                      {AGE_BUCKETS.map((b) => (
                        <td key={b.key} class="num nowrap">
                          {money(t[b.key], t.currency)}
                        </td>
                      ))}
                      <td class="num nowrap">
                        <strong>{money(t.total, t.currency)}</strong>
                      </td>
                    </tr>
                  ))}
                </tfoot>
              </table>
            </div>
          </Card>
        </>
      )}
    </div>
  );
}

/** The buckets of one currency as a stacked bar with a legend (numbers in the table too). */
function AgeBar({ amounts }: { amounts: AgeAmounts }) {
  const total = Math.max(1, amounts.total);
  return (
    <figure class="age-bar">
      <div class="age-track" aria-hidden="true">
        {AGE_BUCKETS.map((b) =>
          amounts[b.key] > 0 ? <span key={b.key} class={`age-seg age-${b.key}`} style={{ width: `${(amounts[b.key] / total) * 100}%` }} title={`${b.label}: ${money(amounts[b.key], amounts.currency)}`} /> : null,
        )}
      </div>
      <figcaption>
        <ul class="age-legend">
          {AGE_BUCKETS.map((b) => (
            <li key={b.key}>
              <span class={`age-dot age-${b.key}`} aria-hidden="true" />
              {b.label} <strong>{money(amounts[b.key], amounts.currency)}</strong>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
