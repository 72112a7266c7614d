import { type Doctor, type DoctorInput, sysctlProblem } from "@lvsfleet/agent-runtime";
import { addressFamily, type Problem, type RealServerRoleConfig } from "@lvsfleet/model";
import ipaddr from "ipaddr.js";
import { ARP_SYSCTLS, configErrors, TUN_DEVICE, TUN_SYSCTLS, usesLo, usesNat, usesTun } from "./realdr.ts";

const ARP_WHY: Record<string, string> = {
  arp_ignore:
    "with 0 this server answers ARP for the VIP on lo and steals the director's traffic (the most common LVS-DR mistake)",
  arp_announce: "with less than 2 this server announces the VIP as ARP source address and poisons neighbours' caches",
};

function realServerConfig(input: DoctorInput): RealServerRoleConfig | undefined {
  return input.config?.kind === "real-server" ? input.config.realServer : undefined;
}

/** True when some address of the host has a prefix that contains `gateway` (it is on-link). */
function onLink(gateway: string, addresses: DoctorInput["facts"]["addresses"]): boolean {
  if (!ipaddr.isValid(gateway)) return false;
  const gw = ipaddr.parse(gateway);
  return addresses.some((a) => {
    if (!ipaddr.isValid(a.address) || a.interface === "lo") return false;
    const net = ipaddr.parse(a.address);
    return net.kind() === gw.kind() && gw.match(net, a.prefixLength);
  });
}

/** Checks that do not depend on the role running: the config and what start cannot do itself. */
function preflight(config: RealServerRoleConfig, input: DoctorInput): Problem[] {
  const problems: Problem[] = configErrors(config).map((message) => ({
    code: "nat-gateway-missing",
    severity: "error",
    subject: "nat_gateway",
    message,
    fix: "give the cluster's NAT gateway (the director's address on the real servers' network)",
  }));
  const { facts } = input;
  if (usesNat(config) && config.natGateway && !onLink(config.natGateway, facts.addresses))
    problems.push({
      code: "nat-gateway-unreachable",
      severity: "error",
      subject: config.natGateway,
      message: `NAT gateway ${config.natGateway} is on none of this host's networks, so it cannot be the default route`,
      fix: `give this host an address in the director's network, or use the director's address on this host's network`,
    });
  if (usesTun(config) && facts.links && !facts.links.some((l) => l.name === TUN_DEVICE))
    problems.push({
      code: "tunl0-missing",
      severity: "error",
      subject: TUN_DEVICE,
      message: "LVS-TUN needs the IPIP device tunl0 to receive encapsulated packets, and this host has none",
      fix: "modprobe ipip (creates tunl0), and add ipip to /etc/modules",
    });
  return problems;
}

/** Checks that hold once the role runs: what realdr start put in place must still be there. */
function drift(config: RealServerRoleConfig, input: DoctorInput): Problem[] {
  const { facts } = input;
  const problems: Problem[] = [];
  const onLo = config.vips.filter(usesLo);
  onLo.forEach((vip, i) => {
    const maxLength = addressFamily(vip.address) === "inet" ? 32 : 128;
    if (!facts.addresses.some((a) => a.interface === "lo" && a.address === vip.address))
      problems.push({
        code: "vip-not-on-lo",
        severity: "error",
        subject: vip.address,
        message: `VIP ${vip.address} is not on lo: this server drops the packets the director sends it (${vip.forwarding.join(", ")})`,
        fix: `ip addr add ${vip.address}/${maxLength} dev lo${maxLength === 32 ? ` label lo:${i}` : ""} (or lvsfleet start again)`,
      });
  });
  if (onLo.some((v) => addressFamily(v.address) === "inet"))
    for (const [key, want] of Object.entries(ARP_SYSCTLS)) {
      const have = facts.sysctls[key];
      const name = key.split(".").at(-1) ?? key;
      if (Number(have ?? "0") < Number(want))
        problems.push(sysctlProblem(name.replace("_", "-"), key, want, have, ARP_WHY[name] ?? ""));
    }
  if (usesTun(config)) {
    const link = facts.links?.find((l) => l.name === TUN_DEVICE);
    if (link && !link.up)
      problems.push({
        code: "tunl0-down",
        severity: "error",
        subject: TUN_DEVICE,
        message: "tunl0 is down: encapsulated packets from the director are dropped",
        fix: `ip link set ${TUN_DEVICE} up`,
      });
    for (const [key, want] of Object.entries(TUN_SYSCTLS)) {
      const have = facts.sysctls[key];
      if (link && have !== want)
        problems.push(
          sysctlProblem(
            "rp-filter",
            key,
            want,
            have,
            "the reverse-path filter drops decapsulated packets from clients",
          ),
        );
    }
  }
  if (usesNat(config) && config.natGateway) {
    const route = facts.routes.find((r) => r.destination === "default" && (r.table ?? "main") === "main");
    if (route?.via !== config.natGateway)
      problems.push({
        code: "nat-reply-path",
        severity: "error",
        subject: "default route",
        message: `the default route goes ${route?.via ? `via ${route.via}` : "nowhere"}, not via the director ${config.natGateway}: NAT replies bypass the director and clients drop them`,
        fix: `ip route replace default via ${config.natGateway}`,
      });
  }
  return problems;
}

/** The real server's doctor: realdr's needs for DR, TUN and NAT. */
export const realServerDoctor: Doctor = {
  sysctls(config) {
    if (config?.kind !== "real-server") return [];
    return [...Object.keys(ARP_SYSCTLS), ...(usesTun(config.realServer) ? Object.keys(TUN_SYSCTLS) : [])];
  },
  check(input) {
    const config = realServerConfig(input);
    if (!config) return [];
    return [...preflight(config, input), ...(input.running ? drift(config, input) : [])];
  },
};
