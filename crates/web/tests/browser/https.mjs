// Concord's web interface and TAXII over HTTPS in a real browser (issue 26): Debian's
// chromium driven by playwright-core. Run by crates/web/tests/web/browser.rs, which
// serves the app with a self-signed certificate and passes CONCORD_URL (https://...),
// CONCORD_CERT_FILE, CONCORD_USER, CONCORD_PASSWORD, CONCORD_TOKEN (a TAXII token),
// CONCORD_COLLECTION, CONCORD_SCREENSHOTS and CHROMIUM.
//
// chromium trusts exactly that certificate: the SHA-256 of its public key is passed with
// --ignore-certificate-errors-spki-list (no blanket "ignore HTTPS errors"), and a browser
// started without it must refuse the page. Then: every answer carries
// Strict-Transport-Security; sign in (the cookies are Secure); a few pages; TAXII answers
// a fetch from a page of the node.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.CONCORD_URL;
const shots = process.env.CONCORD_SCREENSHOTS;
const TAXII = 'application/taxii+json;version=2.1';
const failures = [];

function check(cond, what) {
  if (!cond) {
    failures.push(what);
    console.error(`FAIL: ${what}`);
  } else {
    console.log(`ok: ${what}`);
  }
}

// base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo, as chromium wants it.
const cert = new crypto.X509Certificate(fs.readFileSync(process.env.CONCORD_CERT_FILE));
const spki = crypto
  .createHash('sha256')
  .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');

// The flags this machine needs (see run.mjs): no sandbox as root, no GPU, no background
// connections.
const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const launch = (extra) => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [...flags, ...extra],
});

// Without the certificate's key, chromium refuses the node: the trust below is real.
{
  const browser = await launch([]);
  try {
    const page = await browser.newPage();
    let error = '';
    await page.goto(`${base}/signin`).catch((e) => { error = String(e); });
    check(/ERR_CERT_/.test(error), `without the certificate's key chromium refuses the page (${error.split('\n')[0]})`);
  } finally {
    await browser.close();
  }
}

const browser = await launch([`--ignore-certificate-errors-spki-list=${spki}`]);
const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(20000);
const consoleErrors = [];
page.on('console', (m) => {
  if (m.type() === 'error') consoleErrors.push(m.text());
});
// Every document answer of the node (after redirects) must carry HSTS.
const withoutHsts = [];
let documents = 0;
page.on('response', (r) => {
  if (r.request().resourceType() !== 'document' || !r.url().startsWith(base)) return;
  documents += 1;
  if (!/max-age=\d+/.test(r.headers()['strict-transport-security'] || '')) withoutHsts.push(`${r.status()} ${r.url()}`);
});

try {
  const first = await page.goto(`${base}/`);
  check(page.url().startsWith(`${base}/signin`), `an anonymous visitor is sent to sign in over HTTPS (${page.url()})`);
  const hsts = first.headers()['strict-transport-security'] || '';
  check(/max-age=[1-9]\d*/.test(hsts), `the sign-in page carries Strict-Transport-Security (${hsts})`);
  const security = await first.securityDetails();
  check(security !== null && /TLS/.test(security.protocol || ''), `the page came over TLS (${security && security.protocol})`);

  await page.fill('#username', process.env.CONCORD_USER);
  await page.fill('#password', process.env.CONCORD_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  check((await page.textContent('h1')) === 'Dashboard', 'signed in over HTTPS, on the dashboard');
  const cookies = await context.cookies(base);
  check(cookies.length > 0 && cookies.every((c) => c.secure && c.httpOnly),
    `every cookie of the node is Secure and HttpOnly (${cookies.map((c) => `${c.name}${c.secure ? ' Secure' : ''}`).join(', ')})`);
  await page.screenshot({ path: path.join(shots, 'https-dashboard-en.png'), fullPage: true });

  for (const url of ['/objects?q=HTTPS', '/objects/indicator--26262626-2626-4626-8626-262626262626', '/import', '/matching', '/account']) {
    const r = await page.goto(`${base}${url}`);
    check(r.status() === 200, `${url} loads over HTTPS (${r.status()})`);
  }
  check((await page.textContent('h1')).length > 0, 'the account page has a heading');

  // TAXII from a page of the node: the same origin, the same TLS connection pool.
  const taxii = await page.evaluate(async ({ token, collection, accept }) => {
    const headers = { Accept: accept, Authorization: `Bearer ${token}` };
    const discovery = await fetch('/taxii2/', { headers });
    const objects = await fetch(`/taxii2/api/collections/${collection}/objects/?limit=100`, { headers });
    return {
      discovery: discovery.status,
      hsts: discovery.headers.get('strict-transport-security'),
      title: (await discovery.json()).title,
      objects: objects.status,
      type: objects.headers.get('content-type'),
      ids: ((await objects.json()).objects || []).map((o) => o.id),
    };
  }, { token: process.env.CONCORD_TOKEN, collection: process.env.CONCORD_COLLECTION, accept: TAXII });
  check(taxii.discovery === 200 && typeof taxii.title === 'string', `TAXII discovery over HTTPS (${taxii.discovery}, "${taxii.title}")`);
  check(/max-age=/.test(taxii.hsts || ''), `the TAXII answer carries HSTS (${taxii.hsts})`);
  check(taxii.objects === 200 && (taxii.type || '').startsWith('application/taxii+json'), `TAXII objects over HTTPS (${taxii.objects}, ${taxii.type})`);
  check(taxii.ids.includes('indicator--26262626-2626-4626-8626-262626262626'), `TAXII lists the node's indicator (${taxii.ids.length} objects)`);

  check(documents >= 7 && withoutHsts.length === 0, `all ${documents} pages carried HSTS (${withoutHsts.join(', ')})`);
  check(consoleErrors.length === 0, `no console errors (${consoleErrors.join(' | ')})`);
} catch (e) {
  failures.push(String(e && e.stack ? e.stack : e));
  console.error(e);
  await page.screenshot({ path: path.join(shots, 'https-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.error(`${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('BROWSER HTTPS TEST OK');
