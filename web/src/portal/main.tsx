/*
 * main.tsx - the client portal's start (loaded by src/main.tsx for paths
 * under /portal): its stylesheet, its own 401 handling, the firm and the
 * session check, then the portal app.
 */
import { render } from "preact";
import "../styles/portal.css";
import { installPortalUnauthorized, portalSession, restorePortal } from "./api";
import { PortalApp } from "./App";

installPortalUnauthorized();
render(<PortalApp />, document.getElementById("app")!);
restorePortal().catch(() => portalSession.set({ state: "signed-out", notice: "The server cannot be reached right now." }));
