/**
 * Collects a phase run's artifacts from its completed tasks' results into `phase_gate_artifacts`
 * (seed 002, Stream G: `collect_artifacts`).
 */
import type { Prisma, PrismaClient } from '@prisma/client';
import { TaskStatus } from '../../src/phase-work/tasks';
import type { StoredTaskResult } from '../agents/execute-task';
import { runWhere, type PhaseRunRef } from '../../src/phase-work/run-store';

/** An artifact to store for a run. */
export interface ArtifactInput {
  artifactType: string;
  /** File path or reference; none is stored as "". */
  artifactPath?: string | null;
  content: unknown;
  taskId?: string | null;
  /** Agent name, person or tool. */
  collectedBy?: string | null;
  /** When it was produced (default now); for one type the latest counts at the gate. */
  collectedAt?: Date;
}

/**
 * Stores `artifact` for `run`, de-duplicated by (type, path): storing the same type and path again
 * replaces the content (the latest version counts) and never adds a row.
 *
 * @returns the stored row
 */
export function storeArtifact(prisma: PrismaClient | Prisma.TransactionClient, run: PhaseRunRef, artifact: ArtifactInput) {
  const key = { ...runWhere(run), artifactType: artifact.artifactType, artifactPath: artifact.artifactPath ?? '' };
  const data = {
    artifactContent: (artifact.content ?? null) as Prisma.InputJsonValue,
    taskId: artifact.taskId ?? null,
    collectedBy: artifact.collectedBy ?? null,
    collectedAt: artifact.collectedAt ?? new Date(),
  };
  return prisma.phaseGateArtifact.upsert({
    where: { ticketId_phaseId_phaseEntry_artifactType_artifactPath: key },
    create: { ...key, ...data },
    update: data,
  });
}

/**
 * Builds the `collectArtifacts` activity. Idempotent: artifacts are keyed by (ticket, phase,
 * entry, type, path), so collecting twice yields the same rows. Each is dated when its task
 * completed, and a stored row is only replaced by a newer one, so an artifact a person supplied
 * after the agent's stays the one that counts.
 *
 * @returns how many artifacts the run's completed tasks declared
 */
export function createCollectArtifacts(prisma: PrismaClient) {
  return async function collectArtifacts(run: PhaseRunRef): Promise<{ collected: number }> {
    const tasks = await prisma.task.findMany({ where: { ...runWhere(run), status: TaskStatus.COMPLETED }, orderBy: { completedAt: 'asc' } });
    const stored = await prisma.phaseGateArtifact.findMany({ where: runWhere(run) });
    const storedAt = new Map(stored.map((row) => [`${row.artifactType}\n${row.artifactPath}`, row.collectedAt.getTime()]));
    const artifacts = tasks.flatMap((task) =>
      ((task.result as StoredTaskResult | null)?.artifacts ?? []).map((artifact) => ({
        artifactType: artifact.type,
        artifactPath: artifact.path,
        content: artifact.content,
        taskId: task.id,
        collectedBy: task.assignedAgent,
        collectedAt: task.completedAt ?? new Date(),
      })),
    );
    const newer = artifacts.filter(
      (artifact) => (storedAt.get(`${artifact.artifactType}\n${artifact.artifactPath ?? ''}`) ?? -Infinity) < artifact.collectedAt.getTime(),
    );
    await prisma.$transaction(async (tx) => {
      for (const artifact of newer) await storeArtifact(tx, run, artifact);
    });
    return { collected: artifacts.length };
  };
}
