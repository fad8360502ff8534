/**
 * Patch IDs of changes to the ticket workflow's commands (`patched(id)` from
 * @temporalio/workflow): histories recorded before a change replay its old branch. See the README,
 * "Long-lived tickets and changing workflow code safely".
 */

/**
 * Issue 8 §2, fewer events and a faster answer per transition: a phase run's work starts only once
 * the transition that entered it is persisted (the update is answered in the workflow task after
 * `recordTransition`, never after phase-work activities), and a gate round collects the artifacts
 * inside `planValidationTask` or `validateGate` instead of its own `collectArtifacts` activity.
 */
export const FAST_TRANSITIONS_PATCH = 'issue-8-fast-transitions';

/**
 * Issue 8 §1, a resource wait bounded in history events whatever its length: when the history is
 * due to continue as new while every running task of a phase run waits for a resource, the waits
 * stop (their tasks stay pending, no outcome recorded), the phase work returns `suspended` and the
 * ticket continues as new, resuming the same phase run. Histories recorded before it never suspend.
 */
export const RESOURCE_WAIT_SUSPEND_PATCH = 'issue-8-resource-wait-suspend';

/**
 * Issue 11, "Stalled tickets": a ticket whose settings set SLAs watches each phase entry with a
 * durable timer and escalates an overstay (workflows/ticket/sla.ts). Histories recorded before it
 * never start the watch.
 */
export const SLA_ESCALATION_PATCH = 'issue-11-sla-escalation';
