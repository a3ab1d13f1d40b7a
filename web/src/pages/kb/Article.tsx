/*
 * Article.tsx - one knowledge-base article (/kb/:id): its text as the
 * server rendered and sanitised it, its tags, who wrote it, the service
 * orders it solved, and its earlier versions; edit, archive and restore
 * for those who may.
 */
import { useState } from "preact/hooks";
import { StatusBadge } from "../../components/badges";
import { UserName } from "../../components/names";
import { Alert, Badge, Button, Card, Confirm, DefList, Empty, ErrorState, LinkButton, Loading, PageHeader, TabPanel, Tabs, toast } from "../../components/ui";
import { api, errorMessage, listAll } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useLoad, useTitle } from "../../lib/hooks";
import { VISIBILITY_LABELS, type SolvedTicket } from "../../lib/kb";
import { navigate } from "../../lib/router";
import { can } from "../../lib/session";
import type { ArticleRevision, KnowledgeBaseArticle } from "../../lib/types";

/** HTML the server made from Markdown with its own allow-list writer (src/kb/markdown.c): nothing else is put in a page this way. */
export function ArticleHtml({ html }: { html: string | null }) {
  return <div class="kb-html" dangerouslySetInnerHTML={{ __html: html ?? "" }} />;
}

export function ArticlePage({ id }: { id: number }) {
  const a = useLoad((signal) => api.get<KnowledgeBaseArticle>(`/kb/articles/${id}`, undefined, signal), [id]);
  const [tab, setTab] = useState("article");
  const [archiving, setArchiving] = useState(false);
  useTitle(a.data ? a.data.title : "Article");

  if (a.error) return <ErrorState message={a.error} onRetry={a.reload} />;
  if (!a.data) return <Loading />;
  const art = a.data;

  async function restore() {
    try {
      a.set(await api.post<KnowledgeBaseArticle>(`/kb/articles/${id}/restore`));
      toast("Article restored");
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  }

  return (
    <div>
      <PageHeader
        crumbs={<a href="/kb">Knowledge base</a>}
        title={art.title}
        subtitle={
          <span class="row">
            <Badge tone={art.visibility === "portal" ? "green" : "gray"}>{VISIBILITY_LABELS[art.visibility]}</Badge>
            {art.tags.map((t) => (
              <a key={t} href={`/kb?tag=${encodeURIComponent(t)}`} class="chip kb-tag">
                {t}
              </a>
            ))}
          </span>
        }
        actions={
          <>
            {can("kb.edit") && !art.archived_at && <LinkButton href={`/kb/${id}/edit`} variant="primary">Edit</LinkButton>}
            {can("kb.archive") && !art.archived_at && (
              <Button variant="ghost" onClick={() => setArchiving(true)}>
                Archive
              </Button>
            )}
            {can("kb.archive") && art.archived_at && <Button onClick={() => void restore()}>Restore</Button>}
          </>
        }
      />
      {art.archived_at && <Alert tone="info">This article is archived ({dateTime(art.archived_at)}): it is not listed nor suggested for service orders.</Alert>}
      <div class="detail-grid">
        <div class="detail-main">
          <section class="card">
            <Tabs
              label="The article"
              active={tab}
              onChange={setTab}
              tabs={[
                { id: "article", label: "Article" },
                { id: "revisions", label: `Earlier versions${art.revision && art.revision > 1 ? ` (${art.revision - 1})` : ""}` },
              ]}
            />
            <TabPanel id={tab}>
              {tab === "article" && <ArticleHtml html={art.html} />}
              {tab === "revisions" && <Revisions article={art} />}
            </TabPanel>
          </section>
        </div>
        <aside class="detail-side" aria-label="About this article">
          <Card title="About">
            <DefList
              items={[
                ["Written by", <UserName id={art.author_id ?? null} empty="—" />],
                ["Revision", art.revision ? String(art.revision) : null],
                ["Last edit", art.edited_at ? <><UserName id={art.edited_by_id ?? null} empty="—" /> · <span title={dateTime(art.edited_at)}>{relative(art.edited_at)}</span></> : null],
                ["Solved", `${art.ticket_count ?? 0} service order${art.ticket_count === 1 ? "" : "s"}`],
              ]}
            />
          </Card>
          <Card title="Service orders it solved">
            <Solved id={id} />
          </Card>
        </aside>
      </div>
      {archiving && (
        <Confirm
          title="Archive this article?"
          description="It leaves the list and is no longer suggested for service orders. A manager can restore it."
          confirmLabel="Archive"
          onClose={() => setArchiving(false)}
          onConfirm={async () => {
            try {
              await api.del(`/kb/articles/${id}`, art.version);
              toast("Article archived");
              navigate("/kb");
            } catch (e) {
              toast(errorMessage(e), "error");
            }
          }}
        />
      )}
    </div>
  );
}

function Solved({ id }: { id: number }) {
  const list = useLoad((signal) => api.get<{ data: SolvedTicket[] }>(`/kb/articles/${id}/tickets`, undefined, signal), [id]);
  if (list.error) return <ErrorState message={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading rows={1} />;
  if (list.data.data.length === 0) return <p class="muted small">Not linked to a service order yet. Link it from the service order it solved.</p>;
  return (
    <ul class="kb-solved">
      {list.data.data.map((t) => (
        <li key={t.link_id}>
          <a href={`/tickets/${t.ticket_id}`}>
            <span class="ticket-no">{t.number}</span> {t.subject}
          </a>{" "}
          <StatusBadge status={t.status} />
        </li>
      ))}
    </ul>
  );
}

function Revisions({ article }: { article: KnowledgeBaseArticle }) {
  const list = useLoad(() => listAll<ArticleRevision>(`/kb/articles/${article.id}/revisions`, {}, 200), [article.id, article.revision]);
  const [open, setOpen] = useState<number | null>(null);
  if (list.error) return <ErrorState message={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading rows={2} />;
  if (list.data.length === 0) return <Empty title="No earlier versions">This is the article as it was first written.</Empty>;
  return (
    <ol class="kb-revisions" aria-label="Earlier versions, newest first">
      {list.data.map((r) => (
        <li key={r.id} class="kb-revision">
          <div class="kb-revision-head">
            <strong>Revision {r.revision}</strong>
            <span class="small muted">
              written by <UserName id={r.edited_by_id ?? null} empty="—" /> {r.edited_at ? relative(r.edited_at) : ""}; replaced by <UserName id={r.replaced_by_id ?? null} empty="—" />{" "}
              <span title={dateTime(r.replaced_at)}>{relative(r.replaced_at)}</span>
            </span>
            <button type="button" class="link-btn" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
              {open === r.id ? "Hide" : "Show"}
            </button>
          </div>
          {open === r.id && (
            <div class="kb-revision-body">
              <h3>{r.title}</h3>
              <p class="small muted">
                {r.visibility && VISIBILITY_LABELS[r.visibility]}
                {r.tags && r.tags.length > 0 && ` · ${r.tags.join(", ")}`}
              </p>
              <ArticleHtml html={r.html} />
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}
