/**
 * The machine at one cursor, as the files, page-table and highlight code need it: files and
 * extents, shared-block reference counts, processes with VMAs and page-table leaves.
 *
 * "State at a step" = the keyframe at the nearest operation boundary, then the steps between that
 * boundary and the cursor: applied forwards (`new`) from the boundary before the cursor, or undone
 * (`old` put back) from the boundary after it, whichever is fewer steps. A timeline also remembers
 * the last moment it built, so single steps (playback, arrow keys) apply one step.
 *
 * Conventions in this file:
 *   boundary  - a cursor value where no operation is half done: opStarts[k] (keyframe k) or
 *               steps.length (the last keyframe).
 *   world     - { files, procs, pmemStartPfn, version } at one cursor; treat it as read-only.
 */
import type { Step } from '../../engine/trace/steps';
import type { KernelVersion } from '../../engine/version';
import { applyFileStep, cloneFiles, emptyFiles, filesFromDump, type FilesState } from '../files/state';
import { applyProcStep, cloneProcs, emptyProcs, procsFromDump, type ProcsState } from '../pagetables/state';
import { isMachineDump, pmemStartPfnOf, type MachineDump } from './dump';

export interface World {
  cursor: number;
  files: FilesState;
  procs: ProcsState;
  pmemStartPfn: number;
  version: KernelVersion;
}

const DEFAULT_PMEM_START_PFN = 0x40000;

function cloneWorld(w: World): World {
  return { ...w, files: cloneFiles(w.files), procs: cloneProcs(w.procs) };
}

export class WorldTimeline {
  private readonly kf: MachineDump[] | null;
  private readonly bounds: number[];
  private last: World | null = null;
  readonly pmemStartPfn: number;
  readonly version: KernelVersion;

  constructor(
    private readonly steps: readonly Step[],
    private readonly opStarts: readonly number[],
    keyframes: readonly unknown[] | null,
    /** where pmem starts, when the run says so (RunResult.machine.memory.pmemStartPfn) */
    pmemStartPfn?: number,
  ) {
    const ok = !!keyframes && keyframes.length === opStarts.length + 1 && keyframes.every(isMachineDump);
    this.kf = ok ? (keyframes as MachineDump[]) : null;
    this.bounds = [...opStarts, steps.length];
    const first = this.kf?.[0];
    this.pmemStartPfn = pmemStartPfn ?? (first ? pmemStartPfnOf(first) : DEFAULT_PMEM_START_PFN);
    this.version = first?.config.kernel ?? 'modern';
  }

  /** Whether the timeline starts from keyframes (else it replays every step from an empty machine). */
  get hasKeyframes(): boolean {
    return this.kf !== null;
  }

  private procName(i: number): string | null {
    const s = this.steps[i];
    if (!s || s.op < 0) return null;
    const opStep = this.steps[this.opStarts[s.op]];
    if (opStep && opStep.t === 'op' && typeof opStep.args.proc === 'string') return opStep.args.proc;
    return null;
  }

  private apply(w: World, from: number, to: number): World {
    if (to > from) {
      for (let i = from; i < to; i++) {
        const s = this.steps[i];
        applyFileStep(w.files, s, 1);
        applyProcStep(w.procs, s, 1, this.procName(i));
      }
    } else {
      for (let i = from - 1; i >= to; i--) {
        const s = this.steps[i];
        applyFileStep(w.files, s, -1);
        applyProcStep(w.procs, s, -1, this.procName(i));
      }
    }
    w.cursor = to;
    return w;
  }

  /** The last few keyframes parsed, most recent last (parsing a dump costs more than copying its world). */
  private readonly parsed = new Map<number, World>();

  /** A fresh (mutable) world at keyframe k. */
  /**
   * The world after `to` steps, from `w` (left untouched): the files and the processes are copied
   * only when a step between changes them, so a step that touches neither costs no copy (a machine
   * can map thousands of pages).
   */
  private applyFrom(w: World, to: number): World {
    const out: World = { ...w };
    let ownFiles = false;
    let ownProcs = false;
    const step = (i: number, dir: 1 | -1) => {
      const s = this.steps[i];
      if (s.t === 'extents' || s.t === 'inode' || s.t === 'refcount') {
        if (!ownFiles) {
          out.files = cloneFiles(out.files);
          ownFiles = true;
        }
        applyFileStep(out.files, s, dir);
      } else if (s.t === 'pte' || s.t === 'vma') {
        if (!ownProcs) {
          out.procs = cloneProcs(out.procs);
          ownProcs = true;
        }
        applyProcStep(out.procs, s, dir, this.procName(i));
      }
    };
    if (to > w.cursor) for (let i = w.cursor; i < to; i++) step(i, 1);
    else for (let i = w.cursor - 1; i >= to; i--) step(i, -1);
    out.cursor = to;
    return out;
  }

  /** Keyframe k parsed (cached; read-only). */
  private keyframeWorld(k: number): World {
    let w = this.parsed.get(k);
    if (!w) {
      const d = this.kf![k];
      w = { cursor: this.bounds[k], files: filesFromDump(d), procs: procsFromDump(d), pmemStartPfn: this.pmemStartPfn, version: this.version };
      if (this.parsed.size >= 8) this.parsed.delete(this.parsed.keys().next().value!);
    } else this.parsed.delete(k);
    this.parsed.set(k, w);
    return w;
  }

  private fromKeyframe(k: number): World {
    return cloneWorld(this.keyframeWorld(k));
  }

  /**
   * The files at op boundary k (keyframe k), without copying the rest of the world: the same as
   * atFrom(k, bounds[k]).files. Read-only.
   */
  filesAtBoundary(k: number): FilesState {
    if (!this.kf) throw new Error('filesAtBoundary needs keyframes');
    return this.keyframeWorld(k).files;
  }

  /**
   * The world after `cursor` steps, built from keyframe `k` alone (forwards or by undoing),
   * without the cache. at() picks the cheapest start; this is for checking that any start agrees.
   */
  atFrom(k: number, cursor: number): World {
    if (!this.kf) throw new Error('atFrom needs keyframes');
    return this.apply(this.fromKeyframe(k), this.bounds[k], Math.max(0, Math.min(this.steps.length, cursor)));
  }

  /** The world after `cursor` steps (0..steps.length). The result must not be mutated. */
  at(cursor: number): World {
    const c = Math.max(0, Math.min(this.steps.length, Math.floor(cursor)));
    const last = this.last;
    let w: World;
    if (!this.kf) {
      const start = last && last.cursor <= c ? last : null;
      w = this.apply(start ? cloneWorld(start) : { cursor: 0, files: emptyFiles(), procs: emptyProcs(), pmemStartPfn: this.pmemStartPfn, version: this.version }, start ? start.cursor : 0, c);
    } else {
      // The boundary before (or at) the cursor and the one after it.
      let k = 0;
      while (k + 1 < this.bounds.length && this.bounds[k + 1] <= c) k++;
      const before = this.bounds[k] <= c ? k : -1;
      const after = before >= 0 ? (this.bounds[before] === c ? before : before + 1 < this.bounds.length ? before + 1 : -1) : 0;
      const cands: { cost: number; make: () => World }[] = [];
      if (before >= 0) cands.push({ cost: c - this.bounds[before], make: () => this.apply(this.fromKeyframe(before), this.bounds[before], c) });
      if (after >= 0) cands.push({ cost: this.bounds[after] - c, make: () => this.apply(this.fromKeyframe(after), this.bounds[after], c) });
      if (last) cands.push({ cost: Math.abs(c - last.cursor), make: () => this.applyFrom(last, c) });
      cands.sort((a, b) => a.cost - b.cost);
      w = cands[0].make();
    }
    this.last = w;
    return w;
  }
}
