import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { z } from "zod";

/** The CA encryption key is 32 random bytes (AES-256), written in base64: `openssl rand -base64 32`. */
export const CA_ENCRYPTION_KEY_BYTES = 32;
const HOW = "must be 32 random bytes in base64 (make one with: openssl rand -base64 32)";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function keyFromBase64(text: string, ctx: z.RefinementCtx): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, "base64");
  // never echo the value: the message says what is wrong, not what was given
  if (!BASE64.test(trimmed) || key.length !== CA_ENCRYPTION_KEY_BYTES) {
    ctx.addIssue({ code: "custom", message: `${HOW}; it is not` });
    return Buffer.alloc(0);
  }
  return key;
}

/** LVSFLEET_CA_ENCRYPTION_KEY: the key itself, base64. */
export const CaEncryptionKeyFromEnv = z.string().transform((text, ctx) => keyFromBase64(text, ctx));

/**
 * LVSFLEET_CA_ENCRYPTION_KEY_FILE: a file holding the key in base64 (as a secret manager or systemd's
 * LoadCredential writes it); mode 0600 or stricter, as the CA key files.
 */
export const CaEncryptionKeyFile = z.string().transform((path, ctx) => {
  let text: string;
  let fd: number | undefined;
  try {
    // the mode is checked on the file that is read (one descriptor), not on whatever the path names
    // a moment later; a symbolic link is followed (Kubernetes mounts secrets through links)
    fd = openSync(path, constants.O_RDONLY);
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      ctx.addIssue({ code: "custom", message: `${path} is not a regular file` });
      return Buffer.alloc(0);
    }
    if ((stat.mode & 0o077) !== 0) {
      ctx.addIssue({
        code: "custom",
        message: `${path} is accessible by group or others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
      });
      return Buffer.alloc(0);
    }
    text = readFileSync(fd, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    ctx.addIssue({
      code: "custom",
      message: `${path}: ${code === "ENOENT" ? "no such file" : `cannot read (${code})`}`,
    });
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return keyFromBase64(text, ctx);
});

/** The key is given once: as a value or as a file, not both. */
export function checkCaEncryptionKey(
  config: { LVSFLEET_CA_ENCRYPTION_KEY?: Buffer | undefined; LVSFLEET_CA_ENCRYPTION_KEY_FILE?: Buffer | undefined },
  ctx: z.RefinementCtx,
): void {
  if (config.LVSFLEET_CA_ENCRYPTION_KEY && config.LVSFLEET_CA_ENCRYPTION_KEY_FILE)
    ctx.addIssue({
      code: "custom",
      path: ["LVSFLEET_CA_ENCRYPTION_KEY_FILE"],
      message:
        "give the CA encryption key once: LVSFLEET_CA_ENCRYPTION_KEY or LVSFLEET_CA_ENCRYPTION_KEY_FILE, not both",
    });
}
