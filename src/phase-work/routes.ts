/**
 * Phase-work endpoints under /api/v1 (seed 001/002: Stream F task generation and templates,
 * Stream G gates and artifacts, Stream H context; plus the http agents' callbacks). Every handler
 * validates with zod first, so bad input is a 400 and nothing is written. Errors use the API's
 * one body (see src/api/errors.ts).
 */
import { Router } from 'express';
import type { PhaseWorkClient } from './client';
import type { TaskClient } from './task-client';
import type { TemplateStore } from './template-store';
import {
  artifactBody,
  cancelTaskBody,
  dependenciesBody,
  callbackQuery,
  completeTaskBody,
  contextSummaryQuery,
  createTemplateBody,
  failTaskBody,
  phaseBody,
  phaseQuery,
  templatesQuery,
  updateTemplateBody,
} from './schemas';

/** What the phase-work router calls: the runs' client, the tasks' client and the template store. */
export interface PhaseWorkServices {
  work: PhaseWorkClient;
  tasks: TaskClient;
  templates: TemplateStore;
}

/** Builds the phase-work router around its {@link PhaseWorkServices}. */
export function phaseWorkRouter({ work, tasks, templates }: PhaseWorkServices): Router {
  const router = Router();

  /**
   * POST /tickets/:id/generate-tasks — body `{ phaseId? }` (default: the current phase run).
   * Generates the run's tasks from the active templates; idempotent. 200 `{ items: Task[] }`;
   * 404 TICKET_NOT_FOUND; 409 PHASE_NOT_ENTERED; 400.
   */
  router.post('/tickets/:id/generate-tasks', async (req, res) => {
    res.json({ items: await work.generateTasks(req.params.id, phaseBody.parse(req.body)) });
  });

  /** GET /tickets/:id/tasks?phase_id= — all tasks, or the latest run of one phase. 200 `{ items }`; 404; 400. */
  router.get('/tickets/:id/tasks', async (req, res) => {
    res.json({ items: await work.tasks(req.params.id, phaseQuery.parse(req.query)) });
  });

  /**
   * GET /tasks/:id — one task (never its Temporal task token), plus `usage` (its executions'
   * tokens, cost in USD, turns and duration in ms, summed) and `executions` (one per attempt that
   * ended, oldest first): issue 10. 200; 404 TASK_NOT_FOUND.
   */
  router.get('/tasks/:id', async (req, res) => {
    res.json(await tasks.detail(req.params.id));
  });

  /**
   * POST /tasks/:id/complete?attempt= — an http agent's result `{ output?, artifacts?, usage? }`
   * (`usage`: `{ inputTokens, outputTokens, cachedTokens?, costUsd?, turns?, sessionId? }`, recorded
   * as the attempt's execution, issue 10). The first callback for the running attempt completes the
   * task; 200 with the task. A repeated or late one: 409 TASK_NOT_AWAITING_CALLBACK (nothing
   * changes, nothing is recorded). 404 TASK_NOT_FOUND; 400.
   */
  router.post('/tasks/:id/complete', async (req, res) => {
    const { attempt } = callbackQuery.parse(req.query);
    const { output, artifacts, usage } = completeTaskBody.parse(req.body);
    res.json(await tasks.completeTask(req.params.id, attempt, { output, artifacts }, usage));
  });

  /**
   * POST /tasks/:id/fail?attempt= — an http agent's failure `{ error, retryable?, usage? }`
   * (retryable by default; `usage` as for /complete). 200 with the task; 409
   * TASK_NOT_AWAITING_CALLBACK; 404; 400.
   */
  router.post('/tasks/:id/fail', async (req, res) => {
    const { attempt } = callbackQuery.parse(req.query);
    const { error, retryable, usage } = failTaskBody.parse(req.body);
    res.json(await tasks.failTask(req.params.id, attempt, error, retryable, usage));
  });

  /**
   * POST /tasks/:id/cancel — body `{ reason? }`. Stops the task's agent; the phase run fails with
   * the reason and the ticket is blocked until a transition resumes it. 202 with the task as it
   * was; 409 TASK_NOT_CANCELLABLE; 404; 400.
   */
  router.post('/tasks/:id/cancel', async (req, res) => {
    const { reason } = cancelTaskBody.parse(req.body);
    res.status(202).json(await tasks.cancelTask(req.params.id, reason ?? 'cancelled through the API'));
  });

  /**
   * GET /tasks/:id/dependencies — `{ task, dependsOn, blockedBy, blocks }`: what it waits for,
   * which of those are not completed, and what waits for it. 200; 404 TASK_NOT_FOUND.
   */
  router.get('/tasks/:id/dependencies', async (req, res) => {
    res.json(await tasks.dependencies(req.params.id));
  });

  /**
   * POST /tasks/:id/dependencies — body `{ dependsOn: [taskId, ...] }` (tasks of the same phase
   * run). 200 with the dependencies as GET returns them; 409 TASK_NOT_PENDING; 422
   * INVALID_DEPENDENCY; 422 DEPENDENCY_CYCLE with `details.cycle` (the path); 404; 400.
   */
  router.post('/tasks/:id/dependencies', async (req, res) => {
    res.json(await tasks.addDependencies(req.params.id, dependenciesBody.parse(req.body).dependsOn));
  });

  /** GET /task-templates?phase_id=&include_inactive= — 200 `{ items: TaskTemplate[] }`; 400. */
  router.get('/task-templates', async (req, res) => {
    const { phase, includeInactive } = templatesQuery.parse(req.query);
    res.json({ items: await templates.list(phase, includeInactive) });
  });

  /**
   * POST /task-templates — body `{ phaseId, taskType, templateDescription, defaultPriority?,
   * requiredCapabilities?, dependenciesTemplate?, resources?, timeoutSeconds? }`. 201 with the template; 409 TEMPLATE_EXISTS;
   * 422 DEPENDENCY_CYCLE (details.cycle: the task types around it); 400.
   */
  router.post('/task-templates', async (req, res) => {
    res.status(201).json(await templates.create(createTemplateBody.parse(req.body)));
  });

  /** PATCH /task-templates/:id — any of description, priority, capabilities, dependencies, isActive. 200; 404 TEMPLATE_NOT_FOUND; 422 DEPENDENCY_CYCLE; 400. */
  router.patch('/task-templates/:id', async (req, res) => {
    res.json(await templates.update(req.params.id, updateTemplateBody.parse(req.body)));
  });

  /** POST /task-templates/:id/disable — no new tasks come from it (existing ones stay). 200; 404. */
  router.post('/task-templates/:id/disable', async (req, res) => {
    res.json(await templates.update(req.params.id, { isActive: false }));
  });

  /**
   * POST /tickets/:id/validate-gate — body `{ phaseId? }`. Collects the run's artifacts and
   * validates its gate now (validator `api`), persisting the result. 200 `{ status, requirementsMet,
   * missingArtifacts, blockingReasons, validation, attempt, phase, entry }`; 404; 409 PHASE_NOT_ENTERED; 400.
   */
  router.post('/tickets/:id/validate-gate', async (req, res) => {
    res.json(await work.validateGate(req.params.id, phaseBody.parse(req.body)));
  });

  /**
   * GET /tickets/:id/gate-status — the current run's gate: `{ phaseId, entry, gate: { status,
   * blockingReasons }, step, blocked, requirements, validationAgent, results, artifacts }`. 200; 404.
   */
  router.get('/tickets/:id/gate-status', async (req, res) => {
    res.json(await work.gateStatus(req.params.id));
  });

  /** GET /tickets/:id/gate-results — every gate validation of the ticket, oldest first. 200 `{ items: PhaseGateResult[] }`; 404. */
  router.get('/tickets/:id/gate-results', async (req, res) => {
    res.json({ items: await work.gateResults(req.params.id) });
  });

  /**
   * POST /tickets/:id/artifacts — body `{ artifactType, artifactPath?, content, collectedBy?, phaseId? }`
   * (default: the current run, or the run the ticket is blocked in). Stored de-duplicated by type
   * and path; a ticket blocked by that gate re-validates it. 201 with the artifact; 404; 409; 400.
   */
  router.post('/tickets/:id/artifacts', async (req, res) => {
    const { phase, artifact } = artifactBody.parse(req.body);
    res.status(201).json(await work.addArtifact(req.params.id, phase, artifact));
  });

  /** GET /tickets/:id/context — `{ context, contextSummary, phases: PhaseContext[] }`. 200; 404. */
  router.get('/tickets/:id/context', async (req, res) => {
    res.json(await work.context(req.params.id));
  });

  /**
   * GET /tickets/:id/context-summary?phase_id=&max_tokens= — what `phase_id` (default: the next
   * phase) may see, summarized within max_tokens (default 2000) cl100k_base tokens.
   * 200 `{ phaseId, summary, tokens, maxTokens }`; 404; 400.
   */
  router.get('/tickets/:id/context-summary', async (req, res) => {
    const { phase, maxTokens } = contextSummaryQuery.parse(req.query);
    res.json(await work.contextSummary(req.params.id, phase, maxTokens));
  });

  /**
   * POST /tickets/:id/update-context — body `{ phaseId? }`. Re-aggregates the run's context from
   * its completed tasks. 200 `{ key, summary, summaryTokens, phaseId, entry }`; 404; 409; 400.
   */
  router.post('/tickets/:id/update-context', async (req, res) => {
    res.json(await work.updateContext(req.params.id, phaseBody.parse(req.body)));
  });

  return router;
}
