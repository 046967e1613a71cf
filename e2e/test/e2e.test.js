// One Olla and one set of simulated backends for every suite (node --test runs each file in its own
// process, so the suites are modules registered here).
import { before, after } from 'node:test';
import { env } from '../lib/harness.js';

before(async () => { await env.start(); }, { timeout: 60000 });
after(async () => { await env.stop(); });

await import('../suites/openai.js');
await import('../suites/ollama.js');
await import('../suites/anthropic.js');
await import('../suites/frameworks.js');
