/**
 * Seeds the `task_templates` table with the seeds' PHASE_TASK_TEMPLATES (seed 001/002, Stream F).
 * Runs at every start-up and is idempotent: a template that exists for (phase, task type), even an
 * edited or disabled one, is left as it is, so edits made through the API survive restarts.
 */
import type { PrismaClient } from '@prisma/client';
import type { Phase } from '../ticket/phases';
import { PHASE_TASK_TEMPLATES } from './templates';

/** Inserts the missing seed templates. @returns how many were inserted */
export async function seedTaskTemplates(prisma: PrismaClient): Promise<number> {
  const rows = (Object.entries(PHASE_TASK_TEMPLATES) as [Phase, NonNullable<(typeof PHASE_TASK_TEMPLATES)[Phase]>][]).flatMap(([phase, templates]) =>
    templates.map((template) => ({
      phaseId: phase,
      taskType: template.taskType,
      templateDescription: template.descriptionTemplate,
      defaultPriority: template.priority,
      requiredCapabilities: template.capabilities,
      dependenciesTemplate: template.dependsOn ?? [],
      resources: template.resources ?? [],
    })),
  );
  const { count } = await prisma.taskTemplate.createMany({ data: rows, skipDuplicates: true });
  return count;
}
