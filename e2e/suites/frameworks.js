// LangChain and the Vercel AI SDK: one streamed chat each.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatOpenAI } from '@langchain/openai';
import { streamText } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { env, EXPECTED } from '../lib/harness.js';

describe('frameworks', () => {
  test('@langchain/openai streamed chat via /olla/openai/v1', async () => {
    const model = new ChatOpenAI({
      model: 'llama3.2:3b', apiKey: 'not-needed', maxRetries: 0,
      configuration: { baseURL: env.base + '/olla/openai/v1' },
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of await model.stream('Tell me a story')) {
      chunks++;
      text += chunk.content;
    }
    assert.equal(text, EXPECTED);
    assert.ok(chunks > 3);
  });

  test('Vercel AI SDK (ai + @ai-sdk/openai-compatible) streamed chat via /olla/proxy/v1', async () => {
    const provider = createOpenAICompatible({ name: 'olla', baseURL: env.base + '/olla/proxy/v1', includeUsage: true });
    const result = streamText({ model: provider('meta-llama/Llama-3.1-8B-Instruct'), prompt: 'Tell me a story' });
    let text = '';
    let parts = 0;
    for await (const part of result.textStream) {
      parts++;
      text += part;
    }
    assert.equal(text, EXPECTED);
    assert.ok(parts > 3);
    const usage = await result.usage;
    assert.ok(usage.outputTokens > 0, JSON.stringify(usage));
  });
});
