/* main.tsx - start: styles, the session check, then the app. */
import { render } from "preact";
import { App } from "./app";
import { restore, session } from "./lib/session";
import "./styles/tokens.css";
import "./styles/base.css";
import "./styles/components.css";
import "./styles/layout.css";
import "./styles/pages.css";
import "./styles/sales.css";
import "./styles/billing.css";
import "./styles/attachments.css";
import "./styles/webhooks.css";
import "./styles/mail.css";
import "./styles/notifications.css";
import "./styles/kb.css";
import "./styles/quality.css";
import "./styles/surveys.css";
import "./styles/dispatch.css";

const path = window.location.pathname;
if (path === "/portal" || path.startsWith("/portal/")) {
  // the client portal: its own app, sign-in and session (src/portal/)
  void import("./portal/main");
} else {
  render(<App />, document.getElementById("app")!);
  if (!path.startsWith("/q/") && !path.startsWith("/s/"))
    restore().catch(() => session.set({ state: "signed-out", notice: "The server cannot be reached right now." }));
}
