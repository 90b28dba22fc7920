-- wrk's summary as one JSON line after "JSON " (bench/national.py reads it).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {"rps": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "requests": %d, "bytes": %d, "err_status": %d, "err_sock": %d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.bytes, e.status, e.connect + e.read + e.write + e.timeout))
end
