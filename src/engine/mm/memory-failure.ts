/**
 * Memory failure on pmem: a poisoned cache line reaches every owner of the block.
 *
 * A DAX page can belong to several files at once (reflink), and struct page cannot say which,
 * so since Linux 5.19 the pmem driver hands the failure to its holder, the filesystem, which
 * asks its reverse map (the rmap btree) who owns the block and kills the processes mapping each
 * owner's copy of it.
 *
 * Conventions in this file:
 *   owner  - an rmap record: a file (inode, file block) or filesystem metadata.
 *   kill   - SIGBUS with BUS_MCEERR_AO to a process that maps the poisoned page (AR for the
 *            process whose access hit it).
 *
 * What this model leaves out: the MCE handler and ARS scrubbing that discover the error (the
 * scenario says where it is), soft-offline, and clearing poison by rewriting the block.
 */
import { PAGE_SIZE } from '../constants';
import { hex, type Json } from '../trace/steps';
import { XA_STATE, xas_load } from '../lib/xarray';
import { dax_entry_order, dax_is_empty_entry, dax_is_zero_entry, dax_to_pfn } from '../fs/dax-entry';
import type { Machine } from '../machine';
import type { Mm } from './mm';

/**
 * Handle a media error at `pfn`. `hit` is the process whose access ran into it, if any.
 * Kernel: mm/memory-failure.c memory_failure() → memory_failure_dev_pagemap()
 *         → drivers/nvdimm/pmem.c pmem_pagemap_memory_failure() → dax_holder_notify_failure()
 *         → fs/xfs/xfs_notify_failure.c xfs_dax_notify_failure()
 */
export function memory_failure(m: Machine, pfn: number, hit: Mm | null): Json {
  const tr = m.tr;
  const devOff = m.phys.pfnToPmemOffset(pfn);
  const page = Math.floor(devOff / PAGE_SIZE);
  return tr.call('memory_failure', () => ({ pfn }), () => `memory_failure: pfn ${hex(pfn)} (pmem offset ${hex(devOff)}) has a media error.`, (): Json => {
    if (!m.pmem.isPoisoned(page)) m.pmem.poison(page);
    if (m.pages.testPageFlag(pfn, 'PG_hwpoison')) {
      if (tr.on) tr.emit({ t: 'note' }, 'The page is already marked HWPoison: nothing more to do.');
      return { already: true };
    }
    // memory_failure_dev_pagemap → pgmap->ops->memory_failure → the holder (XFS).
    const owners = tr.call('xfs_dax_notify_failure', () => ({ offset: devOff, len: PAGE_SIZE }), 'The pmem driver passes the failure to its holder, XFS, which looks the block up in its reverse map.', () => m.fs.rmapQuery(devOff));
    const killed = new Set<string>();
    let shutdown = false;
    for (const o of owners) {
      if (o.kind === 'meta') {
        shutdown = true;
        tr.call('xfs_force_shutdown', () => ({ what: o.what }), () => `The block holds filesystem metadata (${o.what}): XFS shuts the filesystem down.`, () => {
          m.fs.shutdown();
          return null;
        });
        continue;
      }
      if (o.kind !== 'data') continue;
      tr.call('xfs_dax_failure_fn', () => ({ ino: o.ino, pgoff: o.pgoff }), () => `The rmap record says inode ${o.ino} owns this block at file page ${o.pgoff}.`, () => {
        if (!m.mappings.has(o.ino)) {
          if (tr.on) tr.emit({ t: 'note' }, `Inode ${o.ino} is not in core: no process can have it mapped; a later read(2) will get EIO.`);
          return null;
        }
        mf_dax_kill_procs(m, o.ino, o.pgoff, hit, killed);
        return null;
      });
    }
    if (!owners.length && tr.on) tr.emit({ t: 'note' }, 'No file owns this block: nothing is mapped from it, so nobody is killed.');
    return { owners: owners.length, killed: [...killed].sort(), shutdown };
  });
}

/**
 * Mark the page poisoned and kill every process that maps it through this file.
 * Kernel: mm/memory-failure.c mf_dax_kill_procs()
 */
function mf_dax_kill_procs(m: Machine, ino: number, index: number, hit: Mm | null, killed: Set<string>): void {
  const tr = m.tr;
  tr.call('mf_dax_kill_procs', () => ({ ino, index }), () => `mf_dax_kill_procs finds who maps file page ${index} of inode ${ino}.`, () => {
    const mapping = m.mapping(ino);
    const xas = XA_STATE(mapping.i_pages, index);
    const e = xas_load(xas);
    if (typeof e !== 'number' || dax_is_zero_entry(e) || dax_is_empty_entry(e)) {
      if (tr.on) tr.emit({ t: 'note' }, 'dax_lock_mapping_entry finds no data entry here: no page is mapped for this file page.');
      return null;
    }
    const order = dax_entry_order(e);
    const start = index - (index % (1 << order));
    const pfn = dax_to_pfn(e) + (index - start);
    m.pages.setPageFlag(pfn, 'PG_hwpoison');
    // collect_procs_fsdax: every process with a VMA over this file page.
    const victims = [...m.as.mappingsOf(ino, index)];
    const seen = new Set<number>();
    m.as.unmap_mapping_pages(ino, start, 1 << order, 'unmap_and_kill removes every mapping of the poisoned page, so no one can load from it again without faulting.');
    for (const v of victims) {
      if (seen.has(v.mm.pid)) continue;
      seen.add(v.mm.pid);
      killed.add(v.mm.name);
      const ar = hit === v.mm;
      if (tr.on)
        tr.emit({ t: 'signal', pid: v.mm.pid, sig: 'SIGBUS', addr: v.addr, why: ar ? 'BUS_MCEERR_AR' : 'BUS_MCEERR_AO' },
          `${v.mm.name} gets SIGBUS (${ar ? 'BUS_MCEERR_AR: its own access hit the error' : 'BUS_MCEERR_AO: it maps the poisoned page'}) for ${hex(v.addr)}.`);
    }
    return victims.length;
  });
}
