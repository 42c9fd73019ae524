import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect, test } from '@playwright/test';

import { signIn } from './session';

// An admin makes a digest on the dashboard, sends it now, and a local
// receiver (a fake JSON webhook) gets the report; then it is removed.
test('an admin makes a digest, sends it now and removes it', async ({ page }) => {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  const port = (receiver.address() as AddressInfo).port;
  try {
    await signIn(page);
    await page.getByTestId('digests-link').click();
    await expect(page).toHaveURL(/\/digests$/);
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    await page.getByTestId('add-digest').click();

    // A target that is not the channel's kind is refused with the rule.
    await page.getByTestId('digest-name').fill('e2e weekly');
    await page.getByTestId('digest-channel').selectOption('json');
    await page.getByTestId('digest-target').fill('not an address');
    await page.getByTestId('digest-submit').click();
    await expect(page.getByTestId('digest-form-answer')).toContainText('http(s)');

    await page.getByTestId('digest-target').fill(`http://127.0.0.1:${port}/hook`);
    await page.getByTestId('digest-scope').fill('tag:tech');
    await page.getByTestId('digest-submit').click();
    const row = page.getByTestId('digest-row').filter({ hasText: 'e2e weekly' });
    await expect(row).toContainText('tag tech');
    await expect(row).toContainText('json: http://127.0.0.1:' + port + '/…');
    await expect(row.getByTestId('digest-last')).toHaveText('never');

    await row.getByTestId('digest-send').click();
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(1);
    const report = JSON.parse(received[0].body);
    expect(report.name).toBe('e2e weekly');
    expect(report.scope).toEqual({ kind: 'tag', name: 'tech' });
    expect(report.accounts).toBeGreaterThan(0);
    expect(received[0].headers['x-reach-delivery']).toMatch(/^\d+$/);
    // The page shows how it went once it is loaded again.
    await expect(page.getByTestId('digest-row').filter({ hasText: 'e2e weekly' }).getByTestId('digest-last')).toContainText('sent', { timeout: 15_000 });

    await page.getByTestId('digest-row').filter({ hasText: 'e2e weekly' }).getByTestId('digest-delete').click();
    await expect(page.getByTestId('digest-row').filter({ hasText: 'e2e weekly' })).toHaveCount(0);
  } finally {
    receiver.close();
  }
});

test('visitors are asked to sign in to manage digests', async ({ page, request }) => {
  await page.goto('/digests');
  await expect(page.getByTestId('sign-in-to')).toHaveText('Sign in to manage digests');
  await expect(page.getByTestId('digests-table')).toHaveCount(0);
  expect((await request.get('/api/digests')).status()).toBe(401);
});
