/**
 * The load driver: a fixed number of concurrent in-process clients, each taking the next request
 * from a shared counter until `count` requests were made (a closed loop: a client sends its next
 * request when the previous one answered). Latencies are wall-clock ms per request; a request that
 * throws (an HTTP status other than the expected one, a Temporal error, a timeout) is a failure and
 * its latency is left out. Percentiles are exact, by sorting (nearest rank): at these sample sizes
 * (≤ a few thousand) that is cheaper and simpler than a histogram library.
 */
import { performance } from 'node:perf_hooks';

/** Latency summary of one side of a row, ms. */
export interface LatencySummary {
  /** Requests made. */
  count: number;
  /** Requests that failed (not in the percentiles). */
  failures: number;
  /** Up to 5 distinct failure messages. */
  failureSamples: string[];
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Wall time of the whole load, ms. */
  wallMs: number;
  /** Successful requests per second over the wall time. */
  throughputPerS: number;
  /** The slowest successful request: its index and when it was sent (epoch ms). */
  slowest?: { index: number; sentAtMs: number; latencyMs: number };
}

/** The nearest-rank percentile `p` (0–100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Summarizes latencies (ms), failures and the wall time of a load (and its slowest request, if known). */
export function summarize(latencies: number[], failureMessages: string[], wallMs: number, slowest?: LatencySummary['slowest']): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length + failureMessages.length,
    failures: failureMessages.length,
    failureSamples: [...new Set(failureMessages)].slice(0, 5),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    wallMs,
    throughputPerS: wallMs > 0 ? (sorted.length * 1000) / wallMs : 0,
    ...(slowest && { slowest }),
  };
}

/**
 * Runs `request(i)` for i = 0 … count-1 with `concurrency` clients at once.
 *
 * @param request one request; resolves on success, throws on failure (message recorded)
 * @returns the latency summary
 */
export async function runLoad(count: number, concurrency: number, request: (index: number) => Promise<unknown>): Promise<LatencySummary> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let slowest: LatencySummary['slowest'];
  let next = 0;
  const started = performance.now();
  const client = async () => {
    for (let index = next++; index < count; index = next++) {
      const sent = performance.now();
      const sentAtMs = Date.now();
      try {
        await request(index);
        const latencyMs = performance.now() - sent;
        latencies.push(latencyMs);
        if (!slowest || latencyMs > slowest.latencyMs) slowest = { index, sentAtMs, latencyMs };
      } catch (error) {
        failures.push(error instanceof Error ? error.message.slice(0, 200) : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, client));
  return summarize(latencies, failures, performance.now() - started, slowest);
}
