/**
 * A subscription feed narrowed to what one subscriber may see. LiveHub shares a topic's reads among all its
 * subscribers; this asks, per item and at the moment it is delivered, whether this subscriber is admitted, so a grant
 * revoked between two pushes stops the second one. Order is kept (items are checked one at a time).
 */
export function onlyAdmitted<T>(feed: AsyncIterableIterator<T>, admit: (item: T) => Promise<boolean>): AsyncIterableIterator<T> {
  const narrowed: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const step = await feed.next();
        // A check that fails (database blip) denies: an update is skipped rather than shown to the wrong caller.
        if (step.done || (await admit(step.value).catch(() => false))) return step;
      }
    },
    return: (value?: unknown) => feed.return?.(value) ?? Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => narrowed,
  };
  return narrowed;
}
