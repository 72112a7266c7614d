// Original file: proto/lvsfleet/v1/agent.proto


/**
 * The simulated client load against each virtual service of a sim director.
 */
export interface SimulatedLoad {
  /**
   * New connections per second per virtual service (Poisson arrivals); 0 stops the load.
   */
  'connectionsPerSecond'?: (number | string);
  /**
   * Mean connection lifetime in seconds (exponential); 0 means the default, 30.
   */
  'meanLifetimeSeconds'?: (number | string);
  /**
   * Distinct client addresses; 0 means the default, 1000.
   */
  'clients'?: (number);
}

/**
 * The simulated client load against each virtual service of a sim director.
 */
export interface SimulatedLoad__Output {
  /**
   * New connections per second per virtual service (Poisson arrivals); 0 stops the load.
   */
  'connectionsPerSecond': (number);
  /**
   * Mean connection lifetime in seconds (exponential); 0 means the default, 30.
   */
  'meanLifetimeSeconds': (number);
  /**
   * Distinct client addresses; 0 means the default, 1000.
   */
  'clients': (number);
}
