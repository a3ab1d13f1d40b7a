/*
 * ui.tsx - the small design system: buttons, form fields that show the
 * API's field errors beside them, badges, loading and empty states, alerts,
 * dialogs, tabs, menus and toasts. Styling lives in styles/*.css.
 */
import type { AnchorHTMLAttributes, ButtonHTMLAttributes, ComponentChildren, HTMLInputTypeAttribute } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { errorMessage } from "../lib/api";
import type { Form } from "../lib/hooks";
import { store, useStore } from "../lib/store";

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: "primary" | "secondary" | "ghost" | "danger" | "subtle";
  size?: "sm" | "md";
  busy?: boolean;
  type?: "button" | "submit" | "reset";
  disabled?: boolean;
};

export function Button({ variant = "secondary", size = "md", busy, class: cls, children, disabled, type, ...rest }: ButtonProps) {
  return (
    <button
      type={type ?? "button"}
      class={`btn btn-${variant} btn-${size} ${busy ? "is-busy" : ""} ${cls ?? ""}`}
      disabled={disabled || busy}
      aria-busy={busy ? "true" : undefined}
      {...rest}
    >
      {busy && <span class="spinner spinner-inline" aria-hidden="true" />}
      {children}
    </button>
  );
}

export function LinkButton({ href, variant = "secondary", size = "md", children, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & {
  href: string;
  variant?: string;
  size?: string;
}) {
  return (
    <a href={href} class={`btn btn-${variant} btn-${size}`} {...rest}>
      {children}
    </a>
  );
}

/* Fields ------------------------------------------------------------------------ */

interface FieldShell {
  label: string;
  error?: string;
  hint?: ComponentChildren;
  required?: boolean;
  class?: string;
  hideLabel?: boolean;
}

function Shell({ id, label, error, hint, required, class: cls, hideLabel, children }: FieldShell & { id: string; children: ComponentChildren }) {
  return (
    <div class={`field ${error ? "has-error" : ""} ${cls ?? ""}`}>
      <label for={id} class={hideLabel ? "sr-only" : "field-label"}>
        {label}
        {required && <span class="req" aria-hidden="true"> *</span>}
      </label>
      {children}
      {hint && !error && (
        <div class="field-hint" id={id + "-hint"}>
          {hint}
        </div>
      )}
      {error && (
        <div class="field-error" id={id + "-error"} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

function describedBy(id: string, error?: string, hint?: unknown): string | undefined {
  return error ? id + "-error" : hint ? id + "-hint" : undefined;
}

type TextFieldProps = FieldShell & {
  value: string;
  onValue: (v: string) => void;
  type?: HTMLInputTypeAttribute;
  name?: string;
  placeholder?: string;
  autoFocus?: boolean;
  autoComplete?: string;
  inputMode?: "numeric" | "decimal" | "email" | "tel" | "text" | "url" | "search";
  min?: string | number;
  max?: string | number;
  step?: string | number;
  id?: string;
  disabled?: boolean;
};

export function TextField(p: TextFieldProps) {
  const auto = useId();
  const id = p.id ?? "f" + auto;
  return (
    <Shell {...p} id={id}>
      <input
        id={id}
        name={p.name}
        class="input"
        type={(p.type ?? "text") as "text"}
        value={p.value}
        placeholder={p.placeholder}
        autoFocus={p.autoFocus}
        autoComplete={p.autoComplete}
        inputMode={p.inputMode}
        min={p.min}
        max={p.max}
        step={p.step}
        disabled={p.disabled}
        required={p.required}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={describedBy(id, p.error, p.hint)}
        onInput={(e) => p.onValue((e.currentTarget as HTMLInputElement).value)}
      />
    </Shell>
  );
}

export function TextArea(p: FieldShell & { value: string; onValue: (v: string) => void; rows?: number; placeholder?: string; name?: string; id?: string; autoFocus?: boolean }) {
  const auto = useId();
  const id = p.id ?? "f" + auto;
  return (
    <Shell {...p} id={id}>
      <textarea
        id={id}
        name={p.name}
        class="input textarea"
        rows={p.rows ?? 4}
        value={p.value}
        placeholder={p.placeholder}
        autoFocus={p.autoFocus}
        required={p.required}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={describedBy(id, p.error, p.hint)}
        onInput={(e) => p.onValue((e.currentTarget as HTMLTextAreaElement).value)}
      />
    </Shell>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function SelectField(p: FieldShell & { value: string; onValue: (v: string) => void; options: Option[]; placeholder?: string; name?: string; id?: string; disabled?: boolean }) {
  const auto = useId();
  const id = p.id ?? "f" + auto;
  return (
    <Shell {...p} id={id}>
      <select
        id={id}
        name={p.name}
        class="input select"
        value={p.value}
        disabled={p.disabled}
        required={p.required}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={describedBy(id, p.error, p.hint)}
        onChange={(e) => p.onValue((e.currentTarget as HTMLSelectElement).value)}
      >
        {p.placeholder !== undefined && <option value="">{p.placeholder}</option>}
        {p.options.map((o) => (
          <option value={o.value} key={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Shell>
  );
}

export function Checkbox(p: { label: ComponentChildren; checked: boolean; onValue: (v: boolean) => void; hint?: string; error?: string; disabled?: boolean; name?: string }) {
  const id = "f" + useId();
  return (
    <div class={`field field-check ${p.error ? "has-error" : ""}`}>
      <input
        id={id}
        type="checkbox"
        name={p.name}
        class="check"
        checked={p.checked}
        disabled={p.disabled}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={p.error ? id + "-error" : undefined}
        onChange={(e) => p.onValue((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>
        {p.label}
        {p.hint && <span class="field-hint"> {p.hint}</span>}
      </label>
      {p.error && (
        <div class="field-error" id={id + "-error"} role="alert">
          {p.error}
        </div>
      )}
    </div>
  );
}

/* Status ------------------------------------------------------------------------- */

export function Badge({ tone = "neutral", children, title, dot }: { tone?: string; children: ComponentChildren; title?: string; dot?: boolean }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {dot && <span class="badge-dot" aria-hidden="true" />}
      {children}
    </span>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <span class="spinner" role="status">
      <span class="sr-only">{label}</span>
    </span>
  );
}

export function Loading({ label = "Loading…", rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="sr-only">{label}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div class="skeleton" key={i} style={{ width: `${90 - i * 12}%` }} />
      ))}
    </div>
  );
}

export function Empty({ title, children, icon = "○", action }: { title: string; children?: ComponentChildren; icon?: string; action?: ComponentChildren }) {
  return (
    <div class="empty">
      <div class="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <div class="empty-title">{title}</div>
      {children && <div class="empty-text">{children}</div>}
      {action && <div class="empty-action">{action}</div>}
    </div>
  );
}

export function Alert({ tone = "error", children, title }: { tone?: "error" | "warning" | "info" | "success"; children: ComponentChildren; title?: string }) {
  return (
    <div class={`alert alert-${tone}`} role={tone === "error" ? "alert" : "status"}>
      {title && <div class="alert-title">{title}</div>}
      <div>{children}</div>
    </div>
  );
}

export function Card({ title, actions, children, class: cls, id, pad = true }: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string; id?: string; pad?: boolean }) {
  const hid = useId();
  return (
    <section class={`card ${cls ?? ""}`} aria-labelledby={title ? "c" + hid : undefined} id={id}>
      {(title || actions) && (
        <header class="card-head">
          {title && (
            <h2 class="card-title" id={"c" + hid}>
              {title}
            </h2>
          )}
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      <div class={pad ? "card-body" : ""}>{children}</div>
    </section>
  );
}

export function Avatar({ name, size = "md" }: { name: string; size?: "sm" | "md" | "lg" }) {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
  const parts = name.trim().split(/\s+/);
  const ini = ((parts[0]?.[0] ?? "?") + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
  return (
    <span class={`avatar avatar-${size}`} style={{ background: `hsl(${h} 45% 42%)` }} aria-hidden="true">
      {ini}
    </span>
  );
}

export function DefList({ items }: { items: [ComponentChildren, ComponentChildren][] }) {
  return (
    <dl class="deflist">
      {items.map(([k, v], i) => (
        <div class="deflist-row" key={i}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === "" ? <span class="muted">—</span> : v}</dd>
        </div>
      ))}
    </dl>
  );
}

/* Dialog ------------------------------------------------------------------------- */

export function Dialog({ title, onClose, children, footer, wide, description }: { title: string; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren; wide?: boolean; description?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const hid = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const d = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    if (!d.open) d.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      closeRef.current();
    };
    d.addEventListener("cancel", onCancel);
    return () => {
      d.removeEventListener("cancel", onCancel);
      if (d.open) d.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog ref={ref} class={`dialog ${wide ? "dialog-wide" : ""}`} aria-labelledby={"d" + hid}
      onClick={(e) => {
        if (e.target === ref.current) closeRef.current();
      }}>
      <div class="dialog-inner">
        <header class="dialog-head">
          <h2 id={"d" + hid}>{title}</h2>
          <button type="button" class="icon-btn" aria-label="Close" onClick={() => closeRef.current()}>
            ✕
          </button>
        </header>
        {description && <p class="dialog-desc">{description}</p>}
        <div class="dialog-body">{children}</div>
        {footer && <footer class="dialog-foot">{footer}</footer>}
      </div>
    </dialog>
  );
}

/**
 * The edit/create dialog: a form with the API's form-level error on top and a
 * Cancel + primary submit footer. The form id ties the footer's submit button
 * to the form; `extraFooter` goes before Cancel.
 */
export function FormDialog({ title, description, onClose, wide, onSubmit, busy, formError, submitLabel, extraFooter, children }: {
  title: string;
  description?: string;
  onClose: () => void;
  wide?: boolean;
  onSubmit: (e: Event) => void;
  busy: boolean;
  formError?: string | null;
  submitLabel: ComponentChildren;
  extraFooter?: ComponentChildren;
  children: ComponentChildren;
}) {
  const id = "form-" + useId();
  return (
    <Dialog
      title={title}
      description={description}
      onClose={onClose}
      wide={wide}
      footer={
        <>
          {extraFooter}
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={id} variant="primary" busy={busy}>
            {submitLabel}
          </Button>
        </>
      }
    >
      <form id={id} onSubmit={onSubmit} noValidate class="stack">
        {formError && <Alert>{formError}</Alert>}
        {children}
      </form>
    </Dialog>
  );
}

/**
 * Asks before something that cannot simply be undone (revoke, remove,
 * issue). The action runs on confirm; its error shows in the dialog, which
 * stays open. A destructive action is "danger" (the default).
 */
export function Confirm({ title, description, confirmLabel, cancelLabel = "Cancel", variant = "danger", onConfirm, onClose, children }: {
  title: string;
  description?: string;
  confirmLabel: string;
  cancelLabel?: string;
  variant?: ButtonProps["variant"];
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children?: ComponentChildren;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function go() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }
  return (
    <Dialog
      title={title}
      description={description}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>{cancelLabel}</Button>
          <Button variant={variant} busy={busy} onClick={go}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <div class="stack">
        {error && <Alert>{error}</Alert>}
        {children}
      </div>
    </Dialog>
  );
}

/* Tabs --------------------------------------------------------------------------- */

export function Tabs({ tabs, active, onChange, label }: { tabs: { id: string; label: ComponentChildren }[]; active: string; onChange: (id: string) => void; label: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          role="tab"
          type="button"
          id={"tab-" + t.id}
          aria-selected={active === t.id}
          aria-controls={"panel-" + t.id}
          tabIndex={active === t.id ? 0 : -1}
          class={`tab ${active === t.id ? "is-active" : ""}`}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => {
            const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
            if (!d) return;
            e.preventDefault();
            const n = (i + d + tabs.length) % tabs.length;
            onChange(tabs[n].id);
            refs.current[n]?.focus();
          }}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ id, children }: { id: string; children: ComponentChildren }) {
  return (
    <div role="tabpanel" id={"panel-" + id} aria-labelledby={"tab-" + id} class="tabpanel">
      {children}
    </div>
  );
}

/* Menu --------------------------------------------------------------------------- */

export interface MenuItem {
  label: ComponentChildren;
  onSelect: () => void;
  danger?: boolean;
  disabled?: boolean;
}

export function Menu({ label, items, variant = "secondary", align = "left", buttonLabel }: { label: ComponentChildren; items: MenuItem[]; variant?: ButtonProps["variant"]; align?: "left" | "right"; buttonLabel?: string }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const id = "m" + useId();
  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDoc);
    const first = root.current?.querySelector<HTMLElement>("[role=menuitem]:not([disabled])");
    first?.focus();
    return () => document.removeEventListener("mousedown", onDoc);
  }, [open]);
  function onKey(e: KeyboardEvent) {
    if (e.key === "Escape") {
      setOpen(false);
      root.current?.querySelector<HTMLElement>("button")?.focus();
    }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const els = [...(root.current?.querySelectorAll<HTMLElement>("[role=menuitem]:not([disabled])") ?? [])];
      const i = els.indexOf(document.activeElement as HTMLElement);
      const n = e.key === "ArrowDown" ? (i + 1) % els.length : (i - 1 + els.length) % els.length;
      els[n]?.focus();
    }
  }
  return (
    <div class="menu" ref={root} onKeyDown={onKey}>
      <Button variant={variant} aria-haspopup="menu" aria-expanded={open} aria-controls={id} aria-label={buttonLabel} onClick={() => setOpen(!open)}>
        {label} <span aria-hidden="true" class="caret">▾</span>
      </Button>
      {open && (
        <div class={`menu-list menu-${align}`} role="menu" id={id}>
          {items.map((it, i) => (
            <button
              key={i}
              type="button"
              role="menuitem"
              class={`menu-item ${it.danger ? "is-danger" : ""}`}
              disabled={it.disabled}
              onClick={() => {
                setOpen(false);
                it.onSelect();
              }}
            >
              {it.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/* Toasts ------------------------------------------------------------------------- */

interface Toast {
  id: number;
  text: string;
  tone: "success" | "error" | "info";
}

const toasts = store<Toast[]>([]);
let toastId = 0;

export function toast(text: string, tone: Toast["tone"] = "success"): void {
  const id = ++toastId;
  toasts.update((t) => [...t.slice(-2), { id, text, tone }]);
  setTimeout(() => toasts.update((t) => t.filter((x) => x.id !== id)), tone === "error" ? 8000 : 4000);
}

export function Toaster() {
  const list = useStore(toasts);
  return (
    <div class="toaster" aria-live="polite" aria-atomic="false">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.tone}`} role={t.tone === "error" ? "alert" : "status"}>
          <span class="toast-icon" aria-hidden="true">
            {t.tone === "success" ? "✓" : t.tone === "error" ? "!" : "i"}
          </span>
          <span>{t.text}</span>
          <button class="icon-btn" aria-label="Dismiss" onClick={() => toasts.update((x) => x.filter((y) => y.id !== t.id))}>
            ✕
          </button>
        </div>
      ))}
    </div>
  );
}

/** A read-only value with a Copy button (a secret shown once, a link). */
export function CopyField({ label, value, hint, copiedText = "Copied to the clipboard" }: { label: string; value: string; hint?: ComponentChildren; copiedText?: string }) {
  const id = "cp" + useId();
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const el = document.getElementById(id) as HTMLInputElement | null;
      el?.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    toast(copiedText);
    setTimeout(() => setCopied(false), 2500);
  }
  return (
    <div class="field copy-link">
      <label for={id} class="field-label">
        {label}
      </label>
      <div class="copy-link-row">
        <input id={id} class="input mono" readOnly value={value} aria-describedby={hint ? id + "-hint" : undefined} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        <Button variant="primary" onClick={copy} aria-live="polite">
          {copied ? "Copied ✓" : "Copy"}
        </Button>
      </div>
      {hint && (
        <div class="field-hint" id={id + "-hint"}>
          {hint}
        </div>
      )}
    </div>
  );
}

/** The foot of a paged list: how many are shown, and "Load more" while there are more. */
export function ListFoot({ count, hasMore, busy, onMore, noun = "shown" }: { count: number; hasMore: boolean; busy: boolean; onMore: () => Promise<void>; noun?: string }) {
  return (
    <div class="table-foot">
      <span>
        {count} {noun}
        {hasMore ? "" : " · that is all"}
      </span>
      {hasMore && (
        <Button size="sm" busy={busy} onClick={() => onMore().catch((e) => toast(errorMessage(e), "error"))}>
          Load more
        </Button>
      )}
    </div>
  );
}

export function PageHeader({ title, subtitle, actions, crumbs }: { title: ComponentChildren; subtitle?: ComponentChildren; actions?: ComponentChildren; crumbs?: ComponentChildren }) {
  return (
    <header class="page-head">
      <div class="page-head-text">
        {crumbs && <nav class="crumbs" aria-label="Breadcrumb">{crumbs}</nav>}
        <h1 tabIndex={-1} class="page-title">
          {title}
        </h1>
        {subtitle && <div class="page-sub">{subtitle}</div>}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </header>
  );
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div class="error-state" role="alert">
      <div class="empty-icon" aria-hidden="true">!</div>
      <div class="empty-title">Something went wrong</div>
      <div class="empty-text">{message}</div>
      {onRetry && (
        <Button onClick={onRetry} size="sm">
          Try again
        </Button>
      )}
    </div>
  );
}

/**
 * The foot of a settings form: "Undo changes" (back to before, errors
 * cleared) while something changed, and the submit button, enabled then.
 */
export function SaveActions<T>({ form, before, dirty, label }: { form: Form<T>; before: T; dirty: boolean; label: string }) {
  return (
    <div class="form-actions">
      {dirty && (
        <Button
          onClick={() => {
            form.setAll(before);
            form.setErrors({});
            form.setFormError(null);
          }}
          disabled={form.busy}
        >
          Undo changes
        </Button>
      )}
      <Button type="submit" variant="primary" busy={form.busy} disabled={!dirty}>
        {label}
      </Button>
    </div>
  );
}
