/**
 * Resource locks of running tasks (seed 004 milestone 3.3: conflict detection): a task that
 * declares resources holds each one alone while it runs, across tickets and workers. Locks are
 * leases renewed with the task's heartbeats, so a crashed holder's lock runs out and is released.
 */
import type { PrismaClient } from '@prisma/client';
import { ResourceBusyError } from './errors';

/**
 * Takes every resource for `taskId` until `expiresAt`, all or none. A lock held by the same task,
 * or whose lease ran out, is taken over.
 *
 * @throws ResourceBusyError naming the resource another task holds
 */
export async function acquireResources(prisma: PrismaClient, taskId: string, resources: readonly string[], expiresAt: Date): Promise<void> {
  const taken: string[] = [];
  for (const resource of [...new Set(resources)].sort()) {
    const count = await prisma.$executeRaw`
      INSERT INTO resource_locks (resource, task_id, expires_at) VALUES (${resource}, ${taskId}::uuid, ${expiresAt})
      ON CONFLICT (resource) DO UPDATE SET task_id = EXCLUDED.task_id, expires_at = EXCLUDED.expires_at
      WHERE resource_locks.task_id = EXCLUDED.task_id OR resource_locks.expires_at < now()`;
    if (count === 0) {
      await releaseResources(prisma, taskId, taken);
      const holder = await prisma.resourceLock.findUnique({ where: { resource } });
      throw new ResourceBusyError(`resource ${resource} is held by task ${holder?.taskId ?? 'another task'}`);
    }
    taken.push(resource);
  }
}

/** Extends the leases `taskId` holds to `expiresAt`. */
export async function renewResources(prisma: PrismaClient, taskId: string, expiresAt: Date): Promise<void> {
  await prisma.resourceLock.updateMany({ where: { taskId }, data: { expiresAt } });
}

/** Releases the locks `taskId` holds (all of them, or only `resources`). */
export async function releaseResources(prisma: PrismaClient, taskId: string, resources?: readonly string[]): Promise<void> {
  await prisma.resourceLock.deleteMany({ where: { taskId, ...(resources && { resource: { in: [...resources] } }) } });
}
