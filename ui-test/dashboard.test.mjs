// The dashboard as a person sees it, in Debian's headless Chromium driven by playwright-core:
// endpoint rows, a number that moves under traffic, token figures, a dead endpoint turning red.
// Needs a running Olla (OLLA_URL) in front of simulated backends; KILL_PID is the process of the
// backend behind endpoint "vllm-box". Started by scripts/test-stages/40-dashboard.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import http from 'node:http';

const OLLA = process.env.OLLA_URL;
const KILL_PID = Number(process.env.KILL_PID);
const SCREENSHOT = process.env.SCREENSHOT;

async function traffic(n) {
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${OLLA}/olla/ollama/api/chat`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Tell me a story' }] }),
    });
    await r.text();
    const s = await fetch(`${OLLA}/olla/openai/v1/chat/completions`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'meta-llama/Llama-3.1-8B-Instruct', stream: true,
        stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    await s.text();
  }
}

const number = (text) => Number(String(text).replace(/[^0-9.]/g, ''));

test('dashboard shows endpoints, moving numbers, tokens and a dead endpoint in red', { timeout: 120_000 }, async () => {
  assert.ok(OLLA, 'OLLA_URL is set');
  const res = await fetch(`${OLLA}/internal/ui/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy'), /script-src 'self'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  // fetch() may not set Host: a plain request does, as a DNS-rebinding page would
  const denied = await new Promise((resolve, reject) => {
    const u = new URL(`${OLLA}/internal/ui/`);
    http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { Host: 'evil.example' } }, (r) => {
      r.resume();
      resolve(r.statusCode);
    }).on('error', reject);
  });
  assert.equal(denied, 403);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${OLLA}/internal/ui/`);

    // endpoint rows, healthy
    for (const name of ['gpu0', 'vllm-box']) {
      const row = page.locator(`tr[data-endpoint="${name}"]`);
      await row.waitFor({ timeout: 20_000 });
      assert.equal((await row.locator('td.status').first().textContent()).trim(), 'healthy');
    }
    await page.locator('#system-status.healthy').waitFor({ timeout: 10_000 });
    // the backend's own load: the Ollama sim publishes its loaded models (/api/ps), vLLM its running requests
    await page.waitForFunction(() => /loaded/.test(document.querySelector('tr[data-endpoint="gpu0"] td.slots')?.textContent || ''),
      null, { timeout: 10_000 });
    await page.waitForFunction(() => /running/.test(document.querySelector('tr[data-endpoint="vllm-box"] td.slots')?.textContent || ''),
      null, { timeout: 10_000 });

    // a number that moves when traffic flows
    const before = number(await page.locator('#total-requests').textContent());
    await traffic(4);
    await page.waitForFunction((b) => {
      const v = Number(document.querySelector('#total-requests').textContent.replace(/[^0-9.]/g, ''));
      return v >= b + 8;
    }, before, { timeout: 20_000 });
    const after = number(await page.locator('#total-requests').textContent());
    assert.ok(after >= before + 8, `requests moved from ${before} to ${after}`);

    // token figures per model, with TTFT of streams
    const model = page.locator('tr[data-model="llama3.2:3b"]');
    await page.waitForFunction(() => {
      const c = document.querySelector('tr[data-model="llama3.2:3b"] td.ttft');
      return c && c.textContent.includes('ms');
    }, null, { timeout: 20_000 });
    assert.match(await model.locator('td.where').textContent(), /gpu0/);
    await page.waitForFunction(() => {
      const c = document.querySelector('tr[data-model="llama3.2:3b"] td.requests');
      return c && Number(c.textContent.replace(/[^0-9]/g, '')) >= 4;
    }, null, { timeout: 20_000 });
    await page.waitForFunction(() => {
      const c = document.querySelector('tr[data-endpoint="gpu0"] td.tps');
      return c && /[0-9]/.test(c.textContent);
    }, null, { timeout: 20_000 });
    await traffic(2); // more points for the charts
    await page.waitForTimeout(2500);

    // a dead endpoint turns red
    process.kill(KILL_PID);
    const dead = page.locator('tr[data-endpoint="vllm-box"]');
    await page.waitForFunction(() => {
      const r = document.querySelector('tr[data-endpoint="vllm-box"]');
      return r && r.classList.contains('bad');
    }, null, { timeout: 30_000 });
    const status = (await dead.locator('td.status').first().textContent()).trim();
    assert.notEqual(status, 'healthy');
    const color = await dead.locator('td.status').first().evaluate((e) => getComputedStyle(e).color);
    const [r, g, b] = color.match(/\d+/g).map(Number);
    assert.ok(r > 150 && g < 100 && b < 100, `status colour is red: ${color}`);
    await page.locator('#system-status').waitFor();
    if (SCREENSHOT) {
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
    assert.deepEqual(errors, [], 'no script errors');
  } finally {
    await browser.close();
  }
});
