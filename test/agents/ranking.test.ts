/** Agent ranking and staleness (seed 004 milestones 1.3 and 3.1). */
import { AGENT_STALE_AFTER_MS, isStale, rankAgents, type AgentCandidate } from '../../src/agents/ranking';

const NOW = new Date('2026-01-01T12:00:00Z');
const agent = (name: string, capabilities: string[], extra: Partial<AgentCandidate> = {}): AgentCandidate => ({
  name,
  capabilities,
  capacity: 2,
  running: 0,
  enabled: true,
  healthStatus: 'healthy',
  lastHeartbeat: new Date(NOW.getTime() - 1000),
  ...extra,
});

describe('isStale', () => {
  it('is stale after three missed 30 s heartbeats, or with none', () => {
    expect(isStale({ lastHeartbeat: new Date(NOW.getTime() - AGENT_STALE_AFTER_MS) }, NOW)).toBe(false);
    expect(isStale({ lastHeartbeat: new Date(NOW.getTime() - AGENT_STALE_AFTER_MS - 1) }, NOW)).toBe(true);
    expect(isStale({ lastHeartbeat: null }, NOW)).toBe(true);
  });
});

describe('rankAgents', () => {
  it('keeps only enabled, not unhealthy, fresh agents with every required capability', () => {
    const agents = [
      agent('ok', ['testing', 'analysis']),
      agent('missing', ['analysis']),
      agent('off', ['testing'], { enabled: false }),
      agent('sick', ['testing'], { healthStatus: 'unhealthy' }),
      agent('silent', ['testing'], { lastHeartbeat: new Date(NOW.getTime() - AGENT_STALE_AFTER_MS - 1) }),
    ];
    expect(rankAgents(agents, ['testing'], NOW).map((a) => a.name)).toEqual(['ok']);
  });

  it('ranks the specialist first, then free capacity, and agents at capacity last', () => {
    const agents = [
      agent('generalist', ['testing', 'analysis', 'design']),
      agent('busy-specialist', ['testing'], { running: 2 }),
      agent('specialist', ['testing'], { running: 1 }),
      agent('idle-specialist', ['testing'], { capacity: 3 }),
    ];
    expect(rankAgents(agents, ['testing'], NOW).map((a) => a.name)).toEqual(['idle-specialist', 'specialist', 'generalist', 'busy-specialist']);
  });
});
