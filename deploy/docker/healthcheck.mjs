#!/usr/bin/env node
// Container health check for llm-cost-exporter: GET /-/healthy on the exporter's own listen
// address; exit 0 when it answers 200, 1 otherwise. Plain Node (the slim image has no curl or
// wget). `/-/healthy` means "the process serves", never "vLLM is up": a vLLM outage is reported
// as llm_cost_collector_up 0, not by restarting the exporter.
//
// The address comes from LLM_COST_WEB_LISTEN_ADDRESS (the exporter's own variable, default :9787).
// When the listen address is set by a flag or in the config file instead, or TLS is on
// (web.config_file), set LLM_COST_HEALTHCHECK_URL to the full URL, e.g. https://127.0.0.1:9787/-/healthy.

const TIMEOUT_MS = 3000;

/** The URL to probe: LLM_COST_HEALTHCHECK_URL, or /-/healthy on the loopback side of the listen address. */
function healthUrl(env) {
  if (env.LLM_COST_HEALTHCHECK_URL) return env.LLM_COST_HEALTHCHECK_URL;
  const address = (env.LLM_COST_WEB_LISTEN_ADDRESS || ':9787').trim();
  const colon = address.lastIndexOf(':');
  const port = address.slice(colon + 1);
  let host = address.slice(0, colon);
  // A wildcard or empty host listens on every interface: probe the loopback one.
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '[::]') host = '[::1]';
  return `http://${host}:${port}/-/healthy`;
}

const url = healthUrl(process.env);
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.status !== 200) {
    process.stderr.write(`${url}: HTTP ${response.status}\n`);
    process.exit(1);
  }
  process.exit(0);
} catch (error) {
  process.stderr.write(`${url}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
