import type { HostChange } from "@lvsfleet/model";
import type { HostDriver } from "./drivers.ts";
import {
  describeStep,
  EMPTY_LEDGER,
  type HostIntent,
  type HostLedger,
  type HostSnapshot,
  type HostStep,
  planGiveUp,
  planTakeUp,
  recordSteps,
} from "./host-plan.ts";
import type { StateFile } from "./state-file.ts";

/**
 * Brings a host to a role's intent and back, through a HostDriver, remembering in a ledger
 * (on disk, so a restarted agent still knows) exactly what it added and what it overwrote.
 */
export class HostKeeper {
  constructor(
    private readonly driver: HostDriver,
    private readonly ledgerFile: StateFile<HostLedger>,
  ) {}

  async snapshot(sysctlKeys: Iterable<string>): Promise<HostSnapshot> {
    const [addresses, routes] = await Promise.all([this.driver.addresses(), this.driver.routes()]);
    const sysctls: Record<string, string | undefined> = {};
    for (const key of sysctlKeys) sysctls[key] = await this.driver.readSysctl(key);
    return { addresses, routes, sysctls };
  }

  async takeUp(intent: HostIntent): Promise<HostChange[]> {
    const ledger = await this.ledgerFile.read();
    const host = await this.snapshot(Object.keys(intent.sysctls));
    const steps = planTakeUp(intent, host);
    const done: HostStep[] = [];
    try {
      for (const step of steps) {
        await this.execute(step);
        done.push(step);
      }
    } finally {
      await this.ledgerFile.write(recordSteps(ledger, done, host));
    }
    return done.map(toChange);
  }

  async giveUp(): Promise<HostChange[]> {
    const ledger = await this.ledgerFile.read();
    const host = await this.snapshot(Object.keys(ledger.sysctlsBefore));
    const steps = planGiveUp(ledger, host);
    for (const step of steps) await this.execute(step);
    await this.ledgerFile.write(EMPTY_LEDGER);
    return steps.map(toChange);
  }

  private async execute(step: HostStep): Promise<void> {
    switch (step.kind) {
      case "add-address":
        return this.driver.addAddress(step.address);
      case "remove-address":
        return this.driver.removeAddress(step.address);
      case "add-route":
        return this.driver.addRoute(step.route);
      case "remove-route":
        return this.driver.removeRoute(step.route);
      case "replace-route":
        if (this.driver.replaceRoute) return this.driver.replaceRoute(step.route);
        if (step.prior) await this.driver.removeRoute(step.prior);
        return this.driver.addRoute(step.route);
      case "set-sysctl":
        return this.driver.writeSysctl(step.key, step.value);
    }
  }
}

function toChange(step: HostStep): HostChange {
  return { kind: step.kind, description: describeStep(step) };
}
