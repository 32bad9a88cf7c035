// lib.mjs -- what the browser tests share: Debian's chromium driven by
// playwright-core, trusting the site's own certificate authority (no
// ignoreHTTPSErrors), one browser context (cookie jar) per official, a
// screenshot per step, and `ok - …` / `not ok - …` lines for tests/run.sh.
//
// Environment (set by tests/integration/test_browser.sh):
//   CH_URL          https://127.0.0.1:PORT   (the server's own origin)
//   CH_CA           the PEM of the certificate authority that signed the server's certificate
//   CH_PEOPLE       a JSON file: { "ID": { "password": "…", "passphrase": "…" }, … }
//   CH_SHOTS        the directory for the screenshots (PNG)
//   CH_CORPUS       the corpus directory
//   CH_OUT          optional: a JSON file this script writes its results to
//   CH_CHROMIUM     optional: the browser (default /usr/bin/chromium)
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const env = (name) => {
	const v = process.env[name];
	if (!v) throw new Error(`environment variable ${name} is not set`);
	return v;
};

export const URL_BASE = env('CH_URL').replace(/\/$/, '');
export const SHOTS = env('CH_SHOTS');
export const PEOPLE = JSON.parse(fs.readFileSync(env('CH_PEOPLE'), 'utf8'));

let npass = 0, nfail = 0;
export const ok = (desc) => { npass++; console.log(`ok - ${desc}`); };
export const notOk = (desc, why) => {
	nfail++;
	console.log(`not ok - ${desc}`);
	if (why) for (const line of String(why).split('\n').slice(0, 8)) console.log(`#   ${line}`);
};
export const check = (cond, desc, why) => (cond ? ok(desc) : notOk(desc, why));
export const failures = () => nfail;

// A scratch HOME whose NSS database trusts the site's CA: Chromium on Linux
// reads $HOME/.pki/nssdb, so the browser verifies the server's certificate
// as an official's workstation would. A page served with any other
// certificate fails to load (net::ERR_CERT_AUTHORITY_INVALID).
function trustingHome(ca) {
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'chbrowser-'));
	const db = path.join(home, '.pki', 'nssdb');
	fs.mkdirSync(db, { recursive: true, mode: 0o700 });
	execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password'], { stdio: 'pipe' });
	execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'chancery-test-ca', '-i', ca],
		{ stdio: 'pipe' });
	return home;
}

// The flags this closed network needs: without the background-networking
// ones Chromium's own connections are refused and slow everything down.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--disable-dev-shm-usage'];

export class Session {
	constructor() {
		this.home = null;
		this.browser = null;
		this.dialogs = [];     // every alert/confirm/prompt any page opened
		this.shot = 0;
		this.tlsChecked = false;
		this.acceptDownloads = false;
	}

	async start() {
		this.home = trustingHome(env('CH_CA'));
		// launch() gives the browser a new, empty --user-data-dir of its own.
		this.browser = await chromium.launch({
			executablePath: process.env.CH_CHROMIUM || '/usr/bin/chromium',
			headless: true,
			args: ARGS,
			env: { ...process.env, HOME: this.home },
			timeout: 30000,
		});
		fs.mkdirSync(SHOTS, { recursive: true });
		return this;
	}

	// A fresh cookie jar for one official, every page watched for dialogs
	// and Content-Security-Policy violations.
	async context() {
		const ctx = await this.browser.newContext({
			viewport: { width: 1100, height: 900 },
			locale: 'vi-VN',
			acceptDownloads: this.acceptDownloads, // only attach.mjs takes downloads
		});
		ctx.setDefaultTimeout(15000);
		ctx.setDefaultNavigationTimeout(20000);
		await ctx.addInitScript(() => {
			window.__cspViolations = [];
			document.addEventListener('securitypolicyviolation', (e) => {
				window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
			});
		});
		ctx.on('page', (page) => this.watch(page));
		return ctx;
	}

	watch(page) {
		page.on('dialog', async (d) => {
			this.dialogs.push(`${d.type()}: ${d.message()}`);
			await d.dismiss().catch(() => {});
		});
	}

	async screenshot(page, name) {
		this.shot++;
		const file = path.join(SHOTS, `${String(this.shot).padStart(2, '0')}-${name}.png`);
		await page.screenshot({ path: file, fullPage: true });
		return file;
	}

	async stop() {
		if (this.browser) await this.browser.close().catch(() => {});
		if (this.home) fs.rmSync(this.home, { recursive: true, force: true });
	}
}

// ---- an official's moves, through the pages as a person would ----

export async function login(s, id) {
	const ctx = await s.context();
	const page = await ctx.newPage();
	const resp = await page.goto(`${URL_BASE}/login`);
	if (!resp || resp.status() !== 200) throw new Error(`GET /login: ${resp && resp.status()}`);
	if (!s.tlsChecked) {
		// No certificate error is ignored anywhere: the page loaded, so the
		// browser verified the chain to the test CA it was given.
		const tls = await resp.securityDetails();
		check(tls && tls.issuer === 'Chancery local CA' && /^TLS/.test(tls.protocol || ''),
			`the browser verified the server certificate against the site's CA (${tls && tls.protocol}, ` +
			`issuer ${tls && tls.issuer})`, JSON.stringify(tls));
		s.tlsChecked = true;
	}
	await page.fill('input[name=id]', id);
	await page.fill('input[name=password]', PEOPLE[id].password);
	await Promise.all([page.waitForURL(/\/inbox$/), page.click('#login')]);
	return page;
}

export async function logout(page) {
	await Promise.all([page.waitForURL(/\/login$/), page.click('form.logout button')]);
	await page.context().close();
}

export const docState = async (page) => (await page.textContent('#doc-state')).trim();
export const historyCount = (page) => page.locator('#history > li').count();
export const docHead = (page) => page.getAttribute('#act-form input[name=head], #revise-form input[name=head]',
	{ strict: false }).catch(() => null);

// The #notice or #error the page shows after a form post ('' when none).
export async function outcome(page) {
	const n = page.locator('#notice'), e = page.locator('#error');
	return {
		notice: (await n.count()) ? (await n.textContent()).trim() : '',
		error: (await e.count()) ? (await e.textContent()).trim() : '',
	};
}

// Click SELECTOR (a form's submit button) and wait until the page the
// server answers with has loaded: the old document carries a mark the new
// one lacks, whatever its URL (a POST answered with a page keeps /act).
export async function submit(page, selector) {
	await page.evaluate(() => { window.__chOld = 1; });
	await page.click(selector);
	await page.waitForFunction(() => window.__chOld === undefined && document.readyState === 'complete');
}

// Choose ACTION in the act form, comment, passphrase, submit; returns the
// outcome. The page is the document's page afterwards.
export async function act(page, action, passphrase, comment) {
	const radio = page.locator(`#act-form input[name=action][value="${action}"]`);
	if ((await radio.count()) !== 1) {
		const offered = await page.locator('#act-form input[name=action]')
			.evaluateAll((els) => els.map((e) => e.value));
		throw new Error(`action ${action} is not offered (offered: ${offered.join(', ') || 'none'})`);
	}
	await radio.check();
	if (comment !== undefined) await page.fill('#act-form textarea[name=comment]', comment);
	await page.fill('#act-form input[name=passphrase]', passphrase);
	await submit(page, '#act');
	return outcome(page);
}

// Open the revise form, upload FILE (a {name, mimeType, buffer}), sign.
export async function revise(page, file, passphrase) {
	await page.click('details.revise > summary');
	await page.setInputFiles('#revise-form input[type=file]', file);
	await page.fill('#revise-form input[name=passphrase]', passphrase);
	await submit(page, '#revise');
	return outcome(page);
}

// Find the document titled TITLE in the inbox and open it.
export async function openFromInbox(page, title) {
	await page.goto(`${URL_BASE}/inbox`);
	const link = page.locator('a.doc-link', { hasText: title });
	if ((await link.count()) < 1) {
		const titles = await page.locator('a.doc-link').allTextContents();
		throw new Error(`"${title}" is not in the inbox (it holds: ${titles.join(' | ') || 'nothing'})`);
	}
	await Promise.all([page.waitForURL(/\/docs\/[^/]+$/), link.first().click()]);
	return page;
}

// Run one named step: ok, or not ok with the error and a screenshot.
// Returns false when the step failed (the scenario then stops).
export async function step(s, page, name, fn) {
	try {
		await fn();
		return true;
	} catch (e) {
		notOk(name, e && e.stack ? e.stack : e);
		if (page) await s.screenshot(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`)
			.catch(() => {});
		return false;
	}
}
