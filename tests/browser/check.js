#!/usr/bin/env node
// Load a page in headless Chromium and report what happened, as JSON on
// standard output. Driven by tests/browser.rs; no npm packages: Chromium is
// spoken to over the DevTools protocol on a pipe (--remote-debugging-pipe:
// it reads commands on fd 3 and writes on fd 4, NUL-terminated JSON).
//
// usage: node check.js CHROMIUM FILE SCREENSHOT.png [--table] [--filter WORD] [--size WxH]
//
// Always: console errors, uncaught exceptions, log errors (a blocked
// resource, a CSP violation), dialogs, and any request that is not the
// file itself (the page must need no network). --table also clicks
// column headers (title, then reports) with real mouse events and reads
// the row order back, expands the first group, and types WORD into the
// filter box. A screenshot is taken last.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [chromium, file, shot, ...rest] = process.argv.slice(2);
const table = rest.includes('--table');
const fi = rest.indexOf('--filter');
const filterWord = fi >= 0 ? rest[fi + 1] : null;
const si = rest.indexOf('--size');
const [width, height] = (si >= 0 ? rest[si + 1] : '1280x900').split('x').map(Number);
const url = 'file://' + path.resolve(file);

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'splatdec-chromium-'));
const child = spawn(chromium, [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--remote-debugging-pipe', '--user-data-dir=' + profile, '--no-first-run',
  '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--mute-audio',
  '--window-size=1280,900', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => { stderr += d; if (stderr.length > 20000) stderr = stderr.slice(-20000); });

const out = child.stdio[3];
const inp = child.stdio[4];
let nextId = 1;
const pending = new Map();
const listeners = [];
let buf = Buffer.alloc(0);
inp.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  let i;
  while ((i = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.slice(0, i).toString('utf8'));
    buf = buf.slice(i + 1);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
    } else if (msg.method) {
      listeners.forEach((l) => l(msg));
    }
  }
});
function send(method, params = {}, sessionId) {
  const id = nextId++;
  const m = { id, method, params };
  if (sessionId) m.sessionId = sessionId;
  out.write(JSON.stringify(m) + '\0');
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}
function waitFor(pred, ms, what) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out waiting for ' + what)), ms);
    listeners.push((m) => { if (pred(m)) { clearTimeout(t); resolve(m); } });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const result = { url, errors: [], requests: [], checks: {} };
function finish(code) {
  try { child.kill('SIGKILL'); } catch (e) { /* gone */ }
  try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* left */ }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(code);
}
setTimeout(() => { result.errors.push('timeout (60 s); chromium said: ' + stderr.slice(-2000)); finish(1); }, 60000);
child.on('exit', (c) => { if (!result.done) { result.errors.push('chromium exited early (' + c + '): ' + stderr.slice(-2000)); finish(1); } });

(async () => {
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const s = (m, p) => send(m, p, sessionId);
  listeners.push((m) => {
    if (m.sessionId !== sessionId) return;
    const p = m.params || {};
    if (m.method === 'Runtime.exceptionThrown') {
      const d = p.exceptionDetails || {};
      result.errors.push('exception: ' + ((d.exception && d.exception.description) || d.text));
    } else if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert' || p.type === 'warning')) {
      result.errors.push('console.' + p.type + ': ' + (p.args || []).map((a) => a.value || a.description).join(' '));
    } else if (m.method === 'Log.entryAdded' && (p.entry.level === 'error' || p.entry.level === 'warning')) {
      result.errors.push('log ' + p.entry.level + ': ' + p.entry.text + (p.entry.url ? ' (' + p.entry.url + ')' : ''));
    } else if (m.method === 'Page.javascriptDialogOpening') {
      result.errors.push('dialog: ' + p.message);
      s('Page.handleJavaScriptDialog', { accept: true });
    } else if (m.method === 'Network.requestWillBeSent') {
      result.requests.push(p.request.url);
      if (p.request.url !== url && !p.request.url.startsWith('data:')) {
        result.errors.push('network request: ' + p.request.url);
      }
    }
  });
  await s('Page.enable');
  await s('Runtime.enable');
  await s('Log.enable');
  await s('Network.enable');
  await s('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  const loaded = waitFor((m) => m.sessionId === sessionId && m.method === 'Page.loadEventFired', 30000, 'load');
  await s('Page.navigate', { url });
  await loaded;
  await sleep(300);
  const evaluate = async (expr) => {
    const r = await s('Runtime.evaluate', { expression: expr, returnByValue: true });
    if (r.exceptionDetails) throw new Error('evaluate: ' + expr + ': ' + JSON.stringify(r.exceptionDetails));
    return r.result.value;
  };
  const click = async (selector) => {
    const box = await evaluate(`(function(){var e=document.querySelector(${JSON.stringify(selector)});if(!e)return null;e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();return {x:r.left+r.width/2,y:r.top+r.height/2};})()`);
    if (!box) throw new Error('nothing to click at ' + selector);
    for (const type of ['mouseMoved', 'mousePressed', 'mouseReleased']) {
      await s('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
    }
    await sleep(100);
  };
  result.checks.root = await evaluate('document.documentElement.nodeName');
  result.checks.parsererror = await evaluate("document.getElementsByTagName('parsererror').length");
  result.checks.pwned = await evaluate('typeof window.__pwned');
  result.checks.title = await evaluate('document.title');
  if (table) {
    const titles = "Array.prototype.map.call(document.getElementById('groups').tBodies, function(b){return b.getAttribute('data-title');})";
    const counts = "Array.prototype.map.call(document.getElementById('groups').tBodies, function(b){return Number(b.getAttribute('data-count'));})";
    result.checks.groups = await evaluate("document.getElementById('groups').tBodies.length");
    result.checks.before = await evaluate(titles);
    await click('th[data-key=title]');
    result.checks.by_title = await evaluate(titles);
    result.checks.title_sort = await evaluate("document.querySelector('th[data-key=title]').getAttribute('aria-sort')");
    await click('th[data-key=title]');
    result.checks.by_title_desc = await evaluate(titles);
    await click('th[data-key=count]');
    result.checks.by_count = await evaluate(counts);
    await click('tbody.group button.toggle');
    result.checks.expanded = await evaluate("(function(){var d=document.querySelector('tbody.group tr.detail');return !d.hidden && d.getBoundingClientRect().height > 0;})()");
    result.checks.expanded_svg = await evaluate("document.querySelector('tbody.group tr.detail').getElementsByTagName('svg').length");
    result.checks.expanded_text = await evaluate("(function(){var p=document.querySelector('tbody.group tr.detail pre');return p?p.textContent.slice(0,200):null;})()");
    if (filterWord) {
      await evaluate("window.scrollTo(0,0)");
      await click('#filter');
      await s('Input.insertText', { text: filterWord });
      await sleep(100);
      result.checks.filtered = await evaluate("Array.prototype.filter.call(document.getElementById('groups').tBodies, function(b){return !b.hidden;}).length");
      result.checks.shown = await evaluate("document.getElementById('shown').textContent");
      await evaluate("(function(){var f=document.getElementById('filter');f.value='';f.dispatchEvent(new Event('input'));window.scrollTo(0,0);})()");
      await sleep(100);
    }
  }
  await evaluate('window.scrollTo(0, 0)');
  await sleep(100);
  const png = await s('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));
  result.screenshot = shot;
  await sleep(200);
  result.done = true;
  try { await Promise.race([send('Browser.close'), sleep(2000)]); } catch (e) { /* closing */ }
  finish(0);
})().catch((e) => { result.errors.push('driver: ' + e.message); finish(1); });
