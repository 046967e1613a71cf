// The official `openai` SDK through the three OpenAI-compatible route families.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { env, EXPECTED } from '../lib/harness.js';

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
  },
};

// route family, the model used there, an embeddings model reachable there
const ROUTES = [
  { prefix: '/olla/openai/v1', model: 'llama3.2:3b', embed: 'nomic-embed-text:latest' },
  { prefix: '/olla/ollama/v1', model: 'llama3.2:3b', embed: 'nomic-embed-text:latest' },
  { prefix: '/olla/proxy/v1', model: 'meta-llama/Llama-3.1-8B-Instruct', embed: 'text-embedding-nomic-embed-text-v1.5' },
];

for (const route of ROUTES) {
  describe(`openai SDK via ${route.prefix}`, () => {
    const client = () => new OpenAI({ baseURL: env.base + route.prefix, apiKey: 'not-needed', maxRetries: 0 });

    test('chat', async () => {
      const r = await client().chat.completions.create({ model: route.model, messages: [{ role: 'user', content: 'Hello!' }] });
      assert.equal(r.choices[0].message.content, EXPECTED);
      assert.equal(r.choices[0].finish_reason, 'stop');
      assert.ok(r.usage.completion_tokens > 0);
    });

    test('streamed chat with include_usage', async () => {
      const stream = await client().chat.completions.create({
        model: route.model, stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Tell me a story' }],
      });
      let text = '';
      let usage = null;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(text, EXPECTED);
      assert.ok(chunks > 3, `tokens arrive one by one (${chunks} chunks)`);
      assert.ok(usage && usage.total_tokens > 0, 'usage chunk at the end');
    });

    test('tools', async () => {
      const r = await client().chat.completions.create({
        model: route.model, tools: [WEATHER], messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      const call = r.choices[0].message.tool_calls[0];
      assert.equal(r.choices[0].finish_reason, 'tool_calls');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'sim', days: 1 });
      // the tool result goes back; the model answers in text
      const r2 = await client().chat.completions.create({
        model: route.model, tools: [WEATHER],
        messages: [{ role: 'user', content: 'Weather in Paris?' }, r.choices[0].message,
          { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' }],
      });
      assert.equal(r2.choices[0].message.content, EXPECTED);
    });

    test('streamed tools', async () => {
      const stream = await client().chat.completions.create({
        model: route.model, stream: true, tools: [WEATHER], messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      let name = '';
      let args = '';
      let finish = null;
      for await (const chunk of stream) {
        const c = chunk.choices[0];
        if (!c) continue;
        for (const tc of c.delta?.tool_calls ?? []) {
          name += tc.function?.name ?? '';
          args += tc.function?.arguments ?? '';
        }
        finish = c.finish_reason ?? finish;
      }
      assert.equal(name, 'get_weather');
      assert.deepEqual(JSON.parse(args), { city: 'sim', days: 1 });
      assert.equal(finish, 'tool_calls');
    });

    test('embeddings, float and base64', async () => {
      const f = await client().embeddings.create({ model: route.embed, input: ['hello', 'world'], encoding_format: 'float' });
      assert.equal(f.data.length, 2);
      assert.ok(Array.isArray(f.data[0].embedding) && f.data[0].embedding.length > 8);
      assert.ok(f.data[0].embedding.every((x) => typeof x === 'number'));
      const b = await client().embeddings.create({ model: route.embed, input: ['hello', 'world'], encoding_format: 'base64' });
      assert.equal(typeof b.data[0].embedding, 'string');
      const bytes = Buffer.from(b.data[0].embedding, 'base64');
      const decoded = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      assert.equal(decoded.length, f.data[0].embedding.length);
      decoded.forEach((x, i) => assert.ok(Math.abs(x - f.data[0].embedding[i]) < 1e-6));
      // the SDK's default asks for base64 and decodes it
      const d = await client().embeddings.create({ model: route.embed, input: 'hello' });
      assert.equal(d.data[0].embedding.length, f.data[0].embedding.length);
      assert.ok(Math.abs(d.data[0].embedding[0] - f.data[0].embedding[0]) < 1e-6);
    });

    test('models list and retrieve', async () => {
      const ids = [];
      for await (const m of client().models.list()) ids.push(m.id);
      assert.ok(ids.includes(route.model), `${route.model} in ${ids}`);
      const one = await client().models.retrieve(route.model);
      assert.equal(one.id, route.model);
      assert.equal(one.object, 'model');
      await assert.rejects(client().models.retrieve('gpt-9'), (e) => e.status === 404);
    });
  });
}
