/**
 * A phase run's gate rows (seed 002, Stream G: `collect_artifacts`, `validate_gate`,
 * `check_gate_requirements`, ValidationAgent): the artifacts collected from its tasks or supplied
 * through the API (`phase_gate_artifacts`), and the persisted verdicts (`phase_gate_results`): the
 * pure evaluation of the run's artifacts and tasks against the phase's requirements, plus the
 * validation agent's opinion when it reviewed the run.
 */
import type { Prisma, PrismaClient, Task } from '@prisma/client';
import { VALIDATION_TASK_TYPE, type GateVerdict, type PhaseRunRef, type ValidateGateInput } from './contracts';
import { phaseGate, type GatePolicy } from './gate-policy';
import { evaluateGate } from './gates';
import { runArtifacts, runTasks, runWhere } from './run-store';
import { TaskStatus } from './tasks';
import { taskOutput, type AgentArtifact, type StoredTaskResult } from '../agents/protocol';
import { ORCHESTRATOR_TASKS, VERIFIED_ARTIFACT_TYPES } from '../repositories/contracts';

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
 * The artifacts of `task` the gate may see. For a ticket worked in a repository (issue 9) the
 * verified types (code changes, test results, coverage, evidence) come only from the
 * orchestrator's own tasks, never from an agent's claims.
 */
function trustedArtifacts(task: Task & { ticket: { repositoryName: string | null } }, artifacts: AgentArtifact[]): AgentArtifact[] {
  if (task.ticket.repositoryName === null || Object.hasOwn(ORCHESTRATOR_TASKS, task.taskType)) return artifacts;
  return artifacts.filter((artifact) => !(VERIFIED_ARTIFACT_TYPES as readonly string[]).includes(artifact.type));
}

/**
 * Collects the artifacts the run's completed tasks declared (for a ticket with a repository, an
 * agent's verified types are left out: {@link trustedArtifacts}). Idempotent: artifacts are keyed by
 * (ticket, phase, entry, type, path), so collecting twice yields the same rows. Each is dated
 * when its task completed, and a stored row is only replaced by a newer one, so an artifact a
 * person supplied after the agent's stays the one that counts.
 *
 * @returns how many artifacts the run's completed tasks declared
 */
export async function collectArtifacts(prisma: PrismaClient, run: PhaseRunRef): Promise<{ collected: number }> {
  const tasks = await prisma.task.findMany({
    where: { ...runWhere(run), status: TaskStatus.COMPLETED },
    orderBy: { completedAt: 'asc' },
    include: { ticket: { select: { repositoryName: true } } },
  });
  const stored = await prisma.phaseGateArtifact.findMany({ where: runWhere(run) });
  const storedAt = new Map(stored.map((row) => [`${row.artifactType}\n${row.artifactPath}`, row.collectedAt.getTime()]));
  const artifacts = tasks.flatMap((task) =>
    trustedArtifacts(task, (task.result as StoredTaskResult | null)?.artifacts ?? []).map((artifact) => ({
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
}

/** The validation agent's opinion from its task, or a refusal when it did not complete. */
function validationOpinion(task: { status: string; result: unknown; error: string | null; assignedAgent: string | null } | null): GateVerdict['validation'] {
  if (!task) return null;
  if (task.status !== TaskStatus.COMPLETED) {
    return { approved: false, reasons: [`did not complete its review (${task.status}${task.error ? `: ${task.error}` : ''})`], agent: task.assignedAgent };
  }
  const output = taskOutput(task) as { approved?: unknown; reasons?: unknown };
  const reasons = Array.isArray(output.reasons) ? output.reasons.map(String) : [];
  return { approved: output.approved === true, reasons, agent: task.assignedAgent };
}

/**
 * Validates the run's gate under `policy` and persists the verdict. Idempotent: the result is
 * keyed by (ticket, phase, entry, validator, attempt), and a second call returns the verdict
 * already stored for that round.
 *
 * @returns the verdict: `passed` when every requirement is met and the validation agent (if any)
 *   approved; else `failed` with one blocking reason per unmet criterion, and the question to ask
 *   when the ticket or its requirements document has no acceptance criteria (issue 11)
 */
export async function validateGate(prisma: PrismaClient, policy: GatePolicy, input: ValidateGateInput): Promise<GateVerdict> {
  const key = { ...runWhere(input), validatedBy: input.validatedBy ?? 'workflow', attempt: input.attempt };
  const existing = await prisma.phaseGateResult.findUnique({ where: { ticketId_phaseId_phaseEntry_validatedBy_attempt: key } });
  if (existing) return existing.validationResult as unknown as GateVerdict;

  const [artifacts, tasks, validationTask, ticket] = await Promise.all([
    runArtifacts(prisma, input),
    runTasks(prisma, input),
    prisma.task.findFirst({ where: { ...runWhere(input), taskType: VALIDATION_TASK_TYPE } }),
    prisma.ticket.findUnique({ where: { id: input.ticketId }, select: { externalId: true, title: true, acceptanceCriteria: true } }),
  ]);
  const evaluation = evaluateGate(
    phaseGate(policy, input.phase).requirements ?? undefined,
    artifacts.map((artifact) => ({ type: artifact.artifactType, path: artifact.artifactPath, content: artifact.artifactContent })),
    tasks,
    ticket ? { name: ticket.externalId ?? `"${ticket.title}"`, acceptanceCriteria: ticket.acceptanceCriteria } : undefined,
  );
  const validation = validationOpinion(validationTask);
  const blockingReasons = [...evaluation.blockingReasons];
  if (validation && !validation.approved) {
    blockingReasons.push(...(validation.reasons.length ? validation.reasons : ['not approved']).map((reason) => `validation_agent: ${reason}`));
  }
  const verdict: GateVerdict = {
    ...evaluation,
    requirementsMet: blockingReasons.length === 0,
    blockingReasons,
    status: blockingReasons.length === 0 ? 'passed' : 'failed',
    attempt: input.attempt,
    validation,
  };
  const row = await prisma.phaseGateResult.upsert({
    where: { ticketId_phaseId_phaseEntry_validatedBy_attempt: key },
    create: {
      ...key,
      gateStatus: verdict.status,
      validationResult: verdict as unknown as Prisma.InputJsonValue,
      validatedAt: new Date(),
      blockingReasons,
    },
    update: {},
  });
  return row.validationResult as unknown as GateVerdict;
}
