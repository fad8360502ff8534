/** Checks that a ticket's phase-work rows are not duplicated (every activity wrote each row once). */
import type { PrismaClient } from '@prisma/client';

/**
 * Asserts the ticket has artifacts, and that artifacts (phase, entry, type, path), gate results
 * (phase, entry, validator, round) and phase contexts (phase, entry) are each unique.
 *
 * @returns the rows, for further assertions
 */
export async function expectUniqueRunRows(prisma: PrismaClient, ticketId: string) {
  const [artifacts, gates, contexts] = await Promise.all([
    prisma.phaseGateArtifact.findMany({ where: { ticketId } }),
    prisma.phaseGateResult.findMany({ where: { ticketId } }),
    prisma.phaseContext.findMany({ where: { ticketId } }),
  ]);
  const artifactKeys = artifacts.map((a) => `${a.phaseId}/${a.phaseEntry}/${a.artifactType}/${a.artifactPath}`);
  expect(artifactKeys.length).toBeGreaterThan(0);
  expect(new Set(artifactKeys).size).toBe(artifactKeys.length);
  const gateKeys = gates.map((g) => `${g.phaseId}/${g.phaseEntry}/${g.validatedBy}/${g.attempt}`);
  expect(new Set(gateKeys).size).toBe(gateKeys.length);
  expect(new Set(contexts.map((c) => `${c.phaseId}/${c.phaseEntry}`)).size).toBe(contexts.length);
  return { artifacts, gates, contexts };
}
