// The official `ollama` JavaScript client against /olla/ollama.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { env, EXPECTED } from '../lib/harness.js';

// a 1x1 PNG
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('ollama client via /olla/ollama', () => {
  const client = () => new Ollama({ host: env.base + '/olla/ollama' });

  test('chat', async () => {
    const r = await client().chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(r.message.role, 'assistant');
    assert.equal(r.message.content, EXPECTED);
    assert.equal(r.done, true);
    assert.ok(r.eval_count > 0);
  });

  test('streamed chat', async () => {
    const stream = await client().chat({ model: 'llama3.2:3b', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    let text = '';
    let parts = 0;
    let done = false;
    for await (const part of stream) {
      parts++;
      text += part.message.content;
      done = part.done;
    }
    assert.equal(text, EXPECTED);
    assert.ok(parts > 3, `one part per token (${parts})`);
    assert.equal(done, true);
  });

  test('generate with an image', async () => {
    const r = await client().generate({ model: 'llava:7b', prompt: 'What is in this picture?', images: [PIXEL], stream: false });
    assert.equal(r.response, EXPECTED);
    assert.equal(r.done, true);
  });

  test('embed', async () => {
    const r = await client().embed({ model: 'nomic-embed-text:latest', input: ['hello', 'world'] });
    assert.equal(r.embeddings.length, 2);
    assert.ok(r.embeddings[0].length > 8 && r.embeddings[0].every((x) => typeof x === 'number'));
  });

  test('list and ps', async () => {
    const list = await client().list();
    const names = list.models.map((m) => m.name);
    for (const m of ['llama3.2:3b', 'llava:7b', 'nomic-embed-text:latest', 'qwen3:8b']) {
      assert.ok(names.includes(m), `${m} in ${names}`);
    }
    assert.ok(list.models[0].details && list.models[0].size > 0);
    const ps = await client().ps();
    assert.ok(Array.isArray(ps.models) && ps.models.length > 0);
    assert.ok(ps.models.some((m) => m.name === 'llama3.2:3b'));
  });

  test('show goes to an endpoint that has the model', async () => {
    for (const model of ['llama3.2:3b', 'qwen3:8b']) {
      const r = await client().show({ model });
      assert.ok(r.details && r.details.family, JSON.stringify(r));
      assert.ok(r.model_info && typeof r.model_info === 'object');
    }
  });

  test('an error reads as a message, not [object Object]', async () => {
    await assert.rejects(client().chat({ model: 'gpt-9', messages: [{ role: 'user', content: 'Hi' }] }), (e) => {
      assert.equal(e.name, 'ResponseError');
      assert.equal(e.status_code, 404);
      assert.match(e.message, /gpt-9/);
      return true;
    });
    await assert.rejects(client().pull({ model: 'llama3.2:3b', stream: false }), (e) => {
      assert.equal(e.status_code, 501);
      assert.match(e.message, /not supported/);
      return true;
    });
  });
});
