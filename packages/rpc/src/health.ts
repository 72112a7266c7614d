import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";

type CheckFn = (
  request: { service: string },
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
) => void;

let healthConstructor: grpc.ServiceClientConstructor | undefined;

function healthService(): grpc.ServiceClientConstructor {
  if (healthConstructor) return healthConstructor;
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  healthConstructor = pkg.grpc.health.v1.Health;
  return healthConstructor;
}

/** A grpc.health.v1.Health client (the standard protocol, as grpc_health_probe speaks it). */
export class HealthClient {
  private readonly client: grpc.Client;

  constructor(endpoint: string, credentials: grpc.ChannelCredentials, options: grpc.ClientOptions = {}) {
    const Health = healthService();
    this.client = new Health(endpoint, credentials, options);
  }

  check(service: string, deadlineMs: number): Promise<string> {
    const check = (this.client as unknown as { check: CheckFn }).check;
    return new Promise((resolve, reject) => {
      check.call(this.client, { service }, { deadline: Date.now() + deadlineMs }, (error, response) => {
        if (error) reject(error);
        else resolve(response?.status ?? "UNKNOWN");
      });
    });
  }
}
