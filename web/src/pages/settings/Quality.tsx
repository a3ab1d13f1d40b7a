/*
 * Quality.tsx (settings) - what the weekly quality draw uses: the sample
 * rate (settings qa_sample_rate_bp, admins) and the checklist templates
 * with their weighted items (managers and admins); docs/QUALITY.md.
 */
import { useState } from "preact/hooks";
import { Alert, Badge, Button, Card, Checkbox, Empty, ErrorState, FormDialog, Loading, TextArea, TextField, toast } from "../../components/ui";
import { api, errorMessage, listAll } from "../../lib/api";
import { useForm, useLoad } from "../../lib/hooks";
import { can } from "../../lib/session";
import type { QaTemplate } from "../../lib/types";

export function QualitySettingsSection() {
  return (
    <div class="stack">
      <SampleRate />
      <Templates />
    </div>
  );
}

interface RateSettings {
  version: number;
  qa_sample_rate_bp: number;
}

function SampleRate() {
  const s = useLoad((signal) => api.get<RateSettings>("/settings", undefined, signal), []);
  const [percent, setPercent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const edit = can("qa.settings");
  if (s.error) return <ErrorState message={s.error} onRetry={s.reload} />;
  if (!s.data) return <Loading rows={2} />;
  const shown = percent ?? String(s.data.qa_sample_rate_bp / 100);
  async function save(e: Event) {
    e.preventDefault();
    const bp = Math.round(Number(shown.replace(",", ".")) * 100);
    if (!/^\d+([.,]\d{1,2})?$/.test(shown.trim()) || bp > 10000) {
      setError("Give a percentage from 0 to 100 (at most two decimals).");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.patch("/settings", { qa_sample_rate_bp: bp }, s.data!.version);
      toast("Sample rate saved");
      setPercent(null);
      s.reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title="Weekly draw">
      <form class="stack" onSubmit={save}>
        <p class="muted small">
          When a week has ended, the worker draws this share of each technician's finished service orders for review, at least one each. A week is drawn once: a new rate applies to the weeks still to come. 0 turns the draw off.
        </p>
        <div class="row qa-rate">
          <TextField label="Sample rate (%)" value={shown} onValue={setPercent} inputMode="decimal" disabled={!edit} hint={edit ? undefined : "Admins change the rate."} />
          {edit && (
            <Button type="submit" variant="primary" busy={busy}>
              Save rate
            </Button>
          )}
        </div>
        {error && <Alert>{error}</Alert>}
      </form>
    </Card>
  );
}

function Templates() {
  const list = useLoad(() => listAll<QaTemplate>("/qa-templates", {}, 200), []);
  const [editing, setEditing] = useState<QaTemplate | "new" | null>(null);
  const edit = can("qa.templates.edit");
  return (
    <Card title="Review checklists" actions={edit && <Button variant="primary" size="sm" onClick={() => setEditing("new")}>New checklist</Button>} pad={false}>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={3} />
      ) : list.data.length === 0 ? (
        <Empty title="No checklists">A review scores a service order against a checklist of weighted items.</Empty>
      ) : (
        <table class="table" aria-label="Review checklists">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Items (weight)</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((t) => (
              <tr key={t.id}>
                <td class="cell-title">
                  {t.name} {t.is_default && <Badge tone="blue">Default</Badge>} {!t.active && <Badge>Inactive</Badge>}
                  {t.description && <div class="cell-sub">{t.description}</div>}
                </td>
                <td class="small">
                  {t.items.map((i, n) => (
                    <div key={n}>
                      {i.label} <span class="muted">({i.weight})</span>
                    </div>
                  ))}
                </td>
                <td class="right">
                  {edit && (
                    <button type="button" class="link-btn" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                      Edit
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <TemplateDialog
          tpl={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            list.reload();
            toast("Checklist saved");
          }}
        />
      )}
    </Card>
  );
}

interface ItemDraft {
  label: string;
  weight: string;
  guidance: string;
}

function TemplateDialog({ tpl, onClose, onDone }: { tpl: QaTemplate | null; onClose: () => void; onDone: () => void }) {
  const f = useForm({
    name: tpl?.name ?? "",
    description: tpl?.description ?? "",
    active: tpl?.active ?? true,
    is_default: tpl?.is_default ?? false,
    items: (tpl?.items.map((i) => ({ label: i.label, weight: String(i.weight), guidance: i.guidance ?? "" })) ?? [{ label: "", weight: "10", guidance: "" }]) as ItemDraft[],
  });
  const v = f.values;
  const setItem = (i: number, patch: Partial<ItemDraft>) => f.set("items", v.items.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const body = {
        name: v.name,
        description: v.description.trim() || null,
        active: v.active,
        is_default: v.is_default,
        items: v.items
          .filter((i) => i.label.trim())
          .map((i) => ({ label: i.label.trim(), weight: Number(i.weight), ...(i.guidance.trim() ? { guidance: i.guidance.trim() } : {}) })),
      };
      if (tpl) await api.patch(`/qa-templates/${tpl.id}`, body, tpl.version);
      else await api.post("/qa-templates", body);
      onDone();
    });
  }
  const total = v.items.reduce((a, i) => a + (Number(i.weight) || 0), 0);
  return (
    <FormDialog title={tpl ? `Edit ${tpl.name}` : "New review checklist"} onClose={onClose} wide onSubmit={submit} busy={f.busy} formError={f.formError} submitLabel="Save checklist">
      <div class="form-grid">
        <TextField label="Name" value={v.name} onValue={(x) => f.set("name", x)} error={f.errors.name} required />
        <div class="stack-sm">
          <Checkbox label="Active" checked={v.active} onValue={(x) => f.set("active", x)} error={f.errors.active} />
          <Checkbox label="Default for drawn reviews" checked={v.is_default} onValue={(x) => f.set("is_default", x)} error={f.errors.is_default} />
        </div>
        <div class="span-2">
          <TextArea label="Description" value={v.description} onValue={(x) => f.set("description", x)} rows={2} error={f.errors.description} />
        </div>
      </div>
      <fieldset class="fieldset">
        <legend>Items and weights (1 to 100; {total} points in all)</legend>
        {f.errors.items && <div class="field-error">{f.errors.items}</div>}
        <div class="stack-sm">
          {v.items.map((it, i) => (
            <div class="row qa-item-row" key={i}>
              <label class="sr-only" for={`qa-item-${i}`}>
                Item {i + 1}
              </label>
              <input id={`qa-item-${i}`} class="input grow" value={it.label} placeholder="Diagnosis documented" onInput={(e) => setItem(i, { label: (e.currentTarget as HTMLInputElement).value })} />
              <label class="sr-only" for={`qa-weight-${i}`}>
                Weight of item {i + 1}
              </label>
              <input id={`qa-weight-${i}`} class="input qa-weight" type="number" min={1} max={100} value={it.weight} onInput={(e) => setItem(i, { weight: (e.currentTarget as HTMLInputElement).value })} />
              <label class="sr-only" for={`qa-guidance-${i}`}>
                Guidance for item {i + 1}
              </label>
              <input id={`qa-guidance-${i}`} class="input grow" value={it.guidance} placeholder="What to look for (optional)" onInput={(e) => setItem(i, { guidance: (e.currentTarget as HTMLInputElement).value })} />
              <button type="button" class="icon-btn" aria-label={`Remove item ${i + 1}`} onClick={() => f.set("items", v.items.filter((_, j) => j !== i))}>
                ✕
              </button>
            </div>
          ))}
          <div>
            <Button size="sm" onClick={() => f.set("items", [...v.items, { label: "", weight: "10", guidance: "" }])}>
              Add item
            </Button>
          </div>
        </div>
      </fieldset>
    </FormDialog>
  );
}
