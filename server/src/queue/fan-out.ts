/**
 * Calls `call` for every item with at most `limit` calls in flight, and settles like
 * Promise.allSettled: one result per item, in the items' order, never throwing. Each call starts
 * when the one before it in its slot ends, so a call's deadline runs from its own start, not from
 * the fan-out's (a thousand directors do not all start their deadline at once).
 */
export async function fanOut<T, R>(
  items: readonly T[],
  limit: number,
  call: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const slot = async () => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        results[i] = { status: "fulfilled", value: await call(items[i] as T, i) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, slot));
  return results;
}
