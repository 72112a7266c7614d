/** A small client for the lvsfleet REST API, for the demo, tests and benchmarks. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; text: string }> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  }

  get = (path: string) => this.request("GET", path);
  put = (path: string, body: unknown) => this.request("PUT", path, body);
  patch = (path: string, body: unknown) => this.request("PATCH", path, body);
  post = (path: string, body?: unknown) => this.request("POST", path, body);

  /** Polls GET /v1/jobs/{id} until the job is completed or failed. */
  async waitForJob(id: string, timeoutMs = 30_000, pollMs = 50): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await this.get(`/v1/jobs/${id}`);
      if (status !== 200) throw new Error(`GET /v1/jobs/${id}: ${status} ${JSON.stringify(body)}`);
      if (body.state === "completed" || body.state === "failed") return body;
      if (Date.now() > deadline)
        throw new Error(`job ${id} still ${body.state} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
