// The authenticated caller of a request, and the refusal of a credential: what the twin's
// servicekit/auth/principal.py holds.

/** Who is calling: a person or service through the identity provider's token (`bearer`),
 * or a calling service through its API key (`api_key`). */
export class Principal {
  /**
   * @param {object} fields
   * @param {string} fields.subject the token's `sub`, or the API key's client name
   * @param {string | null} fields.client `client_id`, else `azp`; the API key's client
   * @param {Set<string>} fields.scopes what it may do
   * @param {"bearer" | "api_key"} fields.scheme
   */
  constructor({ subject, client, scopes, scheme }) {
    this.subject = subject;
    this.client = client;
    this.scopes = scopes;
    this.scheme = scheme;
    Object.freeze(this);
  }

  /** Prefixed, so that no subject can share a counter with an address or an API key. */
  get rateLimitKey() {
    return `${this.scheme}:${this.subject}`;
  }
}

/** Credentials were presented and refused. `reason` goes to the client and the access
 * line: it never contains the credential itself. `error` is RFC 6750's code. */
export class Refusal extends Error {
  constructor(reason, error = "invalid_token") {
    super(reason);
    this.name = "Refusal";
    this.reason = reason;
    this.error = error;
  }
}
