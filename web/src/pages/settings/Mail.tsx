/*
 * Mail.tsx - Settings → Mail: the firm's mail servers (admins: the
 * settings' smtp_* and imap_* members, the sender address and the flood
 * limit; the passwords are write-only, so their inputs start empty and an
 * empty one keeps what is saved), a test message through the saved SMTP
 * settings with the server's answer, and the templates of the mail each
 * event sends (admins edit, managers read): subject and body with the
 * placeholders the event allows and a preview with sample values. The
 * API's field errors (an unknown placeholder…) show beside the fields.
 */
import { useState } from "preact/hooks";
import { Alert, Badge, Button, Card, Checkbox, Empty, ErrorState, FormDialog, Loading, SaveActions, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, errorMessage, listAll } from "../../lib/api";
import { relative } from "../../lib/format";
import { useForm, useLoad } from "../../lib/hooks";
import { can, currentUser } from "../../lib/session";
import type { MailTemplate } from "../../lib/types";
import { EVENT_LABELS, PLACEHOLDERS, preview, SECURITY_OPTIONS, unknownPlaceholders, type MailSettings, type MailTestResult, type Security } from "../mail/model";

export function MailSettingsSection() {
  return (
    <div class="stack">
      {can("mail.settings") && <ServersCard />}
      <TemplatesCard />
    </div>
  );
}

/* Servers ----------------------------------------------------------------------------- */

type ServerForm = {
  mail_from: string;
  smtp_host: string;
  smtp_port: string;
  smtp_security: string;
  smtp_username: string;
  smtp_password: string;
  smtp_password_clear: boolean;
  imap_host: string;
  imap_port: string;
  imap_security: string;
  imap_username: string;
  imap_password: string;
  imap_password_clear: boolean;
  imap_mailbox: string;
  mail_flood_limit: string;
};

const TEXT_FIELDS = ["mail_from", "smtp_host", "smtp_username", "imap_host", "imap_username", "imap_mailbox"] as const;
const NUMBER_FIELDS = ["smtp_port", "imap_port", "mail_flood_limit"] as const;
const ENUM_FIELDS = ["smtp_security", "imap_security"] as const;

function toForm(s: MailSettings): ServerForm {
  return {
    mail_from: s.mail_from ?? "",
    smtp_host: s.smtp_host ?? "",
    smtp_port: s.smtp_port != null ? String(s.smtp_port) : "",
    smtp_security: s.smtp_security ?? "starttls",
    smtp_username: s.smtp_username ?? "",
    smtp_password: "",
    smtp_password_clear: false,
    imap_host: s.imap_host ?? "",
    imap_port: s.imap_port != null ? String(s.imap_port) : "",
    imap_security: s.imap_security ?? "tls",
    imap_username: s.imap_username ?? "",
    imap_password: "",
    imap_password_clear: false,
    imap_mailbox: s.imap_mailbox ?? "",
    mail_flood_limit: s.mail_flood_limit != null ? String(s.mail_flood_limit) : "",
  };
}

/** The merge patch: only what changed; an emptied optional field is null, an empty password keeps the saved one. */
function patchOf(before: ServerForm, v: ServerForm): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const k of TEXT_FIELDS) if (v[k].trim() !== before[k]) body[k] = v[k].trim() === "" ? null : v[k].trim();
  for (const k of NUMBER_FIELDS) if (v[k].trim() !== before[k]) body[k] = /^\d+$/.test(v[k].trim()) ? Number(v[k].trim()) : v[k].trim() === "" ? null : v[k].trim();
  for (const k of ENUM_FIELDS) if (v[k] !== before[k]) body[k] = v[k];
  for (const k of ["smtp_password", "imap_password"] as const) {
    if (v[`${k}_clear`]) body[k] = null;
    else if (v[k] !== "") body[k] = v[k];
  }
  return body;
}

/**
 * The test message: its address and the server's last answer. Kept by the card, not the form,
 * so that they outlive the form's remount when a save brings a new version.
 */
function useMailTest() {
  const [to, setTo] = useState(currentUser()?.email ?? "");
  const [toError, setToError] = useState<string | undefined>();
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<MailTestResult | null>(null);

  async function send() {
    setTesting(true);
    setResult(null);
    setToError(undefined);
    try {
      setResult(await api.post<MailTestResult>("/settings/mail-test", { to: to.trim() }));
    } catch (err) {
      if (err instanceof ApiError && err.fields.to) setToError(err.fields.to);
      else setResult({ sent: false, detail: errorMessage(err) });
    } finally {
      setTesting(false);
    }
  }

  return { to, setTo, toError, testing, result, send };
}

type MailTest = ReturnType<typeof useMailTest>;

function ServersCard() {
  const s = useLoad((signal) => api.get<MailSettings>("/settings", undefined, signal), []);
  const test = useMailTest();
  if (s.error) return <ErrorState message={s.error} onRetry={s.reload} />;
  if (!s.data) return <Loading rows={6} label="Loading the mail settings…" />;
  return <ServersForm key={s.data.version} settings={s.data} onSaved={s.set} onStale={s.reload} test={test} />;
}

function ServersForm({ settings, onSaved, onStale, test }: { settings: MailSettings; onSaved: (s: MailSettings) => void; onStale: () => void; test: MailTest }) {
  const before = toForm(settings);
  const f = useForm<ServerForm>(before);
  const v = f.values;
  const { to, setTo, toError, testing, result } = test;
  const body = patchOf(before, v);
  const dirty = Object.keys(body).length > 0;

  async function save(e: Event) {
    e.preventDefault();
    const ok = await f.submit(async () => {
      try {
        const saved = await api.patch<MailSettings>("/settings", body, settings.version);
        onSaved(saved);
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) onStale();
        throw err;
      }
    });
    if (ok) toast("Mail settings saved");
  }

  const pw = (k: "smtp_password" | "imap_password", labelText: string) => (
    <div class="stack-sm">
      <TextField
        label={labelText}
        name={k}
        type="password"
        autoComplete="new-password"
        value={v[k]}
        onValue={(x) => f.set(k, x)}
        error={f.errors[k]}
        disabled={v[`${k}_clear`]}
        placeholder="Leave empty to keep the saved one"
        hint="Never shown again once saved; leave empty to keep the saved one."
      />
      <Checkbox label="Remove the saved password" name={`${k}_clear`} checked={v[`${k}_clear`]} onValue={(x) => f.set(`${k}_clear`, x)} />
    </div>
  );

  return (
    <Card title="Mail servers" actions={<span class="small muted">Saved {relative(settings.updated_at)}</span>}>
      <form onSubmit={save} noValidate class="stack" aria-label="Mail servers">
        {f.formError && <Alert>{f.formError}</Alert>}
        <div class="form-grid">
          <TextField
            label="Send as"
            name="mail_from"
            type="email"
            value={v.mail_from}
            onValue={(x) => f.set("mail_from", x)}
            error={f.errors.mail_from}
            placeholder="support@yourfirm.example"
            hint="The address our mail comes from and clients write to. Needed to send."
          />
          <TextField
            label="Messages per sender per hour"
            name="mail_flood_limit"
            type="number"
            inputMode="numeric"
            min={0}
            value={v.mail_flood_limit}
            onValue={(x) => f.set("mail_flood_limit", x)}
            error={f.errors.mail_flood_limit}
            hint="More than this from one sender in an hour are held for triage. 0: no limit."
          />
        </div>

        <fieldset class="mail-fieldset">
          <legend>Outgoing (SMTP)</legend>
          <div class="form-grid">
            <TextField label="SMTP server" name="smtp_host" value={v.smtp_host} onValue={(x) => f.set("smtp_host", x)} error={f.errors.smtp_host} placeholder="smtp.example.com" hint="A host name, without scheme or port. Empty: no mail is sent." />
            <div class="form-grid mail-port-row">
              <TextField label="Port" name="smtp_port" type="number" inputMode="numeric" min={1} max={65535} value={v.smtp_port} onValue={(x) => f.set("smtp_port", x)} error={f.errors.smtp_port} />
              <SelectField label="Security" name="smtp_security" value={v.smtp_security} onValue={(x) => f.set("smtp_security", x as Security)} options={SECURITY_OPTIONS} error={f.errors.smtp_security} />
            </div>
            <TextField label="SMTP user name" name="smtp_username" autoComplete="off" value={v.smtp_username} onValue={(x) => f.set("smtp_username", x)} error={f.errors.smtp_username} hint="Empty: no sign-in." />
            {pw("smtp_password", "SMTP password")}
          </div>
        </fieldset>

        <fieldset class="mail-fieldset">
          <legend>Incoming (IMAP)</legend>
          <div class="form-grid">
            <TextField label="IMAP server" name="imap_host" value={v.imap_host} onValue={(x) => f.set("imap_host", x)} error={f.errors.imap_host} placeholder="imap.example.com" hint="Polled every minute. Empty: mail comes only through the mail server's pipe (servio mail-in)." />
            <div class="form-grid mail-port-row">
              <TextField label="Port" name="imap_port" type="number" inputMode="numeric" min={1} max={65535} value={v.imap_port} onValue={(x) => f.set("imap_port", x)} error={f.errors.imap_port} />
              <SelectField label="Security" name="imap_security" value={v.imap_security} onValue={(x) => f.set("imap_security", x as Security)} options={SECURITY_OPTIONS} error={f.errors.imap_security} />
            </div>
            <TextField label="IMAP user name" name="imap_username" autoComplete="off" value={v.imap_username} onValue={(x) => f.set("imap_username", x)} error={f.errors.imap_username} />
            {pw("imap_password", "IMAP password")}
            <TextField label="Folder" name="imap_mailbox" value={v.imap_mailbox} onValue={(x) => f.set("imap_mailbox", x)} error={f.errors.imap_mailbox} hint="The folder polled, usually INBOX." />
          </div>
        </fieldset>

        <SaveActions form={f} before={before} dirty={dirty} label="Save mail settings" />
      </form>

      <div class="mail-test">
        <h3 class="mail-test-title">Send a test message</h3>
        <p class="small muted">Goes out now through the saved SMTP settings{dirty ? " — save your changes first" : ""}; the server's answer shows below.</p>
        <div class="mail-test-row">
          <TextField label="To" name="test_to" type="email" value={to} onValue={setTo} error={toError} />
          <Button onClick={test.send} busy={testing} disabled={!to.trim()}>
            Send test message
          </Button>
        </div>
        {result && (
          <Alert tone={result.sent ? "success" : "error"} title={result.sent ? "The server took the message" : "The message was not sent"}>
            <span class="mono small" data-testid="mail-test-detail">
              {result.detail}
            </span>
          </Alert>
        )}
      </div>
    </Card>
  );
}

/* Templates --------------------------------------------------------------------------- */

function TemplatesCard() {
  const list = useLoad(() => listAll<MailTemplate>("/mail-templates", { sort: "event" }, 50), []);
  const [editing, setEditing] = useState<MailTemplate | null>(null);
  const edit = can("mail.templates.edit");
  return (
    <Card title="Templates" pad={false}>
      <p class="small muted mail-note">
        The mail each event sends, in the firm's name. <code>{"{{name}}"}</code> placeholders are filled in when a message is made; ticket mail always carries its [T-000123] tag in the subject.
        {!edit && " Only admins change them."}
      </p>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={4} label="Loading templates…" />
      ) : list.data.length === 0 ? (
        <Empty title="No templates" icon="✉" />
      ) : (
        <ul class="template-list" aria-label="Mail templates">
          {list.data.map((t) => (
            <li key={t.id} class="template-item">
              <div class="template-text">
                <div class="cell-title">{t.event ? EVENT_LABELS[t.event] : "Template"}</div>
                <div class="cell-sub">{t.description}</div>
                <div class="small mono template-subject">{t.subject}</div>
              </div>
              <Button size="sm" variant={edit ? "secondary" : "ghost"} onClick={() => setEditing(t)} aria-label={`${edit ? "Edit" : "View"} the template “${t.event ? EVENT_LABELS[t.event] : t.id}”`}>
                {edit ? "Edit" : "View"}
              </Button>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <TemplateDialog
          template={editing}
          readOnly={!edit}
          onClose={() => setEditing(null)}
          onSaved={(t) => {
            setEditing(null);
            list.set((list.data ?? []).map((x) => (x.id === t.id ? t : x)));
            toast("Template saved");
          }}
          onStale={() => {
            setEditing(null);
            list.reload();
          }}
        />
      )}
    </Card>
  );
}

function TemplateDialog({ template, readOnly, onClose, onSaved, onStale }: { template: MailTemplate; readOnly: boolean; onClose: () => void; onSaved: (t: MailTemplate) => void; onStale: () => void }) {
  const f = useForm({ subject: template.subject, body: template.body });
  const v = f.values;
  const allowed = template.event ? PLACEHOLDERS[template.event] : [];
  const unknown = unknownPlaceholders(v.subject + "\n" + v.body, allowed);

  async function submit(e: Event) {
    e.preventDefault();
    if (readOnly) return onClose();
    const body: Record<string, string> = {};
    if (v.subject !== template.subject) body.subject = v.subject;
    if (v.body !== template.body) body.body = v.body;
    if (!Object.keys(body).length) return onClose();
    await f.submit(async () => {
      try {
        onSaved(await api.patch<MailTemplate>(`/mail-templates/${template.id}`, body, template.version));
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          toast("Someone else changed this template in the meantime; it is reloaded.", "error");
          onStale();
          return;
        }
        throw err;
      }
    });
  }

  return (
    <FormDialog
      title={`${readOnly ? "" : "Edit: "}${template.event ? EVENT_LABELS[template.event] : "template"}`}
      description={template.description ?? undefined}
      onClose={onClose}
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel={readOnly ? "Close" : "Save template"}
      wide
    >
      <div class="template-editor">
        <div class="stack">
          <TextField label="Subject" name="subject" value={v.subject} onValue={(x) => f.set("subject", x)} error={f.errors.subject} disabled={readOnly} />
          {readOnly ? (
            <div>
              <div class="field-label">Text</div>
              <div class="pre template-readonly">{v.body}</div>
            </div>
          ) : (
            <TextArea label="Text" name="body" value={v.body} onValue={(x) => f.set("body", x)} error={f.errors.body} rows={12} />
          )}
          <div>
            <div class="field-label" id="ph-label">
              Placeholders this mail may use
            </div>
            <ul class="placeholder-list" aria-labelledby="ph-label">
              {allowed.map((p) => (
                <li key={p}>
                  <code>{`{{${p}}}`}</code>
                </li>
              ))}
            </ul>
            {unknown.length > 0 && (
              <p class="small text-danger" role="status">
                Not known to this mail: {unknown.map((u) => `{{${u}}}`).join(", ")}
              </p>
            )}
          </div>
        </div>
        <section class="template-preview" aria-label="Preview">
          <div class="field-label">
            Preview <Badge tone="outline">sample values</Badge>
          </div>
          <div class="template-preview-subject">{preview(v.subject, allowed) || <span class="muted">(no subject)</span>}</div>
          <div class="pre template-preview-body">{preview(v.body, allowed)}</div>
        </section>
      </div>
    </FormDialog>
  );
}
