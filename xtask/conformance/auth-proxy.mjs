// A loopback reverse proxy that adds `Authorization: Bearer $MCP_TOKEN`
// to every request before passing it, otherwise unchanged (Host and Origin
// included, so the DNS-rebinding scenario still reaches the server's own
// checks), to the server at $MCP_UPSTREAM. The official conformance
// suite's server runner connects without credentials; this is how it
// reaches an endpoint that requires them.
//
// Usage: node auth-proxy.mjs  (env: MCP_UPSTREAM=http://127.0.0.1:8080,
// MCP_TOKEN=todo_pat_..., PROXY_PORT=0); prints "listening <port>".
import http from "node:http";

const upstream = new URL(process.env.MCP_UPSTREAM);
const token = process.env.MCP_TOKEN;

const server = http.createServer((request, response) => {
  const headers = { ...request.headers, authorization: `Bearer ${token}` };
  const forwarded = http.request(
    {
      hostname: upstream.hostname,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  forwarded.on("error", (error) => {
    response.writeHead(502, { "content-type": "text/plain" });
    response.end(`proxy: ${error.message}`);
  });
  request.pipe(forwarded);
});

server.listen(Number(process.env.PROXY_PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
