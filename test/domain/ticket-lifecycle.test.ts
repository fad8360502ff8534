import fc from 'fast-check';
import { ALL_PHASES, Phase, canTransition } from '../../src/domain/phases';
import { TicketLifecycle } from '../../src/domain/ticket-lifecycle';

const NOW = '2026-01-01T00:00:00.000Z';

describe('TicketLifecycle', () => {
  it('accepts a valid transition, records it and moves the phase', () => {
    const lifecycle = TicketLifecycle.start('t1');
    const outcome = lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'r1', reason: 'go' }, 'update', NOW);
    expect(outcome).toEqual({
      accepted: true,
      record: {
        sequence: 1,
        requestId: 'r1',
        fromPhase: Phase.BACKLOG,
        toPhase: Phase.REQUIREMENTS,
        reason: 'go',
        transitionedBy: 'system',
        occurredAt: NOW,
      },
    });
    expect(lifecycle.state()).toMatchObject({
      phase: Phase.REQUIREMENTS,
      previousPhase: Phase.BACKLOG,
      status: 'in_progress',
      transitionCount: 1,
      rejectedCount: 0,
      validTransitions: [Phase.DESIGN, Phase.BLOCKED],
    });
  });

  it('rejects an invalid transition with the reason and valid targets, and keeps the phase', () => {
    const lifecycle = TicketLifecycle.start('t1');
    const outcome = lifecycle.apply({ toPhase: Phase.DONE, requestId: 'r1' }, 'signal', NOW);
    expect(outcome.accepted).toBe(false);
    if (outcome.accepted) return;
    expect(outcome.rejection.reason).toContain('PHASE_BACKLOG cannot move to PHASE_DONE');
    expect(outcome.rejection.validTransitions).toEqual([Phase.REQUIREMENTS]);
    expect(outcome.rejection.via).toBe('signal');
    expect(lifecycle.state()).toMatchObject({ phase: Phase.BACKLOG, transitionCount: 0, rejectedCount: 1 });
  });

  it('refuses a target that is not a phase', () => {
    const lifecycle = TicketLifecycle.start('t1');
    expect(lifecycle.refusalReason({ toPhase: 'PHASE_NOPE' as Phase, requestId: 'x' })).toContain('"PHASE_NOPE" is not a phase');
  });

  it('applies a repeated request ID once and returns the first outcome', () => {
    const lifecycle = TicketLifecycle.start('t1');
    const first = lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'same' }, 'update', NOW);
    const again = lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'same' }, 'update', NOW);
    expect(again).toBe(first);
    expect(lifecycle.state().transitionCount).toBe(1);
    expect(lifecycle.refusalReason({ toPhase: Phase.REQUIREMENTS, requestId: 'same' })).toBeUndefined();
    expect(lifecycle.refusalReason({ toPhase: Phase.REQUIREMENTS, requestId: 'other' })).toContain('cannot move');
  });

  it('is terminal at DONE', () => {
    const lifecycle = TicketLifecycle.start('t1', Phase.DEPLOYMENT);
    lifecycle.apply({ toPhase: Phase.DONE, requestId: 'a' }, 'update', NOW);
    expect(lifecycle.isDone).toBe(true);
    expect(lifecycle.refusalReason({ toPhase: Phase.BLOCKED, requestId: 'b' })).toContain('terminal phase PHASE_DONE');
    expect(lifecycle.state().status).toBe('done');
  });

  it('keeps sequence numbers dense and history consistent over random request streams', () => {
    const request = fc.record({ toPhase: fc.constantFrom(...ALL_PHASES), requestId: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h') });
    fc.assert(
      fc.property(fc.array(request, { maxLength: 60 }), (requests) => {
        const lifecycle = TicketLifecycle.start('t');
        let phase: Phase = Phase.BACKLOG;
        const seen = new Set<string>();
        for (const r of requests) {
          const outcome = lifecycle.apply(r, 'update', NOW);
          if (!seen.has(r.requestId)) {
            expect(outcome.accepted).toBe(canTransition(phase, r.toPhase));
            if (outcome.accepted) phase = r.toPhase;
          }
          seen.add(r.requestId);
        }
        const history = lifecycle.history();
        expect(history.map((h) => h.sequence)).toEqual(history.map((_, i) => i + 1));
        expect(new Set(history.map((h) => h.requestId)).size).toBe(history.length);
        history.forEach((h, i) => {
          expect(canTransition(h.fromPhase, h.toPhase)).toBe(true);
          if (i > 0) expect(h.fromPhase).toBe(history[i - 1]!.toPhase);
        });
        expect(lifecycle.phase).toBe(phase);
      }),
    );
  });
});
