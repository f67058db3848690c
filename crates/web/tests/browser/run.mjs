// Concord's web interface in a real browser: Debian's chromium driven by playwright-core,
// checked by axe-core on every page. Run by crates/web/tests/web/browser.rs, which
// starts the server and passes CONCORD_URL, CONCORD_USER, CONCORD_PASSWORD,
// CONCORD_CORPUS_FILE, CONCORD_SCREENSHOTS and CHROMIUM.
//
// Steps: sign in; import a corpus bundle through the import page (a background job whose
// page refreshes itself until the per-object results are there); search for a value;
// open an object and its graph; a live notification (an object matching the node's web
// subscription, imported in a second tab, appears in the first page's live region); the
// notifications page; switch to Arabic (dir="rtl", translated heading); switch
// to Chinese and search in Chinese. axe-core runs on every page visited (no serious or
// critical violation allowed) and every page is saved as a screenshot in English and in
// Arabic.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const base = process.env.CONCORD_URL;
const shots = process.env.CONCORD_SCREENSHOTS;
const failures = [];
const checked = [];

function check(cond, what) {
  if (!cond) {
    failures.push(what);
    console.error(`FAIL: ${what}`);
  } else {
    console.log(`ok: ${what}`);
  }
}

// The flags this machine needs (see the environment notes): no sandbox as root, no GPU,
// and no background connections that the closed network would refuse.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

async function axe(page, name) {
  // Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') stays on.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result) {
    console.log(`  axe ${name}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(', ')}`);
  }
  check(bad.length === 0, `axe on ${name}: no serious or critical violation`);
  checked.push(name);
}

// Submits the import form on `page` with `file`, then waits for the job's results (the
// job page reloads itself while the import runs).
async function importFile(page, file) {
  await submitImport(page, file);
  await page.waitForSelector('#import-done', { timeout: 60000 });
}

// Submits the import form and waits until the new job's page is open (the form may sit
// on the page of an earlier job, whose results are already there).
async function submitImport(page, file) {
  const before = page.url();
  await page.setInputFiles('#file', file);
  await page.click('main form button[type=submit]');
  await page.waitForURL((u) => u.href !== before && u.pathname.startsWith('/import/jobs/'));
}

// Imports an object labelled "urgent" in a second tab, and waits until the node has
// published its notification (listed on the notifications page).
async function importUrgent(context, name, id) {
  const tab = await context.newPage();
  await tab.goto(`${base}/import`);
  const doc = {
    type: 'bundle',
    id: 'bundle--' + id.split('--')[1],
    objects: [{
      type: 'campaign', spec_version: '2.1', id,
      created: '2024-05-02T00:00:00.000Z', modified: '2024-05-02T00:00:00.000Z',
      name, labels: ['urgent'],
    }],
  };
  await importFile(tab, { name: 'urgent.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
  for (let i = 0; i < 100; i++) {
    await tab.goto(`${base}/notifications`);
    if ((await tab.locator('main table a', { hasText: name }).count()) > 0) break;
    await tab.waitForTimeout(200);
  }
  await tab.close();
}

// Imports an urgent object in a second tab while `page` stays open, and waits for its
// notification in `page`'s live region.
async function liveNotification(context, page, name, id) {
  await page.waitForSelector('#live[data-state=open]', { state: 'attached' });
  await importUrgent(context, name, id);
  const note = page.locator('#live a', { hasText: name });
  await note.waitFor({ timeout: 15000 });
  check((await note.count()) === 1, `the live notification of "${name}" appears on the open page`);
  check((await note.getAttribute('href')) === `/objects/${id}`, 'the notification links to the object');
}

// Makes `page` look hidden or visible to its script (as switching tabs does).
async function setHidden(page, hidden) {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

// A bundle of `n` indicators (numbered from `from`), big enough for an import to take a
// moment.
function bulk(from, n) {
  const objects = [];
  for (let i = from; i < from + n; i++) {
    objects.push({
      type: 'indicator', spec_version: '2.1', id: `indicator--00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      created: '2024-05-03T00:00:00.000Z', modified: '2024-05-03T00:00:00.000Z', name: `bulk ${i}`,
      pattern: `[ipv4-addr:value = '10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}']`, pattern_type: 'stix',
      valid_from: '2024-05-03T00:00:00.000Z',
    });
  }
  const doc = { type: 'bundle', id: `bundle--00000000-0000-4000-8000-${String(from).padStart(12, '0')}`, objects };
  return { name: 'bulk.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) };
}

// Imports a bulk bundle and checks the job's page while it runs: a progress bar, updated
// in place by the page script (no reloading page), then the results.
async function importWithProgress(page, lang, from, n) {
  await page.goto(`${base}/import`);
  await submitImport(page, bulk(from, n));
  await page.waitForSelector('#import-bar, #import-done');
  check((await page.locator('#import-bar').count()) === 1, `[${lang}] the job page shows a progress bar while the import runs`);
  check(await page.evaluate(() => document.querySelector('meta[http-equiv=refresh]') === null),
    `[${lang}] with JavaScript the job page does not reload itself`);
  await visit(page, 'import-progress', lang);
  await page.waitForSelector('#import-done', { timeout: 120000 });
  check((await page.locator('#import-results tbody tr').count()) === 1000, `[${lang}] the first 1000 results are listed`);
}

async function visit(page, name, lang) {
  await axe(page, `${name} [${lang}]`);
  await page.screenshot({ path: path.join(shots, `${name}-${lang}.png`), fullPage: true });
}

const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(20000);
const cspErrors = [];
// Uploads sent by the page script (with progress) rather than by a plain form post.
let xhrUploads = 0;
page.on('request', (r) => {
  if (r.method() === 'POST' && r.url().endsWith('/import') && r.resourceType() === 'xhr') xhrUploads += 1;
});
page.on('console', (m) => {
  if (m.type() === 'error') cspErrors.push(m.text());
});

try {
  // 1. Sign in.
  await page.goto(`${base}/`);
  check(page.url().includes('/signin'), 'an anonymous visitor is sent to sign in');
  await visit(page, 'signin', 'en');
  await page.fill('#username', process.env.CONCORD_USER);
  await page.fill('#password', 'not the password');
  await page.click('button[type=submit]');
  check((await page.textContent('.notice')).includes('Wrong user name or password'), 'a wrong password is refused');
  cspErrors.length = 0; // the refusal itself is a 401 page, which the console reports
  await page.fill('#username', process.env.CONCORD_USER);
  await page.fill('#password', process.env.CONCORD_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check((await page.textContent('h1')) === 'Dashboard', 'signed in, on the dashboard');

  // 2. Import a corpus bundle through the import page.
  await page.click('nav a[href="/import"]');
  await visit(page, 'import', 'en');
  await importFile(page, process.env.CONCORD_CORPUS_FILE);
  const notice = await page.textContent('.notice');
  check(/New: \d+/.test(notice), `import reports per-object results (${notice.trim()})`);
  check((await page.locator('table tbody tr').count()) > 100, 'one result row per imported object');
  check(xhrUploads === 1, `the page script sent the upload, with its progress bar (${xhrUploads} XHR uploads)`);
  await visit(page, 'import-result', 'en');
  await importWithProgress(page, 'en', 0, 15000);
  check((await page.textContent('.notice')).includes('New: 15,000'), 'the bulk import stored every object');

  // A few objects in Chinese for the search in Chinese further down.
  const zh = {
    type: 'bundle',
    id: 'bundle--6f1e0b6c-5d7e-4c11-9a53-1b0d3c8e2f01',
    objects: [
      {
        type: 'campaign', spec_version: '2.1', id: 'campaign--0c2b7f6e-3f2a-4d7e-9b61-2a4f5e6d7c81',
        created: '2024-05-01T00:00:00.000Z', modified: '2024-05-01T00:00:00.000Z',
        name: '针对银行的钓鱼攻击活动', description: '攻击者发送带有恶意附件的钓鱼邮件。',
      },
    ],
  };
  await importFile(page, { name: 'zh.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(zh)) });
  check((await page.textContent('.notice')).includes('New: 1'), 'Chinese bundle imported');

  // Hostile text in every field of an object: no page may run it.
  let dialogs = 0;
  page.on('dialog', async (d) => {
    dialogs += 1;
    await d.dismiss();
  });
  const xss = '<script>window.__xss=1;alert(1)</script><img src=x onerror="window.__xss=2;alert(2)">';
  const hostile = {
    type: 'bundle',
    id: 'bundle--9b1e0b6c-5d7e-4c11-9a53-1b0d3c8e2f02',
    objects: [
      {
        type: 'malware', spec_version: '2.1', id: 'malware--1c2b7f6e-3f2a-4d7e-9b61-2a4f5e6d7c82',
        created: '2024-05-01T00:00:00.000Z', modified: '2024-05-01T00:00:00.000Z',
        name: `hostile ${xss}`, description: xss, is_family: true, labels: [xss], aliases: [xss],
        external_references: [{ source_name: xss, url: 'javascript:window.__xss=3' }],
      },
    ],
  };
  await importFile(page, { name: 'x.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(hostile)) });
  for (const url of ['/objects?q=hostile', '/objects/malware--1c2b7f6e-3f2a-4d7e-9b61-2a4f5e6d7c82', '/objects/malware--1c2b7f6e-3f2a-4d7e-9b61-2a4f5e6d7c82/graph', '/']) {
    await page.goto(`${base}${url}`);
    const ran = await page.evaluate(() => window.__xss);
    check(ran === undefined && dialogs === 0, `no injected script runs on ${url}`);
  }
  check((await page.goto(`${base}/objects?q=hostile`), await page.locator('main table a', { hasText: 'hostile <script>' }).count()) === 1,
    'the hostile name is shown as text');
  cspErrors.length = 0; // the blocked <img src=x> may be reported

  // 3. Search for a value.
  await page.click('nav a[href="/objects"]');
  await page.fill('#q', 'Poison Ivy');
  await Promise.all([page.waitForNavigation(), page.click('form[role=search] button[type=submit]')]);
  const found = page.locator('main table a', { hasText: /^Poison Ivy$/ });
  check((await found.count()) > 0, 'search finds "Poison Ivy"');
  await visit(page, 'browse', 'en');

  // 4. Open an object and its graph.
  await Promise.all([page.waitForNavigation(), found.first().click()]);
  check((await page.textContent('h1')) === 'Poison Ivy', 'object page of Poison Ivy');
  const objectUrl = page.url();
  await visit(page, 'object', 'en');
  await Promise.all([page.waitForNavigation(), page.click('a[href$="/graph"]')]);
  const nodes = await page.locator('svg.graph a').count();
  check(nodes > 1, `graph drawn with ${nodes} linked nodes`);
  const graphUrl = page.url();
  await visit(page, 'graph', 'en');
  // A node of the graph is a link to its object page.
  const target = await page.locator('svg.graph a').nth(1).getAttribute('href');
  await Promise.all([page.waitForNavigation(), page.locator('svg.graph a').nth(1).click()]);
  check(page.url().endsWith(target), `a graph node opens ${target}`);
  await page.goto(`${objectUrl}?a=1&b=1#versions`);

  for (const [name, url] of [['dashboard', '/'], ['matching', '/matching'], ['account', '/account'], ['admin', '/admin'], ['peers', '/peers?verify=1'], ['incidents', '/incidents'],
    ['community', '/community'], ['community-proposals', '/community/proposals'], ['community-log', '/community/log']]) {
    await page.goto(`${base}${url}`);
    await visit(page, name, 'en');
  }
  check((await page.goto(`${base}/matching`), await page.locator('table.feeds th[scope=row]', { hasText: 'abuse-urls' }).count()) === 1,
    'the feeds page lists the feeds of the data directory');

  // Live notifications: shown on an open page, then listed on the notifications page.
  await page.goto(`${base}/objects`);
  await liveNotification(context, page, 'Urgent: phishing wave', 'campaign--2d1b7f6e-3f2a-4d7e-9b61-2a4f5e6d7c90');
  await visit(page, 'live-notification', 'en');
  // A hidden tab gives its stream back; visible again, it shows what came meanwhile.
  await setHidden(page, true);
  check((await page.getAttribute('#live', 'data-state')) === 'closed', 'a hidden tab closes its live stream');
  await importUrgent(context, 'Urgent: second wave', 'campaign--4d1b7f6e-3f2a-4d7e-9b61-2a4f5e6d7c92');
  check((await page.locator('#live a', { hasText: 'Urgent: second wave' }).count()) === 0, 'nothing arrives while hidden');
  await setHidden(page, false);
  await page.locator('#live a', { hasText: 'Urgent: second wave' }).waitFor({ timeout: 15000 });
  check((await page.locator('#live a').count()) === 2, 'visible again, the tab shows the notification it missed, once');
  await page.click('a[href="/notifications"]');
  check((await page.locator('main table a', { hasText: 'Urgent: phishing wave' }).count()) === 1, 'the notifications page lists it');
  await visit(page, 'notifications', 'en');

  // 5. Arabic: the switch, dir="rtl", a translated heading, every page again.
  await page.goto(`${base}/`);
  await Promise.all([page.waitForNavigation(), page.click('nav.langs a[hreflang=ar]')]);
  check((await page.getAttribute('html', 'dir')) === 'rtl', 'Arabic page has dir="rtl"');
  check((await page.getAttribute('html', 'lang')) === 'ar', 'Arabic page has lang="ar"');
  check((await page.textContent('h1')) === 'لوحة المعلومات', 'the dashboard heading is in Arabic');
  // Mirrored: the navigation starts on the right.
  const brand = await page.locator('.brand').boundingBox();
  check(brand.x > 640, `the brand sits on the right in Arabic (x=${Math.round(brand.x)})`);
  await visit(page, 'dashboard', 'ar');
  for (const [name, url] of [
    ['browse', '/objects?q=Poison+Ivy'],
    ['object', new URL(objectUrl).pathname],
    ['graph', new URL(graphUrl).pathname],
    ['import', '/import'],
    ['matching', '/matching'],
    ['account', '/account'],
    ['admin', '/admin'],
    ['peers', '/peers?verify=1'],
    ['incidents', '/incidents'],
    ['notifications', '/notifications'],
    ['community', '/community'],
    ['community-proposals', '/community/proposals'],
    ['community-log', '/community/log'],
  ]) {
    await page.goto(`${base}${url}`);
    check((await page.getAttribute('html', 'dir')) === 'rtl', `${name} stays in Arabic`);
    await visit(page, name, 'ar');
  }
  await page.goto(`${base}/import`);
  await importFile(page, { name: 'zh.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(zh)) });
  await visit(page, 'import-result', 'ar');
  await importWithProgress(page, 'ar', 15000, 15000);
  await page.goto(`${base}/`);
  await liveNotification(context, page, 'حملة تصيد عاجلة', 'campaign--3d1b7f6e-3f2a-4d7e-9b61-2a4f5e6d7c91');
  await visit(page, 'live-notification', 'ar');

  // Sign-in page in Arabic (a second browser context with an Arabic browser language).
  const arContext = await browser.newContext({ locale: 'ar-EG', viewport: { width: 1280, height: 900 } });
  const arPage = await arContext.newPage();
  await arPage.goto(`${base}/signin`);
  check((await arPage.getAttribute('html', 'dir')) === 'rtl', 'Accept-Language: ar gives an Arabic sign-in page');
  await visit(arPage, 'signin', 'ar');
  await arContext.close();

  // Without JavaScript (progressive enhancement): sign in, import (the job page reloads
  // itself until the results are there), the notifications page lists what the live
  // channel would have shown.
  const noJs = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const plain = await noJs.newPage();
  plain.setDefaultTimeout(20000);
  await plain.goto(`${base}/signin`);
  await plain.fill('#username', process.env.CONCORD_USER);
  await plain.fill('#password', process.env.CONCORD_PASSWORD);
  await Promise.all([plain.waitForNavigation(), plain.click('button[type=submit]')]);
  check((await plain.textContent('h1')) === 'Dashboard', 'without JavaScript: signed in');
  await plain.goto(`${base}/import`);
  await plain.setInputFiles('#file', bulk(30000, 5000));
  await Promise.all([plain.waitForNavigation(), plain.click('main form button[type=submit]')]);
  check(plain.url().includes('/import/jobs/'), 'without JavaScript: the form posts and the job page opens');
  await plain.waitForSelector('#import-done', { timeout: 120000 });
  check((await plain.textContent('.notice')).includes('New: 5,000'), 'without JavaScript: the job page reloads itself until the results are there');
  await plain.goto(`${base}/notifications`);
  check((await plain.locator('main table a', { hasText: 'Urgent: phishing wave' }).count()) === 1,
    'without JavaScript: the notifications page lists the live notifications');
  await noJs.close();

  // 6. Chinese: switch, then search in Chinese.
  await Promise.all([page.waitForNavigation(), page.click('nav.langs a[hreflang=zh]')]);
  check((await page.getAttribute('html', 'lang')) === 'zh', 'the switch changes to Chinese');
  await page.goto(`${base}/objects`);
  check((await page.textContent('h1')) === '浏览与搜索', 'the browse heading is in Chinese');
  await page.fill('#q', '钓鱼');
  await Promise.all([page.waitForNavigation(), page.click('form[role=search] button[type=submit]')]);
  check((await page.locator('main table a', { hasText: '针对银行的钓鱼攻击活动' }).count()) === 1, 'search in Chinese finds the campaign');
  await visit(page, 'browse', 'zh');
  check(cspErrors.length === 0, `no console errors (${cspErrors.join(' | ')})`);
} catch (e) {
  failures.push(String(e && e.stack ? e.stack : e));
  console.error(e);
  await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}

console.log(`axe checked ${checked.length} pages: ${checked.join(', ')}`);
if (failures.length > 0) {
  console.error(`${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('BROWSER TEST OK');
