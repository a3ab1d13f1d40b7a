/*
 * recordform.tsx - create or edit a record from a list of field specs, in
 * a dialog. New records are POSTed; edits send only the changed fields as
 * a merge patch with If-Match. The API's field errors show beside the
 * fields (useForm).
 */
import type { ComponentChildren } from "preact";
import { api } from "../lib/api";
import { parseMoney, minorDigits } from "../lib/format";
import { useForm } from "../lib/hooks";
import { Alert, Button, Checkbox, Dialog, SelectField, TextArea, TextField, type Option } from "./ui";

export interface FieldSpec {
  name: string;
  label: string;
  type?: "text" | "email" | "url" | "tel" | "textarea" | "select" | "date" | "checkbox" | "number" | "money" | "list" | "password";
  options?: Option[];
  required?: boolean;
  span?: boolean;
  hint?: string;
  placeholder?: string;
  /** select: the "none" choice (sent as null) */
  none?: string;
  /** money: the currency of the amount */
  currency?: string;
  /** only when creating */
  createOnly?: boolean;
}

type Values = Record<string, string | boolean>;

function toForm(spec: FieldSpec, v: unknown): string | boolean {
  if (spec.type === "checkbox") return !!v;
  if (v === null || v === undefined) return "";
  if (spec.type === "list") return (v as string[]).join(", ");
  if (spec.type === "money") return ((v as number) / 10 ** minorDigits(spec.currency ?? "USD")).toFixed(minorDigits(spec.currency ?? "USD"));
  return String(v);
}

function fromForm(spec: FieldSpec, v: string | boolean): unknown {
  if (spec.type === "checkbox") return !!v;
  const s = String(v);
  if (spec.type === "list") return s.split(",").map((x) => x.trim()).filter(Boolean);
  if (s.trim() === "") return null;
  if (spec.type === "number") return Number(s);
  if (spec.type === "money") return parseMoney(s, spec.currency ?? "USD") ?? s;
  if (spec.type === "select" && /^\d+$/.test(s) && spec.options?.every((o) => /^\d*$/.test(o.value))) return Number(s);
  return s;
}

export function RecordDialog<T extends { id: number; version: number }>({ title, path, fields, record, defaults, extra, onClose, onDone, submitLabel, description, wide = true, children }: {
  title: string;
  /** the list path ("/companies"); edits go to path/id */
  path: string;
  fields: FieldSpec[];
  record?: T | null;
  defaults?: Record<string, unknown>;
  /** members sent on create that have no field (company_id of a contact…) */
  extra?: Record<string, unknown>;
  onClose: () => void;
  onDone: (rec: T) => void;
  submitLabel?: string;
  description?: string;
  wide?: boolean;
  children?: ComponentChildren;
}) {
  const shown = fields.filter((f) => !(record && f.createOnly));
  const initial: Values = {};
  for (const f of shown) initial[f.name] = toForm(f, record ? (record as unknown as Record<string, unknown>)[f.name] : defaults?.[f.name]);
  const form = useForm<Values>(initial, Object.keys(extra ?? {}));
  const formId = "rf-" + path.replace(/\W/g, "");

  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (vals) => {
      const body: Record<string, unknown> = {};
      for (const f of shown) {
        const v = fromForm(f, vals[f.name]);
        if (record) {
          if (vals[f.name] !== initial[f.name]) body[f.name] = v;
        } else if (v !== null && !(Array.isArray(v) && v.length === 0)) {
          body[f.name] = v;
        } else if (f.required) {
          body[f.name] = v;
        }
      }
      if (record && Object.keys(body).length === 0) return onClose();
      const saved = record
        ? await api.patch<T>(`${path}/${record.id}`, body, record.version)
        : await api.post<T>(path, { ...(extra ?? {}), ...body });
      onDone(saved);
    });
  }

  return (
    <Dialog
      title={title}
      description={description}
      onClose={onClose}
      wide={wide}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.busy}>
            {submitLabel ?? (record ? "Save changes" : "Create")}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate class="stack">
        {form.formError && <Alert>{form.formError}</Alert>}
        <div class="form-grid">
          {shown.map((f) => {
            const common = { label: f.label, error: form.errors[f.name], hint: f.hint, required: f.required, name: f.name };
            const value = form.values[f.name];
            const set = (v: string | boolean) => form.set(f.name, v);
            let el: ComponentChildren;
            switch (f.type) {
              case "textarea":
                el = <TextArea {...common} value={value as string} onValue={set} rows={3} placeholder={f.placeholder} />;
                break;
              case "select":
                el = <SelectField {...common} value={value as string} onValue={set} options={f.options ?? []} placeholder={f.none} />;
                break;
              case "checkbox":
                el = <Checkbox label={f.label} checked={value as boolean} onValue={set} error={form.errors[f.name]} hint={f.hint} name={f.name} />;
                break;
              default:
                el = (
                  <TextField
                    {...common}
                    type={f.type === "money" || f.type === "list" ? "text" : f.type === "number" ? "number" : (f.type ?? "text")}
                    inputMode={f.type === "money" ? "decimal" : undefined}
                    value={value as string}
                    onValue={set}
                    placeholder={f.placeholder}
                    autoComplete={f.type === "password" ? "new-password" : undefined}
                  />
                );
            }
            return (
              <div key={f.name} class={f.span || f.type === "textarea" ? "span-2" : ""}>
                {el}
              </div>
            );
          })}
        </div>
        {children}
      </form>
    </Dialog>
  );
}
