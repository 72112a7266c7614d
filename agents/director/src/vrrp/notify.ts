import { constants, openSync } from "node:fs";
import { Socket } from "node:net";
import type { VrrpState } from "@lvsfleet/model";

/** One line keepalived writes to its notify_fifo: `INSTANCE "VI_1" MASTER 100`. */
export interface NotifyLine {
  kind: "INSTANCE" | "GROUP";
  name: string;
  state: VrrpState;
  priority: number;
}

const STATES: Record<string, VrrpState> = { MASTER: "MASTER", BACKUP: "BACKUP", FAULT: "FAULT", STOP: "STOP" };

/**
 * Parses a notify_fifo line; undefined for lines that are not a state change (keepalived also
 * writes MASTER_RX_LOWER_PRI and, for checkers, real server lines).
 */
export function parseNotifyLine(line: string): NotifyLine | undefined {
  const m = /^(INSTANCE|GROUP) "([^"]*)" (\S+) (\d+)\s*$/.exec(line.trim());
  if (!m) return undefined;
  const state = STATES[m[3] ?? ""];
  if (!state) return undefined;
  return { kind: m[1] as NotifyLine["kind"], name: m[2] ?? "", state, priority: Number(m[4]) };
}

/**
 * Reads keepalived's notify FIFO. It is opened read-write so that opening never blocks and the
 * reader never sees end-of-file when keepalived restarts; the agent sees each line at once.
 */
export class NotifyFifo {
  private socket: Socket | undefined;

  constructor(
    private readonly path: string,
    private readonly onLine: (line: NotifyLine) => void,
  ) {}

  open(): void {
    if (this.socket) return;
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    const socket = new Socket({ fd, readable: true, writable: false });
    let buffer = "";
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let end = buffer.indexOf("\n");
      while (end >= 0) {
        const parsed = parseNotifyLine(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        if (parsed) this.onLine(parsed);
        end = buffer.indexOf("\n");
      }
    });
    socket.on("error", () => undefined);
    socket.unref();
    this.socket = socket;
  }

  /** Closes the reader (and with it the descriptor). */
  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
