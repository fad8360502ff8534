import fc from 'fast-check';
import { ALL_PHASES, Phase, canTransition } from '../../src/ticket/phases';
import { TicketLifecycle } from '../../src/ticket/lifecycle';
import { GATE_NOT_PASSED } from '../../src/ticket/transition';

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
    expect(lifecycle.refusal({ toPhase: 'PHASE_NOPE' as Phase, requestId: 'x' })?.reason).toContain('"PHASE_NOPE" is not a phase');
  });

  it('applies a repeated request ID once and returns the first outcome', () => {
    const lifecycle = TicketLifecycle.start('t1');
    const first = lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'same' }, 'update', NOW);
    const again = lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'same' }, 'update', NOW);
    expect(again).toBe(first);
    expect(lifecycle.state().transitionCount).toBe(1);
    expect(lifecycle.refusal({ toPhase: Phase.REQUIREMENTS, requestId: 'same' })).toBeUndefined();
    expect(lifecycle.refusal({ toPhase: Phase.REQUIREMENTS, requestId: 'other' })?.reason).toContain('cannot move');
  });

  it('is terminal at DONE', () => {
    const lifecycle = TicketLifecycle.start('t1', Phase.DEPLOYMENT);
    lifecycle.apply({ toPhase: Phase.DONE, requestId: 'a' }, 'update', NOW);
    expect(lifecycle.isDone).toBe(true);
    expect(lifecycle.refusal({ toPhase: Phase.BLOCKED, requestId: 'b' })?.reason).toContain('terminal phase PHASE_DONE');
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

  describe('gates and phase runs', () => {
    const gated = () => {
      const lifecycle = TicketLifecycle.start('t', Phase.BACKLOG, [Phase.REQUIREMENTS]);
      lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'enter' }, 'update', NOW);
      return lifecycle;
    };

    it('starts a run per entered phase, keyed by the entering transition', () => {
      const lifecycle = gated();
      expect(lifecycle.run).toMatchObject({ phase: Phase.REQUIREMENTS, entry: 1, gate: { status: 'pending' } });
    });

    it('refuses the next phase while the gate is pending, naming the work in progress', () => {
      const refusal = gated().refusal({ toPhase: Phase.DESIGN, requestId: 'next' });
      expect(refusal).toMatchObject({ code: GATE_NOT_PASSED, blockingReasons: [] });
      expect(refusal?.reason).toContain('not validated yet');
    });

    it('refuses the next phase after a failed gate with its blocking reasons, and records the rejection', () => {
      const lifecycle = gated();
      lifecycle.recordGate('failed', ['requirements_document: minLength 500 not met (120 characters)']);
      const outcome = lifecycle.apply({ toPhase: Phase.DESIGN, requestId: 'next' }, 'signal', NOW);
      expect(outcome.accepted).toBe(false);
      if (outcome.accepted) return;
      expect(outcome.rejection).toMatchObject({ code: GATE_NOT_PASSED, blockingReasons: ['requirements_document: minLength 500 not met (120 characters)'] });
      expect(outcome.rejection.reason).toContain('minLength 500');
    });

    it('allows the next phase once the gate passed, and BLOCKED at any time', () => {
      const lifecycle = gated();
      expect(lifecycle.refusal({ toPhase: Phase.BLOCKED, requestId: 'b' })).toBeUndefined();
      lifecycle.recordGate('passed');
      expect(lifecycle.refusal({ toPhase: Phase.DESIGN, requestId: 'next' })).toBeUndefined();
    });

    it('leaves ungated phases open', () => {
      const lifecycle = TicketLifecycle.start('t', Phase.DESIGN, [Phase.REQUIREMENTS]);
      expect(lifecycle.refusal({ toPhase: Phase.IMPLEMENTATION, requestId: 'x' })).toBeUndefined();
    });

    it('keeps the run while blocked and resumes it when the ticket returns to the same phase', () => {
      const lifecycle = gated();
      lifecycle.recordGate('failed', ['why']);
      lifecycle.apply({ toPhase: Phase.BLOCKED, requestId: 'block', reason: 'gate failed' }, 'signal', NOW);
      lifecycle.setBlockCause('gate');
      expect(lifecycle.blocked).toEqual({ fromPhase: Phase.REQUIREMENTS, entry: 1, cause: 'gate', reason: 'gate failed' });
      const run = lifecycle.run;
      lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'resume' }, 'update', NOW);
      expect(lifecycle.run).toBe(run);
      expect(lifecycle.blocked).toBeNull();
    });

    it('blocks for clarification with the question, and runs the phase anew when the ticket returns to it (issue 11)', () => {
      const lifecycle = gated();
      lifecycle.recordGate('failed', ['ticket: acceptanceCriteria: none']);
      lifecycle.apply({ toPhase: Phase.BLOCKED, requestId: 'block', reason: 'needs clarification' }, 'signal', NOW);
      lifecycle.setBlockCause('needs_clarification', 'What are the acceptance criteria?');
      expect(lifecycle.state().blocked).toEqual({
        fromPhase: Phase.REQUIREMENTS,
        entry: 1,
        cause: 'needs_clarification',
        reason: 'needs clarification',
        question: 'What are the acceptance criteria?',
      });
      const outcome = lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'clarified', transitionedBy: 'po' }, 'signal', NOW);
      expect(outcome.accepted).toBe(true);
      expect(lifecycle.run).toEqual({
        phase: Phase.REQUIREMENTS,
        entry: 3,
        step: 'generating_tasks',
        gate: { status: 'pending', blockingReasons: [] },
        gateRounds: 0,
      });
      expect(lifecycle.blocked).toBeNull();
    });

    it('drops the question when the cause changes from clarification', () => {
      const lifecycle = gated();
      lifecycle.apply({ toPhase: Phase.BLOCKED, requestId: 'block' }, 'signal', NOW);
      lifecycle.setBlockCause('needs_clarification', 'Which criteria?');
      lifecycle.setBlockCause('gate');
      expect(lifecycle.blocked).toEqual({ fromPhase: Phase.REQUIREMENTS, entry: 1, cause: 'gate', reason: 'blocked by system' });
      lifecycle.apply({ toPhase: Phase.REQUIREMENTS, requestId: 'resume' }, 'signal', NOW);
      expect(lifecycle.run.entry).toBe(1);
    });

    it('starts a new run when a blocked ticket moves to another phase', () => {
      const lifecycle = gated();
      lifecycle.recordGate('passed');
      lifecycle.apply({ toPhase: Phase.BLOCKED, requestId: 'block' }, 'signal', NOW);
      expect(lifecycle.blocked).toMatchObject({ cause: 'manual', reason: 'blocked by system' });
      lifecycle.apply({ toPhase: Phase.DESIGN, requestId: 'skip' }, 'update', NOW);
      expect(lifecycle.run).toMatchObject({ phase: Phase.DESIGN, entry: 3, gate: { status: 'pending' } });
    });

    it('refuses to leave BLOCKED for a phase past the gate that blocked it', () => {
      const lifecycle = gated();
      lifecycle.recordGate('failed', ['requirements_document: required artifact missing']);
      lifecycle.apply({ toPhase: Phase.BLOCKED, requestId: 'block' }, 'signal', NOW);
      expect(lifecycle.refusal({ toPhase: Phase.DESIGN, requestId: 'skip' })).toMatchObject({
        code: GATE_NOT_PASSED,
        blockingReasons: ['requirements_document: required artifact missing'],
      });
      expect(lifecycle.refusal({ toPhase: Phase.IMPLEMENTATION, requestId: 'skip2' })?.code).toBe(GATE_NOT_PASSED);
      expect(lifecycle.refusal({ toPhase: Phase.REQUIREMENTS, requestId: 'resume' })).toBeUndefined();
    });
  });

  describe('compaction for continue-as-new', () => {
    it('keeps the latest transitions in full, the older ones compact, and still deduplicates every request ID', () => {
      const lifecycle = TicketLifecycle.start('t', Phase.IMPLEMENTATION);
      for (let i = 0; i < 10; i++) lifecycle.apply({ toPhase: i % 2 === 0 ? Phase.TESTING : Phase.IMPLEMENTATION, requestId: `r${i}` }, 'signal', NOW);
      lifecycle.apply({ toPhase: Phase.DONE, requestId: 'bad' }, 'signal', NOW);
      const snapshot = lifecycle.compacted(3);
      expect(snapshot.history.map((record) => record.requestId)).toEqual(['r7', 'r8', 'r9']);
      expect(Object.keys(snapshot.earlier.accepted)).toHaveLength(7);
      expect(JSON.stringify(snapshot).length).toBeLessThan(JSON.stringify(lifecycle.compacted(100)).length);

      const resumed = new TicketLifecycle(snapshot);
      expect(resumed.state()).toMatchObject({ transitionCount: 10, rejectedCount: 1, phase: Phase.IMPLEMENTATION });
      const repeated = resumed.apply({ toPhase: Phase.IMPLEMENTATION, requestId: 'r1' }, 'signal', NOW);
      expect(repeated).toMatchObject({ accepted: true, record: { sequence: 2, fromPhase: Phase.TESTING, toPhase: Phase.IMPLEMENTATION } });
      expect(resumed.refusal({ toPhase: Phase.IMPLEMENTATION, requestId: 'r0' })).toBeUndefined();
      expect(resumed.apply({ toPhase: Phase.DONE, requestId: 'bad' }, 'update', NOW)).toMatchObject({ accepted: false });
      const next = resumed.apply({ toPhase: Phase.TESTING, requestId: 'new' }, 'update', NOW);
      expect(next).toMatchObject({ accepted: true, record: { sequence: 11 } });
      expect(resumed.state().transitionCount).toBe(11);
    });
  });
});
