/**
 * Task queue names. Agent task executions (`executeTask`) run on their own queue beside the
 * ticket queue, served by a worker whose activity slots are the global limit on agent tasks
 * running at once across all tickets (seed 004, milestone 3.3). Pure: the workflow imports it.
 */

/** The queue of agent task executions for the ticket queue `ticketQueue`: `<ticketQueue>-agents`. */
export function agentTaskQueue(ticketQueue: string): string {
  return `${ticketQueue}-agents`;
}

/** The queue of the registered agent `name` for the ticket queue `ticketQueue`: `<ticketQueue>-agent-<name>`. */
export function registeredAgentQueue(ticketQueue: string, name: string): string {
  return `${ticketQueue}-agent-${name}`;
}
