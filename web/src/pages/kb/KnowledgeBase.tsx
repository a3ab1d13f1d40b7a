/*
 * KnowledgeBase.tsx - the knowledge base (/kb): the articles with full-text
 * search, a tag filter and a visibility filter, kept in the address so a
 * search can be shared; a tag on a row filters by it.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { Badge, Empty, ErrorState, LinkButton, ListFoot, Loading, PageHeader } from "../../components/ui";
import { relative } from "../../lib/format";
import { useDebounced, usePaged, useTitle } from "../../lib/hooks";
import { VISIBILITY_LABELS } from "../../lib/kb";
import { navigate, searchParams, useLocation } from "../../lib/router";
import { can } from "../../lib/session";
import type { KnowledgeBaseArticle } from "../../lib/types";

interface Filters {
  q: string;
  tag: string;
  visibility: string;
}

function readFilters(search: string): Filters {
  const p = searchParams(search);
  return { q: p.get("q") ?? "", tag: p.get("tag") ?? "", visibility: p.get("visibility") ?? "" };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  if (f.q) p.set("q", f.q);
  if (f.tag) p.set("tag", f.tag);
  if (f.visibility) p.set("visibility", f.visibility);
  const s = p.toString();
  return s ? "?" + s : "";
}

export function KnowledgeBasePage() {
  useTitle("Knowledge base");
  const loc = useLocation();
  const filters = useMemo(() => readFilters(loc.search), [loc.search]);
  const [qText, setQText] = useState(filters.q);
  const q = useDebounced(qText.trim(), 300);
  useEffect(() => setQText(filters.q), [filters.q]);
  useEffect(() => {
    if (q !== filters.q) update({ q });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  function update(part: Partial<Filters>) {
    navigate("/kb" + writeFilters({ ...filters, ...part }), { replace: true });
  }

  const list = usePaged<KnowledgeBaseArticle>(
    "/kb/articles",
    { q: filters.q || undefined, tags: filters.tag || undefined, visibility: filters.visibility || undefined, sort: "title" },
    [filters.q, filters.tag, filters.visibility],
  );

  return (
    <div>
      <PageHeader
        title="Knowledge base"
        subtitle="How-tos and fixes the team wrote down once. Articles marked for the client portal are what clients will see there."
        actions={
          can("kb.edit") && (
            <LinkButton href="/kb/new" variant="primary">
              New article
            </LinkButton>
          )
        }
      />
      <section class="card list-card">
        <div class="filters kb-filters" role="group" aria-label="Filters">
          <div class="filter-search">
            <label for="kb-q" class="sr-only">
              Search titles, text and tags
            </label>
            <input id="kb-q" type="search" class="input" placeholder="Search titles, text and tags…" value={qText} onInput={(e) => setQText((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <div class="filter-select">
            <label for="kb-tag" class="sr-only">
              Tag
            </label>
            <input
              id="kb-tag"
              class={`input filter-input ${filters.tag ? "is-set" : ""}`}
              placeholder="Tag"
              value={filters.tag}
              onChange={(e) => update({ tag: (e.currentTarget as HTMLInputElement).value.trim().toLowerCase() })}
            />
          </div>
          <div class="filter-select">
            <label for="kb-visibility" class="sr-only">
              Visibility
            </label>
            <select id="kb-visibility" class={`input select filter-input ${filters.visibility ? "is-set" : ""}`} value={filters.visibility} onChange={(e) => update({ visibility: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">Internal and portal</option>
              <option value="internal">Internal only</option>
              <option value="portal">Client portal</option>
            </select>
          </div>
          {filters.tag && (
            <span class="chip is-active">
              <span>tag: {filters.tag}</span>
              <button type="button" class="chip-x" aria-label={`Remove the tag filter ${filters.tag}`} onClick={() => update({ tag: "" })}>
                ✕
              </button>
            </span>
          )}
        </div>
        {list.error && <ErrorState message={list.error} onRetry={list.reload} />}
        {!list.error && list.rows === null && <Loading />}
        {list.rows?.length === 0 && (
          <Empty title={filters.q || filters.tag || filters.visibility ? "No article matches" : "No articles yet"} icon="?">
            {filters.q || filters.tag || filters.visibility ? "Try other words or remove a filter." : "Write down the next fix you find, so nobody has to find it again."}
          </Empty>
        )}
        {list.rows && list.rows.length > 0 && (
          <ul class="kb-list" aria-label="Articles">
            {list.rows.map((a) => (
              <li key={a.id} class="kb-row">
                <div class="kb-row-main">
                  <a href={`/kb/${a.id}`} class="kb-row-title">
                    {a.title}
                  </a>
                  <div class="kb-row-meta small muted">
                    {a.visibility === "portal" && <Badge tone="green">{VISIBILITY_LABELS.portal}</Badge>}
                    <span>updated {relative(a.edited_at ?? a.updated_at)}</span>
                    {(a.ticket_count ?? 0) > 0 && <span>solved {a.ticket_count === 1 ? "1 service order" : `${a.ticket_count} service orders`}</span>}
                  </div>
                </div>
                <div class="kb-tags">
                  {a.tags.map((t) => (
                    <button type="button" key={t} class={`chip kb-tag ${filters.tag === t ? "is-active" : ""}`} onClick={() => update({ tag: t })} aria-label={`Only articles tagged ${t}`}>
                      {t}
                    </button>
                  ))}
                </div>
              </li>
            ))}
          </ul>
        )}
        {list.rows && <ListFoot count={list.rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />}
      </section>
    </div>
  );
}
