import type { IpvsTable } from "@lvsfleet/model";
import type { DataPlaneDriver } from "./drivers.ts";

interface WholeRead {
  promise: Promise<IpvsTable>;
  started: boolean;
}

/**
 * Every read of the kernel's table, one at a time: a read of a big table (`nft -j list table`,
 * `ipvsadm -Sn` at 10,000 services) can outlast a heartbeat period, so a whole read under way (or
 * waiting its turn) is shared by every caller meanwhile instead of being started again, and the
 * read-back of the services a change touched waits for it rather than running beside it.
 */
export class KernelReads {
  private tail: Promise<void> = Promise.resolve();
  private whole: WholeRead | undefined;

  constructor(private readonly dataPlane: DataPlaneDriver) {}

  private enqueue<T>(read: () => Promise<T>): Promise<T> {
    const result = this.tail.then(read, read);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * The whole table. `fresh`: the read must start after this call (after a change the caller made,
   * or for the drift check); otherwise a read already under way will do.
   */
  table(fresh = false): Promise<IpvsTable> {
    if (this.whole && !(fresh && this.whole.started)) return this.whole.promise;
    const read: WholeRead = { promise: Promise.resolve({ services: [] }), started: false };
    read.promise = this.enqueue(() => {
      read.started = true;
      return this.dataPlane.observe();
    }).finally(() => {
      if (this.whole === read) this.whole = undefined;
    });
    this.whole = read;
    return read.promise;
  }

  /** The named services as the kernel has them now (a whole read for a driver that cannot read some). */
  services(keys: readonly string[]): Promise<IpvsTable> {
    const { dataPlane } = this;
    if (!dataPlane.observeServices) return this.table(true);
    return this.enqueue(() => dataPlane.observeServices?.(keys) ?? dataPlane.observe());
  }
}
