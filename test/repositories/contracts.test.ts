/** Ticket branch names (issue 9): valid git branch names whatever the ticket's external ID. */
import { execFileSync } from 'node:child_process';
import { ticketBranch } from '../../src/repositories/contracts';

const id = '6f0c2a9e-0000-4000-8000-000000000000';

describe('ticketBranch', () => {
  it.each([
    ['ROADMAP-1.1', 'tickets/ROADMAP-1.1'],
    ['GH-12', 'tickets/GH-12'],
    ['GH 12/a..b', 'tickets/GH-12-a.b'],
    ['.hidden', 'tickets/hidden'],
    ['release.lock', 'tickets/release-lock'],
    ['ends with dot.', 'tickets/ends-with-dot'],
    ['feature@{1}~^:?*[x]\\', 'tickets/feature-1-x-'],
    ['***', `tickets/${id}`],
  ])('names the branch of %j %s, which git accepts', (externalId, branch) => {
    expect(ticketBranch({ id, externalId })).toBe(branch);
    expect(execFileSync('git', ['check-ref-format', '--branch', branch], { encoding: 'utf8' }).trim()).toBe(branch);
  });

  it('uses the ticket ID when there is no external ID', () => {
    expect(ticketBranch({ id, externalId: null })).toBe(`tickets/${id}`);
  });
});
