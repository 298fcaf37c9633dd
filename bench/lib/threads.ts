// CPU time of this process's main thread, as Linux counts it (/proc/self/task/<pid>/stat, in
// clock ticks of 10 ms), beside process.cpuUsage() which also counts V8's background threads
// (concurrent marking, sweeping, compilation) and libuv's pool. The split shows where a case's
// CPU goes: on 2 cores, V8's four platform threads compete with both processes' main threads
// (docs/benchmarks.md, "On the wire"). Undefined where /proc is not there.
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

export function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}
