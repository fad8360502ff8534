/** Workflow entry point bundled by the worker: every workflow type the orchestrator runs. */
export { ticketWorkflow } from './ticket/ticket-workflow';
export type { TicketWorkflowInput } from './ticket/ticket-workflow';
