import { describe, it, vi } from 'vitest';
vi.mock('../src/engine/mm/filemap', () => ({ PageCache: class { vmOps = null; dropAll() {} } }));
import { Machine } from '../src/engine/machine';
import { formatStep } from '../src/engine/trace/format';

function run(name: string, config: object, ops: object[], filter?: RegExp) {
  const m = Machine.create({ version: 1, config, ops });
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  const viol: string[] = [];
  for (let i = 0; i < ops.length; i++) { m.step(); for (const v of m.check()) viol.push(`after op ${i}: ${v.rule} ${v.where}: ${v.message}`); }
  const lines = m.steps.map((s) => formatStep(s)).filter((l) => !filter || filter.test(l));
  console.log(`==== ${name}\n` + lines.join('\n') + '\n' + JSON.stringify(m.outcomes.map((o) => [o.op.op, o.status, o.result])) + '\nVIOLATIONS:\n' + viol.join('\n'));
}
const KEY = /^\[op|signal|WARN|wait|tp:|pte |grab_mapping|dax_insert_entry|blk |refcount|extents|page pfn .* (mapping|share|index|order)|note|# (Fall|PTE|A |The)/;
describe('scratch', () => {
  it('pmd', () => run('pmd', {}, [
    { op: 'create', file: 'f' }, { op: 'fallocate', file: 'f', offset: 0, length: 4 << 20 },
    { op: 'mmap', proc: 'A', file: 'f', length: 4 << 20, as: 'm' },
    { op: 'load', proc: 'A', addr: { map: 'm' } },
    { op: 'store', proc: 'A', addr: { map: 'm', offset: 4096 }, data: 'x' },
    { op: 'mmap', proc: 'B', file: 'f', length: 1 << 20, as: 'b' },
    { op: 'store', proc: 'B', addr: { map: 'b', offset: 8192 }, data: 'y' },
    { op: 'fsync', file: 'f' },
  ], KEY));
  it('reflink cow', () => run('reflink', { pmd: false }, [
    { op: 'create', file: 'a' }, { op: 'write', file: 'a', offset: 0, data: 'AAAA' }, { op: 'truncate', file: 'a', size: 16384 },
    { op: 'create', file: 'b' }, { op: 'reflink', src: 'a', dst: 'b' },
    { op: 'mmap', proc: 'A', file: 'a', length: 16384, as: 'ma' }, { op: 'mmap', proc: 'B', file: 'b', length: 16384, as: 'mb' },
    { op: 'load', proc: 'A', addr: { map: 'ma' }, len: 4 }, { op: 'load', proc: 'B', addr: { map: 'mb' }, len: 4 },
    { op: 'store', proc: 'B', addr: { map: 'mb' }, data: 'BB' },
    { op: 'load', proc: 'A', addr: { map: 'ma' }, len: 4 }, { op: 'load', proc: 'B', addr: { map: 'mb' }, len: 4 },
  ], KEY));
  it('pin truncate', () => run('pin', { pmd: false }, [
    { op: 'create', file: 'f' }, { op: 'write', file: 'f', offset: 0, len: 8192, fill: 1 },
    { op: 'mmap', proc: 'A', file: 'f', length: 8192, as: 'm' },
    { op: 'pin', proc: 'A', addr: { map: 'm' }, as: 'dma' },
    { op: 'pin', proc: 'A', addr: { map: 'm' }, longterm: true },
    { op: 'truncate', proc: 'B', file: 'f', size: 0 },
    { op: 'load', proc: 'C', addr: 0x1000 },
    { op: 'unpin', proc: 'A', pin: 'dma' },
  ], KEY));
  it('entry lock wait', () => run('lock', { pmd: false }, [
    { op: 'create', file: 'f' }, { op: 'truncate', file: 'f', size: 8192 },
    { op: 'mmap', proc: 'A', file: 'f', length: 8192, as: 'a' }, { op: 'mmap', proc: 'B', file: 'f', length: 8192, as: 'b' },
    { op: 'store', proc: 'A', addr: { map: 'a' }, data: 'x', pause: 'dax_iomap_pte_fault:iomap_begin' },
    { op: 'load', proc: 'B', addr: { map: 'b' } },
    { op: 'resume', proc: 'A' },
  ], KEY));
  it('mapsync, private, poison, crash', () => run('misc', { pmd: false }, [
    { op: 'create', file: 'f' }, { op: 'truncate', file: 'f', size: 8192 },
    { op: 'mmap', proc: 'A', file: 'f', length: 8192, as: 'a', flags: 'sync' },
    { op: 'store', proc: 'A', addr: { map: 'a' }, data: 'sync' },
    { op: 'mmap', proc: 'P', file: 'f', length: 8192, as: 'p', flags: 'private' },
    { op: 'store', proc: 'P', addr: { map: 'p' }, data: 'priv' },
    { op: 'load', proc: 'A', addr: { map: 'a' }, len: 4 },
    { op: 'poison', file: 'f', offset: 0 },
    { op: 'load', proc: 'A', addr: { map: 'a' }, len: 4 },
    { op: 'store', proc: 'A', addr: { map: 'a', offset: 4096 }, data: 'lost' },
    { op: 'crash' },
  ], KEY));
});
