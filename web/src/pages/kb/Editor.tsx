/*
 * Editor.tsx - write or edit a knowledge-base article (/kb/new,
 * /kb/:id/edit): title, Markdown body with a live preview, visibility and
 * tags. The preview is the server's rendering (POST /kb/preview), so it is
 * exactly the sanitised HTML the article will show.
 */
import { useEffect, useState } from "preact/hooks";
import { Alert, Button, Card, ErrorState, Loading, PageHeader, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, errorMessage } from "../../lib/api";
import { useDebounced, useForm, useLoad, useTitle } from "../../lib/hooks";
import { parseTags, preview } from "../../lib/kb";
import { navigate } from "../../lib/router";
import type { KnowledgeBaseArticle } from "../../lib/types";
import { ArticleHtml } from "./Article";

export function ArticleEditorPage({ id }: { id: number | null }) {
  const stored = useLoad((signal) => (id ? api.get<KnowledgeBaseArticle>(`/kb/articles/${id}`, undefined, signal) : Promise.resolve(null)), [id]);
  useTitle(id ? "Edit article" : "New article");
  if (stored.error) return <ErrorState message={stored.error} onRetry={stored.reload} />;
  if (stored.data === undefined) return <Loading />;
  return <Editor article={stored.data} />;
}

function Editor({ article }: { article: KnowledgeBaseArticle | null }) {
  const f = useForm({
    title: article?.title ?? "",
    body: article?.body ?? "",
    visibility: article?.visibility ?? "internal",
    tags: (article?.tags ?? []).join(", "),
  });
  const body = useDebounced(f.values.body, 300);
  const [html, setHtml] = useState<string | null>(article?.html ?? null);
  const [previewError, setPreviewError] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    preview(body, ctl.signal).then(
      (h) => {
        setHtml(h);
        setPreviewError(null);
      },
      (e) => {
        if (!ctl.signal.aborted && (e as Error).name !== "AbortError") setPreviewError(errorMessage(e));
      },
    );
    return () => ctl.abort();
  }, [body]);

  async function save() {
    await f.submit(async (v) => {
      const fields = { title: v.title.trim(), body: v.body, visibility: v.visibility, tags: parseTags(v.tags) };
      const saved = article
        ? await api.patch<KnowledgeBaseArticle>(`/kb/articles/${article.id}`, fields, article.version)
        : await api.post<KnowledgeBaseArticle>("/kb/articles", fields);
      toast(article ? "Article saved" : "Article written");
      navigate(`/kb/${saved.id}`);
    });
  }

  return (
    <div>
      <PageHeader
        crumbs={<a href={article ? `/kb/${article.id}` : "/kb"}>{article ? article.title : "Knowledge base"}</a>}
        title={article ? "Edit article" : "New article"}
        subtitle="Markdown: # headings, **bold**, *italic*, lists, `code`, [links](https://…). HTML is shown as text, never run."
      />
      <form
        class="kb-editor"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {f.formError && <Alert>{f.formError}</Alert>}
        <div class="kb-editor-fields">
          <TextField label="Title" value={f.values.title} onValue={(v) => f.set("title", v)} error={f.errors.title} required autoFocus={!article} name="title" />
          <div class="kb-editor-row">
            <SelectField
              label="Visibility"
              value={f.values.visibility}
              onValue={(v) => f.set("visibility", v as "internal" | "portal")}
              options={[
                { value: "internal", label: "Internal: staff only" },
                { value: "portal", label: "Client portal: clients see it too" },
              ]}
              error={f.errors.visibility}
              name="visibility"
            />
            <TextField label="Tags" hint="Separated by commas" value={f.values.tags} onValue={(v) => f.set("tags", v)} error={f.errors.tags} name="tags" />
          </div>
        </div>
        <div class="kb-editor-panes">
          <TextArea label="Text (Markdown)" value={f.values.body} onValue={(v) => f.set("body", v)} error={f.errors.body} rows={20} name="body" required />
          <Card title="Preview" class="kb-preview-card">
            {previewError && <Alert tone="warning">{previewError}</Alert>}
            <div aria-live="polite" aria-label="Preview" class="kb-preview">
              {f.values.body.trim() === "" ? <p class="muted small">The preview shows here as you write.</p> : html === null ? <Loading rows={2} /> : <ArticleHtml html={html} />}
            </div>
          </Card>
        </div>
        <div class="row">
          <Button type="submit" variant="primary" busy={f.busy}>
            {article ? "Save" : "Write article"}
          </Button>
          <Button onClick={() => navigate(article ? `/kb/${article.id}` : "/kb")}>Cancel</Button>
        </div>
      </form>
    </div>
  );
}
