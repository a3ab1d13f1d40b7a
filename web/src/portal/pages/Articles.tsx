/*
 * Articles.tsx - the firm's help articles meant for clients: a search (the
 * server's full-text search) and one article to read. The article's html is
 * rendered and sanitised by the server (cmark, DESIGN.md "The knowledge
 * base").
 */
import { useState } from "preact/hooks";
import { Empty, ErrorState, Loading } from "../../components/ui";
import { date } from "../../lib/format";
import { useDebounced, useLoad } from "../../lib/hooks";
import { navigate, useLocation } from "../../lib/router";
import { papi } from "../api";
import type { Article } from "../types";
import { PageHead, usePortalTitle } from "../ui";

/** The first words of an article's text, for the list. */
function excerpt(html: string): string {
  const text = new DOMParser().parseFromString(html, "text/html").body.textContent ?? "";
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > 160 ? t.slice(0, 157).replace(/\s+\S*$/, "") + "…" : t;
}

export function ArticlesPage() {
  usePortalTitle("Help articles");
  const loc = useLocation();
  const [q, setQ] = useState(new URLSearchParams(loc.search).get("q") ?? "");
  const words = useDebounced(q.trim(), 300);
  const found = useLoad((signal) => papi.get<{ data: Article[] }>("/kb/articles", { q: words }, signal).then((r) => r.data), [words]);

  function onInput(v: string) {
    setQ(v);
    navigate("/portal/articles" + (v.trim() ? "?q=" + encodeURIComponent(v.trim()) : ""), { replace: true });
  }

  return (
    <>
      <PageHead title="Help articles" />
      <form class="portal-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="sr-only" for="article-search">
          Search the help articles
        </label>
        <input id="article-search" class="input" type="search" placeholder="Search the help articles" value={q} onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} />
      </form>
      {found.error ? (
        <ErrorState message={found.error} onRetry={found.reload} />
      ) : !found.data ? (
        <Loading rows={4} label="Searching…" />
      ) : found.data.length === 0 ? (
        <Empty title={words ? "No article matches" : "No articles yet"} icon="?">
          {words ? "Try other words, or open a ticket and we will help." : null}
        </Empty>
      ) : (
        <ul class="portal-cards" aria-label="Articles">
          {found.data.map((a) => (
            <li key={a.id}>
              <a class="portal-card" href={`/portal/articles/${a.id}`}>
                <span class="portal-card-title">{a.title}</span>
                <span class="portal-card-meta">{excerpt(a.html)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function ArticlePage({ id }: { id: number }) {
  const a = useLoad((signal) => papi.get<Article>(`/kb/articles/${id}`, undefined, signal), [id]);
  usePortalTitle(a.data?.title ?? "Help article");
  if (a.error) return <ErrorState message={a.error} onRetry={a.reload} />;
  if (!a.data) return <Loading rows={6} label="Loading the article…" />;
  const d = a.data;
  return (
    <article>
      <PageHead title={d.title} back={{ href: "/portal/articles", label: "Help articles" }}>
        <p class="small muted">
          Updated {date(d.updated_at)}
          {d.tags.length ? ` · ${d.tags.join(", ")}` : ""}
        </p>
      </PageHead>
      <div class="portal-article-body" dangerouslySetInnerHTML={{ __html: d.html }} />
      <p class="portal-closed-note small muted">
        Did not solve it? <a href="/portal/tickets/new">Open a ticket</a>.
      </p>
    </article>
  );
}
