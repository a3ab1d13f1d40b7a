/*
 * Account.tsx - who is signed in, changing the password (the current one
 * first), two-factor sign-in (turn on: a secret
 * for the authenticator app, as text and as an otpauth: link that a phone
 * opens in its app, then a code to confirm; turn off: a current code), and
 * signing out.
 */
import { useState } from "preact/hooks";
import { Alert, Button, DefList, TextField, toast } from "../../components/ui";
import { errorMessage } from "../../lib/api";
import { useForm } from "../../lib/hooks";
import { papi, portalSignOut, updateContact, type Contact } from "../api";
import { PageHead, usePortalTitle } from "../ui";

const ROLE_TEXT: Record<string, string> = {
  technical: "Tickets, assets and help articles",
  billing: "Quotes, invoices and hours left",
  admin: "Everything: tickets, quotes, invoices, hours left, assets, help articles",
};

interface TotpBegin {
  secret: string;
  otpauth_url: string;
}

/** "JBSWY3DPEHPK3PXP" -> "JBSW Y3DP EHPK 3PXP": easier to type. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

function TwoFactor({ contact }: { contact: Contact }) {
  const [setup, setSetup] = useState<TotpBegin | null>(null);
  const [turningOff, setTurningOff] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const form = useForm({ code: "" });

  async function begin() {
    setBusy(true);
    setError(null);
    try {
      setSetup(await papi.post<TotpBegin>("/auth/totp"));
      form.setAll({ code: "" });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function finish(e: Event, what: "enable" | "disable") {
    e.preventDefault();
    if (!/^\d{6}$/.test(form.values.code.trim())) {
      form.setErrors({ code: "Enter the 6 digits your authenticator app shows." });
      return;
    }
    const ok = await form.submit(async (v) => {
      if (what === "enable") await papi.post("/auth/totp/confirm", { code: v.code.trim() });
      else await papi.del("/auth/totp", { code: v.code.trim() });
    });
    if (!ok) return;
    updateContact((c) => ({ ...c, totp_enabled: what === "enable" }));
    setSetup(null);
    setTurningOff(false);
    form.setAll({ code: "" });
    toast(what === "enable" ? "Two-factor sign-in is on." : "Two-factor sign-in is off.");
  }

  const codeField = <TextField label="Code from the app" name="code" inputMode="numeric" autoComplete="one-time-code" value={form.values.code} onValue={(x) => form.set("code", x)} error={form.errors.code} placeholder="123456" required autoFocus />;

  return (
    <section class="portal-box" aria-labelledby="totp-h">
      <h2 id="totp-h">Two-factor sign-in</h2>
      {error && <Alert tone="error">{error}</Alert>}
      {contact.totp_enabled ? (
        turningOff ? (
          <form class="stack" onSubmit={(e) => finish(e, "disable")} noValidate aria-label="Turn off two-factor sign-in">
            {form.formError && <Alert tone="error">{form.formError}</Alert>}
            <p class="small">Enter a current code from your authenticator app to turn two-factor sign-in off.</p>
            {codeField}
            <div class="portal-actions">
              <Button type="submit" variant="danger" busy={form.busy}>
                Turn off
              </Button>
              <Button onClick={() => setTurningOff(false)}>Cancel</Button>
            </div>
          </form>
        ) : (
          <>
            <p>
              <strong>On.</strong> Signing in asks for a code from your authenticator app.
            </p>
            <Button onClick={() => { form.setAll({ code: "" }); setTurningOff(true); }}>Turn off two-factor sign-in</Button>
          </>
        )
      ) : setup ? (
        <form class="stack" onSubmit={(e) => finish(e, "enable")} noValidate aria-label="Turn on two-factor sign-in">
          {form.formError && <Alert tone="error">{form.formError}</Alert>}
          <ol class="portal-steps">
            <li>
              On this phone, <a href={setup.otpauth_url} data-native>open the key in your authenticator app</a>; elsewhere, add an account in the app and type this key:
              <div class="portal-secret mono" aria-label="The key">
                {grouped(setup.secret)}
              </div>
            </li>
            <li>Enter the 6-digit code the app shows.</li>
          </ol>
          {codeField}
          <div class="portal-actions">
            <Button type="submit" variant="primary" busy={form.busy}>
              Turn on
            </Button>
            <Button onClick={() => setSetup(null)}>Cancel</Button>
          </div>
        </form>
      ) : (
        <>
          <p>
            <strong>Off.</strong> Add a code from an authenticator app to your password, so a stolen password alone cannot open your account.
          </p>
          <Button variant="primary" busy={busy} onClick={begin}>
            Turn on two-factor sign-in
          </Button>
        </>
      )}
    </section>
  );
}

function ChangePassword({ contact }: { contact: Contact }) {
  const form = useForm({ current_password: "", new_password: "", confirm: "" });
  const v = form.values;

  async function submit(e: Event) {
    e.preventDefault();
    if (v.new_password !== v.confirm) {
      form.setErrors({ confirm: "The two passwords are not the same." });
      return;
    }
    const ok = await form.submit(async () => {
      await papi.post("/auth/password", { current_password: v.current_password, new_password: v.new_password });
    });
    if (ok) {
      form.setAll({ current_password: "", new_password: "", confirm: "" });
      toast("Your password is changed.");
    }
  }

  return (
    <section class="portal-box" aria-labelledby="pw-h">
      <h2 id="pw-h">Password</h2>
      <form class="stack" onSubmit={submit} noValidate aria-label="Change your password">
        {form.formError && <Alert tone="error">{form.formError}</Alert>}
        <input type="email" name="username" autoComplete="username" value={contact.email} hidden readOnly />
        <TextField label="Current password" type="password" name="current_password" autoComplete="current-password" value={v.current_password} onValue={(x) => form.set("current_password", x)} error={form.errors.current_password} required />
        <TextField label="New password" type="password" name="new_password" autoComplete="new-password" value={v.new_password} onValue={(x) => form.set("new_password", x)} error={form.errors.new_password} hint="At least 10 characters, not your name or e-mail. A few unrelated words make a good one." required />
        <TextField label="Repeat the new password" type="password" name="confirm" autoComplete="new-password" value={v.confirm} onValue={(x) => form.set("confirm", x)} error={form.errors.confirm} required />
        <div class="portal-actions">
          <Button type="submit" busy={form.busy} disabled={!v.current_password || !v.new_password}>
            Change password
          </Button>
        </div>
      </form>
    </section>
  );
}

export function AccountPage({ contact }: { contact: Contact }) {
  usePortalTitle("Account");
  return (
    <>
      <PageHead title="Account" />
      <section class="portal-box" aria-label="You">
        <DefList
          items={[
            ["Name", `${contact.first_name} ${contact.last_name}`.trim()],
            ["E-mail", contact.email],
            ["Company", contact.company_name],
            ["You see", ROLE_TEXT[contact.portal_role] ?? contact.portal_role],
          ]}
        />
      </section>
      <ChangePassword contact={contact} />
      <TwoFactor contact={contact} />
      <div class="portal-actions">
        <Button onClick={() => portalSignOut()}>Sign out</Button>
      </div>
    </>
  );
}
