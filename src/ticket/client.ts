/**
 * The orchestrator's application service for tickets: creates rows and starts their workflows,
 * sends transitions, asks workflows and reads the database. The REST API and the main job call
 * this; it knows nothing of HTTP.
 * Seeds: 002 Stream E (transition, phase history, valid transitions), 003 sub-task E5.
 */
import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient, type Ticket, type PhaseHistory } from '@prisma/client';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ticketUsage, type TicketUsage } from '../agents/executions';
import { isUuid } from '../platform/ids';
import { RepositoryError } from '../repositories/store';
import { Phase, isTerminal } from './phases';
import { type Priority, TicketStatus, statusForPhase, ticketWorkflowId } from './ticket';
import { transitionRefusal } from './lifecycle';
import { GATE_NOT_PASSED, INVALID_TRANSITION, type InvalidTransitionDetails, type RefusalCode, type TransitionRequest } from './transition';
import type { TicketPolicy, TicketSettings } from './settings';
import { TicketPhase, TicketPriority, TicketStatusAttribute } from '../platform/search-attributes';
import {
  cancelTicketSignal,
  getStateQuery,
  getValidTransitionsQuery,
  ticketUpdatedSignal,
  transitionSignal,
  transitionUpdate,
  type TicketWorkflowState,
} from '../../workflows/ticket/messages';
import type { ticketWorkflow } from '../../workflows';

/** Fields of a new ticket (the roadmap JSON's per-ticket shape). */
export interface NewTicket {
  externalId?: string;
  title: string;
  description?: string;
  priority?: Priority;
  labels?: string[];
  acceptanceCriteria?: string[];
  /** `auto` (default): gates move the ticket on; `manual`: it waits for transitions. */
  policy?: TicketPolicy;
  /** Name of the registered repository it is worked in (issue 9); default: the client's `defaultRepository`. */
  repository?: string;
  /** Where it came from (e.g. a GitHub issue's URL), stored as `sourceUrl`; shown, never fetched. */
  sourceUrl?: string;
}

/** Options of a {@link TicketClient}. */
export interface TicketClientOptions {
  /** Repository of a new ticket that names none (the configuration's `defaultRepository`); undefined: none. */
  defaultRepository?: string;
}

/** Filters and page of {@link TicketClient.list}. */
export interface TicketListQuery {
  phase?: Phase;
  status?: TicketStatus;
  priority?: Priority;
  /** Page size, 1..100. */
  limit: number;
  /** Rows to skip. */
  offset: number;
}

/** The ticket does not exist (API: 404). */
export class TicketNotFoundError extends Error {
  constructor(readonly ticketId: string) {
    super(`ticket ${ticketId} not found`);
  }
}

/** The ticket is done or cancelled, so it cannot be cancelled or changed (API: 409 TICKET_NOT_ACTIVE). */
export class TicketNotActiveError extends Error {
  constructor(
    readonly ticketId: string,
    readonly status: string,
    /** What was refused, e.g. `cancelled` or `changed`. */
    action = 'cancelled',
  ) {
    super(`ticket ${ticketId} is ${status}; only an active ticket can be ${action}`);
  }
}

/** The fields {@link TicketClient.update} changes (issue 11), each replacing the stored value whole. */
export type TicketChanges = Partial<Pick<NewTicket, 'title' | 'description' | 'priority' | 'labels' | 'acceptanceCriteria'>>;

/**
 * The workflow refused the transition (API: 409): `code` is `InvalidTransition` (state machine)
 * or `GateNotPassed` (the gate of the phase being left has not passed; see `details.blockingReasons`).
 */
export class InvalidTransitionError extends Error {
  constructor(
    message: string,
    readonly details: InvalidTransitionDetails,
    readonly code: RefusalCode = INVALID_TRANSITION,
  ) {
    super(message);
  }
}

/**
 * The transition update's call timed out or was cancelled before its answer arrived (API: 504
 * TRANSITION_PENDING): the workflow may have applied it. Repeating the request with the same
 * `requestId` returns its real outcome (the workflow answers a repeated request ID with its first
 * outcome) and applies nothing twice.
 */
export class TransitionPendingError extends Error {
  constructor(
    readonly ticketId: string,
    readonly requestId: string,
  ) {
    super(
      `transition ${requestId} of ticket ${ticketId} was sent but its answer did not arrive in time; repeat the request with requestId ${requestId} for its outcome`,
    );
  }
}

/** Prisma's error code of a foreign-key violation (here: `tickets.repository_name` naming no repository). */
const FOREIGN_KEY_VIOLATION = 'P2003';

const isMissingRepository = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === FOREIGN_KEY_VIOLATION;

const unknownRepository = (name: string) =>
  new RepositoryError('UNKNOWN_REPOSITORY', name, `repository "${name}" is not registered (POST /repositories, or the configuration file's "repositories")`);

/** Tickets as rows (Prisma) and as workflows (Temporal). */
export class TicketClient {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly temporal: Client,
    private readonly taskQueue: string,
    /** Settings every new ticket's workflow starts with (the policy comes from the ticket). */
    private readonly settings: Omit<TicketSettings, 'policy'>,
    private readonly options: TicketClientOptions = {},
  ) {}

  /**
   * Creates the ticket row and starts its workflow `ticket-<id>` on the task queue, with the
   * `TicketPhase`, `TicketStatus` and `TicketPriority` search attributes and the title in the memo. Idempotent on
   * `externalId`: a second call returns the existing ticket (and starts its workflow if a crash
   * left it unstarted). The ticket's `repositoryName` is `input.repository`, else the client's
   * `defaultRepository`, else none; its `sourceUrl` is `input.sourceUrl`.
   *
   * @returns the ticket and whether this call created it.
   * @throws RepositoryError UNKNOWN_REPOSITORY when the repository is not registered (no row is
   *   written, no workflow started; checked by the row's foreign key, so only for a new ticket)
   */
  async create(input: NewTicket): Promise<{ ticket: Ticket; created: boolean }> {
    // No read first: the upsert on externalId returns an existing row unchanged.
    const id = randomUUID();
    const repositoryName = input.repository ?? this.options.defaultRepository;
    const data: Prisma.TicketUncheckedCreateInput = {
      id,
      externalId: input.externalId,
      title: input.title,
      description: input.description ?? '',
      priority: input.priority ?? 'MEDIUM',
      labels: input.labels ?? [],
      acceptanceCriteria: input.acceptanceCriteria ?? [],
      policy: input.policy ?? 'auto',
      sourceUrl: input.sourceUrl,
      repositoryName,
      phaseId: Phase.BACKLOG,
      status: statusForPhase(Phase.BACKLOG),
      workflowId: ticketWorkflowId(id),
    };
    const ticket = await (
      input.externalId ? this.prisma.ticket.upsert({ where: { externalId: input.externalId }, create: data, update: {} }) : this.prisma.ticket.create({ data })
    ).catch((error: unknown) => {
      throw repositoryName !== undefined && isMissingRepository(error) ? unknownRepository(repositoryName) : error;
    });
    const created = ticket.id === id;
    await this.startWorkflow(ticket);
    return { ticket, created };
  }

  private async startWorkflow(ticket: Ticket): Promise<void> {
    try {
      await this.temporal.workflow.start<typeof ticketWorkflow>('ticketWorkflow', {
        workflowId: ticket.workflowId,
        taskQueue: this.taskQueue,
        args: [{ ticketId: ticket.id, settings: { ...this.settings, policy: ticket.policy as TicketPolicy } }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: TicketPhase, value: Phase.BACKLOG },
          { key: TicketPriority, value: ticket.priority },
          { key: TicketStatusAttribute, value: statusForPhase(Phase.BACKLOG) },
        ],
        memo: { title: ticket.title, externalId: ticket.externalId },
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** The ticket row. @throws TicketNotFoundError */
  async get(ticketId: string): Promise<Ticket> {
    const ticket = isUuid(ticketId) ? await this.prisma.ticket.findUnique({ where: { id: ticketId } }) : null;
    if (!ticket) throw new TicketNotFoundError(ticketId);
    return ticket;
  }

  /**
   * The persisted ticket with what its agent executions used (`GET /tickets/:id`, issue 10):
   * `usage.total` and `usage.byPhase` (see {@link ticketUsage}). @throws TicketNotFoundError
   */
  async detail(ticketId: string): Promise<Ticket & { usage: TicketUsage }> {
    const ticket = await this.get(ticketId);
    return { ...ticket, usage: await ticketUsage(this.prisma, ticket.id) };
  }

  /** A page of tickets, newest first, with the total matching count. */
  async list(query: TicketListQuery): Promise<{ items: Ticket[]; total: number }> {
    const where: Prisma.TicketWhereInput = { phaseId: query.phase, status: query.status, priority: query.priority };
    const [items, total] = await this.prisma.$transaction([
      this.prisma.ticket.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: query.limit, skip: query.offset }),
      this.prisma.ticket.count({ where }),
    ]);
    return { items, total };
  }

  /** Live state from the workflow (`getState` query). @throws TicketNotFoundError */
  async state(ticketId: string): Promise<TicketWorkflowState> {
    return this.withWorkflow(ticketId, (handle) => handle.query(getStateQuery));
  }

  /** Phases reachable now, from the workflow. @throws TicketNotFoundError */
  async validTransitions(ticketId: string): Promise<Phase[]> {
    return this.withWorkflow(ticketId, (handle) => handle.query(getValidTransitionsQuery));
  }

  /** Persisted phase history, oldest first (the ticket row is read only when there is none). @throws TicketNotFoundError */
  async phaseHistory(ticketId: string): Promise<PhaseHistory[]> {
    if (!isUuid(ticketId)) throw new TicketNotFoundError(ticketId);
    const items = await this.prisma.phaseHistory.findMany({ where: { ticketId }, orderBy: { sequence: 'asc' } });
    if (items.length === 0) await this.get(ticketId);
    return items;
  }

  /**
   * Transitions through the workflow's update; resolves once the transition is persisted. Sent
   * straight to the workflow `ticket-<id>` without reading the row first (issue 8 §2); the row is
   * read only when that workflow is not running, to say why.
   *
   * @throws TicketNotFoundError, InvalidTransitionError (refused by the state machine or a gate
   *   that has not passed, or the ticket's workflow has completed at PHASE_DONE or was cancelled),
   *   TransitionPendingError (the update's call timed out or was cancelled: repeat with the same
   *   request ID for the outcome).
   */
  async transition(ticketId: string, request: TransitionRequest): Promise<TicketWorkflowState> {
    return this.withOpenWorkflow(ticketId, request, async (handle) => {
      try {
        return await handle.executeUpdate(transitionUpdate, { args: [request] });
      } catch (error) {
        const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
        if (cause instanceof ApplicationFailure && (cause.type === INVALID_TRANSITION || cause.type === GATE_NOT_PASSED)) {
          throw new InvalidTransitionError(cause.message, cause.details?.[0] as InvalidTransitionDetails, cause.type);
        }
        if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw new TransitionPendingError(ticketId, request.requestId);
        throw error;
      }
    });
  }

  /**
   * Sends the fire-and-forget `transition` signal; the workflow validates it and records a
   * rejection if it is invalid. Like {@link transition}, reads the row only when the workflow is
   * not running. @throws TicketNotFoundError, InvalidTransitionError (ticket done or cancelled)
   */
  async signalTransition(ticketId: string, request: TransitionRequest): Promise<void> {
    await this.withOpenWorkflow(ticketId, request, (handle) => handle.signal(transitionSignal, request));
  }

  /**
   * Changes the ticket's row (PATCH /tickets/:id, issue 11). When the change can answer a block for
   * clarification (`acceptanceCriteria` or `description`) and the workflow is blocked with cause
   * `needs_clarification`, sends it the `ticketUpdated` signal: it runs the blocked phase again with
   * a new run (whose tasks read the changed row), recording `updatedBy` on the transition.
   *
   * @returns the changed row, and whether a block for clarification was resumed
   * @throws TicketNotFoundError; TicketNotActiveError when it is done or cancelled
   */
  async update(ticketId: string, changes: TicketChanges, updatedBy: string): Promise<{ ticket: Ticket; resumed: boolean }> {
    const current = await this.get(ticketId);
    if (isTerminal(current.phaseId as Phase) || current.status === TicketStatus.CANCELLED)
      throw new TicketNotActiveError(current.id, current.status, 'changed');
    const ticket = await this.prisma.ticket.update({ where: { id: current.id }, data: changes });
    const answers = changes.acceptanceCriteria !== undefined || changes.description !== undefined;
    if (!answers || ticket.status !== TicketStatus.BLOCKED) return { ticket, resumed: false };
    const handle = this.temporal.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId);
    const state = await handle.query(getStateQuery);
    if (state.blocked?.cause !== 'needs_clarification') return { ticket, resumed: false };
    const fields = Object.keys(changes).filter((field) => changes[field as keyof TicketChanges] !== undefined);
    await handle.signal(ticketUpdatedSignal, { fields, updatedBy, requestId: randomUUID() });
    return { ticket, resumed: true };
  }

  /**
   * Cancels the ticket (signal `cancelTicket`): its phase work stops, agent processes are killed,
   * and it ends in status `cancelled` with the reason.
   *
   * @throws TicketNotFoundError; TicketNotActiveError when it is done or already cancelled
   */
  async cancel(ticketId: string, reason: string, requestedBy: string): Promise<void> {
    const ticket = await this.get(ticketId);
    if (isTerminal(ticket.phaseId as Phase) || ticket.status === TicketStatus.CANCELLED) throw new TicketNotActiveError(ticket.id, ticket.status);
    await this.temporal.workflow.getHandle<typeof ticketWorkflow>(ticket.workflowId).signal(cancelTicketSignal, { reason, requestedBy });
  }

  /**
   * Calls `send` on the ticket's running workflow (ID derived from the ticket ID, no database read).
   * When the workflow is not running (WorkflowNotFoundError) the row says why: no such ticket (404),
   * or a ticket persisted at PHASE_DONE or cancelled, refused with the lifecycle's reason.
   *
   * @throws TicketNotFoundError, InvalidTransitionError; whatever `send` throws
   */
  private async withOpenWorkflow<T>(
    ticketId: string,
    request: TransitionRequest,
    send: (handle: WorkflowHandle<typeof ticketWorkflow>) => Promise<T>,
  ): Promise<T> {
    return this.withWorkflow(ticketId, send, async (notFound) => {
      const ticket = await this.get(ticketId);
      const refused = (reason: string) =>
        new InvalidTransitionError(reason, { fromPhase: ticket.phaseId as Phase, toPhase: request.toPhase, validTransitions: [], blockingReasons: [] });
      if (ticket.status === TicketStatus.CANCELLED) throw refused(`ticket was cancelled (${ticket.cancelReason ?? 'no reason'}); no transition is possible`);
      if (isTerminal(ticket.phaseId as Phase)) throw refused(transitionRefusal(ticket.phaseId as Phase, request.toPhase) ?? 'ticket is done');
      throw notFound;
    });
  }

  /**
   * Calls `ask` on the ticket's workflow (ID derived from the ticket ID, no database read). When
   * the workflow is not running, `notRunning` decides what to throw (default: a missing ticket).
   *
   * @throws TicketNotFoundError; whatever `ask` or `notRunning` throws
   */
  private async withWorkflow<T>(
    ticketId: string,
    ask: (handle: WorkflowHandle<typeof ticketWorkflow>) => Promise<T>,
    notRunning: (error: WorkflowNotFoundError) => Promise<never> = () => Promise.reject(new TicketNotFoundError(ticketId)),
  ): Promise<T> {
    if (!isUuid(ticketId)) throw new TicketNotFoundError(ticketId);
    try {
      return await ask(this.temporal.workflow.getHandle<typeof ticketWorkflow>(ticketWorkflowId(ticketId)));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return notRunning(error);
      throw error;
    }
  }
}
