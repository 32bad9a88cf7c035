// chancery.js -- signing in the official's browser (issue 17). Served by
// chanceryd itself at /static/chancery.js under its Content-Security-Policy
// (script-src 'self': no inline script, nothing from a third party). Every
// page works without it; with it, an official whose browser holds an
// enrolled key signs steps here, and the key never leaves the browser.
//
// The key: WebCrypto Ed25519, generated non-extractable and kept in this
// browser profile's IndexedDB (a CryptoKey is stored as it is, still not
// exportable). Its OpenPGP v4 certificate (public key, user ID, a positive
// self-certification with key flags certify+sign, SHA-256) is built here,
// byte for byte as tests/helper/devkey.c builds it.
//
// A step: the server prepares the exact commit (POST .../prepare) and
// sends the payload and the signature's hashed part; this script
// recomputes the digest from them (it never signs a digest it did not
// compute), shows what is signed (document, action, state, tree), and
// signs only when the official confirms.
'use strict';
(function () {
  const te = new TextEncoder();
  const OID = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

  function cat(...parts) {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  function be(v, n) {
    const out = new Uint8Array(n);
    for (let i = n - 1; i >= 0; i--) { out[i] = v & 0xff; v = Math.floor(v / 256); }
    return out;
  }
  function hex(b) { return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''); }
  function unhex(s) {
    if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error('not hex');
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
    return out;
  }
  async function digest(algo, data) { return new Uint8Array(await crypto.subtle.digest(algo, data)); }
  function mpi(b) {
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    const v = b.subarray(i);
    let bits = v.length * 8;
    for (let top = v.length ? v[0] : 0x80; v.length && !(top & 0x80); top <<= 1) bits--;
    return cat(be(bits, 2), v);
  }
  function crc24(data) {
    let crc = 0xB704CE;
    for (const b of data) {
      crc ^= b << 16;
      for (let i = 0; i < 8; i++) { crc <<= 1; if (crc & 0x1000000) crc ^= 0x1864CFB; }
    }
    return crc & 0xFFFFFF;
  }
  function b64(data) {
    let s = '';
    for (const b of data) s += String.fromCharCode(b);
    return btoa(s);
  }
  function armor(data) {
    const body = b64(data).replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
    return '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n' + body + '\n=' +
      b64(be(crc24(data), 3)) + '\n-----END PGP PUBLIC KEY BLOCK-----\n';
  }

  // ---- the key store: IndexedDB "chancery", one record per person ----
  function db() {
    return new Promise((resolve, reject) => {
      const rq = indexedDB.open('chancery', 1);
      rq.onupgradeneeded = () => rq.result.createObjectStore('keys', { keyPath: 'person' });
      rq.onsuccess = () => resolve(rq.result);
      rq.onerror = () => reject(rq.error);
    });
  }
  async function keyGet(person) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const rq = d.transaction('keys').objectStore('keys').get(person);
      rq.onsuccess = () => resolve(rq.result || null);
      rq.onerror = () => reject(rq.error);
    });
  }
  async function keyPut(rec) {
    const d = await db();
    return new Promise((resolve, reject) => {
      const tx = d.transaction('keys', 'readwrite');
      tx.objectStore('keys').put(rec);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }

  async function sign(privateKey, data) {
    return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, data));
  }

  // A new key and its certificate for "uid".
  async function makeKey(person, uid) {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const created = Math.floor(Date.now() / 1000) - 60;
    const body = cat([4], be(created, 4), [22, OID.length], OID, be(263, 2), [0x40], pub);
    const fpr = await digest('SHA-1', cat([0x99], be(body.length, 2), body));
    const sp = cat([22, 33, 4], fpr, [5, 2], be(created, 4), [2, 27, 0x03]);
    const hashed = cat([4, 0x13, 22, 8], be(sp.length, 2), sp);
    const u = te.encode(uid);
    const dg = await digest('SHA-256', cat([0x99], be(body.length, 2), body, [0xB4], be(u.length, 4), u,
      hashed, [4, 0xFF], be(hashed.length, 4)));
    const sig = await sign(pair.privateKey, dg);
    const sigBody = cat(hashed, be(10, 2), [9, 16], fpr.subarray(12), dg.subarray(0, 2),
      mpi(sig.subarray(0, 32)), mpi(sig.subarray(32)));
    if (body.length > 255 || u.length > 255 || sigBody.length > 255) throw new Error('too long');
    const packets = cat([0x98, body.length], body, [0xB4, u.length], u, [0x88, sigBody.length], sigBody);
    const rec = { person, fpr: hex(fpr).toUpperCase(), created, privateKey: pair.privateKey, publicKey: pair.publicKey };
    await keyPut(rec);
    return { fpr: rec.fpr, armored: armor(packets) };
  }

  // ---- what is signed ----
  function trailers(payload) {
    const out = {};
    for (const line of payload.split('\n')) {
      const m = /^(tree|parent) ([0-9a-f]{40})$/.exec(line) || /^(Chancery-[A-Za-z-]+): (.*)$/.exec(line);
      if (m && !(m[1] in out)) out[m[1]] = m[2];
    }
    return out;
  }
  // The digest, from the payload and the hashed part the server sent; the
  // hashed part must name our key and be a binary-document signature.
  async function check(prep, rec) {
    const hashed = unhex(prep.hashed);
    if (hashed[0] !== 4 || hashed[1] !== 0 || hashed[2] !== 22 || hashed[3] !== 8)
      throw new Error('the server asked for another kind of signature');
    if (hex(hashed.subarray(9, 29)).toUpperCase() !== rec.fpr)
      throw new Error('the server asked for a signature by another key');
    const dg = await digest('SHA-256', cat(te.encode(prep.payload), hashed, [4, 0xFF], be(hashed.length, 4)));
    if (hex(dg) !== prep.digest.toLowerCase()) throw new Error('the digest does not match the payload');
    return dg;
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function csrfOf(form) { const c = form.querySelector('input[name=csrf]'); return c ? c.value : ''; }

  async function post(url, body) {
    const r = await fetch(url, { method: 'POST', body, credentials: 'same-origin' });
    let j = {};
    try { j = await r.json(); } catch (e) { j = { error: 'HTTP ' + r.status }; }
    if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
    return j;
  }

  // The panel that shows the prepared step and asks for confirmation.
  function showPanel(anchor, prep, rec, csrf, done) {
    const old = document.getElementById('sign-panel');
    if (old) old.remove();
    const t = trailers(prep.payload);
    const p = el('section', { id: 'sign-panel', class: 'sign-panel' });
    p.append(el('h2', {}, 'Sign in this browser'));
    const dl = el('dl', { class: 'meta' });
    const rows = [['Document', prep.doc], ['Action', t['Chancery-Action']], ['State', t['Chancery-Step']],
      ['Actor', t['Chancery-Actor']], ['Tree', t.tree], ['Parent', t.parent || '(none: a new document)'],
      ['Policy', t['Chancery-Policy']], ['Key', rec.fpr]];
    for (const [k, v] of rows) {
      dl.append(el('dt', {}, k));
      dl.append(el('dd', { id: 'sign-' + k.toLowerCase() }, v || ''));
    }
    p.append(dl);
    const det = el('details');
    det.append(el('summary', {}, 'The exact commit signed'));
    det.append(el('pre', { id: 'sign-payload' }, prep.payload));
    p.append(det);
    const err = el('p', { id: 'sign-error', class: 'error', hidden: '' });
    const ok = el('button', { type: 'button', id: 'sign-confirm' }, 'Sign');
    const no = el('button', { type: 'button', id: 'sign-cancel' }, 'Cancel');
    p.append(err, ok, no);
    anchor.after(p);
    no.onclick = () => p.remove();
    ok.onclick = async () => {
      ok.disabled = true;
      try {
        const dg = await check(prep, rec);
        const sig = await sign(rec.privateKey, dg);
        const body = new URLSearchParams({ csrf, token: prep.token, signature: hex(sig) });
        const res = await post('/sign/finish', body);
        done(res);
      } catch (e) {
        err.hidden = false;
        err.textContent = e.message;
        ok.disabled = false;
      }
    };
  }

  async function enhanceAct(person) {
    const form = document.getElementById('act-form');
    const rec = person && await keyGet(person);
    if (!form || !rec) return;
    const pass = form.querySelector('input[name=passphrase]');
    if (pass) pass.required = false;
    const b = el('button', { type: 'button', id: 'sign-browser' }, 'Sign in this browser (' + rec.fpr.slice(-16) + ')');
    form.append(b);
    b.onclick = async () => {
      const fd = new FormData(form);
      const body = new URLSearchParams();
      for (const k of ['csrf', 'head', 'action', 'comment', 'on_behalf']) if (fd.get(k)) body.set(k, fd.get(k));
      body.set('key', rec.fpr);
      try {
        if (!fd.get('action')) throw new Error('choose an action');
        const prep = await post(form.getAttribute('action').replace(/\/act$/, '/prepare'), body);
        showPanel(form, prep, rec, csrfOf(form), (res) => { location.href = '/docs/' + res.doc + '?signed=' + res.commit; });
      } catch (e) { alert(e.message); }
    };
  }

  async function enhanceNew(person) {
    const form = document.getElementById('new-form');
    const rec = person && await keyGet(person);
    if (!form || !rec) return;
    const pass = form.querySelector('input[name=passphrase]');
    if (pass) pass.required = false;
    const b = el('button', { type: 'button', id: 'create-browser' }, 'Create and sign in this browser');
    form.append(b);
    b.onclick = async () => {
      const fd = new FormData(form);
      fd.delete('passphrase');
      fd.set('key', rec.fpr);
      try {
        const prep = await post('/docs/new/prepare', fd);
        showPanel(form, prep, rec, csrfOf(form), (res) => { location.href = '/docs/' + res.doc; });
      } catch (e) { alert(e.message); }
    };
  }

  // Enrolment (and a new device for someone logged in): make the key,
  // keep it, send its certificate; the fingerprint to read out is shown.
  function enhanceEnrol() {
    for (const form of document.querySelectorAll('form[data-device-enrol]')) {
      const box = form.querySelector('input[name=make_device_key]');
      if (!window.crypto || !crypto.subtle || !window.indexedDB) continue;
      if (box) { box.disabled = false; box.closest('label').hidden = false; }
      form.addEventListener('submit', async (ev) => {
        const field = form.querySelector('input[name=device_key]');
        if ((box && !box.checked) || !field || field.value) return;
        ev.preventDefault();
        const id = (form.querySelector('input[name=id]') || {}).value || form.dataset.person;
        const site = form.dataset.site || 'chancery';
        try {
          const k = await makeKey(id, id + ' <' + id + '@' + site + '>');
          field.value = k.armored;
          const out = form.querySelector('.device-fpr');
          if (out) out.textContent = k.fpr;
          form.submit();
        } catch (e) { alert('This browser cannot make a signing key: ' + e.message); }
      });
    }
  }

  async function main() {
    const m = document.querySelector('meta[name=chancery-person]');
    const person = m ? m.content : null;
    enhanceEnrol();
    if (!window.indexedDB || !window.crypto || !crypto.subtle) return;
    await enhanceAct(person);
    await enhanceNew(person);
    const mark = el('span', { id: 'js-ready', hidden: '' });
    document.body.append(mark);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();
