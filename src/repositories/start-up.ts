/**
 * Start-up of the configuration file's repositories (issue 9, "The main job on a real repository"):
 * a repository with `seedFrom` whose remote does not exist yet gets it, a bare repository holding
 * that directory as its first commit (the embedded default: `examples/repository` under the data
 * dir); then every configured repository is upserted into PostgreSQL.
 */
import type { PrismaClient } from '@prisma/client';
import type { Logger } from '../platform/logger';
import type { ConfiguredRepository } from './config';
import { ensureSeededRemote } from './embedded';
import { syncConfiguredRepositories } from './store';

/**
 * Seeds the missing remotes of `repositories` and syncs their rows. Idempotent.
 *
 * @returns the names synced
 * @throws Error when a `seedFrom` directory is unusable or git fails
 */
export async function prepareConfiguredRepositories(prisma: PrismaClient, repositories: ConfiguredRepository[], log: Logger): Promise<string[]> {
  for (const repository of repositories) {
    if (!repository.seedFrom) continue;
    const { created, commit } = await ensureSeededRemote(repository.url, repository.seedFrom, repository.defaultBranch);
    if (created) log.info({ repository: repository.name, remote: repository.url, commit }, 'created the repository remote from its seed directory');
  }
  return syncConfiguredRepositories(prisma, repositories);
}
