import { describe, expect, it } from 'vitest';
import { Tracer, type Step } from '../../engine/trace/steps';
import { upNextAt } from './Panel';

/** Two boot steps, then three operations of two steps each: opStarts 2, 4, 6. */
function trace(): { steps: Step[]; opStarts: number[] } {
  const tr = new Tracer(true);
  tr.emit({ t: 'note' }, 'boot 1');
  tr.emit({ t: 'note' }, 'boot 2');
  const opStarts: number[] = [];
  for (const name of ['mmap', 'store', 'fsync']) {
    opStarts.push(tr.steps.length);
    tr.beginOp(name, {}, `A does ${name}.`);
    tr.emit({ t: 'note' }, `${name} is done.`);
  }
  return { steps: tr.steps, opStarts };
}

describe('upNextAt (the Narration panel\'s "Next" block)', () => {
  const { steps, opStarts } = trace();
  const chapters = [
    { index: 0, title: 'Mapping' },
    { index: 2, title: 'Making it durable' },
  ];

  it('at a boundary names the operation about to start, by its op step, and the chapter it opens', () => {
    expect(upNextAt(2, steps, opStarts, chapters)).toEqual({ op: 0, step: steps[2], chapter: { n: 1, of: 2, title: 'Mapping' } });
    expect(upNextAt(4, steps, opStarts, chapters)).toEqual({ op: 1, step: steps[4], chapter: null });
    const last = upNextAt(6, steps, opStarts, chapters)!;
    expect(last.step.text).toBe('A does fsync.');
    expect(last.chapter).toEqual({ n: 2, of: 2, title: 'Making it durable' });
  });

  it('is null inside an operation, before the boot steps end, and at the end of the trace', () => {
    for (const c of [0, 1, 3, 5, 7]) expect(upNextAt(c, steps, opStarts, chapters)).toBeNull();
    expect(upNextAt(steps.length, steps, [...opStarts, steps.length], chapters)).toBeNull();
  });
});
