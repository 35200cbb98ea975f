// Exchange behaviours the emulator can be told to change. Owned by the Exchange surface.
export interface ExchangeKnobs {}
export const DEFAULT_EXCHANGE_KNOBS: ExchangeKnobs = {};
