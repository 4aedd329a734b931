// Replays every golden trace recorded from the kernel's own lib/xarray.c (one test per file),
// and checks the structure after every op. The folder is ../shared/xarray-golden next to the
// repository, or $XARRAY_GOLDEN_DIR.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { XArray } from '../src/engine/lib/xarray.ts';
import { xaDumpText } from '../src/engine/lib/xarray-dump.ts';
import { checkXArray } from '../src/engine/debug/check-xarray.ts';
import { findTraceFiles, formatFailure, replayFolder, replaySteps, type GoldenTrace } from '../tools/xarray-replay.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const goldenDir = process.env.XARRAY_GOLDEN_DIR ? resolve(process.env.XARRAY_GOLDEN_DIR) : resolve(repoRoot, '../shared/xarray-golden');

describe('XArray golden traces from lib/xarray.c', () => {
  if (!existsSync(goldenDir)) {
    it('finds the golden folder', () => {
      expect.fail(`golden folder ${goldenDir} is missing (set XARRAY_GOLDEN_DIR)`);
    });
    return;
  }
  const files = findTraceFiles(goldenDir);

  it('has traces to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(176);
  });

  for (const file of files) {
    const name = relative(goldenDir, file);
    it(name, () => {
      const trace = JSON.parse(readFileSync(file, 'utf8')) as GoldenTrace;
      expect(trace.parts ?? 1).toBe(1); // split traces are covered by the folder replay below
      const xa = new XArray(trace.name);
      trace.steps.forEach((step, i) => {
        const f = replaySteps(xa, [step], name, i);
        if (f) expect.fail(formatFailure(f));
        const v = checkXArray(xa);
        if (v.length) expect.fail(`step ${i}: ${JSON.stringify(v)}\n${xaDumpText(xa)}`);
      });
    });
  }

  it('the folder replay passes every trace', () => {
    const results = replayFolder(goldenDir);
    expect(results.filter((r) => r.failure).map((r) => formatFailure(r.failure!))).toEqual([]);
    expect(results.length).toBe(files.length);
  });
});

describe('xarray-replay tool', () => {
  it('reports the first differing field of a corrupted trace, and joins split traces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xa-replay-'));
    try {
      const steps = [
        { op: { op: 'store', index: 0, value: 1 }, tree: { entry: { value: 1 } }, loads: { '0': 1, '1': null }, head_marks: [false, false, false], returned: null },
        {
          op: { op: 'store', index: 64, value: 2 },
          tree: {
            shift: 6,
            offset: 0,
            count: 2,
            nr_values: 0,
            marks: [[], [], []],
            slots: {
              '0': { shift: 0, offset: 0, count: 1, nr_values: 1, marks: [[], [], []], slots: { '0': { value: 1 } } },
              '1': { shift: 0, offset: 1, count: 1, nr_values: 1, marks: [[], [], []], slots: { '0': { value: 2 } } },
            },
          },
          loads: { '64': 2 },
          head_marks: [false, false, false],
          returned: null,
        },
      ];
      writeFileSync(join(dir, 'good.json'), JSON.stringify({ name: 'good', steps }));
      const bad = structuredClone(steps);
      (bad[1].tree as { count: number }).count = 3;
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'bad.json'), JSON.stringify({ name: 'bad', steps: bad }));
      writeFileSync(join(dir, 'split-1.json'), JSON.stringify({ name: 'split', part: 1, parts: 2, step_offset: 0, steps: steps.slice(0, 1) }));
      writeFileSync(join(dir, 'split-2.json'), JSON.stringify({ name: 'split', part: 2, parts: 2, step_offset: 1, steps: steps.slice(1) }));
      const results = replayFolder(dir);
      expect(results.length).toBe(3);
      const failed = results.filter((r) => r.failure);
      expect(failed.length).toBe(1);
      const f = failed[0].failure!;
      expect(f.file).toBe(join('sub', 'bad.json'));
      expect(f.step).toBe(1);
      expect(f.field).toBe('tree.count');
      expect([f.expected, f.got]).toEqual([3, 2]);
      expect(formatFailure(f)).toContain('tree.count expected 3 got 2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
