// Walking a paginated List* call: every page's items until the service gives no next token.

/**
 * The items of every page: `fetchPage(token)` from `firstToken` on, until a page has no next
 * token. A next token equal to the one just used would loop forever: that ends the walk too.
 */
export async function* paginate<P extends { nextToken?: string }, T>(
  fetchPage: (nextToken: string | undefined) => Promise<P>,
  firstToken: string | undefined,
  items: (page: P) => readonly T[],
): AsyncGenerator<T> {
  let token = firstToken;
  for (;;) {
    const page = await fetchPage(token);
    yield* items(page);
    if (page.nextToken === undefined || page.nextToken === '' || page.nextToken === token) return;
    token = page.nextToken;
  }
}
