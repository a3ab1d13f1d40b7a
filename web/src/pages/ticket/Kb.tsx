/*
 * Kb.tsx - the knowledge base on a service order: the articles linked as
 * having solved it (unlink), the articles most like it (GET
 * /tickets/:id/similar-articles) and a search of all articles, each of
 * which can be linked.
 */
import { useState } from "preact/hooks";
import { Badge, Button, Card, ErrorState, Loading, toast } from "../../components/ui";
import { api, errorMessage, listAll } from "../../lib/api";
import { useDebounced, useLoad } from "../../lib/hooks";
import type { SimilarArticle } from "../../lib/kb";
import { can } from "../../lib/session";
import type { KnowledgeBaseArticle, KnowledgeBaseLink, Ticket } from "../../lib/types";

interface Linked {
  link: KnowledgeBaseLink;
  article: KnowledgeBaseArticle | undefined;
}

export function KbCard({ ticket }: { ticket: Ticket }) {
  const base = `/tickets/${ticket.id}`;
  const linked = useLoad(async (): Promise<Linked[]> => {
    const links = await listAll<KnowledgeBaseLink>(`${base}/kb-links`, {}, 200);
    if (links.length === 0) return [];
    const arts = await listAll<KnowledgeBaseArticle>("/kb/articles", { id: links.map((l) => l.article_id).join(","), archived: "all" }, 200);
    return links.map((link) => ({ link, article: arts.find((a) => a.id === link.article_id) }));
  }, [ticket.id]);
  const similar = useLoad((signal) => api.get<{ data: SimilarArticle[] }>(`${base}/similar-articles`, undefined, signal), [ticket.id, ticket.subject, ticket.description]);
  const [busy, setBusy] = useState<number | null>(null);
  const [q, setQ] = useState("");
  const query = useDebounced(q.trim(), 300);
  const found = useLoad(
    (signal) => (query ? api.list<KnowledgeBaseArticle>("/kb/articles", { q: query, limit: 5 }, signal).then((p) => p.data) : Promise.resolve([])),
    [query],
  );
  const mayLink = can("kb.link");
  const linkedIds = new Set((linked.data ?? []).map((l) => l.link.article_id));

  async function link(articleId: number, title: string) {
    setBusy(articleId);
    try {
      await api.post(`${base}/kb-links`, { article_id: articleId });
      toast(`Linked "${title}"`);
      linked.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  }

  async function unlink(l: Linked) {
    setBusy(l.link.article_id);
    try {
      await api.del(`${base}/kb-links/${l.link.id}`, l.link.version);
      toast("Unlinked");
      linked.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  }

  function row(id: number, title: string, extra: preact.ComponentChildren, excerpt?: string) {
    return (
      <li key={id} class="kb-suggestion">
        <div class="kb-suggestion-head">
          <a href={`/kb/${id}`}>{title}</a>
          {extra}
          {mayLink && !linkedIds.has(id) && (
            <Button size="sm" variant="subtle" busy={busy === id} onClick={() => void link(id, title)} aria-label={`Link "${title}" as having solved this`}>
              Link
            </Button>
          )}
        </div>
        {excerpt && <p class="small muted kb-excerpt">{excerpt}</p>}
      </li>
    );
  }

  return (
    <Card title="Knowledge base" id="kb">
      <h3 class="kb-card-sub">Linked articles</h3>
      {linked.error ? (
        <ErrorState message={linked.error} onRetry={linked.reload} />
      ) : !linked.data ? (
        <Loading rows={1} />
      ) : linked.data.length === 0 ? (
        <p class="muted small">No article linked yet.</p>
      ) : (
        <ul class="kb-linked" aria-label="Linked articles">
          {linked.data.map((l) => (
            <li key={l.link.id} class="kb-suggestion-head">
              <a href={`/kb/${l.link.article_id}`}>{l.article ? l.article.title : `Article ${l.link.article_id}`}</a>
              {l.article?.archived_at && <Badge tone="gray">archived</Badge>}
              {mayLink && (
                <Button size="sm" variant="ghost" busy={busy === l.link.article_id} onClick={() => void unlink(l)} aria-label={`Unlink "${l.article?.title ?? l.link.article_id}"`}>
                  Unlink
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <h3 class="kb-card-sub">Similar articles</h3>
      {similar.error ? (
        <ErrorState message={similar.error} onRetry={similar.reload} />
      ) : !similar.data ? (
        <Loading rows={1} />
      ) : similar.data.data.length === 0 ? (
        <p class="muted small">No article is like this service order.</p>
      ) : (
        <ul class="kb-suggestions" aria-label="Similar articles">
          {similar.data.data.map((a) => row(a.id, a.title, a.visibility === "portal" ? <Badge tone="green">portal</Badge> : null, a.excerpt))}
        </ul>
      )}
      {mayLink && (
        <div class="kb-find">
          <label for="kb-find" class="sr-only">
            Find an article to link
          </label>
          <input id="kb-find" type="search" class="input" placeholder="Find another article…" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
          {query && found.data && (
            <ul class="kb-suggestions" aria-label="Articles found">
              {found.data.length === 0 ? <li class="muted small">Nothing found.</li> : found.data.map((a) => row(a.id, a.title, null))}
            </ul>
          )}
        </div>
      )}
    </Card>
  );
}
