import { expect, test } from '@playwright/test';
import { AppDriver } from './driver';

test.describe('share links', () => {
  test('a shared link opens the same scenario at the same step, with the same XArray panel and layout', async ({ page, browser, baseURL }) => {
    const app = await new AppDriver(page).open('?scenario=pin-truncate');
    await app.press('Shift+ArrowRight', 5);
    await app.press('ArrowRight', 3);
    const where = await app.position();
    expect(where.cursor).toBeGreaterThan(0);
    await page.getByTestId('collapse-device').click();
    await expect(page.locator('section[data-panel="device"]')).toHaveAttribute('data-collapsed', 'true');
    await expect.poll(async () => (await app.tree()).head, { message: 'the XArray has entries at this step' }).not.toBe('empty');
    const tree = await app.tree();
    const title = await page.getByTestId('scenario-title').textContent();

    await page.getByTestId('share-button').click();
    await expect(page.getByTestId('share-status')).toContainText(/characters/);
    const url = await page.getByTestId('share-url').inputValue();
    expect(url).toMatch(/#v1:[jz]\./);
    expect(url.startsWith(baseURL!)).toBe(true);
    await expect(page.getByTestId('share-status')).toContainText(`(${url.length.toLocaleString('en')} characters)`);
    // The link field fits in the header: the page still does not scroll.
    expect(await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }))).toEqual({ w: 1280, h: 720 });
    await page.screenshot({ path: 'test-results/screenshots/share-1280x720.png' });

    const other = await browser.newContext();
    try {
      const fresh = await other.newPage();
      await fresh.goto(url);
      const app2 = new AppDriver(fresh);
      await expect(fresh.getByTestId('position')).toHaveText(`step ${where.cursor} / ${where.n} · op ${where.op} / ${where.ops}`, { timeout: 20_000 });
      await expect(fresh.getByTestId('scenario-title')).toHaveText(title!);
      await app2.expectTree(tree, 'the shared step shows the same XArray');
      await expect(fresh.locator('section[data-panel="device"]')).toHaveAttribute('data-collapsed', 'true');
      await expect(fresh.getByTestId('share-notice')).toHaveCount(0);
    } finally {
      await other.close();
    }
  });

  test('a damaged link shows a notice, and the app opens the default scenario and works', async ({ page }) => {
    await page.goto('/#v1:z.AAAAthis-is-not-deflate');
    await expect(page.getByTestId('share-notice')).toContainText(/damaged/);
    await expect(page.getByTestId('share-notice')).toBeVisible();
    const app = new AppDriver(page);
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]\d* · op 0 \/ \d+$/, { timeout: 20_000 });
    await expect(page.getByTestId('scenario-chooser')).toHaveValue('write-fsync');
    await page.getByTestId('share-notice-close').click();
    await expect(page.getByTestId('share-notice')).toHaveCount(0);
    await page.getByTestId('app').focus();
    await app.press('ArrowRight', 2);
    await app.expectCursor(2);
  });

  test('a link from a newer version asks for an update', async ({ page }) => {
    await page.goto('/#v9:z.AAAA');
    await expect(page.getByTestId('share-notice')).toContainText(/newer version of this app.*please update/);
    await expect(page.getByTestId('position')).toHaveText(/^step 0 \/ [1-9]\d*/, { timeout: 20_000 });
  });
});
