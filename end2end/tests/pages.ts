import type { APIRequestContext } from '@playwright/test';

import { everyPage as pagesOf } from './pages.cjs';

/** Every page of the dashboard, by name (see pages.cjs). */
export async function everyPage(request: APIRequestContext): Promise<[string, string][]> {
  return pagesOf(async (path: string) => (await request.get(path)).json());
}
