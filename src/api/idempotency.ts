/**
 * `Idempotency-Key` for every POST endpoint: the first response to a request carrying a key is
 * stored (table `idempotency_keys`) and a repeat of the same request with that key gets the same
 * status and body back (header `Idempotent-Replayed: true`) without doing anything again. The same
 * key with a different request (method, URL or body) is refused with 422
 * `IDEMPOTENCY_KEY_REUSED`; a repeat while the first is still being handled gets 409
 * `IDEMPOTENCY_KEY_IN_USE`. A 5xx answer is not stored, so the client may retry with the same key.
 */
import { createHash } from 'node:crypto';
import type { Prisma, PrismaClient } from '@prisma/client';
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

/** The request header clients set. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/** Builds the middleware; mount it after the JSON body parser. */
export function idempotency(prisma: PrismaClient): RequestHandler {
  return async (req, res, next) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (req.method !== 'POST' || key === undefined) return next();
    if (!VALID_KEY.test(key)) {
      throw new ApiError('VALIDATION_FAILED', `${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters`, { header: IDEMPOTENCY_HEADER });
    }
    const fingerprint = createHash('sha256')
      .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    const { count } = await prisma.idempotencyKey.createMany({ data: [{ key, fingerprint }], skipDuplicates: true });
    if (count === 0) {
      const first = await prisma.idempotencyKey.findUnique({ where: { key } });
      if (first && first.fingerprint !== fingerprint) {
        throw new ApiError('IDEMPOTENCY_KEY_REUSED', `${IDEMPOTENCY_HEADER} ${key} was used for a different request`, { key });
      }
      if (!first || first.status === null) {
        throw new ApiError('IDEMPOTENCY_KEY_IN_USE', `a request with ${IDEMPOTENCY_HEADER} ${key} is still being handled; retry later`, { key });
      }
      res.set('Idempotent-Replayed', 'true').status(first.status).json(first.body);
      return;
    }
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const stored =
        status >= 500
          ? prisma.idempotencyKey.delete({ where: { key } })
          : prisma.idempotencyKey.update({ where: { key }, data: { status, body: (body ?? null) as Prisma.InputJsonValue } });
      // The answer goes out once it is stored, so a repeat that follows it is always replayed.
      stored.then(
        () => send(body),
        () => send(body),
      );
      return res;
    };
    next();
  };
}
