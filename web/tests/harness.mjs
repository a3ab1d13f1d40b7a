/*
 * harness.mjs - what the browser tests stand on: a fresh servio (init in a
 * temporary data directory, serve on a free port of 127.0.0.1 with the
 * built UI as web root), an API client with an admin token for fixtures,
 * Debian's Chromium through playwright-core, and a small test runner that
 * ends with "N passed, M failed".
 *
 * Environment:
 *   SERVIO_BIN          the servio binary (default ../../build/servio)
 *   SERVIO_WEB_ROOT     the built UI (default ../dist)
 *   SERVIO_SCREENSHOTS  where screenshots go (default ../../build-test/screenshots)
 *   CHROMIUM            the browser (default /usr/bin/chromium)
 *   HEADED=1            show the browser (needs a display)
 */
import { spawn, spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const SOURCE = resolve(here, "..", "..");
export const BIN = process.env.SERVIO_BIN || join(SOURCE, "build", "servio");
export const WEB_ROOT = process.env.SERVIO_WEB_ROOT || join(SOURCE, "web", "dist");
export const SHOTS = process.env.SERVIO_SCREENSHOTS || join(SOURCE, "build-test", "screenshots");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_PASSWORD = "Adm1n-Pass-For-Browser-Tests-3e9a!";
/* The demo firm's admin, as make demo creates it (Makefile, target demo). */
export const DEMO_ADMIN_EMAIL = "admin@northwind.example";

const CONF_VARS = [
  "SERVIO_DATA_DIR", "SERVIO_LISTEN", "SERVIO_DATABASE_URL", "SERVIO_LOG_LEVEL", "SERVIO_WEB_ROOT",
  "SERVIO_THREADS", "SERVIO_MAX_BODY", "SERVIO_SESSION_IDLE_MINUTES", "SERVIO_SESSION_MAX_HOURS",
  "SERVIO_ADMIN_EMAIL", "SERVIO_ADMIN_PASSWORD",
];

function serverEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of CONF_VARS) delete env[k];
  env.SERVIO_ARGON2_FAST = "1";
  return { ...env, ...extra };
}

/* Servers still running when this process ends (an interrupt, a closed pipe) are killed with it. */
const running = new Set();
process.on("exit", () => {
  for (const s of running) {
    try {
      s.proc.kill("SIGKILL");
    } catch {
      /* gone already */
    }
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  }
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => process.exit(130));

export class Server {
  /**
   * demo: load the demo firm before serving, as make demo does: servio init
   * with DEMO_ADMIN_EMAIL and a fresh random password, then servio demo with
   * the same password, its output (the logins) kept in DIR/demo-logins.txt
   * and in this.demoLogins. The admin's API token is then that admin's.
   */
  constructor({ demo = false } = {}) {
    this.dir = null;
    this.proc = null;
    this.port = 0;
    this.log = [];
    this.demo = demo;
    this.adminEmail = demo ? DEMO_ADMIN_EMAIL : ADMIN_EMAIL;
    this.demoLogins = null;
  }

  cli(...args) {
    const r = spawnSync(BIN, [...args, "--data-dir", this.dir], { env: serverEnv(), encoding: "utf8", timeout: 60000 });
    if (r.status !== 0) throw new Error(`servio ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async start() {
    if (!existsSync(BIN)) throw new Error(`no servio binary at ${BIN} (set SERVIO_BIN)`);
    if (!existsSync(join(WEB_ROOT, "index.html"))) throw new Error(`no built UI at ${WEB_ROOT} (run "npm run build" in web/)`);
    this.dir = mkdtempSync(join(tmpdir(), "servio-ui-"));
    // make demo's password: 16 letters and digits and "-Demo"
    const demoPassword = this.demo ? randomBytes(32).toString("base64").replace(/[^a-zA-Z0-9]/g, "").slice(0, 16) + "-Demo" : null;
    const init = spawnSync(BIN, ["init", "--data-dir", this.dir], {
      env: serverEnv({ SERVIO_ADMIN_EMAIL: this.adminEmail, SERVIO_ADMIN_PASSWORD: demoPassword ?? ADMIN_PASSWORD }),
      encoding: "utf8",
      timeout: 60000,
    });
    if (init.status !== 0) throw new Error(`servio init failed:\n${init.stdout}${init.stderr}`);
    if (this.demo) {
      // the demo takes a while under the sanitizers
      const demo = spawnSync(BIN, ["demo", "--data-dir", this.dir, "--log-level", "warn", "--password", demoPassword], {
        env: serverEnv(),
        encoding: "utf8",
        timeout: 900000,
      });
      if (demo.status !== 0) throw new Error(`servio demo failed (${demo.status}):\n${demo.stdout}${demo.stderr}`);
      this.demoLogins = demo.stdout;
      writeFileSync(join(this.dir, "demo-logins.txt"), demo.stdout, { mode: 0o600 });
    }
    this.proc = spawn(BIN, ["serve", "--data-dir", this.dir, "--listen", "127.0.0.1:0", "--web-root", WEB_ROOT, "--log-level", "info"], {
      env: serverEnv(),
      stdio: ["ignore", "ignore", "pipe"],
    });
    running.add(this);
    this.exited = new Promise((res) => this.proc.on("exit", (code, sig) => res({ code, sig })));
    await new Promise((res, rej) => {
      let buf = "";
      const timer = setTimeout(() => rej(new Error("servio serve did not say \"listening on\" in 30 s:\n" + this.log.join("\n"))), 30000);
      this.proc.stderr.setEncoding("utf8");
      this.proc.stderr.on("data", (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.log.push(line);
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
          if (m && !this.port) {
            this.port = Number(m[1]);
            clearTimeout(timer);
            res();
          }
        }
      });
      this.proc.on("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`servio serve exited (${code}) before listening:\n${this.log.join("\n")}`));
      });
    });
    this.token = this.tokenFor(this.adminEmail);
    if (!this.token) throw new Error("servio token create printed no token");
    return this;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A new API token for the user with that e-mail address. */
  tokenFor(email) {
    const out = this.cli("token", "create", "--email", email, "--name", "browser-tests");
    return out.split(/\s+/).map((w) => w.replace(/["'`,;()[\]]/g, "")).find((w) => w.startsWith("svo_"));
  }

  /** The admin's API, with a bearer token: for fixtures and checks (headers.token: another user's). */
  async api(method, path, body, headers = {}) {
    const { token = this.token, ...rest } = headers;
    const res = await fetch(this.url + "/api/v1" + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...rest },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
    return data;
  }

  /** Sanitizer reports in the server's log (the test build runs under ASan/UBSan). */
  sanitizerLines() {
    const i = this.log.findIndex((l) => l.includes("Sanitizer") || l.includes("runtime error:"));
    return i < 0 ? [] : this.log.slice(i, i + 80);
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill("SIGTERM");
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 30000);
      this.result = await this.exited;
      clearTimeout(t);
    }
    running.delete(this);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: !process.env.HEADED,
    // as root (CI) Chromium needs --no-sandbox; the network flags keep it off the closed network
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** The screenshot folder, emptied of the pictures of an earlier run. */
export function screenshotDir() {
  mkdirSync(SHOTS, { recursive: true });
  for (const f of readdirSync(SHOTS)) if (f.endsWith(".png")) rmSync(join(SHOTS, f), { force: true });
  return SHOTS;
}

/** The RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret at time t (ms). */
export function totp(secretB32, t = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of secretB32.replace(/=+$/, "")) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 30000)));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0");
}

/**
 * The page helpers every scenario file uses: run.mjs's own when it passes
 * them in ctx, else made here (a file run alone): a new page that records
 * page errors, signing in through the form, a screenshot without toasts.
 */
export function pageTools(ctx, shots, pageErrors) {
  const { server, browser } = ctx;
  const newPage =
    ctx.newPage ??
    (async (viewport = { width: 1360, height: 900 }) => {
      const c = await browser.newContext({ viewport, locale: "en-US", timezoneId: "UTC" });
      c.setDefaultTimeout(20000);
      const p = await c.newPage();
      p.on("pageerror", (e) => pageErrors.push(`${p.url()}: ${e.message}`));
      return p;
    });
  async function signIn(p, email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
    await p.goto(server.url + "/signin");
    await p.getByLabel("E-mail").fill(email);
    await p.getByLabel("Password").fill(password);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL((u) => !u.pathname.startsWith("/signin"));
    await p.locator("main h1").first().waitFor();
  }
  const shot =
    ctx.shot ??
    (async (p, name, opts = {}) => {
      await p.waitForTimeout(150);
      await p.evaluate(() => document.body.classList.add("hide-toasts"));
      await p.screenshot({ path: join(shots, name + ".png"), ...opts });
      await p.evaluate(() => document.body.classList.remove("hide-toasts"));
    });
  return { newPage, signIn, shot };
}

export function assert(cond, message) {
  if (!cond) throw new Error("assertion failed: " + message);
}

/**
 * Runs tests in order; each is { name, fn(ctx) }. A failure is reported
 * with its error and a screenshot of the page, and the next test runs.
 */
export async function runTests(tests, ctx, { onFail } = {}) {
  let passed = 0;
  let failed = 0;
  let n = 0;
  for (const t of tests) {
    n++;
    const t0 = Date.now();
    try {
      await t.fn(ctx);
      passed++;
      console.log(`ok ${n} - ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`not ok ${n} - ${t.name}`);
      console.log(String(e && e.stack ? e.stack : e).split("\n").map((l) => "    " + l).join("\n"));
      if (onFail) await onFail(t, e).catch(() => undefined);
    }
  }
  return { passed, failed };
}

/*
 * A scenario file run on its own (node tests/x.mjs): when moduleUrl is the
 * program, a fresh server and browser, makeTests({server, browser,
 * pageErrors, shots}) run, script errors on the pages and sanitizer
 * reports in the server's log counted as failures, a summary line, and the
 * exit status. Imported by run.mjs, it does nothing.
 */
export async function runAlone(moduleUrl, makeTests) {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? "").href) return;
  const server = await new Server().start();
  const browser = await launchBrowser();
  const pageErrors = [];
  const shots = screenshotDir();
  let result = { passed: 0, failed: 0 };
  try {
    result = await runTests(makeTests({ server, browser, pageErrors, shots }), {});
  } catch (e) {
    console.log("not ok - setup: " + (e.stack || e));
    result.failed++;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }
  if (pageErrors.length) {
    console.log("not ok - the pages threw no script errors");
    for (const e of pageErrors) console.log("    " + e);
    result.failed++;
  }
  const san = server.sanitizerLines();
  if (san.length) {
    console.log("not ok - the server log has no sanitizer reports");
    for (const l of san) console.log("    " + l);
    result.failed++;
  }
  console.log(`screenshots: ${shots}`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exit(result.failed ? 1 : 0);
}

/* CRC-32 for PNG chunks. */
function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A real w x h RGB PNG whose pixel (x, y) is pixel(x, y) = [r, g, b]. */
export function png(w, h, pixel) {
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set(pixel(x, y), 1 + x * 3);
    rows.push(row);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
