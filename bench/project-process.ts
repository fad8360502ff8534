/**
 * Child process of the benchmark: the project's own stack (src/stack.ts: migrations, worker and
 * REST API in this one process) on the PostgreSQL and Temporal dev server the benchmark started
 * (`DATABASE_URL`, `TEMPORAL_ADDRESS`: both reused, never started here), configured entirely by
 * environment variables (src/config.ts). Sends `{ ready: { apiUrl } }` over IPC once the API
 * listens; stops the stack when the benchmark closes the channel.
 */
import { loadConfig } from '../src/platform/config';
import { createLogger } from '../src/platform/logger';
import { startStack } from '../src/stack';
import { reportReadyAndStopWithParent } from '../src/platform/child-process';

/** What the project stack process reports when ready. */
export interface ProjectStackReady {
  /** Base URL of the REST API, e.g. `http://127.0.0.1:39123/api/v1`. */
  apiUrl: string;
}

/** Starts the stack from the environment's configuration and reports it ready. */
async function main(): Promise<void> {
  const config = loadConfig();
  const stack = await startStack(config, createLogger(config.LOG_LEVEL));
  reportReadyAndStopWithParent<ProjectStackReady>({ apiUrl: stack.apiUrl }, () => stack.stop());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
