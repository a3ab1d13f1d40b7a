/* names.tsx - a record's name for its id, fetched in batches (lib/lookup.ts). */
import { useRecord, userName, users } from "../lib/lookup";
import type { Asset, Company, Contact, Product, Site, Ticket } from "../lib/types";

export function CompanyName({ id, link }: { id: number | null; link?: boolean }) {
  const c = useRecord<Company>("companies", id);
  if (!id) return <span class="muted">—</span>;
  const name = c ? c.name : c === null ? `Company ${id}` : "…";
  return link ? <a href={`/clients/${id}`}>{name}</a> : <>{name}</>;
}

export function ContactName({ id }: { id: number | null }) {
  const c = useRecord<Contact>("contacts", id);
  if (!id) return <span class="muted">—</span>;
  return <>{c ? `${c.first_name} ${c.last_name}` : "…"}</>;
}

export function SiteName({ id }: { id: number | null }) {
  const s = useRecord<Site>("sites", id);
  if (!id) return <span class="muted">—</span>;
  return <>{s ? s.name : "…"}</>;
}

export function AssetName({ id }: { id: number | null }) {
  const a = useRecord<Asset>("assets", id);
  if (!id) return <span class="muted">—</span>;
  return <>{a ? a.name : "…"}</>;
}

export function ProductName({ id }: { id: number | null }) {
  const p = useRecord<Product>("products", id);
  if (!id) return <span class="muted">—</span>;
  return <>{p ? p.name : "…"}</>;
}

export function UserName({ id, empty = "Unassigned" }: { id: number | null; empty?: string }) {
  const list = users.use();
  if (!id) return <span class="muted">{empty}</span>;
  return <>{userName(list, id)}</>;
}

/** "T-000052 Scanner does not send…" as a link to the service order. */
export function TicketLink({ id, subject = true }: { id: number; subject?: boolean }) {
  const t = useRecord<Ticket>("tickets", id);
  return (
    <a href={`/tickets/${id}`}>
      {t ? (
        <>
          <span class="ticket-no">{t.number}</span>
          {subject && ` ${t.subject}`}
        </>
      ) : (
        `service order #${id}`
      )}
    </a>
  );
}
