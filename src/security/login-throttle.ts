/**
 * Sign-in rate limiting: after too many failures for one (client, name) pair, or from one client, further
 * attempts are refused until the window passes. In memory per node: good enough to stop online guessing;
 * the window is short so a locked-out person recovers on their own.
 */
export interface LoginThrottle {
  /** Seconds to wait, or 0 if an attempt is allowed now. */
  retryAfter(ip: string, name: string): number;
  failed(ip: string, name: string): void;
  succeeded(ip: string, name: string): void;
}

export function createLoginThrottle(opts: { perName?: number; perIp?: number; windowMs?: number; clock?: () => number } = {}): LoginThrottle {
  const perName = opts.perName ?? 5;
  const perIp = opts.perIp ?? 30;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const clock = opts.clock ?? Date.now;
  const failures = new Map<string, number[]>();

  const recent = (key: string): number[] => {
    const now = clock();
    const list = (failures.get(key) ?? []).filter((t) => t > now - windowMs);
    if (list.length) failures.set(key, list);
    else failures.delete(key);
    return list;
  };
  const wait = (list: number[], limit: number): number => (list.length < limit ? 0 : Math.ceil(((list[list.length - limit] ?? 0) + windowMs - clock()) / 1000));

  return {
    retryAfter(ip, name) {
      return Math.max(wait(recent(`n:${ip}:${name.toLowerCase()}`), perName), wait(recent(`i:${ip}`), perIp));
    },
    failed(ip, name) {
      const now = clock();
      for (const key of [`n:${ip}:${name.toLowerCase()}`, `i:${ip}`]) failures.set(key, [...recent(key), now]);
      if (failures.size > 100_000) failures.clear(); // bound memory under a spray of names
    },
    succeeded(ip, name) {
      failures.delete(`n:${ip}:${name.toLowerCase()}`);
    },
  };
}
