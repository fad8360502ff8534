/**
 * Prompt-template endpoints under /api/v1 (issue 10, "Backends": the prompt templates are "stored
 * like task templates, editable through the API"): list, get (the inherited default when a task
 * type has none), put, remove, and a preview of the prompt a task would get. Validated with zod
 * first, so bad input is a 400 and nothing is written; errors use the API's one body.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '@prisma/client';
import { text } from '../api/schemas';
import type { GatePolicy } from '../phase-work/gate-policy';
import { taskType } from '../phase-work/schemas';
import { previewPrompt } from './prompt';
import { MAX_PROMPT_TEMPLATE_CHARS, PromptTemplateStore, checkPromptTemplate } from './prompt-templates';

/** Body of PUT /prompt-templates/:taskType: `{ template }` (Mustache, 1–50 000 characters, trimmed). */
export const putPromptTemplateBody = z.strictObject({ template: text(MAX_PROMPT_TEMPLATE_CHARS) });

/** Body of POST /prompt-templates/:taskType/preview: `{ taskId, template? }` (an unsaved template to try). */
export const previewPromptBody = z.strictObject({ taskId: z.uuid(), template: text(MAX_PROMPT_TEMPLATE_CHARS).optional() });

/** Builds the prompt-templates router on `prisma`; previews name the gate files of `policy`. */
export function promptTemplatesRouter(prisma: PrismaClient, policy: GatePolicy): Router {
  const router = Router();
  const store = new PromptTemplateStore(prisma);

  /** GET /prompt-templates — every stored template, by task type. 200 `{ items: [{ taskType, template, createdAt, updatedAt }] }`. */
  router.get('/prompt-templates', async (_req, res) => {
    res.json({ items: await store.list() });
  });

  /**
   * GET /prompt-templates/:taskType — 200 `{ taskType, template, inherited }`: the task type's own
   * template (`inherited: false`), else the `default` one (`inherited: true`). 400 for a bad task type.
   */
  router.get('/prompt-templates/:taskType', async (req, res) => {
    res.json(await store.get(taskType.parse(req.params.taskType)));
  });

  /**
   * PUT /prompt-templates/:taskType — body `{ template }`. Creates or replaces the task type's own
   * template. 200 with the row; 422 INVALID_PROMPT_TEMPLATE when it does not parse as Mustache; 400.
   */
  router.put('/prompt-templates/:taskType', async (req, res) => {
    const type = taskType.parse(req.params.taskType);
    res.json(await store.put(type, putPromptTemplateBody.parse(req.body).template));
  });

  /**
   * DELETE /prompt-templates/:taskType — the task type inherits the default again; one with a
   * built-in template (`default` among them) gets the built-in back. 204; 404
   * PROMPT_TEMPLATE_NOT_FOUND when it has no template of its own; 400.
   */
  router.delete('/prompt-templates/:taskType', async (req, res) => {
    await store.remove(taskType.parse(req.params.taskType));
    res.status(204).end();
  });

  /**
   * POST /prompt-templates/:taskType/preview — body `{ taskId, template? }`. Renders the task
   * type's template (or `template`, unsaved) for task `taskId` as its next execution would get it.
   * 200 `{ prompt }`; 404 TASK_NOT_FOUND; 422 INVALID_PROMPT_TEMPLATE; 400.
   */
  router.post('/prompt-templates/:taskType/preview', async (req, res) => {
    const type = taskType.parse(req.params.taskType);
    const body = previewPromptBody.parse(req.body);
    if (body.template !== undefined) checkPromptTemplate(type, body.template);
    const template = body.template ?? (await store.get(type)).template;
    res.json({ prompt: await previewPrompt(prisma, policy, body.taskId, template) });
  });

  return router;
}
