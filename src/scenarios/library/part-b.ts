/**
 * Guided library, part B: tours in the scenario language (see ./types.ts and docs/scenario-language.md).
 *
 * Topics: power failure, truncate and hole punch, pins, struct page and the memmap, reflink and
 * copy-on-write, the owner of a shared page, memory failure, MAP_PRIVATE, and the 6.1 kernel.
 * Operations that fail or signal on purpose (each tour narrates it):
 *   truncate-punch - the load beyond the new end of file: SIGBUS.
 *   pin-longterm   - the FOLL_LONGTERM pin: EOPNOTSUPP.
 *   memory-failure - the poison op signals every mapping process (its outcome is done), the
 *                    later load gets SIGBUS, the read(2) of the bad block EIO.
 * eras-61 runs on kernel=6.1 and shows the invariant violations docs/kernel-6.1.md explains
 * (page.mapping, page.cow-private) and 6.1's dax_associate_entry warning.
 */
import type { TourDef } from './types';

export const PART_B: TourDef[] = [
  {
    name: 'power-adr',
    title: 'Power failure on ADR: only flushed stores survive',
    summary: 'Three stores into a DAX mapping: one written back by fsync, one flushed by the program (CLWB+SFENCE), one left in the CPU cache. ADR loses the third.',
    topics: ['power-failure', 'dirty-fsync'],
    text: `machine platform=adr dax=always

## Setting up
> Create file f. Only a log force (fsync) makes a new file durable.
create f
> write(2) 8 KiB of dots. DAX copies with non-temporal stores that bypass the CPU cache: the bytes reach the media at once.
write f 0 fill=0x2e len=8K
> fsync forces the XFS log: the new blocks and the file size are now durable too.
fsync f
> Process A maps f shared.
A: mmap f 8K as m

## Three stores
> A stores "synced" at offset 0. The write fault maps the block; the bytes sit in a dirty CPU cache line (Memory panel), not on the media.
A: store m "synced"
> fsync finds the DIRTY entry in the XArray; dax_writeback_one write-protects the PTE and writes the line back with CLWB.
A: fsync f
> A stores "flushed" at offset 64, the next cache line. The PTE is read-only now, so a write-protect fault marks the entry DIRTY again.
A: store m+64 "flushed"
> A flushes that line itself (CLWB, then SFENCE), as libpmem's pmem_persist does. No kernel code runs.
A: flush m+64 64
> A stores "lost" at offset 128 and does nothing more. That line stays dirty in the cache.
A: store m+128 "lost"

## Power failure
> The power fails. ADR drains only the memory controller's queues: the dirty line at 128 is discarded (Memory). DRAM is gone: page tables, XArrays, the page cache.
crash

## After the reboot
> Log recovery is done. read(2) finds "synced" and "flushed"; at offset 128 the old dots are back. On ADR a store is durable only once it is flushed. On eADR all three would survive (tour power-eadr).
read f 0 136
`,
  },
  {
    name: 'power-eadr',
    title: 'Power failure on eADR: the cache is saved, the metadata is not',
    summary: 'On eADR the CPU caches are drained at power loss, so unflushed stores survive; but a block allocated by a write fault after the last fsync is rolled back by log recovery.',
    topics: ['power-failure'],
    text: `machine platform=eadr dax=always

## Setting up
> Create file f.
create f
> write(2) 4 KiB of dots: one block is allocated and filled, bypassing the cache.
write f 0 fill=0x2e len=4K
> Grow f to 8 KiB. Page 1 is a hole: no block behind it.
truncate f 8K
> fsync forces the log: block 0 and the 8 KiB size are durable.
fsync f
> Process A maps f shared.
A: mmap f 8K as m

## Stores and no flush at all
> A stores "kept" into page 0. Its block is already durable; the bytes sit in a dirty cache line.
A: store m "kept"
> A stores into page 1, a hole. The write fault allocates a block (Files and extents), but that allocation is only in the in-memory log, not yet forced.
A: store m+4K "new block"

## Power failure
> The power fails. eADR drains the CPU caches too: both dirty lines reach the media (Memory: drained, not discarded). Then log recovery rolls the metadata back to the last log force: page 1 loses its block.
crash

## What survived
> Page 0 reads "kept". On ADR this store would be lost (see tour power-adr); on eADR a store is durable once it reaches the cache.
read f 0 4
> Page 1 reads zeros: the bytes reached the media, in a block the file no longer owns. Even on eADR, fsync or msync (or MAP_SYNC) is needed to make a new block durable.
read f 4K 9
`,
  },
  {
    name: 'truncate-punch',
    onPurpose: { 9: 'signal' },
    title: 'Hole punch and truncate under a live mapping',
    summary: 'Punching a hole unmaps the pages, deletes the DAX entries and frees the block: the next load sees the zero page. After truncate, a load beyond the end of file gets SIGBUS.',
    topics: ['truncate-punch'],
    text: `machine dax=always

## A mapped file
> Create file f.
create f
> write(2) 16 KiB: four blocks.
write f 0 fill=0x61 len=16K
> Process A maps all four pages.
A: mmap f 16K as m
> A reads page 1: a read-only PTE to its block, a DAX entry at index 1.
A: load m+4K
> A reads page 3: another PTE and entry.
A: load m+12K

## Punch a hole
> Punch page 1. XFS breaks the layout first: dax_break_layout unmaps every PTE of the file (both go, Page tables) and deletes the entries (XArray). Then block 513 is freed (Files and extents).
punch f 4K 4K
> A reads page 1 again: a new fault finds a hole and maps the shared zero page. The size did not change.
A: load m+4K
> A stores into page 1: the write fault allocates a new block. Not 513: a freed block stays busy until the log is forced.
A: store m+4K "refill"

## Truncate
> Truncate f to 8 KiB. Another layout break unmaps the whole file and deletes its entries; then the blocks of pages 2 and 3 (514-515) are freed.
truncate f 8K
> A reads page 3, now wholly beyond the end of file. dax_iomap_pte_fault refuses: SIGBUS. This signal is the point of the step.
A: load m+12K
> Page 1 is below the new end of file: a fresh fault maps its block, and "refill" is there.
A: load m+4K 6
`,
  },
  {
    name: 'pin-truncate',
    title: 'A pinned page makes truncate wait',
    summary: 'A page pinned for DMA cannot be freed: truncate breaks the layout, sleeps until the pin is released, then completes.',
    topics: ['pins', 'truncate-punch'],
    text: `machine dax=always kernel=modern

## A page under DMA
> Create file f.
create f
> Grow f to 1 MiB of holes.
truncate f 1M
> Process A maps f.
A: mmap f 1M as m
> A stores into page 0: a block is allocated and mapped writable. The PTE holds one reference: refcount 1, mapcount 1 (struct page).
A: store m "dma"
> A pins page 0 with pin_user_pages, as an O_DIRECT read into this buffer does. The pin adds GUP_PIN_COUNTING_BIAS: refcount 1025.
A: pin m as dma

## Truncate waits
> B truncates f to 0. dax_break_layout unmaps A's PTE (refcount 1024, mapcount 0), then finds the page busy: refcount minus mapcount is not 0. The block may still receive DMA, so B sleeps.
B: truncate f 0

## The pin goes away
> A's transfer ends and it unpins: refcount 0, the page is idle. B wakes, deletes the entry and frees the block.
A: unpin dma
`,
  },
  {
    name: 'pin-longterm',
    onPurpose: { 3: 'error' },
    title: 'FOLL_LONGTERM is refused on fsdax (RDMA)',
    summary: 'An RDMA registration asks for a long-term pin of a DAX mapping and gets EOPNOTSUPP; a short-term pin works; with no pin left a truncate runs at once.',
    topics: ['pins'],
    text: `machine dax=always

## An RDMA buffer in a file
> Create file buf.
create buf
> write(2) 8 KiB into it.
write buf 0 fill=0x52 len=8K
> Process A maps buf shared. It wants to register this memory with an RDMA card.
A: mmap buf 8K as m

## A long-term pin
> RDMA registration pins with FOLL_LONGTERM: the card may write into the pages for hours. check_vma_flags refuses it on an fsdax mapping: EOPNOTSUPP. This failure is the point of the step.
A: pin m 8K longterm write as mr

## A short-term pin
> A short-term pin, as O_DIRECT takes, is allowed: the page is faulted in writable and its refcount grows by 1024 (struct page).
A: pin m 4K write as dio
> The transfer ends: A unpins. refcount is 1, held by the PTE alone: the page is not busy.
A: unpin dio

## Why
> Seed 002 (2014): Boaz Harrosh said RDMA into a DAX mapping just works, and the user must keep truncate away. Dave Chinner did not want XFS to hold on to freed extents for a pinned buffer. The kernel's answer: long-term pins of fsdax pages are refused since 4.15 (get_user_pages_longterm, now FOLL_LONGTERM), and since 4.18 a layout break waits for short ones. With no pin left, this truncate unmaps, deletes and frees at once.
truncate buf 0
`,
  },
  {
    name: 'struct-page',
    title: 'struct page for pmem, and what the memmap costs',
    summary: 'A 256 MiB fsdax namespace with map=dev: its struct pages live on the device. Watch one page get an owner, references, a mapcount and a pin.',
    topics: ['struct-page'],
    text: `machine device=256M memmap=dev kernel=modern

## The memmap
> Create file f. This pmem namespace is 256 MiB with map=dev: its struct pages, 64 bytes per 4 KiB page (about 4 MiB), sit on the device after an 8 KiB info block; data starts at 6 MiB. map=mem puts them in DRAM. At 1/64, 4 TiB of pmem needs 64 GiB of memmap.
create f
> write(2) 8 KiB: two blocks. Their struct pages are ZONE_DEVICE pages (device memory with struct pages) of a MEMORY_DEVICE_FS_DAX pagemap, idle at _refcount 0; the page allocator never hands them out. No struct page field changes: write(2) does not map anything.
write f 0 fill=0x73 len=8K

## A page gets an owner
> Process A maps f.
A: mmap f 8K as a
> A reads page 1. dax_associate_entry sets mapping (f's inode) and index 1 (struct page panel). The PTE takes a reference and a mapcount: refcount 1, mapcount 1.
A: load a+4K
> Process B maps f read-only.
B: mmap f 8K r as b
> B reads page 1: a second PTE, refcount 2, mapcount 2. One file, one offset: mapping and index do not change.
B: load b+4K

## Busy or idle
> A pins page 1, as O_DIRECT does: refcount 1026. Refcount minus mapcount is not 0, so a layout break would call the page busy.
A: pin a+4K as dio
> A unpins: refcount 2.
A: unpin dio
> A unmaps: refcount 1, mapcount 1.
A: munmap a 8K
> B unmaps: refcount 0, idle. mapping stays: the XArray entry still names this page.
B: munmap b 8K

## The missing struct page
> In 2014 Matthew Wilcox hoped for some way around the missing struct page for pmem; Boaz Harrosh answered that struct page already tracks a pfn. In 2015 Ingo Molnar proposed putting it on the device (map=dev). Since 4.15 fsdax needs it. Truncating f deletes the entries: mapping is NULL again.
truncate f 0
`,
  },
  {
    name: 'reflink-cow',
    title: 'Reflinked files share a block; a store copies it (CoW)',
    summary: 'Two files share one block after reflink; two processes map it; a store through one mapping copies the block, and the share count drops.',
    topics: ['reflink-cow', 'shared-owner'],
    text: `machine dax=always reflink=on kernel=modern

## Sharing a block
> Create file a.
create a
> write(2) "AAAA" into a: a block is allocated and the bytes go straight to the media.
A: write a 0 "AAAA"
> Create file b.
create b
> Reflink a into b (FICLONE). b's extent points at the same device block; the refcount btree now says 2 owners (Files and extents). No data is copied.
A: reflink a b

## Two processes, one block
> Process A maps file a.
A: mmap a 4K as ma
> Process B maps file b.
B: mmap b 4K as mb
> A reads a. XFS reports IOMAP_F_SHARED; the first file to map the block owns it: mapping = a (struct page). The PTE is read-only.
A: load ma 4
> B reads b: a PTE in another process to the same pfn. Two files now hold the page, so mapping becomes NULL and share 2.
B: load mb 4

## Copy on write
> B stores into b. The block is shared, so the fault cannot write in place: XFS allocates a CoW block, dax_iomap_copy_around copies the old bytes, the new entry is tagged DIRTY and TOWRITE, and b's extent moves to the new block. B's old PTE is unmapped and the old page's share drops to 1 (struct page); the refcount btree says 1 owner (Files and extents).
B: store mb "BB"
> B reads its own new block: "BBAA".
B: load mb 4
> A still reads "AAAA": file a kept the original block.
A: load ma 4
`,
  },
  {
    name: 'reflink-write',
    title: 'write(2) into a reflinked block copies it too',
    summary: 'A write(2) into a shared block goes to a fresh CoW block: the old PTE is unmapped, the untouched bytes are copied, and the other file keeps the original.',
    topics: ['reflink-cow'],
    text: `machine dax=always reflink=on

## Two files, shared blocks
> Create file a.
create a
> write(2) 8 KiB of "a": two blocks.
write a 0 fill=0x61 len=8K
> Create file b.
create b
> Reflink a into b: both blocks now have two owners (Files and extents).
reflink a b
> Process B maps b.
B: mmap b 8K as mb
> B reads page 1: a read-only PTE to the shared block.
B: load mb+4K 4

## A write(2), not a store
> write(2) "XY" at b's page 1. XFS allocates a block in b's CoW fork; DAX drops b's entry and unmaps B's PTE, copies the rest of the old page and writes "XY". Then XFS remaps the CoW block into b, and the old block has one owner left.
write b 4K "XY"

## Two files, two blocks
> B reads page 1 again: a new fault maps the new block, "XYaa".
B: load mb+4K 4
> File a is untouched: "aaaa".
read a 4K 4
> fsync b commits the remap. But dax_iomap_copy_around copied the rest of the page with ordinary cached stores, and write(2) leaves no DIRTY entry: those 63 lines stay dirty in the cache (Memory). On ADR a crash now would lose them.
fsync b
`,
  },
  {
    name: 'shared-owner',
    title: 'One block in three files: who owns the page?',
    summary: 'Three reflinked files map one block. struct page has room for one mapping and one index, so the kernel records NULL and a share count; the proposals that tried to do better.',
    topics: ['shared-owner', 'struct-page', 'reflink-cow'],
    text: `machine dax=always kernel=modern

## Three files, one block
> Create file a.
create a
> write(2) one block into a.
write a 0 fill=0x61 len=4K
> Create file b.
create b
> Reflink a into b: the block has 2 owners.
reflink a b
> Create file c.
create c
> Reflink a into c: 3 owners (Files and extents).
reflink a c
> Process A maps a.
A: mmap a 4K as ma
> Process B maps b.
B: mmap b 4K as mb
> Process C maps c.
C: mmap c 4K as mc

## page->mapping names one file
> A reads a: dax_associate_entry sets mapping = a, index 0 (struct page).
A: load ma
> B reads b at the same pfn. page->mapping is one pointer and cannot name two files, and the offsets could differ. So mapping becomes NULL and share 2 (share overlays index).
B: load mb
> C reads c: share 3. Who the owners are is not in struct page: only the XFS reverse map knows (memory failure asks it, see tour memory-failure).
C: load mc

## What was proposed
> C unmaps c (watch share in struct page). Ideas for doing better, none built: 2019, a "page proxy" that Dan Williams meant to push forward (a per-file object with its own index, pointing at the real page) and Matthew Wilcox's PFN entries in each file's page cache (seed 000). 2020: Jerome Glisse proposed passing the mapping to every VFS callback; Wilcox found it "gigantic and unreviewable" and asked for a way without "this kind of violence to struct page" (seed 003). What was merged: the XFS reverse map for memory failure (5.19) and this share count.
C: munmap mc 4K
> share counts files whose XArray holds the page, not PTEs: C's munmap left it at 3. Truncating c deletes c's entry: share 2, and the block has 2 owners.
truncate c 0
`,
  },
  {
    name: 'memory-failure',
    onPurpose: { 13: 'signal', 15: 'error' },
    title: 'A media error in a block three files share',
    summary: 'Poison a pmem block shared by three reflinked files, each mapped by a process: the XFS reverse map finds every owner, every process gets SIGBUS, and later accesses fail.',
    topics: ['memory-failure', 'shared-owner'],
    text: `machine dax=always kernel=modern

## Three owners
> Create file a.
create a
> write(2) 8 KiB into a: two blocks.
write a 0 fill=0x61 len=8K
> Create b and c, and reflink a into both: each block has 3 owners.
create b
> b shares a's blocks.
reflink a b
> Create file c.
create c
> c shares them too.
reflink a c
> Process A maps a.
A: mmap a 8K as ma
> Process B maps b.
B: mmap b 8K as mb
> Process C maps c, read-only.
C: mmap c 8K r as mc
> A reads page 0 of a: mapping = a (struct page).
A: load ma
> B reads page 0 of b, the same pfn: mapping NULL, share 2.
B: load mb
> C reads page 0 of c: three PTEs to one pfn, share 3.
C: load mc

## The media error
> A cache line of that block goes bad. memory_failure asks the pmem driver's holder, XFS: xfs_dax_notify_failure walks the reverse map and finds 3 owners. For each, mf_dax_kill_procs sets PG_hwpoison, unmaps the page and sends SIGBUS (BUS_MCEERR_AO) to A, B and C (Call path, Narration).
poison a 0

## After the error
> A touches page 0 again: the fault sees the poisoned page and answers HWPOISON. SIGBUS (BUS_MCEERR_AR) again, on purpose.
A: load ma
> Page 1 is another block: B reads it normally.
B: load mb+4K
> read(2) of page 0 through c: DAX cannot copy from the bad block, so read(2) fails with EIO instead of a signal.
read c 0 4
`,
  },
  {
    name: 'private-cow',
    title: 'MAP_PRIVATE on DAX: copy-on-write into DRAM',
    summary: 'A store to a private mapping copies the pmem block into an anonymous DRAM page; the file and every shared mapping keep the original.',
    topics: ['private-cow'],
    text: `machine dax=always

## A private mapping
> Create file f.
create f
> write(2) 8 KiB of "f".
write f 0 fill=0x66 len=8K
> Process A maps f with MAP_PRIVATE, read-write.
A: mmap f 8K private as p

## First access is a write
> A stores "mine" into page 0. The PMD try falls back to 4 KiB. do_cow_fault allocates a DRAM page (Memory). The write is not shared, so XFS serves it as a read (xfs_dax_read_fault): nothing is allocated. dax_fault_iter copies the block into the DRAM page and returns DONE_COW. The PTE maps the copy, writable; the XArray keeps an EMPTY entry.
A: store p "mine"
> Process B maps f shared.
B: mmap f 8K as s
> B reads page 0: its PTE maps the pmem block, which still holds "ffff".
B: load s 4
> A reads its copy: "mine".
A: load p 4

## Read first, then write
> A reads page 1: a read-only PTE to the pmem block itself, no copy yet.
A: load p+4K 4
> A stores into page 1: do_wp_page copies the block into a new DRAM page (wp_page_copy) and drops the pmem reference.
A: store p+4K "too"

## The file is untouched
> msync writes back shared mappings only: there is nothing to do here.
A: msync p 8K
> read(2) of f still returns "ffff". Private copies never reach the file.
read f 0 4
`,
  },
  {
    name: 'eras-61',
    title: 'The same sharing story under Linux 6.1',
    summary: 'Reflink, two readers, a CoW fault and a pinned truncate on the 6.1 model: idle refcount 1, PTEs that hold no reference, a mapping that is overwritten, the DAX_COW sentinel, and a wait for refcount 1.',
    topics: ['kernel-eras', 'shared-owner', 'pins'],
    text: `machine dax=always kernel=6.1

## Idle at 1
> Create file a (6.1 model: Debian 12's kernel).
create a
> write(2) one block into a. Its struct page rests at refcount 1 in 6.1 (0 in the modern kernel).
write a 0 fill=0x61 len=4K
> Create file b.
create b
> Reflink a into b: the block has two owners.
reflink a b
> Process A maps a.
A: mmap a 4K as ma
> Process B maps b.
B: mmap b 4K as mb
> A reads a: mapping = a. The PTE is a special devmap PTE: refcount stays 1, mapcount 0. Modern: refcount 1, mapcount 1, idle at 0. (For a PMD, 6.1 sets mapping and index on each of the 512 pages; modern makes one order-9 folio.)
A: load ma

## One pointer, two files
> B reads b. 6.1 has no shared path for reads: dax_associate_entry warns and overwrites mapping with b. Modern: mapping NULL, share 2. The checker flags page.mapping (explained for 6.1).
B: load mb
> B stores: a CoW fault. 6.1 marks the new block with the PAGE_MAPPING_DAX_COW sentinel and counter 1 although only b holds it, and clears the old page's mapping while a still maps it.
B: store mb "B"

## Truncate waits for 1
> A pins its page: refcount 1025 (1 + 1024).
A: pin ma as dio
> T truncates a. xfs_break_dax_layouts unmaps every mapping of a and sleeps until the refcount is back to 1 (modern: until refcount minus mapcount is 0).
T: truncate a 0
> A unpins: refcount 1, T wakes and the truncate ends.
A: unpin dio
`,
  },
];
