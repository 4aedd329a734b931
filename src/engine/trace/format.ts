/**
 * One readable line per step, shared by `npm run sim` and the app's log panel. The lines are
 * stable (same steps, same text) and easy to grep: each starts with a fixed word for its kind.
 *
 * Conventions in this file:
 *   summary - what the step is, in a few fixed words and numbers ("page pfn 0x1000 refcount 0 → 1").
 *   line    - the summary indented by call depth, then "  # " and the step's own sentence.
 *   →  ←    - a kernel function is entered / returns; "[op N]" opens a top-level operation.
 *   hex     - addresses, pfns and XArray value words print in hex; counts and offsets in decimal.
 *
 * What this model leaves out: process names (a step names a process by pid only) and anything
 * that needs state outside the step itself; a viewer that knows more can add it.
 */
import type { KernelVersion } from '../version';
import { formatTracepoint } from './tracepoints';
import { hex, type EntryRef, type ExtentRef, type Json, type PteRef, type Step } from './steps';

export interface FormatOptions {
  /** the kernel whose tracepoint format `tp` steps use; default 'modern' */
  kernel?: KernelVersion;
  /** indent by call depth (two spaces per level); default true */
  indent?: boolean;
  /** append "  # " and the step's sentence; default true */
  text?: boolean;
}

/** Argument names whose numbers read better in hex (addresses, pfns, device offsets). */
const HEX_KEYS = /^(addr|address|vaddr|start|end|vm_start|vm_end|pfn|zero_pfn|.*_addr|.*Addr|.*_pfn|.*Pfn|phys)$/;

/** A JSON value in a step's args or result, compact; numbers under HEX_KEYS in hex. */
export function formatValue(v: Json, key = ''): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return HEX_KEYS.test(key) && Number.isInteger(v) && v >= 0 ? hex(v) : String(v);
  if (typeof v === 'string') return /^[^\s=,()[\]{}"]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map((x) => formatValue(x, key)).join(', ') + ']';
  return '{' + Object.keys(v).map((k) => `${k}: ${formatValue(v[k], k)}`).join(', ') + '}';
}

/** key=value pairs in the order the engine wrote them. */
export function formatArgs(args: { [k: string]: Json }, sep = ' '): string {
  return Object.keys(args)
    .map((k) => `${k}=${formatValue(args[k], k)}`)
    .join(sep);
}

/** How an XArray slot's content reads: "nothing", "value 0x…", "node 3", "page pfn 0x…". */
export function formatEntryRef(e: EntryRef): string {
  if (e === null) return 'nothing';
  if ('value' in e) return `value ${hex(e.value)}`;
  if ('node' in e) return `node ${e.node}`;
  if ('sibling' in e) return `sibling ${e.sibling}`;
  if ('internal' in e) return e.internal === 'retry' ? 'XA_RETRY_ENTRY' : 'XA_ZERO_ENTRY';
  if ('page' in e) return `page pfn ${hex(e.page)}`;
  return `pointer ${e.pointer}`;
}

/** A page-table entry: "none", or "pfn 0x… rw dirty huge …". */
export function formatPte(p: PteRef | null): string {
  if (p === null) return 'none';
  const bits = [p.write ? 'rw' : 'ro'];
  if (!p.present) bits.push('not-present');
  if (p.dirty) bits.push('dirty');
  if (p.huge) bits.push('huge');
  if (p.special) bits.push('special');
  if (p.anon) bits.push('anon');
  return `pfn ${hex(p.pfn)} ${bits.join(' ')}`;
}

function formatExtents(list: ExtentRef[]): string {
  if (!list.length) return '[]';
  return '[' + list.map((x) => `${x.off}+${x.len}@${x.block}${x.state === 'unwritten' ? ' unwritten' : ''}`).join(', ') + ']';
}

function where(node: number | null, offset: number): string {
  return node === null ? 'head' : `node ${node} slot ${offset}`;
}

/** The summary of a step: its kind and numbers, without indentation or sentence. */
export function formatStepSummary(s: Step, kernel: KernelVersion = 'modern'): string {
  switch (s.t) {
    case 'op':
      return `[op ${s.op}] ${s.name}${Object.keys(s.args).length ? ' ' + formatArgs(s.args) : ''}`;
    case 'call':
      return `→ ${s.fn}(${formatArgs(s.args, ', ')})`;
    case 'ret':
      return `← ${s.fn} = ${formatValue(s.result)}`;
    case 'tp':
      return `tp: ${formatTracepoint(s, kernel).trimEnd()}`;
    case 'warn':
      return `WARN ${s.fn}: ${s.cond}`;
    case 'xa_node':
      return `xa  ${s.xa} ${s.action} node ${s.node} shift ${s.shift} parent ${s.parent === null ? 'none' : `${s.parent} slot ${s.offset}`}`;
    case 'xa_slot':
      return `xa  ${s.xa} ${where(s.node, s.offset)}: ${formatEntryRef(s.old)} → ${formatEntryRef(s.new)}`;
    case 'xa_mark':
      return `xa  ${s.xa} ${s.node === null ? 'array' : where(s.node, s.offset)}: mark ${s.mark} ${s.set ? 'set' : 'cleared'}`;
    case 'page':
      return `page pfn ${hex(s.pfn)} ${s.field} ${formatValue(s.old, s.field)} → ${formatValue(s.new, s.field)}`;
    case 'blk':
      return `blk ${s.action} block ${s.start} len ${s.len}`;
    case 'refcount':
      return `refcount block ${s.block} len ${s.len} ${s.old} → ${s.new}`;
    case 'extents':
      return `extents ino ${s.ino} ${formatExtents(s.old)} → ${formatExtents(s.new)}`;
    case 'inode':
      return `inode ${s.ino} ${s.field} ${formatValue(s.old, s.field)} → ${formatValue(s.new, s.field)}`;
    case 'cache':
      return `cache ${s.action} addr ${hex(s.addr)} len ${s.len}`;
    case 'media':
      return `media addr ${hex(s.addr)} len ${s.len}`;
    case 'poison':
      return `poison device page ${s.page}`;
    case 'dram':
      return `dram ${s.action} pfn ${hex(s.pfn)} ${s.use}`;
    case 'pte':
      return `${s.level} pid ${s.pid} ${hex(s.vaddr)}: ${formatPte(s.old)} → ${formatPte(s.new)}`;
    case 'vma':
      return `vma pid ${s.pid} ${s.action} ${hex(s.start)}-${hex(s.end)}: ${formatValue(s.old)} → ${formatValue(s.new)}`;
    case 'wait':
      return `wait ${s.who} ${s.action} on ${s.on}`;
    case 'signal':
      return `signal ${s.sig} pid ${s.pid} addr ${hex(s.addr)} (${s.why})`;
    case 'note':
      return '';
  }
}

/**
 * One line for one step: indentation by call depth, the summary, then "  # " and the step's
 * sentence. A note is only its sentence, after "# ".
 */
export function formatStep(s: Step, opts: FormatOptions = {}): string {
  const indent = opts.indent === false ? '' : '  '.repeat(Math.max(0, s.depth));
  const summary = formatStepSummary(s, opts.kernel ?? 'modern');
  if (opts.text === false) return indent + summary;
  if (!summary) return `${indent}# ${s.text}`;
  return `${indent}${summary}  # ${s.text}`;
}
