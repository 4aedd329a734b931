import { describe, it, expect, vi } from 'vitest';
vi.mock('../src/engine/mm/filemap', () => ({ PageCache: class { vmOps = null; dropAll() {} } }));
import { Machine } from '../src/engine/machine';
import { formatStep } from '../src/engine/trace/format';

describe('scratch', () => {
  it('read fault on a hole, write fault, fsync', () => {
    const m = Machine.create({ version: 1, config: { pmd: false }, ops: [
      { op: 'create', file: 'f' },
      { op: 'truncate', file: 'f', size: 4 << 20 },
      { op: 'mmap', proc: 'A', file: 'f', length: 1 << 20, as: 'm' },
      { op: 'load', proc: 'A', addr: { map: 'm' } },
      { op: 'store', proc: 'A', addr: { map: 'm', offset: 8192 }, data: 'hello' },
      { op: 'store', proc: 'A', addr: { map: 'm' }, data: 'zz' },
      { op: 'fsync', file: 'f' },
      { op: 'load', proc: 'A', addr: { map: 'm', offset: 8192 }, len: 5 },
    ] });
    if ('errors' in m) throw new Error(JSON.stringify(m.errors));
    m.run();
    const lines = m.steps.map((s) => formatStep(s));
    console.log(lines.join('\n'));
    console.log(JSON.stringify(m.outcomes.map((o) => [o.op.op, o.status, o.result])));
    console.log(JSON.stringify(m.check(), null, 1));
    expect(m.check()).toEqual([]);
  });
});
