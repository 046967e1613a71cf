// The official `@anthropic-ai/sdk` against /olla/anthropic: translated (an Ollama older than 0.14 has no
// Messages API; Olla knows from its /api/version), passthrough (an Ollama 0.14, llama.cpp), and a
// passthrough target without the Messages API (LM Studio reports no version) that falls back.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { env, EXPECTED } from '../lib/harness.js';

const WEATHER = {
  name: 'get_weather',
  description: 'Weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const MODES = [
  { mode: 'translated', model: 'llama3.2:3b', header: null },
  { mode: 'passthrough (Ollama 0.14)', model: 'qwen3:8b', header: 'passthrough' },
  { mode: 'passthrough (llama.cpp)', model: 'tiny-llama', header: 'passthrough' },
  { mode: 'falls back (LM Studio without /v1/messages)', model: 'qwen3-4b', header: null },
];

const client = () => new Anthropic({ baseURL: env.base + '/olla/anthropic', apiKey: 'not-needed', maxRetries: 0 });

for (const m of MODES) {
  describe(`anthropic SDK, ${m.mode}`, () => {
    test('create', async () => {
      const { data, response } = await client().messages.create({
        model: m.model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }],
      }).withResponse();
      assert.equal(data.type, 'message');
      assert.equal(data.role, 'assistant');
      assert.equal(data.content[0].type, 'text');
      assert.equal(data.content[0].text.trim(), EXPECTED.trim());
      assert.equal(data.stop_reason, 'end_turn');
      assert.ok(data.usage.output_tokens > 0);
      assert.equal(response.headers.get('x-olla-mode'), m.header);
    });

    test('stream', async () => {
      const stream = client().messages.stream({
        model: m.model, max_tokens: 64, messages: [{ role: 'user', content: 'Tell me a story' }],
      });
      let deltas = 0;
      stream.on('text', () => { deltas++; });
      const final = await stream.finalMessage();
      assert.equal(final.content[0].text.trim(), EXPECTED.trim());
      assert.ok(deltas > 3, `text arrives in pieces (${deltas})`);
      assert.equal(final.stop_reason, 'end_turn');
    });

    test('tool use and tool result', async () => {
      const first = await client().messages.create({
        model: m.model, max_tokens: 64, tools: [WEATHER], messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b) => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(first));
      assert.equal(use.name, 'get_weather');
      assert.deepEqual(use.input, { city: 'sim' });
      const second = await client().messages.create({
        model: m.model, max_tokens: 64, tools: [WEATHER],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '21 degrees' }] },
        ],
      });
      assert.equal(second.stop_reason, 'end_turn');
      assert.equal(second.content[0].text.trim(), EXPECTED.trim());
    });

    test('streamed tool use', async () => {
      const final = await client().messages.stream({
        model: m.model, max_tokens: 64, tools: [WEATHER], messages: [{ role: 'user', content: 'Weather in Paris?' }],
      }).finalMessage();
      const use = final.content.find((b) => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(final));
      assert.deepEqual(use.input, { city: 'sim' });
      assert.equal(final.stop_reason, 'tool_use');
    });
  });
}

describe('anthropic SDK, the rest of the API', () => {
  test('a passthrough without the Messages API was remembered: LM Studio is now translated at once', async () => {
    const { response } = await client().messages.create({
      model: 'qwen3-4b', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }],
    }).withResponse();
    assert.equal(response.headers.get('x-olla-mode'), null);
    assert.equal(response.headers.get('x-olla-passthrough-fallback'), null);
  });

  test('count_tokens: counted by llama.cpp, estimated elsewhere, validated', async () => {
    const messages = [{ role: 'user', content: 'Hello' }];
    const counted = await client().messages.countTokens({ model: 'tiny-llama', messages });
    assert.ok(counted.input_tokens > 20, `llama.cpp counts its chat template too (${counted.input_tokens})`);
    const estimated = await client().messages.countTokens({ model: 'llama3.2:3b', messages });
    assert.ok(estimated.input_tokens >= 1 && estimated.input_tokens < 10);
    await assert.rejects(client().messages.countTokens({ model: 'llama3.2:3b', messages: 'Hello' }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.error.error.type, 'invalid_request_error');
      return true;
    });
  });

  test('models list and retrieve', async () => {
    const ids = [];
    for await (const model of client().models.list()) ids.push(model.id);
    assert.ok(ids.length >= 5, ids.join());
    const one = await client().models.retrieve(ids[0]);
    assert.equal(one.id, ids[0]);
    assert.equal(one.type, 'model');
    await assert.rejects(client().models.retrieve('claude-nope'), (e) => e.status === 404);
  });

  test('errors are Anthropic errors', async () => {
    await assert.rejects(client().messages.create({
      model: 'claude-nope', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }],
    }), (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.error.type, 'error');
      assert.equal(e.error.error.type, 'not_found_error');
      assert.match(e.error.error.message, /claude-nope/);
      return true;
    });
  });

  test('an image reaches a translated backend as an image_url part', async () => {
    const r = await client().messages.create({
      model: 'llava:7b', max_tokens: 16, messages: [{ role: 'user', content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'text', text: 'What is this?' }] }],
    });
    assert.equal(r.content[0].text.trim(), EXPECTED.trim());
  });
});
