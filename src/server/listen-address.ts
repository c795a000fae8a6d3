/** `:9787`, `0.0.0.0:9787`, `127.0.0.1:9787`, `[::1]:9787` → host (undefined = every interface) and port. */
export function parseListenAddress(address: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address.trim());
  const port = Number(m?.[3]);
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new RangeError(`invalid listen address "${address}": expected host:port, :port or [ipv6]:port`);
  }
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}
