/**
 * A ticket's repository work on this machine (issue 9, "Branch and working tree per ticket"): its
 * branch on the remote, created by the first task of its first phase run (when it first leaves
 * BACKLOG), before that task starts; its working tree, synced
 * from the remote before each task; the orchestrator's commit after an agent task, with the
 * documents that task wrote; and the ticket row's record of branch and commits. The remote is the
 * source of truth, so any worker on any machine with access to the repository's URL can go on.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PrismaClient } from '@prisma/client';
import type { AgentArtifact } from '../agents/protocol';
import { DOCUMENT_PATHS, ticketBranch, ticketKey, type RepositorySpec } from './contracts';
import { toRepositorySpec } from './store';
import { RepositoryWorkspaces } from './workspaces';

/** A ticket's working tree, synced from its branch on the remote. */
export interface TicketTree {
  ticketId: string;
  /** {@link ticketKey}: the external ID, else the ID. */
  key: string;
  repository: RepositorySpec;
  branch: string;
  /** The default-branch commit the branch started from. */
  base: string;
  /** Absolute path of the working tree. */
  tree: string;
  /** The branch's head commit once synced. */
  head: string;
}

/** What an agent task left in the tree, once committed. */
export interface TaskCommit {
  /** The commit made for the task; null when it changed nothing (or its commit was made before a crash). */
  commit: string | null;
  /** The documents of {@link DOCUMENT_PATHS} the task wrote, as artifacts. */
  documents: AgentArtifact[];
}

/** The first line of `text`, trimmed to 72 characters (a commit subject). */
function subject(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}

/** Tickets' branches and working trees on this machine, backed by the ticket rows. */
export class TicketTrees {
  constructor(
    private readonly prisma: PrismaClient,
    /** The machine's cached clones and working trees. */
    readonly workspaces: RepositoryWorkspaces,
  ) {}

  /**
   * The ticket's repository and branch, creating the branch on the remote from the default
   * branch's tip when the ticket has none yet (recorded as `branch`, `baseCommit`, `headCommit`).
   * Idempotent: an existing branch (on the row or the remote) is adopted, never recreated.
   *
   * @returns null when the ticket has no repository (or does not exist)
   * @throws git errors (a remote that cannot be reached), retryable
   */
  private async ensureBranch(ticketId: string): Promise<Omit<TicketTree, 'tree' | 'head'> | null> {
    const ticket = await this.prisma.ticket.findUnique({ where: { id: ticketId }, include: { repository: true } });
    if (!ticket?.repository) return null;
    const repository = toRepositorySpec(ticket.repository);
    const key = ticketKey(ticket);
    if (ticket.branch && ticket.baseCommit) return { ticketId, key, repository, branch: ticket.branch, base: ticket.baseCommit };
    const branch = ticketBranch(ticket);
    const { base, head } = await this.workspaces.ensureBranch(repository, branch);
    await this.prisma.ticket.update({ where: { id: ticketId }, data: { branch, baseCommit: base, headCommit: head } });
    return { ticketId, key, repository, branch, base };
  }

  /**
   * The ticket's working tree on this machine, synced from the remote (a push lost in a crash is
   * redone first).
   *
   * @returns null when the ticket has no repository
   */
  async prepare(ticketId: string): Promise<TicketTree | null> {
    const branch = await this.ensureBranch(ticketId);
    if (!branch) return null;
    const { tree, head, pushedLost } = await this.workspaces.prepareTree(branch.repository, ticketId, branch.branch);
    if (pushedLost) await this.recordHead(ticketId, head);
    return { ...branch, tree, head };
  }

  /**
   * Commits what an agent task changed in `tree` (message `<key> <task type>: <summary>`, trailers
   * `Ticket:`, `Task:`, `Attempt:`, `Agent:`, author the agent) and pushes it; a second call for the
   * same attempt makes no second commit. Collects the documents the commit holds.
   */
  async commitTask(tree: TicketTree, task: { id: string; taskType: string }, attempt: number, agent: string, summary: string): Promise<TaskCommit> {
    const { commit } = await this.workspaces.commitTask(tree.tree, tree.branch, tree.repository, {
      message: `${tree.key} ${task.taskType}: ${subject(summary) || 'no summary'}`,
      author: { name: agent, email: `${agent.replace(/[^A-Za-z0-9._-]/g, '-')}@agents.localhost` },
      trailers: { Ticket: tree.key, Task: task.id, Attempt: String(attempt), Agent: agent },
    });
    if (!commit) return { commit, documents: [] };
    await this.recordHead(tree.ticketId, commit);
    const changed = new Set(await this.workspaces.changedPaths(tree.tree, tree.head, commit));
    const documents = await Promise.all(
      Object.entries(DOCUMENT_PATHS)
        .map(([type, template]) => ({ type, path: template.replace('{key}', tree.key) }))
        .filter((document) => changed.has(document.path))
        .map(async (document) => ({
          ...document,
          content: { text: await readFile(path.join(tree.tree, document.path), 'utf8'), format: 'markdown', commit },
        })),
    );
    return { commit, documents };
  }

  /** Records the branch's head commit on the ticket row. */
  async recordHead(ticketId: string, head: string): Promise<void> {
    await this.prisma.ticket.update({ where: { id: ticketId }, data: { headCommit: head } });
  }

  /**
   * Removes the ticket's working tree on this machine (DONE, cancel), and its branch on the remote
   * when the repository does not keep branches, unless `keepBranch` (a branch left for a pull
   * request). Idempotent.
   */
  async remove(ticketId: string, { keepBranch = false }: { keepBranch?: boolean } = {}): Promise<void> {
    const ticket = await this.prisma.ticket.findUnique({ where: { id: ticketId }, include: { repository: true } });
    if (!ticket?.repository) return;
    const repository = toRepositorySpec(ticket.repository);
    await this.workspaces.removeTree(repository, ticketId);
    if (!repository.keepBranches && !keepBranch && ticket.branch) await this.workspaces.deleteBranch(repository, ticket.branch);
  }
}

/**
 * The ticket trees of this machine: cached clones under `<repositoryCacheDir>/git`, working trees
 * at `<workspacesDir>/<ticketId>`.
 */
export function createTicketTrees(
  prisma: PrismaClient,
  { repositoryCacheDir, workspacesDir }: { repositoryCacheDir: string; workspacesDir: string },
): TicketTrees {
  return new TicketTrees(prisma, new RepositoryWorkspaces({ cacheDir: path.join(repositoryCacheDir, 'git'), workspacesDir }));
}

/** Where this machine keeps set-up outputs shared between working trees: `<repositoryCacheDir>/setup`. */
export function setupCacheDir(repositoryCacheDir: string): string {
  return path.join(repositoryCacheDir, 'setup');
}
