/*
 * kb.mjs - the browser tests of the knowledge base. Fixtures through the
 * API: a client and a technician. Then in the browser, as the technician:
 *
 *   - "Knowledge base" in the navigation; "New article": the preview shows
 *     the server's rendering as one types (a heading, bold text), and a
 *     <script> and an onerror image typed in come out as text, never as
 *     elements; saved, the article page shows the same HTML;
 *   - the list finds it by a word of its text and by its tag (clicking a
 *     tag chip filters);
 *   - an edit keeps the earlier version under "Earlier versions";
 *   - a service order about the same thing suggests it under "Similar
 *     articles"; "Link" moves it to the linked articles (the API agrees),
 *     the article counts one service order solved, "Unlink" undoes it.
 *
 * Screenshots: kb-editor, kb-article, kb-list, kb-ticket.
 *
 * Two ways to run it:
 *   node tests/kb.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:          import { kbTests } from "./kb.mjs";
 *                          tests.push(...kbTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

const KIM_EMAIL = "kim.kb@example.com";
const KIM_PASSWORD = "Kim-Knowledge-Password-42";

/* html as the browser writes it back once parsed (an inert template: nothing in it loads or runs). */
function asParsed(page, html) {
  return page.evaluate((h) => {
    const t = document.createElement("template");
    t.innerHTML = h;
    return t.innerHTML;
  }, html);
}

export function kbTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};

  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);

  return [
    {
      name: "kb: write an article with a live preview of the server's sanitised HTML",
      fn: async () => {
        fx.company = await api("POST", "/companies", { name: "Quillfeather Books", kind: "client" });
        fx.kim = await api("POST", "/users", { email: KIM_EMAIL, name: "Kim Knowles", role: "technician", password: KIM_PASSWORD });
        const page = await newPage();
        fx.page = page;
        page.on("dialog", (d) => {
          fx.dialogs = (fx.dialogs ?? 0) + 1;
          void d.dismiss();
        });
        await signIn(page, KIM_EMAIL, KIM_PASSWORD);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Knowledge base" }).click();
        await page.getByRole("heading", { name: "Knowledge base", level: 1 }).waitFor();
        await page.getByRole("link", { name: "New article" }).first().click();
        await page.getByRole("heading", { name: "New article" }).waitFor();
        await page.getByLabel("Title").fill("Label printer prints blank pages");
        await page.getByLabel("Tags").fill("Printers, zebra");
        const body = page.getByLabel("Text (Markdown)");
        await body.fill("## Fix\n\nReplace the **thermal ribbon**, then calibrate the zebrafix sensor.\n\n<script>window.kbPwned = 1</script>\n\n<img src=x onerror=\"window.kbPwned = 2\">\n");
        const preview = page.getByLabel("Preview");
        await preview.locator("h2", { hasText: "Fix" }).waitFor();
        await preview.locator("strong", { hasText: "thermal ribbon" }).waitFor();
        await preview.getByText("<script>window.kbPwned = 1</script>").waitFor();
        assert((await preview.locator("script, img").count()) === 0, "no script or img element in the preview");
        const serverHtml = (await api("POST", "/kb/preview", { body: await body.inputValue() })).html;
        assert((await preview.locator(".kb-html").innerHTML()) === (await asParsed(page, serverHtml)), "the preview is the server's HTML as it is");
        await shot(page, "kb-editor");
        await page.getByRole("button", { name: "Write article" }).click();
        await page.getByRole("heading", { name: "Label printer prints blank pages", level: 1 }).waitFor();
        fx.articleId = Number(new URL(page.url()).pathname.split("/").pop());
        const stored = await api("GET", `/kb/articles/${fx.articleId}`);
        assert(JSON.stringify(stored.tags) === JSON.stringify(["printers", "zebra"]), "tags kept in lower case: " + JSON.stringify(stored.tags));
        assert(stored.author_id === fx.kim.id, "the technician is the author");
        assert((await page.locator(".kb-html").innerHTML()) === (await asParsed(page, stored.html)), "the article shows its html");
        assert((await page.locator(".kb-html script, .kb-html img").count()) === 0, "no script or img on the article page");
        assert(await page.evaluate(() => window.kbPwned === undefined), "nothing the author typed ran");
        assert(!fx.dialogs, "no dialog was opened by the article");
        await shot(page, "kb-article");
      },
    },
    {
      name: "kb: the list finds it by a word and by its tag",
      fn: async () => {
        const page = fx.page;
        await api("POST", "/kb/articles", { title: "Monitor flickers", body: "Swap the cable.", tags: ["monitors"] });
        await page.goto(server.url + "/kb");
        const list = page.getByRole("list", { name: "Articles" });
        await list.getByRole("link", { name: "Monitor flickers" }).waitFor();
        await page.getByLabel("Search titles, text and tags").fill("zebrafix");
        await page.waitForURL((u) => u.searchParams.get("q") === "zebrafix");
        await list.getByRole("link", { name: "Monitor flickers" }).waitFor({ state: "detached" });
        await list.getByRole("link", { name: "Label printer prints blank pages" }).waitFor();
        await page.getByLabel("Search titles, text and tags").fill("");
        await page.waitForURL((u) => !u.searchParams.get("q"));
        await list.getByRole("link", { name: "Monitor flickers" }).waitFor();
        await list.getByRole("button", { name: "Only articles tagged zebra" }).click();
        await page.waitForURL((u) => u.searchParams.get("tag") === "zebra");
        await list.getByRole("link", { name: "Monitor flickers" }).waitFor({ state: "detached" });
        // the list is gone while it loads: count its rows once the answer is in
        await list.getByRole("link", { name: "Label printer prints blank pages" }).waitFor();
        assert((await list.getByRole("listitem").count()) === 1, "one article tagged zebra");
        await shot(page, "kb-list");
      },
    },
    {
      name: "kb: an edit keeps the earlier version",
      fn: async () => {
        const page = fx.page;
        await page.goto(server.url + `/kb/${fx.articleId}`);
        await page.getByRole("link", { name: "Edit" }).click();
        await page.getByRole("heading", { name: "Edit article" }).waitFor();
        const body = page.getByLabel("Text (Markdown)");
        await body.fill((await body.inputValue()).replace("calibrate", "recalibrate"));
        await page.getByLabel("Preview").getByText("recalibrate").waitFor();
        await page.getByRole("button", { name: "Save", exact: true }).click();
        await page.getByRole("heading", { name: "Label printer prints blank pages", level: 1 }).waitFor();
        await page.locator(".kb-html").getByText("recalibrate").waitFor();
        await page.getByRole("tab", { name: /Earlier versions/ }).click();
        const revs = page.getByRole("list", { name: "Earlier versions, newest first" });
        await revs.getByText("Revision 1").waitFor();
        await revs.getByRole("button", { name: "Show" }).click();
        await revs.locator(".kb-html").getByText("then calibrate the").waitFor();
      },
    },
    {
      name: "kb: a service order suggests the article; link and unlink it",
      fn: async () => {
        const page = fx.page;
        fx.ticket = await api("POST", "/tickets", {
          subject: "Zebra label printer prints blank labels",
          description: "Since this morning every label comes out blank. Thermal ribbon? \"urgent\" (NOT * OR)",
          company_id: fx.company.id,
        });
        await page.goto(server.url + `/tickets/${fx.ticket.id}`);
        const card = page.locator("#kb");
        const similar = card.getByRole("list", { name: "Similar articles" });
        await similar.getByRole("link", { name: "Label printer prints blank pages" }).waitFor();
        await card.getByText("No article linked yet.").waitFor();
        await shot(page, "kb-ticket");
        await similar.getByRole("button", { name: 'Link "Label printer prints blank pages" as having solved this' }).click();
        const linked = card.getByRole("list", { name: "Linked articles" });
        await linked.getByRole("link", { name: "Label printer prints blank pages" }).waitFor();
        const links = await api("GET", `/tickets/${fx.ticket.id}/kb-links`);
        assert(links.data.length === 1 && links.data[0].article_id === fx.articleId, "the API has the link");
        assert(links.data[0].linked_by_id === fx.kim.id, "linked by the technician");
        assert((await api("GET", `/kb/articles/${fx.articleId}`)).ticket_count === 1, "the article counts one");
        await page.goto(server.url + `/kb/${fx.articleId}`);
        await page.getByRole("complementary", { name: "About this article" }).getByText(fx.ticket.number).waitFor();
        await page.goto(server.url + `/tickets/${fx.ticket.id}`);
        await card.getByRole("button", { name: 'Unlink "Label printer prints blank pages"' }).click();
        await card.getByText("No article linked yet.").waitFor();
        assert((await api("GET", `/kb/articles/${fx.articleId}`)).ticket_count === 0, "the count follows the unlink");
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, kbTests);
