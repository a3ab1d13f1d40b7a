/*
 * surveys.mjs - the browser tests of satisfaction surveys. Fixtures through
 * the API: a client with a contact, a service order resolved (which makes
 * its survey). Then in the browser:
 *
 *   - the client opens the survey's link as the mail's one-click "2" does
 *     (/s/<token>?rating=2) on a phone: the page names the firm and the
 *     order, shows 2 pre-selected and has answered nothing (the API says
 *     so); the client confirms with a comment and sees the thanks; the API
 *     has the answer;
 *   - the admin's Surveys page lists it with its rating, comment and
 *     order, the "Rated 1–2" filter keeps it, and the CSAT report counts
 *     it; the ticket's page shows the survey.
 *
 * Screenshots: survey-public, survey-thanks, surveys-page.
 *
 * Two ways to run it:
 *   node tests/surveys.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:               import { surveyTests } from "./surveys.mjs";
 *                               tests.push(...surveyTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

export function surveyTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};

  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);
  const survey = async () => (await api("GET", `/surveys?ticket_id=${fx.ticket.id}`)).data[0];

  return [
    {
      name: "surveys: the client confirms a one-click rating with a comment",
      fn: async () => {
        fx.company = await api("POST", "/companies", { name: "Quillfeather Books", kind: "client" });
        const contact = await api("POST", "/contacts", { company_id: fx.company.id, first_name: "Wendy", last_name: "Reader", email: "wendy@quillfeather.example" });
        fx.ticket = await api("POST", "/tickets", { subject: "Till printer prints blank receipts", company_id: fx.company.id, contact_id: contact.id });
        await api("POST", `/tickets/${fx.ticket.id}/resolve`, { resolution: "Replaced the thermal head." }, { "If-Match": "*" });
        const s = await survey();
        assert(s && s.url && /\/s\/[A-Za-z0-9_-]{43}$/.test(s.url), `the survey has its link: ${JSON.stringify(s)}`);
        // the link is on the firm's public_url (servio init's http://localhost:8080): its path, on this server
        const link = server.url + new URL(s.url, server.url).pathname + "?rating=2";
        fx.link = link;
        const page = await newPage({ width: 390, height: 844 });
        await page.goto(link);
        await page.getByRole("heading", { name: "How did we do?" }).waitFor();
        assert((await page.locator(".survey-about").innerText()).includes(fx.ticket.number), "the page names the service order");
        const two = page.getByRole("radio", { name: /^2 –/ });
        assert((await two.getAttribute("aria-checked")) === "true", "the mail's rating is pre-selected");
        await page.getByText("2 of 5 – Poor").waitFor();
        const before = await survey();
        assert(before.rating === null && !before.answered, `opening the link answered nothing: ${JSON.stringify(before)}`);
        await shot(page, "survey-public");
        await page.getByLabel("Anything you want to tell us? (optional)").fill("The printer jammed again the next day.");
        await page.getByRole("button", { name: "Send my rating (2/5)" }).click();
        await page.getByRole("heading", { name: "Thank you!" }).waitFor();
        await page.getByText("You rated us").waitFor();
        await shot(page, "survey-thanks");
        const after = await survey();
        assert(after.rating === 2 && after.comment === "The printer jammed again the next day.", `the answer is saved: ${JSON.stringify(after)}`);
        await page.context().close();
      },
    },
    {
      name: "surveys: staff see the answer on the Surveys page, in CSAT and on the order",
      fn: async () => {
        const page = await newPage();
        await signIn(page);
        await page.getByRole("link", { name: "Surveys" }).first().click();
        await page.getByRole("heading", { name: "Surveys", level: 1 }).waitFor();
        const table = page.getByRole("table", { name: "Surveys" });
        const row = table.getByRole("row").filter({ hasText: "The printer jammed again the next day." });
        await row.waitFor();
        // the names arrive after the row (each is looked up): wait for them
        await row.getByText(fx.ticket.number).waitFor();
        await row.getByText("Quillfeather Books").waitFor();
        assert(await row.getByText("2 of 5").count(), "the row shows the rating");
        await page.getByRole("button", { name: "Rated 1–2" }).click();
        await page.waitForURL((u) => u.search.includes("rating=1%2C2"));
        await row.waitFor();
        const csat = page.getByRole("table", { name: /Customer satisfaction/ });
        await csat.waitFor();
        await page.getByLabel("Group").selectOption("client");
        const client = csat.getByRole("row").filter({ hasText: "Quillfeather Books" });
        await client.waitFor();
        assert((await client.innerText()).includes("100 %"), `the response rate: ${await client.innerText()}`);
        await shot(page, "surveys-page");
        await page.goto(server.url + `/tickets/${fx.ticket.id}`);
        const card = page.locator("#survey");
        await card.getByText("The printer jammed again the next day.").waitFor();
        assert((await card.locator("input").inputValue()).includes("/s/"), "the ticket shows the link");
        await page.context().close();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, surveyTests);
