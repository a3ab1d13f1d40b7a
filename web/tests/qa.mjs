/*
 * qa.mjs - the browser tests of the quality reviews. Fixtures through the
 * API: a client, a technician, a services manager, a service order the
 * technician worked and resolved (a public note, time), and a review of it
 * made by hand (the weekly draw itself is test_qa.py's). Then in the
 * browser:
 *
 *   - the manager opens Quality reviews: the queue shows the week, the
 *     technician, the service order, its client and its resolution;
 *   - Review opens the service order's summary (its note, its time) beside
 *     the checklist with its weights; points per item move the score shown;
 *     Complete review keeps it: the page shows 75 / 100 and the API agrees
 *     (done, score 75, the manager as reviewer);
 *   - the Done tab lists it with its score, the report gives the
 *     technician's average;
 *   - the admin sets the sample rate to 15 % in Settings → Quality reviews
 *     and sees the default checklist with its weights.
 *
 * Screenshots: quality-queue, quality-review, quality-report,
 * quality-settings.
 *
 * Two ways to run it:
 *   node tests/qa.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:          import { qaTests } from "./qa.mjs";
 *                          tests.push(...qaTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

const MIA_EMAIL = "mia.quality@example.com";
const MIA_PASSWORD = "Mia-Manager-Password-42";

export function qaTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);

  return [
    {
      name: "quality: the manager's queue shows the service order to review",
      fn: async () => {
        fx.company = await api("POST", "/companies", { name: "Qualitas Clinic", kind: "client" });
        fx.quinn = await api("POST", "/users", { email: "quinn.qa@example.com", name: "Quinn Quist", role: "technician", password: "Quinn-Tech-Password-42" });
        fx.mia = await api("POST", "/users", { email: MIA_EMAIL, name: "Mia Manager", role: "manager", password: MIA_PASSWORD });
        fx.ticket = await api("POST", "/tickets", { subject: "Label printer smears", company_id: fx.company.id, assignee_id: fx.quinn.id });
        await api("POST", `/tickets/${fx.ticket.id}/notes`, { body: "Cleaned the print head; test labels are crisp again.", visibility: "public" });
        await api("PATCH", `/tickets/${fx.ticket.id}`, { status: "resolved", resolution: "Replaced the ribbon and cleaned the print head." }, { "If-Match": "*" });
        fx.review = await api("POST", "/qa-reviews", { ticket_id: fx.ticket.id });
        fx.ticket = await api("GET", `/tickets/${fx.ticket.id}`);

        const page = await newPage();
        fx.page = page;
        await signIn(page, MIA_EMAIL, MIA_PASSWORD);
        await page.getByRole("link", { name: "Quality reviews" }).click();
        await page.getByRole("heading", { name: "Quality reviews" }).waitFor();
        const row = page.getByRole("row", { name: new RegExp(fx.ticket.number) });
        await row.waitFor();
        const cells = (await row.innerText()).replace(/\s+/g, " ");
        assert(cells.includes("Quinn Quist"), `the technician is named: ${cells}`);
        assert(cells.includes("Label printer smears"), `the subject is shown: ${cells}`);
        await row.getByText("Qualitas Clinic").waitFor();
        assert(cells.includes("Replaced the ribbon"), `the resolution is shown: ${cells}`);
        await shot(page, "quality-queue");
      },
    },
    {
      name: "quality: a review is scored from the checklist's weights and kept",
      fn: async () => {
        const page = fx.page;
        await page.getByRole("link", { name: `Review ${fx.ticket.number}` }).click();
        await page.getByRole("heading", { name: /Review of/ }).waitFor();
        await page.getByText("Cleaned the print head; test labels are crisp again.").waitFor();
        await page.getByRole("link", { name: `Open ${fx.ticket.number}` }).waitFor();
        const checklist = page.getByRole("table", { name: "Checklist" });
        await checklist.getByText("Diagnosis documented").waitFor();
        const preview = page.getByTestId("qa-score-preview");
        assert((await preview.innerText()).includes("100 / 100"), "full points to start with");
        // 20 + 10 + 15 + 20 + 0 + 10 of 100
        await page.getByLabel("Points for Customer kept informed, 0 to 20").fill("10");
        await page.getByRole("button", { name: "No points for Notes professional" }).click();
        await page.waitForFunction(() => document.querySelector("[data-testid=qa-score-preview]")?.textContent?.includes("75 / 100"));
        // points above a weight are refused before they are sent
        await page.getByLabel("Points for Time recorded accurately, 0 to 15").fill("16");
        assert(await page.getByRole("button", { name: "Complete review" }).isDisabled(), "16 of 15 cannot be sent");
        await page.getByRole("button", { name: "Full points for Time recorded accurately" }).click();
        await page.getByLabel("Notes for the technician").fill("Tell the client when a part is on order.");
        await shot(page, "quality-review");
        await page.getByRole("button", { name: "Complete review" }).click();
        await page.getByTestId("qa-score").waitFor();
        assert((await page.getByTestId("qa-score").innerText()).includes("75 / 100"), "the page shows the score kept");
        const r = await api("GET", `/qa-reviews/${fx.review.id}`);
        assert(r.status === "done" && r.score === 75 && r.reviewer_id === fx.mia.id, `the API agrees: ${JSON.stringify(r)}`);
        assert(r.notes === "Tell the client when a part is on order.", "the notes are kept");
      },
    },
    {
      name: "quality: done reviews show their scores, the report the technician's average",
      fn: async () => {
        const page = fx.page;
        await page.goto(server.url + "/quality?tab=done");
        const row = page.getByRole("table", { name: "Reviews done" }).getByRole("row", { name: new RegExp(fx.ticket.number) });
        await row.waitFor();
        assert((await row.innerText()).includes("75 / 100"), "the done list shows the score");
        await page.getByRole("tab", { name: "Report" }).click();
        const rep = page.getByRole("table", { name: "Quality scores per technician" }).getByRole("row", { name: /Quinn Quist/ });
        await rep.waitFor();
        assert((await rep.innerText()).includes("75 / 100"), `the average: ${await rep.innerText()}`);
        await shot(page, "quality-report");
        await page.context().close();
      },
    },
    {
      name: "quality: the admin sets the sample rate and sees the weighted checklist",
      fn: async () => {
        const page = await newPage();
        await signIn(page);
        await page.goto(server.url + "/settings/quality");
        const rate = page.getByLabel("Sample rate (%)");
        await rate.waitFor();
        assert((await rate.inputValue()) === "10", "10 % to start with");
        await rate.fill("15");
        await page.getByRole("button", { name: "Save rate" }).click();
        await page.getByText("Sample rate saved").waitFor();
        const s = await api("GET", "/settings");
        assert(s.qa_sample_rate_bp === 1500, `saved in basis points: ${s.qa_sample_rate_bp}`);
        const tpl = page.getByRole("table", { name: "Review checklists" }).getByRole("row", { name: /Service order review/ });
        await tpl.waitFor();
        const t = (await tpl.innerText()).replace(/\s+/g, " ");
        assert(t.includes("Default") && t.includes("Diagnosis documented (20)"), `the default checklist: ${t}`);
        await shot(page, "quality-settings");
        await page.context().close();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, qaTests);
