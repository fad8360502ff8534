#!/usr/bin/env node
// @ts-check
/**
 * A scripted "model" for the Claude Code demonstration (issue 10, "Main job and docs"): the subset
 * of the Anthropic Messages API Claude Code 2.1 calls, `POST /v1/messages?beta=true` answered as a
 * server-sent-event stream, on 127.0.0.1. Plain Node, no dependencies.
 *
 *   node examples/model-servers/anthropic-demo.mjs [port]     # prints its base URL, e.g. http://127.0.0.1:8788
 *   ANTHROPIC_BASE_URL=<that URL> ANTHROPIC_API_KEY=demo npm start -- --once --agent claude-code <tickets.json>
 *
 * It does what the offline reference agent would, through Claude Code's own tools. For a new
 * conversation (no `tool_result` yet) it answers with a `Bash` tool call that runs the reference
 * agent on the task's request file, whose path it finds in the prompt ({@link REQUEST_FILE}):
 * `node <repo>/examples/agents/reference-agent.mjs < <path>`. The
 * agent writes its documents and code into the working tree (Claude Code's cwd) and prints its
 * result; when the next request carries that `tool_result`, the model answers with a final text: a
 * summary line and, on the last line, the JSON of the result's `output` (so `approved`, `reasons` and
 * `context` reach the task: src/agents/prompt.ts `outputOfFinalMessage`). Anything else gets a short
 * text. Every message reports {@link DEMO_USAGE}, so Claude Code reports tokens and a cost.
 *
 * The event stream is the one test/fixtures/model-servers/anthropic.ts speaks (`message_start` →
 * `content_block_start` / `content_block_delta` / `content_block_stop` per block → `message_delta` →
 * `message_stop`). Other paths get a 404 Anthropic error body.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The offline reference agent the demo model runs. */
const REFERENCE_AGENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'agents', 'reference-agent.mjs');

/**
 * Where the prompt names the request file: the default templates of src/agents/prompt-templates.ts
 * say "The whole task request (JSON, …) is in <path>." and, for a validation, "The request file
 * <path> lists …".
 */
const REQUEST_FILE = /(?:The whole task request(?: \([^)]*\))? is in|The request file) (\/\S+?)\.?(?:\s|$)/;

/** Tokens every message reports: input on `message_start` (part of it from the cache), output on `message_delta`. */
export const DEMO_USAGE = { inputTokens: 1200, cacheReadTokens: 200, outputTokens: 150 };

/**
 * @typedef {{ type: string, text?: string, content?: unknown, [key: string]: unknown }} Block a content block of a message
 * @typedef {{ role: string, content: string | Block[] }} Message a message of the conversation
 * @typedef {{ text?: string, toolUse?: { name: string, input: Record<string, unknown> } }} Answer what one streamed message holds
 */

/**
 * One server-sent event.
 *
 * @param {http.ServerResponse} res
 * @param {string} event
 * @param {unknown} data
 */
function sse(res, event, data) {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

let messages = 0;

/**
 * Streams one assistant message: an optional `text` block, then an optional `tool_use` block (stop
 * reason `tool_use`, else `end_turn`).
 *
 * @param {http.ServerResponse} res
 * @param {string} model the model the request named (echoed back)
 * @param {Answer} answer
 */
function streamMessage(res, model, { text, toolUse }) {
  messages += 1;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_demo_${messages}` });
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id: `msg_demo_${messages}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: DEMO_USAGE.inputTokens - DEMO_USAGE.cacheReadTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: DEMO_USAGE.cacheReadTokens,
        output_tokens: 1,
      },
    },
  });
  let index = 0;
  if (text !== undefined) {
    sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    index += 1;
  }
  if (toolUse) {
    const id = `toolu_demo_${messages}`;
    sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: toolUse.name, input: {} } });
    sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(toolUse.input) } });
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
  }
  sse(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: toolUse ? 'tool_use' : 'end_turn', stop_sequence: null },
    usage: { output_tokens: DEMO_USAGE.outputTokens },
  });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

/**
 * The blocks of a message (a string content is one text block).
 *
 * @param {Message} message
 * @returns {Block[]}
 */
const blocks = (message) => (typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content);

/**
 * The text of a block's content (a tool result's content is a string or text blocks).
 *
 * @param {unknown} content
 * @returns {string}
 */
function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('\n');
  return '';
}

/**
 * A shell word: `value` in single quotes.
 *
 * @param {string} value
 */
const shellQuote = (value) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * The reference agent's result in a Bash tool's output (its one JSON line on stdout; its stderr
 * lines, which Claude Code adds, are not JSON), or undefined.
 *
 * @param {string} output
 * @returns {{ status?: string, error?: string, output?: Record<string, unknown> } | undefined}
 */
function agentResult(output) {
  for (const line of output.split('\n')) {
    if (!line.trimStart().startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line);
      if (parsed && typeof parsed === 'object' && 'status' in parsed) return parsed;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

/**
 * What the demo model says next in `conversation`.
 *
 * @param {Message[]} conversation
 * @returns {Answer}
 */
export function demoAnswer(conversation) {
  const toolResult = conversation
    .filter((message) => message.role === 'user')
    .flatMap(blocks)
    .filter((block) => block.type === 'tool_result')
    .at(-1);
  if (toolResult) {
    const result = agentResult(textOf(toolResult.content));
    if (!result) return { text: `The reference agent printed no result:\n${textOf(toolResult.content).slice(0, 2000)}` };
    if (result.status !== 'completed') return { text: `The reference agent failed: ${result.error ?? 'no reason given'}` };
    const output = result.output ?? {};
    return { text: `${String(output.summary ?? 'done')}\n${JSON.stringify(output)}` };
  }
  const prompt = conversation
    .filter((message) => message.role === 'user')
    .flatMap(blocks)
    .map((block) => (block.type === 'text' ? (block.text ?? '') : ''))
    .join('\n');
  const requestFile = REQUEST_FILE.exec(prompt)?.[1];
  if (!requestFile) return { text: 'The demo model needs a prompt naming the task request file ("The whole task request (…) is in <path>.").' };
  return {
    text: 'Running the reference agent on the task request.',
    toolUse: {
      name: 'Bash',
      input: { command: `node ${shellQuote(REFERENCE_AGENT)} < ${shellQuote(requestFile)}`, description: 'Run the reference agent on the task request' },
    },
  };
}

/**
 * Starts the demo model on 127.0.0.1.
 *
 * @param {number} port 0 for an ephemeral one
 * @returns {Promise<{ baseUrl: string, server: http.Server }>}
 */
export async function startDemoModel(port) {
  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const error = (/** @type {number} */ status, /** @type {string} */ type, /** @type {string} */ message) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type, message } }));
      };
      if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/messages')) return error(404, 'not_found_error', `demo model: no ${req.method} ${req.url}`);
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return error(400, 'invalid_request_error', 'demo model: the body is not JSON');
      }
      const conversation = Array.isArray(body?.messages) ? body.messages : [];
      streamMessage(res, typeof body?.model === 'string' ? body.model : 'claude-demo', demoAnswer(conversation));
    });
  });
  // A CLI killed mid-stream resets its connection: not the server's failure.
  server.on('connection', (socket) => socket.on('error', () => socket.destroy()));
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { baseUrl: `http://127.0.0.1:${address.port}`, server };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: node ${path.relative(process.cwd(), fileURLToPath(import.meta.url))} [port]`);
    process.exit(2);
  }
  const { baseUrl } = await startDemoModel(port);
  console.log(baseUrl);
}
