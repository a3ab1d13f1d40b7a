/*
 * Tickets.tsx - "My tickets": the company's service requests, newest
 * first, filtered by status (open by default) and by words, as cards that
 * read on a phone. The filter lives in the address (?status=…&q=…), so
 * back and reload keep it.
 */
import { useState } from "preact/hooks";
import { Empty, ErrorState, ListFoot, LinkButton, Loading } from "../../components/ui";
import { relative } from "../../lib/format";
import { useDebounced, usePaged } from "../../lib/hooks";
import { navigate, useLocation } from "../../lib/router";
import type { PortalTicket } from "../types";
import { PageHead, TicketStatus, usePortalTitle } from "../ui";

const OPEN = "new,assigned,in_progress,waiting_customer,waiting_parts,escalated";

const FILTERS: { value: string; label: string; query: string }[] = [
  { value: "open", label: "Open", query: OPEN },
  { value: "resolved", label: "Resolved", query: "resolved" },
  { value: "closed", label: "Closed", query: "closed,cancelled" },
  { value: "all", label: "All", query: "" },
];

export function TicketsPage() {
  usePortalTitle("My tickets");
  const loc = useLocation();
  const params = new URLSearchParams(loc.search);
  const filter = FILTERS.find((f) => f.value === params.get("status")) ?? FILTERS[0];
  const [q, setQ] = useState(params.get("q") ?? "");
  const words = useDebounced(q.trim(), 300);
  const list = usePaged<PortalTicket>("/portal/tickets", { status: filter.query, q: words }, [filter.value, words]);

  function setFilter(value: string) {
    const p = new URLSearchParams(loc.search);
    if (value === "open") p.delete("status");
    else p.set("status", value);
    const s = p.toString();
    navigate("/portal/tickets" + (s ? "?" + s : ""), { replace: true });
  }

  return (
    <>
      <PageHead title="My tickets">
        <LinkButton href="/portal/tickets/new" variant="primary">
          Open a ticket
        </LinkButton>
      </PageHead>
      <div class="portal-filters">
        <div class="portal-segs" role="group" aria-label="Which tickets">
          {FILTERS.map((f) => (
            <button type="button" key={f.value} class="portal-seg" aria-pressed={f.value === filter.value ? "true" : "false"} onClick={() => setFilter(f.value)}>
              {f.label}
            </button>
          ))}
        </div>
        <label class="sr-only" for="ticket-search">
          Search tickets
        </label>
        <input id="ticket-search" class="input" type="search" placeholder="Search tickets" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
      </div>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.rows ? (
        <Loading rows={4} label="Loading your tickets…" />
      ) : list.rows.length === 0 ? (
        <Empty title={words ? "No ticket matches" : filter.value === "open" ? "No open tickets" : "No tickets here"} icon="✓" action={<LinkButton href="/portal/tickets/new">Open a ticket</LinkButton>}>
          {filter.value === "open" && !words ? "Everything we know of is done. Something wrong? Open a ticket." : null}
        </Empty>
      ) : (
        <>
          <ul class="portal-cards" aria-label="Tickets">
            {list.rows.map((t) => (
              <li key={t.id}>
                <a class="portal-card" href={`/portal/tickets/${t.id}`}>
                  <span class="portal-card-top">
                    <span class="portal-card-num">{t.number}</span>
                    <TicketStatus status={t.status} />
                  </span>
                  <span class="portal-card-title">{t.subject}</span>
                  <span class="portal-card-meta">Updated {relative(t.updated_at)}</span>
                </a>
              </li>
            ))}
          </ul>
          <ListFoot count={list.rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
        </>
      )}
    </>
  );
}
