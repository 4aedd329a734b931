import { describe, it, vi } from 'vitest';
vi.mock('../src/engine/mm/filemap', async (importOriginal) => {
  const orig = (await importOriginal()) as Record<string, unknown>;
  return orig.PageCache ? orig : { PageCache: class { vmOps = null; dropAll() {} } };
});
import { Machine } from '../src/engine/machine';
import { formatStep } from '../src/engine/trace/format';
import { xaDumpText } from '../src/engine/lib/xarray-dump';

function run(name: string, config: object, ops: object[]) {
  const m = Machine.create({ version: 1, config, ops });
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  m.run();
  console.log(`==== ${name}\n` + m.steps.map((s) => formatStep(s)).join('\n') + '\n' + JSON.stringify(m.outcomes.map((o) => [o.op.op, o.status, o.result])) + '\n' + xaDumpText(m.mapping(1).i_pages) + '\nCHECK ' + JSON.stringify(m.check()));
}
describe('x', () => {
  it('pmd', () => run('pmd', {}, [
    { op: 'create', file: 'f' }, { op: 'fallocate', file: 'f', offset: 0, length: 4 << 20 },
    { op: 'mmap', proc: 'A', file: 'f', length: 4 << 20, as: 'm' },
    { op: 'store', proc: 'A', addr: { map: 'm' } , data: 'x'},
  ]));
});
