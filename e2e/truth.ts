/**
 * The truth the e2e specs compare the page against, computed here in Node by the engine itself:
 * the demo tour run op by op on a real XArray, with xaDump() taken after every step.
 */
import { xaDump } from '../src/engine/lib/xarray-dump';
import { XArray, xa_clear_mark, xa_erase, xa_set_mark, xa_store, xa_store_order, type XaMark } from '../src/engine/lib/xarray';
import { Tracer, type Json } from '../src/engine/trace/steps';
import { xarrayTour } from '../src/app/demo';

export interface Truth {
  /** dumps[c]: the array at cursor c (after c steps), c = 0 .. steps */
  dumps: Json[];
  /** cursor of each op boundary: before op k, and the end */
  boundaries: number[];
  steps: number;
}

export function demoTruth(): Truth {
  const tracer = new Tracer(true);
  const xa = new XArray('demo', tracer);
  const dumps: Json[] = [xaDump(xa, { ids: true })];
  tracer.subscribe(() => dumps.push(xaDump(xa, { ids: true })));
  const boundaries: number[] = [];
  xarrayTour.ops.forEach((op, k) => {
    boundaries.push(tracer.steps.length);
    tracer.beginOp(`xa_${op.op}`, {}, `op ${k}`);
    if (op.op === 'store') {
      if (op.order) xa_store_order(xa, op.index, op.order, op.value);
      else xa_store(xa, op.index, op.value);
    } else if (op.op === 'erase') xa_erase(xa, op.index);
    else if (op.op === 'set_mark') xa_set_mark(xa, op.index, op.mark as XaMark);
    else xa_clear_mark(xa, op.index, op.mark as XaMark);
  });
  boundaries.push(tracer.steps.length);
  return { dumps, boundaries, steps: tracer.steps.length };
}
