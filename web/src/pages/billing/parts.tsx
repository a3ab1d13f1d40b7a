/*
 * parts.tsx - pieces the billing screens share: status badges, the block
 * balance as a bar (used and left, the 80 % and 100 % marks, what went
 * beyond), an invoice's lines with each line's rule, explanation and
 * sources (time entries resolved to the service orders they were worked
 * on), the totals, and the firm's billing settings.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { AssetName, TicketLink } from "../../components/names";
import { Badge } from "../../components/ui";
import { listAll } from "../../lib/api";
import { bp, money } from "../../lib/format";
import { useRecord } from "../../lib/lookup";
import type { Contract, InvoiceLine, InvoiceLineRule, TimeEntry } from "../../lib/types";
import { useSettings } from "../sales/parts";
import { hm, INVOICE_STATUS_LABELS, INVOICE_STATUS_TONE, RULE_LABELS, RULE_TONE, type BillingSettings, type PlannedInvoice } from "./model";

export function useBillingSettings(): BillingSettings | null {
  return useSettings() as BillingSettings | null;
}

export function InvoiceStatusBadge({ invoice }: { invoice: Pick<PlannedInvoice, "status" | "overdue"> }) {
  const s = invoice.status ?? "draft";
  return (
    <span class="row inv-badges">
      <Badge tone={INVOICE_STATUS_TONE[s]} dot>
        {INVOICE_STATUS_LABELS[s]}
      </Badge>
      {invoice.overdue && <Badge tone="red">Overdue</Badge>}
    </span>
  );
}

export function RuleBadge({ rule }: { rule: InvoiceLineRule | undefined }) {
  if (!rule) return null;
  return <Badge tone={RULE_TONE[rule]}>{RULE_LABELS[rule]}</Badge>;
}

export function ContractLink({ id }: { id: number | null | undefined }) {
  const c = useRecord<Contract>("contracts", id);
  if (!id) return <span class="muted">—</span>;
  return <a href={`/contracts/${id}`}>{c ? c.name : c === null ? `Contract ${id}` : "…"}</a>;
}

/* The block as a bar ------------------------------------------------------------------- */

/**
 * The block's minutes as a bar: drawn (green, amber from 80 %, red when
 * used up), what went beyond the block (striped red, past the 100 % mark),
 * marks at 80 % and 100 %. The numbers are written beside it, so the bar
 * itself is decoration for screen readers.
 */
export function BlockBar({ block, used, compact }: { block: number; used: number; compact?: boolean }) {
  const scale = Math.max(block, used, 1);
  const drawn = Math.min(used, block);
  const over = Math.max(0, used - block);
  const pct = block ? (used * 100) / block : 0;
  const tone = pct >= 100 ? "is-out" : pct >= 80 ? "is-low" : "is-ok";
  const left = Math.max(0, block - used);
  return (
    <div class={`block-bar ${tone} ${compact ? "is-compact" : ""}`}>
      <div class="block-track" aria-hidden="true">
        <span class="block-drawn" style={{ width: `${(drawn / scale) * 100}%` }} />
        {over > 0 && <span class="block-over" style={{ left: `${(block / scale) * 100}%`, width: `${(over / scale) * 100}%` }} />}
        {block > 0 && <span class="block-mark block-mark-80" style={{ left: `${((block * 0.8) / scale) * 100}%` }} title="80 %" />}
        {block > 0 && <span class="block-mark block-mark-100" style={{ left: `${(block / scale) * 100}%` }} title="100 %" />}
      </div>
      {!compact && (
        <div class="block-scale small muted" aria-hidden="true">
          <span>0:00</span>
          <span class="block-scale-80" style={{ left: `${((block * 0.8) / scale) * 100}%` }}>
            80 %
          </span>
          <span class="block-scale-100" style={{ left: `${(block / scale) * 100}%` }}>
            {hm(block)}
          </span>
        </div>
      )}
      <p class="block-text small">
        <strong>{hm(used)}</strong> of {hm(block)} h used ({Math.floor(pct)} %) · <strong>{hm(left)}</strong> h left
        {over > 0 && (
          <>
            {" "}
            · <strong class="text-danger">{hm(over)}</strong> h beyond the block
          </>
        )}
      </p>
    </div>
  );
}

/* Lines ------------------------------------------------------------------------------------ */

/** Time entries by id, fetched in batches of 50 (ids named by invoice lines and block balances). */
export function useTimeEntries(ids: number[]): Map<number, TimeEntry> {
  const uniq = [...new Set(ids)].sort((a, b) => a - b);
  const key = uniq.join(",");
  const [map, setMap] = useState<Map<number, TimeEntry>>(new Map());
  useEffect(() => {
    if (!uniq.length) return;
    let live = true;
    (async () => {
      const m = new Map<number, TimeEntry>();
      for (let i = 0; i < uniq.length; i += 50) {
        const chunk = uniq.slice(i, i + 50);
        const rows = await listAll<TimeEntry>("/time-entries", { id: chunk.join(","), archived: "all" }, 50);
        for (const e of rows) m.set(e.id, e);
      }
      if (live) setMap(m);
    })().catch(() => undefined);
    return () => {
      live = false;
    };
  }, [key]);
  return map;
}

/**
 * Which service order each time entry was worked on: the invoice's sources
 * name time entries, people think in service orders.
 */
export function useEntryTickets(lines: InvoiceLine[] | undefined): Map<number, number> {
  const entries = useTimeEntries((lines ?? []).flatMap((l) => (l.sources ?? []).filter((s) => s.type === "time_entry").map((s) => s.id)));
  const m = new Map<number, number>();
  for (const [id, e] of entries) if (e.ticket_id) m.set(id, e.ticket_id);
  return m;
}

function Sources({ line, tickets }: { line: InvoiceLine; tickets: Map<number, number> }) {
  const src = line.sources ?? [];
  if (!src.length) return null;
  const entries = src.filter((s) => s.type === "time_entry");
  const ticketIds = [...new Set(entries.map((s) => tickets.get(s.id)).filter((x): x is number => !!x))];
  const items: ComponentChildren[] = [];
  for (const t of ticketIds) items.push(<TicketLink id={t} subject={false} />);
  if (entries.length && !ticketIds.length) items.push(<span>{entries.length === 1 ? "1 time entry" : `${entries.length} time entries`}</span>);
  for (const s of src) {
    if (s.type === "contract" && s.id !== line.contract_id) items.push(<ContractLink id={s.id} />);
    else if (s.type === "asset") items.push(<AssetName id={s.id} />);
    else if (s.type === "part") items.push(<span>part #{s.id}</span>);
  }
  if (line.contract_id) items.unshift(<ContractLink id={line.contract_id} />);
  return (
    <div class="line-sources small">
      <span class="muted">From </span>
      {items.map((it, i) => (
        <span key={i}>
          {i > 0 && <span class="muted">, </span>}
          {it}
        </span>
      ))}
      {entries.length > 1 && ticketIds.length > 0 && <span class="muted"> ({entries.length} time entries)</span>}
    </div>
  );
}

function quantity(l: InvoiceLine): string {
  if (l.billed_minutes && (l.rule === "time" || l.rule === "block_draw" || l.rule === "block_overage")) return `${hm(l.billed_minutes)} h`;
  const q = l.quantity ?? 1;
  return String(Math.round(q * 1000) / 1000);
}

/**
 * An invoice's lines. actions(line, index) renders under a line's
 * description (a draft's Edit and Remove), where a narrow column has room.
 */
export function LinesTable({ invoice, label, actions }: { invoice: PlannedInvoice; label: string; actions?: (l: InvoiceLine, i: number) => ComponentChildren }) {
  const tickets = useEntryTickets(invoice.lines);
  const cur = invoice.currency;
  return (
    <div class="table-wrap">
      <table class="table inv-lines" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Description</th>
            <th scope="col" class="hide-sm">
              Rule
            </th>
            <th scope="col" class="num">
              Qty
            </th>
            <th scope="col" class="num hide-sm">
              Unit price
            </th>
            <th scope="col" class="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {invoice.lines.length === 0 && (
            <tr>
              <td colSpan={5} class="muted small">
                No lines.
              </td>
            </tr>
          )}
          {invoice.lines.map((l, i) => (
            <tr key={l.id ?? i} class={`inv-line rule-${l.rule} ${actions ? "has-actions" : ""}`}>
              <td class="inv-line-main">
                <div class="inv-line-desc">
                  <span class="show-sm-only">
                    <RuleBadge rule={l.rule} />{" "}
                  </span>
                  {l.description}
                  {l.taxable && (invoice.tax_rate_bp ?? 0) > 0 && (
                    <span class="inv-taxed small" title={`Taxed at ${bp(invoice.tax_rate_bp)}`}>
                      {" "}
                      · taxed
                    </span>
                  )}
                </div>
                {l.explanation && <div class="inv-line-why">{l.explanation}</div>}
                <Sources line={l} tickets={tickets} />
                {actions && <div class="inv-line-act">{actions(l, i)}</div>}
              </td>
              <td class="hide-sm">
                <RuleBadge rule={l.rule} />
              </td>
              <td class="num nowrap inv-line-qty">{quantity(l)}</td>
              <td class="num nowrap hide-sm">{money(l.unit_price ?? 0, cur)}</td>
              <td class="num nowrap inv-line-amount">{money(l.amount ?? 0, cur)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Totals({ invoice, full }: { invoice: PlannedInvoice; full?: boolean }) {
  const cur = invoice.currency;
  return (
    <dl class="qtotals inv-totals">
      <div>
        <dt>Subtotal</dt>
        <dd class="num">{money(invoice.subtotal, cur)}</dd>
      </div>
      <div>
        <dt>Tax ({bp(invoice.tax_rate_bp)})</dt>
        <dd class="num">{money(invoice.tax, cur)}</dd>
      </div>
      <div class="qtotals-total">
        <dt>Total</dt>
        <dd class="num" data-total>
          {money(invoice.total, cur)}
        </dd>
      </div>
      {full && (invoice.status === "issued" || invoice.status === "paid") && (
        <>
          <div>
            <dt>Paid</dt>
            <dd class="num">−{money(invoice.paid ?? 0, cur)}</dd>
          </div>
          {(invoice.credited ?? 0) > 0 && (
            <div>
              <dt>Credited</dt>
              <dd class="num">−{money(invoice.credited ?? 0, cur)}</dd>
            </div>
          )}
          <div class="qtotals-total inv-balance">
            <dt>Balance due</dt>
            <dd class="num" data-balance>
              {money(invoice.balance ?? 0, cur)}
            </dd>
          </div>
        </>
      )}
    </dl>
  );
}
