/*
 * Auth.tsx - the portal's pages before a session: sign in (then the
 * authenticator code when the contact has two-factor on), activate an
 * invitation by choosing a password, ask for a reset link, and choose a new
 * password from that link. All in the firm's name and logo.
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Alert, Button, ErrorState, Loading, TextField } from "../../components/ui";
import { ApiError, errorMessage } from "../../lib/api";
import { useForm, useLoad, type Form } from "../../lib/hooks";
import { navigate } from "../../lib/router";
import { homeOf, papi, portalActivate, portalSignIn } from "../api";
import { Brand, FirmContact, usePortalTitle } from "../ui";

function AuthFrame({ title, sub, children }: { title: string; sub?: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="portal-auth">
      <div class="portal-auth-card">
        <div class="portal-auth-brand">
          <Brand large />
        </div>
        <h1 tabIndex={-1}>{title}</h1>
        {sub && <p class="portal-auth-sub">{sub}</p>}
        {children}
      </div>
      <FirmContact />
    </div>
  );
}

/** "Retry-After" is not readable here: the problem's detail says how long. */
function loginError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.kind === "invalid-credentials") return "The e-mail address or password is wrong.";
    if (err.kind === "invalid-totp") return "That code is wrong, expired or already used. Enter the current code from your authenticator app.";
    if (err.status === 429) return "Too many attempts. " + errorMessage(err).replace(/^./, (c) => c.toUpperCase());
  }
  return errorMessage(err);
}

export function SignInPage({ notice }: { notice?: string }) {
  usePortalTitle("Sign in");
  const [step, setStep] = useState<"password" | "totp">("password");
  const form = useForm({ email: "", password: "", totp: "" });
  const v = form.values;

  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async () => {
      try {
        // signed in: the app moves on from the sign-in page (to ?next= or home)
        await portalSignIn(v.email.trim(), v.password, step === "totp" ? v.totp.trim() : undefined);
      } catch (err) {
        if (err instanceof ApiError && (err.kind === "totp-required" || err.kind.endsWith("totp-required"))) {
          setStep("totp");
          return;
        }
        if (err instanceof ApiError && err.kind.endsWith("invalid-credentials")) setStep("password");
        if (err instanceof ApiError && err.kind.endsWith("invalid-totp")) form.set("totp", "");
        if (err instanceof ApiError && err.problem.errors?.length) throw err;
        throw new Error(loginError(err));
      }
    });
  }

  return (
    <AuthFrame
      title={step === "password" ? "Sign in to your client portal" : "Two-factor sign-in"}
      sub={step === "password" ? "Follow your service requests, quotes and invoices." : `Enter the 6-digit code from your authenticator app for ${v.email}.`}
    >
      {notice && !form.formError && <Alert tone="info">{notice}</Alert>}
      {form.formError && <Alert tone="error">{form.formError}</Alert>}
      <form onSubmit={submit} noValidate class="stack" aria-label="Sign in">
        {step === "password" ? (
          <>
            <TextField label="E-mail" type="email" name="email" autoComplete="username" inputMode="email" value={v.email} onValue={(x) => form.set("email", x)} error={form.errors.email} autoFocus required />
            <TextField label="Password" type="password" name="password" autoComplete="current-password" value={v.password} onValue={(x) => form.set("password", x)} error={form.errors.password} required />
          </>
        ) : (
          <TextField label="Authenticator code" name="totp" inputMode="numeric" autoComplete="one-time-code" value={v.totp} onValue={(x) => form.set("totp", x)} error={form.errors.totp} placeholder="123456" autoFocus required />
        )}
        <Button type="submit" variant="primary" busy={form.busy} class="btn-block">
          {step === "password" ? "Sign in" : "Verify and sign in"}
        </Button>
        {step === "totp" ? (
          <button type="button" class="link-btn" onClick={() => { setStep("password"); form.set("totp", ""); form.setFormError(null); }}>
            Use another account
          </button>
        ) : (
          <a class="portal-auth-link" href="/portal/forgot">
            Forgot your password?
          </a>
        )}
      </form>
    </AuthFrame>
  );
}

type PasswordValues = { password: string; confirm: string };

function PasswordFields({ form }: { form: Form<PasswordValues> }) {
  const v = form.values;
  return (
    <>
      <TextField label="New password" type="password" name="password" autoComplete="new-password" value={v.password} onValue={(x) => form.set("password", x)} error={form.errors.password} hint="At least 10 characters, not your name or e-mail. A few unrelated words make a good one." autoFocus required />
      <TextField label="Repeat the password" type="password" name="confirm" autoComplete="new-password" value={v.confirm} onValue={(x) => form.set("confirm", x)} error={form.errors.confirm} required />
    </>
  );
}

/** Both typed alike, else the error goes beside the repeat. */
function samePasswords(form: Form<PasswordValues>): boolean {
  if (form.values.password !== form.values.confirm) {
    form.setErrors({ confirm: "The two passwords are not the same." });
    return false;
  }
  return true;
}

interface Invitation {
  email: string;
  first_name: string;
  company_name: string;
}

export function ActivatePage({ token }: { token: string }) {
  usePortalTitle("Activate your account");
  const inv = useLoad((signal) => papi.anonymous<Invitation>("GET", `/auth/invitation/${encodeURIComponent(token)}`, undefined, signal), [token]);
  const form = useForm({ password: "", confirm: "" });

  async function submit(e: Event) {
    e.preventDefault();
    if (!samePasswords(form)) return;
    await form.submit(async (v) => {
      const c = await portalActivate(token, v.password);
      navigate(homeOf(c.portal_role), { replace: true });
    });
  }

  if (inv.error)
    return (
      <AuthFrame title="This invitation cannot be used">
        <ErrorState message={/not found|no such|expired|used/i.test(inv.error) ? "The link has expired or was used already. Ask us for a new invitation, or reset your password if you have activated your account." : inv.error} />
        <a class="portal-auth-link" href="/portal/signin">
          Go to sign-in
        </a>
      </AuthFrame>
    );
  if (!inv.data)
    return (
      <AuthFrame title="Activate your account">
        <Loading rows={3} label="Checking the invitation…" />
      </AuthFrame>
    );
  const d = inv.data;
  return (
    <AuthFrame title={`Welcome, ${d.first_name}`} sub={<>Choose a password for <strong>{d.email}</strong> to open the client portal of {d.company_name}.</>}>
      {form.formError && <Alert tone="error">{form.formError}</Alert>}
      <form onSubmit={submit} noValidate class="stack" aria-label="Choose a password">
        <input type="email" name="username" autoComplete="username" value={d.email} hidden readOnly />
        <PasswordFields form={form} />
        <Button type="submit" variant="primary" busy={form.busy} class="btn-block">
          Activate and sign in
        </Button>
      </form>
    </AuthFrame>
  );
}

export function ForgotPage() {
  usePortalTitle("Forgot your password");
  const form = useForm({ email: "" });
  const [sent, setSent] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const ok = await form.submit(async (v) => {
      await papi.anonymous("POST", "/auth/reset-request", { email: v.email.trim() });
    });
    if (ok) setSent(true);
  }

  return (
    <AuthFrame title="Forgot your password?" sub={sent ? undefined : "We will send a link to choose a new one."}>
      {sent ? (
        <Alert tone="success" title="Check your e-mail">
          If {form.values.email.trim()} has access to the portal, a link to choose a new password is on its way. It works once and for a short time.
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate class="stack" aria-label="Ask for a reset link">
          {form.formError && <Alert tone="error">{form.formError}</Alert>}
          <TextField label="E-mail" type="email" name="email" autoComplete="username" inputMode="email" value={form.values.email} onValue={(x) => form.set("email", x)} error={form.errors.email} autoFocus required />
          <Button type="submit" variant="primary" busy={form.busy} class="btn-block" disabled={!form.values.email.trim()}>
            Send the link
          </Button>
        </form>
      )}
      <a class="portal-auth-link" href="/portal/signin">
        Back to sign-in
      </a>
    </AuthFrame>
  );
}

export function ResetPage({ token }: { token: string }) {
  usePortalTitle("Choose a new password");
  const form = useForm({ password: "", confirm: "" });
  const [done, setDone] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (!samePasswords(form)) return;
    const ok = await form.submit(async (v) => {
      try {
        await papi.anonymous("POST", "/auth/reset", { token, password: v.password });
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 410))
          throw new Error("This link has expired or was used already. Ask for a new one.");
        throw err;
      }
    });
    if (ok) setDone(true);
  }

  return (
    <AuthFrame title="Choose a new password">
      {done ? (
        <>
          <Alert tone="success" title="Your password is changed">
            Sign in with your new password.
          </Alert>
          <a class="btn btn-primary btn-md btn-block" href="/portal/signin">
            Go to sign-in
          </a>
        </>
      ) : (
        <>
          {form.formError && <Alert tone="error">{form.formError}</Alert>}
          <form onSubmit={submit} noValidate class="stack" aria-label="Choose a new password">
            <PasswordFields form={form} />
            <Button type="submit" variant="primary" busy={form.busy} class="btn-block">
              Save the new password
            </Button>
          </form>
          <a class="portal-auth-link" href="/portal/forgot">
            Ask for a new link
          </a>
        </>
      )}
    </AuthFrame>
  );
}
