/*
 * Firm.tsx - Settings → Firm profile (admins): the firm's name and contact
 * details on its documents, and its public URL, the address clients reach
 * Servio at: every link given to a client (a quote, a portal invitation, a
 * survey) starts with it, never with whatever address the sender's browser
 * used. "servio init" fills it from the listen address; a firm behind a
 * proxy or on its own domain changes it here.
 */
import { Alert, Card, ErrorState, Loading, SaveActions, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError } from "../../lib/api";
import { relative } from "../../lib/format";
import { useForm, useLoad } from "../../lib/hooks";

interface FirmSettings {
  version: number;
  updated_at: string;
  firm_name: string;
  address: string | null;
  phone: string | null;
  email: string | null;
  website: string | null;
  public_url: string | null;
}

const FIELDS = ["firm_name", "address", "phone", "email", "website", "public_url"] as const;
type FirmForm = Record<(typeof FIELDS)[number], string>;

function toForm(s: FirmSettings): FirmForm {
  const f = {} as FirmForm;
  for (const k of FIELDS) f[k] = s[k] ?? "";
  return f;
}

/** The merge patch: only what changed; an emptied optional field is null. */
function patchOf(before: FirmForm, v: FirmForm): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const k of FIELDS) if (v[k].trim() !== before[k]) body[k] = v[k].trim() === "" && k !== "firm_name" ? null : v[k].trim();
  return body;
}

export function FirmSettingsSection() {
  const s = useLoad((signal) => api.get<FirmSettings>("/settings", undefined, signal), []);
  if (s.error) return <ErrorState message={s.error} onRetry={s.reload} />;
  if (!s.data) return <Loading rows={6} label="Loading the firm profile…" />;
  return <FirmForm key={s.data.version} settings={s.data} onSaved={s.set} onStale={s.reload} />;
}

function FirmForm({ settings, onSaved, onStale }: { settings: FirmSettings; onSaved: (s: FirmSettings) => void; onStale: () => void }) {
  const before = toForm(settings);
  const f = useForm<FirmForm>(before);
  const v = f.values;
  const body = patchOf(before, v);
  const dirty = Object.keys(body).length > 0;

  async function save(e: Event) {
    e.preventDefault();
    const ok = await f.submit(async () => {
      try {
        onSaved(await api.patch<FirmSettings>("/settings", body, settings.version));
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) onStale();
        throw err;
      }
    });
    if (ok) toast("Firm profile saved");
  }

  return (
    <Card title="Firm profile" actions={<span class="small muted">Saved {relative(settings.updated_at)}</span>}>
      <form onSubmit={save} noValidate class="stack" aria-label="Firm profile">
        {f.formError && <Alert>{f.formError}</Alert>}
        {!settings.public_url && (
          <Alert>No public URL is set: quotes cannot be sent and clients cannot be invited to the portal until it is.</Alert>
        )}
        <div class="form-grid">
          <TextField label="Firm name" name="firm_name" value={v.firm_name} onValue={(x) => f.set("firm_name", x)} error={f.errors.firm_name} required />
          <TextField
            label="Public URL"
            name="public_url"
            type="url"
            value={v.public_url}
            onValue={(x) => f.set("public_url", x)}
            error={f.errors.public_url}
            placeholder="https://psa.example.com"
            hint="Where clients reach Servio: every link sent to a client starts with it. No slash at the end."
          />
          <TextField label="Phone" name="phone" value={v.phone} onValue={(x) => f.set("phone", x)} error={f.errors.phone} />
          <TextField label="E-mail" name="email" type="email" value={v.email} onValue={(x) => f.set("email", x)} error={f.errors.email} />
          <TextField label="Website" name="website" type="url" value={v.website} onValue={(x) => f.set("website", x)} error={f.errors.website} placeholder="https://example.com" />
        </div>
        <TextArea label="Address" name="address" rows={3} value={v.address} onValue={(x) => f.set("address", x)} error={f.errors.address} hint="On the letterhead of quotes and invoices." />
        <SaveActions form={f} before={before} dirty={dirty} label="Save firm profile" />
      </form>
    </Card>
  );
}
