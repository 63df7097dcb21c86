/** A refusal meant for the caller: its status, its reason (the body) and any extra headers. */
export class Refusal extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
