/*
 * portal.mjs - the browser tests of the client portal (/portal). Fixtures
 * through the staff API: the firm's name, public address and logo (a real
 * PNG), a client company with a site and an asset, and a contact with
 * portal access. Then:
 *
 *   - staff invite the contact; the client opens the invitation link on a
 *     phone (375 px), sees the firm's name and logo, chooses a password
 *     (two that differ are refused beside the field first) and lands on
 *     My tickets, signed in; the navigation of a `technical` contact has
 *     tickets, assets and help articles and no invoices;
 *   - opening a ticket, the subject typed shows the matching help article
 *     (made for clients; one for staff only never shows) before anything
 *     is sent, readable in place; Help articles finds and shows it;
 *   - a ticket is sent with its site, device and a file: the API has it
 *     from the portal, for the contact, with the file;
 *   - staff reply publicly (and write an internal note) through the API:
 *     the client sees the reply and not the internal note, and answers;
 *   - staff resolve through the API: the client confirms (the ticket is
 *     closed), then rates it 5 with a comment, which stays after a reload;
 *   - signed out, the sign-in page carries the firm's name; a wrong
 *     password is refused, the right one signs in again (and goes back to
 *     the page asked for); the same at desktop size, a centred column;
 *   - on the account page two-factor sign-in is turned on (a wrong code
 *     refused first), signing in then asks for the code, and it is
 *     turned off again;
 *   - a `billing` contact lands on Invoices with the balance due, opens
 *     an invoice and its PDF, sees the hours left of a block, accepts a
 *     quote by typing her name (an empty name refused first), and has no
 *     tickets;
 *   - no page scrolls sideways at 375 px.
 *
 * Screenshots: portal-activate, portal-tickets, portal-new-ticket-articles,
 * portal-new-ticket, portal-ticket-reply, portal-rated, portal-signin,
 * portal-desktop-tickets, portal-desktop-ticket, portal-invoices,
 * portal-quote-accepted.
 *
 * Two ways to run it:
 *   node tests/portal.mjs             on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                     import { portalTests } from "./portal.mjs";
 *                                     tests.push(...portalTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, png, runAlone, screenshotDir, totp } from "./harness.mjs";

const CLIENT_EMAIL = "pat.client@harbor.example";
const CLIENT_PASSWORD = "Harbor-Portal-Password-77";
const PHONE = { width: 375, height: 812 };

/** A real PNG logo: a teal square with a white bar. */
function logoPng(w = 96, h = 96) {
  return png(w, h, (x, y) => (y > 40 && y < 56 && x > 16 && x < 80 ? [255, 255, 255] : [0, 128, 128]));
}

export function portalTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  const { newPage, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);
  const text = async (l) => (await l.innerText()).replace(/\s+/g, " ").trim();
  const overflow = (p) => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  async function noSideScroll(p, where) {
    const o = await overflow(p);
    assert(o <= 1, `${where} does not scroll sideways at ${p.viewportSize().width} px: ${o}px`);
  }

  const tests = [
    {
      name: "portal: the invited client sets a password on a phone and lands on My tickets",
      fn: async () => {
        const s = await api("GET", "/settings");
        await api("PATCH", "/settings", {
          firm_name: "Harborview IT",
          phone: "+1 555 010 0300",
          email: "help@harborview.example",
          website: "https://harborview.example",
          public_url: server.url,
          logo_png: logoPng().toString("base64"),
        }, { "If-Match": `"${s.version}"` });
        fx.company = await api("POST", "/companies", { name: "Harbor Freight Dental", kind: "client" });
        fx.site = await api("POST", "/sites", { company_id: fx.company.id, name: "Harbor main office", city: "Portland" });
        fx.asset = await api("POST", "/assets", { company_id: fx.company.id, site_id: fx.site.id, name: "Front desk printer", kind: "printer", serial_number: "HP-4471" });
        fx.contact = await api("POST", "/contacts", {
          company_id: fx.company.id,
          first_name: "Pat",
          last_name: "Client",
          email: CLIENT_EMAIL,
          portal_access: true,
          portal_role: "technical",
        });
        const invite = await api("POST", `/contacts/${fx.contact.id}/invite`, {});
        assert(typeof invite.invite_url === "string" && invite.invite_url.includes("/portal/activate/"), `the invitation is a portal link: ${invite.invite_url}`);
        const url = new URL(invite.invite_url);
        assert(url.origin === server.url, `the link is on the firm's public address: ${invite.invite_url}`);

        const p = await newPage(PHONE);
        fx.phone = p;
        await p.goto(invite.invite_url);
        await p.getByRole("heading", { name: "Welcome, Pat" }).waitFor();
        await p.locator(".portal-auth-card .portal-firm").getByText("Harborview IT").waitFor(); // the firm's name brands the page
        const logo = p.locator(".portal-auth-card img.portal-logo");
        await logo.waitFor();
        assert(await logo.evaluate((img) => img.complete && img.naturalWidth === 96), "the firm's logo has loaded from the server");
        await noSideScroll(p, "the activation page");
        await shot(p, "portal-activate");

        await p.getByLabel("New password").fill(CLIENT_PASSWORD);
        await p.getByLabel("Repeat the password").fill(CLIENT_PASSWORD + "x");
        await p.getByRole("button", { name: "Activate and sign in" }).click();
        await p.waitForFunction(() => document.querySelector("input[name=confirm]")?.getAttribute("aria-invalid") === "true");
        assert(p.url().includes("/portal/activate/"), "two different passwords are not sent");
        await p.getByLabel("Repeat the password").fill(CLIENT_PASSWORD);
        await p.getByRole("button", { name: "Activate and sign in" }).click();
        await p.waitForURL((u) => u.pathname === "/portal/tickets");
        await p.getByRole("heading", { name: "My tickets" }).waitFor();
        await p.getByText("No open tickets").waitFor();

        // a technical contact: tickets, assets and articles, no billing
        await p.getByRole("button", { name: "Menu" }).click();
        const nav = p.getByRole("navigation", { name: "Portal" });
        await nav.getByRole("link", { name: "Help articles" }).waitFor();
        await nav.getByRole("link", { name: "Assets" }).waitFor();
        assert((await nav.getByRole("link", { name: "Invoices" }).count()) === 0, "no invoices for a technical contact");
        assert((await nav.getByRole("link", { name: "Quotes" }).count()) === 0, "no quotes for a technical contact");
        await noSideScroll(p, "My tickets with the menu open");
        await shot(p, "portal-tickets");
        await p.getByRole("button", { name: "Menu" }).click();
      },
    },
    {
      name: "portal: typing a ticket's subject shows the matching help article before sending; Help articles finds it",
      fn: async () => {
        fx.article = await api("POST", "/kb/articles", {
          title: "Clearing a paper jam on the front desk printer",
          body: "# Paper jam\n\nOpen the **rear door**, pull the sheet out slowly with both hands, close the door.",
          tags: ["printer"],
          visibility: "portal",
        });
        fx.internal = await api("POST", "/kb/articles", {
          title: "Printer jam: reset the service counter (staff only)",
          body: "Enter the service menu with the staff PIN.",
          tags: ["printer"],
          visibility: "internal",
        });
        const p = fx.phone;
        await p.goto(server.url + "/portal/tickets");
        await p.getByRole("link", { name: "Open a ticket" }).first().click();
        await p.getByRole("heading", { name: "Open a ticket" }).waitFor();
        await p.getByLabel("Subject").fill("Printer paper jam");
        const suggest = p.getByRole("region", { name: "Help articles that may answer it" });
        await suggest.getByText("These articles may already answer it").waitFor();
        await suggest.getByText(fx.article.title).waitFor();
        assert(!(await text(suggest)).includes("staff only"), "an internal article is never suggested");
        await suggest.getByText(fx.article.title).click();
        await suggest.getByText("pull the sheet out slowly").waitFor();
        assert((await suggest.locator("strong", { hasText: "rear door" }).count()) === 1, "the article's html is shown");
        await noSideScroll(p, "the new ticket form with an article open");
        await shot(p, "portal-new-ticket-articles", { fullPage: true });
        await p.goto(server.url + "/portal/articles");
        await p.getByRole("link", { name: new RegExp(fx.article.title) }).click();
        await p.getByRole("heading", { name: fx.article.title }).waitFor();
        await p.getByText("pull the sheet out slowly").waitFor();
        await noSideScroll(p, "an article");
        await p.goto(server.url + "/portal/tickets");
        await p.getByRole("heading", { name: "My tickets" }).waitFor();
      },
    },
    {
      name: "portal: a ticket opened on the phone, with its site, device and a file",
      fn: async () => {
        const p = fx.phone;
        await p.getByRole("link", { name: "Open a ticket" }).first().click();
        await p.getByRole("heading", { name: "Open a ticket" }).waitFor();
        await p.getByLabel("Subject").fill("Printer paper jam");
        await p.getByLabel("What happened?").fill("The front desk printer jams on every second page since this morning. I tried the article, it jams again.");
        await p.getByLabel("How urgent is it?").selectOption("high");
        await p.getByLabel("Where? (optional)").selectOption({ label: "Harbor main office" });
        await p.getByLabel("Which device? (optional)").selectOption({ label: "Front desk printer (HP-4471)" });
        await p.getByLabel("Files (optional)").setInputFiles([{ name: "jam.txt", mimeType: "text/plain", buffer: Buffer.from("error 13.A2 paper jam rear door\n") }]);
        await p.getByRole("list", { name: "Files to send" }).getByText("jam.txt").waitFor();
        await noSideScroll(p, "the new ticket form");
        await shot(p, "portal-new-ticket", { fullPage: true });
        await p.getByRole("button", { name: "Send the ticket" }).click();
        await p.waitForURL((u) => /^\/portal\/tickets\/\d+$/.test(u.pathname));
        fx.ticketId = Number(new URL(p.url()).pathname.split("/").pop());
        await p.getByRole("heading", { name: "Printer paper jam" }).waitFor();
        await p.getByRole("list", { name: "Files" }).getByRole("link", { name: "jam.txt" }).waitFor();

        const t = await api("GET", `/tickets/${fx.ticketId}`);
        assert(t.company_id === fx.company.id && t.contact_id === fx.contact.id, "the ticket is the contact's, of their company");
        assert(t.channel === "portal" && t.priority === "high" && t.site_id === fx.site.id && t.asset_id === fx.asset.id, `made from the portal with its choices: ${JSON.stringify(t)}`);
        const files = await api("GET", `/tickets/${fx.ticketId}/attachments`);
        assert(files.data.length === 1 && files.data[0].filename === "jam.txt" && files.data[0].contact_id === fx.contact.id, "the file is on the ticket, from the contact");
      },
    },
    {
      name: "portal: staff reply publicly, the client sees it (not the internal note) and answers",
      fn: async () => {
        const p = fx.phone;
        await api("POST", `/tickets/${fx.ticketId}/notes`, { body: "Internal: probably the worn pickup roller.", visibility: "internal" });
        await api("POST", `/tickets/${fx.ticketId}/notes`, { body: "Thanks Pat, a technician comes by at 2 pm with a new roller.", visibility: "public" });
        await p.reload();
        const thread = p.getByRole("list", { name: "Conversation" });
        await thread.getByText("a technician comes by at 2 pm").waitFor();
        assert(!(await text(thread)).includes("pickup roller"), "the internal note is not shown to the client");
        await p.getByLabel("Your reply").fill("Great, someone will be at the front desk.");
        await p.getByRole("button", { name: "Send reply" }).click();
        await thread.getByText("someone will be at the front desk").waitFor();
        const notes = (await api("GET", `/tickets/${fx.ticketId}/notes`)).data;
        const mine = notes.find((n) => n.body.includes("front desk"));
        assert(mine && mine.visibility === "public" && mine.contact_id === fx.contact.id, "the reply is a public note in the contact's name");
        await noSideScroll(p, "the ticket");
        await shot(p, "portal-ticket-reply", { fullPage: true });
      },
    },
    {
      name: "portal: staff resolve, the client confirms: the ticket is closed",
      fn: async () => {
        const p = fx.phone;
        await api("POST", `/tickets/${fx.ticketId}/resolve`, { resolution: "Replaced the pickup roller and cleaned the paper path." }, { "If-Match": "*" });
        await p.reload();
        await p.getByRole("heading", { name: "We think this is solved" }).waitFor();
        await p.getByText("Replaced the pickup roller").waitFor();
        await p.getByRole("button", { name: "Confirm resolved" }).click();
        await p.getByRole("heading", { name: "We think this is solved" }).waitFor({ state: "detached" });
        await p.locator(".portal-ticket-meta").getByText("Closed").waitFor();
        assert((await api("GET", `/tickets/${fx.ticketId}`)).status === "closed", "confirming closed the ticket");

        await p.goto(server.url + "/portal/tickets?status=closed");
        await p.getByRole("list", { name: "Tickets" }).getByText("Printer paper jam").waitFor();
        await p.goto(server.url + "/portal/assets");
        await p.getByText("Front desk printer").waitFor();
        await noSideScroll(p, "the assets");
        await p.goto(server.url + `/portal/tickets/${fx.ticketId}`);
        await p.getByRole("heading", { name: "Printer paper jam" }).waitFor();
      },
    },
    {
      name: "portal: the client rates the closed ticket 5 with a comment, kept after a reload",
      fn: async () => {
        const p = fx.phone;
        await p.goto(server.url + `/portal/tickets/${fx.ticketId}`);
        const rate = p.getByRole("form", { name: "Rate the service" });
        await rate.getByRole("radio", { name: /^5 stars/ }).check();
        await rate.getByLabel("Comment (optional)").fill("Fast and friendly, thank you!");
        await rate.getByRole("button", { name: "Send rating" }).click();
        await p.getByRole("heading", { name: "Your rating" }).waitFor();
        await p.reload();
        await p.getByRole("heading", { name: "Your rating" }).waitFor();
        await p.getByRole("img", { name: "5 of 5 stars" }).waitFor();
        await p.getByText("Fast and friendly, thank you!").waitFor();
        const survey = await p.evaluate(async (id) => (await fetch(`/api/v1/portal/tickets/${id}/survey`)).json(), fx.ticketId);
        assert(survey.rating === 5 && survey.comment === "Fast and friendly, thank you!", `the server keeps the rating: ${JSON.stringify(survey)}`);
        await noSideScroll(p, "the rated ticket");
        await shot(p, "portal-rated", { fullPage: true });

      },
    },
    {
      name: "portal: signed out, the sign-in page is the firm's; a wrong password is refused, the right one signs in",
      fn: async () => {
        const p = fx.phone;
        await p.goto(server.url + "/portal/account");
        await p.getByRole("heading", { name: "Account" }).waitFor();
        await p.getByRole("button", { name: "Sign out" }).click();
        await p.waitForURL((u) => u.pathname === "/portal/signin");
        await p.getByRole("heading", { name: "Sign in to your client portal" }).waitFor();
        await p.locator(".portal-auth-card .portal-firm").getByText("Harborview IT").waitFor(); // the firm's name on the sign-in page
        await p.goto(server.url + `/portal/tickets/${fx.ticketId}`);
        await p.waitForURL((u) => u.pathname === "/portal/signin" && u.search.includes("next="));
        await p.getByLabel("E-mail").fill(CLIENT_EMAIL);
        await p.getByLabel("Password").fill("not-the-password");
        await p.getByRole("button", { name: "Sign in" }).click();
        await p.getByRole("alert").getByText("e-mail address or password is wrong").waitFor();
        await noSideScroll(p, "the sign-in page");
        await shot(p, "portal-signin");
        await p.getByLabel("Password").fill(CLIENT_PASSWORD);
        await p.getByRole("button", { name: "Sign in" }).click();
        await p.waitForURL((u) => u.pathname === `/portal/tickets/${fx.ticketId}`);
        await p.getByRole("heading", { name: "Printer paper jam" }).waitFor();
        await p.context().close();

        // the same at desktop size: a centred column
        const d = await newPage();
        await d.goto(server.url + "/portal/signin");
        await d.getByLabel("E-mail").fill(CLIENT_EMAIL);
        await d.getByLabel("Password").fill(CLIENT_PASSWORD);
        await d.getByRole("button", { name: "Sign in" }).click();
        await d.waitForURL((u) => u.pathname === "/portal/tickets");
        await d.getByRole("navigation", { name: "Portal" }).getByRole("link", { name: "My tickets" }).waitFor();
        await d.getByRole("group", { name: "Which tickets" }).getByRole("button", { name: "All" }).click();
        await d.getByRole("list", { name: "Tickets" }).getByText("Printer paper jam").waitFor();
        await shot(d, "portal-desktop-tickets");
        await d.goto(server.url + `/portal/tickets/${fx.ticketId}`);
        await d.getByRole("list", { name: "Conversation" }).getByText("someone will be at the front desk").waitFor();
        const box = await d.locator("main").boundingBox();
        assert(box && box.width <= 760 && Math.abs(box.x + box.width / 2 - 1360 / 2) < 2, `the column is centred: ${JSON.stringify(box)}`);
        await shot(d, "portal-desktop-ticket", { fullPage: true });
        fx.desktop = d;
      },
    },
    {
      name: "portal: two-factor on from the account page; signing in then asks for the code; off again",
      fn: async () => {
        const d = fx.desktop;
        await d.getByRole("link", { name: "Pat Client" }).click();
        await d.getByRole("heading", { name: "Account" }).waitFor();
        await d.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
        const on = d.getByRole("form", { name: "Turn on two-factor sign-in" });
        const secret = (await on.locator(".portal-secret").innerText()).replace(/\s+/g, "");
        assert(/^[A-Z2-7]{16,}$/.test(secret), `the key is shown in base32: ${secret}`);
        assert((await on.getByRole("link", { name: "open the key in your authenticator app" }).getAttribute("href")).startsWith("otpauth://totp/"), "the key opens in an authenticator app");
        await on.getByLabel("Code from the app").fill("000000" === totp(secret) ? "111111" : "000000");
        await on.getByRole("button", { name: "Turn on" }).click();
        await on.getByRole("alert").first().waitFor();
        // the previous step's code (the server accepts one step either way), so the current one is unused for the sign-in
        await on.getByLabel("Code from the app").fill(totp(secret, Date.now() - 30000));
        await on.getByRole("button", { name: "Turn on" }).click();
        await d.getByRole("button", { name: "Turn off two-factor sign-in" }).waitFor();
        await d.getByRole("button", { name: "Sign out" }).click();
        await d.waitForURL((u) => u.pathname === "/portal/signin");
        await d.getByLabel("E-mail").fill(CLIENT_EMAIL);
        await d.getByLabel("Password").fill(CLIENT_PASSWORD);
        await d.getByRole("button", { name: "Sign in" }).click();
        await d.getByRole("heading", { name: "Two-factor sign-in" }).waitFor();
        await d.getByLabel("Authenticator code").fill(totp(secret));
        await d.getByRole("button", { name: "Verify and sign in" }).click();
        await d.waitForURL((u) => u.pathname === "/portal/tickets");
        await d.goto(server.url + "/portal/account");
        await d.getByRole("button", { name: "Turn off two-factor sign-in" }).click();
        const off = d.getByRole("form", { name: "Turn off two-factor sign-in" });
        await off.getByLabel("Code from the app").fill(totp(secret, Date.now() + 30000));
        await off.getByRole("button", { name: "Turn off" }).click();
        await d.getByRole("button", { name: "Turn on two-factor sign-in" }).waitFor();
        await d.context().close();
      },
    },
    {
      name: "portal: a billing contact sees what is owed and the hours left, and accepts a quote",
      fn: async () => {
        const co = await api("POST", "/companies", { name: "Seaside Optics", kind: "client" });
        const now = new Date();
        const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
        const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0)).toISOString().slice(0, 10);
        await api("POST", "/contracts", { company_id: co.id, name: "Support block 20 h", kind: "block_hours", starts_on: from, block_minutes: 1200, block_price: 180000 });
        await api("POST", "/invoice-runs", { from, to, company_id: co.id });
        const draft = (await api("GET", `/invoices?company_id=${co.id}&status=draft`)).data[0];
        const inv = await api("POST", `/invoices/${draft.id}/issue`, {}, { "If-Match": `"${draft.version}"` });
        const q = await api("POST", "/quotes", {
          company_id: co.id,
          title: "Two lens edgers for the lab",
          contract_kind: "time_materials",
          valid_until: new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10),
          tax_rate_bp: 0,
          lines: [{ kind: "equipment", description: "Lens edger LE-900", quantity: 2, unit_price: 450000, taxable: false }],
        });
        await api("POST", `/quotes/${q.id}/send`, {}, { "If-Match": `"${q.version}"` });
        const bea = await api("POST", "/contacts", { company_id: co.id, first_name: "Bea", last_name: "Billing", email: "bea.billing@seaside.example", portal_access: true, portal_role: "billing" });
        const invite = await api("POST", `/contacts/${bea.id}/invite`, {});

        const p = await newPage(PHONE);
        await p.goto(invite.invite_url);
        await p.getByLabel("New password").fill(CLIENT_PASSWORD);
        await p.getByLabel("Repeat the password").fill(CLIENT_PASSWORD);
        await p.getByRole("button", { name: "Activate and sign in" }).click();
        await p.waitForURL((u) => u.pathname === "/portal/invoices");
        const balance = p.getByRole("definition").filter({ hasText: "$" }).first();
        await balance.waitFor();
        assert((await text(p.locator(".portal-balance"))).includes("Balance due $1,800.00"), `the balance due: ${await text(p.locator(".portal-balance"))}`);
        await p.getByRole("button", { name: "Menu" }).click();
        const nav = p.getByRole("navigation", { name: "Portal" });
        await nav.getByRole("link", { name: "Hours left" }).waitFor();
        assert((await nav.getByRole("link", { name: "My tickets" }).count()) === 0, "no tickets for a billing contact");
        await p.getByRole("button", { name: "Menu" }).click();
        await noSideScroll(p, "the invoices");
        await shot(p, "portal-invoices");

        await p.getByRole("list", { name: "Invoices" }).getByRole("link", { name: new RegExp(inv.number) }).click();
        await p.getByRole("heading", { name: `Invoice ${inv.number}` }).waitFor();
        assert((await text(p.locator(".portal-totals .is-total"))) === "Balance due $1,800.00", "the invoice's balance");
        const pdf = await p.getByRole("link", { name: "Download PDF" }).getAttribute("href");
        const got = await p.evaluate(async (href) => {
          const r = await fetch(href);
          return { status: r.status, type: r.headers.get("Content-Type"), head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) };
        }, pdf);
        assert(got.status === 200 && got.type.startsWith("application/pdf") && got.head === "%PDF-", `the PDF link gives the PDF: ${JSON.stringify(got)}`);

        await p.goto(server.url + "/portal/hours");
        const block = p.getByRole("list", { name: "Blocks of hours" }).getByRole("listitem").first();
        await block.getByText("Support block 20 h").waitFor();
        assert((await text(block)).includes("20 h left of 20 h"), `the hours left: ${await text(block)}`);
        await noSideScroll(p, "hours left");

        await p.goto(server.url + "/portal/quotes");
        await p.getByRole("list", { name: "Quotes" }).getByRole("link", { name: /Two lens edgers for the lab/ }).click();
        await p.getByRole("heading", { name: "Two lens edgers for the lab" }).waitFor();
        assert((await text(p.locator(".portal-totals .is-total"))) === "Total $9,000.00", "the quote's total");
        await p.getByRole("button", { name: "Accept quote" }).click();
        const form = p.getByRole("form", { name: "Accept the quote" });
        await form.getByRole("button", { name: "Accept and sign" }).click();
        await p.waitForFunction(() => document.querySelector("input[name=name]")?.getAttribute("aria-invalid") === "true");
        await form.getByLabel("Your full name").fill("Bea Billing");
        await form.getByRole("button", { name: "Accept and sign" }).click();
        await p.getByText("Accepted by Bea Billing").waitFor();
        const accepted = await api("GET", `/quotes/${q.id}`);
        assert(accepted.status === "accepted" && accepted.accepted_name === "Bea Billing", "the quote is accepted in her name");
        await noSideScroll(p, "the quote");
        await shot(p, "portal-quote-accepted", { fullPage: true });

        await p.goto(server.url + "/portal/tickets");
        await p.getByText("Page not found").waitFor();
        await p.context().close();
      },
    },
  ];
  return tests;
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, portalTests);
