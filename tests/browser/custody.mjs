// custody.mjs -- officials sign in their own browser (issue 17): two
// officials open their accounts with their one-time enrolment codes, each
// browser making a non-exportable WebCrypto Ed25519 key (kept in that
// profile's IndexedDB) and sending its OpenPGP certificate; the admin
// compares the fingerprints the officials read out with the pending ones
// on the people page and approves them (signed policy commits); then a
// báo cáo goes from draft to published, every step prepared by the
// server, shown (document, action, state, tree), and signed in the
// browser. Finally the verifier's HTML report, opened in the browser,
// shows the custody of each step. One screenshot per step.
//
// Extra environment: CH_CHANCERY (the chancery binary), CH_REPO (the
// site's repo.git), CH_REPORT (where to write the HTML report).
import { execFileSync } from 'node:child_process';
import {
	Session, PEOPLE, URL_BASE, ok, notOk, check, failures, step, login, docState, outcome, submit, env,
} from './lib.mjs';
import fs from 'node:fs';

const s = await new Session().start();
const TITLE = 'Báo cáo ký bằng khóa trong trình duyệt';
const results = { doc: null, fprs: {} };
const ctxs = {};
// Everything the officials' browsers send, as the server receives it
// after TLS (the decrypted capture, taken at the client).
const sent = [];

async function enrol(id) {
	const ctx = await s.context();
	ctxs[id] = ctx;
	ctx.on('request', (r) => sent.push({ who: id, url: r.url(), body: r.postData() || '' }));
	const page = await ctx.newPage();
	await page.goto(`${URL_BASE}/enrol`);
	await page.fill('input[name=id]', id);
	await page.fill('input[name=code]', PEOPLE[id].code);
	await page.fill('input[name=password]', PEOPLE[id].password);
	await page.fill('input[name=device_label]', `Chromium of ${id}`);
	await s.screenshot(page, `${id}-enrol-form`);
	await submit(page, '#enrol');
	const o = await outcome(page);
	if (o.error) throw new Error(o.error);
	const fpr = (await page.textContent('#enrolled-fpr')).trim();
	check(/^[0-9A-F]{40}$/.test(fpr), `${id}: the page shows the new key's fingerprint to read out (${fpr})`);
	const stored = await page.evaluate(async () => {
		const db = await new Promise((res, rej) => {
			const rq = indexedDB.open('chancery', 1);
			rq.onsuccess = () => res(rq.result); rq.onerror = () => rej(rq.error);
		});
		const rec = await new Promise((res) => {
			const rq = db.transaction('keys').objectStore('keys').getAll();
			rq.onsuccess = () => res(rq.result);
		});
		const k = rec[0];
		let exported = 'refused';
		try { await crypto.subtle.exportKey('pkcs8', k.privateKey); exported = 'EXPORTED'; } catch (e) { /* good */ }
		return { n: rec.length, fpr: k.fpr, extractable: k.privateKey.extractable, algo: k.privateKey.algorithm.name, exported };
	});
	check(stored.n === 1 && stored.fpr === fpr, `${id}: the key is kept in this browser's IndexedDB`);
	check(stored.algo === 'Ed25519' && stored.extractable === false && stored.exported === 'refused',
		`${id}: the private key is Ed25519 and cannot be exported (exportKey: ${stored.exported})`);
	await s.screenshot(page, `${id}-enrolled`);
	results.fprs[id] = fpr;
	return fpr;
}

// Choose ACTION, sign in the browser, confirm; the document page afterwards.
async function browserAct(page, action, want) {
	await page.locator(`#act-form input[name=action][value="${action}"]`).check();
	await page.waitForSelector('#sign-browser');
	await page.click('#sign-browser');
	await page.waitForSelector('#sign-panel');
	const shown = {
		action: (await page.textContent('#sign-action')).trim(),
		state: (await page.textContent('#sign-state')).trim(),
		tree: (await page.textContent('#sign-tree')).trim(),
		doc: (await page.textContent('#sign-document')).trim(),
	};
	check(shown.action === action && shown.state === want.state && /^[0-9a-f]{40}$/.test(shown.tree) &&
		shown.doc === results.doc, `before signing, the page shows what is signed: ${shown.doc}, ` +
		`${shown.action} in ${shown.state}, tree ${shown.tree.slice(0, 12)}`, JSON.stringify(shown));
	await s.screenshot(page, `${want.who}-${action}-what-is-signed`);
	await Promise.all([page.waitForURL(/\?signed=[0-9a-f]{40}$/), page.click('#sign-confirm')]);
	const st = await docState(page);
	check(st === want.to, `${want.who} ${action}: signed in the browser, the document is now ${st}`);
	await s.screenshot(page, `${want.who}-${action}-done`);
}

async function main() {
	const fa = await enrol('nv.a');
	const fb = await enrol('tt.b');

	// ---- the admin compares fingerprints and approves ----
	let page = await login(s, 'admin.a');
	await page.goto(`${URL_BASE}/people`);
	const pending = await page.locator('#pending code.pending-fpr').allTextContents();
	check(pending.includes(fa) && pending.includes(fb),
		'the people page lists both pending keys, with the fingerprints the officials read out');
	await s.screenshot(page, 'admin-pending-keys');
	for (const fpr of [fa, fb]) {
		const row = page.locator('#pending tr', { has: page.locator(`code:text-is("${fpr}")`) });
		await row.locator('input[name=passphrase]').fill(PEOPLE['admin.a'].passphrase);
		await submit(page, `#pending tr:has(code:text-is("${fpr}")) button.approve-key`);
		const o = await outcome(page);
		check(!o.error, `the admin approves key ${fpr.slice(-16)} (a signed policy commit)`, o.error);
	}
	check((await page.locator('#pending code.pending-fpr').count()) === 0, 'no key awaits approval any more');
	await s.screenshot(page, 'admin-approved');
	await page.context().close();

	// ---- nv.a creates, in the browser that holds their key ----
	page = await ctxs['nv.a'].newPage();
	await page.goto(`${URL_BASE}/login`);
	await page.fill('input[name=id]', 'nv.a');
	await page.fill('input[name=password]', PEOPLE['nv.a'].password);
	await Promise.all([page.waitForURL(/\/inbox$/), page.click('#login')]);
	if (!await step(s, page, 'nv.a creates a báo cáo, signed in the browser', async () => {
		await page.goto(`${URL_BASE}/docs/new`);
		await page.waitForSelector('#create-browser');
		await page.fill('input[name=title]', TITLE);
		await page.selectOption('select[name=type]', 'bao-cao');
		await page.fill('textarea[name=text]', 'Báo cáo tình hình triển khai (ký trong trình duyệt).\n');
		await page.click('#create-browser');
		await page.waitForSelector('#sign-panel');
		results.doc = (await page.textContent('#sign-document')).trim();
		check((await page.textContent('#sign-action')).trim() === 'create' &&
			(await page.textContent('#sign-parent')).includes('none'),
			`the page shows the create of ${results.doc} (no parent) before signing`);
		await s.screenshot(page, 'nv.a-create-what-is-signed');
		await Promise.all([page.waitForURL(new RegExp(`/docs/${results.doc}$`)), page.click('#sign-confirm')]);
		check(await docState(page) === 'draft', 'the document exists, in draft');
		await s.screenshot(page, 'nv.a-created');
	})) return;
	await browserAct(page, 'submit', { who: 'nv.a', state: 'draft', to: 'review' });

	const pb = await ctxs['tt.b'].newPage();
	await pb.goto(`${URL_BASE}/login`);
	await pb.fill('input[name=id]', 'tt.b');
	await pb.fill('input[name=password]', PEOPLE['tt.b'].password);
	await Promise.all([pb.waitForURL(/\/inbox$/), pb.click('#login')]);
	await pb.goto(`${URL_BASE}/docs/${results.doc}`);
	await browserAct(pb, 'approve', { who: 'tt.b', state: 'review', to: 'signing' });
	await page.goto(`${URL_BASE}/docs/${results.doc}`);
	await browserAct(page, 'sign', { who: 'nv.a', state: 'signing', to: 'signed' });
	await pb.goto(`${URL_BASE}/docs/${results.doc}`);
	await browserAct(pb, 'publish', { who: 'tt.b', state: 'signed', to: 'published' });

	// ---- reading works without JavaScript ----
	const plain = await s.browser.newContext({ javaScriptEnabled: false });
	const pp = await plain.newPage();
	await pp.goto(`${URL_BASE}/login`);
	await pp.fill('input[name=id]', 'tt.b');
	await pp.fill('input[name=password]', PEOPLE['tt.b'].password);
	await Promise.all([pp.waitForURL(/\/inbox$/), pp.click('#login')]);
	await pp.goto(`${URL_BASE}/docs/${results.doc}`);
	check((await pp.textContent('#doc-state')).trim() === 'published' &&
		(await pp.locator('#sign-browser').count()) === 0, 'without JavaScript the document reads as published');
	await s.screenshot(pp, 'no-javascript-reading');
	await plain.close();

	const bodies = sent.map((r) => r.body).join('\n');
	const posts = sent.filter((r) => r.body).length;
	check(posts >= 10 && !/PRIVATE KEY/.test(bodies) && !/(^|&)passphrase=[^&]/m.test(bodies) &&
		!/name="passphrase"\r\n\r\n[^\r]/.test(bodies),
		`the officials' browsers sent ${posts} request bodies: no private key, no passphrase among them`);
	check(sent.filter((r) => /\/sign\/finish$/.test(r.url)).every((r) => /signature=[0-9a-f]{128}(&|$)/.test(r.body)),
		'to sign a step the browser sends only the token and the 64-byte signature');
	for (const id of ['nv.a', 'tt.b']) {
		const v = await (id === 'nv.a' ? page : pb).evaluate(() => window.__cspViolations);
		check(v.length === 0, `${id}: no Content-Security-Policy violation (the script is the server's own)`, v.join('\n'));
	}

	// ---- the verifier's HTML report, in the browser ----
	const report = env('CH_REPORT');
	try {
		execFileSync(env('CH_CHANCERY'), ['verify', env('CH_REPO'), '--html', report], { stdio: 'pipe' });
	} catch (e) { notOk('chancery verify --html passes', e.stderr && e.stderr.toString()); }
	const rc = await s.browser.newContext();
	const rp = await rc.newPage();
	await rp.goto('file://' + report);
	const cust = await rp.locator(`tr:has(td:text-is("${results.doc}")) td.custody`).allTextContents();
	check(cust.length === 5 && cust.every((c) => c === 'browser'),
		`the verifier's HTML report shows the custody of each of the 5 steps: ${cust.join(', ')}`);
	const fact = await rp.textContent('body');
	check(/0 steps signed by keys the server held, 5 by browser keys/.test(fact),
		'the report counts 0 steps signed by keys the server held');
	await rp.locator('h2:text("Steps and the custody")').scrollIntoViewIfNeeded();
	await s.screenshot(rp, 'verifier-report-custody');
	await rc.close();
}

try {
	await main();
} catch (e) {
	notOk('the custody walk-through', e.stack || e);
}
const out = process.env.CH_OUT;
if (out) fs.writeFileSync(out, JSON.stringify(results));
check(s.dialogs.length === 0, 'no page opened a dialog', s.dialogs.join('\n'));
await s.stop();
process.exit(failures() ? 1 : 0);
