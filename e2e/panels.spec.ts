/**
 * The files, page-table and call-path panels and the cross-panel highlight, on the reflink-cow
 * built-in scenario. The truth (where ops start, which pfn a PTE maps, the call stack at a fault
 * step) comes from running the same scenario on the engine in Node.
 */
import { expect, test, type Page } from '@playwright/test';
import { Machine } from '../src/engine/machine';
import { elixirTag } from '../src/engine/version';
import { builtin } from '../src/scenarios/builtin';
import { AppDriver } from './driver';

/** "1-3,7" -> [1, 2, 3, 7] (the device panel's data-lit-pfns). */
function fromRuns(text: string | null): number[] {
  if (!text) return [];
  return text.split(',').flatMap((r) => {
    const [a, b] = r.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** The device grid's view: pages per cell, region, lit pfns and lit cells. */
async function deviceView(page: Page) {
  const el = page.getByTestId('device-grid');
  const [k, start, cols, px, pfns, cells] = await Promise.all(
    ['data-k', 'data-region-start', 'data-cols', 'data-cell-px', 'data-lit-pfns', 'data-lit-cells'].map((a) => el.getAttribute(a)),
  );
  return { k: Number(k), start: Number(start), cols: Number(cols), px: Number(px), pfns: fromRuns(pfns), cells: cells ? cells.split(',').map(Number) : [] };
}

/** Where on the page the device cell `c` is (its centre). */
async function cellPoint(page: Page, c: number) {
  const v = await deviceView(page);
  const box = await page.getByTestId('device-grid').boundingBox();
  if (!box) throw new Error('no device grid');
  return { x: box.x + (c % v.cols) * v.px + v.px / 2, y: box.y + Math.floor(c / v.cols) * v.px + v.px / 2 };
}

function truth() {
  const m = Machine.create(builtin('reflink-cow').scenario);
  if ('errors' in m) throw new Error(JSON.stringify(m.errors));
  const opStarts: number[] = [];
  const stacks: string[][] = [];
  m.tr.subscribe((s) => {
    stacks[s.seq] = s.t === 'call' ? [...m.tr.callStack, s.fn] : [...m.tr.callStack];
  });
  for (let k = 0; k < m.ops.length; k++) {
    opStarts.push(m.steps.length);
    m.step();
  }
  return { m, opStarts, stacks, steps: m.steps };
}

test.describe('files, page tables, call path', () => {
  test('selecting a PTE lights the XArray slot, the extents of both files and the other PTE', async ({ page }) => {
    const t = truth();
    const app = await new AppDriver(page).open('?scenario=reflink-cow');
    // After both loads (ops 6 and 7), before B's store: two PTEs map the shared block.
    const at = t.opStarts[8];
    await page.getByTestId('scrubber').fill(String(at));
    await app.expectCursor(at);
    const rows = page.getByTestId('pte');
    await expect(rows).toHaveCount(2);
    // The pfn both map, from the engine.
    const leaves = [...t.m.as.allLeaves()];
    expect(leaves.length).toBe(2);
    const pfn = leaves[0].pte.pfn;
    const block = pfn - t.m.phys.pmemStartPfn;
    await expect(rows.first().getByTestId('pfn-link')).toHaveText('0x' + pfn.toString(16));

    await rows.first().getByRole('button').first().click();
    // Both PTEs (A's and B's) light up: they map the same pfn.
    await expect(page.locator('[data-testid="pte"][data-lit="true"]')).toHaveCount(2);
    // The extents of a and b that own the shared block.
    const files = page.getByTestId('files-panel');
    await expect(files.locator('li[data-lit="true"]')).toHaveCount(2);
    await expect(files.locator('li[data-lit="true"]').first()).toContainText(`dev ${block}`);
    await expect(files.locator('li[data-lit="true"]').first()).toContainText('shared ×2');
    // The XArray slot that holds the pfn (the panel shows a's i_pages first).
    await expect(page.locator('[data-testid="xarray-svg"] rect.xa-cell[data-lit="true"], [data-testid="xarray-svg"] .xa-head rect[data-lit="true"]')).toHaveCount(1);
    // The device panel lights the (folded) cell that holds the pfn, on the whole pmem device.
    await expect(page.getByTestId('device-grid')).toHaveAttribute('data-space', 'pmem');
    await expect.poll(async () => (await deviceView(page)).pfns).toContain(pfn);
    {
      const v = await deviceView(page);
      expect(v.cells).toContain(Math.floor((block - v.start) / 2 ** v.k));
    }
    await page.screenshot({ path: 'test-results/screenshots/panels-highlight-1280x720.png' });
    // With the other panels collapsed, the three read at 1280x720 (the page itself never scrolls).
    for (const id of ['narration', 'structpage', 'device']) {
      const b = page.getByTestId(`collapse-${id}`);
      if (await b.count()) await b.click();
    }
    const overflow = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
    expect(overflow).toEqual({ w: 1280, h: 720 });
    await page.screenshot({ path: 'test-results/screenshots/panels-focus-1280x720.png' });

    // Escape clears the selection everywhere.
    await page.getByTestId('app').focus();
    await page.keyboard.press('Escape');
    await expect(page.locator('[data-lit="true"]')).toHaveCount(0);

    // Back in the device panel, nothing is lit; zoomed in to one page per cell, hovering the shared
    // block's page lights both PTEs that map it, and leaving the grid lets go.
    await page.getByTestId('collapse-device').click();
    await expect(page.getByTestId('device-grid')).toHaveAttribute('data-lit-pfns', '');
    await expect(page.getByTestId('device-grid')).toHaveAttribute('data-lit-cells', '');
    for (let i = 0; i < 8 && (await deviceView(page)).k > 0; i++) {
      const v = await deviceView(page);
      const p = await cellPoint(page, Math.floor((block - v.start) / 2 ** v.k));
      await page.mouse.click(p.x, p.y);
      await expect.poll(async () => (await deviceView(page)).k).toBeLessThan(v.k);
    }
    const v = await deviceView(page);
    expect(v.k).toBe(0);
    const p = await cellPoint(page, block - v.start);
    await page.mouse.move(p.x, p.y);
    await expect(page.getByTestId('device-hover')).toContainText('0x' + pfn.toString(16));
    await expect(page.locator('[data-testid="pte"][data-lit="true"]')).toHaveCount(2);
    await expect.poll(async () => (await deviceView(page)).cells).toContain(block - v.start);
    await page.mouse.move(1, 1);
    await expect(page.locator('[data-testid="pte"][data-lit="true"]')).toHaveCount(0);
    await expect(page.getByTestId('device-grid')).toHaveAttribute('data-lit-pfns', '');
  });

  test('the call path at a fault step, with elixir links for the modelled kernel', async ({ page }) => {
    const t = truth();
    const app = await new AppDriver(page).open('?scenario=reflink-cow');
    const i = t.steps.findIndex((s) => s.t === 'call' && s.fn === 'grab_mapping_entry');
    expect(i).toBeGreaterThan(0);
    await page.getByTestId('scrubber').fill(String(i + 1));
    await app.expectCursor(i + 1);
    const stack = page.getByTestId('callpath-current');
    const fns = await stack.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-fn')));
    expect(fns).toEqual(t.stacks[i]);
    expect(fns[0]).toBe('handle_mm_fault');
    expect(fns.at(-1)).toBe('grab_mapping_entry');
    const tag = elixirTag(t.m.config.kernel);
    const link = stack.locator('li[data-fn="dax_iomap_pte_fault"] a');
    await expect(link).toHaveAttribute('href', `https://elixir.bootlin.com/linux/${tag}/A/ident/dax_iomap_pte_fault`);
    await expect(link).toHaveAttribute('target', '_blank');
    await expect(link).toHaveAttribute('rel', /noopener/);
    await page.screenshot({ path: 'test-results/screenshots/panels-callpath-1280x720.png' });
  });
});
