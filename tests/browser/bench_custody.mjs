// bench_custody.mjs -- `make bench` (tests/bench/bench_custody.sh): one
// official, one document, N comment steps each way, in the same Chromium:
// signed in the browser (click "Sign in this browser", confirm, to the
// rendered page) and signed with the server-held key at gpg-agent's full
// S2K (type the passphrase, click, to the rendered page). Prints medians
// and p95 in ms, side by side.
import { Session, PEOPLE, URL_BASE, login, submit, env } from './lib.mjs';

const N = Number(process.env.BENCH_STEPS || 15);
const DOC = env('CH_DOC');
const s = await new Session().start();
const id = 'nv.a';
const ctx = await s.context();
let page = await ctx.newPage();
// the browser's key: enrolled from the account page, approved by the shell
await page.goto(`${URL_BASE}/login`);
await page.fill('input[name=id]', id);
await page.fill('input[name=password]', PEOPLE[id].password);
await Promise.all([page.waitForURL(/\/inbox$/), page.click('#login')]);
await page.goto(`${URL_BASE}/account`);
await submit(page, '#add-device');
const fpr = (await page.textContent('#enrolled-fpr')).trim();
console.log(`FPR ${fpr}`);
// wait for the shell to approve it (it watches stdout)
for (let i = 0; i < 600; i++) {
	await page.goto(`${URL_BASE}/account`);
	if ((await page.locator(`td code:text-is("${fpr}")`).count()) > 0) break;
	await new Promise((r) => setTimeout(r, 200));
}
const pct = (a, p) => { const b = [...a].sort((x, y) => x - y); return b[Math.min(b.length - 1, Math.ceil(p * b.length) - 1)]; };
const med = (a) => { const b = [...a].sort((x, y) => x - y); const m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };
// the official is drafter and head: submit in draft, return in review
const next = async (p) => ((await p.textContent('#doc-state')).trim() === 'draft' ? 'submit' : 'return');
const browser = [], server = [];
for (let i = 0; i < N; i++) {
	await page.goto(`${URL_BASE}/docs/${DOC}`);
	await page.waitForSelector('#sign-browser');
	await page.locator(`#act-form input[name=action][value="${await next(page)}"]`).check();
	let t0 = performance.now();
	await page.click('#sign-browser');
	await page.waitForSelector('#sign-panel');
	await Promise.all([page.waitForURL(/\?signed=/), page.click('#sign-confirm')]);
	await page.waitForLoadState('load');
	browser.push(performance.now() - t0);
	await page.goto(`${URL_BASE}/docs/${DOC}`);
	await page.locator(`#act-form input[name=action][value="${await next(page)}"]`).check();
	await page.fill('#act-form input[name=passphrase]', PEOPLE[id].passphrase);
	t0 = performance.now();
	await submit(page, '#act');
	server.push(performance.now() - t0);
	if (await page.locator('#error').count()) throw new Error(await page.textContent('#error'));
}
console.log(`steps each way: ${N}`);
console.log(`signed in Chromium (WebCrypto Ed25519), click to rendered page: median ${med(browser).toFixed(1)} ms, p95 ${pct(browser, 0.95).toFixed(1)} ms`);
console.log(`signed with the server-held key (gpg-agent, full S2K), click to rendered page: median ${med(server).toFixed(1)} ms, p95 ${pct(server, 0.95).toFixed(1)} ms`);
console.log(`ratio of medians (browser / server): ${(med(browser) / med(server)).toFixed(2)}`);
await s.stop();
