/* SignIn.tsx - e-mail and password, then the authenticator code when the account has one. */
import { useState } from "preact/hooks";
import { Alert, Button, TextField } from "../components/ui";
import { ApiError, errorMessage } from "../lib/api";
import { useTitle } from "../lib/hooks";
import { navigate } from "../lib/router";
import { signIn } from "../lib/session";

export function SignIn({ notice }: { notice?: string }) {
  useTitle("Sign in");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [step, setStep] = useState<"password" | "totp">("password");
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await signIn(email.trim(), password, step === "totp" ? totp.trim() : undefined);
      const next = new URLSearchParams(window.location.search).get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.kind === "totp-required") {
        setStep("totp");
      } else if (err instanceof ApiError && err.kind === "invalid-totp") {
        setError("That code is wrong, expired or already used. Enter the current code from your authenticator app.");
        setTotp("");
      } else if (err instanceof ApiError && err.kind === "invalid-credentials") {
        setError("The e-mail address or password is wrong.");
        setStep("password");
      } else if (err instanceof ApiError && err.status === 429) {
        setError(errorMessage(err).replace(/^./, (c) => c.toUpperCase()) + ".");
      } else if (err instanceof ApiError && err.problem.errors) {
        setFieldErrors(err.fields);
        setError("Please fill in the highlighted fields.");
      } else {
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="auth-page">
      <div class="auth-card">
        <div class="auth-brand">
          <span class="brand-mark" aria-hidden="true">S</span>
          <span class="brand-name">Servio</span>
        </div>
        <h1 class="auth-title" tabIndex={-1}>
          {step === "password" ? "Sign in to your workspace" : "Two-factor sign-in"}
        </h1>
        {step === "totp" && <p class="auth-sub">Enter the 6-digit code from your authenticator app for {email}.</p>}
        {notice && !error && <Alert tone="info">{notice}</Alert>}
        {error && <Alert tone="error">{error}</Alert>}
        <form onSubmit={submit} noValidate class="stack">
          {step === "password" ? (
            <>
              <TextField label="E-mail" type="email" name="email" autoComplete="username" value={email} onValue={setEmail} error={fieldErrors.email} autoFocus required />
              <TextField label="Password" type="password" name="password" autoComplete="current-password" value={password} onValue={setPassword} error={fieldErrors.password} required />
            </>
          ) : (
            <TextField
              label="Authenticator code"
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={totp}
              onValue={setTotp}
              placeholder="123456"
              autoFocus
              required
            />
          )}
          <Button type="submit" variant="primary" busy={busy} class="btn-block">
            {step === "password" ? "Sign in" : "Verify and sign in"}
          </Button>
          {step === "totp" && (
            <button type="button" class="link-btn" onClick={() => { setStep("password"); setTotp(""); setError(null); }}>
              Use another account
            </button>
          )}
        </form>
      </div>
      <p class="auth-foot">Servio · service desk, dispatch and billing for technology service firms</p>
    </div>
  );
}
