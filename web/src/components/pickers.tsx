/*
 * pickers.tsx - choosing a record: a company search combobox (the
 * companies list can be long, so it searches as you type and never loads
 * everything) and a user select over the small staff list.
 */
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { api } from "../lib/api";
import { useDebounced } from "../lib/hooks";
import { remember, useRecord, users } from "../lib/lookup";
import { money } from "../lib/format";
import type { Company, Product, User } from "../lib/types";
import { SelectField } from "./ui";

type PickKind = "companies" | "products" | "contacts" | "tickets" | "sites";

/**
 * A search-as-you-type combobox over a list route (`path`), for lists too
 * long to load whole. Shows the chosen record with Change/Clear.
 */
export function SearchPicker<T extends { id: number }>({ label, value, onValue, error, required, hideLabel, placeholder, id: givenId, kind, query, display, meta, noneText, exclude, hint }: {
  label: string;
  value: number | null;
  onValue: (id: number | null, rec?: T) => void;
  error?: string;
  required?: boolean;
  hideLabel?: boolean;
  placeholder?: string;
  id?: string;
  kind: PickKind;
  query?: Record<string, string | number>;
  display: (r: T) => string;
  meta?: (r: T) => string;
  noneText?: string;
  /** records never offered (the ticket itself, when merging) */
  exclude?: (r: T) => boolean;
  hint?: string;
}) {
  const auto = useId();
  const id = givenId ?? "sp" + auto;
  const selected = useRecord<T>(kind, value);
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<T[]>([]);
  const [active, setActive] = useState(0);
  const [loading, setLoading] = useState(false);
  const q = useDebounced(text, 200);
  const box = useRef<HTMLDivElement>(null);
  const qkey = JSON.stringify(query ?? {});

  useEffect(() => {
    if (!open) return;
    const ctl = new AbortController();
    setLoading(true);
    api
      .list<T>("/" + kind, { ...(query ?? {}), q: q.trim() || undefined, limit: 8 }, ctl.signal)
      .then((p) => {
        setItems(exclude ? p.data.filter((r) => !exclude(r)) : p.data);
        setActive(0);
        setLoading(false);
        p.data.forEach((c) => remember(kind, c));
      })
      .catch(() => setLoading(false));
    return () => ctl.abort();
  }, [q, open, qkey]);

  useEffect(() => {
    const onDoc = (e: MouseEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDoc);
    return () => document.removeEventListener("mousedown", onDoc);
  }, []);

  function choose(c: T) {
    onValue(c.id, c);
    setText("");
    setOpen(false);
  }

  const listId = id + "-list";
  return (
    <div class={`field ${error ? "has-error" : ""}`} ref={box}>
      <label for={id} class={hideLabel ? "sr-only" : "field-label"}>
        {label}
        {required && <span class="req" aria-hidden="true"> *</span>}
      </label>
      {value && selected !== undefined && !open ? (
        <div class="picked">
          <span class="picked-name">{selected ? display(selected) : `#${value}`}</span>
          <button type="button" class="link-btn" id={id} aria-label={`Change ${label.toLowerCase()}`} onClick={() => { setOpen(true); setTimeout(() => box.current?.querySelector("input")?.focus(), 0); }}>
            Change
          </button>
          {!required && (
            <button type="button" class="link-btn" aria-label={`Clear ${label.toLowerCase()}`} onClick={() => onValue(null)}>
              Clear
            </button>
          )}
        </div>
      ) : (
        <div class="combo">
          <input
            id={id}
            class="input"
            role="combobox"
            aria-expanded={open}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={open && items[active] ? `${listId}-${items[active].id}` : undefined}
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? id + "-error" : hint ? id + "-hint" : undefined}
            placeholder={placeholder}
            value={text}
            autoComplete="off"
            onFocus={() => setOpen(true)}
            onInput={(e) => {
              setText((e.currentTarget as HTMLInputElement).value);
              setOpen(true);
            }}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown") {
                e.preventDefault();
                setOpen(true);
                setActive((a) => Math.min(a + 1, items.length - 1));
              } else if (e.key === "ArrowUp") {
                e.preventDefault();
                setActive((a) => Math.max(a - 1, 0));
              } else if (e.key === "Enter" && open && items[active]) {
                e.preventDefault();
                choose(items[active]);
              } else if (e.key === "Escape" && open) {
                e.stopPropagation();
                setOpen(false);
              }
            }}
          />
          {open && (
            <ul class="combo-list" role="listbox" id={listId} aria-label={label}>
              {loading && items.length === 0 && <li class="combo-empty">Searching…</li>}
              {!loading && items.length === 0 && <li class="combo-empty">{noneText ?? "Nothing matches"}</li>}
              {items.map((c, i) => (
                <li
                  key={c.id}
                  id={`${listId}-${c.id}`}
                  role="option"
                  aria-selected={i === active}
                  class={`combo-item ${i === active ? "is-active" : ""}`}
                  onMouseDown={(e) => {
                    e.preventDefault();
                    choose(c);
                  }}
                  onMouseEnter={() => setActive(i)}
                >
                  <span>{display(c)}</span>
                  {meta && <span class="combo-meta">{meta(c)}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
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

export function CompanyPicker(p: {
  label?: string;
  value: number | null;
  onValue: (id: number | null) => void;
  error?: string;
  required?: boolean;
  hideLabel?: boolean;
  placeholder?: string;
  id?: string;
}) {
  return (
    <SearchPicker<Company>
      {...p}
      label={p.label ?? "Company"}
      placeholder={p.placeholder ?? "Search companies…"}
      kind="companies"
      query={{ sort: "name" }}
      display={(c) => c.name}
      meta={(c) => c.kind}
      noneText="No companies match"
    />
  );
}

export function ProductPicker(p: { value: number | null; onValue: (id: number | null, rec?: Product) => void; error?: string; id?: string; required?: boolean }) {
  return (
    <SearchPicker<Product>
      {...p}
      label="Product"
      placeholder="Search by name or SKU…"
      kind="products"
      query={{ sort: "name" }}
      display={(x) => x.name}
      meta={(x) => (x.unit_price === undefined ? x.sku : `${x.sku} · ${money(x.unit_price, x.currency)}`)}
      noneText="No products match"
    />
  );
}

export function UserSelect({ label, value, onValue, error, placeholder = "Unassigned", filter, hint, id, required }: {
  label: string;
  value: number | null;
  onValue: (id: number | null) => void;
  error?: string;
  placeholder?: string;
  filter?: (u: User) => boolean;
  hint?: string;
  id?: string;
  required?: boolean;
}) {
  const list = users.use();
  const opts = (list ?? [])
    .filter((u) => u.active && !u.archived_at && (!filter || filter(u)))
    .map((u) => ({ value: String(u.id), label: `${u.name} (${u.role})` }));
  return (
    <SelectField
      id={id}
      label={label}
      value={value ? String(value) : ""}
      onValue={(v) => onValue(v ? Number(v) : null)}
      options={opts}
      placeholder={placeholder}
      error={error}
      hint={hint}
      required={required}
    />
  );
}
