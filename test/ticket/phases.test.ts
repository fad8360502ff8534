import fc from 'fast-check';
import { ALL_PHASES, PHASE_SEQUENCE, PHASE_TRANSITIONS, Phase, canTransition, isPhase, nextInSequence, validTransitions } from '../../src/ticket/phases';

const phaseArb = fc.constantFrom(...ALL_PHASES);

describe('phase constants (seed 002, Stream E)', () => {
  it('has exactly the eight seed phase values', () => {
    expect([...ALL_PHASES].sort()).toEqual(
      [
        'PHASE_BACKLOG',
        'PHASE_BLOCKED',
        'PHASE_DEPLOYMENT',
        'PHASE_DESIGN',
        'PHASE_DONE',
        'PHASE_IMPLEMENTATION',
        'PHASE_REQUIREMENTS',
        'PHASE_TESTING',
      ].sort(),
    );
  });

  it('orders the happy path from BACKLOG to DONE without BLOCKED', () => {
    expect(PHASE_SEQUENCE).toEqual([Phase.BACKLOG, Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING, Phase.DEPLOYMENT, Phase.DONE]);
    expect(nextInSequence(Phase.DEPLOYMENT)).toBe(Phase.DONE);
    expect(nextInSequence(Phase.DONE)).toBeUndefined();
    expect(nextInSequence(Phase.BLOCKED)).toBeUndefined();
  });

  it('recognises phase strings and nothing else', () => {
    expect(isPhase('PHASE_TESTING')).toBe(true);
    expect(isPhase('TESTING')).toBe(false);
    expect(isPhase(undefined)).toBe(false);
  });
});

describe('transition table', () => {
  const expected: [Phase, Phase[]][] = [
    [Phase.BACKLOG, [Phase.REQUIREMENTS]],
    [Phase.REQUIREMENTS, [Phase.DESIGN, Phase.BLOCKED]],
    [Phase.DESIGN, [Phase.IMPLEMENTATION, Phase.BLOCKED]],
    [Phase.IMPLEMENTATION, [Phase.TESTING, Phase.BLOCKED]],
    [Phase.TESTING, [Phase.DEPLOYMENT, Phase.IMPLEMENTATION, Phase.BLOCKED]],
    [Phase.DEPLOYMENT, [Phase.DONE, Phase.BLOCKED]],
    [Phase.BLOCKED, [Phase.REQUIREMENTS, Phase.DESIGN, Phase.IMPLEMENTATION, Phase.TESTING]],
    [Phase.DONE, []],
  ];

  // Every one of the 64 (from, to) pairs: allowed exactly when the seed lists it.
  for (const [from, targets] of expected) {
    for (const to of ALL_PHASES) {
      const allowed = targets.includes(to);
      it(`${from} → ${to} is ${allowed ? 'valid' : 'invalid'}`, () => {
        expect(canTransition(from, to)).toBe(allowed);
      });
    }
    it(`validTransitions(${from}) lists exactly the seed's targets`, () => {
      expect([...validTransitions(from)].sort()).toEqual([...targets].sort());
    });
  }

  it('covers every phase as a source', () => {
    expect(Object.keys(PHASE_TRANSITIONS).sort()).toEqual([...ALL_PHASES].sort());
  });
});

describe('state machine properties (fast-check)', () => {
  it('a walk of random valid transitions never leaves the table and stops only at DONE', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 200 }), (choices) => {
        let phase: Phase = Phase.BACKLOG;
        for (const choice of choices) {
          const targets = validTransitions(phase);
          if (targets.length === 0) {
            expect(phase).toBe(Phase.DONE);
            return;
          }
          const next = targets[choice % targets.length]!;
          expect(canTransition(phase, next)).toBe(true);
          phase = next;
        }
      }),
    );
  });

  it('canTransition agrees with validTransitions for any pair', () => {
    fc.assert(
      fc.property(phaseArb, phaseArb, (from, to) => {
        expect(canTransition(from, to)).toBe(validTransitions(from).includes(to));
      }),
    );
  });

  it('no phase moves to itself, DONE is reachable from every non-terminal phase, and nothing leaves DONE', () => {
    const reachesDone = (start: Phase): boolean => {
      const seen = new Set<Phase>([start]);
      const queue = [start];
      while (queue.length) {
        const phase = queue.shift()!;
        if (phase === Phase.DONE) return true;
        for (const next of validTransitions(phase)) {
          if (seen.has(next)) continue;
          seen.add(next);
          queue.push(next);
        }
      }
      return false;
    };
    fc.assert(
      fc.property(phaseArb, (phase) => {
        expect(canTransition(phase, phase)).toBe(false);
        expect(reachesDone(phase)).toBe(true);
      }),
    );
    expect(validTransitions(Phase.DONE)).toEqual([]);
  });
});
