import { isIP } from "node:net";
import { z } from "zod";

/** The names and addresses an HTTPS certificate from the lvsfleet CA is issued for. */
export interface TlsNames {
  dnsNames: string[];
  /** IPv6 compressed (RFC 5952), as certificates store them, so a restart does not re-issue for nothing. */
  ipAddresses: string[];
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** One name: an IPv4 or IPv6 address, or a DNS name (a leading `*.` wildcard allowed); undefined when it is neither. */
function classify(text: string): { ip: string } | { dns: string } | undefined {
  const bare = text.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) === 4) return { ip: bare };
  if (isIP(bare) === 6) return { ip: new URL(`http://[${bare}]`).hostname.slice(1, -1) };
  const name = text.toLowerCase().replace(/\.$/, "");
  const labels = name.split(".");
  if (name.length > 253 || labels.length === 0) return undefined;
  const [first, ...rest] = labels;
  if (first !== "*" && !DNS_LABEL.test(first ?? "")) return undefined;
  if (first === "*" && rest.length < 2) return undefined;
  if (!rest.every((label) => DNS_LABEL.test(label))) return undefined;
  return { dns: name };
}

/** `LVSFLEET_TLS_NAMES=lvsfleet.example.com,10.0.0.5,::1` → the certificate's DNS names and IP addresses. */
export const TlsNamesFromEnv = z.string().transform((text, ctx): TlsNames => {
  const names: TlsNames = { dnsNames: [], ipAddresses: [] };
  for (const item of text
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const name = classify(item);
    if (!name) {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(item)} is neither a DNS name nor an IP address (a comma-separated list, e.g. lvsfleet.example.com,10.0.0.5)`,
      });
      return z.NEVER;
    }
    if ("ip" in name) names.ipAddresses.includes(name.ip) || names.ipAddresses.push(name.ip);
    else names.dnsNames.includes(name.dns) || names.dnsNames.push(name.dns);
  }
  return names;
});
