// scope.mjs -- read authorization in a real browser (DESIGN.md "Scoped
// roles"). A drafter of hq/consular wrote a draft (made with the command
// line by test_browser.sh: CH_FOREIGN_DOC, its title CH_FOREIGN_TITLE). An
// official of hq/legal does not see it in the list, cannot find it by its
// title, and opening its page shows exactly the page of an id that was
// never used; an auditor sees it in the list, finds it, and opens it.
import {
	Session, URL_BASE, env, ok, notOk, check, failures, step, login,
} from './lib.mjs';

const DOC = env('CH_FOREIGN_DOC');
const TITLE = env('CH_FOREIGN_TITLE');
const WORD = TITLE.split(' ').pop();
// an id of the same length that was never used
const UNUSED = DOC.replace(/[0-9a-f]$/, (h) => ((parseInt(h, 16) + 1) % 16).toString(16));

const s = await new Session().start();
let page;

const listIds = async (p) => p.$$eval('a[href^="/docs/"]', (as) => as.map((a) => a.getAttribute('href')));
// the page's visible text and status, with the id written as ID
async function openAs(p, id) {
	const resp = await p.goto(`${URL_BASE}/docs/${id}`);
	const text = (await p.textContent('main, body')).split(id).join('ID');
	return { status: resp.status(), text };
}

async function main() {
	page = await login(s, 'nguyen.van.a');
	await step(s, page, 'hq/legal: the list', async () => {
		await page.goto(`${URL_BASE}/docs`);
		await s.screenshot(page, 'legal-list');
		const ids = await listIds(page);
		check(!ids.some((h) => h.includes(DOC)), "an official of hq/legal: hq/consular's draft is not in the list",
			ids.join('\n'));
		check(!(await page.content()).includes(TITLE), '  nor its title anywhere on the page');
	});
	await step(s, page, 'hq/legal: the search', async () => {
		await page.fill('input[name=q]', WORD);
		await Promise.all([page.waitForURL(/\/docs\?/), page.click('form.filters button[type=submit]')]);
		await s.screenshot(page, 'legal-search');
		const ids = await listIds(page);
		check(!ids.some((h) => h.includes(DOC)), `  a search for '${WORD}' finds nothing`, ids.join('\n'));
	});
	await step(s, page, 'hq/legal: the page', async () => {
		const got = await openAs(page, DOC);
		await s.screenshot(page, 'legal-open-foreign');
		const none = await openAs(page, UNUSED);
		await s.screenshot(page, 'legal-open-unused');
		check(got.status === 404, `  opening it by its address answers 404 (${got.status})`);
		check(got.status === none.status && got.text === none.text,
			'  exactly as an id that was never used', `${got.text}\n---\n${none.text}`);
		check(!got.text.includes(TITLE), '  and shows nothing of it');
	});
	await page.context().close();

	page = await login(s, 'kiem.toan');
	await step(s, page, 'auditor: the list, the search and the page', async () => {
		await page.goto(`${URL_BASE}/docs`);
		await s.screenshot(page, 'auditor-list');
		check((await listIds(page)).some((h) => h.includes(DOC)), "an auditor sees hq/consular's draft in the list");
		await page.goto(`${URL_BASE}/docs?q=${encodeURIComponent(WORD)}`);
		await s.screenshot(page, 'auditor-search');
		check((await listIds(page)).some((h) => h.includes(DOC)), `  and finds it by '${WORD}'`);
		const got = await openAs(page, DOC);
		await s.screenshot(page, 'auditor-open');
		check(got.status === 200 && got.text.includes(TITLE), `  and opens it (${got.status})`);
	});
	await step(s, page, "auditor: the document's access history", async () => {
		await page.goto(`${URL_BASE}/audit?doc=${DOC}`);
		await s.screenshot(page, 'auditor-access-history');
		const rows = await page.$$eval('#access-log tr', (trs) => trs.slice(1).map((tr) => tr.innerText));
		check(rows.length > 0, `  the audit page shows the draft's access history (${rows.length} reads)`);
		check(rows.some((r) => r.includes('kiem.toan')), '  and names the auditor who just read it');
		check(!rows.some((r) => r.includes(TITLE)), '  and holds no document text');
	});
}

try {
	await main();
	ok('the scope scenario ran to its end');
} catch (e) {
	notOk('the scope scenario ran to its end', e && e.stack ? e.stack : e);
	if (page) await s.screenshot(page, 'FAILED-scope').catch(() => {});
} finally {
	check(s.dialogs.length === 0, 'no page opened a dialog', s.dialogs.join('\n'));
	await s.stop();
}
process.exit(failures() ? 1 : 0);
