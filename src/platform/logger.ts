/** The process logger (pino: structured JSON, or pretty lines when piped to pino-pretty). */
import pino from 'pino';

/** Creates the root logger at `level` ("info" by default). */
export function createLogger(level = 'info'): pino.Logger {
  return pino({ level, base: undefined });
}

export type Logger = pino.Logger;
