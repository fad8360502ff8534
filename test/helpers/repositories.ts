/** The configuration's repositories in a test: each test file gets remotes of its own. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import type { OrchestratorConfig } from '../../src/agents/config';
import type { ConfiguredRepository } from '../../src/repositories/config';
import { createLogger } from '../../src/platform/logger';
import { prepareConfiguredRepositories } from '../../src/repositories/start-up';

/**
 * Prepares `orchestrator`'s repositories in `prisma` as start-up does, with every seeded remote
 * (the example repository) moved to a fresh temporary directory, so branches of one test file never
 * meet another's (or the main job's).
 *
 * @returns the repositories as registered
 */
export async function prepareTestRepositories(prisma: PrismaClient, orchestrator: OrchestratorConfig): Promise<ConfiguredRepository[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ticket-remotes-'));
  const repositories = orchestrator.repositories.map((repository) =>
    repository.seedFrom ? { ...repository, url: path.join(dir, `${repository.name}.git`) } : repository,
  );
  await prepareConfiguredRepositories(prisma, repositories, createLogger('silent'));
  return repositories;
}
