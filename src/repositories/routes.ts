/**
 * Repository endpoints under /api/v1 (issue 9 "Repositories": registered by API, `POST
 * /repositories`, `GET`, `PATCH`). Every handler validates with zod first, so bad input is a 400
 * and nothing is written. A repository is answered as its {@link RepositorySpec} with `createdAt`
 * and `updatedAt`.
 */
import { Router } from 'express';
import type { RepositoryStore } from './store';
import { repositoryPatchSchema, repositorySpecSchema } from './schemas';

/** Builds the repositories router around a {@link RepositoryStore}. */
export function repositoriesRouter(repositories: RepositoryStore): Router {
  const router = Router();

  /**
   * POST /repositories — body {@link repositorySpecSchema}: `{ name, url, defaultBranch?, setup?,
   * test, coverage?, testPaths, integration?, keepBranches? }`. Registers the repository; nothing
   * is fetched or run here. 201 with the repository; 409 REPOSITORY_EXISTS; 400 VALIDATION_FAILED.
   */
  router.post('/repositories', async (req, res) => {
    res.status(201).json(await repositories.create(repositorySpecSchema.parse(req.body)));
  });

  /** GET /repositories — every repository, by name. 200 `{ items }`. */
  router.get('/repositories', async (_req, res) => {
    res.json({ items: await repositories.list() });
  });

  /** GET /repositories/:name — 200 with the repository; 404 REPOSITORY_NOT_FOUND. */
  router.get('/repositories/:name', async (req, res) => {
    res.json(await repositories.get(req.params.name));
  });

  /**
   * PATCH /repositories/:name — body {@link repositoryPatchSchema}: at least one field but `name`;
   * each field given replaces the stored one whole. Tickets already on a branch keep it. 200 with
   * the repository; 404 REPOSITORY_NOT_FOUND; 400 VALIDATION_FAILED (also for `name`).
   */
  router.patch('/repositories/:name', async (req, res) => {
    const changes = repositoryPatchSchema.parse(req.body);
    res.json(await repositories.update(req.params.name, changes));
  });

  return router;
}
