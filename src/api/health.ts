/** Liveness and readiness endpoints (outside /api/v1, as load balancers expect). */
import { Router } from 'express';
import type { PrismaClient } from '@prisma/client';
import type { Client } from '@temporalio/client';

const CHECK_TIMEOUT_MS = 2000;

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Builds the health router. */
export function healthRouter(prisma: PrismaClient, temporal: Client): Router {
  const router = Router();

  /** GET /healthz — the process is up. Always 200 `{ status: "ok" }`. */
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /**
   * GET /readyz — Temporal and PostgreSQL both answer (each within 2 s).
   * 200 `{ status: "ready", checks }`; 503 `{ error: { code: "SERVICE_UNAVAILABLE", details: { checks } } }`.
   */
  router.get('/readyz', async (_req, res) => {
    const [database, temporalCheck] = await Promise.all([check(() => prisma.$queryRaw`SELECT 1`), check(() => temporal.workflowService.getSystemInfo({}))]);
    const checks = { database, temporal: temporalCheck };
    if (database.ok && temporalCheck.ok) {
      res.json({ status: 'ready', checks });
    } else {
      res.status(503).json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'not ready', details: { checks } } });
    }
  });

  return router;
}
