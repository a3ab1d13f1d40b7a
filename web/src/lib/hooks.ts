/* hooks.ts - loading data, forms that show the API's field errors, debouncing. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, errorMessage, type Query } from "./api";

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
  set: (v: T) => void;
}

/** Runs load when deps change (and on reload); the last call wins. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    load(ctl.signal).then(
      (v) => {
        if (ctl.signal.aborted) return;
        setData(v);
        setLoading(false);
      },
      (e) => {
        if (ctl.signal.aborted || (e as Error).name === "AbortError") return;
        setError(errorMessage(e));
        setLoading(false);
      },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload, set: setData };
}

export interface Paged<T> {
  /** the rows so far (null until the first page is in) */
  rows: T[] | null;
  error: string | null;
  /** a next page exists */
  hasMore: boolean;
  /** the next page is loading */
  more: boolean;
  /** rejects when the page cannot be loaded (the rows stay) */
  loadMore: () => Promise<void>;
  reload: () => void;
  /** change the rows in place (after an edit) without reloading */
  update: (fn: (rows: T[]) => T[]) => void;
}

/**
 * A cursor-paged list (pages of `limit`, 25 by default, with "Load more"):
 * the first page loads when deps change or on reload; the last call wins.
 */
export function usePaged<T>(path: string, query: Query, deps: unknown[], limit = 25): Paged<T> {
  const [rows, setRows] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [n, setN] = useState(0);
  const q = useRef(query);
  q.current = { ...query, limit };
  useEffect(() => {
    const ctl = new AbortController();
    setRows(null);
    setError(null);
    api.list<T>(path, q.current, ctl.signal).then(
      (p) => {
        if (ctl.signal.aborted) return;
        setRows(p.data);
        setCursor(p.next_cursor);
      },
      (e) => {
        if (ctl.signal.aborted || (e as Error).name === "AbortError") return;
        setError(errorMessage(e));
      },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, ...deps, n]);
  async function loadMore() {
    if (!cursor || more) return;
    setMore(true);
    try {
      const p = await api.list<T>(path, { ...q.current, cursor });
      setRows((r) => [...(r ?? []), ...p.data]);
      setCursor(p.next_cursor);
    } finally {
      setMore(false);
    }
  }
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { rows, error, hasMore: !!cursor, more, loadMore, reload, update: (fn) => setRows((r) => (r ? fn(r) : r)) };
}

export function useDebounced<T>(value: T, ms = 250): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export interface Form<T> {
  values: T;
  errors: Record<string, string>;
  formError: string | null;
  busy: boolean;
  set: <K extends keyof T>(name: K, value: T[K]) => void;
  setAll: (v: T) => void;
  submit: (fn: (values: T) => Promise<void>) => Promise<boolean>;
  setErrors: (e: Record<string, string>) => void;
  setFormError: (e: string | null) => void;
}

/**
 * Form state. submit() runs fn; an ApiError's field errors land beside the
 * fields this form has (keys of the initial values, or extraFields), the
 * rest and the problem's detail above the form; focus goes to the first
 * field in error.
 */
export function useForm<T extends Record<string, unknown>>(initial: T, extraFields: string[] = []): Form<T> {
  const [values, setValues] = useState<T>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);
  const known = new Set([...Object.keys(initial), ...extraFields]);

  const set = useCallback(<K extends keyof T>(name: K, value: T[K]) => {
    setValues((v) => ({ ...v, [name]: value }));
    setErrors((e) => {
      if (!(name as string in e)) return e;
      const c = { ...e };
      delete c[name as string];
      return c;
    });
  }, []);

  async function submit(fn: (values: T) => Promise<void>): Promise<boolean> {
    if (busyRef.current) return false;
    busyRef.current = true;
    setBusy(true);
    setErrors({});
    setFormError(null);
    try {
      await fn(values);
      return true;
    } catch (e) {
      if (e instanceof ApiError) {
        const fields = e.fields;
        const mine: Record<string, string> = {};
        const other: string[] = [];
        for (const [f, m] of Object.entries(fields)) {
          if (known.has(f)) mine[f] = m;
          else other.push(f ? `${f.replace(/_/g, " ")} ${m}` : m);
        }
        setErrors(mine);
        const hasMine = Object.keys(mine).length > 0;
        setFormError(
          other.length
            ? other.join("; ")
            : hasMine
              ? "Please correct the highlighted fields."
              : errorMessage(e),
        );
        if (hasMine)
          setTimeout(() => {
            const el = document.querySelector<HTMLElement>("[aria-invalid='true']");
            el?.focus();
          }, 0);
      } else {
        setFormError(errorMessage(e));
      }
      return false;
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  }

  return { values, errors, formError, busy, set, setAll: setValues, submit, setErrors, setFormError };
}

/** document.title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Servio` : "Servio";
  }, [title]);
}
