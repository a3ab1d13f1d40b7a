/*
 * kb.ts - the knowledge base's replies that are no resource records (the
 * articles, revisions and links are: records.gen.ts), and its calls.
 */
import { api } from "./api";

/** GET /tickets/:id/similar-articles: one suggestion. */
export interface SimilarArticle {
  id: number;
  title: string;
  visibility: "internal" | "portal";
  tags: string[];
  excerpt: string;
}

/** GET /kb/articles/:id/tickets: one ticket the article solved. */
export interface SolvedTicket {
  link_id: number;
  ticket_id: number;
  number: string;
  subject: string;
  status: string;
  linked_at: string;
}

export const VISIBILITY_LABELS: Record<string, string> = {
  internal: "Internal",
  portal: "Client portal",
};

/** The server's rendering of Markdown: the same sanitised HTML an article shows. */
export async function preview(body: string, signal?: AbortSignal): Promise<string> {
  return (await api.post<{ html: string }>("/kb/preview", { body }, { signal })).html;
}

/** "vpn, Remote Work" -> ["vpn", "remote work"]: as the server keeps tags. */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  for (const t of text.split(",")) {
    const tag = t.trim().toLowerCase();
    if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}
