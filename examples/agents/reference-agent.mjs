#!/usr/bin/env node
// @ts-check
/**
 * Reference agent for the ticket orchestrator's command backend (protocol
 * `ticket-orchestrator/agent-v1`). The orchestrator starts it once per task with the ticket's
 * workspace as cwd: for a ticket with a repository, the ticket's git working tree (branch
 * `tickets/<key>`, synced before the task; the orchestrator commits and pushes what changed after
 * it). Everything is derived from the ticket's own text: documents at the conventional paths
 * `docs/tickets/<key>/` (key = external ID, else ID), and code with tests for the example
 * repository (examples/repository), so that the repository's own test command stays green with
 * full coverage. The agent runs no tests and claims no results: the orchestrator runs the
 * repository's tests itself and the gates judge its reports.
 *
 * Input: ONE JSON object on stdin
 *   { protocol: "ticket-orchestrator/agent-v1",
 *     task: { id, taskType, phase, description, priority, requiredCapabilities, attempt },
 *     ticket: { id, externalId|null, title, description, priority, labels, acceptanceCriteria },
 *     contextSummary: "earlier phases, summarized (may be empty)",
 *     dependencies: [{ taskType, output }],       // outputs of tasks this one depends on
 *     artifacts: [{ type, path, content }],        // the phase's artifacts (validate_phase only)
 *     workspace: "/abs/path" }                     // the ticket's working tree (also the cwd)
 *
 * Output: ONE JSON object on stdout, nothing else (logs go to stderr, one line each, prefixed
 * "[reference-agent]")
 *   { status: "completed"|"failed",
 *     output: { summary, context: {...}, ...task-specific },
 *     artifacts: [{ type, path, content }],        // empty when failed
 *     error: "only when failed", retryable: boolean }
 * `output.context` feeds the cross-phase context: list keys `key_decisions`, `design_decisions`,
 * `risks` and `acceptance_criteria` are key points, other lists and strings are details.
 *
 * Exit codes: 0 whenever a result was written (completed or failed); 65 (EX_DATAERR) when stdin is
 * not JSON, lacks `task`/`ticket`, or names another protocol (the backend treats 64–78 as permanent);
 * 1 on any other error (a crash, which the backend may retry).
 *
 * Task types: analyze_requirements, create_requirements_doc, design_architecture,
 * implement_feature, write_tests, run_tests, deploy_feature, validate_phase. Any other task type is
 * answered with status "failed", retryable false.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * @typedef {{ id: string, externalId: string | null, title: string, description: string, priority: string, labels: string[], acceptanceCriteria: string[] }} Ticket
 *   the request's ticket with every field present and typed ({@link normalizeTicket})
 * @typedef {{ type: string, path?: string, content: any }} Artifact an artifact as the protocol carries it
 * @typedef {{ protocol?: string, task: { taskType: string, phase?: string, attempt?: number }, ticket: Record<string, any>,
 *   contextSummary?: string, dependencies?: { taskType: string, output: any }[], artifacts?: Artifact[], workspace?: string }} Request
 *   the request on stdin (free-form JSON checked by {@link parseRequest})
 * @typedef {{ status: 'completed' | 'failed', output: { summary: string, context: Record<string, unknown>, [key: string]: unknown },
 *   artifacts: Artifact[], error?: string, retryable: boolean }} Result the result on stdout
 * @typedef {{ deliverable: string, criteria: string[] }} Trace a deliverable and the acceptance criteria covering it
 */

const PROTOCOL = 'ticket-orchestrator/agent-v1';
const EX_DATAERR = 65;

/**
 * "1 risk", "2 risks": `n` and the noun, singular or plural (default: singular + "s").
 *
 * @param {number} n
 * @param {string} singular
 * @param {string} [plural]
 */
function count(n, singular, plural = `${singular}s`) {
  return `${n} ${n === 1 ? singular : plural}`;
}

/**
 * Markdown bullet lines, one per item.
 *
 * @param {readonly string[]} items
 */
function bullets(items) {
  return items.map((item) => `- ${item}`).join('\n');
}

/**
 * Writes one line to stderr, prefixed with the agent's name.
 *
 * @param {string} message
 */
function log(message) {
  process.stderr.write(`[reference-agent] ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Reading the ticket
// ---------------------------------------------------------------------------------------------

/** Words that carry no meaning of their own when matching deliverables to acceptance criteria. */
const STOP_WORDS = new Set(
  (
    'the and for with from into onto that this these those when then than are was were been has have had not but all any ' +
    'can could should must will would may each every only also its via per out our your their they them there here ' +
    'add create implement update support ensure make use new get set able way'
  ).split(' '),
);

/**
 * Reduces an English word to a crude stem, so that "dependencies"/"dependency" and "limits"/"limiting" match.
 *
 * @param {string} word
 */
function stem(word) {
  let stemmed = word;
  if (stemmed.length > 4 && stemmed.endsWith('ies')) return `${stemmed.slice(0, -3)}y`;
  if (stemmed.length > 5 && stemmed.endsWith('ing')) stemmed = stemmed.slice(0, -3);
  else if (stemmed.length > 4 && stemmed.endsWith('ed')) stemmed = stemmed.slice(0, -2);
  else if (stemmed.length > 3 && stemmed.endsWith('s') && !stemmed.endsWith('ss')) stemmed = stemmed.slice(0, -1);
  if (/([^aeiouls])\1$/.test(stemmed)) stemmed = stemmed.slice(0, -1);
  if (stemmed.length > 4 && stemmed.endsWith('e')) stemmed = stemmed.slice(0, -1);
  return stemmed;
}

/**
 * The stems of the significant words of `text` (three letters or more, no stop words).
 *
 * @param {string} text
 */
function significantStems(text) {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return new Set(words.filter((word) => word.length >= 3 && !STOP_WORDS.has(word)).map(stem));
}

/**
 * Trims the strings of a list, drops blanks and duplicates; anything that is not a list gives [].
 *
 * @param {unknown} value
 * @returns {string[]}
 */
function cleanList(value) {
  return Array.isArray(value) ? [...new Set(value.map((item) => String(item).trim()).filter(Boolean))] : [];
}

/**
 * The ticket of a request with every field present and typed.
 *
 * @param {Record<string, any>} ticket the request's ticket, as sent
 * @returns {Ticket}
 */
function normalizeTicket(ticket) {
  return {
    id: String(ticket.id ?? ''),
    externalId: typeof ticket.externalId === 'string' && ticket.externalId.trim() ? ticket.externalId.trim() : null,
    title: String(ticket.title ?? '').trim(),
    description: String(ticket.description ?? '')
      .replace(/\r\n?/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
    priority: String(ticket.priority ?? ''),
    labels: cleanList(ticket.labels),
    acceptanceCriteria: cleanList(ticket.acceptanceCriteria),
  };
}

/**
 * The deliverables a ticket's description names: its `- ` (or `* `) bullet lines, or, when it has
 * none, its sentences.
 *
 * @param {string} description
 * @returns {string[]}
 */
function parseDeliverables(description) {
  const bulleted = description
    .split('\n')
    .map((line) => /^\s*[-*]\s+(.+)$/.exec(line)?.[1]?.trim() ?? '')
    .filter(Boolean);
  if (bulleted.length > 0) return [...new Set(bulleted)];
  const sentences = description.split(/(?<=[.!?])\s+|\n+/).map((sentence) => sentence.trim().replace(/\.$/, ''));
  return [...new Set(sentences.filter(Boolean))];
}

/**
 * For each deliverable, the acceptance criteria sharing at least one significant word with it.
 *
 * @param {string[]} deliverables
 * @param {string[]} criteria
 * @returns {Trace[]}
 */
function traceDeliverables(deliverables, criteria) {
  return deliverables.map((deliverable) => {
    const stems = significantStems(deliverable);
    return { deliverable, criteria: criteria.filter((criterion) => [...significantStems(criterion)].some((s) => stems.has(s))) };
  });
}

/**
 * Risks that follow from the ticket's text: missing deliverables or criteria, and gaps between them.
 *
 * @param {string[]} deliverables
 * @param {string[]} criteria
 * @param {Trace[]} trace
 * @returns {string[]}
 */
function computeRisks(deliverables, criteria, trace) {
  const risks = [];
  if (deliverables.length === 0) risks.push('The description names no deliverables; the scope is undefined');
  if (criteria.length === 0) risks.push('The ticket has no acceptance criteria; completion cannot be verified');
  else {
    for (const { deliverable, criteria: covering } of trace) {
      if (covering.length === 0) risks.push(`Deliverable '${deliverable}' has no acceptance criterion that covers it`);
    }
    for (const criterion of criteria) {
      if (deliverables.length > 0 && !trace.some((entry) => entry.criteria.includes(criterion))) {
        risks.push(`Acceptance criterion '${criterion}' is not addressed by any deliverable`);
      }
    }
  }
  return risks;
}

/**
 * The requirements analysis of a ticket: deliverables, criteria, their tracing, and the risks.
 *
 * @param {Ticket} ticket the normalized ticket
 */
function analyzeTicket(ticket) {
  const deliverables = parseDeliverables(ticket.description);
  const trace = traceDeliverables(deliverables, ticket.acceptanceCriteria);
  return { deliverables, acceptanceCriteria: ticket.acceptanceCriteria, trace, risks: computeRisks(deliverables, ticket.acceptanceCriteria, trace) };
}

/**
 * What the ticket's checklist tracks: its acceptance criteria, else its deliverables, else its title.
 *
 * @param {Ticket} ticket the normalized ticket
 */
function checklistItems(ticket) {
  if (ticket.acceptanceCriteria.length > 0) return ticket.acceptanceCriteria;
  const deliverables = parseDeliverables(ticket.description);
  return deliverables.length > 0 ? deliverables : [ticket.title || 'Ticket done'];
}

/**
 * A file-name slug for the ticket: from its external ID, else its title, else its ID.
 *
 * @param {Ticket} ticket the normalized ticket
 */
function ticketSlug(ticket) {
  const slugify = (/** @type {string} */ text) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  return slugify(ticket.externalId ?? '') || slugify(ticket.title).slice(0, 60).replace(/-+$/, '') || `ticket-${slugify(ticket.id) || 'unnamed'}`;
}

/**
 * Where the ticket's document `name` goes: `docs/tickets/<key>/<name>`, the key being the ticket's
 * external ID, else its ID (the orchestrator collects requirements.md and design.md from there).
 *
 * @param {Ticket} ticket the normalized ticket
 * @param {string} name
 */
function ticketDocument(ticket, name) {
  return `docs/tickets/${ticket.externalId ?? ticket.id}/${name}`;
}

/**
 * How the ticket is named in documents and code: "ROADMAP-1.1: Title", or just the title.
 *
 * @param {Ticket} ticket the normalized ticket
 */
function ticketName(ticket) {
  return ticket.externalId ? `${ticket.externalId}: ${ticket.title}` : ticket.title;
}

/**
 * The output of the dependency task of type `taskType`, if the request carries one.
 *
 * @param {Request} request the agent request
 * @param {string} taskType
 * @returns {Record<string, any> | undefined}
 */
function dependencyOutput(request, taskType) {
  const dependency = (Array.isArray(request.dependencies) ? request.dependencies : []).find((entry) => entry?.taskType === taskType);
  return dependency?.output && typeof dependency.output === 'object' ? dependency.output : undefined;
}

/**
 * The risks listed in a context summary (its `Risk (<phase>): text` lines).
 *
 * @param {unknown} contextSummary
 * @returns {string[]}
 */
function summaryRisks(contextSummary) {
  return String(contextSummary ?? '')
    .split('\n')
    .map((line) => /^Risk \([^)]*\): (.+)$/.exec(line.trim())?.[1] ?? '')
    .filter(Boolean);
}

// ---------------------------------------------------------------------------------------------
// Workspace files
// ---------------------------------------------------------------------------------------------

/**
 * Writes `text` to `relativePath` under the workspace, creating directories; returns the file's record.
 *
 * @param {string} ws the workspace directory
 * @param {string} relativePath
 * @param {string} text
 */
function writeWorkspaceFile(ws, relativePath, text) {
  const file = path.join(ws, relativePath);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  log(`wrote ${relativePath} (${Buffer.byteLength(text)} bytes)`);
  return fileRecord(ws, relativePath);
}

/**
 * `{ path, bytes, sha256 }` of a workspace file.
 *
 * @param {string} ws the workspace directory
 * @param {string} relativePath
 */
function fileRecord(ws, relativePath) {
  const data = fs.readFileSync(path.join(ws, relativePath));
  return { path: relativePath, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Every file under `dir` (recursively), as sorted POSIX paths relative to `root`.
 *
 * @param {string} root
 * @param {string} dir
 * @returns {string[]}
 */
function listFiles(root, dir) {
  const start = path.join(root, dir);
  if (!fs.existsSync(start)) return [];
  return fs
    .readdirSync(start, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) =>
      path
        .relative(root, path.join(entry.parentPath ?? entry.path, entry.name))
        .split(path.sep)
        .join('/'),
    )
    .sort();
}

/**
 * `text` made safe inside a block comment.
 *
 * @param {string} text
 */
function commentText(text) {
  return text.replace(/\*\//g, '* /').replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Task handlers: each takes (request, ticket, ws) and returns the result object
// ---------------------------------------------------------------------------------------------

/**
 * A completed result.
 *
 * @param {string} summary
 * @param {Record<string, unknown>} context
 * @param {Record<string, unknown>} extraOutput
 * @param {Artifact[]} artifacts
 * @returns {Result}
 */
function completed(summary, context, extraOutput, artifacts) {
  return { status: 'completed', output: { summary, context, ...extraOutput }, artifacts, retryable: false };
}

/**
 * A failed result (no artifacts).
 *
 * @param {string} error
 * @param {boolean} retryable
 * @param {Record<string, unknown>} [output]
 * @returns {Result}
 */
function failed(error, retryable, output = {}) {
  return { status: 'failed', output: { summary: error, context: {}, ...output }, artifacts: [], error, retryable };
}

/**
 * analyze_requirements: deliverables, acceptance criteria, their tracing and risks → docs/tickets/<key>/requirements-analysis.json.
 *
 * @param {Request} _request
 * @param {Ticket} ticket the normalized ticket
 * @param {string} ws the workspace directory
 * @returns {Result}
 */
function analyzeRequirements(_request, ticket, ws) {
  const analysis = analyzeTicket(ticket);
  const relative = ticketDocument(ticket, 'requirements-analysis.json');
  writeWorkspaceFile(ws, relative, `${JSON.stringify(analysis, null, 2)}\n`);
  return completed(
    `Found ${count(analysis.deliverables.length, 'deliverable')}, ${count(ticket.acceptanceCriteria.length, 'acceptance criterion', 'acceptance criteria')} and ${count(analysis.risks.length, 'risk')}`,
    { scope_clarifications: analysis.deliverables, acceptance_criteria: ticket.acceptanceCriteria, risks: analysis.risks },
    { deliverables: analysis.deliverables, risks: analysis.risks, trace: analysis.trace },
    [{ type: 'requirements_analysis', path: relative, content: analysis }],
  );
}

/**
 * create_requirements_doc: docs/tickets/<key>/requirements.md with the ticket's scope and acceptance criteria
 * and the analysis (from the analyze_requirements dependency when given, else computed here).
 *
 * @param {Request} request the agent request
 * @param {Ticket} ticket the normalized ticket
 * @param {string} ws the workspace directory
 * @returns {Result}
 */
function createRequirementsDoc(request, ticket, ws) {
  const own = analyzeTicket(ticket);
  const given = dependencyOutput(request, 'analyze_requirements');
  const deliverables = given && Array.isArray(given.deliverables) ? cleanList(given.deliverables) : own.deliverables;
  const risks = given && Array.isArray(given.risks) ? cleanList(given.risks) : own.risks;
  const trace = traceDeliverables(deliverables, ticket.acceptanceCriteria);
  const facts = [
    ticket.externalId && `Ticket ${ticket.externalId}`,
    ticket.priority && `priority ${ticket.priority}`,
    ticket.labels.length > 0 && `labels: ${ticket.labels.join(', ')}`,
  ].filter(Boolean);
  const lines = [
    `# Requirements: ${ticket.title}`,
    ...(facts.length > 0 ? ['', facts.join(' · ')] : []),
    '',
    '## Scope',
    '',
    ticket.description || ticket.title,
    '',
    '## Acceptance Criteria',
    '',
    // None given: the section stays empty, and the gate asks for clarification (issue 11).
    ...(ticket.acceptanceCriteria.length > 0 ? [bullets(ticket.acceptanceCriteria), ''] : []),
    '## Analysis',
    '',
    '### Deliverables traced to acceptance criteria',
    '',
    bullets(trace.map(({ deliverable, criteria }) => `${deliverable} → ${criteria.length > 0 ? criteria.join('; ') : 'no acceptance criterion'}`)) ||
      '- None named',
    '',
    '### Risks',
    '',
    risks.length > 0 ? bullets(risks) : '- None identified',
  ];
  const text = `${lines.join('\n')}\n`;
  const relative = ticketDocument(ticket, 'requirements.md');
  writeWorkspaceFile(ws, relative, text);
  const keyDecisions = [
    `Scope limited to ${count(deliverables.length, 'deliverable')}`,
    `Acceptance judged by ${count(ticket.acceptanceCriteria.length, 'criterion', 'criteria')}`,
  ];
  const uncovered = trace.filter((entry) => entry.criteria.length === 0).length;
  if (uncovered > 0) keyDecisions.push(`${count(uncovered, 'deliverable')} without an acceptance criterion carried as risks`);
  return completed(
    `Wrote ${relative} (${text.length} characters) for ${ticketName(ticket)}`,
    { requirements_doc: text, key_decisions: keyDecisions },
    { length: text.length, usedAnalysis: Boolean(given) },
    [{ type: 'requirements_document', path: relative, content: { text, format: 'markdown' } }],
  );
}

/**
 * design_architecture: docs/tickets/<key>/design.md with the components, one decision per deliverable, and the risks known so far.
 *
 * @param {Request} request the agent request
 * @param {Ticket} ticket the normalized ticket
 * @param {string} ws the workspace directory
 * @returns {Result}
 */
function designArchitecture(request, ticket, ws) {
  const slug = ticketSlug(ticket);
  const moduleFile = `src/tickets/${slug}.js`;
  const { deliverables, risks: ticketRisks } = analyzeTicket(ticket);
  const risks = [...new Set([...ticketRisks, ...summaryRisks(request.contextSummary)])];
  const decisions = [
    ...deliverables.map((deliverable) => `Deliverable '${deliverable}' is implemented in module \`${moduleFile}\``),
    `The ticket's checklist (${count(checklistItems(ticket).length, 'item')}) is built with \`src/checklist.js\``,
  ];
  const components = [
    '`src/checklist.js`: checklist library of the example repository (items, completion, progress)',
    `\`${moduleFile}\`: the checklist of ${ticketName(ticket)}, built with \`../checklist\``,
    `\`test/tickets/${slug}.test.js\`: unit tests of \`${moduleFile}\``,
    `\`test/tickets/${slug}.acceptance.test.js\`: one test per acceptance criterion`,
  ];
  const lines = [
    `# Design: ${ticket.title}`,
    '',
    '## Components',
    '',
    bullets(components),
    '',
    '## Decisions',
    '',
    bullets(decisions),
    '',
    '## Risks',
    '',
    risks.length > 0 ? bullets(risks) : '- None identified',
  ];
  const text = `${lines.join('\n')}\n`;
  const relative = ticketDocument(ticket, 'design.md');
  writeWorkspaceFile(ws, relative, text);
  return completed(
    `Wrote ${relative}: ${count(components.length, 'component')}, ${count(decisions.length, 'decision')}, ${count(risks.length, 'risk')}`,
    { architecture_doc: text, design_decisions: decisions },
    { module: moduleFile, risks },
    [{ type: 'design_document', path: relative, content: { text, format: 'markdown' } }],
  );
}

/**
 * The source of `src/tickets/<slug>.js`: the ticket's checklist items and a factory for its checklist.
 *
 * @param {Ticket} ticket the normalized ticket
 */
function ticketModuleSource(ticket) {
  const items = checklistItems(ticket);
  const source = ticket.acceptanceCriteria.length > 0 ? 'its acceptance criteria' : 'its deliverables (the ticket lists no acceptance criteria)';
  return `'use strict';
/**
 * ${commentText(ticketName(ticket))}
 * The ticket's checklist; written by examples/agents/reference-agent.mjs (implement_feature).
 */
const { createChecklist } = require('../checklist');

/** The ticket this module implements. */
const TICKET = Object.freeze(${JSON.stringify({ id: ticket.id, externalId: ticket.externalId, title: ticket.title })});

/** What must be done for the ticket to be accepted: ${source}. */
const CHECKLIST_ITEMS = Object.freeze(${JSON.stringify(items, null, 2)});

/** A fresh checklist of CHECKLIST_ITEMS, nothing done yet. */
function createTicketChecklist() {
  return createChecklist(CHECKLIST_ITEMS);
}

module.exports = { TICKET, CHECKLIST_ITEMS, createTicketChecklist };
`;
}

/**
 * The source of `test/tickets/<slug>.test.js`: unit tests of the ticket module.
 *
 * @param {Ticket} ticket the normalized ticket
 * @param {string} slug
 */
function ticketTestSource(ticket, slug) {
  const items = checklistItems(ticket);
  return `'use strict';
const { TICKET, CHECKLIST_ITEMS, createTicketChecklist } = require('../../src/tickets/${slug}');

describe(${JSON.stringify(ticketName(ticket))}, () => {
  it('names its ticket', () => {
    expect(TICKET.title).toBe(${JSON.stringify(ticket.title)});
  });

  it('lists the ticket\\'s ${items.length} checklist items, frozen', () => {
    expect(CHECKLIST_ITEMS).toEqual(${JSON.stringify(items)});
    expect(Object.isFrozen(CHECKLIST_ITEMS)).toBe(true);
  });

  it('starts with every item remaining', () => {
    const checklist = createTicketChecklist();
    expect(checklist.remaining()).toEqual([...CHECKLIST_ITEMS]);
    expect(checklist.progress()).toEqual({ done: 0, total: ${items.length}, percent: 0 });
  });

  it('is done once every item is completed', () => {
    const checklist = createTicketChecklist();
    CHECKLIST_ITEMS.forEach((item) => checklist.complete(item));
    expect(checklist.remaining()).toEqual([]);
    expect(checklist.progress()).toEqual({ done: ${items.length}, total: ${items.length}, percent: 100 });
  });

  it('gives every caller a fresh checklist', () => {
    const first = createTicketChecklist();
    first.complete(CHECKLIST_ITEMS[0]);
    expect(createTicketChecklist().isComplete(CHECKLIST_ITEMS[0])).toBe(false);
  });
});
`;
}

/**
 * implement_feature: `src/tickets/<slug>.js` and its unit tests `test/tickets/<slug>.test.js`,
 * which cover every line of the module. Runs no tests: the orchestrator does.
 *
 * @param {Request} _request
 * @param {Ticket} ticket the normalized ticket
 * @param {string} ws the workspace directory
 * @returns {Result}
 */
function implementFeature(_request, ticket, ws) {
  const slug = ticketSlug(ticket);
  const moduleFile = writeWorkspaceFile(ws, `src/tickets/${slug}.js`, ticketModuleSource(ticket));
  const testFile = writeWorkspaceFile(ws, `test/tickets/${slug}.test.js`, ticketTestSource(ticket, slug));
  const files = [moduleFile, testFile];
  return completed(
    `Implemented ${moduleFile.path} with unit tests in ${testFile.path}`,
    {
      code_changes_summary: `Added ${moduleFile.path} and its unit tests ${testFile.path}`,
      key_implementations: [
        `${moduleFile.path}: createTicketChecklist() over ${checklistItems(ticket).length} checklist items`,
        `${testFile.path}: unit tests of the ticket checklist`,
      ],
    },
    { files: files.map((file) => file.path) },
    [{ type: 'code_changes', path: moduleFile.path, content: { files } }],
  );
}

/**
 * The source of `test/tickets/<slug>.acceptance.test.js`: one test per checklist item of the ticket.
 *
 * @param {Ticket} ticket the normalized ticket
 * @param {string} slug
 */
function acceptanceTestSource(ticket, slug) {
  const tests = checklistItems(ticket).map((item) => `  it(${JSON.stringify(`acceptance: ${item}`)}, () => expectCompletable(${JSON.stringify(item)}));`);
  return `'use strict';
const { createTicketChecklist } = require('../../src/tickets/${slug}');

/** Asserts that \`item\` is on a fresh checklist of the ticket and can be completed. */
function expectCompletable(item) {
  const checklist = createTicketChecklist();
  expect(checklist.remaining()).toContain(item);
  checklist.complete(item);
  expect(checklist.isComplete(item)).toBe(true);
}

describe(${JSON.stringify(`Acceptance criteria of ${ticketName(ticket)}`)}, () => {
${tests.join('\n')}
});
`;
}

/**
 * write_tests: `test/tickets/<slug>.acceptance.test.js`, one test per acceptance criterion, against
 * the ticket module of implement_feature.
 *
 * @param {Request} _request
 * @param {Ticket} ticket the normalized ticket
 * @param {string} ws the workspace directory
 * @returns {Result}
 */
function writeTests(_request, ticket, ws) {
  const slug = ticketSlug(ticket);
  const file = writeWorkspaceFile(ws, `test/tickets/${slug}.acceptance.test.js`, acceptanceTestSource(ticket, slug));
  const plan = checklistItems(ticket);
  return completed(`Wrote ${file.path} with ${count(plan.length, 'acceptance test')}`, { test_plan: plan }, { files: [file.path] }, [
    { type: 'test_suite', path: file.path, content: { files: [file] } },
  ]);
}

/**
 * run_tests: names the ticket's test files and leaves the run to the orchestrator, which runs the
 * repository's test command itself; claims nothing about results (no artifacts).
 *
 * @param {Request} _request
 * @param {Ticket} ticket the normalized ticket
 * @param {string} ws the workspace directory
 * @returns {Result}
 */
function runTests(_request, ticket, ws) {
  const slug = ticketSlug(ticket);
  const files = listFiles(ws, 'test/tickets').filter((file) => path.posix.basename(file).startsWith(`${slug}.`));
  const named = files.length > 0 ? files.join(', ') : 'none yet';
  return completed(
    `The orchestrator runs the repository's tests; the ticket's test files: ${named}`,
    { test_summary: `Test files of ${ticketName(ticket)}: ${named}` },
    { testFiles: files },
    [],
  );
}

/**
 * deploy_feature: dist/release.json recording every file under src/ with its size and SHA-256 (a
 * build output: the example repository's .gitignore keeps dist/ out of its commits).
 *
 * @param {Request} _request
 * @param {Ticket} ticket the normalized ticket
 * @param {string} ws the workspace directory
 * @returns {Result}
 */
function deployFeature(_request, ticket, ws) {
  const files = listFiles(ws, 'src').map((file) => fileRecord(ws, file));
  if (files.length === 0) return failed('nothing to deploy: the workspace has no files under src/', false);
  const release = { ticket: ticket.externalId ?? ticket.id, title: ticket.title, files };
  const relative = 'dist/release.json';
  writeWorkspaceFile(ws, relative, `${JSON.stringify(release, null, 2)}\n`);
  return completed(
    `Recorded a release of ${count(files.length, 'file')} in ${relative}`,
    { deployment: `Release of ${ticketName(ticket)}: ${count(files.length, 'file')} under src/ recorded in ${relative}` },
    { release },
    [{ type: 'deployment_record', path: relative, content: release }],
  );
}

/**
 * The text of an artifact's content: a string, or its `text`/`body`/`markdown`, else its JSON.
 *
 * @param {any} content
 */
function artifactText(content) {
  if (typeof content === 'string') return content;
  for (const key of ['text', 'body', 'markdown']) if (typeof content?.[key] === 'string') return content[key];
  return JSON.stringify(content ?? '');
}

/**
 * The problems a phase's artifacts have, per the checks of validate_phase (empty when approved).
 * For a ticket with a repository the `test_results` and `code_changes` checked here are the
 * orchestrator's own (its test run and the branch's diff), never this agent's.
 *
 * @param {string} phase
 * @param {Artifact[]} artifacts
 * @param {Ticket} ticket the normalized ticket
 * @returns {string[]}
 */
function phaseProblems(phase, artifacts, ticket) {
  const latest = new Map(artifacts.map((artifact) => [artifact?.type, artifact]));
  const missing = (/** @type {string} */ type) => [`${type}: artifact missing`];
  switch (phase) {
    case 'PHASE_REQUIREMENTS': {
      const document = latest.get('requirements_document');
      if (!document) return missing('requirements_document');
      const text = artifactText(document.content).toLowerCase();
      return ticket.acceptanceCriteria
        .filter((criterion) => !text.includes(criterion.toLowerCase()))
        .map((criterion) => `requirements_document: acceptance criterion '${criterion}' not mentioned`);
    }
    case 'PHASE_TESTING': {
      const results = latest.get('test_results')?.content;
      if (!results) return missing('test_results');
      const problems = [];
      if (!(results.numTotalTests >= ticket.acceptanceCriteria.length))
        problems.push(`test_results: ${results.numTotalTests} tests for ${ticket.acceptanceCriteria.length} acceptance criteria`);
      if (results.numFailedTests !== 0) problems.push(`test_results: ${results.numFailedTests} tests failed`);
      if (results.success === false || (Array.isArray(results.failures) && results.failures.length > 0))
        problems.push(`test_results: failures: ${(results.failures ?? []).join('; ') || 'run not successful'}`);
      return problems;
    }
    case 'PHASE_IMPLEMENTATION': {
      const changes = latest.get('code_changes')?.content;
      if (!changes) return missing('code_changes');
      const paths = /** @type {unknown[]} */ (Array.isArray(changes.files) ? changes.files : []).map((/** @type {any} */ file) =>
        typeof file === 'string' ? file : file?.path,
      );
      return paths.some((file) => typeof file === 'string' && file.startsWith('src/tickets/')) ? [] : ['code_changes: no file under src/tickets/'];
    }
    default:
      return artifacts.length > 0 ? [] : [`${phase}: no artifacts`];
  }
}

/**
 * validate_phase: a second opinion on the phase's artifacts; completes whether or not it approves,
 * and never approves a ticket without acceptance criteria (issue 11).
 *
 * @param {Request} request the agent request
 * @param {Ticket} ticket the normalized ticket
 * @returns {Result}
 */
function validatePhase(request, ticket) {
  const phase = String(request.task.phase ?? '');
  const artifacts = Array.isArray(request.artifacts) ? request.artifacts : [];
  // What cannot be checked is not approved (issue 11): without criteria there is nothing to check against.
  const unverifiable = ticket.acceptanceCriteria.length === 0 ? ['ticket: no acceptance criteria, so the phase cannot be checked against them'] : [];
  const reasons = [...unverifiable, ...phaseProblems(phase, artifacts, ticket)];
  const approved = reasons.length === 0;
  const summary = approved ? `${phase} approved: ${count(artifacts.length, 'artifact')} checked` : `${phase} not approved: ${count(reasons.length, 'problem')}`;
  return completed(summary, { validation: summary, ...(approved ? {} : { risks: reasons }) }, { approved, reasons }, []);
}

/** The handler of each task type. @type {Record<string, (request: Request, ticket: Ticket, ws: string) => Result>} */
const HANDLERS = {
  analyze_requirements: analyzeRequirements,
  create_requirements_doc: createRequirementsDoc,
  design_architecture: designArchitecture,
  implement_feature: implementFeature,
  write_tests: writeTests,
  run_tests: runTests,
  deploy_feature: deployFeature,
  validate_phase: validatePhase,
};

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

/**
 * All of stdin, as text.
 *
 * @returns {Promise<string>}
 */
async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The request on stdin, or a message saying why it is not one.
 *
 * @param {string} input
 * @returns {{ request: Request, problem?: undefined } | { request?: undefined, problem: string }}
 */
function parseRequest(input) {
  let request;
  try {
    request = JSON.parse(input);
  } catch (error) {
    return { problem: `stdin is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!request || typeof request !== 'object' || Array.isArray(request)) return { problem: 'stdin is not a JSON object' };
  if (request.protocol !== undefined && request.protocol !== PROTOCOL)
    return { problem: `unsupported protocol ${JSON.stringify(request.protocol)}, expected ${PROTOCOL}` };
  if (!request.task || typeof request.task !== 'object' || typeof request.task.taskType !== 'string') return { problem: 'request lacks task.taskType' };
  if (!request.ticket || typeof request.ticket !== 'object') return { problem: 'request lacks ticket' };
  return { request };
}

/** Reads the request, runs its task in the workspace, writes the result. */
async function main() {
  const { request, problem } = parseRequest(await readStdin());
  if (!request) {
    log(problem);
    process.exitCode = EX_DATAERR;
    return;
  }
  const ws = typeof request.workspace === 'string' && path.isAbsolute(request.workspace) ? request.workspace : process.cwd();
  fs.mkdirSync(ws, { recursive: true });
  const { taskType } = request.task;
  const handler = Object.hasOwn(HANDLERS, taskType) ? HANDLERS[taskType] : undefined;
  log(`${taskType} (attempt ${request.task.attempt ?? 1}) for ${request.ticket.externalId ?? request.ticket.id} in ${ws}`);
  const result = handler ? handler(request, normalizeTicket(request.ticket), ws) : failed(`unsupported task type: ${taskType}`, false);
  log(`${taskType}: ${result.status}: ${result.output.summary}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  log(`error: ${error?.stack ?? error}`);
  process.exitCode = 1;
});
