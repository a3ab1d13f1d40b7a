/*
 * session.ts - who is signed in, and what their role may do.
 *
 * The capability table mirrors the route table's roles (`servio routes`):
 * the UI hides what the API would refuse, and the API stays the judge.
 */
import { api, ApiError, onUnauthorized, setCsrfToken } from "./api";
import { navigate } from "./router";
import { store } from "./store";

export type Role = "admin" | "manager" | "technician" | "sales" | "billing";

export interface Me {
  id: number;
  email: string;
  name: string;
  role: Role;
  skills: string[];
  totp_enabled: boolean;
}

export type Session =
  | { state: "loading" }
  | { state: "signed-out"; notice?: string }
  | { state: "signed-in"; user: Me };

export const session = store<Session>({ state: "loading" });

const ALL: Role[] = ["admin", "manager", "technician", "sales", "billing"];
const DESK: Role[] = ["admin", "manager", "technician", "sales"];
const MANAGERS: Role[] = ["admin", "manager"];

const caps = {
  "tickets.create": DESK,
  "tickets.edit": DESK,
  "notes.add": DESK,
  "checklist.edit": DESK,
  "tickets.escalate": DESK,
  "time.log": ["admin", "manager", "technician"],
  "parts.add": ["admin", "manager", "technician"],
  "assign.override": MANAGERS,
  "contracts.view": ["admin", "manager", "sales", "billing"],
  "clients.edit": ALL,
  "clients.archive": MANAGERS,
  "appointments.edit": ["admin", "manager", "technician"],
  "settings.view": MANAGERS,
  "users.edit": ["admin"],
  "certifications.edit": MANAGERS,
  "config.edit": MANAGERS,
  "products.edit": ["admin", "manager", "sales"],
  "opportunities.edit": ["admin", "manager", "sales"],
  "quotes.view": ["admin", "manager", "sales", "billing"],
  "quotes.edit": ["admin", "manager", "sales"],
  "reports.sales": ["admin", "manager", "sales"],
  "worktypes.edit": MANAGERS,
  "tickets.merge": DESK,
  "time.edit": ["admin", "manager", "technician"],
  "time.archive": MANAGERS,
  "parts.edit": ["admin", "manager", "technician"],
  "parts.archive": MANAGERS,
  "recurring.edit": MANAGERS,
  "audit.view": MANAGERS,
  "tokens.own": ALL,
  "tokens.all": ["admin"],
} satisfies Record<string, Role[]>;

export type Capability = keyof typeof caps;

export function can(cap: Capability, role?: Role): boolean {
  const r = role ?? currentUser()?.role;
  return !!r && (caps[cap] as Role[]).includes(r);
}

export function currentUser(): Me | null {
  const s = session.get();
  return s.state === "signed-in" ? s.user : null;
}

interface MeReply {
  user: Me;
  csrf_token?: string;
}

/** On start: is there a session already (the cookie is HttpOnly)? */
export async function restore(): Promise<void> {
  try {
    const me = await api.get<MeReply>("/me");
    setCsrfToken(me.csrf_token ?? null);
    session.set({ state: "signed-in", user: me.user });
  } catch (e) {
    setCsrfToken(null);
    session.set({ state: "signed-out" });
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
  }
}

export async function signIn(email: string, password: string, totp?: string): Promise<Me> {
  const body: Record<string, string> = { email, password };
  if (totp) body.totp = totp;
  const reply = await api.post<{ user: Me; csrf_token: string }>("/auth/login", body);
  setCsrfToken(reply.csrf_token);
  session.set({ state: "signed-in", user: reply.user });
  return reply.user;
}

export async function signOut(): Promise<void> {
  try {
    await api.post("/auth/logout");
  } catch {
    /* the session may be gone already: signed out either way */
  }
  setCsrfToken(null);
  session.set({ state: "signed-out", notice: "You are signed out." });
  navigate("/signin", { replace: true });
}

onUnauthorized(() => {
  if (session.get().state !== "signed-in") return;
  setCsrfToken(null);
  session.set({ state: "signed-out", notice: "Your session expired. Please sign in again." });
  const here = window.location.pathname + window.location.search;
  navigate("/signin" + (here !== "/" && !here.startsWith("/signin") ? "?next=" + encodeURIComponent(here) : ""), {
    replace: true,
  });
});
