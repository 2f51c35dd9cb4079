// Liveness and readiness, as the FastAPI services answer them (servicekit/health.py):
// the live path answers while the process can serve; the ready path runs every check
// concurrently, each under a timeout, and answers 503 when one fails or while the
// service drains before shutdown.

function round3(value) {
  return Math.round(value * 1000) / 1000;
}

// Seconds as Python prints a float: 2 -> "2.0".
function seconds(value) {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

export class Health {
  /**
   * @param {object} options
   * @param {string} options.service
   * @param {string} options.version
   * @param {number} options.timeoutS each check's time limit
   */
  constructor({ service, version, timeoutS }) {
    this.service = service;
    this.version = version;
    this.timeoutS = timeoutS;
    this.checks = new Map();
    this.draining = false;
  }

  /** Registers a readiness check: an async function that throws when not ready. */
  register(name, check) {
    if (this.checks.has(name)) {
      throw new Error(`a health check named ${JSON.stringify(name)} is already registered`);
    }
    this.checks.set(name, check);
  }

  /** Readiness fails from now on, so load balancers stop sending traffic before the
   * server stops. */
  startDraining() {
    this.draining = true;
  }

  async run(check) {
    const started = performance.now();
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(this.timeoutS)), this.timeoutS * 1000);
    });
    let result;
    try {
      await Promise.race([check(), timeout]);
      result = { status: "pass" };
    } catch (error) {
      const detail = error instanceof TimeoutError ? error.message : `${error.name}: ${error.message}`;
      result = { status: "fail", detail };
    } finally {
      clearTimeout(timer);
    }
    const duration = round3(performance.now() - started);
    return result.detail === undefined
      ? { status: result.status, duration_ms: duration }
      : { status: result.status, duration_ms: duration, detail: result.detail };
  }

  async report() {
    const names = [...this.checks.keys()];
    const results = await Promise.all(names.map((name) => this.run(this.checks.get(name))));
    const checks = Object.fromEntries(names.map((name, index) => [name, results[index]]));
    if (this.draining) {
      checks.shutdown = { status: "fail", duration_ms: 0, detail: "draining before shutdown" };
    }
    const status = Object.values(checks).every((check) => check.status === "pass") ? "pass" : "fail";
    return { status, service: this.service, version: this.version, checks };
  }

  /** GET /health/live: the process is up. */
  live() {
    return (_req, res) => {
      res.json({ status: "pass" });
    };
  }

  /** GET /health/ready: every dependency is ready, and the service is not draining. */
  ready() {
    return async (_req, res) => {
      const report = await this.report();
      res.status(report.status === "pass" ? 200 : 503).json(report);
    };
  }
}

class TimeoutError extends Error {
  constructor(timeoutS) {
    super(`no answer within ${seconds(timeoutS)} s`);
    this.name = "TimeoutError";
  }
}
