// attach.mjs -- attachments in a real browser, kept small: the drafter
// creates a document with a CSV attachment uploaded from the form, sees it
// listed, downloads it (a download, not a page: Content-Disposition
// attachment, nosniff) byte for byte, and is offered no declaration
// checkbox (no policy/attachments.json right). A stamped attachment is
// refused without its content on the page. Screenshots in CH_SHOTS.
import fs from 'node:fs';
import {
	Session, PEOPLE, URL_BASE, ok, notOk, check, failures, step, login, logout, submit, outcome,
} from './lib.mjs';

const CSV = 'STT,Đơn vị,Số người\n1,Vụ Pháp luật,12\n2,Văn phòng Bộ,7\n';
const STAMPED = 'BỘ NGOẠI GIAO\n\nTỐI MẬT\n\nCANARY-BROWSER-ATT\n';
const csv = { name: 'danh-sách.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV, 'utf8') };
const s = await new Session().start();
s.acceptDownloads = true;
const results = { doc: null };

async function main() {
	const page = await login(s, 'nguyen.van.a');
	if (!await step(s, page, 'drafter creates a document with an uploaded attachment', async () => {
		await page.goto(`${URL_BASE}/docs/new`);
		check(await page.locator('#declare1').count() === 0,
			'no declaration checkbox for a person without the right');
		await page.fill('input[name=title]', 'Danh sách đoàn công tác (thử đính kèm)');
		await page.selectOption('select[name=type]', 'cong-van');
		await page.fill('textarea[name=text]', 'Kính gửi các đơn vị danh sách kèm theo.\n');
		await page.setInputFiles('#attach1', csv);
		await page.fill('input[name=passphrase]', PEOPLE['nguyen.van.a'].passphrase);
		await s.screenshot(page, 'attach-new-form');
		await submit(page, '#create');
		const m = /\/docs\/([^/?#]+)$/.exec(page.url());
		if (!m || m[1] === 'new') throw new Error(`no document page: ${JSON.stringify(await outcome(page))}`);
		results.doc = decodeURIComponent(m[1]);
		ok(`drafter creates a document with an uploaded attachment (${results.doc})`);
	})) return;
	await s.screenshot(page, 'attach-doc-page');
	const link = page.locator('#attachments a.attachment');
	check(await link.count() === 1 && (await link.textContent()).trim() === 'danh-sách.csv',
		'the document page lists the attachment by its name');
	if (!await step(s, page, 'the attachment downloads byte for byte', async () => {
		const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
		const got = fs.readFileSync(await dl.path(), 'utf8');
		if (got !== CSV) throw new Error(`downloaded ${JSON.stringify(got)}`);
		check(dl.suggestedFilename() === 'danh-sách.csv', 'the download keeps its Vietnamese name',
			dl.suggestedFilename());
		// through node (trusting the same CA: NODE_EXTRA_CA_CERTS), with the page's cookies
		const resp = await page.request.get(URL_BASE + await link.getAttribute("href"));
		const h = resp.headers();
		check(/^attachment;/.test(h['content-disposition'] || '') &&
			h['x-content-type-options'] === 'nosniff' && /^text\/plain/.test(h['content-type'] || ''),
			'served as an attachment, text/plain, nosniff', JSON.stringify(h));
		ok('the attachment downloads byte for byte');
	})) return;
	if (!await step(s, page, 'a stamped attachment is refused in the revise form', async () => {
		await page.click('details.revise summary');
		await page.setInputFiles('#attach1', { name: 'phu-luc.txt', mimeType: 'text/plain',
			buffer: Buffer.from(STAMPED, 'utf8') });
		await page.fill('#revise-form input[name=passphrase]', PEOPLE['nguyen.van.a'].passphrase);
		await submit(page, '#revise');
		const out = await outcome(page);
		const html = await page.content();
		if (!/classification marking/.test(JSON.stringify(out))) throw new Error(JSON.stringify(out));
		if (html.includes('CANARY-BROWSER-ATT')) throw new Error('the page echoes the content');
		ok('a stamped attachment is refused in the revise form, without its content on the page');
	})) return;
	await s.screenshot(page, 'attach-refused');
	await logout(page);
}

try {
	await main();
} catch (e) {
	notOk('the scenario ran to its end', e && e.stack ? e.stack : e);
} finally {
	check(s.dialogs.length === 0, 'no page opened a dialog', s.dialogs.join('\n'));
	await s.stop();
	if (process.env.CH_OUT) fs.writeFileSync(process.env.CH_OUT, JSON.stringify(results) + '\n');
}
process.exit(failures() ? 1 : 0);
