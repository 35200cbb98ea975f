// Graph behaviours the emulator can be told to change. Owned by the Graph surface.
export interface GraphKnobs {}
export const DEFAULT_GRAPH_KNOBS: GraphKnobs = {};
