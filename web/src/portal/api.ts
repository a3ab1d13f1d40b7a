/*
 * api.ts - how the client portal speaks to the server: the staff UI's
 * request code (lib/api.ts: JSON, problem+json errors, the CSRF header on
 * unsafe methods) with every path under /api/v1/portal, and the portal's
 * own session: the signed-in contact (the servio_portal cookie is
 * HttpOnly; what the UI keeps is the contact and the CSRF token of the
 * login, activation or /auth/me reply). A 401 on a signed-in call means the
 * session ended: back to the portal's sign-in page.
 */
import { ApiError, onUnauthorized, request, setCsrfToken, type ListPage, type Query } from "../lib/api";
import { navigate } from "../lib/router";
import { store } from "../lib/store";

export type PortalRole = "technical" | "billing" | "admin";

export interface Contact {
  id: number;
  first_name: string;
  last_name: string;
  email: string;
  company_id: number;
  company_name: string;
  portal_role: PortalRole;
  totp_enabled: boolean;
}

export interface Firm {
  firm_name: string;
  phone: string | null;
  email: string | null;
  website: string | null;
  logo_url: string | null;
}

export type PortalSession =
  | { state: "loading" }
  | { state: "signed-out"; notice?: string }
  | { state: "signed-in"; contact: Contact };

export const portalSession = store<PortalSession>({ state: "loading" });

/** The firm the portal speaks for: its name and logo brand every page. */
export const firm = store<Firm | null>(null);

const P = "/portal";

export const papi = {
  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return (await request<T>("GET", P + path, { query, signal })).data;
  },
  async list<T>(path: string, query?: Query, signal?: AbortSignal): Promise<ListPage<T>> {
    return (await request<ListPage<T>>("GET", P + path, { query, signal })).data;
  },
  async post<T>(path: string, body?: unknown): Promise<T> {
    return (await request<T>("POST", P + path, { body: body ?? {} })).data;
  },
  async del<T>(path: string, body?: unknown): Promise<T> {
    return (await request<T>("DELETE", P + path, { body })).data;
  },
  /** POST of a multipart/form-data body (file uploads). */
  async upload<T>(path: string, form: FormData): Promise<T> {
    return (await request<T>("POST", P + path, { body: form })).data;
  },
  /** Calls made before there is a session: no CSRF token, a 401 is an answer, not an expiry. */
  async anonymous<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return (await request<T>(method, P + path, { body, anonymous: true, signal })).data;
  },
};

/** Where a file of the ticket is downloaded (a plain link: the cookie goes with it). */
export function downloadUrl(attachmentId: number): string {
  return `/api/v1${P}/attachments/${attachmentId}/content`;
}

/** A PDF of a quote or an invoice. */
export function pdfUrl(kind: "quotes" | "invoices", id: number): string {
  return `/api/v1${P}/${kind}/${id}.pdf`;
}

interface SignedIn {
  contact: Contact;
  csrf_token: string;
}

function signedIn(reply: SignedIn): Contact {
  setCsrfToken(reply.csrf_token);
  portalSession.set({ state: "signed-in", contact: reply.contact });
  return reply.contact;
}

/** On start: the firm for the header, and whether a session is there already. */
export async function restorePortal(): Promise<void> {
  papi
    .anonymous<Firm>("GET", "/firm")
    .then((f) => firm.set(f))
    .catch(() => undefined); // unbranded rather than broken
  try {
    signedIn(await papi.anonymous<SignedIn>("GET", "/auth/me"));
  } catch (e) {
    setCsrfToken(null);
    portalSession.set({ state: "signed-out" });
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
  }
}

export async function portalSignIn(email: string, password: string, totp?: string): Promise<Contact> {
  const body: Record<string, string> = { email, password };
  if (totp) body.totp = totp;
  return signedIn(await papi.anonymous<SignedIn>("POST", "/auth/login", body));
}

export async function portalActivate(token: string, password: string): Promise<Contact> {
  return signedIn(await papi.anonymous<SignedIn>("POST", "/auth/activate", { token, password }));
}

export async function portalSignOut(): Promise<void> {
  try {
    await papi.post("/auth/logout");
  } catch {
    /* the session may be gone already: signed out either way */
  }
  setCsrfToken(null);
  portalSession.set({ state: "signed-out", notice: "You are signed out." });
  navigate("/portal/signin", { replace: true });
}

/** The contact changed (two-factor on or off): the header and the account page follow. */
export function updateContact(fn: (c: Contact) => Contact): void {
  const s = portalSession.get();
  if (s.state === "signed-in") portalSession.set({ state: "signed-in", contact: fn(s.contact) });
}

/** What a portal role may see: the navigation and the routes both ask this. */
export function sees(role: PortalRole, area: "technical" | "billing"): boolean {
  return role === "admin" || role === area;
}

/** Where to go after signing in: the ?next= of the sign-in page when it is a portal page, else home. */
export function nextOr(search: string, home: string): string {
  const next = new URLSearchParams(search).get("next");
  return next && next.startsWith("/portal/") && !next.startsWith("//") ? next : home;
}

/** The first page after sign-in for the role. */
export function homeOf(role: PortalRole): string {
  return sees(role, "technical") ? "/portal/tickets" : "/portal/invoices";
}

export function installPortalUnauthorized(): void {
  onUnauthorized(() => {
    if (portalSession.get().state !== "signed-in") return;
    setCsrfToken(null);
    portalSession.set({ state: "signed-out", notice: "Your session expired. Please sign in again." });
    const here = window.location.pathname + window.location.search;
    navigate("/portal/signin" + (here.startsWith("/portal/") && !here.startsWith("/portal/signin") ? "?next=" + encodeURIComponent(here) : ""), {
      replace: true,
    });
  });
}
