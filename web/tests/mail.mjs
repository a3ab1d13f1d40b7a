/*
 * mail.mjs - the browser tests of e-mail, against a real SMTP server
 * started here (node:net on a free port of 127.0.0.1: it takes every
 * message except to addresses starting with "refuse", which it answers
 * 550) and messages piped in through `servio mail-in`, as a mail server
 * does:
 *
 *   - a stranger's message waits in Mail → Triage with the reason it was
 *     held; assigned to a company (the sender made a contact), a link to
 *     the new service order appears and leads to it; the Received log
 *     shows it held and assigned with the reason, filtered by outcome;
 *   - a service order's E-mail tab shows what was sent: one message
 *     failed (the server's 550 shown, the delivery log, Send again), one
 *     sent then bounced (a delivery report piped in), the contact's
 *     bounced address called out; the Sent log filters by state;
 *   - Settings → Mail saves a field (read back through the API) and the
 *     test message shows the SMTP server's answer, taken and refused;
 *   - the template editor shows the API's refusal of a placeholder the
 *     event does not know beside the field, and saves a good one;
 *   - a technician sees the sent mail of a service order (the inbound log
 *     is not theirs: no error, the client's words as recorded) and no
 *     Mail area; the company form has the mail domain; phone layouts.
 *
 * Screenshots: mail-triage, mail-assign, mail-inbound, mail-outbound,
 * ticket-email, mail-attempts, settings-mail, mail-template-error,
 * ticket-email-technician, mail-triage-phone, ticket-email-phone.
 *
 * Two ways to run it:
 *   node tests/mail.mjs           on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                 import { mailTests } from "./mail.mjs";
 *                                 tests.push(...mailTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { assert, BIN, pageTools, runAlone, screenshotDir } from "./harness.mjs";

/** An SMTP server on 127.0.0.1 that keeps what it is given and refuses "refuse…" recipients with 550. */
async function startSmtp() {
  const s = { messages: [], refused: 0 };
  s.server = createServer((sock) => {
    let buf = "";
    let data = false;
    let rcpt = [];
    const say = (line) => sock.write(line + "\r\n");
    say("220 sink.test ESMTP ready");
    sock.setEncoding("latin1");
    sock.on("error", () => undefined);
    sock.on("data", (chunk) => {
      buf += chunk;
      for (;;) {
        if (data) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          s.messages.push({ to: rcpt, raw: buf.slice(0, end) });
          buf = buf.slice(end + 5);
          data = false;
          rcpt = [];
          say(`250 2.0.0 queued as ${s.messages.length}`);
          continue;
        }
        const i = buf.indexOf("\r\n");
        if (i < 0) return;
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") sock.write("250-sink.test\r\n250-8BITMIME\r\n250 SIZE 30000000\r\n");
        else if (verb === "HELO") say("250 sink.test");
        else if (verb === "MAIL") say("250 2.1.0 ok");
        else if (verb === "RCPT") {
          const addr = (/<([^>]*)>/.exec(line) ?? [])[1] ?? "";
          if (addr.startsWith("refuse")) {
            s.refused++;
            say("550 5.1.1 <" + addr + ">: mailbox unavailable");
          } else {
            rcpt.push(addr);
            say("250 2.1.5 ok");
          }
        } else if (verb === "DATA") {
          if (!rcpt.length) say("503 5.5.1 no valid recipients");
          else {
            data = true;
            say("354 end with <CRLF>.<CRLF>");
          }
        } else if (verb === "RSET") {
          rcpt = [];
          say("250 ok");
        } else if (verb === "NOOP") say("250 ok");
        else if (verb === "QUIT") {
          say("221 bye");
          sock.end();
          return;
        } else say("500 5.5.2 command unrecognized");
      }
    });
  });
  await new Promise((ok) => s.server.listen(0, "127.0.0.1", ok));
  s.port = s.server.address().port;
  s.stop = () => new Promise((ok) => s.server.close(ok));
  return s;
}

/** One RFC 5322 message, CRLF line ends. */
function message({ from, to = "support@fixit.example", subject, body, headers = {}, ctype = "text/plain; charset=utf-8", msgid }) {
  const lines = [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, "Date: Sun, 06 Dec 2026 10:00:00 +0000", "MIME-Version: 1.0", `Content-Type: ${ctype}`];
  if (msgid) lines.push(`Message-ID: <${msgid}>`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return lines.join("\r\n") + "\r\n\r\n" + body.replace(/\r?\n/g, "\r\n");
}

const CONF_VARS = ["SERVIO_DATA_DIR", "SERVIO_LISTEN", "SERVIO_DATABASE_URL", "SERVIO_LOG_LEVEL", "SERVIO_WEB_ROOT", "SERVIO_THREADS", "SERVIO_MAX_BODY"];

/** Pipes raw to `servio mail-in` for the server's data directory, as a mail server does. */
function mailIn(server, raw) {
  const env = { ...process.env, SERVIO_ARGON2_FAST: "1" };
  for (const k of CONF_VARS) delete env[k];
  const r = spawnSync(BIN, ["mail-in", "--data-dir", server.dir], { input: raw, env, encoding: "utf8", timeout: 60000 });
  if (r.status !== 0) throw new Error(`servio mail-in failed (${r.status}):\n${r.stdout}${r.stderr}`);
}

export function mailTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};

  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const text = ctx.text ?? (async (l) => (await l.innerText()).replace(/\s+/g, " ").trim());
  const api = (m, p, b, h) => server.api(m, p, b, h);

  /** Waits until the worker has brought the message to one of the states (it sends within seconds). */
  async function settled(id, states, ms = 60000) {
    const end = Date.now() + ms;
    for (;;) {
      const m = await api("GET", `/outbound-messages/${id}`);
      if (states.includes(m.status) && m.attempts > 0) return m;
      if (Date.now() > end) throw new Error(`outbound message ${id} is ${m.status} after ${m.attempts} tries, not ${states.join("/")}`);
      await new Promise((ok) => setTimeout(ok, 250));
    }
  }
  async function patch(path, body) {
    const rec = await api("GET", path);
    return api("PATCH", path, body, { "If-Match": `"${rec.version}"` });
  }

  return [
    {
      name: "mail: a stranger's message waits in triage with its reason; assigned, it opens a service order",
      fn: async () => {
        fx.smtp = await startSmtp();
        await patch("/settings", { mail_from: "support@fixit.example", smtp_host: "127.0.0.1", smtp_port: fx.smtp.port, smtp_security: "none" });
        fx.globex = await api("POST", "/companies", { name: "Globex Mail Corp", kind: "client" });
        fx.jane = await api("POST", "/contacts", { company_id: fx.globex.id, first_name: "Jane", last_name: "Gleason", email: "jane@globex.example" });
        fx.rex = await api("POST", "/contacts", { company_id: fx.globex.id, first_name: "Rex", last_name: "Fuser", email: "refuse-rex@globex.example" });

        mailIn(server, message({ from: "Sam Stranger <sam@unknown-co.example>", subject: "Our file server is down", body: "Hello,\nnobody can open the shared drive since this morning.\nSam", msgid: "stranger-1@unknown-co.example" }));
        const held = (await api("GET", "/inbound-messages?triage=open&from_address=sam@unknown-co.example")).data[0];
        assert(held && held.outcome === "triage" && held.reason, "the message is held, with a reason");

        const page = await newPage();
        fx.page = page;
        await signIn(page);
        await page.getByRole("link", { name: "Mail", exact: true }).click();
        await page.getByRole("heading", { name: "Mail" }).waitFor();
        const list = page.getByRole("list", { name: "Held messages" });
        const item = list.getByRole("listitem").filter({ hasText: "Our file server is down" });
        await item.waitFor();
        const t = await text(item);
        assert(t.includes("sam@unknown-co.example") && t.includes("Sam Stranger"), "the sender is shown");
        assert(t.includes(held.reason), `the reason is shown: ${held.reason}`);
        assert(t.includes("nobody can open the shared drive"), "the text is shown");
        await shot(page, "mail-triage");

        await item.getByRole("button", { name: /^Assign the message/ }).click();
        const dialog = page.getByRole("dialog", { name: "Assign the message" });
        // without a client the API is not even asked
        await dialog.getByRole("button", { name: "Open a service order" }).click();
        await dialog.getByText("Choose the client the message is from").waitFor();
        await dialog.getByRole("combobox", { name: "Client", exact: true }).fill("Globex Mail");
        await dialog.getByRole("option", { name: /Globex Mail Corp/ }).click();
        await dialog.getByLabel("Add sam@unknown-co.example as a contact of the client").check();
        await shot(page, "mail-assign");
        await dialog.getByRole("button", { name: "Open a service order" }).click();
        await dialog.waitFor({ state: "detached" });
        const done = page.locator(".alert", { hasText: "Assigned" });
        await done.waitFor();
        assert(!(await item.isVisible()), "the message left the queue");
        const after = await api("GET", `/inbound-messages/${held.id}`);
        assert(after.triage === "assigned" && after.ticket_id && after.company_id === fx.globex.id, "the API has it assigned to the company");
        const ticket = await api("GET", `/tickets/${after.ticket_id}`);
        assert(ticket.contact_id, "the sender became the ticket's contact");
        const contact = await api("GET", `/contacts/${ticket.contact_id}`);
        assert(contact.email === "sam@unknown-co.example" && contact.company_id === fx.globex.id, "a contact of the company, from the sender");
        fx.assigned = { id: held.id, ticket };
        await done.getByRole("link", { name: new RegExp(ticket.number) }).click();
        await page.getByRole("heading", { name: "Our file server is down" }).waitFor();
        assert(new URL(page.url()).pathname === `/tickets/${ticket.id}`, "the link leads to the new service order");
        await page.getByRole("tab", { name: "E-mail" }).click();
        const thread = page.getByRole("list", { name: "E-mail" });
        await thread.getByText("nobody can open the shared drive").waitFor();
      },
    },
    {
      name: "mail: the received log shows outcomes with their reasons, filtered, linked to the service order",
      fn: async () => {
        const page = fx.page;
        mailIn(server, message({ from: "Out of office <jane@globex.example>", subject: "Automatic reply: away", body: "I am away until Monday.", headers: { "Auto-Submitted": "auto-replied" }, msgid: "ooo-1@globex.example" }));
        await page.goto(server.url + "/mail/inbound");
        const table = page.getByRole("table", { name: "Received mail" });
        const row = table.locator("tbody tr", { hasText: "Our file server is down" });
        await row.waitFor();
        await row.getByRole("link", { name: new RegExp(fx.assigned.ticket.number) }).waitFor();
        const t = await text(row);
        assert(t.includes("Held for triage") && t.includes("Assigned"), "held, then assigned");
        const auto = table.locator("tbody tr", { hasText: "Automatic reply: away" });
        await auto.getByText("Automatic mail").waitFor();
        const autoRec = (await api("GET", "/inbound-messages?from_address=jane@globex.example")).data[0];
        assert((await text(auto)).includes(autoRec.reason), "the reason of an automatic message is shown");
        await shot(page, "mail-inbound");
        await page.getByRole("group", { name: "Outcome" }).getByRole("button", { name: "Held for triage" }).click();
        await page.waitForURL(/outcome=triage/);
        await table.locator("tbody tr", { hasText: "Our file server is down" }).waitFor();
        await auto.waitFor({ state: "detached" });
        await row.getByRole("link", { name: new RegExp(fx.assigned.ticket.number) }).click();
        await page.getByRole("heading", { name: "Our file server is down" }).waitFor();
      },
    },
    {
      name: "mail: the service order's E-mail tab shows what was sent, failed and bounced, with the log and Send again",
      fn: async () => {
        const page = fx.page;
        // one message refused for good (550), one taken and then bounced
        fx.ticket = await api("POST", "/tickets", { subject: "Scanner sends no mail", company_id: fx.globex.id, contact_id: fx.rex.id });
        await api("POST", `/tickets/${fx.ticket.id}/notes`, { body: "We are looking at the scanner now.", visibility: "public" });
        const failed = (await api("GET", `/outbound-messages?ticket_id=${fx.ticket.id}`)).data[0];
        fx.failed = await settled(failed.id, ["failed"]);
        assert(fx.failed.last_error.includes("550"), "the 550 is the failure");
        await patch(`/tickets/${fx.ticket.id}`, { contact_id: fx.jane.id });
        await api("POST", `/tickets/${fx.ticket.id}/notes`, { body: "The scanner's SMTP password was expired; it is set again.", visibility: "public" });
        const sent = (await api("GET", `/outbound-messages?ticket_id=${fx.ticket.id}&to_address=jane@globex.example`)).data[0];
        fx.sent = await settled(sent.id, ["sent"]);
        const report =
          "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n" +
          "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.globex.example\r\n\r\n" +
          "Final-Recipient: rfc822; jane@globex.example\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n" +
          `--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <${fx.sent.message_id}>\r\nSubject: x\r\n\r\n--B--\r\n`;
        mailIn(server, message({ from: "MAILER-DAEMON@mx.globex.example", subject: "Undelivered Mail", body: report, ctype: 'multipart/report; report-type=delivery-status; boundary="B"', msgid: "dsn-1@mx.globex.example" }));
        assert((await api("GET", `/outbound-messages/${fx.sent.id}`)).status === "bounced", "the report made it bounced");

        await page.goto(server.url + `/tickets/${fx.ticket.id}`);
        await page.getByRole("tab", { name: "E-mail" }).click();
        const thread = page.getByRole("list", { name: "E-mail" });
        const bad = thread.getByRole("listitem", { name: "Sent to refuse-rex@globex.example: failed" });
        await bad.waitFor();
        const bt = await text(bad);
        assert(bt.includes("Failed") && bt.includes("550") && bt.includes("written"), "failed, why, and written by staff");
        const bounced = thread.getByRole("listitem", { name: "Sent to jane@globex.example: bounced" });
        assert((await text(bounced)).includes("Bounced"), "the bounced one says so");
        await thread.getByRole("listitem", { name: /^Received from mailer-daemon/i }).getByText("Bounce").first().waitFor();
        const warn = page.locator(".alert", { hasText: "Mail to jane@globex.example bounced" });
        await warn.waitFor();
        assert((await text(warn)).includes("5.1.1"), "the contact's bounce, with the reason");
        await shot(page, "ticket-email", { fullPage: true });

        await bad.getByRole("button", { name: /^Delivery log/ }).click();
        const log = page.getByRole("dialog", { name: "Delivery log" });
        const tries = log.getByRole("list", { name: "Tries" });
        await tries.waitFor();
        assert((await text(tries)).includes("Not taken") && (await text(tries)).includes("550"), "each try, with the server's answer");
        await shot(page, "mail-attempts");
        const refused = fx.smtp.refused;
        await log.getByRole("button", { name: "Send again" }).click();
        await log.waitFor({ state: "detached" });
        await page.getByText("Queued to be sent again").first().waitFor();
        // the worker tries it again (and the sink refuses it again)
        const end = Date.now() + 60000;
        while (fx.smtp.refused === refused) {
          assert(Date.now() < end, "the message was sent again");
          await new Promise((ok) => setTimeout(ok, 250));
        }
        await settled(fx.failed.id, ["failed"]);
      },
    },
    {
      name: "mail: the sent log filters by delivery state",
      fn: async () => {
        const page = fx.page;
        await page.goto(server.url + "/mail/outbound");
        const table = page.getByRole("table", { name: "Sent mail" });
        await table.locator("tbody tr", { hasText: "jane@globex.example" }).first().waitFor();
        await page.getByRole("group", { name: "Delivery state" }).getByRole("button", { name: "Failed" }).click();
        await page.waitForURL(/status=failed/);
        const row = table.locator("tbody tr", { hasText: "refuse-rex@globex.example" }).first();
        await row.waitFor();
        await table.locator("tbody tr", { hasText: "jane@globex.example" }).first().waitFor({ state: "detached" });
        assert((await text(row)).includes("550"), "the reason beside the state");
        assert(await row.getByRole("button", { name: /again$/ }).isVisible(), "Send again is offered");
        await shot(page, "mail-outbound");
      },
    },
    {
      name: "mail: Settings → Mail saves a field and shows the test message's answer",
      fn: async () => {
        const page = fx.page;
        await page.goto(server.url + "/settings/mail");
        const form = page.getByRole("form", { name: "Mail servers" });
        await form.getByLabel("SMTP server").waitFor();
        assert((await form.getByLabel("SMTP server").inputValue()) === "127.0.0.1", "the saved server is shown");
        assert((await form.getByLabel("SMTP password").inputValue()) === "", "a password is never shown");
        await form.getByLabel("Messages per sender per hour").fill("35");
        await form.getByLabel("SMTP password").fill("not-needed-here");
        await form.getByRole("button", { name: "Save mail settings" }).click();
        await page.getByText("Mail settings saved").first().waitFor();
        const s = await api("GET", "/settings");
        assert(s.mail_flood_limit === 35, "the limit is saved");
        assert(!("smtp_password" in s), "the password is not read back");
        assert((await form.getByLabel("SMTP password").inputValue()) === "", "the password input is empty again");
        // a bad port is refused beside its field
        await form.getByLabel("Port").first().fill("70000");
        await form.getByRole("button", { name: "Save mail settings" }).click();
        const port = form.getByLabel("Port").first();
        await page.waitForFunction(() => document.querySelector("input[name=smtp_port]")?.getAttribute("aria-invalid") === "true");
        const err = page.locator(`[id="${await port.getAttribute("aria-describedby")}"]`);
        assert((await text(err)).length > 0, "the port's error beside it");
        await form.getByRole("button", { name: "Undo changes" }).click();
        // the test's address, typed before a save: the saved settings' new version remounts the form,
        // and the address stays
        await page.getByLabel("To", { exact: true }).fill("check@globex.example");
        // the sink wants no password: remove it again
        await form.getByLabel("Remove the saved password").first().check();
        await form.getByRole("button", { name: "Save mail settings" }).click();
        await page.getByText("Mail settings saved").first().waitFor();
        await page.waitForFunction(() => !document.querySelector("input[name=smtp_password_clear]:checked"));
        assert((await page.getByLabel("To", { exact: true }).inputValue()) === "check@globex.example", "the address outlives the save");

        const n = fx.smtp.messages.length;
        await page.getByRole("button", { name: "Send test message" }).click();
        const ok = page.locator(".alert", { hasText: "The server took the message" });
        await ok.waitFor();
        assert((await text(ok)).includes("250"), "the server's answer is shown");
        // the sink records a message once it has answered it, and the outbox worker may hand
        // it another scenario's queued mail meanwhile: look for ours among what came, a while
        const got = () => fx.smtp.messages.slice(n).some((m) => m.to.includes("check@globex.example"));
        for (let i = 0; i < 50 && !got(); i++) await new Promise((r) => setTimeout(r, 100));
        assert(got(), "the sink got it");
        await page.getByLabel("To", { exact: true }).fill("refuse-test@globex.example");
        await page.getByRole("button", { name: "Send test message" }).click();
        const no = page.locator(".alert", { hasText: "The message was not sent" });
        await no.waitFor();
        assert((await text(no)).includes("550"), "the refusal is shown");
        await shot(page, "settings-mail", { fullPage: true });
      },
    },
    {
      name: "mail: the template editor refuses an unknown placeholder beside the field, and saves a good one",
      fn: async () => {
        const page = fx.page;
        const templates = page.getByRole("list", { name: "Mail templates" });
        await templates.getByRole("button", { name: /Public reply/ }).click();
        const dialog = page.getByRole("dialog", { name: /Public reply/ });
        const body = dialog.getByLabel("Text", { exact: true });
        const before = await body.inputValue();
        await body.fill(before + "\nTotal: {{invoice_total}}");
        await dialog.getByText("Not known to this mail: {{invoice_total}}").waitFor();
        await dialog.getByRole("button", { name: "Save template" }).click();
        await page.waitForFunction(() => document.querySelector("dialog textarea[name=body]")?.getAttribute("aria-invalid") === "true");
        const err = page.locator(`[id="${await body.getAttribute("aria-describedby")}"]`);
        assert((await text(err)).includes("knows no {{invoice_total}}"), "the API's message beside the text: " + (await text(err)));
        await shot(page, "mail-template-error");
        await body.fill("Hello {{contact_name}},\n\n{{author_name}} wrote:\n{{note_body}}\n\n{{firm_name}}");
        const pv = dialog.getByRole("region", { name: "Preview" });
        assert((await text(pv)).includes("Tina Torres wrote:"), "the preview fills in sample values");
        await dialog.getByRole("button", { name: "Save template" }).click();
        await dialog.waitFor({ state: "detached" });
        const t = (await api("GET", "/mail-templates?event=note_public")).data[0];
        assert(t.body.startsWith("Hello {{contact_name}},"), "saved");
      },
    },
    {
      name: "mail: the company form has the mail domain; a bounced contact is called out",
      fn: async () => {
        const page = fx.page;
        await page.goto(server.url + `/clients/${fx.globex.id}`);
        await page.getByRole("button", { name: "Edit", exact: true }).click();
        const dialog = page.getByRole("dialog", { name: /^Edit Globex/ });
        await dialog.getByLabel("Mail domain").fill("globex.example");
        await dialog.getByText("opens service orders for this company").waitFor();
        await dialog.getByRole("button", { name: "Save" }).click();
        await dialog.waitFor({ state: "detached" });
        assert((await api("GET", `/companies/${fx.globex.id}`)).email_domain === "globex.example", "saved");
        await page.getByRole("tab", { name: /Contacts/ }).click();
        const row = page.locator("tr", { hasText: "jane@globex.example" });
        await row.getByText("Mail bounced").waitFor();
        assert((await text(row)).includes("5.1.1"), "with the reason");
      },
    },
    {
      name: "mail: a technician sees the sent mail of a service order, not the Mail area",
      fn: async () => {
        fx.tech = await api("POST", "/users", { email: "mailtech@example.com", name: "Milo Tech", role: "technician", password: "Milo-Tech-Password-42" });
        const page = await newPage();
        await signIn(page, "mailtech@example.com", "Milo-Tech-Password-42");
        assert(!(await page.getByRole("link", { name: "Mail", exact: true }).isVisible()), "no Mail area");
        await page.goto(server.url + `/tickets/${fx.assigned.ticket.id}`);
        await page.getByRole("tab", { name: "E-mail" }).click();
        await page.getByText("as recorded on the service order").waitFor();
        await page.goto(server.url + `/tickets/${fx.ticket.id}`);
        await page.getByRole("tab", { name: "E-mail" }).click();
        const thread = page.getByRole("list", { name: "E-mail" });
        await thread.getByRole("listitem", { name: "Sent to refuse-rex@globex.example: failed" }).waitFor();
        assert(!(await thread.getByRole("button", { name: "Send again" }).count()), "no Send again for a technician");
        assert(!(await page.locator(".error-state").count()), "no error for the inbound log they may not read");
        await shot(page, "ticket-email-technician");
        await page.context().close();
      },
    },
    {
      name: "mail: phone layouts of the triage queue and the E-mail tab",
      fn: async () => {
        mailIn(server, message({ from: "Ola Nordmann <ola@elsewhere.example>", subject: "Printer quote?", body: "Could you send us a quote for two printers?", msgid: "ola-1@elsewhere.example" }));
        const phone = await newPage({ width: 390, height: 844 });
        await signIn(phone);
        await phone.goto(server.url + "/mail/triage");
        const item = phone.getByRole("listitem").filter({ hasText: "Printer quote?" });
        await item.waitFor();
        const fits = await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
        assert(fits, "nothing wider than the phone");
        await shot(phone, "mail-triage-phone", { fullPage: true });
        await item.getByRole("button", { name: /^Discard/ }).click();
        await phone.getByRole("dialog", { name: "Discard this message?" }).getByRole("button", { name: "Discard message" }).click();
        await item.waitFor({ state: "detached" });
        const rec = (await api("GET", "/inbound-messages?from_address=ola@elsewhere.example")).data[0];
        assert(rec.triage === "discarded", "discarded");
        await phone.goto(server.url + `/tickets/${fx.ticket.id}`);
        await phone.getByRole("tab", { name: "E-mail" }).click();
        await phone.getByRole("list", { name: "E-mail" }).waitFor();
        assert(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), "the thread fits the phone");
        await shot(phone, "ticket-email-phone", { fullPage: true });
        await phone.context().close();
        await fx.page.context().close();
        // outgoing mail off again for whatever runs next on this server
        await patch("/settings", { smtp_host: null });
        await fx.smtp.stop();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, mailTests);
