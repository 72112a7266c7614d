import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GUEST_DIR } from "./guest.ts";

const HERE = new URL(".", import.meta.url).pathname;

/**
 * Several guests of the guest tier on one emulated Ethernet, each driven line by line from the test.
 *
 * The network is qemu's `-netdev stream` over **unix sockets** in the run's own directory: no IP socket
 * on the host at all, so no frame can reach the host's interfaces or any address. A point-to-point
 * stream joins two NICs; a guest with several NICs bridges them (the test's "switch" guest), so three
 * or more guests share one broadcast domain.
 *
 * Each guest runs `guest-shell.sh` as its only job: a shell reading commands from a virtio serial port
 * ("ctl"), which is qemu's stdio here (init's own markers go to the second UART, a log file). `sh()`
 * sends a command followed by an `@@R <id> <rc>` marker and returns the lines in between; lines a background program writes with the `@@EV ` prefix are events,
 * time-stamped on the host as they arrive (for lags measured across guests on one clock).
 */

/** One NIC: the unix socket of its stream link, on the listening (server) side or the connecting one. */
export interface Nic {
  socket: string;
  server: boolean;
  mac: string;
}

export interface GuestSpec {
  name: string;
  nics: Nic[];
  memoryMb?: number;
  /** Share the host's /usr read-only at /mnt/hostusr (node). */
  hostUsr?: boolean;
  /** More files for the guest's /job/ (host path → name there). */
  files?: Record<string, string>;
}

export interface GuestEvent {
  guest: string;
  /** performance.now() on the host when the line arrived. */
  at: number;
  text: string;
}

/** kvm only with a hardware KVM module (kvm_pvm, as on Firecracker dev VMs, cannot run a stock kernel), else tcg: run-guest.sh's rule. */
export function accelerator(): "kvm" | "tcg" {
  let writable = false;
  try {
    accessSync("/dev/kvm", constants.W_OK);
    writable = true;
  } catch {}
  const hardware = existsSync("/sys/module/kvm_intel") || existsSync("/sys/module/kvm_amd");
  return writable && hardware ? "kvm" : "tcg";
}

/** Every qemu this process started and has not seen exit: killed by PID when the process goes away. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (exitHook) return;
  exitHook = true;
  const killAll = () => {
    for (const c of live) {
      try {
        if (c.pid) process.kill(c.pid, "SIGKILL");
      } catch {} // already gone
    }
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal); // then as if we had not listened (the once-listener is gone)
    });
}

export class Guest {
  readonly events: GuestEvent[] = [];
  /** Seconds from spawn to the shell's first prompt marker. */
  bootSeconds = 0;
  private buffer = "";
  private lines: { at: number; text: string }[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;
  private exited = false;
  readonly log: string[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** The second UART (init's markers, modprobe's complaints): shown when something fails. */
    private readonly serialLog: string,
  ) {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => this.receive(chunk));
    child.stderr?.on("data", (chunk: Buffer) => this.log.push(`qemu: ${chunk.toString().trimEnd()}`));
    child.once("exit", () => {
      this.exited = true;
      this.wake();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts qemu for a guest (the cpio of its job files is built in `dir`); resolves once its shell listens. */
  static async boot(spec: GuestSpec, dir: string, timeoutMs = 180_000): Promise<Guest> {
    const initrd = await jobInitrd(spec, dir);
    const accel = accelerator();
    const args = [
      "-accel",
      accel,
      ...(accel === "kvm" ? ["-cpu", "host"] : []),
      "-m",
      String(spec.memoryMb ?? 256),
      "-smp",
      "1",
      "-nodefaults",
      "-no-user-config",
      "-display",
      "none",
      "-no-reboot",
      "-kernel",
      join(GUEST_DIR, "vmlinuz"),
      "-initrd",
      initrd,
      "-append",
      "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off",
      "-serial",
      `file:${join(dir, `${spec.name}.console.log`)}`,
      "-serial",
      `file:${join(dir, `${spec.name}.serial.log`)}`,
      "-device",
      "virtio-serial-pci",
      "-chardev",
      "stdio,id=ctl",
      "-device",
      "virtserialport,chardev=ctl,name=ctl",
    ];
    spec.nics.forEach((nic, i) => {
      args.push(
        "-netdev",
        `stream,id=n${i},server=${nic.server ? "on" : "off"},addr.type=unix,addr.path=${nic.socket}`,
        "-device",
        `virtio-net-pci,netdev=n${i},mac=${nic.mac}`,
      );
    });
    if (spec.hostUsr) args.push("-virtfs", "local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on");
    const started = performance.now();
    // qemu itself (setpriv execs it), so that its PID is the one killed; with util-linux's setpriv the
    // kernel also kills it when this process dies without a chance to clean up (SIGKILL), and the guest
    // bounds its own life anyway (guest-shell.sh)
    const child = existsSync("/usr/bin/setpriv")
      ? spawn("/usr/bin/setpriv", ["--pdeathsig", "KILL", "qemu-system-x86_64", ...args], {
          stdio: ["pipe", "pipe", "pipe"],
        })
      : spawn("qemu-system-x86_64", args, { stdio: ["pipe", "pipe", "pipe"] });
    track(child);
    const guest = new Guest(spec.name, child, join(dir, `${spec.name}.serial.log`));
    try {
      const shellFrom = await guest.waitFor((line) => line.startsWith("@@SHELL"), timeoutMs);
      // Bytes that reach the serial port before the shell reads it can be lost (or half-read): say hello
      // (no quotes, so a fragment cannot open a string that swallows the next commands) until it answers.
      for (let i = 1; ; i++) {
        child.stdin?.write(`\n: ; echo @@R hello-${i} 0\n`);
        try {
          await guest.waitFor((line) => line.startsWith(`@@R hello-${i} `), 2_000, shellFrom);
          break;
        } catch (error) {
          if (i >= 30) throw error;
        }
      }
    } catch (error) {
      guest.kill();
      throw error;
    }
    guest.bootSeconds = (performance.now() - started) / 1000;
    // qemu read its initrd at start: only the small logs stay behind if this process is killed
    await rm(initrd, { force: true });
    await rm(join(dir, `${spec.name}.jobroot`), { recursive: true, force: true });
    return guest;
  }

  /** Runs a command in the guest's shell; resolves with its output lines and exit status. */
  async sh(command: string, timeoutMs = 60_000): Promise<{ rc: number; out: string[] }> {
    const id = `${this.name}-${this.nextId++}`;
    const from = this.lines.length;
    this.child.stdin?.write(`${command}\necho "@@R ${id} $?"\n`);
    const marker = `@@R ${id} `;
    const end = await this.waitFor((line) => line.startsWith(marker), timeoutMs, from);
    const out = this.lines
      .slice(from, end)
      .map((l) => l.text)
      .filter((t) => !t.startsWith("@@"));
    return { rc: Number(this.lines[end]?.text.slice(marker.length)), out };
  }

  /** Like sh(), but a non-zero status is an error naming the guest and the output. */
  async must(command: string, timeoutMs = 60_000): Promise<string[]> {
    const { rc, out } = await this.sh(command, timeoutMs);
    if (rc !== 0) throw new Error(`${this.name}: exit ${rc} from\n${command}\n${out.join("\n")}`);
    return out;
  }

  /** The first event matching `test` from index `from` on, waiting for it. */
  async event(test: (text: string) => boolean, timeoutMs: number, from = 0): Promise<GuestEvent> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find((e) => test(e.text));
      if (found) return found;
      if (this.exited) throw new Error(`${this.name}: qemu exited\n${this.tail()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.name}: no event in ${timeoutMs} ms\n${this.tail()}`);
      await this.pause(left);
    }
  }

  /** Asks the guest to power off (its job ends), then kills qemu by PID if it is still there. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.child.stdin?.write("exit\n");
    const deadline = performance.now() + graceMs;
    while (!this.exited && performance.now() < deadline) await this.pause(deadline - performance.now());
    this.kill();
  }

  kill(): void {
    if (!this.exited && this.child.pid) {
      try {
        process.kill(this.child.pid, "SIGKILL");
      } catch {}
    }
  }

  tail(n = 30): string {
    let serial = "";
    try {
      serial = readFileSync(this.serialLog, "utf8").split("\n").slice(-n).join("\n");
    } catch {}
    return [serial, ...this.lines.slice(-n).map((l) => l.text), ...this.log].join("\n");
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    const at = performance.now();
    for (;;) {
      const nl = this.buffer.indexOf("\n");
      if (nl < 0) break;
      const text = this.buffer.slice(0, nl).replace(/\r$/, "");
      this.buffer = this.buffer.slice(nl + 1);
      if (text.startsWith("@@EV ")) this.events.push({ guest: this.name, at, text: text.slice(5) });
      else this.lines.push({ at, text });
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(ms, 1000));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async waitFor(test: (line: string) => boolean, timeoutMs: number, from = 0): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.lines.length; i++) if (test(this.lines[i]?.text ?? "")) return i;
      if (this.exited) throw new Error(`${this.name}: qemu exited\n${this.tail()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.name}: timed out after ${timeoutMs} ms\n${this.tail()}`);
      await this.pause(left);
    }
  }
}

/** base.cpio + a cpio of /job (guest-shell.sh and the spec's files), as run-guest.sh builds it. */
async function jobInitrd(spec: GuestSpec, dir: string): Promise<string> {
  const root = join(dir, `${spec.name}.jobroot`);
  await mkdir(join(root, "job"), { recursive: true });
  await copyFile(join(HERE, "guest-shell.sh"), join(root, "job", "10-guest-shell.sh"));
  await chmod(join(root, "job", "10-guest-shell.sh"), 0o755);
  for (const [from, name] of Object.entries(spec.files ?? {})) await copyFile(from, join(root, "job", name));
  const list = ["./job", "./job/10-guest-shell.sh", ...Object.values(spec.files ?? {}).map((n) => `./job/${n}`)];
  const jobCpio = await new Promise<Buffer>((resolve, reject) => {
    const cpio = spawn("/bin/busybox", ["cpio", "-o", "-H", "newc"], { cwd: root, stdio: ["pipe", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    cpio.stdout.on("data", (c: Buffer) => chunks.push(c));
    cpio.once("error", reject);
    // "close", not "exit": exit can come before the last of stdout has been read (a cut archive)
    cpio.once("close", (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`cpio exit ${code}`)),
    );
    cpio.stdin.end(`${list.join("\n")}\n`);
  });
  if (!jobCpio.includes("job/10-guest-shell.sh") || !jobCpio.includes("TRAILER!!!"))
    throw new Error(`${spec.name}: the job cpio is incomplete (no guest-shell.sh or no trailer)`);
  const initrd = join(dir, `${spec.name}.initrd.cpio`);
  await writeFile(initrd, Buffer.concat([await readFile(join(GUEST_DIR, "base.cpio")), jobCpio]));
  return initrd;
}
