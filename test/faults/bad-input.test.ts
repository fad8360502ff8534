/**
 * Fault "bad input": every endpoint of the REST API (the routes of src/<context>/routes.ts, src/agents/prompt-routes.ts and src/api/health.ts; a check
 * below fails when one has no case here) is sent wrong types, unknown phases, unknown fields,
 * oversized and malformed bodies, unknown or garbage IDs and invalid query values, on a real
 * Temporal dev server, worker and PostgreSQL.
 *
 * Each case must be answered with its 4xx and the one error body `{ error: { code, message,
 * details } }` — never a 5xx, never a hang — and must write nothing: the row count and a digest of
 * the content of every table (tickets, tasks, task_templates, phase_gate_artifacts,
 * phase_gate_results, phase_context, phase_history, and the rest) are the same before and after,
 * and the ticket's workflow history did not grow.
 *
 * The tickets here are quiet (manual policy, no gated or validation phases, no active templates),
 * so nothing else writes while a case runs. Cases that could poison a ticket (text the database
 * cannot store, in a transition or cancellation the workflow would then try to persist forever)
 * run on a ticket of their own.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { Phase } from '../../src/ticket/phases';
import { poll } from '../helpers/poll';
import { STATE_MACHINE_ONLY, stackApp, useTicketStack } from '../helpers/temporal';

const stack = useTicketStack();
let app: Express;

/** IDs of the real rows the cases aim at (set in beforeAll). */
const ids = { ticket: '', task: '', template: '', agent: '' };
/** Name of the real repository the `:name` routes aim at (registered in beforeAll). */
const REPOSITORY = 'bad-input-repository';
/** A repository spec valid in shape (its name differs from {@link REPOSITORY}). */
const REPOSITORY_SPEC = {
  name: 'bad-input-repository-2',
  url: '/srv/git/app.git',
  test: { command: 'npm', args: ['test'], report: { format: 'jest-json', path: 'reports/jest.json' } },
  testPaths: ['test/**'],
};

const SRC = path.resolve(__dirname, '..', '..', 'src');
/** The files that declare routes: each context's `src/<context>/routes.ts`, the prompt templates' router and the API's health router. */
const ROUTE_FILES = [
  ...readdirSync(SRC)
    .map((context) => path.join(SRC, context, 'routes.ts'))
    .filter((file) => existsSync(file)),
  path.join(SRC, 'agents', 'prompt-routes.ts'),
  path.join(SRC, 'api', 'health.ts'),
];
/** Every `router.<method>('<path>'` of the route files, as "METHOD /path" (as declared: without the /api/v1 prefix the app mounts most routers at). */
function declaredRoutes(): string[] {
  return ROUTE_FILES.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/router\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)].map(
      ([, method, route]) => `${method!.toUpperCase()} ${route}`,
    ),
  ).sort();
}

type Body = { json: unknown } | { raw: string | Buffer; type: string; encoding?: string };

interface Case {
  /** "METHOD /path" as declared in the routes file (or an undeclared one, for unknown routes). */
  route: string;
  name: string;
  /** Value of `:id` (default: the real ticket, task or template of the route). */
  id?: string;
  query?: string;
  body?: Body;
  headers?: Record<string, string>;
  status: number;
  /** The error code expected; undefined: any code, as long as the status and body shape hold. */
  code?: string;
  /** Runs on a ticket of its own, created for the case (see the file's comment). */
  ownTicket?: boolean;
}

const json = (value: unknown): Body => ({ json: value });
const raw = (text: string | Buffer, type = 'application/json', encoding?: string): Body => ({ raw: text, type, encoding });

const KIB = 1024;
const NUL = 'a\u0000b';
const GARBAGE_IDS: [string, string][] = [
  ['a non-UUID ID', 'not-a-uuid'],
  ['an unknown UUID', randomUUID()],
  ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
  ['an SQL-injection ID', "1' OR '1'='1"],
  ['a 2000-character ID', 'x'.repeat(2000)],
];

/** The resource `:id` names in a route, and its not-found code. */
function resourceOf(route: string): { kind: keyof typeof ids; notFound: string } | undefined {
  if (!route.includes(':id')) return undefined;
  if (route.includes('/task-templates/')) return { kind: 'template', notFound: 'TEMPLATE_NOT_FOUND' };
  if (route.includes(' /agents/')) return { kind: 'agent', notFound: 'AGENT_NOT_FOUND' };
  if (route.includes(' /tasks/')) return { kind: 'task', notFound: 'TASK_NOT_FOUND' };
  return { kind: 'ticket', notFound: 'TICKET_NOT_FOUND' };
}

/** Routes taking a JSON body, each with a body that is valid in shape (sent only with a garbage ID or a twist). */
const BODY_ROUTES: [string, unknown][] = [
  ['POST /tickets', { title: 'Bad input', policy: 'manual' }],
  ['POST /tickets/:id/transition', { toPhase: Phase.REQUIREMENTS }],
  ['POST /tickets/:id/signals/transition', { toPhase: Phase.REQUIREMENTS }],
  ['POST /tickets/:id/cancel', { reason: 'not wanted' }],
  ['PATCH /tickets/:id', { acceptanceCriteria: ['It works'] }],
  ['POST /tickets/:id/generate-tasks', { phaseId: Phase.BACKLOG }],
  ['POST /tasks/:id/complete', { output: {} }],
  ['POST /tasks/:id/fail', { error: 'agent failed' }],
  ['POST /tasks/:id/cancel', { reason: 'not wanted' }],
  ['POST /tasks/:id/dependencies', { dependsOn: [randomUUID()] }],
  ['POST /task-templates', { phaseId: Phase.DESIGN, taskType: 'review_design', templateDescription: 'Review {ticket_title}' }],
  ['PATCH /task-templates/:id', { templateDescription: 'Changed' }],
  ['POST /task-templates/:id/disable', undefined],
  ['POST /tickets/:id/validate-gate', { phaseId: Phase.BACKLOG }],
  ['POST /tickets/:id/artifacts', { artifactType: 'review_note', content: 'looks fine' }],
  ['POST /tickets/:id/update-context', { phaseId: Phase.BACKLOG }],
  ['POST /agents', { name: 'bad-input-agent-2', capabilities: ['analysis'] }],
  ['PATCH /agents/:id', { capacity: 2 }],
  ['POST /agents/:id/enable', undefined],
  ['POST /agents/:id/disable', undefined],
  ['POST /agents/:id/heartbeat', undefined],
  ['POST /repositories', REPOSITORY_SPEC],
  ['PATCH /repositories/:name', { keepBranches: false }],
  ['PUT /prompt-templates/:taskType', { template: 'Work on {{ticket.key}}' }],
  ['POST /prompt-templates/:taskType/preview', { taskId: '<task>' }],
];

/** Routes answering GET with an `:id`. */
const GET_ID_ROUTES = [
  'GET /tickets/:id',
  'GET /tickets/:id/state',
  'GET /tickets/:id/phase-history',
  'GET /tickets/:id/valid-transitions',
  'GET /tickets/:id/escalations',
  'GET /tickets/:id/tasks',
  'GET /tasks/:id',
  'GET /tasks/:id/dependencies',
  'GET /tickets/:id/gate-status',
  'GET /tickets/:id/gate-results',
  'GET /tickets/:id/context',
  'GET /tickets/:id/context-summary',
  'GET /agents/:id',
];

function cases(): Case[] {
  const all: Case[] = [];
  const add = (route: string, name: string, status: number, code: string | undefined, extra: Partial<Case> = {}) =>
    all.push({ route, name, status, code, ...extra });

  // Every body route: malformed, non-object, oversized, wrong charset; and unknown fields where the body has a schema.
  for (const [route, valid] of BODY_ROUTES) {
    add(route, 'a malformed JSON body', 400, 'INVALID_JSON', { body: raw('{"toPhase": "PHASE_DESIGN",') });
    add(route, 'the JSON literal null as body', 400, 'INVALID_JSON', { body: raw('null') });
    add(route, 'a body over 256 KiB', 413, 'PAYLOAD_TOO_LARGE', { body: json({ ...(valid as object), padding: 'x'.repeat(300 * KIB) }) });
    add(route, 'an unknown charset', 415, 'UNSUPPORTED_MEDIA_TYPE', { body: raw('{}', 'application/json; charset=klingon') });
    if (valid !== undefined) {
      add(route, 'an unknown field', 400, 'VALIDATION_FAILED', { body: json({ ...(valid as object), unexpected: true }) });
      add(route, 'an array instead of an object', 400, 'VALIDATION_FAILED', { body: json([valid]) });
    }
  }

  // Every route with an :id: garbage and unknown IDs (with a body valid in shape, so only the ID is wrong).
  for (const route of [...GET_ID_ROUTES, ...BODY_ROUTES.map(([r]) => r).filter((r) => r.includes(':id'))]) {
    const { notFound } = resourceOf(route)!;
    const valid = BODY_ROUTES.find(([r]) => r === route)?.[1];
    for (const [name, id] of GARBAGE_IDS) add(route, name, 404, notFound, { id, body: valid === undefined ? undefined : json(valid) });
  }
  // A malformed percent-encoding in the ID is the client's fault too.
  add('GET /tickets/:id', 'a malformed percent-encoded ID', 400, undefined, { id: '%E0%A4%A' });
  add('GET /tasks/:id', 'a lone percent sign as ID', 400, undefined, { id: '%' });

  // POST /tickets
  const createTicket = 'POST /tickets';
  add(createTicket, 'an empty body', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(createTicket, 'a title of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ title: 42 }) });
  add(createTicket, 'a blank title', 400, 'VALIDATION_FAILED', { body: json({ title: '   ' }) });
  add(createTicket, 'a 501-character title', 400, 'VALIDATION_FAILED', { body: json({ title: 't'.repeat(501) }) });
  add(createTicket, 'a 20001-character description', 400, 'VALIDATION_FAILED', { body: json({ title: 't', description: 'd'.repeat(20_001) }) });
  add(createTicket, 'an unknown priority', 400, 'VALIDATION_FAILED', { body: json({ title: 't', priority: 'URGENT' }) });
  add(createTicket, 'an unknown policy', 400, 'VALIDATION_FAILED', { body: json({ title: 't', policy: 'sometimes' }) });
  add(createTicket, 'labels that are not strings', 400, 'VALIDATION_FAILED', { body: json({ title: 't', labels: [1, 2] }) });
  add(createTicket, '51 labels', 400, 'VALIDATION_FAILED', { body: json({ title: 't', labels: Array.from({ length: 51 }, (_, i) => `l${i}`) }) });
  add(createTicket, 'acceptance criteria as a string', 400, 'VALIDATION_FAILED', { body: json({ title: 't', acceptanceCriteria: 'works' }) });
  add(createTicket, 'a 256-character externalId', 400, 'VALIDATION_FAILED', { body: json({ title: 't', externalId: 'e'.repeat(256) }) });
  add(createTicket, 'a __proto__ field', 400, 'VALIDATION_FAILED', { body: raw('{"title":"t","__proto__":{"policy":"manual"}}') });
  add(createTicket, 'a text/plain body', 400, 'VALIDATION_FAILED', { body: raw('{"title":"t"}', 'text/plain') });
  add(createTicket, 'a body claiming gzip that is not gzip', 400, undefined, { body: raw('{"title":"t"}', 'application/json', 'gzip') });
  add(createTicket, 'an invalid Idempotency-Key', 400, 'VALIDATION_FAILED', {
    body: json({ title: 't', policy: 'manual' }),
    headers: { 'Idempotency-Key': 'has spaces in it' },
  });
  add(createTicket, 'a NUL character in the title', 400, 'VALIDATION_FAILED', { body: json({ title: NUL, policy: 'manual' }) });
  add(createTicket, 'a lone UTF-16 surrogate in the title', 400, 'VALIDATION_FAILED', { body: raw('{"title":"a\\ud800b","policy":"manual"}') });

  // GET /tickets
  const list = 'GET /tickets';
  for (const [name, query] of [
    ['an unknown phase', 'phase=PHASE_SOMEWHERE'],
    ['an unknown status', 'status=closed'],
    ['an unknown priority', 'priority=URGENT'],
    ['limit 0', 'limit=0'],
    ['limit 101', 'limit=101'],
    ['a non-numeric limit', 'limit=abc'],
    ['a fractional limit', 'limit=1.5'],
    ['an empty limit', 'limit='],
    ['a negative offset', 'offset=-1'],
    ['a non-numeric offset', 'offset=abc'],
    ['an unknown filter', 'colour=red'],
    ['a repeated limit', 'limit=1&limit=2'],
    ['a bracketed parameter', 'phase[]=PHASE_DESIGN'],
  ] as [string, string][]) {
    add(list, name, 400, 'VALIDATION_FAILED', { query });
  }

  // GET /escalations and GET /tickets/:id/escalations (issue 11).
  const escalationQueries: [string, string][] = [
    ['a since that is no date', 'since=yesterday'],
    ['a since without offset', 'since=2026-11-29T10:00:00'],
    ['limit 0', 'limit=0'],
    ['limit 501', 'limit=501'],
    ['a non-numeric limit', 'limit=abc'],
    ['an unknown parameter', 'phase=PHASE_DESIGN'],
    ['a repeated since', 'since=2026-11-29T10:00:00Z&since=2026-11-29T11:00:00Z'],
  ];
  for (const [name, query] of escalationQueries) {
    add('GET /escalations', name, 400, 'VALIDATION_FAILED', { query });
    add('GET /tickets/:id/escalations', name, 400, 'VALIDATION_FAILED', { query });
  }
  add('GET /escalations', 'a non-UUID ticket', 400, 'VALIDATION_FAILED', { query: 'ticket=not-a-uuid' });
  add('GET /escalations', 'a repeated ticket', 400, 'VALIDATION_FAILED', { query: `ticket=${randomUUID()}&ticket=${randomUUID()}` });
  add('GET /escalations', 'an unknown ticket', 404, 'TICKET_NOT_FOUND', { query: `ticket=${randomUUID()}` });
  add('GET /tickets/:id/escalations', 'a ticket parameter', 400, 'VALIDATION_FAILED', { query: `ticket=${randomUUID()}` });

  // Transitions (update and signal).
  for (const route of ['POST /tickets/:id/transition', 'POST /tickets/:id/signals/transition']) {
    add(route, 'an unknown phase', 400, 'VALIDATION_FAILED', { body: json({ toPhase: 'PHASE_SOMEWHERE' }) });
    add(route, 'a lower-case phase', 400, 'VALIDATION_FAILED', { body: json({ toPhase: 'phase_design' }) });
    add(route, 'a phase of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ toPhase: 3 }) });
    add(route, 'no toPhase', 400, 'VALIDATION_FAILED', { body: json({ reason: 'why not' }) });
    add(route, 'a reason of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ toPhase: Phase.REQUIREMENTS, reason: 5 }) });
    add(route, 'a 2001-character reason', 400, 'VALIDATION_FAILED', { body: json({ toPhase: Phase.REQUIREMENTS, reason: 'r'.repeat(2001) }) });
    add(route, 'an empty requestId', 400, 'VALIDATION_FAILED', { body: json({ toPhase: Phase.REQUIREMENTS, requestId: '' }) });
    add(route, 'a 256-character requestId', 400, 'VALIDATION_FAILED', { body: json({ toPhase: Phase.REQUIREMENTS, requestId: 'q'.repeat(256) }) });
    add(route, 'transitionedBy as an object', 400, 'VALIDATION_FAILED', { body: json({ toPhase: Phase.REQUIREMENTS, transitionedBy: {} }) });
    add(route, 'a NUL character in the reason', 400, 'VALIDATION_FAILED', { body: json({ toPhase: Phase.REQUIREMENTS, reason: NUL }), ownTicket: true });
    add(route, 'a NUL character in transitionedBy', 400, 'VALIDATION_FAILED', {
      body: json({ toPhase: Phase.REQUIREMENTS, transitionedBy: NUL }),
      ownTicket: true,
    });
  }

  // POST /tickets/:id/cancel
  const cancelTicket = 'POST /tickets/:id/cancel';
  add(cancelTicket, 'no reason', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(cancelTicket, 'a blank reason', 400, 'VALIDATION_FAILED', { body: json({ reason: '  ' }) });
  add(cancelTicket, 'a reason of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ reason: ['no'] }) });
  add(cancelTicket, 'requestedBy of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ reason: 'r', requestedBy: 7 }) });
  add(cancelTicket, 'a NUL character in the reason', 400, 'VALIDATION_FAILED', { body: json({ reason: NUL }), ownTicket: true });

  // PATCH /tickets/:id (issue 11)
  const patchTicket = 'PATCH /tickets/:id';
  add(patchTicket, 'no fields', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(patchTicket, 'only updatedBy', 400, 'VALIDATION_FAILED', { body: json({ updatedBy: 'alice' }) });
  add(patchTicket, 'acceptanceCriteria as a string', 400, 'VALIDATION_FAILED', { body: json({ acceptanceCriteria: 'it works' }) });
  add(patchTicket, 'a blank acceptance criterion', 400, 'VALIDATION_FAILED', { body: json({ acceptanceCriteria: ['  '] }) });
  add(patchTicket, 'an unknown priority', 400, 'VALIDATION_FAILED', { body: json({ priority: 'whenever' }) });
  add(patchTicket, 'a policy (not changeable)', 400, 'VALIDATION_FAILED', { body: json({ policy: 'manual' }) });
  add(patchTicket, 'a NUL character in the description', 400, 'VALIDATION_FAILED', { body: json({ description: NUL }), ownTicket: true });

  // Phase selectors: generate-tasks, validate-gate, update-context.
  for (const route of ['POST /tickets/:id/generate-tasks', 'POST /tickets/:id/validate-gate', 'POST /tickets/:id/update-context']) {
    add(route, 'an unknown phase', 400, 'VALIDATION_FAILED', { body: json({ phaseId: 'PHASE_SOMEWHERE' }) });
    add(route, 'phase_id of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ phase_id: 7 }) });
    add(route, 'a phase the ticket never entered', 409, 'PHASE_NOT_ENTERED', { body: json({ phaseId: Phase.TESTING }) });
  }

  // GET /tickets/:id/tasks
  add('GET /tickets/:id/tasks', 'an unknown phase_id', 400, 'VALIDATION_FAILED', { query: 'phase_id=PHASE_SOMEWHERE' });
  add('GET /tickets/:id/tasks', 'an unknown phaseId', 400, 'VALIDATION_FAILED', { query: 'phaseId=design' });
  add('GET /tickets/:id/tasks', 'an unknown parameter', 400, 'VALIDATION_FAILED', { query: 'status=pending' });

  // Agent callbacks.
  for (const route of ['POST /tasks/:id/complete', 'POST /tasks/:id/fail']) {
    const valid = BODY_ROUTES.find(([r]) => r === route)![1];
    for (const [name, query] of [
      ['attempt 0', 'attempt=0'],
      ['a negative attempt', 'attempt=-1'],
      ['a non-numeric attempt', 'attempt=abc'],
      ['a fractional attempt', 'attempt=1.5'],
      ['an unknown parameter', 'token=abc'],
    ] as [string, string][]) {
      add(route, name, 400, 'VALIDATION_FAILED', { query, body: json(valid) });
    }
    add(route, 'a callback for a task not handed to an http agent', 409, 'TASK_NOT_AWAITING_CALLBACK', { body: json(valid), query: 'attempt=1' });
  }
  const complete = 'POST /tasks/:id/complete';
  add(complete, 'status "failed"', 400, 'VALIDATION_FAILED', { body: json({ status: 'failed', output: {} }) });
  add(complete, 'output as a string', 400, 'VALIDATION_FAILED', { body: json({ output: 'done' }) });
  add(complete, 'output as an array', 400, 'VALIDATION_FAILED', { body: json({ output: [] }) });
  add(complete, 'artifacts as a string', 400, 'VALIDATION_FAILED', { body: json({ artifacts: 'a' }) });
  add(complete, 'an artifact with a bad type', 400, 'VALIDATION_FAILED', { body: json({ artifacts: [{ type: 'Not A Type', content: 'x' }] }) });
  add(complete, '101 artifacts', 400, 'VALIDATION_FAILED', { body: json({ artifacts: Array.from({ length: 101 }, () => ({ type: 'note', content: 'x' })) }) });
  const fail = 'POST /tasks/:id/fail';
  add(fail, 'no error', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(fail, 'a blank error', 400, 'VALIDATION_FAILED', { body: json({ error: ' ' }) });
  add(fail, 'retryable as a string', 400, 'VALIDATION_FAILED', { body: json({ error: 'e', retryable: 'yes' }) });
  add(fail, 'a 10001-character error', 400, 'VALIDATION_FAILED', { body: json({ error: 'e'.repeat(10_001) }) });

  // POST /tasks/:id/cancel
  add('POST /tasks/:id/cancel', 'a reason of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ reason: 5 }) });
  add('POST /tasks/:id/cancel', 'a blank reason', 400, 'VALIDATION_FAILED', { body: json({ reason: '' }) });

  // Task dependencies.
  const deps = 'POST /tasks/:id/dependencies';
  add(deps, 'no dependsOn', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(deps, 'an empty dependsOn', 400, 'VALIDATION_FAILED', { body: json({ dependsOn: [] }) });
  add(deps, 'dependsOn that are not UUIDs', 400, 'VALIDATION_FAILED', { body: json({ dependsOn: ['analyze_requirements'] }) });
  add(deps, 'dependsOn as a string', 400, 'VALIDATION_FAILED', { body: json({ dependsOn: randomUUID() }) });
  add(deps, '51 dependsOn', 400, 'VALIDATION_FAILED', { body: json({ dependsOn: Array.from({ length: 51 }, () => randomUUID()) }) });
  add(deps, 'a task that is not in the run', 422, 'INVALID_DEPENDENCY', { body: json({ dependsOn: [randomUUID()] }) });
  add(deps, 'the task itself', 422, 'DEPENDENCY_CYCLE', { body: json({ dependsOn: ['<task>'] }) });

  // Task templates.
  add('GET /task-templates', 'an unknown phase_id', 400, 'VALIDATION_FAILED', { query: 'phase_id=PHASE_SOMEWHERE' });
  add('GET /task-templates', 'include_inactive=yes', 400, 'VALIDATION_FAILED', { query: 'include_inactive=yes' });
  add('GET /task-templates', 'include_inactive=1', 400, 'VALIDATION_FAILED', { query: 'include_inactive=1' });
  add('GET /task-templates', 'an unknown parameter', 400, 'VALIDATION_FAILED', { query: 'active=true' });
  const createTemplate = 'POST /task-templates';
  const template = { phaseId: Phase.DESIGN, taskType: 'review_design', templateDescription: 'Review {ticket_title}' };
  add(createTemplate, 'no fields', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(createTemplate, 'no templateDescription', 400, 'VALIDATION_FAILED', { body: json({ phaseId: Phase.DESIGN, taskType: 'review_design' }) });
  add(createTemplate, 'an unknown phase', 400, 'VALIDATION_FAILED', { body: json({ ...template, phaseId: 'PHASE_SOMEWHERE' }) });
  add(createTemplate, 'a task type with capitals and spaces', 400, 'VALIDATION_FAILED', { body: json({ ...template, taskType: 'Review Design' }) });
  add(createTemplate, 'a task type starting with a digit', 400, 'VALIDATION_FAILED', { body: json({ ...template, taskType: '9lives' }) });
  add(createTemplate, 'an unknown priority', 400, 'VALIDATION_FAILED', { body: json({ ...template, defaultPriority: 'URGENT' }) });
  add(createTemplate, 'capabilities as a string', 400, 'VALIDATION_FAILED', { body: json({ ...template, requiredCapabilities: 'design' }) });
  add(createTemplate, '21 capabilities', 400, 'VALIDATION_FAILED', {
    body: json({ ...template, requiredCapabilities: Array.from({ length: 21 }, (_, i) => `c${i}`) }),
  });
  add(createTemplate, 'dependencies that are not task types', 400, 'VALIDATION_FAILED', { body: json({ ...template, dependenciesTemplate: ['Not A Type'] }) });
  add(createTemplate, 'a template for a phase and type that exists', 409, 'TEMPLATE_EXISTS', {
    body: json({ phaseId: Phase.REQUIREMENTS, taskType: 'analyze_requirements', templateDescription: 'again' }),
  });
  add(createTemplate, 'a template depending on itself', 422, 'DEPENDENCY_CYCLE', {
    body: json({ ...template, taskType: 'loop_task', dependenciesTemplate: ['loop_task'] }),
  });
  add(createTemplate, 'a NUL character in the description', 400, 'VALIDATION_FAILED', { body: json({ ...template, templateDescription: NUL }) });
  const patchTemplate = 'PATCH /task-templates/:id';
  add(patchTemplate, 'no fields', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(patchTemplate, 'isActive as a string', 400, 'VALIDATION_FAILED', { body: json({ isActive: 'true' }) });
  add(patchTemplate, 'a phase (not changeable)', 400, 'VALIDATION_FAILED', { body: json({ phaseId: Phase.DESIGN }) });
  add(patchTemplate, 'an unknown priority', 400, 'VALIDATION_FAILED', { body: json({ defaultPriority: 'whenever' }) });
  add(patchTemplate, 'a blank description', 400, 'VALIDATION_FAILED', { body: json({ templateDescription: '' }) });

  // Artifacts.
  const artifacts = 'POST /tickets/:id/artifacts';
  const artifact = { artifactType: 'review_note', content: 'looks fine' };
  add(artifacts, 'no content', 400, 'VALIDATION_FAILED', { body: json({ artifactType: 'review_note' }) });
  add(artifacts, 'null content', 400, 'VALIDATION_FAILED', { body: json({ artifactType: 'review_note', content: null }) });
  add(artifacts, 'a bad artifact type', 400, 'VALIDATION_FAILED', { body: json({ ...artifact, artifactType: 'Review Note' }) });
  add(artifacts, 'an artifact type of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ ...artifact, artifactType: ['review_note'] }) });
  add(artifacts, 'a 1001-character path', 400, 'VALIDATION_FAILED', { body: json({ ...artifact, artifactPath: 'p'.repeat(1001) }) });
  add(artifacts, 'a blank collectedBy', 400, 'VALIDATION_FAILED', { body: json({ ...artifact, collectedBy: ' ' }) });
  add(artifacts, 'an unknown phase', 400, 'VALIDATION_FAILED', { body: json({ ...artifact, phaseId: 'PHASE_SOMEWHERE' }) });
  add(artifacts, 'a phase the ticket never entered', 409, 'PHASE_NOT_ENTERED', { body: json({ ...artifact, phaseId: Phase.TESTING }) });
  add(artifacts, 'a NUL character in the content', 400, 'VALIDATION_FAILED', { body: json({ ...artifact, content: { text: NUL } }) });
  add(artifacts, 'a NUL character in the path', 400, 'VALIDATION_FAILED', { body: json({ ...artifact, artifactPath: NUL }) });
  const depth = 20_000;
  add(artifacts, `content nested ${depth} levels deep`, 400, undefined, {
    body: raw(`{"artifactType":"deep_note","content":${'['.repeat(depth)}1${']'.repeat(depth)}}`),
  });

  // Context summary.
  const summary = 'GET /tickets/:id/context-summary';
  for (const [name, query] of [
    ['max_tokens 0', 'max_tokens=0'],
    ['max_tokens 8001', 'max_tokens=8001'],
    ['a non-numeric max_tokens', 'max_tokens=many'],
    ['an unknown phase_id', 'phase_id=PHASE_SOMEWHERE'],
    ['an unknown parameter', 'tokens=10'],
  ] as [string, string][]) {
    add(summary, name, 400, 'VALIDATION_FAILED', { query });
  }

  // Agent registry.
  const register = 'POST /agents';
  const agent = { name: 'bad-input-agent-2', capabilities: ['analysis'] };
  add(register, 'no fields', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(register, 'a name with spaces and punctuation', 400, 'VALIDATION_FAILED', { body: json({ ...agent, name: 'bad name!' }) });
  add(register, 'no capabilities', 400, 'VALIDATION_FAILED', { body: json({ ...agent, capabilities: [] }) });
  add(register, 'capabilities as a string', 400, 'VALIDATION_FAILED', { body: json({ ...agent, capabilities: 'analysis' }) });
  add(register, 'capacity 0', 400, 'VALIDATION_FAILED', { body: json({ ...agent, capacity: 0 }) });
  add(register, 'a fractional capacity', 400, 'VALIDATION_FAILED', { body: json({ ...agent, capacity: 1.5 }) });
  add(register, 'capacity 1001', 400, 'VALIDATION_FAILED', { body: json({ ...agent, capacity: 1001 }) });
  add(register, 'a timeout under a second', 400, 'VALIDATION_FAILED', { body: json({ ...agent, timeoutMs: 999 }) });
  add(register, 'a heartbeat timeout of the wrong type', 400, 'VALIDATION_FAILED', { body: json({ ...agent, heartbeatTimeoutMs: '3000' }) });
  add(register, '51 tags', 400, 'VALIDATION_FAILED', { body: json({ ...agent, tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }) });
  add(register, 'a NUL character in a capability', 400, 'VALIDATION_FAILED', { body: json({ ...agent, capabilities: [NUL] }) });
  const search = 'GET /agents/search';
  for (const [name, query] of [
    ['no capabilities', ''],
    ['empty capabilities', 'capabilities='],
    ['only commas', 'capabilities=,,,'],
    ['a repeated capabilities parameter', 'capabilities=analysis&capabilities=design'],
    ['an unknown parameter', 'capabilities=analysis&healthy=true'],
  ] as [string, string][]) {
    add(search, name, 400, 'VALIDATION_FAILED', { query });
  }
  add('GET /agents', 'a malformed JSON body', 400, 'INVALID_JSON', { body: raw('{"a":') });
  const patchAgent = 'PATCH /agents/:id';
  add(patchAgent, 'no fields', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(patchAgent, 'capacity 0', 400, 'VALIDATION_FAILED', { body: json({ capacity: 0 }) });
  add(patchAgent, 'enabled as a string', 400, 'VALIDATION_FAILED', { body: json({ enabled: 'yes' }) });
  add(patchAgent, 'a name (not changeable)', 400, 'VALIDATION_FAILED', { body: json({ name: 'renamed' }) });
  add(patchAgent, 'a task queue (not changeable)', 400, 'VALIDATION_FAILED', { body: json({ taskQueue: 'elsewhere' }) });

  // Repositories.
  const createRepository = 'POST /repositories';
  const reportAt = (reportPath: string) => ({ ...REPOSITORY_SPEC.test, report: { format: 'jest-json', path: reportPath } });
  add(createRepository, 'no fields', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(createRepository, 'an upper-case name', 400, 'VALIDATION_FAILED', { body: json({ ...REPOSITORY_SPEC, name: 'App' }) });
  add(createRepository, 'a 101-character name', 400, 'VALIDATION_FAILED', { body: json({ ...REPOSITORY_SPEC, name: 'a'.repeat(101) }) });
  add(createRepository, 'a url git would read as an option', 400, 'VALIDATION_FAILED', { body: json({ ...REPOSITORY_SPEC, url: '--upload-pack=x' }) });
  add(createRepository, 'a default branch git refuses', 400, 'VALIDATION_FAILED', { body: json({ ...REPOSITORY_SPEC, defaultBranch: 'a..b' }) });
  add(createRepository, 'an absolute report path', 400, 'VALIDATION_FAILED', { body: json({ ...REPOSITORY_SPEC, test: reportAt('/etc/passwd') }) });
  add(createRepository, 'a report path leaving the tree', 400, 'VALIDATION_FAILED', { body: json({ ...REPOSITORY_SPEC, test: reportAt('../r.json') }) });
  add(createRepository, 'test args as a shell string', 400, 'VALIDATION_FAILED', {
    body: json({ ...REPOSITORY_SPEC, test: { ...REPOSITORY_SPEC.test, args: 'test; rm -rf /' } }),
  });
  add(createRepository, 'an unknown integration', 400, 'VALIDATION_FAILED', { body: json({ ...REPOSITORY_SPEC, integration: 'squash' }) });
  add(createRepository, 'a NUL character in the command', 400, 'VALIDATION_FAILED', {
    body: json({ ...REPOSITORY_SPEC, test: { ...REPOSITORY_SPEC.test, command: NUL } }),
  });
  add(createRepository, 'a name that is taken', 409, 'REPOSITORY_EXISTS', { body: json({ ...REPOSITORY_SPEC, name: REPOSITORY }) });
  add('GET /repositories', 'a malformed JSON body', 400, 'INVALID_JSON', { body: raw('{"a":') });
  for (const route of ['GET /repositories/:name', 'PATCH /repositories/:name']) {
    const body = route.startsWith('PATCH') ? json({ keepBranches: false }) : undefined;
    for (const [name, id] of [
      ['an unknown name', 'nope'],
      ['an SQL-injection name', "x' OR '1'='1"],
      ['a 2000-character name', 'x'.repeat(2000)],
    ] as [string, string][]) {
      add(route, name, 404, 'REPOSITORY_NOT_FOUND', { id, body });
    }
    add(route, 'a lone percent sign as name', 400, undefined, { id: '%', body });
  }
  const patchRepository = 'PATCH /repositories/:name';
  add(patchRepository, 'no fields', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(patchRepository, 'a name (not changeable)', 400, 'VALIDATION_FAILED', { body: json({ name: 'renamed' }) });
  add(patchRepository, 'keepBranches as a string', 400, 'VALIDATION_FAILED', { body: json({ keepBranches: 'no' }) });
  add(patchRepository, 'a null test command', 400, 'VALIDATION_FAILED', { body: json({ test: null }) });
  add(createTicket, 'an unknown repository', 422, 'UNKNOWN_REPOSITORY', { body: json({ title: 't', policy: 'manual', repository: 'nowhere' }) });
  add(createTicket, 'a repository that is not a name', 400, 'VALIDATION_FAILED', { body: json({ title: 't', repository: '../x' }) });
  add(createTicket, 'a source URL that is not a URL', 400, 'VALIDATION_FAILED', { body: json({ title: 't', sourceUrl: 'see the tracker' }) });

  // Prompt templates (`:taskType` defaults to a task type with no template of its own).
  const taskTypeRoutes = [
    'GET /prompt-templates/:taskType',
    'PUT /prompt-templates/:taskType',
    'DELETE /prompt-templates/:taskType',
    'POST /prompt-templates/:taskType/preview',
  ];
  for (const route of taskTypeRoutes) {
    const body = BODY_ROUTES.find(([r]) => r === route)?.[1];
    for (const [name, id] of [
      ['a task type with capitals', 'Bad-Type'],
      ['a task type starting with a digit', '9lives'],
      ['a 2000-character task type', 'x'.repeat(2000)],
      ['an SQL-injection task type', "x' OR '1'='1"],
    ] as [string, string][]) {
      add(route, name, 400, 'VALIDATION_FAILED', { id, body: body === undefined ? undefined : json(body) });
    }
    add(route, 'a lone percent sign as task type', 400, undefined, { id: '%', body: body === undefined ? undefined : json(body) });
  }
  add('GET /prompt-templates', 'a malformed JSON body', 400, 'INVALID_JSON', { body: raw('{"a":') });
  const putPrompt = 'PUT /prompt-templates/:taskType';
  add(putPrompt, 'no template', 400, 'VALIDATION_FAILED', { body: json({}) });
  add(putPrompt, 'a template that is no string', 400, 'VALIDATION_FAILED', { body: json({ template: ['a'] }) });
  add(putPrompt, 'a blank template', 400, 'VALIDATION_FAILED', { body: json({ template: ' ' }) });
  add(putPrompt, 'a template over 50 000 characters', 400, 'VALIDATION_FAILED', { body: json({ template: 'x'.repeat(50_001) }) });
  add(putPrompt, 'a NUL character in the template', 400, 'VALIDATION_FAILED', { body: json({ template: NUL }) });
  add(putPrompt, 'a template with an unclosed section', 422, 'INVALID_PROMPT_TEMPLATE', { body: json({ template: '{{#ticket}}' }) });
  add(putPrompt, 'a template with an unclosed tag', 422, 'INVALID_PROMPT_TEMPLATE', { body: json({ template: '{{ticket.key' }) });
  add('DELETE /prompt-templates/:taskType', 'a task type without a template of its own', 404, 'PROMPT_TEMPLATE_NOT_FOUND');
  const preview = 'POST /prompt-templates/:taskType/preview';
  add(preview, 'no body', 400, 'VALIDATION_FAILED');
  add(preview, 'a task ID that is no UUID', 400, 'VALIDATION_FAILED', { body: json({ taskId: "1' OR '1'='1" }) });
  add(preview, 'an unknown task', 404, 'TASK_NOT_FOUND', { body: json({ taskId: randomUUID() }) });
  add(preview, 'an unsaved template that does not parse', 422, 'INVALID_PROMPT_TEMPLATE', { body: json({ taskId: '<task>', template: '{{/task}}' }) });

  // Health endpoints take no input; what they are sent is still parsed first.
  add('GET /healthz', 'a malformed JSON body', 400, 'INVALID_JSON', { body: raw('{"a":') });
  add('GET /readyz', 'a body over 256 KiB', 413, 'PAYLOAD_TOO_LARGE', { body: json({ padding: 'x'.repeat(300 * KIB) }) });

  // Routes and methods that do not exist.
  add('POST /healthz', 'a method the route does not have', 404, 'ROUTE_NOT_FOUND');
  add('DELETE /tickets/:id', 'a method the route does not have', 404, 'ROUTE_NOT_FOUND');
  add('PUT /tickets/:id/transition', 'a method the route does not have', 404, 'ROUTE_NOT_FOUND', { body: json({ toPhase: Phase.REQUIREMENTS }) });
  add('GET /nothing-here', 'an unknown route', 404, 'ROUTE_NOT_FOUND');
  return all;
}

const CASES = cases();
/** Every table of the schema but Prisma's own bookkeeping (so a table added later is watched too). */
let tables: string[] = [];

/** Row count and a digest of the whole content of each table. */
async function snapshot(): Promise<Record<string, string>> {
  const sql = tables
    .map(
      (table) => `SELECT '${table}' AS name, count(*)::int AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${table}" t`,
    )
    .join(' UNION ALL ');
  const rows = await stack.db.prisma.$queryRawUnsafe<{ name: string; rows: number; digest: string }[]>(sql);
  return Object.fromEntries(rows.map(({ name, rows: count, digest }) => [name, `${count} rows, ${digest}`]));
}

const historyLength = async (workflowId: string) => ((await stack.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).length;

/** Creates a quiet ticket through the API and waits until its BACKLOG run is complete. */
async function quietTicket(title: string): Promise<{ id: string; workflowId: string }> {
  const created = await request(app).post('/api/v1/tickets').send({ title, policy: 'manual' });
  expect(created.status).toBe(201);
  const ticket = created.body as { id: string; workflowId: string };
  await poll(
    () => stack.env.client.workflow.getHandle(ticket.workflowId).query<{ run: { step: string } }>('getState'),
    (state) => state.run.step === 'complete',
    `the BACKLOG run of ticket ${ticket.id} to complete`,
  );
  return ticket;
}

function url(testCase: Case, ticketId: string): string {
  const [, route] = testCase.route.split(' ') as [string, string];
  const resource = resourceOf(testCase.route);
  const id = testCase.id ?? (resource?.kind === 'ticket' ? ticketId : resource ? ids[resource.kind] : '');
  const prefix = route === '/healthz' || route === '/readyz' ? '' : '/api/v1';
  const target = route
    .replace(':id', id)
    .replace(':name', testCase.id ?? REPOSITORY)
    .replace(':taskType', testCase.id ?? 'nothing_here');
  return `${prefix}${target}${testCase.query ? `?${testCase.query}` : ''}`;
}

/** Sends the case; a missing answer within 15 s is reported as status 0. */
async function send(testCase: Case, ticketId: string): Promise<{ status: number; body: unknown; text: string }> {
  const method = testCase.route.split(' ')[0]!.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  let call = request(app)[method](url(testCase, ticketId)).timeout({ response: 15_000, deadline: 20_000 });
  for (const [name, value] of Object.entries(testCase.headers ?? {})) call = call.set(name, value);
  const body = testCase.body;
  if (body && 'json' in body) {
    call = call.send(JSON.parse(JSON.stringify(body.json).replaceAll('"<task>"', JSON.stringify(ids.task))) as object);
  } else if (body) {
    call = call.set('content-type', body.type);
    if (body.encoding) call = call.set('content-encoding', body.encoding);
    call = call.send(body.raw as string);
  }
  try {
    const response = await call;
    return { status: response.status, body: response.body, text: response.text };
  } catch (error) {
    return { status: 0, body: undefined, text: `no answer: ${(error as Error).message}` };
  }
}

beforeAll(async () => {
  tables = (
    await stack.db.prisma.$queryRaw<
      { name: string }[]
    >`SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY 1`
  ).map(({ name }) => name);
  expect(tables).toEqual(
    expect.arrayContaining(['tickets', 'tasks', 'task_templates', 'phase_gate_artifacts', 'phase_gate_results', 'phase_context', 'phase_history']),
  );
  await stack.db.prisma.taskTemplate.updateMany({ data: { isActive: false } });
  app = stackApp(stack, STATE_MACHINE_ONLY);
  const ticket = await quietTicket('Target of bad input');
  ids.ticket = ticket.id;
  // A real template and a real (pending) task: a BACKLOG template, its task generated for the quiet BACKLOG run, then disabled.
  const template = await request(app)
    .post('/api/v1/task-templates')
    .send({ phaseId: Phase.BACKLOG, taskType: 'triage_ticket', templateDescription: 'Triage {ticket_title}', requiredCapabilities: ['analysis'] });
  expect(template.status).toBe(201);
  ids.template = template.body.id;
  const generated = await request(app).post(`/api/v1/tickets/${ticket.id}/generate-tasks`).send({ phaseId: Phase.BACKLOG });
  expect(generated.status).toBe(200);
  expect(generated.body.items).toHaveLength(1);
  ids.task = generated.body.items[0].id;
  expect((await request(app).post(`/api/v1/task-templates/${ids.template}/disable`)).status).toBe(200);
  // A registered agent on a queue nobody polls (no task runs here, so it is never asked for work).
  const agent = await request(app)
    .post('/api/v1/agents')
    .send({ name: 'bad-input-agent', capabilities: ['bad-input'], taskQueue: `nobody-polls-${randomUUID()}` });
  expect(agent.status).toBe(201);
  ids.agent = agent.body.id;
  const repository = await request(app)
    .post('/api/v1/repositories')
    .send({ ...REPOSITORY_SPEC, name: REPOSITORY });
  expect(repository.status).toBe(201);
});

describe('bad input on every endpoint', () => {
  it('has cases for every route declared in the route files', () => {
    const covered = new Set(CASES.map((c) => c.route));
    expect(declaredRoutes().filter((route) => !covered.has(route))).toEqual([]);
  });

  it.each(CASES.map((c) => [`${c.route} with ${c.name} → ${c.status}${c.code ? ` ${c.code}` : ''}`, c] as const))('%s', async (_title, testCase) => {
    const own = testCase.ownTicket ? await quietTicket(`Own ticket: ${testCase.name}`) : undefined;
    const ticketId = own?.id ?? ids.ticket;
    const workflowId = own?.workflowId ?? `ticket-${ids.ticket}`;
    const [rowsBefore, eventsBefore] = await Promise.all([snapshot(), historyLength(workflowId)]);
    try {
      const answer = await send(testCase, ticketId);
      expect({ status: answer.status, body: answer.body ?? answer.text }).toEqual({
        status: testCase.status,
        body: { error: { code: testCase.code ?? expect.any(String), message: expect.any(String), details: expect.any(Object) } },
      });
      expect(await snapshot()).toEqual(rowsBefore);
      expect(await historyLength(workflowId)).toBe(eventsBefore);
    } finally {
      // A poisoned ticket must not keep its workflow retrying after the case.
      if (own)
        await stack.env.client.workflow
          .getHandle(own.workflowId)
          .terminate('bad-input case done')
          .catch(() => undefined);
    }
  });

  it('left the target ticket untouched', async () => {
    const state = await stack.env.client.workflow
      .getHandle(`ticket-${ids.ticket}`)
      .query<{ phase: string; transitionCount: number; rejectedCount: number }>('getState');
    expect(state).toMatchObject({ phase: Phase.BACKLOG, transitionCount: 0, rejectedCount: 0 });
    const row = await stack.db.prisma.ticket.findUniqueOrThrow({ where: { id: ids.ticket } });
    expect(row).toMatchObject({ phaseId: Phase.BACKLOG, status: 'open', version: 0 });
    const task = await stack.db.prisma.task.findUniqueOrThrow({ where: { id: ids.task } });
    expect(task).toMatchObject({ status: 'pending', attempts: 0, dependencies: [], result: null });
  });
});
