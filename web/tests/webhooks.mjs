/*
 * webhooks.mjs - the browser tests of Settings → Webhooks, against a real
 * receiving HTTP server started here (node:http on a free port) that
 * records what servio's worker sends and answers as told:
 *
 *   - an admin adds a webhook: an unknown event family is refused beside
 *     the Events field; then the secret is shown once, copied from the
 *     dialog, and the list shows it masked;
 *   - a ticket made through the API reaches the receiver, and its
 *     webhook-signature verifies with the secret the dialog showed
 *     (HMAC-SHA256 over id.timestamp.body, computed here);
 *   - the delivery log shows it delivered; a test message answered with
 *     410 Gone shows failed, and the webhook is switched off with the
 *     reason; a replay sends the first message again (same webhook-id);
 *   - the secret is rotated (the new one shown once) and the next message
 *     carries two signatures, one for each secret;
 *   - switched on again in the edit dialog.
 *
 * Screenshots: webhooks-new, webhooks-secret, webhooks-list,
 * webhooks-deliveries.
 *
 * Two ways to run it:
 *   node tests/webhooks.mjs           on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                     import { webhookTests } from "./webhooks.mjs";
 *                                     tests.push(...webhookTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

/** A receiver on 127.0.0.1: records each POST, answers the queued statuses, then 200. */
async function startReceiver() {
  const r = { requests: [], answers: [], waiters: [] };
  r.server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      r.requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const status = r.answers.length ? r.answers.shift() : 200;
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(status < 300 ? '{"ok":true}' : '{"error":"gone"}');
      for (const w of r.waiters.splice(0)) w();
    });
  });
  await new Promise((ok) => r.server.listen(0, "127.0.0.1", ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/servio`;
  /** Resolves when n requests have arrived (the server's worker sends within seconds). */
  r.waitFor = async (n, ms = 30000) => {
    const end = Date.now() + ms;
    while (r.requests.length < n) {
      if (Date.now() > end) throw new Error(`the receiver got ${r.requests.length} requests, not ${n}, in ${ms} ms`);
      await new Promise((ok) => {
        r.waiters.push(ok);
        setTimeout(ok, 500);
      });
    }
    return r.requests;
  };
  r.stop = () => new Promise((ok) => r.server.close(ok));
  return r;
}

/** Whether one of the request's v1 signatures is secret's (Standard Webhooks). */
function verifies(secret, req) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = Buffer.concat([Buffer.from(`${req.headers["webhook-id"]}.${req.headers["webhook-timestamp"]}.`), req.body]);
  const want = createHmac("sha256", key).update(signed).digest();
  return String(req.headers["webhook-signature"])
    .split(" ")
    .some((s) => {
      if (!s.startsWith("v1,")) return false;
      const got = Buffer.from(s.slice(3), "base64");
      return got.length === want.length && timingSafeEqual(got, want);
    });
}

export function webhookTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};

  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);
  const ticketTypes = () => fx.receiver.requests.map((r) => JSON.parse(r.body).type);

  /** The deliveries card: refreshed, its rows. */
  async function deliveryRows(page) {
    const card = page.locator(".card", { has: page.getByRole("table", { name: "Deliveries" }) });
    await card.getByRole("button", { name: "Refresh" }).click();
    await page.waitForTimeout(300);
    return card.getByRole("table", { name: "Deliveries" }).locator("tbody tr");
  }

  return [
    {
      name: "webhooks: an admin adds one, the secret is shown once, a ticket arrives signed",
      fn: async () => {
        fx.receiver = await startReceiver();
        fx.company = await api("POST", "/companies", { name: "Hook & Co", kind: "client" });
        const page = await newPage();
        fx.page = page;
        await signIn(page);
        await page.goto(server.url + "/settings/webhooks");
        await page.getByText("No webhooks yet").waitFor();
        await page.getByRole("button", { name: "New webhook" }).click();
        const dialog = page.getByRole("dialog", { name: "New webhook" });
        await dialog.getByLabel("URL").fill(fx.receiver.url);
        await dialog.getByLabel("Description").fill("The intranet's ticket board");
        await dialog.getByLabel("Events").fill("tickets.*");
        await dialog.getByRole("button", { name: "Add webhook" }).click();
        // the API's field error, beside the field
        await dialog.getByText("names an unknown event or family").waitFor();
        await shot(page, "webhooks-new");
        await dialog.getByLabel("Events").fill("");
        await dialog.getByRole("button", { name: "Tickets and notes" }).click();
        assert((await dialog.getByLabel("Events").inputValue()) === "ticket.*", "the quick choice fills the events");
        await dialog.getByRole("button", { name: "Add webhook" }).click();
        const secretDialog = page.getByRole("dialog", { name: "Copy the signing secret" });
        await secretDialog.getByText("This is the only time the secret is shown").waitFor();
        fx.secret = await secretDialog.locator("input.mono").inputValue();
        assert(/^whsec_[A-Za-z0-9+/]{43}=$/.test(fx.secret), `a Standard Webhooks secret: ${fx.secret}`);
        await shot(page, "webhooks-secret");
        await secretDialog.getByRole("button", { name: "Done" }).click();
        const row = page.getByRole("table", { name: "Webhooks" }).locator("tbody tr").first();
        await row.getByText(fx.receiver.url).waitFor();
        const masked = await row.locator("td[data-label=Secret]").innerText();
        assert(masked.startsWith(fx.secret.slice(0, 10)) && !masked.includes(fx.secret), `the list masks the secret: ${masked}`);
        assert((await row.innerText()).includes("Active"), "the new webhook is active");

        // a change reaches the receiver, signed with the secret the dialog showed
        fx.ticket = await api("POST", "/tickets", { subject: "Printer on fire", company_id: fx.company.id });
        const got = await fx.receiver.waitFor(1);
        const body = JSON.parse(got[0].body);
        assert(body.type === "ticket.created" && body.data.id === fx.ticket.id, `the ticket's event: ${got[0].body}`);
        assert(verifies(fx.secret, got[0]), "the signature verifies with the secret shown once");
        assert(!verifies("whsec_" + Buffer.alloc(32, 7).toString("base64"), got[0]), "and not with another");
        await shot(page, "webhooks-list");
      },
    },
    {
      name: "webhooks: the delivery log, a test answered 410 switches it off, replay, rotation",
      fn: async () => {
        const page = fx.page;
        const row = page.getByRole("table", { name: "Webhooks" }).locator("tbody tr").first();
        await row.getByRole("button", { name: /^Deliveries of/ }).click();
        let rows = await deliveryRows(page);
        await rows.first().getByText("delivered").waitFor();
        assert((await rows.first().innerText()).includes("ticket.created"), "the log names the event");
        assert((await rows.first().innerText()).includes("HTTP 200"), "and the endpoint's answer");

        // a test message, answered 410 Gone
        fx.receiver.answers.push(410);
        await row.getByRole("button", { name: /^Send a test to/ }).click();
        await fx.receiver.waitFor(2);
        assert(JSON.parse(fx.receiver.requests[1].body).type === "webhook.test", "the test message arrives");
        assert(verifies(fx.secret, fx.receiver.requests[1]), "signed like the others");
        await page.waitForTimeout(500);
        rows = await deliveryRows(page);
        await rows.first().getByText("failed").waitFor();
        assert((await rows.first().innerText()).includes("HTTP 410"), "the 410 is in the log");
        await page.reload();
        const off = page.getByRole("table", { name: "Webhooks" }).locator("tbody tr").first();
        await off.getByText("Off", { exact: true }).waitFor();
        assert((await off.innerText()).includes("410 Gone"), "the reason it was switched off");
        // switched off: a new ticket is not sent
        await api("POST", "/tickets", { subject: "Second printer", company_id: fx.company.id });

        // replay the first delivery: the same message again
        await off.getByRole("button", { name: /^Deliveries of/ }).click();
        rows = await deliveryRows(page);
        await rows.last().getByRole("button", { name: /^Replay delivery/ }).click();
        await fx.receiver.waitFor(3);
        const [first, , again] = fx.receiver.requests;
        assert(again.headers["webhook-id"] === first.headers["webhook-id"], "a replay keeps the webhook-id");
        assert(again.body.equals(first.body), "and the body");
        assert(verifies(fx.secret, again), "signed anew");
        assert(!ticketTypes().slice(3).length, "nothing else was sent while it was off");
        await shot(page, "webhooks-deliveries");

        // on again, from the edit dialog
        await off.getByRole("button", { name: /^Edit/ }).click();
        const edit = page.getByRole("dialog", { name: "Edit webhook" });
        await edit.getByLabel("Active").check();
        await edit.getByRole("button", { name: "Save" }).click();
        await page.getByRole("table", { name: "Webhooks" }).locator("tbody tr").first().getByText("Active").waitFor();

        // rotation: the new secret once, then both sign for a day
        await page.getByRole("table", { name: "Webhooks" }).locator("tbody tr").first().getByRole("button", { name: /^Rotate the secret/ }).click();
        await page.getByRole("dialog", { name: "Rotate the signing secret?" }).getByRole("button", { name: "Rotate secret" }).click();
        const secretDialog = page.getByRole("dialog", { name: "Copy the new signing secret" });
        const fresh = await secretDialog.locator("input.mono").inputValue();
        assert(fresh !== fx.secret && fresh.startsWith("whsec_"), "a new secret");
        await secretDialog.getByRole("button", { name: "Done" }).click();
        await api("POST", "/tickets", { subject: "Third printer", company_id: fx.company.id });
        const got = await fx.receiver.waitFor(4);
        const last = got[got.length - 1];
        assert(String(last.headers["webhook-signature"]).split(" ").length === 2, "two signatures after a rotation");
        assert(verifies(fresh, last) && verifies(fx.secret, last), "one for each secret");
        await page.context().close();
        await fx.receiver.stop();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, webhookTests);
