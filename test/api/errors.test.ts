/**
 * The error mapper (issue 8 §2): overload and deadlines of Temporal or PostgreSQL are answered 503
 * SERVICE_UNAVAILABLE with Retry-After, never 500; an update whose call timed out is 504
 * TRANSITION_PENDING with the request ID. Constructed errors, each thrown by a route of a tiny app.
 */
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import express from 'express';
import request from 'supertest';
import { RETRY_AFTER_SECONDS, errorHandler } from '../../src/api/errors';
import { createLogger } from '../../src/platform/logger';
import { TransitionPendingError } from '../../src/ticket/client';

/** A gRPC error as @grpc/grpc-js raises it (what `isGrpcServiceError` recognizes). */
function grpcError(code: GrpcStatus, details: string): Error {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

/** Answers GET / by throwing `error` through the API's error handler. */
async function answer(error: unknown) {
  const app = express();
  app.get('/', () => {
    throw error;
  });
  app.use(errorHandler(createLogger('silent')));
  return request(app).get('/');
}

const prismaError = (code: string) => Object.assign(new Error(`prisma ${code}`), { name: 'PrismaClientKnownRequestError', code });
const postgresError = (code: string) => Object.assign(new Error(`postgres ${code}`), { code });

it.each([
  [
    'a query past its deadline (gRPC DEADLINE_EXCEEDED, wrapped in ServiceError)',
    new ServiceError('query failed', { cause: grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline Exceeded') }),
  ],
  [
    'an unreachable Temporal (gRPC UNAVAILABLE, wrapped)',
    new ServiceError('unavailable', { cause: grpcError(GrpcStatus.UNAVAILABLE, 'No connection established') }),
  ],
  ['an overloaded Temporal (gRPC RESOURCE_EXHAUSTED, raw)', grpcError(GrpcStatus.RESOURCE_EXHAUSTED, 'namespace rate limit exceeded')],
  ['a raw DEADLINE_EXCEEDED', grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline Exceeded')],
  ['a Prisma pool timeout (P2024)', prismaError('P2024')],
  ['a Prisma operation timeout (P1008)', prismaError('P1008')],
  ['a Prisma transaction timeout (P2028)', prismaError('P2028')],
  ['a PostgreSQL statement timeout (57014)', postgresError('57014')],
  ['PostgreSQL out of connections (53300)', postgresError('53300')],
  ['a pg pool that gave up connecting', new Error('timeout exceeded when trying to connect')],
  ['a dropped database connection', new Error('Connection terminated unexpectedly')],
])('answers %s with 503 SERVICE_UNAVAILABLE and Retry-After', async (_what, error) => {
  const response = await answer(error);
  expect(response.status).toBe(503);
  expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
  expect(response.body).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String), details: {} } });
});

it('answers an update whose call timed out with 504 TRANSITION_PENDING, the request ID and Retry-After', async () => {
  const response = await answer(new TransitionPendingError('4b1c2c51-8a38-4c47-9d44-1f4f0e2b1c7a', 'req-42'));
  expect(response.status).toBe(504);
  expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
  expect(response.body).toEqual({
    error: {
      code: 'TRANSITION_PENDING',
      message: expect.stringContaining('req-42'),
      details: { ticketId: '4b1c2c51-8a38-4c47-9d44-1f4f0e2b1c7a', requestId: 'req-42' },
    },
  });
});

it('answers an update call that timed out outside a transition with 504 TRANSITION_PENDING', async () => {
  const response = await answer(
    new WorkflowUpdateRPCTimeoutOrCancelledError('timed out', { cause: grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline Exceeded') }),
  );
  expect(response.status).toBe(504);
  expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
  expect(response.body.error.code).toBe('TRANSITION_PENDING');
});

it.each([
  ['a gRPC error that is not overload (INVALID_ARGUMENT)', new ServiceError('bad', { cause: grpcError(GrpcStatus.INVALID_ARGUMENT, 'bad argument') })],
  ['a plain bug', new TypeError('undefined is not a function')],
])('answers %s with 500 INTERNAL and no Retry-After', async (_what, error) => {
  const response = await answer(error);
  expect(response.status).toBe(500);
  expect(response.headers['retry-after']).toBeUndefined();
  expect(response.body.error.code).toBe('INTERNAL');
});
