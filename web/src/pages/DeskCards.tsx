/*
 * DeskCards.tsx - what the dashboard shows sales and billing of their own
 * work, beside the service desk's figures: quotes waiting for the client
 * and drafts to send; invoices past due and drafts to issue. Each is a
 * short list linking to the record, with the list page a click away.
 */
import { CompanyName } from "../components/names";
import { Card, Empty, ErrorState, Loading } from "../components/ui";
import { api } from "../lib/api";
import { date, money, relative } from "../lib/format";
import { useLoad } from "../lib/hooks";
import type { Invoice, Quote } from "../lib/types";

interface Row {
  id: number;
  href: string;
  number: string;
  title: string;
  company_id: number | null;
  amount: string;
  when: string;
}

/** A card of up to ten records from one list query; what each row says comes from row(). */
function ListCard<T>({ title, path, query, row, all, empty }: { title: string; path: string; query: Record<string, string | number>; row: (x: T) => Row; all: string; empty: string }) {
  const list = useLoad((signal) => api.list<T>(path, { ...query, limit: 10 }, signal), [path, JSON.stringify(query)]);
  return (
    <Card title={title} actions={<a href={all} class="small">View all</a>} pad={false}>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={3} />
      ) : list.data.data.length === 0 ? (
        <Empty title={empty} icon="✓" />
      ) : (
        <ul class="ticket-rows" aria-label={title}>
          {list.data.data.map(row).map((r) => (
            <li key={r.id}>
              <a href={r.href} class="ticket-row">
                <span class="ticket-row-main">
                  <span class="ticket-row-title">
                    <span class="ticket-no">{r.number}</span> {r.title}
                  </span>
                  <span class="ticket-row-sub">
                    <CompanyName id={r.company_id} /> · {r.when}
                  </span>
                </span>
                <span class="ticket-row-badges small">{r.amount}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Sales: sent quotes by how soon they expire, and drafts not sent yet. */
export function SalesDesk() {
  return (
    <>
      <ListCard<Quote>
        title="Quotes waiting for the client"
        path="/quotes"
        query={{ status: "sent", sort: "valid_until" }}
        all="/quotes?status=sent"
        empty="No quote is waiting for an answer"
        row={(q) => ({ id: q.id, href: `/quotes/${q.id}`, number: q.number ?? "Draft", title: q.title, company_id: q.company_id, amount: money(q.total, q.currency), when: `valid until ${date(q.valid_until)}` })}
      />
      <ListCard<Quote>
        title="Draft quotes to send"
        path="/quotes"
        query={{ status: "draft", sort: "-updated_at" }}
        all="/quotes?status=draft"
        empty="No draft waiting"
        row={(q) => ({ id: q.id, href: `/quotes/${q.id}`, number: q.number ?? "Draft", title: q.title, company_id: q.company_id, amount: money(q.total, q.currency), when: `edited ${relative(q.updated_at)}` })}
      />
    </>
  );
}

/** Billing: issued invoices past their due date, oldest first, and drafts to issue. */
export function BillingDesk() {
  return (
    <>
      <ListCard<Invoice>
        title="Invoices past due"
        path="/invoices"
        query={{ status: "issued", due_on_before: today(), sort: "due_on" }}
        all="/billing/ageing"
        empty="Nothing is past due"
        row={(i) => ({ id: i.id, href: `/invoices/${i.id}`, number: i.number ?? "Draft", title: `${money(i.balance, i.currency)} owed`, company_id: i.company_id, amount: `of ${money(i.total, i.currency)}`, when: `due ${date(i.due_on)}` })}
      />
      <ListCard<Invoice>
        title="Draft invoices to issue"
        path="/invoices"
        query={{ status: "draft", sort: "-created_at" }}
        all="/invoices?status=draft"
        empty="No draft invoice"
        row={(i) => ({ id: i.id, href: `/invoices/${i.id}`, number: "Draft", title: `${money(i.total, i.currency)}`, company_id: i.company_id, amount: `${i.lines.length} lines`, when: `made ${relative(i.created_at)}` })}
      />
    </>
  );
}
