/**
 * The page cache: how a file on a dax=never mount is read, written and mapped (mm/filemap.c,
 * mm/page-writeback.c, mm/truncate.c, fs/iomap/buffered-io.c, fs/xfs/xfs_aops.c in miniature).
 *
 * This is the path DAX exists to avoid. Every byte of the file that anyone touches is first
 * copied from its block into a DRAM page (a folio of the page cache); read(2), write(2) and
 * mmap all work on that DRAM copy, and the block on pmem is brought up to date only when
 * writeback (fsync, msync) copies the folio back. A DAX file's XArray holds small value entries
 * that point at pmem; this file's XArray holds pointers to DRAM folios.
 *
 * Conventions in this file:
 *   folio    - one DRAM page of the page cache (class Folio, order 0 only). The XArray slot at
 *              the file page index points at it; struct page's mapping/index name the file and
 *              the index back.
 *   cache ref - the page cache's own reference on a folio: the reference alloc_pages() hands
 *              out is kept as that reference. Each PTE that maps the folio holds one more (and
 *              one mapcount), which the machine drops when it zaps the PTE.
 *   DIRTY    - PG_dirty on the struct page and PAGECACHE_TAG_DIRTY on the XArray slot: the DRAM
 *              copy is newer than the block. TOWRITE marks the folios one fsync must write;
 *              WRITEBACK marks a folio whose block I/O is in flight.
 *   block I/O - the copy between a folio and its block. On a real machine this is a bio sent
 *              to the pmem block driver (which does the memcpy); here it is the same copy,
 *              done at once, and a note step says so.
 *   pos / index - file byte offset / file page index (pos >> 12).
 *
 * What this model leaves out: delayed allocation (a hole gets its block when a write or a
 * write fault first dirties the page, not at writeback), readahead, large folios, the LRU
 * lists and reclaim (a folio leaves the cache only by truncate, hole punch or power failure),
 * folio locks that make anyone wait (no path here sleeps; PG_locked is shown set and cleared),
 * dirty throttling (balance_dirty_pages), background writeback (the flusher threads), and
 * filemap_map_pages (fault-around: only the faulting page is mapped). Blocks are 4 KiB, the
 * page size, so a folio is always one block.
 */
import { bytesText } from '../trace/bytes';
import { PAGE_SIZE } from '../constants';
import { ERRNO, isErr, kerr, KErr } from '../errno';
import { formatJson, hex, type Json, type PteRef } from '../trace/steps';
import type { KGen } from '../kernel/sched';
import type { Machine } from '../machine';
import type { VmOps } from './fault';
import { FAULT_FLAG_WRITE, VM_FAULT_DONE_COW, VM_FAULT_LOCKED, VM_FAULT_MAJOR, VM_FAULT_NAMES, VM_FAULT_NOPAGE, VM_FAULT_OOM, VM_FAULT_SIGBUS, printFlags } from './fault-flags';
import { VM_SHARED } from './mm';
import { XA_STATE, xas_clear_mark, xas_find, xas_find_marked, xas_get_mark, xas_load, xas_set_mark, xas_store } from '../lib/xarray';
import { PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE, PAGECACHE_TAG_WRITEBACK } from '../lib/pagecache-tags';
import { IOMAP_F_NEW, IOMAP_F_SHARED, IOMAP_FAULT, IOMAP_WRITE, iomapBegin, iomapDescribe, tag_pages_for_writeback, type AddressSpace, type Iomap, type IomapOps, type IomapPair, type VmFault } from '../fs/dax';
import { xfs_iget } from '../fs/xfs/xfs_inode';
import { xfs_iomap_write_unwritten } from '../fs/xfs/xfs_iomap';

/** A page-cache folio: the XArray holds this object; steps name it by its pfn ({page: pfn}). */
export class Folio {
  constructor(readonly pfn: number) {}
}

const MAX_INDEX = Number.MAX_SAFE_INTEGER;

/** The page cache of every non-DAX file of a machine. */
export class PageCache {
  /** filemap_fault and iomap_page_mkwrite, for the VMAs of files without DAX. */
  readonly vmOps: VmOps;

  constructor(private readonly m: Machine) {
    // Reached through XFS's vm_ops (xfs_file_mmap.ts) when the file is not DAX.
    this.vmOps = {
      name: 'filemap (page cache)',
      fault: (vmf) => this.filemap_fault(vmf),
      page_mkwrite: (vmf) => this.iomap_page_mkwrite(vmf),
    };
  }

  // ---- small helpers --------------------------------------------------------------------------

  /** The folio at `index` of a file, or null. */
  private lookup(mapping: AddressSpace, index: number): Folio | null {
    const e = xas_load(XA_STATE(mapping.i_pages, index));
    return e instanceof Folio ? e : null;
  }

  private writeOps: IomapOps | null = null;

  /**
   * The iomap ops buffered writes and writeback allocate with: XFS's write ops under the name
   * of xfs_buffered_write_iomap_ops. They allocate at once where XFS would delay allocation.
   */
  private get bufferedWriteOps(): IomapOps {
    if (this.writeOps) return this.writeOps;
    const w = this.m.fs.writeOps;
    this.writeOps = {
      name: 'xfs_buffered_write_iomap_ops',
      iomap_begin: (ino, pos, len, flags) => w.iomap_begin(ino, pos, len, flags),
      iomap_end: w.iomap_end ? (ino, pos, len, written, flags, iomap) => w.iomap_end!(ino, pos, len, written, flags, iomap) : undefined,
    };
    return this.writeOps;
  }

  private iomapEnd(ops: IomapOps, ino: number, pos: number, length: number, written: number, flags: number, iomap: Iomap): void {
    if (!ops.iomap_end) return;
    const end = ops.iomap_end.bind(ops);
    this.kcall(`${ops.name}.iomap_end`, () => ({ ino, pos, length, written }), () => '->iomap_end finishes the filesystem\'s side of the mapping.', () => {
      const r = end(ino, pos, length, written, flags, iomap);
      return isErr(r) ? `-${r.errno}` : null;
    });
  }

  private lockFolio(f: Folio): void {
    this.m.pages.setPageFlag(f.pfn, 'PG_locked');
  }

  private unlockFolio(f: Folio): void {
    this.m.pages.clearPageFlag(f.pfn, 'PG_locked');
  }

  /** Run `body` as kernel function `fn`; the step arguments and text are built only when tracing. */
  private kcall<T>(fn: string, args: () => { [k: string]: Json }, text: () => string, body: () => T, describe?: (r: T) => Json): T {
    const tr = this.m.tr;
    if (!tr.on) return body();
    return tr.call(fn, args(), text(), body, describe);
  }

  // ---- adding, reading and removing folios ------------------------------------------------------

  /**
   * Allocate a DRAM page and insert it, locked, into the file's XArray at `index`; the page
   * cache keeps the allocation's reference. Returns -ENOMEM when DRAM is full.
   * Kernel: mm/filemap.c filemap_add_folio() / __filemap_add_folio()
   */
  private filemap_add_folio(mapping: AddressSpace, index: number): Folio | KErr {
    const m = this.m;
    return this.kcall('filemap_add_folio', () => ({ ino: mapping.host, index }), () => `filemap_add_folio: a new DRAM page joins the page cache of inode ${mapping.host} at index ${index} (DAX would store a small value entry pointing at pmem instead).`, (): Folio | KErr => {
      const pfn = m.phys.alloc_pages(0, 'pagecache');
      if (isErr(pfn)) return pfn;
      const f = new Folio(pfn);
      this.lockFolio(f);
      m.pages.setMapping(pfn, mapping.host);
      m.pages.setIndex(pfn, index);
      const xas = XA_STATE(mapping.i_pages, index);
      xas_store(xas, f);
      m.dax.nrpagesChanged(mapping, 1, `The page cache of inode ${mapping.host} holds one more folio.`);
      if (m.tr.on) m.tr.emit({ t: 'tp', name: 'mm_filemap_add_to_page_cache', fields: { dev: m.dax.dev, ino: mapping.host, pfn, index, order: 0 } }, 'tracepoint filemap:mm_filemap_add_to_page_cache.');
      return f;
    }, (r) => (isErr(r) ? `-${r.errno}` : { page: r.pfn }));
  }

  /**
   * Fill a locked, new folio from the file: zeros for a hole or an unwritten extent, else a
   * block read from the device. Sets PG_uptodate and unlocks the folio. A media error gives
   * -EIO and leaves the folio not up to date.
   * Kernel: mm/filemap.c filemap_read_folio() → fs/xfs/xfs_aops.c xfs_vm_read_folio() → iomap_read_folio()
   */
  private filemap_read_folio(ino: number, f: Folio, index: number): 0 | KErr {
    const m = this.m;
    const tr = m.tr;
    return this.kcall('filemap_read_folio', () => ({ ino, index, pfn: f.pfn }), () => `filemap_read_folio asks XFS to fill pfn ${hex(f.pfn)} with file page ${index}.`, (): 0 | KErr => {
      const pos = index * PAGE_SIZE;
      const ops = m.fs.readOps;
      let err: KErr | null = null;
      for (let done = 0; done < PAGE_SIZE; ) {
        const pair = iomapBegin(m.dax, ops, ino, pos + done, PAGE_SIZE - done, 0);
        if (isErr(pair)) {
          err = pair;
          break;
        }
        const im = pair.iomap;
        const n = Math.max(1, Math.min(PAGE_SIZE - done, im.offset + im.length - (pos + done)));
        if (im.type === 'MAPPED') {
          const dev = im.addr + (pos + done - im.offset);
          const b = m.pmem.readMc(dev, n);
          if (isErr(b)) {
            err = kerr('EIO', b.why);
            this.iomapEnd(ops, ino, pos + done, n, 0, 0, im);
            break;
          }
          m.phys.writeDram(f.pfn, done, b);
          if (tr.on) tr.emit({ t: 'note' }, `A block read (a bio to the pmem block driver) copies ${n} bytes from the device at ${hex(dev)} into DRAM pfn ${hex(f.pfn)}: a copy of the block now lives in DRAM, the page cache.`);
        } else if (tr.on) {
          tr.emit({ t: 'note' }, `File bytes ${hex(pos + done)}+${n} are ${im.type === 'HOLE' ? 'a hole' : 'an unwritten extent'}: the folio is filled with zeros and the device is not read.`);
        }
        this.iomapEnd(ops, ino, pos + done, n, n, 0, im);
        done += n;
      }
      if (err) {
        this.unlockFolio(f);
        return err;
      }
      m.pages.setPageFlag(f.pfn, 'PG_uptodate');
      this.unlockFolio(f);
      return 0;
    }, (r) => (isErr(r) ? `-${r.errno}` : 0));
  }

  /**
   * Take a folio out of the page cache: the XArray slot is emptied (its marks go with it),
   * ->mapping is cleared, nrpages drops, and the cache's reference is put (which frees the DRAM
   * page unless someone else still holds it).
   * Kernel: mm/filemap.c filemap_remove_folio() → page_cache_delete(), filemap_free_folio()
   */
  private filemap_remove_folio(mapping: AddressSpace, index: number, f: Folio, why: string): void {
    const m = this.m;
    this.kcall('filemap_remove_folio', () => ({ ino: mapping.host, index, pfn: f.pfn }), () => why, () => {
      const xas = XA_STATE(mapping.i_pages, index);
      xas_load(xas);
      xas_store(xas, null);
      m.pages.setMapping(f.pfn, null);
      m.dax.nrpagesChanged(mapping, -1, `The page cache of inode ${mapping.host} holds one folio fewer.`);
      if (m.tr.on) m.tr.emit({ t: 'tp', name: 'mm_filemap_delete_from_page_cache', fields: { dev: m.dax.dev, ino: mapping.host, pfn: f.pfn, index, order: 0 } }, 'tracepoint filemap:mm_filemap_delete_from_page_cache.');
      m.pages.folio_put(f.pfn, 'the page cache drops its reference');
      return null;
    });
  }

  /**
   * The up-to-date folio at `index`, reading it from the file on a miss. `major` is set when
   * the device (or the hole) had to be read.
   * Kernel: mm/filemap.c filemap_get_pages() / __filemap_get_folio() + filemap_create_folio()
   */
  private filemap_get_folio(ino: number, index: number, fn: string): { folio: Folio; major: boolean } | KErr {
    const m = this.m;
    const mapping = m.mapping(ino);
    return this.kcall(fn, () => ({ ino, index }), () => `${fn} looks up file page ${index} in the page cache.`, (): { folio: Folio; major: boolean } | KErr => {
      const hit = this.lookup(mapping, index);
      if (hit) {
        if (m.pages.testPageFlag(hit.pfn, 'PG_uptodate')) {
          if (m.tr.on) m.tr.emit({ t: 'note' }, `Page cache hit: file page ${index} is already in DRAM at pfn ${hex(hit.pfn)}; the device is not touched.`);
          return { folio: hit, major: false };
        }
        // Left behind by a failed read: try the read again.
        this.lockFolio(hit);
        const r = this.filemap_read_folio(ino, hit, index);
        return isErr(r) ? r : { folio: hit, major: true };
      }
      if (m.tr.on) m.tr.emit({ t: 'note' }, `Page cache miss: file page ${index} is not in DRAM, so a folio is allocated and read from the device.`);
      const f = this.filemap_add_folio(mapping, index);
      if (isErr(f)) return f;
      const r = this.filemap_read_folio(ino, f, index);
      if (isErr(r)) {
        this.filemap_remove_folio(mapping, index, f, 'The read failed: the empty folio is taken out of the page cache again.');
        return r;
      }
      return { folio: f, major: true };
    }, (r) => (isErr(r) ? `-${r.errno}` : { page: r.folio.pfn }));
  }

  /**
   * The folio has data newer than its block: PG_dirty on the page and the DIRTY mark on its
   * XArray slot, so writeback can find it; the inode goes on the writeback list.
   * Kernel: mm/page-writeback.c folio_mark_dirty() → filemap_dirty_folio() / __folio_mark_dirty()
   */
  private folio_mark_dirty(mapping: AddressSpace, index: number, f: Folio): void {
    const m = this.m;
    if (m.pages.testPageFlag(f.pfn, 'PG_dirty')) return;
    this.kcall('folio_mark_dirty', () => ({ ino: mapping.host, index, pfn: f.pfn }), () => `folio_mark_dirty: the DRAM copy of file page ${index} is now newer than its block on pmem.`, () => {
      m.pages.setPageFlag(f.pfn, 'PG_dirty');
      const xas = XA_STATE(mapping.i_pages, index);
      xas_load(xas);
      xas_set_mark(xas, PAGECACHE_TAG_DIRTY);
      if (m.tr.on) m.tr.emit({ t: 'note' }, `__mark_inode_dirty(I_DIRTY_PAGES): inode ${mapping.host} goes on the writeback list; until fsync or the flusher writes it back, the data lives only in DRAM.`);
      return null;
    });
  }

  /** Map a folio into a process at `addr`: one reference and one mapcount for the PTE. */
  private mapFolio(vmf: VmFault, f: Folio, write: boolean, why: string): void {
    const m = this.m;
    const addr = vmf.address - (vmf.address % PAGE_SIZE);
    m.pages.folio_get(f.pfn, 'the new PTE holds a reference on the page-cache folio');
    m.pages.folio_add_file_rmap_pte(f.pfn);
    const pte: PteRef = { pfn: f.pfn, present: true, write, dirty: write, huge: false, special: false, anon: false };
    m.as.set_pte(vmf.mm, addr, pte, why);
  }

  // ---- the fault handlers -------------------------------------------------------------------------

  /**
   * ->fault for a page-cache file: find or read the folio, then map it read-only (a read, or
   * any fault on a private mapping), copy it into vmf.cow_page (a private write), or hand it
   * back for ->page_mkwrite (a shared write, VM_FAULT_LOCKED).
   * Kernel: mm/filemap.c filemap_fault() (with mm/memory.c finish_fault() for the PTE)
   */
  // eslint-disable-next-line require-yield
  *filemap_fault(vmf: VmFault): KGen<number> {
    const m = this.m;
    const tr = m.tr;
    const ino = vmf.vma.ino!;
    const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
    const sharedWrite = write && vmf.cow_page === null && (vmf.vma.flags & VM_SHARED) !== 0;
    if (tr.on) tr.enter('filemap_fault', { ino, pgoff: vmf.pgoff, write }, `filemap_fault: ${vmf.who} needs file page ${vmf.pgoff} of inode ${ino}; without DAX the page must be in DRAM first.`);
    let ret = 0;
    body: {
      const size = m.fs.size(ino);
      if (vmf.pgoff >= Math.ceil(size / PAGE_SIZE)) {
        if (tr.on) tr.emit({ t: 'note' }, `File page ${vmf.pgoff} lies beyond the end of the file (${size} bytes): SIGBUS.`);
        ret = VM_FAULT_SIGBUS;
        break body;
      }
      const got = this.filemap_get_folio(ino, vmf.pgoff, 'filemap_get_folio');
      if (isErr(got)) {
        ret = got.errno === 'ENOMEM' ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
        break body;
      }
      const f = got.folio;
      if (got.major) ret |= VM_FAULT_MAJOR;
      const addr = vmf.address - (vmf.address % PAGE_SIZE);
      if (vmf.cow_page !== null) {
        const cow = vmf.cow_page;
        m.phys.writeDram(cow, 0, m.phys.readDram(f.pfn));
        if (tr.on) tr.emit({ t: 'note' }, `copy_user_highpage copies the page-cache folio (pfn ${hex(f.pfn)}) into the private page pfn ${hex(cow)}: two DRAM copies of the same file page now exist.`);
        if (m.as.pte(vmf.mm, addr)) m.as.zapOne(vmf.mm, addr, 'The old PTE gives way to the private copy.');
        m.as.set_pte(vmf.mm, addr, { pfn: cow, present: true, write: true, dirty: true, huge: false, special: false, anon: true },
          `finish_fault maps the private copy (DRAM pfn ${hex(cow)}) writable: this process's writes no longer reach the file.`);
        ret |= VM_FAULT_DONE_COW;
        break body;
      }
      if (sharedWrite) {
        // do_shared_fault calls ->page_mkwrite next, which maps the folio writable.
        this.lockFolio(f);
        if (tr.on) tr.emit({ t: 'note' }, `filemap_fault returns the locked folio (pfn ${hex(f.pfn)}); for a shared write, ->page_mkwrite runs before the PTE is made.`);
        ret |= VM_FAULT_LOCKED;
        break body;
      }
      if (m.as.pte(vmf.mm, addr)) {
        ret |= VM_FAULT_NOPAGE;
        break body;
      }
      this.mapFolio(vmf, f, false, `finish_fault maps the page-cache folio (DRAM pfn ${hex(f.pfn)}) read-only${vmf.vma.flags & VM_SHARED ? '; the first store will go through ->page_mkwrite so the kernel learns the page is dirty' : ''}.`);
      ret |= VM_FAULT_NOPAGE;
    }
    if (tr.on) tr.leave('filemap_fault', printFlags(ret, VM_FAULT_NAMES) || '0', `filemap_fault returns ${printFlags(ret, VM_FAULT_NAMES) || '0'}.`);
    return ret;
  }

  /**
   * ->page_mkwrite for a page-cache file: a store through a shared mapping is about to make the
   * folio newer than its block. Give the page a block now if it sits over a hole, mark the
   * folio dirty, and map it writable. A folio truncated meanwhile gives VM_FAULT_NOPAGE (the
   * access retries and then sees the new size).
   * Kernel: fs/xfs/xfs_file.c xfs_filemap_page_mkwrite() → fs/iomap/buffered-io.c iomap_page_mkwrite()
   */
  // eslint-disable-next-line require-yield
  *iomap_page_mkwrite(vmf: VmFault): KGen<number> {
    const m = this.m;
    const tr = m.tr;
    const ino = vmf.vma.ino!;
    const mapping = m.mapping(ino);
    const pos = vmf.pgoff * PAGE_SIZE;
    if (tr.on) tr.enter('iomap_page_mkwrite', { ino, pgoff: vmf.pgoff }, `iomap_page_mkwrite: ${vmf.who} is about to store into file page ${vmf.pgoff}; the page cache must learn that the folio will be dirty.`);
    let ret = VM_FAULT_NOPAGE;
    body: {
      const f = this.lookup(mapping, vmf.pgoff);
      const size = m.fs.size(ino);
      if (!f || m.pages.folioMapping(f.pfn) !== ino || pos >= size) {
        if (f) this.unlockFolio(f);
        if (tr.on) tr.emit({ t: 'note' }, 'The folio was truncated away meanwhile: return VM_FAULT_NOPAGE and let the access fault again.');
        break body;
      }
      this.lockFolio(f);
      const len = Math.min(PAGE_SIZE, size - pos);
      const ops = this.bufferedWriteOps;
      const flags = IOMAP_WRITE | IOMAP_FAULT;
      const blk = this.ensureBlocks(ino, pos, len, flags, ops);
      if (isErr(blk)) {
        this.unlockFolio(f);
        ret = blk.errno === 'ENOMEM' ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
        if (tr.on) tr.emit({ t: 'note' }, `No block can be allocated (${blk.errno}): the store gets SIGBUS.`);
        break body;
      }
      this.folio_mark_dirty(mapping, vmf.pgoff, f);
      const addr = vmf.address - (vmf.address % PAGE_SIZE);
      const cur = m.as.pte(vmf.mm, addr);
      if (cur) {
        if (cur.pfn !== f.pfn) m.warn('iomap_page_mkwrite', 'pte_pfn(pte) != folio_pfn(folio)', 'A present PTE points at another page than the page-cache folio.');
        else m.as.set_pte(vmf.mm, addr, { ...cur, write: true, dirty: true }, 'The PTE to the folio becomes writable and dirty: stores go to DRAM without faulting until writeback cleans it.');
      } else {
        this.mapFolio(vmf, f, true, `finish_fault maps the dirty page-cache folio (DRAM pfn ${hex(f.pfn)}) writable: stores land in DRAM, not on pmem.`);
      }
      this.unlockFolio(f);
    }
    if (tr.on) tr.leave('iomap_page_mkwrite', printFlags(ret, VM_FAULT_NAMES), `iomap_page_mkwrite returns ${printFlags(ret, VM_FAULT_NAMES)}.`);
    return ret;
  }

  /**
   * Make sure [pos, pos+len) has blocks: where the file has a hole, allocate at once through
   * the filesystem (the model's stand-in for delayed allocation). Shared (reflinked) blocks
   * are left alone: they are copied when the folio is written back.
   */
  private ensureBlocks(ino: number, pos: number, len: number, flags: number, ops: IomapOps): 0 | KErr {
    const m = this.m;
    for (let done = 0; done < len; ) {
      const cur = pos + done;
      const pair = iomapBegin(m.dax, m.fs.readOps, ino, cur, len - done, 0);
      if (isErr(pair)) return pair;
      const im = pair.iomap;
      const n = Math.max(1, Math.min(len - done, im.offset + im.length - cur));
      if (im.type === 'HOLE') {
        if (m.tr.on) m.tr.emit({ t: 'note' }, 'The page sits over a hole. XFS would reserve a delayed allocation here and pick blocks at writeback; the model allocates them now.');
        const w = iomapBegin(m.dax, ops, ino, cur, n, flags);
        if (isErr(w)) return w;
        const wn = Math.max(1, Math.min(n, w.iomap.offset + w.iomap.length - cur));
        this.iomapEnd(ops, ino, cur, wn, wn, flags, w.iomap);
        done += wn;
        continue;
      }
      done += n;
    }
    return 0;
  }

  // ---- read(2) and write(2) --------------------------------------------------------------------

  /**
   * read(2) on a page-cache file: every page of the range is found in (or read into) the page
   * cache and then copied from DRAM to the user. Returns { bytes, data } or an error.
   * Kernel: fs/xfs/xfs_file.c xfs_file_buffered_read() → mm/filemap.c filemap_read()
   */
  // eslint-disable-next-line require-yield
  *read(ino: number, offset: number, len: number, who: string): KGen<Json> {
    const m = this.m;
    const tr = m.tr;
    if (tr.on) tr.enter('xfs_file_buffered_read', { ino, pos: offset, len }, `${who} calls read(2) on inode ${ino}: XFS takes the inode lock shared and reads through the page cache.`);
    let r: Json;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(len) || len < 0) {
      r = errJson(kerr('EINVAL', 'read needs a non-negative offset and length'));
    } else {
      r = this.filemap_read(ino, offset, len);
    }
    if (tr.on) tr.leave('xfs_file_buffered_read', isErrJson(r) ? (r as { code: number }).code : (r as { bytes: number }).bytes, `read(2) returns ${isErrJson(r) ? formatJson(r as Json) : `${(r as { bytes: number }).bytes} bytes`}.`);
    return r;
  }

  /** Kernel: mm/filemap.c filemap_read() */
  private filemap_read(ino: number, offset: number, len: number): Json {
    const m = this.m;
    const tr = m.tr;
    const size = m.fs.size(ino);
    const end = Math.min(offset + len, size);
    const out = new Uint8Array(Math.max(0, end - offset));
    if (tr.on) tr.enter('filemap_read', { ino, pos: offset, len }, `filemap_read copies file bytes ${hex(offset)}..${hex(Math.max(offset, end))} out of page-cache folios (DAX would copy straight from pmem).`);
    let done = 0;
    let err: KErr | null = null;
    while (offset + done < end) {
      const pos = offset + done;
      const index = Math.floor(pos / PAGE_SIZE);
      const got = this.filemap_get_folio(ino, index, 'filemap_get_pages');
      if (isErr(got)) {
        err = got;
        break;
      }
      const off = pos % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, end - pos);
      out.set(m.phys.readDram(got.folio.pfn, off, n), done);
      if (tr.on) tr.emit({ t: 'note' }, `copy_folio_to_iter copies ${n} bytes from DRAM pfn ${hex(got.folio.pfn)} to ${m.currentTask?.who ?? 'the caller'}'s buffer.`);
      done += n;
    }
    const r: Json = err && !done ? errJson(err) : { bytes: done, data: bytesJson(out.subarray(0, done)) };
    if (tr.on) tr.leave('filemap_read', err && !done ? `-${err.errno}` : done, err && !done ? `filemap_read fails: ${err.why}` : `filemap_read copied ${done} bytes.`);
    return r;
  }

  /**
   * write(2) on a page-cache file: for each page, get the folio (reading the old block first
   * when only part of the page is written), copy the bytes into DRAM, mark the folio dirty and
   * grow i_size. Blocks are allocated for holes before the copy. Nothing reaches pmem here.
   * Returns the bytes written or an error.
   * Kernel: fs/xfs/xfs_file.c xfs_file_buffered_write() → fs/iomap/buffered-io.c iomap_file_buffered_write()
   */
  // eslint-disable-next-line require-yield
  *write(ino: number, offset: number, data: Uint8Array, who: string): KGen<Json> {
    const m = this.m;
    const tr = m.tr;
    if (tr.on) tr.enter('xfs_file_buffered_write', { ino, pos: offset, len: data.length }, `${who} calls write(2) on inode ${ino}: XFS takes the inode lock exclusive and copies the data into the page cache.`);
    let r: Json;
    const oldSize = m.fs.size(ino);
    const chk = m.fs.writeChecks(ino, offset, data.length);
    if (isErr(chk)) r = errJson(chk);
    else if (data.length === 0) r = 0;
    else {
      // xfs_file_write_checks: the gap between the old EOF and the write must read as zeros.
      // XFS zeroed the blocks; the cached EOF folio may still hold bytes a store left past EOF.
      if (offset > oldSize) this.zeroCached(ino, oldSize, offset - oldSize);
      r = this.iomap_file_buffered_write(ino, offset, data);
    }
    if (tr.on) tr.leave('xfs_file_buffered_write', r, `write(2) returns ${formatJson(r as Json)}.`);
    return r;
  }

  /** Kernel: fs/iomap/buffered-io.c iomap_file_buffered_write() / iomap_write_iter() */
  private iomap_file_buffered_write(ino: number, offset: number, data: Uint8Array): Json {
    const m = this.m;
    const tr = m.tr;
    const mapping = m.mapping(ino);
    const total = data.length;
    if (tr.on) tr.enter('iomap_file_buffered_write', { ino, pos: offset, len: total }, `iomap_file_buffered_write copies ${total} bytes into page-cache folios; the device is written only at writeback.`);
    let done = 0;
    let err: KErr | null = null;
    const oldSize = m.fs.size(ino);
    const ops = this.bufferedWriteOps;
    outer: while (done < total) {
      const cur = offset + done;
      const a = this.ensureBlocks(ino, cur, Math.min(total - done, PAGE_SIZE - (cur % PAGE_SIZE)), IOMAP_WRITE, ops);
      if (isErr(a)) {
        err = a;
        break;
      }
      // The mapping as it is now (after any allocation), for reading the rest of a partial page.
      const pair = iomapBegin(m.dax, m.fs.readOps, ino, cur, total - done, 0);
      if (isErr(pair)) {
        err = pair;
        break;
      }
      const extentEnd = pair.iomap.offset + pair.iomap.length;
      while (done < total && offset + done < extentEnd) {
        const pos = offset + done;
        const index = Math.floor(pos / PAGE_SIZE);
        const off = pos % PAGE_SIZE;
        const n = Math.min(PAGE_SIZE - off, total - done);
        const f = this.iomap_write_begin(mapping, ino, index, off, n, pair, oldSize);
        if (isErr(f)) {
          err = f;
          break outer;
        }
        m.phys.writeDram(f.pfn, off, data.subarray(done, done + n));
        if (tr.on) tr.emit({ t: 'note' }, `copy_folio_from_iter copies ${n} bytes from the user into DRAM pfn ${hex(f.pfn)} at offset ${off}; pmem is not touched.`);
        this.iomap_write_end(mapping, ino, index, pos, n, f);
        done += n;
      }
      this.iomapEnd(m.fs.readOps, ino, cur, offset + done - cur, offset + done - cur, 0, pair.iomap);
    }
    const r: Json = err && !done ? errJson(err) : done;
    if (tr.on) tr.leave('iomap_file_buffered_write', r, err && !done ? `The write fails: ${err.why}` : `${done} bytes are in the page cache, dirty.`);
    return r;
  }

  /**
   * Get the folio a write goes into, locked: an existing one, or a new one that is filled from
   * the old block first if the write covers only part of the page.
   * Kernel: fs/iomap/buffered-io.c iomap_write_begin() / __iomap_write_begin()
   */
  private iomap_write_begin(mapping: AddressSpace, ino: number, index: number, off: number, n: number, pair: IomapPair, oldSize: number): Folio | KErr {
    const m = this.m;
    return this.kcall('iomap_write_begin', () => ({ ino, index, offset: off, len: n }), () => `iomap_write_begin gets the folio for file page ${index}, locked.`, (): Folio | KErr => {
      let f = this.lookup(mapping, index);
      if (f) this.lockFolio(f);
      else {
        const nf = this.filemap_add_folio(mapping, index);
        if (isErr(nf)) return nf;
        f = nf;
      }
      if (!m.pages.testPageFlag(f.pfn, 'PG_uptodate') && (off > 0 || off + n < PAGE_SIZE)) {
        // Only part of the page is written: the rest must come from the block (or be zeros).
        const src = pair.srcmap.type !== 'HOLE' && pair.srcmap !== pair.iomap ? pair.srcmap : pair.iomap;
        const blockPos = index * PAGE_SIZE;
        const zero = src.type !== 'MAPPED' || (src.flags & IOMAP_F_NEW) !== 0 || blockPos >= oldSize;
        if (zero) {
          if (m.tr.on) m.tr.emit({ t: 'note' }, `The rest of file page ${index} has no data on the device (${src.type === 'MAPPED' ? 'new or beyond EOF' : src.type.toLowerCase()}): the folio's other bytes stay zero.`);
        } else {
          const dev = src.addr + (blockPos - src.offset);
          const b = m.pmem.readMc(dev, PAGE_SIZE);
          if (isErr(b)) {
            this.unlockFolio(f);
            return kerr('EIO', b.why);
          }
          m.phys.writeDram(f.pfn, 0, b);
          if (m.tr.on) m.tr.emit({ t: 'note' }, `A partial-page write must not lose the rest of the page: a block read copies the old block at ${hex(dev)} into DRAM pfn ${hex(f.pfn)} first (${iomapText(src)}).`);
        }
      }
      return f;
    }, (r) => (isErr(r) ? `-${r.errno}` : { page: r.pfn }));
  }

  /**
   * The copy is in: the folio is up to date and dirty, i_size grows if the write went past
   * it, and the folio is unlocked.
   * Kernel: fs/iomap/buffered-io.c iomap_write_end() / __iomap_write_end()
   */
  private iomap_write_end(mapping: AddressSpace, ino: number, index: number, pos: number, n: number, f: Folio): void {
    const m = this.m;
    this.kcall('iomap_write_end', () => ({ ino, index, pos, len: n }), () => `iomap_write_end: the bytes are in the folio; it is marked up to date and dirty.`, () => {
      m.pages.setPageFlag(f.pfn, 'PG_uptodate');
      this.folio_mark_dirty(mapping, index, f);
      if (pos + n > m.fs.size(ino)) m.fs.setSize(ino, pos + n, 'The write went past the end of the file: the in-memory i_size grows (XFS logs the new size when the data is written back).');
      this.unlockFolio(f);
      return null;
    });
  }

  // ---- writeback -----------------------------------------------------------------------------------

  /**
   * The data half of fsync/msync: every dirty folio in [start, end] (bytes; end inclusive, or
   * Infinity) is write-protected in every page table, cleaned, and copied to its block. Holes
   * get blocks, shared (reflinked) blocks are copied on write, and unwritten extents are
   * converted once the data is on the device. Returns 0 or a negative errno.
   * Kernel: mm/filemap.c file_write_and_wait_range() → do_writepages() → fs/xfs/xfs_aops.c
   * xfs_vm_writepages() → fs/iomap/buffered-io.c iomap_writepages() → mm/page-writeback.c write_cache_pages()
   */
  // eslint-disable-next-line require-yield
  *writeback(ino: number, start: number, end: number, who: string): KGen<number> {
    const m = this.m;
    const tr = m.tr;
    const mapping = m.mapping(ino);
    const first = Math.floor(Math.max(0, start) / PAGE_SIZE);
    const last = end === Infinity || end >= MAX_INDEX ? MAX_INDEX : Math.floor(end / PAGE_SIZE);
    if (tr.on) tr.enter('file_write_and_wait_range', { ino, start: first, end: last === MAX_INDEX ? 'EOF' : last }, `${who === 'kernel' ? 'The' : who + "'s"} fsync writes the dirty page-cache folios of inode ${ino} to the device and waits for them (DAX would only flush CPU caches).`);
    let ret = 0;
    body: {
      if (mapping.nrpages === 0) {
        if (tr.on) tr.emit({ t: 'note' }, 'The file has no pages in the page cache: nothing to write back.');
        break body;
      }
      tag_pages_for_writeback(m.dax, mapping, first, last);
      if (tr.on) tr.enter('iomap_writepages', { ino, sync: 'WB_SYNC_ALL' }, 'iomap_writepages walks the folios tagged TOWRITE and sends each one to its block (write_cache_pages).');
      let next = first;
      for (;;) {
        const xas = XA_STATE(mapping.i_pages, next);
        const e = xas_find_marked(xas, last, PAGECACHE_TAG_TOWRITE);
        if (!e) break;
        const index = xas.xa_index;
        next = index + 1;
        if (!(e instanceof Folio)) {
          m.warn('write_cache_pages', '!folio', 'A non-folio entry is tagged TOWRITE in a page-cache mapping.');
          xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
          continue;
        }
        const r = this.writeOneFolio(ino, mapping, index, e);
        if (r < 0 && ret === 0) ret = r;
        if (next > last) break;
      }
      if (tr.on) tr.leave('iomap_writepages', ret, ret ? `iomap_writepages fails with ${ret}.` : 'Every tagged folio has been written.');
    }
    if (tr.on) tr.leave('file_write_and_wait_range', ret, ret ? `Writeback fails with ${ret}.` : 'The file\'s data is on the device.');
    return ret;
  }

  /** One folio of write_cache_pages: lock, clean, write, end writeback. Kernel: iomap_writepage_map() */
  private writeOneFolio(ino: number, mapping: AddressSpace, index: number, f: Folio): number {
    const m = this.m;
    const tr = m.tr;
    if (tr.on) tr.enter('iomap_writepage_map', { ino, index, pfn: f.pfn }, `Write back file page ${index} (DRAM pfn ${hex(f.pfn)}).`);
    let ret = 0;
    body: {
      this.lockFolio(f);
      const xas = XA_STATE(mapping.i_pages, index);
      xas_load(xas);
      if (!m.pages.testPageFlag(f.pfn, 'PG_dirty')) {
        // Cleaned by someone else since it was tagged.
        xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
        this.unlockFolio(f);
        break body;
      }
      this.folio_clear_dirty_for_io(ino, index, f);
      const size = m.fs.size(ino);
      const pos = index * PAGE_SIZE;
      if (pos >= size) {
        // Wholly beyond EOF (truncated meanwhile): nothing to write.
        xas_clear_mark(xas, PAGECACHE_TAG_DIRTY);
        xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
        if (tr.on) tr.emit({ t: 'note' }, `File page ${index} lies beyond the end of the file: it is cleaned without being written.`);
        this.unlockFolio(f);
        break body;
      }
      if (pos + PAGE_SIZE > size) {
        // The part of the EOF page past i_size must reach the device as zeros.
        m.phys.writeDram(f.pfn, size - pos, new Uint8Array(pos + PAGE_SIZE - size));
        if (tr.on) tr.emit({ t: 'note' }, `The folio straddles the end of the file: its bytes past ${size} are zeroed before it is written (iomap_writepage_handle_eof).`);
      }
      // xfs_map_blocks: where does this page go? Holes get blocks, shared blocks a private copy.
      const ops = this.bufferedWriteOps;
      const pair = iomapBegin(m.dax, ops, ino, pos, PAGE_SIZE, IOMAP_WRITE);
      if (isErr(pair)) {
        // The data stays in DRAM, dirty again, and fsync reports the error.
        this.folio_mark_dirty(mapping, index, f);
        xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
        this.unlockFolio(f);
        ret = -ERRNO[pair.errno];
        break body;
      }
      const im = pair.iomap;
      if (im.type === 'HOLE' || im.addr < 0) {
        m.warn('iomap_writepage_map', 'iomap->type == IOMAP_HOLE', `The filesystem gave no block for file page ${index} to write to.`);
        this.folio_mark_dirty(mapping, index, f);
        xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
        this.unlockFolio(f);
        ret = -ERRNO.EIO;
        break body;
      }
      // __folio_start_writeback: PG_writeback, and the tags move from DIRTY/TOWRITE to WRITEBACK.
      m.pages.setPageFlag(f.pfn, 'PG_writeback');
      xas_set_mark(xas, PAGECACHE_TAG_WRITEBACK);
      xas_clear_mark(xas, PAGECACHE_TAG_DIRTY);
      xas_clear_mark(xas, PAGECACHE_TAG_TOWRITE);
      this.unlockFolio(f);
      const dev = im.addr + (pos - im.offset);
      m.pmem.writeNT(dev, m.phys.readDram(f.pfn));
      if (tr.on) tr.emit({ t: 'note' }, `submit_bio: the pmem block driver copies DRAM pfn ${hex(f.pfn)} into the block at device offset ${hex(dev)} (${iomapText(im)}). This is a block I/O: only now does the data leave DRAM.`);
      this.iomapEnd(ops, ino, pos, PAGE_SIZE, PAGE_SIZE, IOMAP_WRITE, im);
      this.xfs_end_ioend(ino, pos, im);
      // folio_end_writeback
      m.pages.clearPageFlag(f.pfn, 'PG_writeback');
      xas_clear_mark(xas, PAGECACHE_TAG_WRITEBACK);
    }
    if (tr.on) tr.leave('iomap_writepage_map', ret, ret ? `Writing file page ${index} failed with ${ret}.` : `File page ${index} is clean and on the device.`);
    return ret;
  }

  /**
   * Write-protect every PTE that maps the folio (so the next store faults and dirties it again)
   * and clear PG_dirty. The XArray's DIRTY mark is cleared when writeback starts.
   * Kernel: mm/page-writeback.c folio_clear_dirty_for_io() → mm/rmap.c folio_mkclean()
   */
  private folio_clear_dirty_for_io(ino: number, index: number, f: Folio): void {
    const m = this.m;
    this.kcall('folio_clear_dirty_for_io', () => ({ ino, index, pfn: f.pfn }), () => 'folio_clear_dirty_for_io cleans the folio before it is written.', () => {
      this.kcall('folio_mkclean', () => ({ pfn: f.pfn }), () => 'folio_mkclean walks the reverse map and write-protects and cleans every PTE of the folio.', () => {
        let n = 0;
        for (const l of [...m.as.mappingsOf(ino, index)]) {
          if (l.level !== 'pte' || l.pte.pfn !== f.pfn || (!l.pte.write && !l.pte.dirty)) continue;
          m.as.set_pte(l.mm, l.addr, { ...l.pte, write: false, dirty: false }, `${l.mm.name}'s PTE to the folio becomes read-only and clean: the next store faults and re-dirties the page.`);
          n++;
        }
        return n;
      });
      m.pages.clearPageFlag(f.pfn, 'PG_dirty');
      return null;
    });
  }

  /**
   * I/O completion on the filesystem side: blocks that were allocated unwritten become
   * written, now that they hold the data.
   * Kernel: fs/xfs/xfs_aops.c xfs_end_ioend() → xfs_iomap_write_unwritten()
   */
  private xfs_end_ioend(ino: number, pos: number, im: Iomap): void {
    if (im.type !== 'UNWRITTEN') return;
    const mp = this.m.fs.mp;
    const ip = xfs_iget(mp, ino);
    if (isErr(ip)) return;
    this.kcall('xfs_end_ioend', () => ({ ino, pos, len: PAGE_SIZE }), () => 'xfs_end_ioend: the block I/O into an unwritten extent is complete, so the extent is marked written.', () => {
      xfs_iomap_write_unwritten(mp, ip, pos, PAGE_SIZE);
      return null;
    });
  }

  // ---- truncate, zeroing and power failure -------------------------------------------------------

  /**
   * The page-cache half of zeroing a file range, for when i_size grows (truncate up,
   * fallocate past EOF): the cached folios' bytes in [pos, pos+len) become zeros, so bytes a
   * store left past the old EOF cannot reappear inside the file. XFS zeroes the blocks itself.
   * Kernel: fs/xfs/xfs_iomap.c xfs_zero_range() → fs/iomap/buffered-io.c iomap_zero_range()
   */
  // eslint-disable-next-line require-yield
  *zeroRange(ino: number, pos: number, len: number, who: string): KGen<void> {
    const tr = this.m.tr;
    if (len <= 0) return;
    if (tr.on) tr.enter('iomap_zero_range', { ino, pos, len }, `${who}: iomap_zero_range zeroes file bytes ${hex(pos)}..${hex(pos + len - 1)} in the page cache.`);
    const n = this.zeroCached(ino, pos, len);
    if (tr.on) tr.leave('iomap_zero_range', n, `${n} cached folio(s) zeroed in part.`);
  }

  /** Zero [pos, pos+len) in whatever folios of the file are cached; returns how many. */
  private zeroCached(ino: number, pos: number, len: number): number {
    const m = this.m;
    const mapping = m.mappings.get(ino);
    if (!mapping || mapping.nrpages === 0 || len <= 0) return 0;
    const end = pos + len - 1;
    let n = 0;
    for (const [index, f] of this.foliosIn(mapping, Math.floor(pos / PAGE_SIZE), Math.min(MAX_INDEX, Math.floor(end / PAGE_SIZE)))) {
      const pageStart = index * PAGE_SIZE;
      const zs = Math.max(pos, pageStart);
      const ze = Math.min(end, pageStart + PAGE_SIZE - 1);
      m.phys.writeDram(f.pfn, zs - pageStart, new Uint8Array(ze - zs + 1));
      if (m.tr.on) m.tr.emit({ t: 'note' }, `Bytes ${zs - pageStart}..${ze - pageStart} of the cached file page ${index} (pfn ${hex(f.pfn)}) are zeroed, as the blocks under them were.`);
      n++;
    }
    return n;
  }

  /** The folios cached at indices [first, last], in order (a snapshot). */
  private foliosIn(mapping: AddressSpace, first: number, last: number): [number, Folio][] {
    const out: [number, Folio][] = [];
    let next = first;
    while (next <= last) {
      const xas = XA_STATE(mapping.i_pages, next);
      const e = xas_find(xas, last);
      if (!e) break;
      if (e instanceof Folio) out.push([xas.xa_index, e]);
      next = xas.xa_index + 1;
    }
    return out;
  }


  /**
   * Remove the folios of file pages [firstIndex, lastIndex] from the page cache: unmap any
   * that are still mapped, drop dirty data without writing it, and free the DRAM pages.
   * With `bytes` (the kernel call's lstart/lend, lend inclusive) the bytes decide: a folio
   * wholly inside them is removed, a folio partly inside is kept and zeroed over that part,
   * and the folios the bytes touch are visited even if the index range leaves them out (so a
   * truncate to a size inside a page zeroes the tail of the EOF folio).
   * Kernel: mm/truncate.c truncate_inode_pages_range()
   */
  // eslint-disable-next-line require-yield
  *truncateRange(ino: number, firstIndex: number, lastIndex: number, who: string, bytes?: { start: number; end: number }): KGen<void> {
    const m = this.m;
    const tr = m.tr;
    const mapping = m.mapping(ino);
    // With byte bounds the folios they touch are looked at too (a partial one is zeroed).
    const first = bytes ? Math.min(firstIndex, Math.floor(Math.max(0, bytes.start) / PAGE_SIZE)) : firstIndex;
    const last = Math.min(bytes ? Math.max(lastIndex, Math.floor(Math.min(bytes.end, MAX_INDEX) / PAGE_SIZE)) : lastIndex, MAX_INDEX);
    if (tr.on) tr.enter('truncate_inode_pages_range', { ino, start: first, end: last === MAX_INDEX ? 'EOF' : last }, `${who}: truncate_inode_pages_range removes file pages ${first}..${last === MAX_INDEX ? 'EOF' : last} from the page cache and frees their DRAM.`);
    const found = this.foliosIn(mapping, first, last);
    for (const [index, f] of found) {
      const pageStart = index * PAGE_SIZE;
      const pageEnd = pageStart + PAGE_SIZE - 1;
      if (bytes && (bytes.start > pageStart || bytes.end < pageEnd)) {
        const zs = Math.max(bytes.start, pageStart);
        const ze = Math.min(bytes.end, pageEnd);
        if (zs > ze) continue; // outside the byte range: left alone
        m.phys.writeDram(f.pfn, zs - pageStart, new Uint8Array(ze - zs + 1));
        if (tr.on) tr.emit({ t: 'note' }, `truncate_inode_partial_folio: file page ${index} is only partly in the range, so it stays in the page cache and bytes ${zs - pageStart}..${ze - pageStart} of it are zeroed.`);
        continue;
      }
      if (m.pages.folio_mapcount(f.pfn) > 0) m.as.unmap_mapping_pages(ino, index, 1, 'truncate_cleanup_folio unmaps the folio from every process that still maps it.', true);
      if (m.pages.testPageFlag(f.pfn, 'PG_dirty')) {
        m.pages.clearPageFlag(f.pfn, 'PG_dirty');
        if (tr.on) tr.emit({ t: 'note' }, `folio_cancel_dirty: file page ${index} was dirty; its data never reaches the device and is simply dropped.`);
      }
      m.pages.clearPageFlag(f.pfn, 'PG_uptodate');
      this.filemap_remove_folio(mapping, index, f, `File page ${index} leaves the page cache; its DRAM page goes back to the allocator.`);
    }
    if (tr.on) tr.leave('truncate_inode_pages_range', null, `${found.length} folio(s) handled.`);
  }

  /**
   * Power failure: every folio of every page cache vanishes with the DRAM that held it; dirty
   * ones take their data with them. (The machine has already torn down the page tables.)
   */
  dropAll(): void {
    const m = this.m;
    const tr = m.tr;
    let dirty = 0;
    let total = 0;
    for (const mapping of m.mappings.values()) {
      for (const [index, f] of this.foliosIn(mapping, 0, MAX_INDEX)) {
        total++;
        const xas = XA_STATE(mapping.i_pages, index);
        xas_load(xas);
        const wasDirty = xas_get_mark(xas, PAGECACHE_TAG_DIRTY) || m.pages.testPageFlag(f.pfn, 'PG_dirty');
        if (wasDirty) dirty++;
        xas_store(xas, null);
        m.dax.nrpagesChanged(mapping, -1, `Power is gone: file page ${index} of inode ${mapping.host} vanishes from the page cache${wasDirty ? ' with data that never reached the device' : ''}.`);
        // Anything else that held the page (a pin) is gone with the machine.
        if (m.pages.folio_ref_count(f.pfn) !== 1) m.pages.set_page_count(f.pfn, 1);
        m.pages.folio_put(f.pfn, 'power failure: the page cache is gone');
      }
    }
    if (tr.on && total) tr.emit({ t: 'note' }, `The page cache is gone: ${total} folio(s) lost, ${dirty} of them dirty. On dax=never, data that was only in the page cache is lost; on DAX it would have been on pmem already (in the CPU cache at worst).`);
  }
}

// ---- small shared helpers ---------------------------------------------------------------------------

function iomapText(im: Iomap): string {
  const d = iomapDescribe(im) as { flags: string };
  return `${im.type}${im.flags & IOMAP_F_SHARED ? ', a fresh copy of a shared block' : d.flags ? ', ' + d.flags : ''}`;
}

function errJson(r: KErr): Json {
  return { errno: r.errno, code: -ERRNO[r.errno], why: r.why };
}

function isErrJson(r: Json): boolean {
  return !!r && typeof r === 'object' && !Array.isArray(r) && 'errno' in r;
}

const bytesJson = (b: Uint8Array): string => bytesText(b);
