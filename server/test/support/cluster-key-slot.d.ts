// cluster-key-slot (ioredis' own, by its authors) ships no types: the one function the slot test uses.
declare module "cluster-key-slot" {
  /** The Redis Cluster hash slot (0–16383) of a key, honouring a {hash tag}. */
  export default function calculateSlot(key: string | Buffer): number;
}
