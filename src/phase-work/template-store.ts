/**
 * Task templates (seed 001, table `task_templates`; seed 001/002 Stream F): listing, creating and
 * updating them, refusing dependencies that would form a cycle among a phase's active templates.
 */
import { Prisma, type PrismaClient } from '@prisma/client';
import { isUuid } from '../platform/ids';
import type { Phase } from '../ticket/phases';
import type { Priority } from '../ticket/ticket';
import { dependencyCycle } from './dependencies';
import { PhaseWorkError } from './errors';

/** Prisma's error code of a unique-constraint violation. */
const UNIQUE_VIOLATION = 'P2002';

/** Fields of a new task template (seed 001, table `task_templates`). */
export interface NewTaskTemplate {
  phaseId: Phase;
  taskType: string;
  templateDescription: string;
  defaultPriority?: Priority;
  requiredCapabilities?: string[];
  dependenciesTemplate?: string[];
  /** Resources its tasks need alone (`{ticket_id}` and `{repository}` substituted), e.g. `repo:{repository}`. */
  resources?: string[];
  /** Start-to-close limit of one execution, s. */
  timeoutSeconds?: number;
}

/** Changes to a template: its description, priority, capabilities, dependencies, resources, timeout (null: none) or active flag. */
export type TaskTemplateChanges = Partial<Omit<NewTaskTemplate, 'phaseId' | 'taskType' | 'timeoutSeconds'>> & {
  isActive?: boolean;
  timeoutSeconds?: number | null;
};

/** The task templates. */
export class TemplateStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Task templates of a phase (or all), active ones unless `includeInactive`, oldest first per phase. */
  list(phase: Phase | undefined, includeInactive: boolean) {
    return this.prisma.taskTemplate.findMany({
      where: { phaseId: phase, ...(includeInactive ? {} : { isActive: true }) },
      orderBy: [{ phaseId: 'asc' }, { createdAt: 'asc' }],
    });
  }

  /** Creates a template. @throws PhaseWorkError TEMPLATE_EXISTS, DEPENDENCY_CYCLE */
  async create(input: NewTaskTemplate) {
    await this.checkCycle(input.phaseId, input.taskType, input.dependenciesTemplate);
    try {
      return await this.prisma.taskTemplate.create({ data: input });
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== UNIQUE_VIOLATION) throw error;
      throw new PhaseWorkError('TEMPLATE_EXISTS', `a template for ${input.taskType} in ${input.phaseId} exists`, {
        phaseId: input.phaseId,
        taskType: input.taskType,
      });
    }
  }

  /** Updates a template. @throws PhaseWorkError TEMPLATE_NOT_FOUND, DEPENDENCY_CYCLE */
  async update(id: string, changes: TaskTemplateChanges) {
    const template = isUuid(id) ? await this.prisma.taskTemplate.findUnique({ where: { id } }) : null;
    if (!template) throw new PhaseWorkError('TEMPLATE_NOT_FOUND', `task template ${id} not found`, { templateId: id });
    await this.checkCycle(template.phaseId as Phase, template.taskType, changes.dependenciesTemplate);
    return this.prisma.taskTemplate.update({ where: { id }, data: changes });
  }

  /** Refuses template dependencies that would form a cycle among the phase's active templates. @throws PhaseWorkError DEPENDENCY_CYCLE */
  private async checkCycle(phase: Phase, taskType: string, dependenciesTemplate: string[] | undefined): Promise<void> {
    if (!dependenciesTemplate?.length) return;
    const templates = await this.prisma.taskTemplate.findMany({ where: { phaseId: phase, isActive: true } });
    const graph: Record<string, string[]> = Object.fromEntries(templates.map((template) => [template.taskType, template.dependenciesTemplate]));
    graph[taskType] = dependenciesTemplate;
    const cycle = dependencyCycle(graph);
    if (cycle) throw new PhaseWorkError('DEPENDENCY_CYCLE', `the template dependencies would form a cycle: ${cycle.join(' → ')}`, { cycle });
  }
}
