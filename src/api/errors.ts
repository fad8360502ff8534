/**
 * The API's one error body, `{ "error": { "code", "message", "details" } }`, and the middleware
 * that maps every failure to it. Codes are stable and machine-readable.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AgentNotFoundError } from '../agents/registry';
import { PromptTemplateError } from '../agents/prompt-templates';
import { GATE_NOT_PASSED } from '../ticket/transition';
import { PhaseWorkError } from '../phase-work/errors';
import { RepositoryError } from '../repositories/store';
import { InvalidTransitionError, TicketNotActiveError, TicketNotFoundError, TransitionPendingError } from '../ticket/client';
import type { Logger } from '../platform/logger';

/** Machine-readable error codes and their HTTP statuses. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  TICKET_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  TEMPLATE_NOT_FOUND: 404,
  PROMPT_TEMPLATE_NOT_FOUND: 404,
  REPOSITORY_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  GATE_NOT_PASSED: 409,
  TASK_NOT_AWAITING_CALLBACK: 409,
  TASK_NOT_CANCELLABLE: 409,
  TICKET_NOT_ACTIVE: 409,
  TASK_NOT_PENDING: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  TEMPLATE_EXISTS: 409,
  PHASE_NOT_ENTERED: 409,
  REPOSITORY_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  INVALID_DEPENDENCY: 422,
  DEPENDENCY_CYCLE: 422,
  UNKNOWN_REPOSITORY: 422,
  INVALID_PROMPT_TEMPLATE: 422,
  SERVICE_UNAVAILABLE: 503,
  TRANSITION_PENDING: 504,
  INTERNAL: 500,
} as const;

/**
 * Seconds a client should wait before retrying after a 503 or 504 (the `Retry-After` header): long
 * enough for a restarting dev server or a drained queue, short enough for an interactive caller.
 */
export const RETRY_AFTER_SECONDS = 2;

/** One of the {@link ERROR_STATUS} codes. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** An error that already knows its API code. Throw it from a route. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) {
    const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message, code: issue.code }));
    return new ApiError('VALIDATION_FAILED', `invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, { issues });
  }
  if (error instanceof TicketNotFoundError) return new ApiError('TICKET_NOT_FOUND', error.message, { ticketId: error.ticketId });
  if (error instanceof InvalidTransitionError) {
    return new ApiError(error.code === GATE_NOT_PASSED ? 'GATE_NOT_PASSED' : 'INVALID_TRANSITION', error.message, { ...error.details });
  }
  if (error instanceof AgentNotFoundError) return new ApiError('AGENT_NOT_FOUND', error.message, { agentId: error.agentId });
  if (error instanceof TicketNotActiveError) return new ApiError('TICKET_NOT_ACTIVE', error.message, { ticketId: error.ticketId, status: error.status });
  if (error instanceof PhaseWorkError) return new ApiError(error.code, error.message, error.details);
  if (error instanceof RepositoryError) return new ApiError(error.code, error.message, error.details);
  if (error instanceof PromptTemplateError) return new ApiError(error.code, error.message, error.details);
  if (error instanceof TransitionPendingError) {
    return new ApiError('TRANSITION_PENDING', error.message, { ticketId: error.ticketId, requestId: error.requestId });
  }
  // An update call that timed out elsewhere than a transition (whose client names the request ID).
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
    return new ApiError('TRANSITION_PENDING', 'the workflow update was sent but its answer did not arrive in time');
  const { type, status } = error as { type?: string; status?: number };
  if (type === 'entity.parse.failed') return new ApiError('INVALID_JSON', 'request body is not valid JSON');
  if (type === 'entity.too.large') return new ApiError('PAYLOAD_TOO_LARGE', 'request body is too large', { limitBytes: (error as { limit?: number }).limit });
  if (status === 415 || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'unsupported request encoding');
  }
  // Any other client error Express or the body parser raised (a malformed URL escape, a corrupt gzip body, ...).
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError('BAD_REQUEST', (error as Error).message || 'bad request', { status });
  if (isUnavailable(error)) return new ApiError('SERVICE_UNAVAILABLE', 'a backing service (Temporal or PostgreSQL) is unreachable or overloaded; retry later');
  return new ApiError('INTERNAL', 'internal error');
}

/**
 * Prisma codes of an unreachable, dropped or overloaded database: can't reach, operation timed out,
 * closed connection, pool timeout, transaction timed out.
 */
const DATABASE_UNAVAILABLE = ['P1001', 'P1008', 'P1017', 'P2024', 'P2028'];

/**
 * PostgreSQL SQLSTATEs of a database deadline or overload: query_canceled (statement or lock
 * timeout), too_many_connections, admin_shutdown, cannot_connect_now.
 */
const POSTGRES_UNAVAILABLE = ['57014', '53300', '57P01', '57P03'];

/** gRPC statuses of an unreachable or overloaded Temporal frontend, or a call past its deadline. */
const GRPC_UNAVAILABLE: readonly number[] = [GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.RESOURCE_EXHAUSTED];

/** The error and its causes, outermost first (at most 5 deep). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current != null && chain.length < 5; current = (current as { cause?: unknown }).cause) chain.push(current);
  return chain;
}

/**
 * Whether a backing service failed rather than the request: a Temporal call that failed with gRPC
 * UNAVAILABLE, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED (on its own or as the cause of the client's
 * `ServiceError`), or an unreachable, timed-out or overloaded PostgreSQL, including a connection
 * dropped under a query in flight (pg's plain "Connection terminated unexpectedly") and a pool
 * that gave up waiting for a connection.
 */
export function isUnavailable(error: unknown): boolean {
  return causes(error).some((cause) => {
    if (isGrpcServiceError(cause)) return GRPC_UNAVAILABLE.includes(cause.code);
    const { code, name, message } = (cause ?? {}) as { code?: unknown; name?: string; message?: string };
    return (
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      DATABASE_UNAVAILABLE.includes(code as string) ||
      POSTGRES_UNAVAILABLE.includes(code as string) ||
      name === 'PrismaClientInitializationError' ||
      /Connection terminated|timeout exceeded when trying to connect/.test(message ?? '')
    );
  });
}

/** 404 for any route that matched nothing. */
export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError('ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`, { method: req.method, path: req.path }));
};

/**
 * Terminal error middleware: logs server errors, answers with {@link ErrorBody}; a 503 or 504 also
 * carries `Retry-After: {@link RETRY_AFTER_SECONDS}`.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const apiError = toApiError(error);
    const status = ERROR_STATUS[apiError.code];
    if (status >= 500) log.error({ err: error, method: req.method, path: req.path }, 'request failed');
    const body: ErrorBody = { error: { code: apiError.code, message: apiError.message, details: apiError.details } };
    if (status === 503 || status === 504) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(status).json(body);
  };
}
