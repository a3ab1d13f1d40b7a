/* multiselect.tsx - a filter button whose popover holds checkboxes (status, priority…). */
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { Option } from "./ui";

export function MultiSelect({ label, options, value, onValue, allLabel = "Any" }: {
  label: string;
  options: Option[];
  value: string[];
  onValue: (v: string[]) => void;
  allLabel?: string;
}) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const id = "ms" + useId();
  useEffect(() => {
    if (!open) return;
    const onDoc = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDoc);
    root.current?.querySelector<HTMLInputElement>("input")?.focus();
    return () => document.removeEventListener("mousedown", onDoc);
  }, [open]);
  const summary =
    value.length === 0
      ? allLabel
      : value.length === 1
        ? options.find((o) => o.value === value[0])?.label ?? value[0]
        : `${value.length} selected`;
  return (
    <div
      class="menu"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          setOpen(false);
          root.current?.querySelector<HTMLElement>("button")?.focus();
        }
      }}
    >
      <button
        type="button"
        class={`filter-btn ${value.length ? "is-set" : ""}`}
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen(!open)}
      >
        <span class="filter-btn-label">{label}:</span> {summary} <span class="caret" aria-hidden="true">▾</span>
      </button>
      {open && (
        <div class="menu-list menu-left popover" id={id} role="group" aria-label={label}>
          {options.map((o) => (
            <label class="popover-check" key={o.value}>
              <input
                type="checkbox"
                class="check"
                checked={value.includes(o.value)}
                onChange={(e) => {
                  const on = (e.currentTarget as HTMLInputElement).checked;
                  onValue(on ? [...value, o.value] : value.filter((v) => v !== o.value));
                }}
              />
              {o.label}
            </label>
          ))}
          <div class="popover-foot">
            <button type="button" class="link-btn" onClick={() => onValue([])}>
              {allLabel}
            </button>
            <button type="button" class="link-btn" onClick={() => setOpen(false)}>
              Done
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
