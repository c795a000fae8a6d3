#!/usr/bin/env node
// Container health check for llm-cost-exporter: GET /-/healthy on the exporter's own listen
// address; exit 0 when the exporter answers, 1 otherwise. Plain Node (the slim image has no curl
// or wget). `/-/healthy` means "the process serves", never "vLLM is up": a vLLM outage is
// reported as llm_cost_collector_up 0, not by restarting the exporter.
//
// The address comes from LLM_COST_WEB_LISTEN_ADDRESS (the exporter's own variable, default :9787).
// When the listen address is set by a flag or in the config file instead, or TLS is on
// (web.config_file), set LLM_COST_HEALTHCHECK_URL, e.g. https://127.0.0.1:9787/-/healthy.
// Over loopback the certificate is not verified (it names the service, not 127.0.0.1); a TLS
// config that requires client certificates cannot be probed this way. With basic auth on, the
// exporter answers 401 on every path, /-/healthy included (as exporter-toolkit does): a 401 from
// it still proves that it serves, so it counts as healthy.
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

const TIMEOUT_MS = 3000;
const HEALTHY = new Set([200, 401]);

/** The URL to probe: LLM_COST_HEALTHCHECK_URL, or /-/healthy on the loopback side of the listen address. */
function healthUrl(env) {
  if (env.LLM_COST_HEALTHCHECK_URL) return new URL(env.LLM_COST_HEALTHCHECK_URL);
  const address = (env.LLM_COST_WEB_LISTEN_ADDRESS || ':9787').trim();
  const colon = address.lastIndexOf(':');
  const port = address.slice(colon + 1);
  let host = address.slice(0, colon);
  // A wildcard or empty host listens on every interface: probe the loopback one.
  if (host === '' || host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '[::]') host = '[::1]';
  return new URL(`http://${host}:${port}/-/healthy`);
}

function fail(url, reason) {
  process.stderr.write(`${url}: ${reason}\n`);
  process.exit(1);
}

const url = healthUrl(process.env);
const get = url.protocol === 'https:' ? httpsGet : httpGet;
const request = get(url, { timeout: TIMEOUT_MS, rejectUnauthorized: false }, (response) => {
  response.resume();
  if (HEALTHY.has(response.statusCode)) process.exit(0);
  fail(url, `HTTP ${response.statusCode}`);
});
request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
request.on('error', (error) => fail(url, error.message));
