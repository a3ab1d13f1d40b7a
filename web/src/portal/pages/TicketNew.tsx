/*
 * TicketNew.tsx - open a ticket: subject, what happened, how urgent, where
 * and on which device (optional), and files. While the subject is typed the
 * portal's help articles are searched for it, and matches show before the
 * ticket is sent ("these articles may already answer it"), readable in
 * place so nothing typed is lost.
 */
import { useState } from "preact/hooks";
import { Alert, Button, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { useDebounced, useForm, useLoad } from "../../lib/hooks";
import { navigate } from "../../lib/router";
import { papi } from "../api";
import { FilePicker, uploadFiles } from "../files";
import type { Article, PortalAsset, PortalSite, PortalTicket } from "../types";
import { PageHead, PRIORITY_TEXT, usePortalTitle } from "../ui";

/** The help articles that match what is typed (at least 3 characters). */
function Suggestions({ subject }: { subject: string }) {
  const q = useDebounced(subject.trim(), 350);
  const found = useLoad(
    (signal) => (q.length >= 3 ? papi.get<{ data: Article[] }>("/kb/articles", { q }, signal).then((r) => r.data.slice(0, 5)) : Promise.resolve([] as Article[])),
    [q],
  );
  const list = found.data ?? [];
  return (
    <section class="portal-suggest" aria-live="polite" aria-label="Help articles that may answer it" hidden={!list.length}>
      {list.length > 0 && (
        <>
          <h2>These articles may already answer it</h2>
          <ul>
            {list.map((a) => (
              <li key={a.id}>
                <details>
                  <summary>{a.title}</summary>
                  <div class="portal-article-body" dangerouslySetInnerHTML={{ __html: a.html }} />
                  <a href={`/portal/articles/${a.id}`} target="_blank" rel="noopener">
                    Open in a new tab
                  </a>
                </details>
              </li>
            ))}
          </ul>
          <p class="small muted">Still need help? Send the ticket below.</p>
        </>
      )}
    </section>
  );
}

export function TicketNewPage() {
  usePortalTitle("Open a ticket");
  const form = useForm({ subject: "", description: "", priority: "medium", site_id: "", asset_id: "" });
  const [files, setFiles] = useState<File[]>([]);
  const [fileError, setFileError] = useState<string | null>(null);
  const sites = useLoad((signal) => papi.list<PortalSite>("/sites", { limit: 200 }, signal).then((r) => r.data), []);
  const assets = useLoad((signal) => papi.list<PortalAsset>("/assets", { limit: 200 }, signal).then((r) => r.data), []);
  const v = form.values;
  const siteAssets = (assets.data ?? []).filter((a) => !v.site_id || a.site_id === Number(v.site_id));

  async function submit(e: Event) {
    e.preventDefault();
    const missing: Record<string, string> = {};
    if (!v.subject.trim()) missing.subject = "Say in a few words what is wrong.";
    if (!v.description.trim()) missing.description = "Tell us what happened.";
    if (Object.keys(missing).length) {
      form.setErrors(missing);
      setTimeout(() => document.querySelector<HTMLElement>("[aria-invalid='true']")?.focus(), 0);
      return;
    }
    let made: PortalTicket | null = null;
    const ok = await form.submit(async () => {
      made = await papi.post<PortalTicket>("/tickets", {
        subject: v.subject.trim(),
        description: v.description.trim(),
        priority: v.priority,
        site_id: v.site_id ? Number(v.site_id) : undefined,
        asset_id: v.asset_id ? Number(v.asset_id) : undefined,
      });
    });
    if (!ok || !made) return;
    const t: PortalTicket = made;
    if (files.length) {
      try {
        await uploadFiles(t.id, files);
      } catch (err) {
        setFileError((err as Error).message);
        toast(`Ticket ${t.number} is open, but a file was refused: ${(err as Error).message}`, "error");
      }
    }
    toast(`Ticket ${t.number} is open. We will answer here and by e-mail.`);
    navigate(`/portal/tickets/${t.id}`);
  }

  return (
    <>
      <PageHead title="Open a ticket" back={{ href: "/portal/tickets", label: "My tickets" }} />
      <form class="portal-form stack" onSubmit={submit} noValidate aria-label="Open a ticket">
        {form.formError && <Alert tone="error">{form.formError}</Alert>}
        <TextField label="Subject" name="subject" value={v.subject} onValue={(x) => form.set("subject", x)} error={form.errors.subject} placeholder="e.g. The printer on floor 2 jams" required autoFocus />
        <Suggestions subject={v.subject} />
        <TextArea label="What happened?" name="description" value={v.description} onValue={(x) => form.set("description", x)} error={form.errors.description} rows={6} hint="What you see, since when, who is affected, what you tried." required />
        <SelectField label="How urgent is it?" name="priority" value={v.priority} onValue={(x) => form.set("priority", x)} error={form.errors.priority} options={Object.entries(PRIORITY_TEXT).map(([value, label]) => ({ value, label }))} />
        {(sites.data?.length ?? 0) > 0 && (
          <SelectField label="Where? (optional)" name="site_id" value={v.site_id} onValue={(x) => { form.set("site_id", x); form.set("asset_id", ""); }} error={form.errors.site_id} placeholder="Not at a particular site" options={(sites.data ?? []).map((s) => ({ value: String(s.id), label: s.name }))} />
        )}
        {(assets.data?.length ?? 0) > 0 && (
          <SelectField label="Which device? (optional)" name="asset_id" value={v.asset_id} onValue={(x) => form.set("asset_id", x)} error={form.errors.asset_id} placeholder="No particular device" options={siteAssets.map((a) => ({ value: String(a.id), label: a.name + (a.serial_number ? ` (${a.serial_number})` : "") }))} />
        )}
        <FilePicker label="Files (optional)" files={files} onFiles={(f) => { setFiles(f); setFileError(null); }} error={fileError} />
        <div class="portal-actions">
          <Button type="submit" variant="primary" busy={form.busy}>
            Send the ticket
          </Button>
        </div>
      </form>
    </>
  );
}
