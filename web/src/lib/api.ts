/*
 * api.ts - the one way the UI speaks to the server.
 *
 * JSON in and out under /api/v1, cookies same-origin. A session cookie is
 * HttpOnly, so the UI never sees it; what it must send itself is the CSRF
 * token from the sign-in reply (or GET /me) as X-CSRF-Token on every unsafe
 * method. PATCH and DELETE carry If-Match with the record's version (its
 * ETag). Errors are RFC 9457 problems, turned into ApiError with the
 * field-level errors by field name so forms can show them beside the field.
 * A 401 on a signed-in call means the session ended: the handler set by the
 * session module sends the user back to sign-in.
 */

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.status = problem.status;
    this.problem = problem;
  }

  /** The problem's slug: "validation", "totp-required", "conflict", … */
  get kind(): string {
    const t = this.problem.type || "";
    return t.startsWith("urn:servio:problem:") ? t.slice("urn:servio:problem:".length) : t;
  }

  /** Field errors by field name (the first message of each field). */
  get fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) if (!(e.field in out)) out[e.field] = e.message;
    return out;
  }
}

export interface ListPage<T> {
  data: T[];
  next_cursor: string | null;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  /** The record's version (or an ETag): sent as If-Match. */
  version?: number | string;
  query?: Query;
  signal?: AbortSignal;
  /** Routes under /api/v1/public/: no CSRF token, a 401 is no session expiry. */
  anonymous?: boolean;
  idempotencyKey?: string;
}

export interface Reply<T> {
  data: T;
  etag: string | null;
  status: number;
}

const BASE = "/api/v1";
let csrfToken: string | null = null;
let unauthorized: ((p: Problem) => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called with the problem when a signed-in request gets 401. */
export function onUnauthorized(fn: (p: Problem) => void): void {
  unauthorized = fn;
}

export function buildQuery(q?: Query): string {
  if (!q) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === "") continue;
    parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(String(v)));
  }
  return parts.length ? "?" + parts.join("&") : "";
}

function ifMatch(v: number | string): string {
  if (typeof v === "number") return `"${v}"`;
  return v.startsWith('"') || v.startsWith("W/") || v === "*" ? v : `"${v}"`;
}

function unsafe(method: string): boolean {
  return !["GET", "HEAD", "OPTIONS"].includes(method);
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  let body: string | FormData | Blob | undefined;
  if (opts.body instanceof FormData) {
    body = opts.body; // multipart/form-data: the browser sets the type and its boundary
  } else if (opts.body instanceof Blob) {
    headers["Content-Type"] = "text/csv";
    body = opts.body; // fetch sends a Blob as its bytes
  } else if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  if (unsafe(method) && csrfToken && !opts.anonymous) headers["X-CSRF-Token"] = csrfToken;
  if (opts.version !== undefined) headers["If-Match"] = ifMatch(opts.version);
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;

  let res: Response;
  try {
    res = await fetch(BASE + path + buildQuery(opts.query), {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError({
      type: "urn:servio:problem:network",
      title: "Network error",
      status: 0,
      detail: "Cannot reach the server. Check your connection and try again.",
    });
  }

  const type = res.headers.get("Content-Type") || "";
  let data: unknown = null;
  if (res.status !== 204 && type.includes("json")) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const p = (data && typeof data === "object" ? data : {}) as Partial<Problem>;
    const problem: Problem = {
      type: p.type || "about:blank",
      title: p.title || res.statusText || "Error",
      status: p.status || res.status,
      detail: p.detail || p.title || `The server answered ${res.status}.`,
      errors: Array.isArray(p.errors) ? p.errors : undefined,
    };
    if (res.status === 401 && !opts.anonymous && path !== "/auth/login" && unauthorized) unauthorized(problem);
    throw new ApiError(problem);
  }
  return { data: data as T, etag: res.headers.get("ETag"), status: res.status };
}

export const api = {
  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return (await request<T>("GET", path, { query, signal })).data;
  },
  async list<T>(path: string, query?: Query, signal?: AbortSignal): Promise<ListPage<T>> {
    return (await request<ListPage<T>>("GET", path, { query, signal })).data;
  },
  async post<T>(path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    return (await request<T>("POST", path, { ...opts, body: body ?? {} })).data;
  },
  async patch<T>(path: string, body: unknown, version: number | string): Promise<T> {
    return (await request<T>("PATCH", path, { body, version })).data;
  },
  /** POST of a multipart/form-data body (file uploads). */
  async upload<T>(path: string, form: FormData): Promise<T> {
    return (await request<T>("POST", path, { body: form })).data;
  },
  /** POST of a file as the body itself, as text/csv (an import; .csv may come typed otherwise). */
  async sendCsv<T>(path: string, file: Blob, query?: Query): Promise<T> {
    return (await request<T>("POST", path, { body: file, query })).data;
  },
  /** DELETE with If-Match from the record's version (API tokens have none: leave it out). */
  async del(path: string, version?: number | string): Promise<void> {
    await request<unknown>("DELETE", path, { version });
  },
};

/** Every page of a small list (users, work types…), capped so nothing runs away. */
export async function listAll<T>(path: string, query: Query = {}, cap = 1000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: ListPage<T> = await api.list<T>(path, { ...query, limit: 200, cursor });
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && out.length < cap);
  return out;
}

/** A message for people from any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 412) return "Someone else changed this record in the meantime. Reload it and try again.";
    if (e.status === 403 && e.kind === "forbidden") return "Your role does not allow this.";
    return e.problem.detail;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
