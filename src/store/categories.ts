/**
 * Step categories for the timeline markers. A category is derived from the name of the kernel
 * function (call steps), tracepoint (tp steps) or operation (op steps) a step names, plus signals.
 * Steps of any other kind, and names that match no rule, get no category (no marker).
 */
import type { Step } from '../engine/trace/steps';

export type StepCategory = 'fault' | 'cow' | 'writeback' | 'truncate' | 'failure';

export const CATEGORIES: readonly StepCategory[] = ['fault', 'cow', 'writeback', 'truncate', 'failure'];

export const CATEGORY_LABEL: Record<StepCategory, string> = {
  fault: 'page fault',
  cow: 'copy on write',
  writeback: 'writeback / flush',
  truncate: 'truncate / punch hole',
  failure: 'failure (crash, poison, SIGBUS)',
};

/** Checked in order: the first rule that matches wins (memory_failure is a failure, not a fault). */
const RULES: readonly [StepCategory, RegExp][] = [
  ['failure', /fail|crash|power_?loss|poison|sigbus|hwpoison|mce/i],
  ['cow', /cow|copy_around|unshare|wp_page|reflink/i],
  ['writeback', /writeback|fsync|msync|sync_range|flush|wb_|clwb|wbinvd/i],
  ['truncate', /truncate|punch|break_layout|invalidate|collapse_range/i],
  ['fault', /fault/i],
];

/** The category of one step, or null. */
export function stepCategory(step: Step): StepCategory | null {
  let name: string;
  switch (step.t) {
    case 'op':
      name = step.name;
      break;
    case 'call':
      name = step.fn;
      break;
    case 'tp':
      name = step.name;
      break;
    case 'signal':
      return 'failure';
    default:
      return null;
  }
  for (const [cat, re] of RULES) if (re.test(name)) return cat;
  return null;
}
