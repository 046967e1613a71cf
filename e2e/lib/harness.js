// Starts the simulated backends (one JVM, dev.olla.sim.SimCli) and Olla (java -jar target/olla.jar) on
// free loopback ports below 32768, waits until Olla has discovered every model, and stops both at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const JAR = join(ROOT, 'target', 'olla.jar');
export const TOKENS = 6;
/** What every simulated backend generates: TOKENS tokens "tok0 tok1 ...". */
export const EXPECTED = Array.from({ length: TOKENS }, (_, i) => `tok${i} `).join('');

/** The simulated backends: name, type in Olla's config, and SimCli options. */
export const BACKENDS = [
  { name: 'ollama-old', type: 'ollama', args: ['--flavor', 'ollama', '--version', '0.12.6', '--models', 'llama3.2:3b,llava:7b,nomic-embed-text:latest'] },
  { name: 'ollama-new', type: 'ollama', args: ['--flavor', 'ollama', '--version', '0.14.0', '--models', 'qwen3:8b'] },
  { name: 'vllm', type: 'vllm', args: ['--flavor', 'vllm', '--models', 'meta-llama/Llama-3.1-8B-Instruct'] },
  { name: 'llamacpp', type: 'llamacpp', args: ['--flavor', 'llamacpp', '--models', 'tiny-llama'] },
  { name: 'lmstudio', type: 'lm-studio', args: ['--flavor', 'lmstudio', '--models', 'qwen3-4b,text-embedding-nomic-embed-text-v1.5'] },
];
const ALL_MODELS = ['llama3.2:3b', 'llava:7b', 'nomic-embed-text:latest', 'qwen3:8b', 'meta-llama/Llama-3.1-8B-Instruct',
  'tiny-llama', 'qwen3-4b'];

/** JVM flags for Netty on this JDK (scripts/jdk.sh olla_java_flags, passed by the test stage). */
const FLAGS = (process.env.OLLA_JAVA_FLAGS ?? '').split(/\s+/).filter(Boolean);

function java() {
  const home = process.env.JAVA_HOME;
  return home ? join(home, 'bin', 'java') : 'java';
}

/** A free port in 20000-32000 (never the kernel's ephemeral range). */
async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise((res) => {
      const s = net.createServer();
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}

function stopProcess(p) {
  return new Promise((res) => {
    if (!p || p.exitCode !== null || p.signalCode !== null) return res();
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.once('exit', () => { clearTimeout(timer); res(); });
    p.kill('SIGTERM');
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Harness {
  starting = null;
  sims = null;
  olla = null;
  dir = null;
  urls = {};
  base = null;
  log = [];

  async start() {
    if (this.starting) return this.starting;
    this.starting = this.#start();
    return this.starting;
  }

  async #start() {
    if (!existsSync(JAR)) throw new Error(`${JAR} not found: build it first (mvn -DskipTests package)`);
    const simArgs = [];
    BACKENDS.forEach((b, i) => {
      if (i > 0) simArgs.push('--and');
      simArgs.push(...b.args, '--port', '0', '--tokens', String(TOKENS), '--delay-ms', '5');
    });
    this.sims = spawn(java(), [...FLAGS, '-Xmx128m', '-XX:TieredStopAtLevel=1', '-cp', JAR, 'dev.olla.sim.SimCli', ...simArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.sims.stderr.on('data', (d) => this.log.push(`[sims] ${d}`));
    const lines = createInterface({ input: this.sims.stdout });
    const urls = [];
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('simulators did not start: ' + this.log.join(''))), 30000);
      lines.on('line', (l) => {
        if (l.startsWith('http://')) urls.push(l.trim());
        if (urls.length === BACKENDS.length) { clearTimeout(t); res(); }
      });
      this.sims.once('exit', (c) => { clearTimeout(t); rej(new Error(`simulators exited ${c}: ${this.log.join('')}`)); });
    });
    BACKENDS.forEach((b, i) => { this.urls[b.name] = urls[i]; });

    const port = await freePort();
    this.dir = mkdtempSync(join(tmpdir(), 'olla-e2e-'));
    const endpoints = BACKENDS.map((b) => `      - name: ${b.name}
        url: ${this.urls[b.name]}
        type: ${b.type}
        priority: 100
        check_interval: 2s
        check_timeout: 1s`).join('\n');
    const config = join(this.dir, 'config.yaml');
    writeFileSync(config, `server:
  host: 127.0.0.1
  port: ${port}
  rate_limits:             # the suite sends ~200 requests a minute from one address
    per_ip_requests_per_minute: 0
    global_requests_per_minute: 0
proxy:
  engine: olla
  load_balancer: round-robin
discovery:
  static:
    endpoints:
${endpoints}
  health_check:
    initial_delay: 0s
logging:
  level: warn
`);
    this.olla = spawn(java(), [...FLAGS, '-Xmx256m', '-XX:TieredStopAtLevel=1', '-jar', JAR, '-c', config],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.olla.stdout.on('data', (d) => this.log.push(`[olla] ${d}`));
    this.olla.stderr.on('data', (d) => this.log.push(`[olla] ${d}`));
    this.base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 45000;
    for (;;) {
      if (this.olla.exitCode !== null) throw new Error(`olla exited ${this.olla.exitCode}: ${this.log.join('')}`);
      try {
        const lists = await Promise.all(['/olla/ollama/api/tags', '/olla/vllm/v1/models', '/olla/llamacpp/v1/models',
          '/olla/lmstudio/v1/models'].map((p) => fetch(this.base + p).then((r) => (r.ok ? r.text() : ''))));
        if (ALL_MODELS.every((m) => lists.some((l) => l.includes(JSON.stringify(m))))) break;
      } catch { /* not yet listening */ }
      if (Date.now() > deadline) throw new Error(`olla not ready: ${this.log.join('')}`);
      await sleep(200);
    }
  }

  async stop() {
    await stopProcess(this.olla);
    await stopProcess(this.sims);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export const env = new Harness();

// Whatever happens (a failed assertion, a timeout's SIGTERM), the JVMs this process started go with it.
process.on('exit', () => {
  for (const p of [env.olla, env.sims]) {
    if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { env.stop().finally(() => process.exit(130)); });
}
