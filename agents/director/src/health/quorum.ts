/**
 * keepalived's quorum with hysteresis: a service whose quorum is up loses it when the healthy
 * weight falls below quorum - hysteresis, and one whose quorum is down gains it back at quorum +
 * hysteresis. The first evaluation has no history: up when healthy >= quorum.
 */
export function nextQuorumState(
  previous: "up" | "down" | undefined,
  healthyWeight: number,
  quorum: number,
  hysteresis: number,
): "up" | "down" {
  if (previous === undefined) return healthyWeight >= quorum ? "up" : "down";
  if (previous === "up") return healthyWeight < quorum - hysteresis ? "down" : "up";
  return healthyWeight >= quorum + hysteresis ? "up" : "down";
}
