/**
 * Custom search attributes of ticket workflows, so a ticket can be found in the Temporal Web UI
 * and with `temporal workflow list --query 'TicketPhase="PHASE_TESTING"'`.
 * Imported by the workflow (set and upsert), the client (list queries) and server set-up
 * (registration); depends on @temporalio/common only, which the workflow sandbox allows.
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/** The ticket's current phase, e.g. `PHASE_TESTING` (Keyword). */
export const TicketPhase = defineSearchAttributeKey('TicketPhase', SearchAttributeType.KEYWORD);

/** The ticket's priority, e.g. `HIGH` (Keyword). */
export const TicketPriority = defineSearchAttributeKey('TicketPriority', SearchAttributeType.KEYWORD);

/** The ticket's status, derived from its phase: `open`, `in_progress`, `blocked` or `done` (Keyword). */
export const TicketStatusAttribute = defineSearchAttributeKey('TicketStatus', SearchAttributeType.KEYWORD);

/** Every custom search attribute the orchestrator registers on its namespace. */
export const TICKET_SEARCH_ATTRIBUTES = [TicketPhase, TicketPriority, TicketStatusAttribute];
