/** Default locations in the project's checkout, shared by the process configuration and the orchestrator configuration file. */
import path from 'node:path';

/** Default of DATA_DIR: `.data` in the checkout (what `${DATA_DIR}` in a configured repository URL stands for unless given). */
export const DEFAULT_DATA_DIR = path.resolve(__dirname, '..', '..', '.data');
