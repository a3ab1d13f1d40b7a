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

/** A ticket's satisfaction survey (src/quality/surveys.c); unanswered, rating is null. */
export interface Survey {
  rating: number | null;
  comment: string | null;
  answered_at: string | null;
  first_answered_at?: string | null;
  /** Until when the answer may be changed; else 7 days from the first answer. */
  changeable_until?: string | null;
}

/** The client's view of a quote: the document's members, never our notes on the deal. */
export type PortalQuote = Pick<
  Quote,
  "id" | "number" | "revision" | "status" | "title" | "currency" | "valid_until" | "created_at" | "sent_at" | "lines" | "subtotal" | "tax_rate_bp" | "tax" | "total" | "notes" | "accepted_at" | "accepted_name" | "declined_at"
  | "response_time_minutes" | "response_text" | "coverage" | "coverage_text" | "warranty_days" | "qualifications" | "required_certifications"
> & { can_respond: boolean; pdf_url: string };
export type PortalInvoice = Invoice;
/** What is left of a block-hours contract's block. */
export interface BlockBalance {
  block_minutes: number;
  carried_minutes?: number | null;
  used_minutes: number;
  remaining_minutes: number;
  overage_minutes?: number;
  used_percent?: number;
  lapses_on?: string | null;
  rollover?: boolean;
}

export type PortalContract = Contract & { block?: BlockBalance };
export type PortalAsset = Asset;
export type PortalSite = Site;

/** What is owed in one currency (the issued invoices' balances). */
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
