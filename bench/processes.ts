/**
 * The benchmark's view of its processes, read from /proc: their memory and their children. (The
 * project's stack and the bare worker run as children of their own, started with
 * src/platform/child-process.ts, so that their memory can be read apart.)
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of process `pid` (`VmRSS` of /proc/<pid>/status), in MiB; undefined if unreadable. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** PIDs of the live children of `parent` whose command name (/proc/<pid>/comm) is `comm`. */
export function childrenNamed(parent: number, comm: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === parent && name === comm) found.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}
