// workflow.mjs -- a công văn through every hand, in a real browser:
// the drafter uploads a corpus file, revises it once and submits; the head
// finds it in the inbox, reads the diff, gives a wrong signing passphrase
// (an error, nothing recorded), then approves; a deputy returns it; the
// drafter revises and resubmits; the head and two deputies approve; the
// minister signs; the clerk publishes; the auditor sees every step
// verified. One screenshot per step, in CH_SHOTS.
import fs from 'node:fs';
import path from 'node:path';
import {
	Session, PEOPLE, URL_BASE, ok, notOk, check, failures, step, login, logout, act, revise,
	openFromInbox, docState, historyCount, outcome, submit, env,
} from './lib.mjs';

const CORPUS = env('CH_CORPUS');
const SOURCE = path.join(CORPUS, 'chinh-phu-tin-292.txt');
const TITLE = 'Tin Chính phủ về Nghị quyết 292/NQ-CP (thử nghiệm trình duyệt)';
const original = fs.readFileSync(SOURCE, 'utf8');
const lines = original.split('\n');
// Revision 2: the drafter rewords the opening line and adds a closing line.
const V2_LINE = 'Bổ sung: Bộ Ngoại giao triển khai Nghị quyết 292/NQ-CP trong toàn ngành.';
const v2 = [lines[0] + ' (dự thảo 2)', ...lines.slice(1)].join('\n').replace(/\n*$/, '\n') +
	`\n${V2_LINE}\n`;
// Revision 3, after the deputy's return: the figures the deputy asked for.
const V3_LINE = 'Số liệu: 6 nhiệm vụ, giải pháp; mốc 2030 và tầm nhìn 2045.';
const v3 = v2 + `\n${V3_LINE}\n`;
const RETURN_COMMENT = 'Đề nghị bổ sung số liệu cụ thể. <b>không in đậm</b>';
const file = (name, text) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text, 'utf8') });

const s = await new Session().start();
const results = { doc: null, steps: 0 };
let docUrl = null;

async function main() {
	let page;

	// ---- the drafter: log in, create from the corpus file, revise, submit ----
	page = await login(s, 'nguyen.van.a');
	ok('drafter nguyen.van.a logs in and lands in the inbox');
	await s.screenshot(page, 'drafter-inbox');

	if (!await step(s, page, 'drafter creates a công văn by uploading the corpus file', async () => {
		await page.goto(`${URL_BASE}/docs/new`);
		await s.screenshot(page, 'drafter-new-form');
		await page.fill('input[name=title]', TITLE);
		await page.selectOption('select[name=type]', 'cong-van');
		await page.setInputFiles('input[name=file]', SOURCE);
		await page.fill('input[name=passphrase]', PEOPLE['nguyen.van.a'].passphrase);
		await submit(page, '#create');
		const m = /\/docs\/([^/?#]+)$/.exec(page.url());
		if (!m || m[1] === 'new') throw new Error(`no document page after create: ${page.url()} ` +
			JSON.stringify(await outcome(page)));
		results.doc = decodeURIComponent(m[1]);
		docUrl = page.url();
		ok(`drafter creates a công văn by uploading the corpus file (${results.doc})`);
	})) return;
	await s.screenshot(page, 'drafter-created');
	check((await page.textContent('#doc-title')).trim() === TITLE, 'the title is shown as typed');
	check(await docState(page) === 'draft', 'a new document is in draft', await docState(page));
	const body = await page.textContent('#doc-body');
	check(body.includes('Thủ tướng Chính phủ Phạm Minh Chính vừa ký ban hành Nghị quyết'),
		'the uploaded Vietnamese text is shown in the body');
	check(await historyCount(page) === 1, 'the history holds the creation step');

	if (!await step(s, page, 'drafter revises once (upload of draft 2)', async () => {
		const o = await revise(page, file('du-thao-2.txt', v2), PEOPLE['nguyen.van.a'].passphrase);
		if (!o.notice || o.error) throw new Error(JSON.stringify(o));
		if (!(await page.textContent('#doc-body')).includes(V2_LINE)) throw new Error('draft 2 not shown');
		ok('drafter revises once (upload of draft 2): recorded and signed');
	})) return;
	await s.screenshot(page, 'drafter-revised');

	if (!await step(s, page, 'drafter submits', async () => {
		const o = await act(page, 'submit', PEOPLE['nguyen.van.a'].passphrase);
		if (!o.notice || o.error) throw new Error(JSON.stringify(o));
		const st = await docState(page);
		if (st !== 'review') throw new Error(`state ${st}, wanted review`);
		ok('drafter submits: the document is in review');
	})) return;
	await s.screenshot(page, 'drafter-submitted');
	await logout(page);
	ok('drafter logs out');

	// ---- the head: inbox, diff, a wrong passphrase, then approval ----
	page = await login(s, 'tran.thi.b');
	await s.screenshot(page, 'head-inbox');
	if (!await step(s, page, 'head tran.thi.b finds the document in the inbox', async () => {
		await openFromInbox(page, TITLE);
		if (page.url() !== docUrl) throw new Error(`opened ${page.url()}, wanted ${docUrl}`);
		ok('head tran.thi.b finds the document in the inbox and opens it');
	})) return;
	await s.screenshot(page, 'head-doc');

	if (!await step(s, page, 'head reads the diff of the two revisions', async () => {
		await Promise.all([page.waitForURL(/\/diff$/), page.click('#diff-link')]);
		const added = await page.locator('#diff span.add').allTextContents();
		const removed = await page.locator('#diff span.del').allTextContents();
		if (!added.some((t) => t.includes(V2_LINE))) throw new Error(`added lines: ${added.join(' / ')}`);
		if (!added.some((t) => t.includes('(dự thảo 2)'))) throw new Error('the reworded line is not added');
		if (!removed.some((t) => t.includes(lines[0]))) throw new Error(`removed lines: ${removed.join(' / ')}`);
		ok(`head reads the diff: ${added.length} lines added, ${removed.length} removed, as revised`);
	})) return;
	await s.screenshot(page, 'head-diff');
	await page.goto(docUrl);

	if (!await step(s, page, 'a wrong signing passphrase is refused and records nothing', async () => {
		const before = await historyCount(page);
		const head = await page.getAttribute('#act-form input[name=head]', 'value');
		const o = await act(page, 'approve', 'not-the-passphrase', 'Đồng ý.');
		if (!o.error || o.notice) throw new Error(`no error shown: ${JSON.stringify(o)}`);
		if (!/passphrase/i.test(o.error)) throw new Error(`the error does not name the passphrase: ${o.error}`);
		const st = await docState(page);
		if (st !== 'review') throw new Error(`state ${st} after a wrong passphrase`);
		await s.screenshot(page, 'head-wrong-passphrase');
		await page.goto(docUrl);
		if (await historyCount(page) !== before) throw new Error('the history grew');
		if (await page.getAttribute('#act-form input[name=head]', 'value') !== head)
			throw new Error('the document head moved');
		ok(`a wrong signing passphrase shows an error ("${o.error}") and records nothing`);
	})) return;

	if (!await step(s, page, 'head approves with the signing passphrase', async () => {
		const o = await act(page, 'approve', PEOPLE['tran.thi.b'].passphrase, 'Đồng ý, trình lãnh đạo Bộ.');
		if (!o.notice || o.error) throw new Error(JSON.stringify(o));
		const st = await docState(page);
		if (st !== 'deputies') throw new Error(`state ${st}, wanted deputies`);
		ok('head approves with the signing passphrase: deputies');
	})) return;
	await s.screenshot(page, 'head-approved');
	await logout(page);

	// ---- a deputy returns it ----
	page = await login(s, 'le.van.c');
	if (!await step(s, page, 'deputy le.van.c returns it with a comment', async () => {
		await openFromInbox(page, TITLE);
		const o = await act(page, 'return', PEOPLE['le.van.c'].passphrase, RETURN_COMMENT);
		if (!o.notice || o.error) throw new Error(JSON.stringify(o));
		const st = await docState(page);
		if (st !== 'draft') throw new Error(`state ${st}, wanted draft`);
		ok('deputy le.van.c returns it with a comment: back in draft');
	})) return;
	await s.screenshot(page, 'deputy-returned');
	await logout(page);

	// ---- the drafter revises and resubmits ----
	page = await login(s, 'nguyen.van.a');
	if (!await step(s, page, 'drafter sees the return and its comment, revises and resubmits', async () => {
		await openFromInbox(page, TITLE);
		const comments = await page.locator('#history blockquote').allTextContents();
		if (!comments.some((c) => c.trim() === RETURN_COMMENT))
			throw new Error(`comments: ${comments.join(' | ')}`);
		if (await page.locator('#history b:text-is("không in đậm")').count())
			throw new Error('markup in a comment was rendered');
		await s.screenshot(page, 'drafter-sees-return');
		let o = await revise(page, file('du-thao-3.txt', v3), PEOPLE['nguyen.van.a'].passphrase);
		if (!o.notice || o.error) throw new Error(`revise: ${JSON.stringify(o)}`);
		o = await act(page, 'submit', PEOPLE['nguyen.van.a'].passphrase);
		if (!o.notice || o.error) throw new Error(`submit: ${JSON.stringify(o)}`);
		const st = await docState(page);
		if (st !== 'review') throw new Error(`state ${st}, wanted review`);
		ok('drafter reads the comment (shown literally), revises and resubmits: review');
	})) return;
	await s.screenshot(page, 'drafter-resubmitted');
	await logout(page);

	// ---- head, two deputies, minister, clerk ----
	const chain = [
		['tran.thi.b', 'approve', 'deputies', 'head approves again'],
		['le.van.c', 'approve', 'deputies', 'deputy le.van.c approves (1 of 2)'],
		['pham.thi.d', 'approve', 'signing', 'deputy pham.thi.d approves (2 of 2): quorum met'],
		['vu.van.f', 'sign', 'signed', 'minister vu.van.f signs'],
		['do.thi.g', 'publish', 'published', 'clerk do.thi.g publishes'],
	];
	for (const [who, action, want, desc] of chain) {
		page = await login(s, who);
		if (!await step(s, page, desc, async () => {
			await openFromInbox(page, TITLE);
			const o = await act(page, action, PEOPLE[who].passphrase);
			if (!o.notice || o.error) throw new Error(JSON.stringify(o));
			const st = await docState(page);
			if (st !== want) throw new Error(`state ${st}, wanted ${want}`);
			if (want === 'deputies' && who === 'le.van.c') {
				const prog = await page.textContent('.progress');
				if (!/le\.van\.c/.test(prog)) throw new Error(`progress does not name le.van.c: ${prog}`);
			}
			ok(`${desc}: ${want}`);
		})) return;
		await s.screenshot(page, `${who}-${action}`);
		await logout(page);
	}

	// ---- the published document: no actions left, every signature good ----
	page = await login(s, 'nguyen.van.a');
	if (!await step(s, page, 'the published document offers no action and shows 12 good signatures', async () => {
		await page.goto(docUrl);
		if (await docState(page) !== 'published') throw new Error('not published');
		if (await page.locator('#act-form, #revise-form').count()) throw new Error('a form is still offered');
		const n = await historyCount(page);
		const bad = await page.locator('#history > li.sig-bad').count();
		if (n !== 12 || bad) throw new Error(`${n} steps, ${bad} with a bad signature`);
		await page.goto(`${URL_BASE}/inbox`);
		if (await page.locator('a.doc-link', { hasText: TITLE }).count())
			throw new Error('a published document is still in the inbox');
		await page.goto(docUrl);
		ok('the published document offers no action, leaves the inbox, shows 12 good signatures');
	})) return;
	await s.screenshot(page, 'published');
	await logout(page);

	// ---- the auditor ----
	page = await login(s, 'kiem.toan');
	if (!await step(s, page, 'auditor kiem.toan opens the audit page and sees every step verified', async () => {
		await page.click('header nav a[href="/audit"]');
		await page.waitForURL(/\/audit$/);
		await page.waitForSelector('#audit-ok');
		if (await page.locator('#findings li').count()) throw new Error('findings listed');
		ok('auditor kiem.toan opens the audit page and sees every step verified (#audit-ok)');
	})) return;
	await s.screenshot(page, 'auditor-audit');
	if (!await step(s, page, 'the auditor cannot act on the document', async () => {
		await page.goto(docUrl);
		if (await page.locator('#act-form, #revise-form').count()) throw new Error('a form is offered');
		ok('the auditor reads the document but is offered no action');
	})) return;
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
