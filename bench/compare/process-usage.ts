import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";

/** CPU time and memory of one process, read from `/proc` (Linux only). */
export interface ProcessUsage {
  /** User plus system CPU time of every thread so far, in ms. */
  cpuMs: number;
  /** Resident set size now, in bytes. */
  rssBytes: number;
  /** Highest resident set size so far (`VmHWM`), in bytes. */
  peakRssBytes: number;
  /**
   * The anonymous part of the RSS now (`RssAnon`: heap, stacks), in bytes. The rest is mapped
   * files and shared memory, such as LMDB's memory-mapped audit log, which is page cache.
   */
  anonRssBytes: number;
}

// Clock ticks per second of utime/stime; 100 on every Linux we run on, but ask rather than assume.
const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** Reads a process's CPU time and RSS. Threads (Go's, Node's workers) are counted with it. */
export async function processUsage(pid: number): Promise<ProcessUsage> {
  const [stat, status] = await Promise.all([
    readFile(`/proc/${pid}/stat`, "utf8"),
    readFile(`/proc/${pid}/status`, "utf8"),
  ]);
  // The command name (field 2) may hold spaces and parentheses: count fields after its last `)`.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return {
    cpuMs: (ticks * 1000) / ticksPerSecond,
    rssBytes: kib("VmRSS") * 1024,
    peakRssBytes: kib("VmHWM") * 1024,
    anonRssBytes: kib("RssAnon") * 1024,
  };
}
