/**
 * Guided library, part B: tours in the scenario language (see ./types.ts and docs/scenario-language.md).
 */
import type { TourDef } from './types';

export const PART_B: TourDef[] = [
  {
    name: "reflink-cow",
    title: "Reflinked files share a block; a store copies it (CoW)",
    summary: "Two files share one block after reflink; two processes map it; a store through one mapping copies the block, and the share count drops.",
    topics: ["reflink-cow"],
    text: `> Create file a.
create a
> write(2) "AAAA" into a: a block is allocated and the bytes go straight to the media (a non-temporal copy).
A: write a 0 "AAAA"
> Create file b.
create b
> Reflink a into b (FICLONE): b gets an extent pointing at the same device block, and the block's reference count becomes 2. No data is copied.
A: reflink a b
> Process A maps file a.
A: mmap a 4K as ma
> Process B maps file b.
B: mmap b 4K as mb
> A reads a: its PTE points at the shared block, read-only because the extent is shared.
A: load ma+0 4
> B reads b: a second PTE, in another process, to the very same pfn.
B: load mb+0 4
> B writes to b. The block is shared, so the fault cannot write in place: the filesystem allocates a new block for b, copies the old contents, points b's extent at it, and the old block's share count drops to 1.
B: store mb+0 "BB"
> A still reads "AAAA": file a kept the original block.
A: load ma+0 4
`,
  },
  {
    name: "pin-truncate",
    title: "A pinned page makes truncate wait",
    summary: "A page pinned for DMA cannot be freed: truncate breaks the layout, sleeps until the pin is released, then completes.",
    topics: ["pins"],
    text: `> Create file f.
create f
> Grow f to 1 MiB.
truncate f 1M
> Process A maps f.
A: mmap f 1M as m
> A writes page 0: a block is allocated and mapped.
A: store m+0 "dma"
> A pins page 0 (pin_user_pages, as O_DIRECT or RDMA would): the page's refcount rises by the pin bias.
A: pin m+0 as dma
> Process B truncates f to 0. The filesystem must not free a block a device may still DMA into: the layout break unmaps the page and then sleeps until the page is idle.
B: truncate f 0
> A releases the pin. The page becomes idle, B is woken, and its truncate frees the block.
A: unpin dma
`,
  },
];
