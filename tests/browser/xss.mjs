// xss.mjs -- hostile text renders inert in a real browser. A drafter
// creates a document whose title and body carry <script> and
// <img onerror>, revises it with more, comments with more, and reflects
// more through the search box and a refused form. On every page that shows
// them: no dialog fired, no injected element exists, no Content-Security-
// Policy violation happened (nothing even tried to run or load), and the
// title is shown literally. The checks read the DOM, so they hold whether
// or not the CSP would have blocked an injected script.
import fs from 'node:fs';
import {
	Session, PEOPLE, URL_BASE, ok, notOk, check, failures, step, login, act, revise, submit,
	docState, outcome,
} from './lib.mjs';

const TITLE = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const BODY = [
	'# Công văn thử nghiệm',
	'',
	'Đoạn văn có <script>alert(3)</script> ở giữa.',
	'',
	'<img src=x onerror=alert(4)>',
	'',
	'<script>alert(33)</script>',
	'',
	'[bấm vào đây](javascript:alert(9)) và <a href="javascript:alert(10)">liên kết</a>',
	'',
].join('\n');
const REVISED = BODY + '\n"><svg onload=alert(5)><img src=x onerror=alert(55)>\n';
const COMMENT = '<img src=x onerror=alert(6)></blockquote><script>alert(66)</script>';
const ATTR = '" autofocus onfocus="alert(7)" x="';
const SEARCH = '"><img src=x onerror=alert(8)>';
const me = 'nguyen.van.a';

const s = await new Session().start();
let page;

// Everything that would betray an injection, read from the live DOM.
async function inert(p, where) {
	const r = await p.evaluate(() => {
		const handlers = [];
		for (const el of document.querySelectorAll('*'))
			for (const a of el.attributes)
				if (/^on/i.test(a.name)) handlers.push(`${el.tagName} ${a.name}`);
		return {
			// the server's own script (issue 17: signing in the browser) is the only one allowed
			scripts: [...document.scripts].filter((e) => e.getAttribute('src') !== '/static/chancery.js' ||
				e.textContent.trim() !== '' || e.parentNode !== document.head).length,
			imgs: [...document.images].map((i) => i.getAttribute('src')),
			svgs: document.querySelectorAll('svg').length,
			handlers,
			jsLinks: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))
				.filter((h) => /^\s*javascript:/i.test(h)),
			autofocus: document.querySelectorAll('[autofocus]').length,
			csp: window.__cspViolations || ['(no CSP listener)'],
		};
	});
	const bad = [];
	if (r.scripts) bad.push(`${r.scripts} <script> elements`);
	if (r.imgs.length) bad.push(`<img> elements: ${r.imgs.join(', ')}`);
	if (r.svgs) bad.push(`${r.svgs} <svg> elements`);
	if (r.handlers.length) bad.push(`event handler attributes: ${r.handlers.join(', ')}`);
	if (r.jsLinks.length) bad.push(`javascript: links: ${r.jsLinks.join(', ')}`);
	if (r.autofocus) bad.push('an injected autofocus attribute');
	if (r.csp.length) bad.push(`CSP violations: ${r.csp.join(', ')}`);
	if (s.dialogs.length) bad.push(`dialogs: ${s.dialogs.join(', ')}`);
	check(bad.length === 0, `${where}: inert (no dialog, no injected element, no CSP violation)`,
		bad.join('\n'));
}

// A control: the detectors see a real injection on a page without the
// server's defences, so their silence on the server's pages means something.
async function control() {
	const ctx = await s.context();
	const p = await ctx.newPage();
	await p.setContent('<p>x</p><img src="data:," onerror="alert(1)"><img src=x onerror=alert(2)>');
	await p.waitForTimeout(300);
	const imgs = await p.locator('img').count();
	check(s.dialogs.length >= 1 && imgs === 2, 'control: on an undefended page the same payload opens a ' +
		`dialog and leaves <img> elements, and the test sees them (${s.dialogs.length} dialogs)`);
	s.dialogs.length = 0;
	await ctx.close();
}

async function main() {
	await control();
	page = await login(s, me);
	let docUrl;

	if (!await step(s, page, 'a document titled with <script> and <img onerror> is created', async () => {
		await page.goto(`${URL_BASE}/docs/new`);
		await page.fill('input[name=title]', TITLE);
		await page.selectOption('select[name=type]', 'cong-van');
		await page.fill('textarea[name=text]', BODY);
		await page.fill('input[name=passphrase]', PEOPLE[me].passphrase);
		await submit(page, '#create');
		if (!/\/docs\/(?!new$)[^/]+$/.test(page.url()))
			throw new Error(`no document page: ${page.url()} ${JSON.stringify(await outcome(page))}`);
		docUrl = page.url();
		ok('a document titled with <script> and <img onerror> is created');
	})) return;
	await page.waitForTimeout(300); // give an injected onerror its chance to fire
	await s.screenshot(page, 'xss-doc');
	check((await page.textContent('#doc-title')) === TITLE, 'the title is shown literally, character for character',
		await page.textContent('#doc-title'));
	check((await page.textContent('#doc-body')).includes('Đoạn văn có'), 'the body text around the markup is shown');
	await inert(page, 'the document page');

	await page.goto(`${URL_BASE}/inbox`);
	await page.waitForTimeout(200);
	const inbox = await page.locator('a.doc-link').allTextContents();
	check(inbox.includes(TITLE), 'the inbox shows the title literally', inbox.join(' | '));
	await inert(page, 'the inbox');
	await page.goto(docUrl);

	if (!await step(s, page, 'a revision with <svg onload>, and a submission with markup in its comment, are recorded', async () => {
		let o = await revise(page, { name: 'x.md', mimeType: 'text/markdown', buffer: Buffer.from(REVISED) },
			PEOPLE[me].passphrase);
		if (!o.notice || o.error) throw new Error(`revise: ${JSON.stringify(o)}`);
		o = await act(page, 'submit', PEOPLE[me].passphrase, COMMENT);
		if (!o.notice || o.error) throw new Error(`submit: ${JSON.stringify(o)}`);
		ok('a revision with <svg onload>, and a submission with markup in its comment, are recorded');
	})) return;
	await page.waitForTimeout(300);
	const comments = await page.locator('#history blockquote').allTextContents();
	check(comments.some((c) => c.trim() === COMMENT), 'the comment is shown literally', comments.join(' | '));
	check(await docState(page) === 'review', 'the submission moved it to review');
	await s.screenshot(page, 'xss-comment');
	await inert(page, 'the document page after revision and comment');

	await page.goto(`${docUrl}/diff`);
	await page.waitForTimeout(300);
	await s.screenshot(page, 'xss-diff');
	const diff = await page.textContent('#diff');
	check(diff.includes('"><svg onload=alert(5)><img src=x onerror=alert(55)>'),
		'the diff shows the added markup as text', diff.slice(0, 300));
	check((await page.textContent('h1 a')) === TITLE, 'the diff page shows the title literally');
	await inert(page, 'the diff page');

	await page.goto(`${URL_BASE}/docs`);
	await page.waitForTimeout(200);
	const titles = await page.locator('a.doc-link').allTextContents();
	check(titles.includes(TITLE), 'the document list shows the title literally', titles.join(' | '));
	await s.screenshot(page, 'xss-list');
	await inert(page, 'the document list');

	await page.goto(`${URL_BASE}/docs?q=${encodeURIComponent(SEARCH)}`);
	await page.waitForTimeout(200);
	check(await page.inputValue('input[name=q]') === SEARCH, 'a search query is echoed as the input value only');
	await inert(page, 'the search page with a hostile query');

	// A refused create re-renders the form with the title in an attribute.
	await page.goto(`${URL_BASE}/docs/new`);
	await page.fill('input[name=title]', ATTR);
	await page.fill('textarea[name=text]', 'Nội dung.');
	await page.fill('input[name=passphrase]', 'wrong-passphrase');
	await submit(page, '#create');
	await page.waitForTimeout(200);
	await s.screenshot(page, 'xss-refused-form');
	const o = await outcome(page);
	check(/passphrase/i.test(o.error), 'a create with a wrong passphrase is refused, the error names the passphrase',
		JSON.stringify(o));
	check(await page.inputValue('input[name=title]') === ATTR, 'the refused title is echoed as the input value only');
	await inert(page, 'the refused new-document form');
}

try {
	await main();
} catch (e) {
	notOk('the XSS scenario ran to its end', e && e.stack ? e.stack : e);
	if (page) await s.screenshot(page, 'FAILED-xss').catch(() => {});
} finally {
	check(s.dialogs.length === 0, 'no page opened a dialog', s.dialogs.join('\n'));
	await s.stop();
}
process.exit(failures() ? 1 : 0);
