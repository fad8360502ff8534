/**
 * The API's one error body, `{ "error": { "code", "message", "details" } }`, and the middleware
 * that maps every failure to it. Codes are stable and machine-readable.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { AgentNotFoundError } from '../agents/registry';
import { GATE_NOT_PASSED } from '../ticket/transition';
import { PhaseWorkError } from '../phase-work/errors';
import { InvalidTransitionError, TicketNotActiveError, TicketNotFoundError } from '../ticket/client';
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
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  INVALID_DEPENDENCY: 422,
  DEPENDENCY_CYCLE: 422,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

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
  const { type, status } = error as { type?: string; status?: number };
  if (type === 'entity.parse.failed') return new ApiError('INVALID_JSON', 'request body is not valid JSON');
  if (type === 'entity.too.large') return new ApiError('PAYLOAD_TOO_LARGE', 'request body is too large', { limitBytes: (error as { limit?: number }).limit });
  if (status === 415 || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'unsupported request encoding');
  }
  // Any other client error Express or the body parser raised (a malformed URL escape, a corrupt gzip body, ...).
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError('BAD_REQUEST', (error as Error).message || 'bad request', { status });
  if (isUnavailable(error)) return new ApiError('SERVICE_UNAVAILABLE', 'a backing service (Temporal or PostgreSQL) is unreachable; retry later');
  return new ApiError('INTERNAL', 'internal error');
}

/** Prisma codes of an unreachable or dropped database: can't reach, closed connection, pool timeout. */
const DATABASE_UNAVAILABLE = ['P1001', 'P1017', 'P2024'];

/**
 * Connection-level failures of Temporal (gRPC UNAVAILABLE) or PostgreSQL, including a connection
 * dropped under a query in flight (pg's plain "Connection terminated unexpectedly").
 */
function isUnavailable(error: unknown): boolean {
  const { code, name, message } = (error ?? {}) as { code?: unknown; name?: string; message?: string };
  const grpcCode = (error as { cause?: { code?: number } })?.cause?.code ?? code;
  return (
    (name === 'ServiceError' && grpcCode === 14) ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    DATABASE_UNAVAILABLE.includes(code as string) ||
    name === 'PrismaClientInitializationError' ||
    /Connection terminated/.test(message ?? '')
  );
}

/** 404 for any route that matched nothing. */
export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiError('ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`, { method: req.method, path: req.path }));
};

/** Terminal error middleware: logs server errors, answers with {@link ErrorBody}. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const apiError = toApiError(error);
    const status = ERROR_STATUS[apiError.code];
    if (status >= 500) log.error({ err: error, method: req.method, path: req.path }, 'request failed');
    const body: ErrorBody = { error: { code: apiError.code, message: apiError.message, details: apiError.details } };
    res.status(status).json(body);
  };
}
