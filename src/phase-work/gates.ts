/**
 * Phase gates: what a phase must produce before the ticket may leave it, and the pure evaluation
 * of a phase's artifacts and tasks against it (seed 001/002, Stream G: `PHASE_GATE_REQUIREMENTS`,
 * `check_gate_requirements`). Every criterion of the seeds is checked for real: `minLength`,
 * `requiredSections`, `minPercentage`, `mustHaveTests`, `allPassed` and `requiredTasksCompleted`.
 * Pure module: no Node, Prisma or Temporal imports.
 */
import { Phase } from '../ticket/phases';

/** Criteria one artifact type must meet (all optional; seed names in camelCase). */
export interface ArtifactCriteria {
  /** Minimum length of the artifact's text, in characters. */
  minLength?: number;
  /** Section names that must appear as headings (e.g. `## Scope`) or as keys of `content.sections`. */
  requiredSections?: string[];
  /** Minimum coverage, in percent (0–100). */
  minPercentage?: number;
  /** The code changes must include at least one test file. */
  mustHaveTests?: boolean;
  /** Every test must have passed (and at least one must have run). */
  allPassed?: boolean;
  /**
   * Section names whose heading must be followed by some content before the next heading (issue 11,
   * clarification: an empty `## Acceptance Criteria` counts as none). A missing section fails too.
   */
  nonEmptySections?: string[];
}

/** The gate of one phase. */
export interface GateRequirement {
  /** Artifact types that must exist. */
  requiredArtifacts: string[];
  /** Every task of the phase must be completed. */
  requiredTasksCompleted: boolean;
  /** Criteria per artifact type. */
  validationCriteria: Record<string, ArtifactCriteria>;
  /**
   * The ticket itself must list at least one acceptance criterion (issue 11, clarification instead
   * of vacuous gates): a gate cannot verify completion against nothing.
   */
  ticketAcceptanceCriteria?: boolean;
}

/** Gate requirements per phase; a phase without an entry has an open gate. */
export type GateRequirements = Partial<Record<Phase, GateRequirement>>;

/** The seeds' gates, exactly (seed 001 Stream G, `PHASE_GATE_REQUIREMENTS`). Extend with {@link extendGateRequirements}. */
export const PHASE_GATE_REQUIREMENTS: GateRequirements = {
  [Phase.REQUIREMENTS]: {
    requiredArtifacts: ['requirements_document'],
    requiredTasksCompleted: true,
    validationCriteria: {
      requirements_document: { minLength: 500, requiredSections: ['scope', 'acceptance_criteria'], nonEmptySections: ['acceptance_criteria'] },
    },
    ticketAcceptanceCriteria: true,
  },
  [Phase.IMPLEMENTATION]: {
    requiredArtifacts: ['code_changes', 'test_coverage'],
    requiredTasksCompleted: true,
    validationCriteria: {
      test_coverage: { minPercentage: 80 },
      code_changes: { mustHaveTests: true },
    },
  },
  [Phase.TESTING]: {
    requiredArtifacts: ['test_results', 'test_evidence'],
    requiredTasksCompleted: true,
    validationCriteria: {
      test_results: { allPassed: true },
    },
  },
};

/**
 * A deployment's gates: `extra` adds required artifacts and criteria to `base` phase by phase
 * (criteria of the same artifact are merged, `extra` winning per criterion).
 */
export function extendGateRequirements(base: GateRequirements, extra: GateRequirements): GateRequirements {
  const merged: GateRequirements = { ...base };
  for (const [phase, requirement] of Object.entries(extra) as [Phase, GateRequirement][]) {
    const current = merged[phase];
    if (!current) {
      merged[phase] = requirement;
      continue;
    }
    const criteria: Record<string, ArtifactCriteria> = { ...current.validationCriteria };
    for (const [type, extraCriteria] of Object.entries(requirement.validationCriteria)) {
      criteria[type] = { ...criteria[type], ...extraCriteria };
    }
    merged[phase] = {
      requiredArtifacts: [...new Set([...current.requiredArtifacts, ...requirement.requiredArtifacts])],
      requiredTasksCompleted: current.requiredTasksCompleted || requirement.requiredTasksCompleted,
      validationCriteria: criteria,
      ticketAcceptanceCriteria: current.ticketAcceptanceCriteria === true || requirement.ticketAcceptanceCriteria === true,
    };
  }
  return merged;
}

/** An artifact as the gate sees it. `content` is whatever the agent produced (text or JSON). */
export interface GateArtifact {
  type: string;
  path?: string | null;
  content: unknown;
}

/** A phase task as the gate sees it. */
export interface GateTask {
  taskType: string;
  status: string;
}

/** The ticket as the gate sees it (issue 11): its name for questions, and its acceptance criteria. */
export interface GateTicket {
  /** Its external ID, else its title. */
  name: string;
  acceptanceCriteria: string[];
}

/** Result of {@link evaluateGate}. */
export interface GateEvaluation {
  requirementsMet: boolean;
  /** Required artifact types with no artifact. */
  missingArtifacts: string[];
  /** One line per unmet criterion, naming the artifact (or tasks) and the criterion. */
  blockingReasons: string[];
  /**
   * The question a person must answer when the gate cannot be checked at all (issue 11: no
   * acceptance criteria on the ticket, or none in its requirements document); absent otherwise.
   * A ticket blocked with it has cause `needs_clarification`.
   */
  clarification?: string;
}

/** The text of an artifact: a string, or `content.text`/`content.body`, else its JSON. */
export function artifactText(content: unknown): string {
  if (typeof content === 'string') return content;
  const record = (content ?? {}) as Record<string, unknown>;
  for (const key of ['text', 'body', 'markdown']) if (typeof record[key] === 'string') return record[key];
  return JSON.stringify(content ?? '');
}

const normalize = (name: string) =>
  name
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();

const HEADING = /^\s*#{1,6}\s+(.+?)\s*#*\s*$/;

/**
 * The text under `section`'s heading up to the next heading of any level, trimmed (a value of
 * `content.sections` when keyed so); `undefined` when the section is missing.
 */
function sectionBody(content: unknown, section: string): string | undefined {
  const wanted = normalize(section);
  const sections = (content as { sections?: unknown } | null)?.sections;
  if (sections && typeof sections === 'object') {
    const key = Object.keys(sections).find((name) => normalize(name) === wanted);
    if (key !== undefined) {
      const value = (sections as Record<string, unknown>)[key];
      return (Array.isArray(value) ? value.join('\n') : typeof value === 'string' ? value : value == null ? '' : JSON.stringify(value)).trim();
    }
  }
  const lines = artifactText(content).split('\n');
  const start = lines.findIndex((line) => {
    const heading = HEADING.exec(line);
    return heading !== null && normalize(heading[1]!) === wanted;
  });
  if (start < 0) return undefined;
  const end = lines.findIndex((line, index) => index > start && HEADING.test(line));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
}

function hasSection(content: unknown, section: string): boolean {
  const wanted = normalize(section);
  const sections = (content as { sections?: unknown } | null)?.sections;
  if (sections && typeof sections === 'object' && Object.keys(sections).some((key) => normalize(key) === wanted)) return true;
  return artifactText(content)
    .split('\n')
    .some((line) => {
      const heading = HEADING.exec(line);
      return heading !== null && normalize(heading[1]!) === wanted;
    });
}

/** Coverage in percent: a number, `percentage`, or a Jest coverage summary's `total.lines.pct`. */
function coveragePercent(content: unknown): number | undefined {
  if (typeof content === 'number') return content;
  const record = (content ?? {}) as { percentage?: unknown; total?: { lines?: { pct?: unknown } } };
  const value = record.percentage ?? record.total?.lines?.pct;
  return typeof value === 'number' ? value : undefined;
}

const TEST_FILE = /(\.(test|spec)\.[a-z]+$)|(^|\/)(__tests__|tests?)\//i;

/**
 * Whether the changes include a test. The orchestrator's `code_changes` (issue 9: `CodeChanges`,
 * whose `tests` are the changed files matching the repository's test globs) decides by its `tests`
 * alone; otherwise a listed file that looks like a test counts too.
 */
function includesTests(content: unknown): boolean {
  const record = (content ?? {}) as { files?: unknown; tests?: unknown };
  if (Array.isArray(record.tests)) return record.tests.length > 0;
  const files = Array.isArray(record.files) ? record.files : [];
  const paths = files.map((file) => (typeof file === 'string' ? file : (file as { path?: unknown })?.path)).filter((p) => typeof p === 'string');
  return paths.some((p) => TEST_FILE.test(p));
}

/** `{ passed, failed }` from Jest's JSON (`numPassedTests`/`numFailedTests`) or a plain summary. */
function testCounts(content: unknown): { passed: number; failed: number } | undefined {
  const record = (content ?? {}) as Record<string, unknown>;
  const passed = record.numPassedTests ?? record.passed;
  const failed = record.numFailedTests ?? record.failed;
  return typeof passed === 'number' && typeof failed === 'number' ? { passed, failed } : undefined;
}

function criteriaReasons(type: string, content: unknown, criteria: ArtifactCriteria): string[] {
  const reasons: string[] = [];
  if (criteria.minLength !== undefined) {
    const length = artifactText(content).length;
    if (length < criteria.minLength) reasons.push(`${type}: minLength ${criteria.minLength} not met (${length} characters)`);
  }
  for (const section of criteria.requiredSections ?? []) {
    if (!hasSection(content, section)) reasons.push(`${type}: requiredSections: section "${section}" missing`);
  }
  if (criteria.minPercentage !== undefined) {
    const percent = coveragePercent(content);
    const why = (content as { error?: unknown } | null)?.error;
    if (percent === undefined)
      reasons.push(`${type}: minPercentage ${criteria.minPercentage}: no coverage percentage found${typeof why === 'string' ? `: ${why}` : ''}`);
    else if (percent < criteria.minPercentage) reasons.push(`${type}: minPercentage ${criteria.minPercentage} not met (${percent}%)`);
  }
  for (const section of criteria.nonEmptySections ?? []) {
    if (sectionBody(content, section) === '') reasons.push(`${type}: nonEmptySections: section "${section}" is empty`);
    else if (!(criteria.requiredSections ?? []).includes(section) && !hasSection(content, section))
      reasons.push(`${type}: nonEmptySections: section "${section}" missing`);
  }
  if (criteria.mustHaveTests && !includesTests(content)) reasons.push(`${type}: mustHaveTests: no test file among the changes`);
  if (criteria.allPassed) {
    const reason = allPassedReason(content);
    if (reason !== undefined) reasons.push(`${type}: allPassed: ${reason}`);
  }
  return reasons;
}

/** How many failing tests a reason names; the rest are counted. */
const NAMED_FAILURES = 3;

/**
 * Why `content` does not show every test passed, or undefined. Names the first failing tests of
 * `content.failures` (`<test>: <first message line>`) and adds `content.error` (why the run did not
 * succeed beyond failing tests, e.g. a timeout) when the orchestrator's `TestResults` (issue 9) have them.
 */
function allPassedReason(content: unknown): string | undefined {
  const record = (content ?? {}) as { failures?: unknown; error?: unknown; success?: unknown };
  const error = typeof record.error === 'string' && record.error !== '' ? record.error : undefined;
  const withError = (reason: string) => (error === undefined ? reason : `${reason}; ${error}`);
  const counts = testCounts(content);
  if (!counts) return withError('no test counts found');
  if (counts.failed > 0) {
    const failures = Array.isArray(record.failures) ? record.failures.filter((failure): failure is string => typeof failure === 'string') : [];
    const more = failures.length > NAMED_FAILURES ? ` (and ${failures.length - NAMED_FAILURES} more)` : '';
    const named = failures.length > 0 ? `: ${failures.slice(0, NAMED_FAILURES).join('; ')}${more}` : '';
    return withError(`${counts.failed} of ${counts.passed + counts.failed} tests failed${named}`);
  }
  if (counts.passed === 0) return withError('no test ran');
  if (error !== undefined) return `the test run did not succeed: ${error}`;
  // Jest counts no failed test when a test file cannot even load, but reports `success: false`.
  if (record.success === false) return 'the test run did not succeed (a test file failed to run)';
  return undefined;
}

/** A blocking reason that means the acceptance criteria are missing (from the ticket or the document): a person must answer. */
const CRITERIA_MISSING = /^(ticket: acceptanceCriteria:|[a-z_]+: (requiredSections|nonEmptySections): section "acceptance_criteria" )/;

/**
 * Evaluates a phase's gate. With several artifacts of one type the last one counts. When the
 * acceptance criteria are missing from the ticket (`ticketAcceptanceCriteria`) or from a document
 * (its `acceptance_criteria` section missing or empty), the evaluation carries the
 * {@link GateEvaluation.clarification} question to ask about `ticket`.
 *
 * @param requirement the phase's gate; `undefined` is an open gate (always met)
 * @param artifacts the phase's collected artifacts
 * @param tasks the phase's tasks
 * @param ticket the ticket; without it `ticketAcceptanceCriteria` is not checked
 */
export function evaluateGate(requirement: GateRequirement | undefined, artifacts: GateArtifact[], tasks: GateTask[], ticket?: GateTicket): GateEvaluation {
  if (!requirement) return { requirementsMet: true, missingArtifacts: [], blockingReasons: [] };
  const latest = new Map(artifacts.map((artifact) => [artifact.type, artifact]));
  const missingArtifacts = requirement.requiredArtifacts.filter((type) => !latest.has(type));
  const blockingReasons = missingArtifacts.map((type) => `${type}: required artifact missing`);
  if (requirement.ticketAcceptanceCriteria && ticket && ticket.acceptanceCriteria.every((criterion) => criterion.trim() === '')) {
    blockingReasons.push('ticket: acceptanceCriteria: the ticket has no acceptance criteria, so completion cannot be verified');
  }
  for (const [type, criteria] of Object.entries(requirement.validationCriteria)) {
    const artifact = latest.get(type);
    if (artifact) blockingReasons.push(...criteriaReasons(type, artifact.content, criteria));
  }
  if (requirement.requiredTasksCompleted) {
    const open = tasks.filter((task) => task.status !== 'completed');
    if (open.length > 0) {
      const list = open.map((task) => `${task.taskType} is ${task.status}`).join(', ');
      blockingReasons.push(`requiredTasksCompleted: ${open.length} of ${tasks.length} tasks not completed (${list})`);
    }
  }
  const evaluation: GateEvaluation = { requirementsMet: blockingReasons.length === 0, missingArtifacts, blockingReasons };
  if (ticket && blockingReasons.some((reason) => CRITERIA_MISSING.test(reason))) evaluation.clarification = clarificationQuestion(ticket.name);
  return evaluation;
}

/** The question a ticket blocked for clarification asks (issue 11). */
export function clarificationQuestion(ticketName: string): string {
  return `What are the acceptance criteria of ${ticketName}? Answer with PATCH /api/v1/tickets/:id {"acceptanceCriteria": [...]} (or a fuller description).`;
}
