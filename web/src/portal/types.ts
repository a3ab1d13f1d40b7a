/*
 * types.ts - what the portal routes return (docs/openapi.yaml, the
 * /api/v1/portal paths). Tickets, quotes, invoices, contracts, assets and
 * sites are the staff records (lib/records.gen.ts) without the members a
 * client does not see; the shapes here are the portal's own.
 */
import type { Asset, Contract, Invoice, Quote, Site, Ticket } from "../lib/types";

export type PortalTicket = Pick<
  Ticket,
  "id" | "number" | "subject" | "description" | "priority" | "status" | "site_id" | "asset_id" | "created_at" | "updated_at" | "resolved_at" | "closed_at" | "resolution"
>;

export interface PortalNote {
  id: number;
  body: string;
  created_at: string;
  author_name: string | null;
  from_client: boolean;
}

export interface PortalAttachment {
  id: number;
  filename: string;
  content_type: string;
  size: number;
  created_at: string;
  note_id?: number | null;
}

export interface Survey {
  rating: number;
  comment: string | null;
  answered_at: string;
  changeable_until: string | null;
}

export type PortalQuote = Quote;
export type PortalInvoice = Invoice;
export type PortalContract = Contract & { block_minutes_remaining?: number | null };
export type PortalAsset = Asset;
export type PortalSite = Site;

export interface Balance {
  currency: string;
  balance: number;
  overdue: number;
  invoices_open: number;
}

export interface Article {
  id: number;
  title: string;
  html: string;
  tags: string[];
  updated_at: string;
}
