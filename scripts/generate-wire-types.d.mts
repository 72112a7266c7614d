/** packages/rpc/src/generated: where the checked-in wire types live. */
export const GENERATED_DIR: string;
/** The generator's options (see generate-wire-types.mjs). */
export const GENERATOR_OPTIONS: string[];
/** Generates the wire types of proto/ into outDir (default GENERATED_DIR), replacing what is there. */
export function generateWireTypes(outDir?: string): void;
