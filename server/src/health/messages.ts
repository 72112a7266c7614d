import type { StoredEvent } from "../store/events.ts";
import type { AlertTransition } from "./alerts.ts";

/**
 * Short chat messages for the transitions worth a human's attention: real servers going down or
 * coming back (with what the director did), VRRP states, quorum, agents lost and back, and VIP
 * ownership alerts, and drift (a director's table changed behind its back, reported or corrected). Table re-plans, VIP arrivals and heartbeats are not worth a message.
 */
export function transitionMessage(event: StoredEvent, cluster: string | undefined): string | undefined {
  const where = cluster ? `[${cluster}] ` : "";
  switch (event.type) {
    case "health": {
      const mark = event.to === "down" ? ":red_circle:" : event.to === "up" ? ":large_green_circle:" : ":white_circle:";
      const action = event.action ? `; ${event.action}` : "";
      return `${mark} ${where}real server ${endpoint(event.address, event.port)} (${event.service}) is ${event.to.toUpperCase()} on ${event.host} — ${event.reason}${action}`;
    }
    case "agent":
      return event.to === "unreachable"
        ? `:warning: ${where}agent ${event.host} is UNREACHABLE (${event.detail})`
        : `:white_check_mark: ${where}agent ${event.host} is reachable again`;
    case "state": {
      const vrrp = /^vrrp:(.+)$/.exec(event.subject);
      if (vrrp)
        return `:arrows_counterclockwise: ${where}${event.host} is ${event.to} for VRRP ${vrrp[1]} (was ${event.from}; ${event.detail})`;
      const quorum = /^quorum:(.+)$/.exec(event.subject);
      if (quorum)
        return event.to === "down"
          ? `:red_circle: ${where}service ${quorum[1]} LOST its quorum on ${event.host} (${event.detail})`
          : `:large_green_circle: ${where}service ${quorum[1]} has its quorum again on ${event.host} (${event.detail})`;
      if (event.subject === "role") return `${where}${event.host}: role ${event.from} -> ${event.to}`;
      // a restarted director's first read-back says it is in step: worth a status update, not a message
      if (event.subject === "drift" && event.from === "unknown" && event.to === "in step") return undefined;
      // a stopped role's drift ends unwatched: the role change is the message
      if (event.subject === "drift" && event.to === "unknown") return undefined;
      if (event.subject === "drift")
        return event.to === "drifted"
          ? `:warning: ${where}DRIFT on ${event.host}: its table was changed behind its back — ${event.detail}`
          : event.to === "corrected"
            ? `:wrench: ${where}drift on ${event.host} CORRECTED — ${event.detail}`
            : `:white_check_mark: ${where}${event.host}: table in step again (${event.detail})`;
      return undefined;
    }
  }
}

export function alertMessage(transition: AlertTransition): string {
  const { alert } = transition;
  const where = `[${alert.cluster}]`;
  if (transition.kind === "cleared")
    return `:white_check_mark: ${where} VIP ${alert.vip} resolved (${alert.kind} over): held by ${transition.now.holders.join(", ")}`;
  return alert.kind === "split-brain"
    ? `:rotating_light: ${where} SPLIT-BRAIN: VIP ${alert.vip} (${alert.instance}) is held by ${alert.holders.join(" and ")}`
    : `:rotating_light: ${where} NO OWNER: no director holds VIP ${alert.vip} (${alert.instance})`;
}

function endpoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
