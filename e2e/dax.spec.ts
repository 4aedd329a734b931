/**
 * The DAX scenarios in the browser: the XArray, device and struct page panels at op boundaries and
 * at micro-steps, forwards and backwards, compared with the engine's own state for the same moment,
 * computed here in Node by running the same built-in scenario with a step subscriber.
 */
import { expect, test, type Page } from '@playwright/test';
import { Machine } from '../src/engine/machine';
import { xaDump } from '../src/engine/lib/xarray-dump';
import type { Json } from '../src/engine/trace/steps';
import { engineCells } from '../src/panels/device/engine-truth';
import { cellShift, wholeRegion } from '../src/panels/device/layout';
import { BUILTIN_SCENARIOS } from '../src/scenarios/builtin';
import { AppDriver, viewOfDump } from './driver';

interface Moment {
  xa: Json;
  cells: string;
  refcount: Map<number, Json>;
}

/** The engine's state after every step of `name` (index = cursor), from `boot` on. */
function truthOf(name: string) {
  const b = BUILTIN_SCENARIOS.find((s) => s.name === name)!;
  const m = Machine.create(b.scenario);
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  const info = { pmemStartPfn: m.phys.pmemStartPfn, pmemPages: m.phys.pmemPages, dramPages: m.phys.dramPages };
  const whole = wholeRegion('pmem', info);
  const k = cellShift(whole.size);
  const moments: Moment[] = [];
  const boot = m.steps.length;
  const record = () => {
    const mapping = [...m.mappings.values()][0];
    const refcount = new Map<number, Json>();
    for (const pfn of m.pages.nonDefaultPages()) refcount.set(pfn, m.pages.dumpPage(pfn)._refcount);
    moments[m.steps.length] = { xa: mapping ? xaDump(mapping.i_pages, { ids: true }) : null, cells: engineCells(m, 'pmem', whole, k), refcount };
  };
  record();
  m.tr.subscribe(record);
  const opStarts: number[] = [];
  for (let i = 0; i < m.ops.length; i++) {
    opStarts.push(m.steps.length);
    m.step();
  }
  return { m, boot, moments, opStarts, boundaries: [...opStarts, m.steps.length], steps: m.steps.length, info };
}

const cellsOf = (page: Page) => page.getByTestId('device-grid').getAttribute('data-cells');

test.describe('DAX scenarios', () => {
  test('write-fsync: XArray and device panels follow the engine across op boundaries, both ways', async ({ page }) => {
    const t = truthOf('write-fsync');
    const app = await new AppDriver(page).open('?scenario=write-fsync');
    await expect(page.getByTestId('scenario-chooser')).toHaveValue('write-fsync');
    await expect(page.getByTestId('position')).toHaveText(`step 0 / ${t.steps} · op 0 / ${t.opStarts.length}`);
    await page.getByTestId('scrubber').fill(String(t.boundaries[0]));
    await page.getByTestId('app').focus();
    for (const b of t.boundaries) {
      if (b !== t.boundaries[0]) await app.press('Shift+ArrowRight');
      await app.expectCursor(b);
      await expect.poll(() => cellsOf(page), { message: `device at boundary ${b}` }).toBe(t.moments[b].cells);
      await app.expectTree(viewOfDump(t.moments[b].xa), `i_pages at boundary ${b}`);
    }
    for (const b of [...t.boundaries].reverse().slice(1)) {
      await app.press('Shift+ArrowLeft');
      await app.expectCursor(b);
      await expect.poll(() => cellsOf(page), { message: `device back at boundary ${b}` }).toBe(t.moments[b].cells);
      await app.expectTree(viewOfDump(t.moments[b].xa), `i_pages back at boundary ${b}`);
    }
  });

  test('write-fsync: micro-steps through the write fault and fsync, forwards and back; struct page and canvas agree', async ({ page }, info) => {
    test.skip(info.project.name !== 'preview', 'the long walk once, on the production build');
    const t = truthOf('write-fsync');
    const app = await new AppDriver(page).open('?scenario=write-fsync');
    // Op 3 is the store (write fault), op 4 the fsync.
    const from = t.opStarts[3];
    const to = t.opStarts[5];
    await page.getByTestId('scrubber').fill(String(from));
    await app.expectCursor(from);
    await page.getByTestId('app').focus();
    const shape = (v: ReturnType<typeof viewOfDump>) => ({ head: v.head, nodes: v.nodes.map(({ id, shift, offset, slots, marks }) => ({ id, shift, offset, slots, marks })) });
    const check = async (c: number) => {
      await app.expectCursor(c);
      await expect.poll(() => cellsOf(page), { message: `device at step ${c}` }).toBe(t.moments[c].cells);
      await expect.poll(async () => shape(await app.tree()), { message: `i_pages at step ${c}` }).toEqual(shape(viewOfDump(t.moments[c].xa)));
    };
    for (let c = from + 1; c <= to; c += 3) {
      await page.getByTestId('scrubber').fill(String(c));
      await check(c);
    }
    // Land exactly on `to` before walking back with the keyboard.
    await page.getByTestId('scrubber').fill(String(to));
    await check(to);
    await page.getByTestId('app').focus();
    for (let c = to - 1; c > to - 12; c--) {
      await app.press('ArrowLeft');
      await check(c);
    }

    // After the write fault: the data block's struct page shows the engine's refcount.
    const pfn = t.m.phys.pmemStartPfn + 512;
    const at = t.opStarts[4];
    await page.getByTestId('scrubber').fill(String(at));
    await app.expectCursor(at);
    await page.getByTestId('app').focus();
    // The canvas draws what data-cells says: the cell of block 512 has the colour of its state.
    const probe = await page.getByTestId('device-grid').evaluate((cv: HTMLCanvasElement, block: number) => {
      const k = Number(cv.dataset.k);
      const cols = Number(cv.dataset.cols);
      const px = Number(cv.dataset.cellPx);
      const c = Math.floor(block / 2 ** k);
      const dpr = cv.width / cv.clientWidth;
      const x = Math.round(((c % cols) * px + px / 2 - 1) * dpr);
      const y = Math.round((Math.floor(c / cols) * px + px / 2 - 1) * dpr);
      const d = cv.getContext('2d')!.getImageData(x, y, 1, 1).data;
      const state = Number(cv.dataset.cells![c]);
      const names = ['free', 'allocated', 'mapped', 'durable', 'zero', 'shared', 'dirty', 'poisoned'];
      const probeEl = document.createElement('div');
      cv.parentElement!.appendChild(probeEl);
      probeEl.style.background = `var(--dev-${names[state]})`;
      const want = getComputedStyle(probeEl).backgroundColor;
      probeEl.remove();
      return { got: `rgb(${d[0]}, ${d[1]}, ${d[2]})`, want, state: names[state] };
    }, 512);
    expect(probe.state).toBe('dirty');
    expect(probe.got).toBe(probe.want);

    // Zoom into the first region and inspect the page: the struct page panel lists it.
    const grid = page.getByTestId('device-grid');
    const box = (await grid.boundingBox())!;
    const px = Number(await grid.getAttribute('data-cell-px'));
    const k = Number(await grid.getAttribute('data-k'));
    const cellOf = (block: number, kk: number) => Math.floor(block / 2 ** kk);
    let c = cellOf(512, k);
    await page.mouse.click(box.x + (c % 64) * px + px / 2, box.y + Math.floor(c / 64) * px + px / 2);
    await expect(grid).toHaveAttribute('data-k', '0');
    const box2 = (await grid.boundingBox())!;
    const px2 = Number(await grid.getAttribute('data-cell-px'));
    c = 512;
    const x = box2.x + (c % 64) * px2 + px2 / 2;
    const y = box2.y + Math.floor(c / 64) * px2 + px2 / 2;
    await page.mouse.move(x, y);
    const hover = page.getByTestId('device-hover');
    await expect(hover).toContainText(`pfn 0x${pfn.toString(16)}`);
    await expect(hover).toContainText('file f (ino 131) at offset 0x0');
    await expect(hover).toContainText('A: PTE at');
    // Bytes come from the shared device buffers: the run's end state.
    await expect(hover).toContainText('hello');
    await page.mouse.click(x, y);
    const sp = page.getByTestId(`structpage-${pfn}`);
    await expect(sp).toBeVisible();
    await expect(sp.locator('tr[data-field="_refcount"] td')).toHaveText(String(t.moments[at].refcount.get(pfn)));
  });

  test('the chooser switches scenarios; reflink-cow shows a shared block that stops being shared', async ({ page }) => {
    const t = truthOf('reflink-cow');
    const app = await new AppDriver(page).open('?scenario=write-fsync');
    await page.getByTestId('scenario-chooser').selectOption('reflink-cow');
    await expect(page.getByTestId('position')).toHaveText(`step 0 / ${t.steps} · op 0 / ${t.opStarts.length}`);
    expect(page.url()).toContain('scenario=reflink-cow');
    await page.getByTestId('app').focus();
    await app.press('End');
    await app.expectCursor(t.steps);
    await expect.poll(() => cellsOf(page)).toBe(t.moments[t.steps].cells);
    // Before B's store (op 8) one block is shared; afterwards none is.
    await page.getByTestId('scrubber').fill(String(t.opStarts[8]));
    await expect.poll(() => cellsOf(page)).toBe(t.moments[t.opStarts[8]].cells);
    expect(t.moments[t.opStarts[8]].cells).toContain('5');
    expect(t.moments[t.steps].cells).not.toContain('5');
    // Two files: the XArray panel offers both i_pages.
    await expect(page.getByTestId('xa-picker').locator('option')).toHaveText(['i_pages of a (ino 131)', 'i_pages of b (ino 132)']);
  });

  test('screenshots of the DAX panels at 1280x720, light and dark', async ({ page }, info) => {
    test.skip(info.project.name !== 'preview', 'screenshots once, from the production build');
    const t = truthOf('write-fsync');
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
    const app = await new AppDriver(page).open('?scenario=write-fsync');
    // In the middle of the write fault: a block allocated, the entry being inserted.
    const at = t.opStarts[4] - 3;
    await page.getByTestId('scrubber').fill(String(at));
    await app.expectCursor(at);
    await page.screenshot({ path: 'test-results/screenshots/dax-light-1280x720.png' });
    await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
    await expect(page.getByTestId('app')).toHaveAttribute('data-theme', 'dark');
    await page.screenshot({ path: 'test-results/screenshots/dax-dark-1280x720.png' });
    // Zoomed to page level, hovering the data block, at the end of the fsync.
    await page.getByTestId('scrubber').fill(String(t.opStarts[5]));
    const grid = page.getByTestId('device-grid');
    const box = (await grid.boundingBox())!;
    const px = Number(await grid.getAttribute('data-cell-px'));
    await page.mouse.click(box.x + px / 2, box.y + Math.floor(512 / 8 / 64) * px + px / 2);
    await expect(grid).toHaveAttribute('data-k', '0');
    const b2 = (await grid.boundingBox())!;
    const px2 = Number(await grid.getAttribute('data-cell-px'));
    await page.mouse.move(b2.x + px2 / 2, b2.y + 8 * px2 + px2 / 2);
    await expect(page.getByTestId('device-hover')).toContainText('pfn 0x40200');
    await page.screenshot({ path: 'test-results/screenshots/dax-hover-dark-1280x720.png' });
  });
});

